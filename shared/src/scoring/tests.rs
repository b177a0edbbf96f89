use super::*;
use crate::api::{Event, EventKind};
use crate::{parse_csv, train, ModelKind, TrainConfig};

/// A classifier (hi/lo) on a number, a category, a boolean and a date.
fn classifier() -> ModelBundle {
    let mut csv = String::from("x,colour,flag,when,label\n");
    for i in 0..60 {
        let colour = ["red", "blue", "green"][i % 3];
        let flag = if i % 4 == 0 { "yes" } else { "no" };
        let when = format!("2026-{:02}-{:02}", 1 + i % 12, 1 + i % 28);
        let label = if i % 17 > 8 { "hi" } else { "lo" };
        csv.push_str(&format!("{},{colour},{flag},{when},{label}\n", i % 17));
    }
    let table = parse_csv(csv.as_bytes()).unwrap();
    let bundle = train(&table, "label", &TrainConfig::new(ModelKind::LogisticRegression)).unwrap().bundle;
    let kinds: Vec<ColumnKind> = bundle.schema.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [ColumnKind::Numeric, ColumnKind::Categorical, ColumnKind::Boolean, ColumnKind::Datetime]
    );
    bundle
}

/// Five rows: fine; a word for a number (line 3); a colour never seen; missing cells; a word for a
/// boolean and one for a date (line 6).
const MIXED: &str = "x,colour,flag,when\n\
                     1,red,yes,2026-01-05\n\
                     abc,blue,no,2026-01-06\n\
                     3,purple,yes,2026-02-01\n\
                     ,red,,\n\
                     4,red,maybe,soon\n";

#[test]
fn a_cell_that_does_not_fit_spoils_its_row_only_and_the_order_is_kept() {
    let bundle = classifier();
    let table = parse_csv(MIXED.as_bytes()).unwrap();
    assert_eq!(table.column("x").unwrap().kind, ColumnKind::Text, "one word makes the column text");
    assert!(bundle.score(&table).is_err(), "all or nothing refuses the batch");
    let batch = bundle.score_batch(&table).unwrap();
    let scored: Vec<bool> = batch.outcomes().iter().map(Outcome::is_scored).collect();
    assert_eq!(scored, [true, false, true, true, false]);
    assert_eq!((batch.len(), batch.scored(), batch.unscored(), batch.problem_count()), (5, 3, 2, 3));
    let listed: Vec<(usize, u64, &str, &str)> =
        batch.problems().iter().map(|p| (p.row, p.line, p.column.as_str(), p.value.as_str())).collect();
    assert_eq!(listed, [(1, 3, "x", "abc"), (4, 6, "flag", "maybe"), (4, 6, "when", "soon")]);
    assert_eq!(
        batch.problems()[0].to_string(),
        "line 3, column \"x\": \"abc\" is not a number, but the model was trained on numbers in this column"
    );
    assert_eq!(
        batch.problems()[2].message,
        "line 6, column \"when\": \"soon\" is not a date, but the model was trained on dates in this column"
    );
    // The rows scored get what scoring them alone gives: the unseen colour and the missing cells
    // are no problem.
    let alone =
        parse_csv(b"x,colour,flag,when\n1,red,yes,2026-01-05\n3,purple,yes,2026-02-01\n,red,,\n").unwrap();
    let (rows, predictions) = batch.predictions();
    assert_eq!(rows, [0, 2, 3]);
    assert_eq!(predictions, bundle.score(&alone).unwrap());
    let Outcome::Class { label, probabilities } = &batch.outcomes()[2] else { panic!("scored") };
    assert_eq!(*label, crate::models::argmax(probabilities));
}

#[test]
fn only_a_missing_input_column_fails_the_whole_batch() {
    let bundle = classifier();
    let table = parse_csv(b"colour,flag,when\nred,yes,2026-01-05\n").unwrap();
    let error = bundle.score_batch(&table).unwrap_err();
    assert_eq!(error, bundle.score(&table).unwrap_err(), "as all or nothing says it");
    assert!(error.to_string().starts_with("the data has no column \"x\", which the model needs"), "{error}");
    // An infinity where a number belongs is missing there, even among words: no problem.
    let table = parse_csv(b"x,colour,flag,when\ninf,red,yes,2026-01-05\nseven,red,yes,2026-01-05\n").unwrap();
    let batch = bundle.score_batch(&table).unwrap();
    assert_eq!((batch.scored(), batch.problems()[0].value.as_str()), (1, "seven"));
    assert_eq!(
        batch.predictions().1,
        bundle.score(&parse_csv(b"x,colour,flag,when\n,red,yes,2026-01-05\n").unwrap()).unwrap()
    );
}

