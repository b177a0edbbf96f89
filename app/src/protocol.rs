//! The messages between the page and its Web Worker, and the worker's side of the work.
//!
//! The page never parses, validates or trains itself: it sends a [`Request`] and gets a [`Reply`],
//! with [`ToPage::Progress`] messages in between. Messages are postcard bytes; a CSV file (to the
//! worker) or a model bundle (from it) travels beside the message as a second byte array, so it is
//! moved, never re-encoded. [`Engine`] is the worker's state and logic, plain Rust so that it is
//! tested natively.
//!
//! [`ModelView`] is what the page shows of a bundle: everything but the fitted estimators, the
//! preparation's fitted values, the schema and the profile. The page never decodes a bundle,
//! because a large forest takes longer than a frame to decode: the worker sends a `ModelView`
//! beside every trained bundle's bytes (`Reply::Trained`) and reads the bundles the page holds with
//! `Request::Open`. `FindingView` exists because the validation report's JSON-tagged enum does not
//! encode as postcard.

use serde::{Deserialize, Serialize};
use tabml::models::Progress;
use tabml::{
    parse_csv, train_with, validate, ColumnKind, Evaluation, ModelBundle, ModelKind, Params, ProblemCard,
    Severity, SkippedColumn, Table, TabmlError, Task, TrainConfig, TrainingInfo, Trial, ValidationOptions,
    ValidationReport,
};

/// Rows of the data set copied into the summary for the preview table.
pub const PREVIEW_ROWS: usize = 8;

/// What the page asks the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Parse the attached bytes as a CSV and make it the data set.
    Load {
        /// Where the bytes came from (a sample's title or a file name), for messages.
        name: String,
    },
    /// Override a column's inferred type.
    SetKind { column: String, kind: ColumnKind },
    /// The validation report of the data set, with this target.
    Validate { target: String },
    /// Train on the data set.
    Train { target: String, config: Box<TrainConfig> },
    /// The cells of rows `start..start + count` in columns `columns.0..columns.1` (fewer at the
    /// ends), for the scrolling table.
    Rows { start: usize, count: usize, columns: (usize, usize) },
    /// How a training would split the data set, per class (without training).
    PreviewSplit { target: String, test_fraction: f64, seed: u64 },
    /// Measure the last model trained here on its test rows: per group of a column (for a
    /// classifier), permutation importance, and latency. `digest` names the model.
    Explain { digest: String, group: Option<String> },
    /// Read the attached bytes as a model bundle (a file the learner opened, or one saved in this
    /// browser) and describe it. `name` is where the bytes came from, for messages.
    Open { name: String },
    /// Check data for drift against the training rows of the last model trained here (`digest`),
    /// and estimate its performance there: a copy of its test rows, changed as asked, or a CSV
    /// file attached to the request.
    Monitor { digest: String, current: Current },
    /// Check the attached CSV file (called `name`) for drift against the loaded data set, with
    /// no model: Evidently's choice of test per column, on the raw rows of both.
    DriftFile { name: String },
}

/// What a monitoring check compares with the training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Current {
    /// `rows` rows drawn (with `seed`) from the model's test rows, with `shift` applied to them.
    TestCopy { shift: Shift, rows: usize, seed: u64 },
    /// The attached CSV file, called `name`.
    File { name: String },
}

/// A change to inject into a copy of the test rows, to watch each statistic respond.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Shift {
    /// No change.
    None,
    /// Add `sds` reference standard deviations to every value of a numeric column.
    Mean { column: String, sds: f64 },
    /// Stretch a numeric column's values about their mean by `factor`.
    Scale { column: String, factor: f64 },
    /// Set this share of a column's rows to one of its values.
    Mix { column: String, value: String, share: f64 },
    /// Give this share of the rows another label (the next class; for regression, add one
    /// standard deviation): the inputs do not change, only the truth.
    LabelFlip { share: f64 },
}

/// A column a shift can change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShiftColumn {
    /// The column.
    pub name: String,
    /// Whether it holds numbers (mean and scale shifts) or values (mix).
    pub numeric: bool,
    /// Its most frequent values (for a mix).
    pub values: Vec<String>,
}

