//! The Score page's work in the worker: the model it scores with (kept decoded, so one row scores
//! within a frame), one row from the form with the features that moved it, a CSV file scored row by
//! row (a row that does not fit is named and the others are still scored) with the monitoring
//! events it makes, and a labels file read into label events.
//!
//! The scoring model is apart from the workbench's: the learner may score a pulled model while the
//! workbench holds another. Its bundle came with [`Request::ScoreWith`]; a fresh worker (after a
//! cancel) has it replayed by `client.rs`.

use super::engine::EngineError;
use super::messages::{FieldKind, FileScore, FormField, LabelsRead, ReportTo, RowScore, ScoreSetup};
use tabml::api::WireEvent;
use tabml::drift::{check_profiles, ColumnProfile, DriftOptions};
use tabml::models::Progress;
use tabml::{drift_event, prediction_id, EventContext, Outcome, ScoredBatch};
use tabml::{parse_csv, Column, ColumnKind, ModelBundle, Table, Task};

/// Problems listed by name in a file's summary (all are in the downloaded CSV).
const LISTED: usize = 20;

/// The model the Score page scores with, and the last file it scored.
#[derive(Debug)]
pub struct Scorer {
    pub digest: String,
    bundle: ModelBundle,
    last: Option<(Table, ScoredBatch, Vec<String>)>,
}

impl Scorer {
    /// Decodes the bundle `bytes` (from `name`) and describes it for the page.
    pub fn open(name: &str, bytes: &[u8]) -> Result<(Self, ScoreSetup), EngineError> {
        let bundle = ModelBundle::decode(bytes)
            .map_err(|e| EngineError::File { name: name.to_owned(), source: e.into() })?;
        let digest = ModelBundle::digest_of(bytes);
        let setup = ScoreSetup {
            digest: digest.clone(),
            view: Box::new(super::messages::ModelView::of(&bundle)),
            form: form(&bundle),
        };
        Ok((Self { digest, bundle, last: None }, setup))
    }

    /// Scores one row of cells (by input column; an empty cell is missing) and explains it.
    pub fn row(&self, cells: &[(String, String)], clock: &dyn Fn() -> f64) -> Result<RowScore, EngineError> {
        let started = clock();
        let columns = self
            .bundle
            .schema
            .iter()
            .map(|c| {
                let cell = cells.iter().find(|(name, _)| *name == c.name).map(|(_, v)| v.trim());
                Column::new(c.name.clone(), [cell.filter(|v| !v.is_empty())])
            })
            .collect();
        let table = Table { columns, n_rows: 1, lines: vec![1] };
        let batch = self.bundle.score_batch(&table)?;
        let classes = classes(&self.bundle.task);
        let (prediction, probabilities) = match &batch.outcomes()[0] {
            Outcome::Class { label, probabilities } => (
                Some(classes[*label].clone()),
                classes.iter().cloned().zip(probabilities.iter().copied()).collect(),
            ),
            Outcome::Value(v) => (Some(format_value(*v)), Vec::new()),
            _ => (None, Vec::new()),
        };
        let problem = batch.problems().first().map(|p| p.message.clone());
        let explanation = match prediction {
            Some(_) => Some(self.bundle.explain_row(&table, 0)?),
            None => None,
        };
        Ok(RowScore { prediction, probabilities, problem, explanation, millis: clock() - started })
    }

