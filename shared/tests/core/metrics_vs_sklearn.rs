//! Every metric against the values scikit-learn computed on the same fixed predictions.
//! The fixtures come from `scripts/ref/make_metric_fixtures.py` (see its docstring to regenerate).

use super::{fixture, floats};
use serde_json::Value;
use tabml::metrics;

const TOLERANCE: f64 = 1e-9;

fn close(case: &str, metric: &str, ours: f64, theirs: &Value) {
    let theirs = theirs.as_f64().unwrap_or_else(|| panic!("{case}: no {metric} in the fixture"));
    let scale = theirs.abs().max(1.0);
    assert!(
        (ours - theirs).abs() <= TOLERANCE * scale,
        "{case} {metric}: ours {ours}, scikit-learn {theirs}"
    );
}

fn same_points(case: &str, what: &str, ours: &[f64], theirs: &Value) {
    let theirs = floats(theirs);
    assert_eq!(ours.len(), theirs.len(), "{case} {what}: {ours:?} vs {theirs:?}");
    for (a, b) in ours.iter().zip(&theirs) {
        assert!((a - b).abs() <= TOLERANCE, "{case} {what}: {ours:?} vs {theirs:?}");
    }
}

fn ints(value: &Value) -> Vec<usize> {
    value.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect()
}

#[test]
fn classification_metrics_match_scikit_learn() {
    let doc = fixture("metrics.json");
    for case in doc["classification"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let k = case["n_classes"].as_u64().unwrap() as usize;
        let truth = ints(&case["y_true"]);
        let predicted = ints(&case["y_pred"]);
        let proba: Vec<Vec<f64>> = case["proba"].as_array().unwrap().iter().map(floats).collect();

        let matrix = metrics::confusion_matrix(k, &truth, &predicted);
        let expected: Vec<Vec<usize>> =
            case["confusion_matrix"].as_array().unwrap().iter().map(ints).collect();
        assert_eq!(matrix, expected, "{name} confusion matrix");

        close(name, "accuracy", metrics::accuracy(&truth, &predicted), &case["accuracy"]);
        close(name, "balanced_accuracy", metrics::balanced_accuracy(&matrix), &case["balanced_accuracy"]);
        let per_class = metrics::class_scores(&matrix);
        for (c, scores) in per_class.iter().enumerate() {
            close(name, "precision_per_class", scores.precision, &case["precision_per_class"][c]);
            close(name, "recall_per_class", scores.recall, &case["recall_per_class"][c]);
            close(name, "f1_per_class", scores.f1, &case["f1_per_class"][c]);
        }
        for (average, scores) in [
            ("macro", metrics::macro_average(&per_class)),
            ("weighted", metrics::weighted_average(&per_class)),
        ] {
            close(name, "precision", scores.precision, &case[format!("precision_{average}")]);
            close(name, "recall", scores.recall, &case[format!("recall_{average}")]);
            close(name, "f1", scores.f1, &case[format!("f1_{average}")]);
        }
        close(name, "log_loss", metrics::log_loss(&truth, &proba), &case["log_loss"]);
        let auc = metrics::roc_auc_multiclass(&truth, &proba, k).expect("every class present");
        close(name, "roc_auc", auc, &case["roc_auc"]);
        if k == 2 {
            let positive: Vec<bool> = truth.iter().map(|&t| t == 1).collect();
            let scores: Vec<f64> = proba.iter().map(|p| p[1]).collect();
            let ap = metrics::average_precision(&positive, &scores).unwrap();
            close(name, "pr_auc", ap, &case["pr_auc"]);

            let roc = metrics::roc_curve(&positive, &scores).unwrap();
            same_points(name, "roc fpr", &roc.fpr, &case["roc_curve"]["fpr"]);
            same_points(name, "roc tpr", &roc.tpr, &case["roc_curve"]["tpr"]);
            same_points(name, "roc thresholds", &roc.thresholds, &case["roc_curve"]["thresholds"]);
            let pr = metrics::pr_curve(&positive, &scores).unwrap();
            same_points(name, "pr precision", &pr.precision, &case["pr_curve"]["precision"]);
            same_points(name, "pr recall", &pr.recall, &case["pr_curve"]["recall"]);
            same_points(name, "pr thresholds", &pr.thresholds, &case["pr_curve"]["thresholds"]);
            let (threshold, f1) = pr.best_f1();
            close(name, "best F1 threshold", threshold, &case["best_f1"]["threshold"]);
            close(name, "best F1", f1, &case["best_f1"]["f1"]);
            let for_recall = pr.threshold_for_recall(0.9).unwrap();
            close(name, "threshold for recall 0.9", for_recall, &case["recall_0_9_threshold"]);
        }
    }
}

