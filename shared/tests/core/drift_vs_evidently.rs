//! Drift verdicts against Evidently's `DataDriftPreset` on the fixture pairs written by
//! `scripts/ref/make_drift_fixtures.py` (see its docstring to regenerate): the type, the test, the
//! threshold and the verdict of every column must match exactly, the value held against the
//! threshold (p-value or distance) to 1e-6 relative, and so must the data-set verdict. PSI,
//! Kullback–Leibler and Hellinger (on request only, in Evidently too) and per-column overrides
//! are checked the same way.

use super::fixture;
use serde_json::Value;
use std::collections::BTreeMap;
use tabml::drift::{self, DriftOptions, DriftReport, DriftTest};

const RELATIVE: f64 = 1e-6;

fn dir() -> String {
    format!("{}/tests/fixtures/drift", env!("CARGO_MANIFEST_DIR"))
}

fn table(file: &Value) -> tabml::Table {
    let path = format!("{}/{}", dir(), file.as_str().unwrap());
    tabml::parse_csv(&std::fs::read(&path).unwrap()).unwrap()
}

fn close(ours: f64, theirs: f64) -> bool {
    if theirs == 0.0 {
        ours.abs() < 1e-300
    } else {
        ((ours - theirs) / theirs).abs() <= RELATIVE
    }
}

/// Compares every column of `report` with Evidently's list; returns the largest relative difference.
fn matches(case: &str, report: &DriftReport, expected: &Value) -> f64 {
    let expected = expected.as_array().unwrap();
    assert_eq!(report.columns.len(), expected.len(), "{case}: columns tested");
    let mut worst: f64 = 0.0;
    for e in expected {
        let name = e["column"].as_str().unwrap();
        let ours = report
            .columns
            .iter()
            .find(|c| c.column == name)
            .unwrap_or_else(|| panic!("{case}: {name} missing"));
        let what = format!("{case}, column {name}");
        assert_eq!(ours.kind.name(), e["type"].as_str().unwrap(), "{what}: type");
        assert_eq!(ours.test.name(), e["test"].as_str().unwrap(), "{what}: test ({})", ours.reason);
        assert_eq!(ours.threshold, e["threshold"].as_f64().unwrap(), "{what}: threshold");
        let theirs = e["value"].as_f64().unwrap();
        assert!(
            close(ours.value(), theirs),
            "{what}: {} {} against Evidently's {theirs}",
            ours.test.name(),
            ours.value()
        );
        if theirs != 0.0 {
            worst = worst.max(((ours.value() - theirs) / theirs).abs());
        }
        assert_eq!(ours.drift, e["drift"].as_bool().unwrap(), "{what}: verdict");
    }
    worst
}

fn every_column(test: DriftTest, table: &tabml::Table) -> BTreeMap<String, DriftTest> {
    table.columns.iter().map(|c| (c.name.clone(), test)).collect()
}

#[test]
fn default_choices_match_evidently() {
    let f = fixture("drift/evidently.json");
    let cases = f["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 11);
    let mut worst: f64 = 0.0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (reference, current) = (table(&case["reference"]), table(&case["current"]));
        let report = drift::check_tables(&reference, &current, &DriftOptions::default()).unwrap();
        let expected = &case["default"];
        worst = worst.max(matches(name, &report, &expected["columns"]));
        assert_eq!(
            report.dataset_drift,
            expected["dataset_drift"].as_bool().unwrap(),
            "{name}: data-set verdict"
        );
        assert!(close(report.drifted_share, expected["share"].as_f64().unwrap()), "{name}: drifted share");
    }
    eprintln!("largest relative difference from Evidently, default tests: {worst:e}");
}

#[test]
fn on_request_tests_match_evidently() {
    let f = fixture("drift/evidently.json");
    let mut worst: f64 = 0.0;
    for case in f["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (reference, current) = (table(&case["reference"]), table(&case["current"]));
        for test in [DriftTest::Psi, DriftTest::KlDiv, DriftTest::Hellinger] {
            let options = DriftOptions { tests: every_column(test, &current), ..DriftOptions::default() };
            let report = drift::check_tables(&reference, &current, &options).unwrap();
            worst = worst.max(matches(&format!("{name} ({})", test.name()), &report, &case[test.name()]));
        }
    }
    eprintln!("largest relative difference from Evidently, PSI, KL and Hellinger: {worst:e}");
}

#[test]
fn per_column_overrides_match_evidently() {
    let f = fixture("drift/evidently.json");
    for case in f["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (reference, current) = (table(&case["reference"]), table(&case["current"]));
        let o = &case["overrides"];
        let tests = o["per_column_method"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), DriftTest::from_name(v.as_str().unwrap()).unwrap()))
            .collect();
        let thresholds = o["per_column_threshold"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
            .collect();
        let options = DriftOptions { tests, thresholds, ..DriftOptions::default() };
        let report = drift::check_tables(&reference, &current, &options).unwrap();
        matches(&format!("{name} (overrides)"), &report, &o["result"]["columns"]);
        assert_eq!(
            report.dataset_drift,
            o["result"]["dataset_drift"].as_bool().unwrap(),
            "{name}: overrides, data set"
        );
    }
}

/// Verdicts against the profile a bundle carries, and against a profile merged from batches, must
/// equal those against the raw reference; prints the largest differences in statistic and p-value.
#[test]
fn profiles_give_the_raw_verdicts() {
    use tabml::drift::DataProfile;
    let f = fixture("drift/evidently.json");
    let (mut worst_statistic, mut worst_p): (f64, f64) = (0.0, 0.0);
    for case in f["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (reference, current) = (table(&case["reference"]), table(&case["current"]));
        let raw = drift::check_tables(&reference, &current, &DriftOptions::default()).unwrap();
        // The profile of the whole reference, and one merged from three uneven batches of it.
        let whole = DataProfile::of_rows(&reference, None);
        let n = reference.n_rows;
        let mut merged = DataProfile::of_rows(&reference, Some(&(0..n / 5).collect::<Vec<_>>()));
        for part in [(n / 5..n / 2), (n / 2..n)] {
            merged.merge(&DataProfile::of_rows(&reference, Some(&part.collect::<Vec<_>>()))).unwrap();
        }
        assert_eq!(merged.rows, whole.rows);
        for (how, profile) in [("profile", &whole), ("merged profile", &merged)] {
            let report = drift::check_against_profile(profile, &current, &DriftOptions::default()).unwrap();
            assert_eq!(report.dataset_drift, raw.dataset_drift, "{name}, {how}: data-set verdict");
            for (ours, exact) in report.columns.iter().zip(&raw.columns) {
                let what = format!("{name}, {how}, column {}", exact.column);
                assert_eq!((ours.test, ours.drift), (exact.test, exact.drift), "{what}");
                let rel = |a: f64, b: f64| if a == b { 0.0 } else { ((a - b) / b).abs() };
                worst_statistic = worst_statistic.max(rel(ours.statistic, exact.statistic));
                if let (Some(a), Some(b)) = (ours.p_value, exact.p_value) {
                    worst_p = worst_p.max(rel(a, b));
                }
                // Where the profile kept every value, the numbers are the raw ones.
                if exact.distinct.is_some_and(|d| d <= tabml::drift::EXACT_VALUES) && ours.distinct.is_some()
                {
                    assert!(
                        rel(ours.value(), exact.value()) < 1e-12,
                        "{what}: {} against {}",
                        ours.value(),
                        exact.value()
                    );
                }
            }
        }
    }
    eprintln!(
        "largest relative difference, profile against raw reference: statistic {worst_statistic:e}, p-value {worst_p:e}"
    );
}
