//! Confidence-based performance estimation against NannyML 0.13.1's CBPE on the cases written by
//! `scripts/ref/make_cbpe_fixtures.py` (see its docstring to regenerate): per chunk, the estimated
//! accuracy and F1, their sampling errors and confidence bounds, to 1e-6 relative.
//! NannyML decides whether to calibrate with a shuffled cross-validation test of scikit-learn's;
//! tabml calibrates when told to, so the test tells it what NannyML decided.
//!
//! For three classes everything is compared but the accuracy's sampling error and band: NannyML's
//! multiclass accuracy component is `(y_true == y_pred).all(axis=1)` over per-class indicator rows,
//! which takes the spread over classes rather than over rows (an axis slip; the binary formula and
//! NannyML's documentation use rows). tabml uses the spread of per-row correctness for any number
//! of classes, and the test checks that formula instead.

use super::fixture;
use serde_json::Value;
use tabml::drift::{estimate_performance, CbpeReference};

fn close(ours: f64, theirs: f64) -> bool {
    (ours - theirs).abs() <= 1e-6 * theirs.abs().max(1e-12)
}

fn rows(p: &Value) -> Vec<Vec<f64>> {
    p.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).map(|q| vec![1.0 - q, q]).collect()
}

fn class_rows(p: &Value) -> Vec<Vec<f64>> {
    p.as_array()
        .unwrap()
        .iter()
        .map(|row| row.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect())
        .collect()
}

fn labels(y: &Value) -> Vec<usize> {
    y.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect()
}

#[test]
fn estimates_errors_and_bands_match_nannyml() {
    let f = fixture("cbpe.json");
    let cases = f["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    let mut worst: f64 = 0.0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let reference = rows(&case["reference"]["p"]);
        let truth = labels(&case["reference"]["y"]);
        let fitted = CbpeReference::fit(&reference, &truth, case["calibrated"].as_bool().unwrap()).unwrap();
        for (i, (chunk, expected)) in
            case["analysis"].as_array().unwrap().iter().zip(case["chunks"].as_array().unwrap()).enumerate()
        {
            let estimate = estimate_performance(&rows(chunk), Some(&fitted)).unwrap();
            for (metric, ours) in [("accuracy", estimate.accuracy), ("f1", estimate.f1)] {
                let e = &expected[metric];
                for (key, value) in [
                    ("value", ours.value),
                    ("sampling_error", ours.sampling_error),
                    ("upper_confidence_boundary", ours.upper),
                    ("lower_confidence_boundary", ours.lower),
                ] {
                    let theirs = e[key].as_f64().unwrap();
                    assert!(
                        close(value, theirs),
                        "{name}, chunk {i}, {metric} {key}: ours {value}, NannyML {theirs}"
                    );
                    worst = worst.max((value - theirs).abs() / theirs.abs().max(1e-12));
                }
            }
        }
    }
    eprintln!("largest relative difference from NannyML: {worst:e}");
}

#[test]
fn three_class_estimates_match_nannyml() {
    let f = fixture("cbpe.json");
    let cases = f["multiclass_cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    let mut worst: f64 = 0.0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let reference = class_rows(&case["reference"]["p"]);
        let truth = labels(&case["reference"]["y"]);
        let fitted = CbpeReference::fit(&reference, &truth, case["calibrated"].as_bool().unwrap()).unwrap();
        // tabml's accuracy sampling error: the spread of per-row correctness on the reference.
        let correct: Vec<f64> = reference
            .iter()
            .zip(&truth)
            .map(|(p, &t)| {
                let top = (0..3).fold(0, |b, c| if p[c] > p[b] { c } else { b });
                f64::from(u8::from(top == t))
            })
            .collect();
        let mean = correct.iter().sum::<f64>() / correct.len() as f64;
        let spread = (correct.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / correct.len() as f64).sqrt();
        for (i, (chunk, expected)) in
            case["analysis"].as_array().unwrap().iter().zip(case["chunks"].as_array().unwrap()).enumerate()
        {
            let rows = class_rows(chunk);
            let estimate = estimate_performance(&rows, Some(&fitted)).unwrap();
            let compared = [
                ("accuracy", "value", estimate.accuracy.value),
                ("f1", "value", estimate.f1.value),
                ("f1", "sampling_error", estimate.f1.sampling_error),
                ("f1", "upper_confidence_boundary", estimate.f1.upper),
                ("f1", "lower_confidence_boundary", estimate.f1.lower),
            ];
            for (metric, key, ours) in compared {
                let theirs = expected[metric][key].as_f64().unwrap();
                assert!(
                    close(ours, theirs),
                    "{name}, chunk {i}, {metric} {key}: ours {ours}, NannyML {theirs}"
                );
                worst = worst.max((ours - theirs).abs() / theirs.abs().max(1e-12));
            }
            let error = spread / (rows.len() as f64).sqrt();
            assert!(
                close(estimate.accuracy.sampling_error, error),
                "{name}, chunk {i}: accuracy sampling error"
            );
            assert!(close(estimate.accuracy.lower, (estimate.accuracy.value - 3.0 * error).max(0.0)));
        }
    }
    eprintln!("largest relative difference from NannyML (three classes): {worst:e}");
}