/// A monitoring check as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorView {
    /// Drift of every column, the target and the model's outputs, with the data checks.
    pub report: tabml::drift::DriftReport,
    /// Rows checked.
    pub rows: usize,
    /// The test rows the copy is drawn from.
    pub test_rows: usize,
    /// Performance estimated from the model's probabilities alone (CBPE, with the test rows as its
    /// labelled reference: calibration and band; classifiers only).
    pub estimated: Option<tabml::drift::PerformanceEstimate>,
    /// Accuracy and F1 on the checked rows' own labels, when they have them (classifiers only).
    pub realized: Option<(f64, f64)>,
    /// The columns a shift can change.
    pub columns: Vec<ShiftColumn>,
    /// Columns left out of the check because the model does not use them.
    pub ignored: Vec<String>,
    /// Milliseconds the worker took to read the checked file (0 for a copy of the test rows).
    pub parse_millis: f64,
    /// Milliseconds the worker took for the drift check itself.
    pub check_millis: f64,
}

/// The worker's answer to one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// The data set as the page shows it.
    Loaded(DataSummary),
    /// The validation report, worst findings first.
    Validated(Vec<FindingView>),
    /// A trained model: its bundle is attached, with its digest, what the page shows of it, the
    /// training time here and the core's time per stage.
    Trained { millis: f64, stages: tabml::Durations, digest: String, view: Box<ModelView> },
    /// What the page shows of an opened bundle, and its digest.
    Opened { digest: String, view: Box<ModelView> },
    /// Rows of the data set from `start`, `None` for a missing cell.
    Rows { start: usize, rows: Vec<Vec<Option<String>>> },
    /// The split a training would use.
    Split(tabml::SplitPreview),
    /// What [`Request::Explain`] measured.
    Explained(Box<Explanation>),
    /// What [`Request::Monitor`] found.
    Monitored(Box<MonitorView>),
    /// The request could not be done; the message says why and where.
    Failed(String),
}

/// A model as the page shows it: everything in its bundle except what only scoring needs (the
/// fitted estimators, the preparation's fitted values, the schema and the reference profile).
///
/// Decoding a whole bundle takes longer than a frame for a large forest (840,000 nodes on the
/// 100,000-row benchmark set), so the worker decodes bundles and the page only ever decodes this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelView {
    /// The tabml version that wrote the bundle.
    pub tabml_version: String,
    /// The model family.
    pub model: ModelKind,
    /// Its hyperparameters, every one resolved.
    pub params: Params,
    /// The column it predicts.
    pub target: String,
    /// Classification (with its classes) or regression.
    pub task: Task,
    /// The columns the preparation used.
    pub inputs: usize,
    /// The model's input features, after preparation.
    pub feature_names: Vec<String>,
    /// The columns the preparation left out, with why.
    pub skipped: Vec<SkippedColumn>,
    /// One line on the fitted estimator (`Estimator::summary`).
    pub estimator: String,
    /// The split, seed, fingerprints and search of the training.
    pub training: TrainingInfo,
    /// The test-set evaluation, if rows were held back, with its curves thinned for drawing.
    pub evaluation: Option<Evaluation>,
    /// The problem card stored with the model.
    pub card: ProblemCard,
}

impl ModelView {
    /// What the page shows of `bundle`.
    pub fn of(bundle: &ModelBundle) -> Self {
        Self {
            tabml_version: bundle.tabml_version.clone(),
            model: bundle.model,
            params: bundle.params.clone(),
            target: bundle.target.clone(),
            task: bundle.task.clone(),
            inputs: bundle.prep.inputs.len(),
            feature_names: bundle.feature_names.clone(),
            skipped: bundle.prep.skipped.clone(),
            estimator: bundle.estimator.summary(),
            training: bundle.training.clone(),
            evaluation: bundle.evaluation.as_ref().map(for_charts),
            card: bundle.card.clone(),
        }
    }
}

/// Steps between the points of a curve the page draws: under a pixel on its charts.
const CURVE_STEP: f64 = 1e-3;

