//! Confidence-based performance estimation against NannyML 0.13.1's CBPE on the binary cases
//! written by `scripts/ref/make_cbpe_fixtures.py` (see its docstring to regenerate): per chunk, the
//! estimated accuracy and F1, their sampling errors and confidence bounds, to 1e-6 relative.
//! NannyML decides whether to calibrate with a shuffled cross-validation test of scikit-learn's;
//! tabml calibrates when told to, so the test tells it what NannyML decided.

use serde_json::Value;
use tabml::drift::{estimate_performance, CbpeReference};

fn close(ours: f64, theirs: f64) -> bool {
    (ours - theirs).abs() <= 1e-6 * theirs.abs().max(1e-12)
}

fn rows(p: &Value) -> Vec<Vec<f64>> {
    p.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).map(|q| vec![1.0 - q, q]).collect()
}

#[test]
fn estimates_errors_and_bands_match_nannyml() {
    let path = format!("{}/tests/fixtures/cbpe.json", env!("CARGO_MANIFEST_DIR"));
    let f: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = f["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    let mut worst: f64 = 0.0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let reference = rows(&case["reference"]["p"]);
        let truth: Vec<usize> =
            case["reference"]["y"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
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
