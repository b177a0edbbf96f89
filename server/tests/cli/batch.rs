//! `tabml train | evaluate | score` as a user runs them: files in, files and JSON out, and a clear
//! message with a non-zero exit on bad input.

use super::{tabml, tabml_binary, workspace_file};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data(name: &str) -> String {
    workspace_file(&format!("public/data/{name}"))
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn fails_with(output: &Output, needle: &str) {
    assert!(
        !output.status.success(),
        "expected a failure; stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(needle), "stderr {stderr:?} lacks {needle:?}");
}

fn path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// The arguments of `tabml score` of `data` with the bundle `model`, into `out`.
fn score_args<'a>(model: &'a str, data: &'a Path, out: &'a Path) -> [&'a str; 7] {
    ["score", "--model", model, "--data", data.to_str().unwrap(), "--out", out.to_str().unwrap()]
}

#[test]
fn train_evaluate_and_score_a_binary_classifier() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = path(dir.path(), "support.tabml");
    let bundle_arg = bundle.to_str().unwrap();
    let support = data("learner_support.csv");
    let train = |out: &str, json: bool| {
        let mut args = vec!["train", "--data", &support, "--target", "needs_support", "--model", "forest"];
        args.extend(["--ignore", "learner_id,mentor_notes", "--param", "n_estimators=30"]);
        args.extend(["--param", "min_samples_leaf=2", "--seed", "7", "--out", out]);
        if json {
            args.push("--json");
        }
        ok(&tabml(&args))
    };
    let trained: Value = serde_json::from_str(&train(bundle_arg, true)).unwrap();
    assert_eq!(trained["model"], "forest");
    assert_eq!(trained["params"]["n_estimators"], 30);
    assert_eq!(trained["params"]["max_features"], "sqrt");
    assert_eq!((trained["n_train"].as_u64(), trained["n_test"].as_u64()), (Some(4000), Some(1000)));
    let accuracy = trained["metrics"]["accuracy"].as_f64().unwrap();
    assert!(accuracy > trained["baseline"]["accuracy"].as_f64().unwrap(), "{trained}");
    assert_eq!(trained["bytes"].as_u64().unwrap(), std::fs::metadata(&bundle).unwrap().len());

    // The same command twice writes the same bytes.
    let again = path(dir.path(), "again.tabml");
    train(again.to_str().unwrap(), false);
    assert_eq!(std::fs::read(&bundle).unwrap(), std::fs::read(&again).unwrap());

    let evaluated: Value = serde_json::from_str(&ok(&tabml(&[
        "evaluate",
        "--model",
        bundle_arg,
        "--data",
        &data("learner_support.csv"),
        "--group",
        "group",
        "--json",
    ])))
    .unwrap();
    let metrics = &evaluated["metrics"];
    for key in ["accuracy", "balanced_accuracy", "f1_macro", "log_loss", "roc_auc"] {
        assert!(metrics[key].is_number(), "{key} missing from {metrics}");
    }
    let groups = &evaluated["groups"];
    assert_eq!(groups["column"], "group");
    assert!(groups["demographic_parity_difference"].is_number(), "{groups}");
    assert!(groups["by_value"].as_object().unwrap().len() >= 2, "{groups}");

    let predictions = path(dir.path(), "predictions.csv");
    ok(&tabml(&[
        "score",
        "--model",
        bundle_arg,
        "--data",
        &data("learner_support.csv"),
        "--out",
        predictions.to_str().unwrap(),
    ]));
    let text = std::fs::read_to_string(&predictions).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("prediction,proba_no,proba_yes"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 5000);
    let first: Vec<&str> = rows[0].split(',').collect();
    let (p_no, p_yes): (f64, f64) = (first[1].parse().unwrap(), first[2].parse().unwrap());
    assert!((p_no + p_yes - 1.0).abs() < 1e-12);
    assert_eq!(first[0], if p_yes > p_no { "yes" } else { "no" });
}