/// `evaluation` with its ROC and precision–recall curves thinned for drawing (tens of thousands of
/// points become at most a couple of thousand); the bundle keeps every point.
fn for_charts(evaluation: &Evaluation) -> Evaluation {
    let mut evaluation = evaluation.clone();
    if let Evaluation::Classification(report) = &mut evaluation {
        if let Some(curves) = &mut report.curves {
            curves.roc = curves.roc.as_ref().map(|c| c.thinned(CURVE_STEP));
            curves.pr = curves.pr.as_ref().map(|c| c.thinned(CURVE_STEP));
        }
    }
    evaluation
}

/// Measures of a trained model beyond its headline metrics, on its test rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Test rows measured.
    pub n_rows: usize,
    /// Per group, with the gaps between groups, when a group column was given.
    pub groups: Option<tabml::metrics::GroupReport>,
    /// How much the score drops when each input column is shuffled, most important first.
    pub importance: Vec<tabml::ColumnImportance>,
    /// Mean microseconds to score one test row from its raw cells, timed over whole batches: a
    /// browser's clock is too coarse (0.1 ms or worse) to time single rows.
    pub micros_per_row: f64,
}

/// One validation finding as the page shows it (the report's own type is tagged for JSON, which
/// postcard does not encode).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingView {
    /// How much it matters.
    pub severity: Severity,
    /// The column it is about, if one.
    pub column: Option<String>,
    /// What was found.
    pub message: String,
    /// What it means and what to do.
    pub advice: String,
}

impl FindingView {
    /// The findings of `report`, in its order.
    pub fn all(report: &ValidationReport) -> Vec<Self> {
        report
            .findings
            .iter()
            .map(|f| Self {
                severity: f.severity(),
                column: f.column().map(str::to_owned),
                message: f.message(),
                advice: f.advice().to_owned(),
            })
            .collect()
    }
}

/// A message from the page to the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToWorker {
    /// Chosen by the page; the reply and progress carry it back.
    pub id: u64,
    /// What to do.
    pub request: Request,
}

/// A message from the worker to the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToPage {
    /// The worker is listening (sent once, after it has started).
    Ready,
    /// How far request `id` is, in `[0, 1]`.
    Progress { id: u64, fraction: f64 },
    /// A search trial of request `id` finished.
    Trial { id: u64, trial: Trial },
    /// The answer to request `id`.
    Reply { id: u64, reply: Reply },
}

/// One column as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnInfo {
    /// The header name.
    pub name: String,
    /// The inferred or chosen type.
    pub kind: ColumnKind,
    /// Missing cells.
    pub missing: usize,
    /// Distinct present values.
    pub distinct: usize,
    /// What predicting this column would be, or why it cannot be a target.
    pub as_target: Result<Task, String>,
    /// Which kinds the column's values allow (every kind it could be switched to).
    pub possible_kinds: Vec<ColumnKind>,
}

/// The loaded data set as the page shows it: everything but the cells, and the first rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSummary {
    /// Where it came from.
    pub name: String,
    /// Data rows.
    pub n_rows: usize,
    /// The columns, in file order.
    pub columns: Vec<ColumnInfo>,
    /// The first [`PREVIEW_ROWS`] rows, `None` for a missing cell.
    pub preview: Vec<Vec<Option<String>>>,
    /// Milliseconds the worker took to parse the file (for the benchmark).
    pub parse_millis: f64,
}

impl DataSummary {
    /// Summarises `table`.
    pub fn of(name: &str, table: &Table) -> Self {
        let columns = table
            .columns
            .iter()
            .map(|c| ColumnInfo {
                name: c.name.clone(),
                kind: c.kind,
                missing: c.missing_count(),
                distinct: c.distinct_count(),
                as_target: Task::for_target(c).map_err(|e| e.to_string()),
                possible_kinds: ColumnKind::ALL
                    .into_iter()
                    .filter(|&k| table.check_kind(&c.name, k).is_ok())
                    .collect(),
            })
            .collect();
        let preview = (0..table.n_rows.min(PREVIEW_ROWS))
            .map(|r| table.columns.iter().map(|c| c.cell(r).map(str::to_owned)).collect())
            .collect();
        Self { name: name.to_owned(), n_rows: table.n_rows, columns, preview, parse_millis: 0.0 }
    }

