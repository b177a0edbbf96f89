//! Every model family's test metrics against scikit-learn's for the same family, hyperparameters,
//! preparation and rows (fixtures from `scripts/ref/make_model_parity.py`: test rows are the data
//! rows whose index is a multiple of 5). Forests are compared as the mean over the same five seeds;
//! their trees differ from scikit-learn's draw by draw, so only the average is comparable.

use super::{fixture, sample};
use serde_json::Value;
use std::collections::BTreeMap;
use tabml::{train, Evaluation, ModelKind, TrainConfig};

const TOLERANCE: f64 = 0.02;

/// Cases where tabml differs from scikit-learn by more than the tolerance, with the reason.
/// Keyed by "dataset/target/model/params".
/// Each is an approximation we chose, measured here and stated in BENCHMARKS.md.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    // avg_quiz_score and days_since_last_activity have more than 256 distinct values, so tabml's tree
    // cuts them at one of 256 quantile bins instead of at every value; at depth 4 a slightly
    // different cut moves which leaves vote "yes". tabml's depth-4 tree scores higher here.
    (LS_TREE4, "balanced_accuracy", "histogram bins, in tabml's favour"),
    (LS_TREE4, "f1_macro", "histogram bins, in tabml's favour"),
    // Log loss of a forest is dominated by the few test rows where every tree says 0 for the true
    // class (clipped to 1e-16: 36 / 1000 each); which rows those are depends on the trees drawn.
    (LS_FOREST, "log_loss", "rare zero-probability rows"),
    // An unpruned regression tree on 353 rows memorises noise (R² below 0 in both libraries); bmi and
    // s5 have more distinct values than bins, so the memorised leaves differ.
    (DIABETES_TREE, "mae", "histogram bins on an unpruned tree"),
    (DIABETES_TREE, "rmse", "histogram bins on an unpruned tree"),
    (DIABETES_TREE, "r2", "histogram bins on an unpruned tree"),
];
const LS_TREE4: &str = "learner_support.csv/needs_support/tree/{\"max_depth\":4}";
const LS_FOREST: &str = "learner_support.csv/needs_support/forest/{\"n_estimators\":100}";
const DIABETES_TREE: &str = "diabetes.csv/progression/tree/{\"max_depth\":null}";

fn metrics_of(evaluation: &Evaluation) -> BTreeMap<String, f64> {
    evaluation.metric_table().into_iter().map(|(name, model, _)| (name.to_owned(), model)).collect()
}

fn param_text(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[test]
fn every_model_is_within_two_points_of_scikit_learn() {
    let cases = fixture("model_parity.json");
    let mut failures = Vec::new();
    let mut compared = 0;
    for case in cases["cases"].as_array().unwrap() {
        let dataset = case["dataset"].as_str().unwrap();
        let target = case["target"].as_str().unwrap();
        let model = ModelKind::from_name(case["model"].as_str().unwrap()).unwrap();
        let table = sample(dataset);
        let mut config = TrainConfig::new(model);
        config.test_rows = Some((0..table.n_rows).filter(|r| r % 5 == 0).collect());
        if dataset == "learner_support.csv" {
            // The fixture leaves out the identifier and the mentor's note, as a learner would.
            config.prep.ignore = vec!["learner_id".into(), "mentor_notes".into()];
        }
        for (name, value) in case["params"].as_object().unwrap() {
            if name != "solver" && name != "random_state" {
                config.params.push((name.clone(), param_text(value)));
            }
        }
        let seeds: Vec<u64> =
            case["seeds"].as_array().map_or(vec![0], |s| s.iter().map(|v| v.as_u64().unwrap()).collect());
        let mut sums: BTreeMap<String, f64> = BTreeMap::new();
        for &seed in &seeds {
            config.seed = seed;
            let trained =
                train(&table, target, &config).unwrap_or_else(|e| panic!("{dataset} {model:?}: {e}"));
            assert_eq!(
                trained.bundle.training.n_train as u64,
                case["n_train"].as_u64().unwrap(),
                "{dataset}"
            );
            assert_eq!(trained.bundle.training.n_test as u64, case["n_test"].as_u64().unwrap(), "{dataset}");
            for (name, value) in metrics_of(trained.bundle.evaluation.as_ref().unwrap()) {
                *sums.entry(name).or_default() += value / seeds.len() as f64;
            }
        }
        let key = format!("{dataset}/{target}/{}/{}", case["model"].as_str().unwrap(), case["params"]);
        for (name, expected) in case["metrics"].as_object().unwrap() {
            let expected = expected.as_f64().unwrap();
            let ours = sums[name];
            // Log loss of unpruned trees is dominated by clipped zero probabilities: ±1 wrong row moves
            // it by ~36/n_test, so it is compared with the metrics it follows from, not on its own.
            let tree_log_loss = name == "log_loss" && model == ModelKind::DecisionTree;
            // Error metrics in the target's units (RMSE, MAE) are compared relative to the value.
            let scale = if matches!(name.as_str(), "rmse" | "mae") { expected.abs().max(1.0) } else { 1.0 };
            let diff = (ours - expected).abs() / scale;
            compared += 1;
            eprintln!("{key:<90} {name:<18} tabml {ours:>10.4} sklearn {expected:>10.4} diff {diff:.4}");
            if diff > TOLERANCE
                && !tree_log_loss
                && !KNOWN_DIFFERENCES.iter().any(|(k, m, _)| *k == key && *m == name)
            {
                failures.push(format!("{key} {name}: tabml {ours:.4}, scikit-learn {expected:.4}"));
            }
        }
    }
    assert!(compared > 150, "only {compared} comparisons");
    assert!(
        failures.is_empty(),
        "{} metrics differ by more than {TOLERANCE}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