#[test]
fn regression_with_a_search_and_every_row_trained() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = path(dir.path(), "diabetes.tabml");
    let output = tabml(&[
        "train",
        "--data",
        &data("diabetes.csv"),
        "--target",
        "progression",
        "--model",
        "ridge",
        "--search",
        "tpe",
        "--trials",
        "8",
        "--cv",
        "3",
        "--out",
        bundle.to_str().unwrap(),
        "--json",
    ]);
    let trained: Value = serde_json::from_str(&ok(&output)).unwrap();
    // The progress bar (and its trial count) is for terminals: a pipe gets the output alone.
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert_eq!(trained["search"]["trials"].as_array().unwrap().len(), 8);
    assert_eq!(trained["search"]["metric"], "r2");
    assert!(trained["metrics"]["r2"].as_f64().unwrap() > 0.3, "{trained}");

    let evaluated: Value = serde_json::from_str(&ok(&tabml(&[
        "evaluate",
        "--model",
        bundle.to_str().unwrap(),
        "--data",
        &data("diabetes.csv"),
        "--json",
    ])))
    .unwrap();
    for key in ["rmse", "mae", "r2"] {
        assert!(evaluated["metrics"][key].is_number(), "{key}");
    }

    let all_rows = path(dir.path(), "all.tabml");
    let text = ok(&tabml(&[
        "train",
        "--data",
        &data("diabetes.csv"),
        "--target",
        "progression",
        "--model",
        "lasso",
        "--test-size",
        "0",
        "--out",
        all_rows.to_str().unwrap(),
    ]));
    assert!(text.contains("442 train, 0 test"), "{text}");
    assert!(text.contains("no test metrics"), "{text}");

    // A type override and a problem card travel with the model.
    let card = path(dir.path(), "card.json");
    std::fs::write(&card, r#"{"target_outcome": "disease progression after a year", "serves": "clinicians", "decision": "follow-up", "costly_errors": "missed progression", "success_metric": "R² above 0.4", "constraints": "none", "risks": "over-trust"}"#).unwrap();
    let typed = path(dir.path(), "typed.tabml");
    let text = ok(&tabml(&[
        "train",
        "--data",
        &data("diabetes.csv"),
        "--target",
        "progression",
        "--model",
        "linreg",
        "--type",
        "sex=categorical",
        "--card",
        card.to_str().unwrap(),
        "--out",
        typed.to_str().unwrap(),
    ]));
    assert!(text.contains("Trained linear regression"), "{text}");
    let bundle = tabml::ModelBundle::decode(&std::fs::read(&typed).unwrap()).unwrap();
    assert_eq!(bundle.card.serves, "clinicians");
    assert!(bundle.feature_names.iter().any(|f| f.starts_with("sex=")), "{:?}", bundle.feature_names);
}

#[test]
fn bad_input_gets_a_clear_message_and_a_failing_exit() {
    let dir = tempfile::tempdir().unwrap();
    let out = path(dir.path(), "m.tabml");
    let out_arg = out.to_str().unwrap();
    let iris = data("iris.csv");
    let train = |extra: &[&str]| {
        let mut args = vec!["train", "--data", &iris, "--target", "species", "--out", out_arg];
        args.extend_from_slice(extra);
        tabml(&args)
    };
    fails_with(&train(&["--model", "svm"]), "there is no model called \"svm\"; pick one of: dummy logreg");
    fails_with(
        &train(&["--model", "logreg", "--param", "C=-2"]),
        "logreg: C=-2 is not valid: expected a number greater than 0",
    );
    fails_with(
        &train(&["--model", "logreg", "--param", "depth=3"]),
        "logreg has no hyperparameter \"depth\"",
    );
    fails_with(&train(&["--model", "linreg"]), "linear regression cannot be used for classification");
    fails_with(&train(&["--model", "tree", "--ignore", "nope"]), "there is no column named \"nope\"");
    fails_with(&train(&["--model", "tree", "--test-size", "1.5"]), "--test-size 1.5");
    fails_with(&train(&["--model", "tree", "--search", "tpe", "--cv", "1"]), "at least 2 folds");

    // A good bundle, then every way to damage it.
    ok(&train(&["--model", "tree"]));
    let bytes = std::fs::read(&out).unwrap();
    let broken = path(dir.path(), "broken.tabml");
    let evaluate = |bundle: &Path| tabml(&["evaluate", "--model", bundle.to_str().unwrap(), "--data", &iris]);
    std::fs::write(&broken, &bytes[..bytes.len() / 2]).unwrap();
    fails_with(&evaluate(&broken), "the bundle is truncated");
    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40;
    std::fs::write(&broken, &flipped).unwrap();
    fails_with(&evaluate(&broken), "corrupted");
    let mut future = bytes.clone();
    future[8] = 9;
    std::fs::write(&broken, &future).unwrap();
    fails_with(&evaluate(&broken), "format version 9");
    std::fs::write(&broken, b"species\nsetosa\n").unwrap();
    fails_with(&evaluate(&broken), "not a tabml model bundle");

    // Data that does not fit the model: a missing column, and a word where a number belongs in
    // every row (a file with some rows that fit is scored: see the next test).
    let wrong = path(dir.path(), "wrong.csv");
    std::fs::write(&wrong, "sepal_length,sepal_width,petal_length\n5.1,3.5,1.4\n").unwrap();
    let scored =
        tabml(&["score", "--model", out_arg, "--data", wrong.to_str().unwrap(), "--out", "/dev/null"]);
    fails_with(&scored, "the data has no column \"petal_width\"");
    std::fs::write(
        &wrong,
        "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,zero\n4.9,three,1.4,0.2\n",
    )
    .unwrap();
    let scored =
        tabml(&["score", "--model", out_arg, "--data", wrong.to_str().unwrap(), "--out", "/dev/null"]);
    fails_with(&scored, "line 2, column \"petal_width\": \"zero\" is not a number");
    fails_with(&scored, "(and 1 more problems); no row could be scored, so nothing was written");
    let missing =
        tabml(&["train", "--data", "/nonexistent.csv", "--target", "y", "--model", "tree", "--out", out_arg]);
    fails_with(&missing, "/nonexistent.csv");
}