    /// The column with this name.
    pub fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// The worker's state: the data set it holds, and the work it does on it.
#[derive(Debug, Default)]
pub struct Engine {
    data: Option<(String, Table)>,
    /// The last model trained here, by digest, with its test rows.
    last: Option<(String, ModelBundle, Vec<usize>)>,
}

/// Permutation-importance repeats per column in [`Request::Explain`].
const IMPORTANCE_REPEATS: usize = 3;
/// Batches of test rows are scored for at least this many milliseconds to time them.
const TIMING_MS: f64 = 50.0;

impl Engine {
    /// Does one request. `payload` is the bytes attached to it (a CSV for [`Request::Load`]); the
    /// second part of the answer is the bytes to attach to the reply (a bundle for a trained model).
    /// `clock` gives milliseconds.
    pub fn handle(
        &mut self,
        request: Request,
        payload: Option<Vec<u8>>,
        progress: &mut Progress<'_>,
        clock: &dyn Fn() -> f64,
    ) -> (Reply, Option<Vec<u8>>) {
        match self.try_handle(request, payload, progress, clock) {
            Ok(answer) => answer,
            Err(message) => (Reply::Failed(message), None),
        }
    }

    fn try_handle(
        &mut self,
        request: Request,
        payload: Option<Vec<u8>>,
        progress: &mut Progress<'_>,
        clock: &dyn Fn() -> f64,
    ) -> Result<(Reply, Option<Vec<u8>>), String> {
        match request {
            Request::Load { name } => {
                let bytes = payload.ok_or("no file came with the request")?;
                // A file that does not parse leaves the data set that was loaded before in place.
                let started = clock();
                let table = parse_csv(&bytes).map_err(|e| format!("{name}: {e}"))?;
                let parse_millis = clock() - started;
                let summary = DataSummary { parse_millis, ..DataSummary::of(&name, &table) };
                self.data = Some((name, table));
                Ok((Reply::Loaded(summary), None))
            }
            Request::SetKind { column, kind } => {
                let (name, table) = self.data_mut()?;
                table.set_kind(&column, kind).map_err(|e| e.to_string())?;
                Ok((Reply::Loaded(DataSummary::of(name, table)), None))
            }
            Request::Validate { target } => {
                let (_, table) = self.data()?;
                let options = ValidationOptions { target: Some(target), ..Default::default() };
                Ok((Reply::Validated(FindingView::all(&validate(table, &options))), None))
            }
            Request::Train { target, config } => {
                let (_, table) = self.data()?;
                let started = clock();
                let trained = train_with(table, &target, &config, progress, clock).map_err(|e| match e {
                    TabmlError::Cancelled => "Training was cancelled.".to_owned(),
                    e => e.to_string(),
                })?;
                let millis = clock() - started;
                let bytes = trained.bundle.encode();
                let digest = ModelBundle::digest_of(&bytes);
                let view = Box::new(ModelView::of(&trained.bundle));
                self.last = Some((digest.clone(), trained.bundle, trained.test_rows));
                Ok((Reply::Trained { millis, stages: trained.run.durations, digest, view }, Some(bytes)))
            }
            Request::Rows { start, count, columns: (from, to) } => {
                let (_, table) = self.data()?;
                let end = start.saturating_add(count).min(table.n_rows);
                let to = to.min(table.columns.len());
                let shown = &table.columns[from.min(to)..to];
                let rows = (start.min(end)..end)
                    .map(|r| shown.iter().map(|c| c.cell(r).map(str::to_owned)).collect())
                    .collect();
                Ok((Reply::Rows { start, rows }, None))
            }
            Request::PreviewSplit { target, test_fraction, seed } => {
                let (_, table) = self.data()?;
                let config = TrainConfig { test_fraction, seed, ..TrainConfig::new(tabml::ModelKind::Dummy) };
                let preview = tabml::preview_split(table, &target, &config).map_err(|e| e.to_string())?;
                Ok((Reply::Split(preview), None))
            }
            Request::Explain { digest, group } => {
                let (_, table) = self.data()?;
                let (_, bundle, test_rows) = self
                    .last
                    .as_ref()
                    .filter(|(d, _, _)| *d == digest)
                    .ok_or("this model was not trained in this tab since the page loaded: train it again to measure more")?;
                if test_rows.is_empty() {
                    return Err(
                        "the model trained on every row, so there are no test rows to measure on".into()
                    );
                }
                let options =
                    tabml::EvaluateOptions { group, importance_repeats: IMPORTANCE_REPEATS, latency_rows: 0 };
                let part = table.take_rows(test_rows);
                let report = tabml::evaluate(bundle, &part, &options, clock).map_err(|e| e.to_string())?;
                let explanation = Explanation {
                    n_rows: report.n_rows,
                    groups: report.groups,
                    importance: report.importance,
                    micros_per_row: micros_per_row(bundle, &part, clock),
                };
                Ok((Reply::Explained(Box::new(explanation)), None))
            }
            Request::Open { name } => {
                let bytes = payload.ok_or("no file came with the request")?;
                let bundle = ModelBundle::decode(&bytes).map_err(|e| format!("{name}: {e}"))?;
                let view = Box::new(ModelView::of(&bundle));
                Ok((Reply::Opened { digest: ModelBundle::digest_of(&bytes), view }, None))
            }
            Request::Monitor { digest, current } => {
                let (_, table) = self.data()?;
                let (_, bundle, test_rows) = self
                    .last
                    .as_ref()
                    .filter(|(d, _, _)| *d == digest)
                    .ok_or("this model was not trained in this tab since the page loaded: train it again to monitor it")?;
                let view = crate::monitor::check(bundle, table, test_rows, current, payload, clock)?;
                Ok((Reply::Monitored(Box::new(view)), None))
            }
            Request::DriftFile { name } => {
                let (_, reference) = self.data()?;
                let bytes = payload.ok_or("no file came with the request")?;
                let started = clock();
                let current = parse_csv(&bytes).map_err(|e| format!("{name}: {e}"))?;
                let parse_millis = clock() - started;
                let started = clock();
                let report =
                    tabml::drift::check_tables(reference, &current, &tabml::drift::DriftOptions::default())
                        .map_err(|e| format!("{name}: {e}"))?;
                let view = MonitorView {
                    rows: current.n_rows,
                    report,
                    test_rows: 0,
                    estimated: None,
                    realized: None,
                    columns: Vec::new(),
                    ignored: Vec::new(),
                    parse_millis,
                    check_millis: clock() - started,
                };
                Ok((Reply::Monitored(Box::new(view)), None))
            }
        }
    }