#[test]
fn an_output_that_is_not_a_finite_number_is_a_problem_of_its_row() {
    // Naive Bayes on small numbers finds a huge one impossible in every class.
    let mut csv = String::from("x,y\n");
    for i in 0..40 {
        csv.push_str(&format!("{},{}\n", i % 10, if i % 10 < 5 { "a" } else { "b" }));
    }
    let table = parse_csv(csv.as_bytes()).unwrap();
    let bundle = train(&table, "y", &TrainConfig::new(ModelKind::GaussianNaiveBayes)).unwrap().bundle;
    let batch = bundle.score_batch(&parse_csv(b"x\n3\n1.7e308\n").unwrap()).unwrap();
    assert!(matches!(batch.outcomes()[1], Outcome::NotFinite { class: Some(0), value } if value.is_nan()));
    let problem = &batch.problems()[0];
    assert_eq!(
        (problem.row, problem.line, problem.column.as_str(), problem.value.as_str()),
        (1, 3, "proba_a", "NaN")
    );
    assert_eq!(
        problem.message,
        "line 3: the model's probability of \"a\" is not a finite number (are the row's values far beyond the training data's?)"
    );
    assert_eq!((batch.scored(), batch.problem_count()), (1, 1));
}

#[test]
fn prediction_ids_name_their_version() {
    let id = prediction_id(12, "00ff", 0);
    assert_eq!(id, "v12-00ff-1");
    assert_eq!(prediction_version(&id), Some(12));
    assert_eq!(prediction_version("p-7"), None);
    assert_eq!(prediction_version("vx-1"), None);
}

#[test]
fn the_csv_has_ids_a_key_the_outputs_and_an_error_column_only_when_needed() {
    let bundle = classifier();
    // A clean batch: what `tabml score` always wrote, byte for byte.
    let clean = parse_csv(b"x,colour,flag,when\n1,red,yes,2026-01-05\n12,blue,no,2026-03-01\n").unwrap();
    let batch = bundle.score_batch(&clean).unwrap();
    let Predictions::Proba(proba) = bundle.score(&clean).unwrap() else { panic!("a classifier") };
    let mut expected = String::from("prediction_id,prediction,proba_hi,proba_lo\n");
    for (row, p) in proba.iter().enumerate() {
        let label = ["hi", "lo"][crate::models::argmax(p)];
        expected.push_str(&format!("v1-r-{},{label},{},{}\n", row + 1, p[0], p[1]));
    }
    let ids: Vec<String> = (0..2).map(|row| prediction_id(1, "r", row)).collect();
    assert_eq!(String::from_utf8(batch.to_csv(&clean, Some(&ids), None)).unwrap(), expected);
    let without_ids = String::from_utf8(batch.to_csv(&clean, None, None)).unwrap();
    assert!(without_ids.starts_with("prediction,proba_hi,proba_lo\n"), "{without_ids}");

    // A mixed batch keyed by its colour: the rows not scored say why in `error`.
    let table = parse_csv(MIXED.as_bytes()).unwrap();
    let batch = bundle.score_batch(&table).unwrap();
    let text = String::from_utf8(batch.to_csv(&table, None, table.column("colour"))).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "colour,prediction,proba_hi,proba_lo,error");
    assert_eq!(lines.len(), 6);
    assert!(lines[1].starts_with("red,") && lines[1].ends_with(','), "{}", lines[1]);
    assert_eq!(
        lines[2],
        "blue,,,,\"line 3, column \"\"x\"\": \"\"abc\"\" is not a number, but the model was trained on numbers in this column\""
    );
    assert!(lines[3].starts_with("purple,") && lines[3].ends_with(','), "{}", lines[3]);
    assert!(
        lines[5].starts_with("red,,,,\"line 6, column \"\"flag\"\": \"\"maybe\"\" is not true/false"),
        "{}",
        lines[5]
    );
    assert!(lines[5].contains("; line 6, column \"\"when\"\": \"\"soon\"\" is not a date"), "{}", lines[5]);

    // A regressor writes one value per row.
    let mut csv = String::from("x,y\n");
    for i in 0..30 {
        csv.push_str(&format!("{i},{}\n", i as f64 * 0.5 + 1.0));
    }
    let regressor =
        train(&parse_csv(csv.as_bytes()).unwrap(), "y", &TrainConfig::new(ModelKind::LinearRegression))
            .unwrap()
            .bundle;
    let table = parse_csv(b"x\n2\nlots\n").unwrap();
    let batch = regressor.score_batch(&table).unwrap();
    let Outcome::Value(v) = batch.outcomes()[0] else { panic!("a value") };
    let text = String::from_utf8(batch.to_csv(&table, None, None)).unwrap();
    assert_eq!(
        text,
        format!("prediction,error\n{v},\n,\"line 3, column \"\"x\"\": \"\"lots\"\" is not a number, but the model was trained on numbers in this column\"\n")
    );
}

