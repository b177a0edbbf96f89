//! Every model family's test metrics against scikit-learn's for the same family, hyperparameters,
//! preparation and rows (fixtures from `scripts/ref/make_model_parity.py`: test rows are the data
//! rows whose index is a multiple of 5). Forests are compared as the mean over the same five seeds;
//! their trees differ from scikit-learn's draw by draw, so only the average is comparable. A single
//! tree, on each of the five seeds, must also score within scikit-learn's spread over 100 seeds
//! (which differ where splits tie, as ours do).

use super::{fixture, sample};
use serde_json::Value;
use std::collections::BTreeMap;
use tabml::{train, Evaluation, ModelKind, Table, TrainConfig};

const TOLERANCE: f64 = 0.02;

/// Cases where tabml differs from scikit-learn by more than the tolerance, with the reason.
/// Keyed by "dataset/target/model/params".
/// Each is an approximation we chose, measured here and stated in BENCHMARKS.md.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    // Log loss of a forest is dominated by the few test rows where every tree says 0 for the true
    // class (clipped to 1e-16: 36 / 1000 each); which rows those are depends on the trees drawn.
    (LS_FOREST, "log_loss", "rare zero-probability rows"),
    // An unpruned regression tree on 353 rows memorises noise (R² below 0 in both libraries), and
    // its score swings with the seed (scikit-learn: -0.33 to -0.10 over 100 seeds), so the mean of
    // five of ours is not within two points of the mean of 100; the spread test checks each tree.
    (DIABETES_TREE, "r2", "an unpruned tree's score swings with the seed"),
];
/// Trees outside scikit-learn's spread, with the reason (keyed as above).
const OUTSIDE_SPREAD: &[(&str, &str)] = &[
    // Every scikit-learn seed scores 0.0344 and every tabml seed 0.0488 (in tabml's favour). The two
    // trees differ at two-row nodes, where any feature splits equally well and the draw decides,
    // and in one threshold's sixth decimal, which scikit-learn puts between values it cast to f32.
    (DIABETES_TREE5, "ties at two-row nodes and f32 thresholds"),
];
const DIABETES_TREE5: &str = "diabetes.csv/progression/tree/{\"max_depth\":5}";
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

/// The case's model, parameters and split, as the fixture trained them.
fn config_of(case: &Value, table: &Table) -> TrainConfig {
    let dataset = case["dataset"].as_str().unwrap();
    let model = ModelKind::from_name(case["model"].as_str().unwrap()).unwrap();
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
    config
}

/// The seeds tabml trains the case with.
fn seeds_of(case: &Value) -> Vec<u64> {
    case["seeds"].as_array().map_or(vec![0], |s| s.iter().map(|v| v.as_u64().unwrap()).collect())
}

#[test]
fn every_tree_scores_within_scikit_learns_spread_over_seeds() {
    let cases = fixture("model_parity.json");
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases["cases"].as_array().unwrap().iter().filter(|c| c["model"] == "tree") {
        assert_eq!(case["sklearn_seeds"], 100, "{case}");
        let dataset = case["dataset"].as_str().unwrap();
        let table = sample(dataset);
        let mut config = config_of(case, &table);
        let metric = if case["task"] == "classification" { "accuracy" } else { "r2" };
        let (low, high) =
            (case["metrics_min"][metric].as_f64().unwrap(), case["metrics_max"][metric].as_f64().unwrap());
        for seed in seeds_of(case) {
            config.seed = seed;
            let trained = train(&table, case["target"].as_str().unwrap(), &config).unwrap();
            let ours = metrics_of(trained.bundle.evaluation.as_ref().unwrap())[metric];
            let key = format!("{dataset}/{}/tree/{}", case["target"].as_str().unwrap(), case["params"]);
            eprintln!("{key:<65} seed {seed} {metric:<8} tabml {ours:.4} scikit-learn {low:.4}..{high:.4}");
            checked += 1;
            let excused = OUTSIDE_SPREAD.iter().any(|(k, _)| *k == key);
            if (ours < low - 1e-9 || ours > high + 1e-9) && !excused {
                failures.push(format!(
                    "{key} seed {seed} {metric}: tabml {ours:.4}, scikit-learn {low:.4}..{high:.4}"
                ));
            }
        }
    }
    assert!(checked >= 90, "only {checked} trees checked");
    assert!(
        failures.is_empty(),
        "{} trees outside scikit-learn's spread:\n{}",
        failures.len(),
        failures.join("\n")
    );
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
        let mut config = config_of(case, &table);
        let seeds = seeds_of(case);
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