    fn data(&self) -> Result<&(String, Table), String> {
        self.data.as_ref().ok_or_else(|| "no data set is loaded".to_owned())
    }

    fn data_mut(&mut self) -> Result<(&String, &mut Table), String> {
        self.data.as_mut().map(|(n, t)| (&*n, t)).ok_or_else(|| "no data set is loaded".to_owned())
    }
}

/// Mean time to score one row of `table` from its raw cells (preparation and prediction), in
/// microseconds: whole batches are scored until [`TIMING_MS`] have passed.
fn micros_per_row(bundle: &ModelBundle, table: &Table, clock: &dyn Fn() -> f64) -> f64 {
    let rows: Vec<usize> = (0..table.n_rows).collect();
    let started = clock();
    let mut batches = 0usize;
    while batches == 0 || (clock() - started < TIMING_MS && batches < 1_000) {
        let x = bundle.prep.transform_matrix(table, &rows);
        std::hint::black_box(tabml::Predictions::of(&bundle.estimator, &x, &bundle.task));
        batches += 1;
    }
    (clock() - started) * 1000.0 / (batches * rows.len().max(1)) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iris() -> Vec<u8> {
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../public/data/iris.csv")).unwrap()
    }

    /// Runs one request; every reply must survive the trip to the page.
    fn run(engine: &mut Engine, request: Request, payload: Option<Vec<u8>>) -> (Reply, Option<Vec<u8>>) {
        let (reply, bytes) = engine.handle(request, payload, &mut Progress::none(), &|| 0.0);
        let message = ToPage::Reply { id: 1, reply: reply.clone() };
        let encoded = postcard::to_allocvec(&message).expect("every reply encodes");
        assert_eq!(postcard::from_bytes::<ToPage>(&encoded).unwrap(), message);
        (reply, bytes)
    }

    fn learner_support() -> Vec<u8> {
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../public/data/learner_support.csv")).unwrap()
    }

    #[test]
    fn loads_validates_trains_and_the_bundle_round_trips() {
        let mut engine = Engine::default();
        let (reply, _) = run(&mut engine, Request::Load { name: "iris".into() }, Some(iris()));
        let Reply::Loaded(summary) = reply else { panic!("{reply:?}") };
        assert_eq!((summary.n_rows, summary.columns.len(), summary.preview.len()), (150, 5, PREVIEW_ROWS));
        let species = summary.column("species").unwrap();
        assert!(matches!(&species.as_target, Ok(Task::Classification { classes }) if classes.len() == 3));
        assert_eq!(species.possible_kinds, [ColumnKind::Categorical, ColumnKind::Text]);

        let (reply, _) = run(&mut engine, Request::Validate { target: "species".into() }, None);
        assert!(matches!(reply, Reply::Validated(_)));
        let (reply, _) = run(&mut engine, Request::Rows { start: 148, count: 10, columns: (0, 99) }, None);
        let Reply::Rows { start: 148, rows } = reply else { panic!("{reply:?}") };
        assert_eq!(rows.len(), 2, "only two rows after row 148 of 150");
        assert_eq!(rows[1][4].as_deref(), Some("virginica"));
        // A page of a wide table's columns; a range past the end is empty, not a panic.
        let (reply, _) = run(&mut engine, Request::Rows { start: 0, count: 1, columns: (3, 5) }, None);
        assert_eq!(
            reply,
            Reply::Rows { start: 0, rows: vec![vec![Some("0.2".into()), Some("setosa".into())]] }
        );
        let (reply, _) = run(&mut engine, Request::Rows { start: 0, count: 1, columns: (9, 12) }, None);
        assert_eq!(reply, Reply::Rows { start: 0, rows: vec![vec![]] });
        let split = Request::PreviewSplit { target: "species".into(), test_fraction: 0.2, seed: 42 };
        let (reply, _) = run(&mut engine, split, None);
        let Reply::Split(split) = reply else { panic!("{reply:?}") };
        assert_eq!((split.train, split.test), (vec![40, 40, 40], vec![10, 10, 10]));

        // A set with findings of every common kind: they reach the page with their explanations.
        let mut support = Engine::default();
        run(&mut support, Request::Load { name: "learner support".into() }, Some(learner_support()));
        let (reply, _) = run(&mut support, Request::Validate { target: "needs_support".into() }, None);
        let Reply::Validated(findings) = reply else { panic!("{reply:?}") };
        let id = findings.iter().find(|f| f.column.as_deref() == Some("learner_id")).unwrap();
        assert!(id.message.contains("looks like an identifier") && !id.advice.is_empty(), "{id:?}");

        let config = TrainConfig::new(ModelKind::LogisticRegression);
        let mut seen = Vec::new();
        let mut callback = |f: f64| {
            seen.push(f);
            true
        };
        let (reply, bundle) = engine.handle(
            Request::Train { target: "species".into(), config: Box::new(config.clone()) },
            None,
            &mut Progress::new(&mut callback),
            &|| 0.0,
        );
        let Reply::Trained { digest, view, .. } = reply else { panic!("{reply:?}") };
        assert!(!seen.is_empty() && seen.windows(2).all(|w| w[0] <= w[1]));
        let bytes = bundle.unwrap();
        let trained = ModelBundle::decode(&bytes).unwrap();
        assert_eq!(digest, trained.digest(), "the digest sent beside the bytes is theirs");
        assert_eq!(*view, ModelView::of(&trained), "the view describes the bundle sent");
        assert_eq!(view.estimator, trained.estimator.summary());
        let table = parse_csv(&iris()).unwrap();
        let native = tabml::train(&table, "species", &config).unwrap();
        assert_eq!(trained.digest(), native.bundle.digest());

        // The same bytes opened again (a file, or a run saved in the browser) give the same view;
        // bytes that are not a bundle say so, with the name they came under.
        let (reply, _) = run(&mut engine, Request::Open { name: "m.tabml".into() }, Some(bytes));
        assert_eq!(reply, Reply::Opened { digest: digest.clone(), view: view.clone() });
        let (reply, _) =
            run(&mut engine, Request::Open { name: "notes.txt".into() }, Some(b"hello".to_vec()));
        assert!(matches!(&reply, Reply::Failed(m) if m.starts_with("notes.txt: ")), "{reply:?}");
        let (reply, _) = run(&mut engine, Request::Open { name: "m.tabml".into() }, None);
        assert!(matches!(reply, Reply::Failed(_)));

        // More measures of that model on its 30 test rows; another model's digest is refused.
        let explain = Request::Explain { digest: trained.digest(), group: Some("species".into()) };
        let (reply, _) = run(&mut engine, explain, None);
        let Reply::Explained(explanation) = reply else { panic!("{reply:?}") };
        assert_eq!(explanation.n_rows, 30);
        assert_eq!(explanation.importance.len(), 4);
        assert!(explanation.micros_per_row.is_finite() && explanation.micros_per_row >= 0.0);
        assert_eq!(explanation.groups.as_ref().map(|g| g.groups.len()), Some(3));
        let stale = Request::Explain { digest: "sha256:0".into(), group: None };
        assert!(matches!(run(&mut engine, stale, None).0, Reply::Failed(m) if m.contains("train it again")));
    }

    #[test]
    fn a_bad_file_keeps_the_data_set_and_says_where() {
        let mut engine = Engine::default();
        run(&mut engine, Request::Load { name: "iris".into() }, Some(iris()));
        let (reply, _) =
            run(&mut engine, Request::Load { name: "broken.csv".into() }, Some(b"a,b\n1,2\n3\n".to_vec()));
        assert_eq!(
            reply,
            Reply::Failed("broken.csv: line 3: expected 2 fields (as in the header) but found 1".into())
        );
        let (reply, _) = run(&mut engine, Request::Validate { target: "species".into() }, None);
        assert!(matches!(reply, Reply::Validated(_)), "iris is still loaded");
    }

    #[test]
    fn a_kind_change_is_checked_and_training_can_be_cancelled() {
        let mut engine = Engine::default();
        run(&mut engine, Request::Load { name: "iris".into() }, Some(iris()));
        let (reply, _) =
            run(&mut engine, Request::SetKind { column: "species".into(), kind: ColumnKind::Numeric }, None);
        assert!(matches!(&reply, Reply::Failed(m) if m.contains("cannot be read as numeric")), "{reply:?}");
        let (reply, _) = run(
            &mut engine,
            Request::SetKind { column: "petal_width".into(), kind: ColumnKind::Categorical },
            None,
        );
        let Reply::Loaded(summary) = reply else { panic!("{reply:?}") };
        assert_eq!(summary.column("petal_width").unwrap().kind, ColumnKind::Categorical);

        let mut stop = |_: f64| false;
        let (reply, bundle) = engine.handle(
            Request::Train {
                target: "species".into(),
                config: Box::new(TrainConfig::new(ModelKind::RandomForest)),
            },
            None,
            &mut Progress::new(&mut stop),
            &|| 0.0,
        );
        assert_eq!((reply, bundle), (Reply::Failed("Training was cancelled.".into()), None));
    }

    #[test]
    fn messages_round_trip_as_postcard() {
        let message = ToWorker {
            id: 7,
            request: Request::Train {
                target: "y".into(),
                config: Box::new(TrainConfig::new(ModelKind::KNearestNeighbours)),
            },
        };
        let bytes = postcard::to_allocvec(&message).unwrap();
        assert_eq!(postcard::from_bytes::<ToWorker>(&bytes).unwrap(), message);
    }
}