    /// Scores the CSV `bytes` (from `name`); the predictions CSV is attached to the reply. With
    /// `report`, the prediction events and the batch's profile are made, in batches to send.
    pub fn file(
        &mut self,
        name: &str,
        bytes: &[u8],
        run: &str,
        report: Option<&ReportTo>,
        progress: &mut Progress<'_>,
        clock: &dyn Fn() -> f64,
    ) -> Result<(FileScore, Vec<u8>), EngineError> {
        let in_file = |e: tabml::TabmlError| EngineError::File { name: name.to_owned(), source: e };
        let started = clock();
        let table = parse_csv(bytes).map_err(|e| in_file(e.into()))?;
        progress.report(0.3).map_err(|_| EngineError::Cancelled)?;
        let scoring = clock();
        let batch = self.bundle.score_batch(&table).map_err(in_file)?;
        let score_millis = clock() - scoring;
        progress.report(0.8).map_err(|_| EngineError::Cancelled)?;
        let version = report.map_or(0, |r| r.version);
        let ids: Vec<String> = (0..table.n_rows).map(|row| prediction_id(version, run, row)).collect();
        let key = default_key(&table, &self.bundle);
        let csv = batch.to_csv(&table, Some(&ids), key.as_ref().and_then(|k| table.column(k)));
        // The scored rows against the model's training rows, from one profile of the batch that
        // is also the profile sent.
        let profile = (batch.scored() > 0).then(|| batch.profile(&table));
        let drift = profile.as_ref().map(|p| {
            check_profiles(&self.bundle.profile, p, &DriftOptions::default()).map_err(|e| e.to_string())
        });
        let events = match report {
            Some(to) => {
                let latency_ms = if table.n_rows == 0 { 0.0 } else { score_millis / table.n_rows as f64 };
                let context = EventContext {
                    model: &to.model,
                    version: to.version,
                    run,
                    at_ms: to.at_ms,
                    latency_ms,
                    include_inputs: to.include_inputs,
                };
                let mut events = batch.events_with_profile(&table, &ids, &context, profile);
                if let Some(Ok(drift)) = &drift {
                    events.push(drift_event(drift, &context));
                }
                one_by_one(events)
            }
            None => Vec::new(),
        };
        progress.report(1.0).map_err(|_| EngineError::Cancelled)?;
        let schema: Vec<&str> = self.bundle.schema.iter().map(|c| c.name.as_str()).collect();
        let summary = FileScore {
            name: name.to_owned(),
            rows: table.n_rows,
            scored: batch.scored(),
            problems: batch.problems().iter().take(LISTED).map(|p| p.message.clone()).collect(),
            problem_count: batch.problem_count(),
            unscored: batch.unscored(),
            key_columns: table
                .columns
                .iter()
                .filter(|c| !schema.contains(&c.name.as_str()))
                .map(|c| c.name.clone())
                .collect(),
            key,
            counts: counts(&batch, &self.bundle.task),
            events,
            drift,
            millis: clock() - started,
            score_millis,
        };
        self.last = Some((table, batch, ids));
        Ok((summary, csv))
    }

    /// The last scored file's predictions as CSV again, with `key` (one of its columns) copied in.
    pub fn csv_with_key(&self, key: Option<&str>) -> Result<Vec<u8>, EngineError> {
        let (table, batch, ids) = self.last.as_ref().ok_or(EngineError::NoFile)?;
        let column = match key {
            Some(k) => Some(table.column(k).ok_or_else(|| EngineError::NoColumn(k.to_owned()))?),
            None => None,
        };
        Ok(batch.to_csv(table, Some(ids), column))
    }
}

/// The classes of a classifier (none for a regressor).
fn classes(task: &Task) -> Vec<String> {
    match task {
        Task::Classification { classes } => classes.clone(),
        Task::Regression => Vec::new(),
    }
}