#[test]
fn events_are_one_per_row_then_the_profile_of_the_scored_rows() {
    let bundle = classifier();
    let table = parse_csv(MIXED.as_bytes()).unwrap();
    let batch = bundle.score_batch(&table).unwrap();
    let ids: Vec<String> = (0..5).map(|row| prediction_id(3, "run1", row)).collect();
    let context = EventContext {
        model: "m",
        version: 3,
        run: "run1",
        at_ms: 1_000,
        latency_ms: 0.25,
        include_inputs: false,
    };
    let events = batch.events(&table, &ids, &context);
    assert_eq!(events.len(), 6);
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds[..5], [EventKind::Prediction; 5]);
    assert_eq!(kinds[5], EventKind::Profile);
    assert_eq!(events[5].id, "profile-run1");
    for (event, id) in events.iter().zip(&ids) {
        assert_eq!(
            (&event.id, event.prediction_id.as_ref(), event.at, event.version),
            (id, Some(id), 1_000, 3)
        );
        assert_eq!(event.features, None, "inputs only when asked");
    }
    let Outcome::Class { label, probabilities } = &batch.outcomes()[0] else { panic!("scored") };
    assert_eq!(events[0].output, Some(serde_json::json!(["hi", "lo"][*label])));
    assert_eq!((events[0].probabilities.as_ref(), events[0].latency_ms), (Some(probabilities), Some(0.25)));
    assert_eq!((events[1].output.as_ref(), events[1].latency_ms), (None, None));
    assert!(
        events[1].error.as_ref().unwrap().starts_with("line 3, column \"x\": \"abc\""),
        "{:?}",
        events[1]
    );
    // The server reads each of them.
    for event in &events {
        Event::try_from(event.clone()).unwrap();
    }
    let profile: crate::drift::DataProfile =
        serde_json::from_value(events[5].profile.clone().unwrap()).unwrap();
    assert_eq!(profile, batch.profile(&table));
    assert_eq!(profile.rows, 3);
    // The column made text by "abc" is profiled as numbers, as in training, over the scored rows.
    let x = profile.column("x").unwrap();
    assert_eq!((x.kind, x.rows, x.missing), (ColumnKind::Numeric, 3, 1));
    let alone =
        parse_csv(b"x,colour,flag,when\n1,red,yes,2026-01-05\n3,purple,yes,2026-02-01\n,red,,\n").unwrap();
    let clean = bundle.score_batch(&alone).unwrap().profile(&alone);
    assert_eq!(x, clean.column("x").unwrap());
    assert_eq!(profile.predictions, clean.predictions);
    assert_eq!(profile.column("colour"), clean.column("colour"));

    // With inputs: the model's input columns, as read.
    let events = batch.events(&table, &ids, &EventContext { include_inputs: true, ..context });
    let inputs = |row: usize| serde_json::Value::Object(events[row].features.clone().unwrap());
    assert_eq!(inputs(0), serde_json::json!({"x": 1.0, "colour": "red", "flag": true, "when": "2026-01-05"}));
    assert_eq!(inputs(3), serde_json::json!({"x": null, "colour": "red", "flag": null, "when": null}));
    assert_eq!(inputs(4), serde_json::json!({"x": 4.0, "colour": "red", "flag": "maybe", "when": "soon"}));
}

#[test]
fn a_drift_event_carries_the_verdict_and_each_columns_test() {
    let bundle = classifier();
    // Every x far above training's 0–16: x drifts; a value training never had is an infinite
    // chi-square for colour, sent as null.
    let mut csv = String::from("x,colour,flag,when\n");
    for i in 0..200 {
        csv.push_str(&format!("{},{},no,2026-03-0{}\n", 100 + i, ["red", "violet"][i % 2], 1 + i % 9));
    }
    let table = parse_csv(csv.as_bytes()).unwrap();
    let batch = bundle.score_batch(&table).unwrap();
    let profile = batch.profile(&table);
    let report = crate::drift::check_profiles(&bundle.profile, &profile, &Default::default()).unwrap();
    let context =
        EventContext { model: "m", version: 2, run: "r9", at_ms: 5, latency_ms: 0.1, include_inputs: false };
    let ids: Vec<String> = (0..200).map(|row| prediction_id(2, "r9", row)).collect();
    let events = batch.events_with_profile(&table, &ids, &context, Some(profile.clone()));
    assert_eq!(events, batch.events(&table, &ids, &context), "the same profile either way");

    let event = drift_event(&report, &context);
    assert_eq!(
        (event.id.as_str(), event.kind, event.version, event.at),
        ("drift-r9", EventKind::DriftReport, 2, 5)
    );
    Event::try_from(event.clone()).unwrap();
    let sent = event.report.unwrap();
    assert_eq!(sent["dataset_drift"], report.dataset_drift);
    assert_eq!(sent["drifted_share"], report.drifted_share);
    assert_eq!(sent["current_rows"], 200);
    let columns = sent["columns"].as_array().unwrap();
    assert_eq!(columns.len(), report.columns.len());
    let x = columns.iter().find(|c| c["column"] == "x").unwrap();
    let expected = report.columns.iter().find(|c| c.column == "x").unwrap();
    assert_eq!((x["drift"].as_bool(), x["test"].as_str()), (Some(true), Some(expected.test.name())));
    assert_eq!(x["statistic"].as_f64(), Some(expected.statistic));
    for (column, checked) in columns.iter().zip(&report.columns) {
        let statistic = column["statistic"].as_f64();
        assert_eq!(statistic, checked.statistic.is_finite().then_some(checked.statistic), "{column}");
    }
    assert!(!sent["predictions"].as_array().unwrap().is_empty(), "the outputs are checked too");
}