#[test]
fn regression_metrics_match_scikit_learn() {
    let doc = fixture("metrics.json");
    for case in doc["regression"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (truth, predicted) = (floats(&case["y_true"]), floats(&case["y_pred"]));
        close(name, "mae", metrics::mae(&truth, &predicted), &case["mae"]);
        close(name, "rmse", metrics::rmse(&truth, &predicted), &case["rmse"]);
        close(name, "r2", metrics::r2(&truth, &predicted), &case["r2"]);
        close(name, "mape", metrics::mape(&truth, &predicted), &case["mape"]);
    }
}

#[test]
fn auc_is_undefined_with_one_side_only() {
    assert_eq!(metrics::roc_auc(&[true, true], &[0.1, 0.9]), None);
    assert_eq!(metrics::average_precision(&[false, false], &[0.1, 0.9]), None);
    assert_eq!(metrics::roc_curve(&[false, false], &[0.1, 0.9]), None);
    assert_eq!(metrics::pr_curve(&[false, false], &[0.1, 0.9]), None);
}

#[test]
fn group_scores_and_gaps_match_the_reference() {
    let doc = fixture("metrics.json");
    let cases = doc["classification"].as_array().unwrap();
    for case in doc["groups"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let source = cases.iter().find(|c| c["name"] == case["name"]).unwrap();
        let (truth, predicted) = (ints(&source["y_true"]), ints(&source["y_pred"]));
        let groups: Vec<&str> =
            case["groups"].as_array().unwrap().iter().map(|g| g.as_str().unwrap()).collect();
        let report = metrics::group_report(&groups, &truth, &predicted, 1);
        for scores in &report.groups {
            let theirs = &case["per_group"][&scores.group];
            assert_eq!(scores.count as u64, theirs["count"].as_u64().unwrap(), "{name} {}", scores.group);
            close(name, "group accuracy", scores.accuracy, &theirs["accuracy"]);
            close(name, "selection rate", scores.selection_rate, &theirs["selection_rate"]);
            match scores.true_positive_rate {
                Some(tpr) => close(name, "true positive rate", tpr, &theirs["true_positive_rate"]),
                None => assert!(theirs["true_positive_rate"].is_null(), "{name} {}", scores.group),
            }
        }
        close(
            name,
            "demographic parity difference",
            report.demographic_parity_difference,
            &case["demographic_parity_difference"],
        );
        close(
            name,
            "equal opportunity difference",
            report.equal_opportunity_difference,
            &case["equal_opportunity_difference"],
        );
    }
}

#[test]
fn percentiles_match_numpy() {
    let doc = fixture("metrics.json");
    let values = floats(&doc["percentiles"]["values"]);
    for (q, key) in [(50.0, "p50"), (90.0, "p90"), (99.0, "p99")] {
        close("latencies", key, metrics::percentile(&values, q).unwrap(), &doc["percentiles"][key]);
        // To the bit: numpy's virtual index and its `_lerp` (p90 and p99 fall past one half here).
        let numpy = doc["percentiles"][key].as_f64().unwrap();
        assert_eq!(metrics::percentile(&values, q).unwrap().to_bits(), numpy.to_bits(), "{key}");
        let mut shuffled = values.clone();
        assert_eq!(
            metrics::percentile_unsorted(&mut shuffled, q).unwrap().to_bits(),
            numpy.to_bits(),
            "{key}"
        );
    }
    assert_eq!(metrics::percentile(&[], 50.0), None);
    assert_eq!(metrics::percentile(&[3.0], 99.0), Some(3.0));
}