/// A regressor's value as the page shows it: four significant digits, at most.
fn format_value(v: f64) -> String {
    if v.abs() >= 1000.0 || v == v.trunc() {
        format!("{v:.0}")
    } else {
        format!("{:.4}", v).trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// A key column to copy into the predictions, when the file has an obvious one: a column the model
/// does not read whose name says it is an id.
fn default_key(table: &Table, bundle: &ModelBundle) -> Option<String> {
    table
        .columns
        .iter()
        .filter(|c| !bundle.schema.iter().any(|s| s.name == c.name) && c.name != bundle.target)
        .find(|c| {
            let name = c.name.to_ascii_lowercase();
            name == "id" || name.ends_with("_id") || name == "key"
        })
        .map(|c| c.name.clone())
}

/// Rows per predicted class (classification), in the task's class order.
fn counts(batch: &ScoredBatch, task: &Task) -> Vec<(String, usize)> {
    let classes = classes(task);
    let mut counts = vec![0; classes.len()];
    for outcome in batch.outcomes() {
        if let Outcome::Class { label, .. } = outcome {
            counts[*label] += 1;
        }
    }
    classes.into_iter().zip(counts).collect()
}

/// Events as `(id, JSON)`, for the outbox, which sends them in batches the server takes.
pub fn one_by_one(events: Vec<WireEvent>) -> Vec<(String, String)> {
    events.into_iter().filter_map(|e| Some((e.id.clone(), serde_json::to_string(&e).ok()?))).collect()
}

/// One field of the one-row form per input column, from the training profile: numbers with their
/// training range, categories and booleans as a choice of the training values (commonest first),
/// dates and text as free text; each starts at the typical training value.
fn form(bundle: &ModelBundle) -> Vec<FormField> {
    bundle
        .schema
        .iter()
        .map(|column| {
            let profile = bundle.profile.column(&column.name);
            let (kind, hint, typical) = match (column.kind, profile) {
                (ColumnKind::Numeric, Some(ColumnProfile { numbers: Some(n), .. })) => {
                    let step = if n.integers { 1.0 } else { 0.0 };
                    // The mean, to two decimals: a value to start from, not a measurement.
                    let typical = if n.integers {
                        format!("{:.0}", n.mean)
                    } else {
                        format_value((n.mean * 100.0).round() / 100.0)
                    };
                    let hint = format!("{} to {} in training", format_value(n.min), format_value(n.max));
                    (FieldKind::Number { min: n.min, max: n.max, step }, hint, typical)
                }
                (ColumnKind::Numeric, _) => (
                    FieldKind::Number { min: f64::NAN, max: f64::NAN, step: 0.0 },
                    "a number".into(),
                    String::new(),
                ),
                (
                    ColumnKind::Categorical | ColumnKind::Boolean,
                    Some(ColumnProfile { labels: Some(labels), .. }),
                ) => {
                    let mut values: Vec<(&String, &u64)> = labels.counts.iter().collect();
                    values.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                    let choices: Vec<String> = values.into_iter().map(|(v, _)| v.clone()).collect();
                    let typical = choices.first().cloned().unwrap_or_default();
                    let hint = format!("{} values in training", choices.len());
                    (FieldKind::Choice(choices), hint, typical)
                }
                (ColumnKind::Datetime, _) => {
                    (FieldKind::Text, "a date, as 2024-05-31 or 2024-05-31T14:00".into(), String::new())
                }
                _ => (FieldKind::Text, "text".into(), String::new()),
            };
            FormField { name: column.name.clone(), column_kind: column.kind, kind, hint, typical }
        })
        .collect()
}

/// Reads a CSV of `prediction_id,label` (from `name`) into label events for `model`. An id that does
/// not name its version (`v3-…`) is taken to be of `version`, which is a classifier or not; a row
/// without an id or a label, or with a label that is not a number for a regressor, is a problem
/// named by its line, and the other rows still make events.
pub fn labels(
    name: &str,
    bytes: &[u8],
    model: &str,
    version: u32,
    classification: bool,
    at_ms: i64,
) -> Result<LabelsRead, EngineError> {
    let in_file = |e: tabml::TabmlError| EngineError::File { name: name.to_owned(), source: e };
    let table = parse_csv(bytes).map_err(|e| in_file(e.into()))?;
    let rows = tabml::read_labels(&table, Some(version)).map_err(in_file)?;
    let mut problems = rows.problems;
    let mut events = Vec::with_capacity(rows.labels.len());
    for label in &rows.labels {
        match tabml::label_event(model, label, classification, at_ms) {
            Ok(event) => events.push(event),
            Err(problem) => problems.push(problem),
        }
    }
    Ok(LabelsRead {
        name: name.to_owned(),
        rows: table.n_rows,
        labels: events.len(),
        problems: problems.iter().take(LISTED).cloned().collect(),
        problem_count: problems.len(),
        events: one_by_one(events),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tabml::{train, ModelKind, TrainConfig};

    fn iris() -> Vec<u8> {
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../public/data/iris.csv")).unwrap()
    }

    fn scorer(kind: ModelKind) -> (Scorer, ScoreSetup) {
        let table = parse_csv(&iris()).unwrap();
        let bundle = train(&table, "species", &TrainConfig::new(kind)).unwrap().bundle;
        Scorer::open("iris.tabml", &bundle.encode()).unwrap()
    }

    #[test]
    fn the_form_starts_at_typical_values_and_one_row_is_explained() {
        let (scorer, setup) = scorer(ModelKind::RandomForest);
        assert_eq!(setup.form.len(), 4);
        let petal = setup.form.iter().find(|f| f.name == "petal_length").unwrap();
        // The range of the training rows (80% of iris), as the hint says.
        let FieldKind::Number { min, max, .. } = petal.kind else { panic!("{petal:?}") };
        assert!((1.0..=1.2).contains(&min) && (6.6..=6.9).contains(&max), "{petal:?}");
        assert_eq!(petal.hint, format!("{min} to {max} in training"));
        let mut cells: Vec<(String, String)> =
            setup.form.iter().map(|f| (f.name.clone(), f.typical.clone())).collect();
        let typical = scorer.row(&cells, &|| 0.0).unwrap();
        assert!(typical.prediction.is_some() && typical.problem.is_none());
        let total: f64 = typical.probabilities.iter().map(|(_, p)| p).sum();
        assert!((total - 1.0).abs() < 1e-9);
        for (name, value) in &mut cells {
            match name.as_str() {
                "petal_length" => *value = "6.5".into(),
                "petal_width" => *value = "2.3".into(),
                _ => {}
            }
        }
        let long = scorer.row(&cells, &|| 0.0).unwrap();
        assert_eq!(long.prediction.as_deref(), Some("virginica"));
        let explanation = long.explanation.unwrap();
        assert!(explanation.contributions[0].column.starts_with("petal"), "{explanation:?}");
        cells[0].1 = "abc".into();
        let bad = scorer.row(&cells, &|| 0.0).unwrap();
        assert_eq!(bad.prediction, None);
        assert!(bad.problem.unwrap().contains("sepal_length"));
    }

    #[test]
    fn a_file_is_scored_row_by_row_with_its_events_and_its_key() {
        let (mut scorer, _) = scorer(ModelKind::LogisticRegression);
        let csv = b"id,sepal_length,sepal_width,petal_length,petal_width\na,5.1,3.5,1.4,0.2\nb,x,3.0,4.5,1.5\nc,6.3,3.3,6.0,2.5\n";
        let report = ReportTo { model: "iris".into(), version: 3, at_ms: 7, include_inputs: false };
        let (summary, bytes) =
            scorer.file("new.csv", csv, "00ff", Some(&report), &mut Progress::none(), &|| 0.0).unwrap();
        assert_eq!((summary.rows, summary.scored, summary.unscored), (3, 2, 1));
        assert!(summary.problems[0].contains("line 3"), "{:?}", summary.problems);
        assert_eq!(summary.key.as_deref(), Some("id"));
        assert_eq!(summary.key_columns, ["id"]);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("prediction_id,id,prediction,"), "{text}");
        assert!(text.contains("v3-00ff-1,a,setosa"), "{text}");
        assert_eq!(summary.events.len(), 5, "three rows (one an error), a profile, a drift report");
        for (id, json) in &summary.events {
            let event: WireEvent = serde_json::from_str(json).unwrap();
            assert_eq!(&event.id, id);
        }
        assert_eq!(summary.events[4].0, "drift-00ff");
        let drift = summary.drift.as_ref().unwrap().as_ref().unwrap();
        assert_eq!((drift.current_rows, drift.columns.len()), (2, 4), "the two scored rows, every column");
        // Not reporting: the drift is still checked, for the page.
        let (quiet, _) = scorer.file("new.csv", csv, "00fe", None, &mut Progress::none(), &|| 0.0).unwrap();
        assert!(quiet.events.is_empty());
        assert_eq!(quiet.drift, summary.drift);
        let without_key = String::from_utf8(scorer.csv_with_key(None).unwrap()).unwrap();
        assert!(without_key.starts_with("prediction_id,prediction,"), "{without_key}");
        assert!(scorer.csv_with_key(Some("nope")).is_err());

        let labels = labels(
            "labels.csv",
            b"prediction_id,label\nv3-00ff-1,setosa\nzz,virginica\n",
            "iris",
            3,
            true,
            9,
        )
        .unwrap();
        assert_eq!(
            (labels.rows, labels.labels, labels.problem_count),
            (2, 2, 0),
            "an id without a version is of 3"
        );
        let refused = labels_of_regressor();
        assert_eq!(refused.problem_count, 1);
        assert!(refused.problems[0].starts_with("line 2"), "{:?}", refused.problems);
    }

    fn labels_of_regressor() -> LabelsRead {
        labels("labels.csv", b"prediction_id,label\nv1-a-1,tall\n", "height", 1, false, 9).unwrap()
    }
}
