//! `tabml drift` as a user runs it: two CSV files (or a model bundle and a CSV file) in, a table or
//! the fixed JSON object out, exit status 0 whatever the verdict unless `--fail-on-drift`.

use super::{tabml, workspace_file};
use serde_json::Value;
use std::process::Output;

fn fixture(name: &str) -> String {
    workspace_file(&format!("shared/tests/fixtures/drift/{name}"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json(output: &Output) -> Value {
    serde_json::from_str(&stdout(output))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(output), stderr(output)))
}

fn pair(case: &str) -> (String, String) {
    (fixture(&format!("{case}_reference.csv")), fixture(&format!("{case}_current.csv")))
}

fn evidently_case(case: &str) -> Value {
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("evidently.json")).unwrap()).unwrap();
    all["cases"].as_array().unwrap().iter().find(|c| c["name"] == case).unwrap().clone()
}

#[test]
fn json_has_the_fixed_shape_and_evidentlys_verdicts() {
    for case in ["small_mean_shift", "large_category_mix", "large_none", "small_infinities"] {
        let (reference, current) = pair(case);
        let out = tabml(&["drift", "--reference", &reference, "--current", &current, "--json"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        // The spinner is for terminals: a pipe gets the report alone.
        assert_eq!(stderr(&out), "", "{case}");
        let report = json(&out);
        let keys: Vec<&str> = report.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["columns", "dataset_drift", "drifted_share"]);
        let expected = evidently_case(case);
        assert_eq!(report["dataset_drift"], expected["default"]["dataset_drift"], "{case}");
        for column in report["columns"].as_array().unwrap() {
            let mut keys: Vec<&str> = column.as_object().unwrap().keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["column", "drift", "p_value", "statistic", "test", "threshold", "type"]);
            let theirs = expected["default"]["columns"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["column"] == column["column"])
                .unwrap();
            assert_eq!(column["test"], theirs["test"], "{case}: {}", column["column"]);
            assert_eq!(column["drift"], theirs["drift"], "{case}: {}", column["column"]);
            assert_eq!(column["type"], theirs["type"], "{case}: {}", column["column"]);
            // p-value tests carry one; distances carry none.
            let p_test = ["ks", "chisquare", "z"].contains(&column["test"].as_str().unwrap());
            assert_eq!(column["p_value"].is_number(), p_test, "{case}: {}", column["column"]);
        }
    }
}

#[test]
fn exit_status_follows_fail_on_drift() {
    let (reference, current) = pair("small_category_mix");
    let drifted = ["drift", "--reference", &reference, "--current", &current];
    assert_eq!(tabml(&drifted).status.code(), Some(0));
    let mut failing = drifted.to_vec();
    failing.push("--fail-on-drift");
    let out = tabml(&failing);
    assert_eq!(out.status.code(), Some(3));
    let text = stdout(&out);
    assert!(text.contains("Data set: DRIFTED — 5 of 9 columns drifted"), "{text}");
    assert!(text.contains("Why each test:"), "{text}");
    let (reference, current) = pair("small_none");
    let calm = ["drift", "--reference", &reference, "--current", &current, "--fail-on-drift"];
    let out = tabml(&calm);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("Data set: no drift — 0 of 9 columns drifted"));
}

#[test]
fn overrides_and_ignored_columns() {
    let (reference, current) = pair("small_mean_shift");
    let out = tabml(&[
        "drift",
        "--reference",
        &reference,
        "--current",
        &current,
        "--json",
        "--column-test",
        "score=psi:0.2",
        "--column-test",
        "city=hellinger",
        "--threshold",
        "age=0.01",
        "--ignore",
        "member,flag",
    ]);
    let report = json(&out);
    let columns = report["columns"].as_array().unwrap();
    let by_name = |n: &str| columns.iter().find(|c| c["column"] == n).cloned();
    assert!(by_name("member").is_none() && by_name("flag").is_none(), "ignored columns are left out");
    assert_eq!(columns.len(), 7);
    let score = by_name("score").unwrap();
    assert_eq!((score["test"].as_str(), score["threshold"].as_f64()), (Some("psi"), Some(0.2)));
    assert!(score["p_value"].is_null());
    assert_eq!(by_name("city").unwrap()["test"], "hellinger");
    assert_eq!(by_name("age").unwrap()["threshold"], 0.01);
}

#[test]
fn against_a_model_bundle_checks_inputs_target_and_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("member.tabml");
    let bundle = bundle.to_str().unwrap();
    let (reference, _) = pair("large_none");
    let train = tabml(&[
        "train",
        "--data",
        &reference,
        "--target",
        "member",
        "--model",
        "logreg",
        "--test-size",
        "0",
        "--out",
        bundle,
    ]);
    assert!(train.status.success(), "{}", stderr(&train));
    let (_, current) = pair("large_mean_shift");
    let by_model = json(&tabml(&["drift", "--model", bundle, "--current", &current, "--json"]));
    let by_file = json(&tabml(&["drift", "--reference", &reference, "--current", &current, "--json"]));
    // The profile in the bundle gives the verdicts the raw training file gives, target included.
    assert_eq!(by_model["dataset_drift"], by_file["dataset_drift"]);
    let verdicts = |r: &Value| -> Vec<(String, bool)> {
        r["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["column"].as_str().unwrap().to_owned(), c["drift"].as_bool().unwrap()))
            .collect()
    };
    assert_eq!(verdicts(&by_model), verdicts(&by_file));
    assert!(verdicts(&by_model).iter().any(|(c, _)| c == "member"), "the target is checked too");
    let predictions = by_model["predictions"].as_array().expect("prediction drift against a model");
    let names: Vec<&str> = predictions.iter().map(|p| p["column"].as_str().unwrap()).collect();
    assert_eq!(names, ["prediction", "proba_no", "proba_yes"]);
    let text = stdout(&tabml(&["drift", "--model", bundle, "--current", &current]));
    assert!(text.contains("The model's outputs against its outputs on its training rows"), "{text}");
}

#[test]
fn bad_input_gets_a_clear_message() {
    let (reference, current) = pair("small_none");
    let neither = tabml(&["drift", "--current", &current]);
    assert_eq!(neither.status.code(), Some(2));
    assert!(stderr(&neither).contains("--reference"), "{}", stderr(&neither));
    let cases: [(&[&str], &str); 5] = [
        (&["--column-test", "score=student_t"], "no test \"student_t\"; pick one of ks, chisquare"),
        (
            &["--column-test", "city=ks"],
            "column `city`: the ks test needs numbers, and this column is categorical",
        ),
        (&["--column-test", "nowhere=psi"], "column `nowhere` is not in either data set"),
        (&["--threshold", "age=-1"], "threshold \"-1\" is not a number at least 0"),
        (&["--drift-share", "0"], "the drift share 0 is not between 0 (excluded) and 1"),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["drift", "--reference", reference.as_str(), "--current", current.as_str()];
        args.extend_from_slice(extra);
        let out = tabml(&args);
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
        assert!(stderr(&out).contains(needle), "{extra:?}: {}", stderr(&out));
    }
    // A broken file is named, with its line.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.csv");
    std::fs::write(&broken, "score,income\n1,2\n3,4,5\n").unwrap();
    let out = tabml(&["drift", "--reference", &reference, "--current", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(message.contains("broken.csv") && message.contains("line 3"), "{message}");
}