/// Runs `tabml args`, killing it and failing after 60 s: a regression that loops fails the test
/// instead of hanging the run.
fn tabml_within_a_minute(args: &[&str]) -> Output {
    let mut child = Command::new(tabml_binary())
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("tabml {args:?} did not finish within 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn extreme_values_train_and_an_output_that_is_not_a_number_spoils_its_row() {
    let dir = tempfile::tempdir().unwrap();
    let data = path(dir.path(), "extreme.csv");
    let mut csv = String::from("x,y\n");
    for i in 0..10 {
        csv.push_str(if i % 2 == 0 { "1.7e308,a\n" } else { "-1.7e308,b\n" });
    }
    std::fs::write(&data, csv).unwrap();
    let data_arg = data.to_str().unwrap();
    for model in ["logreg", "gnb"] {
        let out = path(dir.path(), &format!("{model}.tabml"));
        let out_arg = out.to_str().unwrap();
        ok(&tabml_within_a_minute(&[
            "train", "--data", data_arg, "--target", "y", "--model", model, "--out", out_arg,
        ]));
        ok(&tabml_within_a_minute(&["evaluate", "--model", out_arg, "--data", data_arg]));
    }

    // A model trained on small numbers meets a huge one: naive Bayes finds every class impossible,
    // and its probabilities are not numbers. Scoring says which row instead of writing NaN.
    let small = path(dir.path(), "small.csv");
    let mut csv = String::from("x,y\n");
    for i in 0..40 {
        csv.push_str(&format!("{},{}\n", i % 10, if i % 10 < 5 { "a" } else { "b" }));
    }
    std::fs::write(&small, csv).unwrap();
    let model = path(dir.path(), "small.tabml");
    let model_arg = model.to_str().unwrap();
    ok(&tabml(&[
        "train",
        "--data",
        small.to_str().unwrap(),
        "--target",
        "y",
        "--model",
        "gnb",
        "--out",
        model_arg,
    ]));
    let new = path(dir.path(), "new.csv");
    let scored = path(dir.path(), "scored.csv");
    let score = || tabml_within_a_minute(&score_args(model_arg, &new, &scored));
    // That row alone is not scored; the other is.
    std::fs::write(&new, "x\n3\n1.7e308\n").unwrap();
    let text = ok(&score());
    let why = "line 3: the model's probability of \"a\" is not a finite number";
    assert!(text.contains("Scored 1 of 2 rows") && text.contains(why), "{text}");
    let written = std::fs::read_to_string(&scored).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines[0], "prediction,proba_a,proba_b,error");
    assert!(lines[1].ends_with(','), "{written}");
    assert!(lines[2].starts_with(&format!(",,,\"{}", why.replace('"', "\"\""))), "{written}");
    std::fs::remove_file(&scored).unwrap();
    // A file of such rows only is refused.
    std::fs::write(&new, "x\n1.7e308\n").unwrap();
    let output = score();
    fails_with(&output, "line 2");
    fails_with(&output, "not a finite number");
    assert!(!scored.exists(), "nothing written");
}

#[test]
fn a_row_that_does_not_fit_is_named_by_line_and_column_and_the_others_are_scored() {
    let dir = tempfile::tempdir().unwrap();
    let [model, new, out] = ["iris.tabml", "new.csv", "predictions.csv"].map(|name| path(dir.path(), name));
    let model_arg = model.to_str().unwrap();
    let train = ["train", "--data", &data("iris.csv"), "--target", "species", "--model", "logreg"];
    ok(&tabml(&[&train[..], &["--out", model_arg]].concat()));
    // Line 3 has a word for a number, line 4 a missing value (imputed), line 5 is fine.
    std::fs::write(
        &new,
        "sepal_length,sepal_width,petal_length,petal_width\n\
         5.1,3.5,1.4,0.2\n\
         abc,3.0,4.5,1.5\n\
         6.3,,5.0,1.9\n\
         5.9,3.0,5.1,1.8\n",
    )
    .unwrap();
    let text = ok(&tabml(&score_args(model_arg, &new, &out)));
    let why = "line 3, column \"sepal_length\": \"abc\" is not a number, but the model was trained on \
               numbers in this column";
    assert!(text.contains("Scored 3 of 4 rows with logistic regression (species)"), "{text}");
    assert!(
        text.contains(&format!("1 row could not be scored (the error column says why):\n  {why}\n")),
        "{text}"
    );
    let written = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(written.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert!(
        written.starts_with("prediction,proba_setosa,proba_versicolor,proba_virginica,error\n"),
        "{written}"
    );
    assert_eq!(rows.len(), 4, "one line per input row, in order: {written}");
    assert_eq!(rows[0][0], "setosa", "{written}");
    assert_eq!(rows[1], ["", "", "", "", why], "{written}");
    for row in [&rows[0], &rows[2], &rows[3]] {
        let total: f64 = row[1..4].iter().map(|p| p.parse::<f64>().unwrap()).sum();
        assert!((total - 1.0).abs() < 1e-9 && row[4].is_empty(), "{written}");
    }
}