#[test]
fn problems_are_listed_up_to_the_cap_and_all_counted() {
    let bundle = classifier();
    let mut csv = String::from("x,colour,flag,when\n");
    let long = "n".repeat(300);
    for i in 0..1_500 {
        let x = if i % 3 == 0 { "2" } else { long.as_str() };
        csv.push_str(&format!("{x},red,yes,2026-01-05\n"));
    }
    let table = parse_csv(csv.as_bytes()).unwrap();
    let batch = bundle.score_batch(&table).unwrap();
    assert_eq!((batch.scored(), batch.unscored(), batch.problem_count()), (500, 1_000, 1_000));
    assert_eq!(batch.problems().len(), MAX_LISTED_PROBLEMS);
    // A cell quoted is cut to 100 characters.
    assert_eq!(batch.problems()[0].value, format!("{}…", "n".repeat(100)));
    assert!(batch.problems()[0].message.len() < 250, "{}", batch.problems()[0].message);

    let mut csv = String::from("x,colour,flag,when\n");
    for _ in 0..1_200 {
        csv.push_str("bad,red,maybe,2026-01-05\n");
    }
    csv.push_str("2,red,yes,2026-01-05\n");
    let table = parse_csv(csv.as_bytes()).unwrap();
    let batch = bundle.score_batch(&table).unwrap();
    assert_eq!((batch.scored(), batch.problem_count(), batch.problems().len()), (1, 2_400, 1_000));
    let last = batch.problems().last().unwrap();
    assert_eq!((last.row, last.column.as_str()), (499, "flag"));
    // Rows past the list still say why in the CSV, read again from the table.
    let text = String::from_utf8(batch.to_csv(&table, None, None)).unwrap();
    let row_1100 = text.lines().nth(1_101).unwrap();
    assert!(row_1100.contains("line 1102, column \"\"x\"\": \"\"bad\"\""), "{row_1100}");
    assert!(row_1100.contains("line 1102, column \"\"flag\"\": \"\"maybe\"\""), "{row_1100}");
}

#[test]
fn a_row_error_is_cut_to_what_a_server_takes() {
    // Column names of 300 characters make each cell's message longer than a third of the cap.
    let (a, b, c) = ("a".repeat(300), "b".repeat(300), "c".repeat(300));
    let mut csv = format!("{a},{b},{c},y\n");
    for i in 0..30 {
        csv.push_str(&format!("{i},{},{},{}\n", i * 7 % 11, i % 5, if i % 2 == 0 { "p" } else { "q" }));
    }
    let bundle =
        train(&parse_csv(csv.as_bytes()).unwrap(), "y", &TrainConfig::new(ModelKind::LogisticRegression))
            .unwrap()
            .bundle;
    let table = parse_csv(format!("{a},{b},{c}\nx,x,x\n").as_bytes()).unwrap();
    let batch = bundle.score_batch(&table).unwrap();
    assert_eq!((batch.scored(), batch.problem_count()), (0, 3));
    let context =
        EventContext { model: "m", version: 1, run: "r", at_ms: 0, latency_ms: 0.0, include_inputs: true };
    let events = batch.events(&table, &[prediction_id(1, "r", 0)], &context);
    assert_eq!(events.len(), 1, "no profile of no scored row");
    let error = events[0].error.clone().unwrap();
    assert_eq!(error.chars().count(), 1_001);
    assert!(error.ends_with('…') && error.starts_with(&batch.problems()[0].message), "{error}");
    Event::try_from(events[0].clone()).unwrap();
}
