//! The messages between the page and its Web Worker, and the worker's side of the work.
//!
//! The page never parses, validates or trains itself: it sends a [`Request`] and gets a [`Reply`],
//! with [`ToPage::Progress`] messages in between. Messages are postcard bytes; a CSV file (to the
//! worker) or a model bundle (from it) travels beside the message as a second byte array, so it is
//! moved, never re-encoded. The worker's state and logic, `Engine`, is in `engine.rs`.
//!
//! [`ModelView`] is what the page shows of a bundle: everything but the fitted estimators, the
//! preparation's fitted values, the schema and the profile. The page never decodes a bundle,
//! because a large forest takes longer than a frame to decode: the worker sends a `ModelView`
//! beside every trained bundle's bytes (`Reply::Trained`) and reads the bundles the page holds with
//! `Request::Open`. `FindingView` exists because the validation report's JSON-tagged enum does not
//! encode as postcard.

use serde::{Deserialize, Serialize};
use tabml::{
    ColumnKind, Evaluation, ModelBundle, ModelKind, Params, ProblemCard, Severity, SkippedColumn, Table,
    Task, TrainConfig, TrainingInfo, Trial, ValidationReport,
};

/// Rows of the data set copied into the summary for the preview table.
pub const PREVIEW_ROWS: usize = 8;

/// Cells of some rows, row by row; `None` for a missing cell.
pub type RowCells = Vec<Vec<Option<String>>>;

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
    /// Keep the attached bundle (from `name`) as the Score page's model, and describe its form.
    ScoreWith { name: String },
    /// Score one row (cells by input column) with the Score page's model `digest`.
    ScoreRow { digest: String, cells: Vec<(String, String)> },
    /// Score the attached CSV file `name` with the Score page's model `digest`. Prediction ids are
    /// made from the version (0 when not reporting) and `run`; with `report`, the events too.
    ScoreFile { digest: String, name: String, run: String, report: Option<ReportTo> },
    /// The last scored file's predictions again, with the key column `key` copied in.
    PredictionsCsv { digest: String, key: Option<String> },
    /// Read the attached CSV `name` of `prediction_id,label` into label events for `model`, whose
    /// `version` (for ids that do not name theirs) is a classifier or not.
    Labels { name: String, model: String, version: u32, classification: bool, at_ms: i64 },
}

/// Where the predictions of a scored file are reported: a registered model's version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportTo {
    /// The registered model.
    pub model: String,
    /// Its version.
    pub version: u32,
    /// When (the page's clock, Unix milliseconds).
    pub at_ms: i64,
    /// Whether each prediction event carries its input row (the learner's choice).
    pub include_inputs: bool,
}

/// The Score page's model, as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreSetup {
    /// Its bundle's digest.
    pub digest: String,
    /// What the page shows of it.
    pub view: Box<ModelView>,
    /// One field per input column.
    pub form: Vec<FormField>,
}

/// One field of the one-row form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormField {
    /// The input column.
    pub name: String,
    /// Its type in training.
    pub column_kind: ColumnKind,
    /// How it is entered.
    pub kind: FieldKind,
    /// What values training saw, in words.
    pub hint: String,
    /// The value it starts at: the training mean, or the commonest value.
    pub typical: String,
}

/// How a field is entered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FieldKind {
    /// A number; its training range (NaN when unknown) and step (1 for integers, 0 for any).
    Number { min: f64, max: f64, step: f64 },
    /// One of the training values, commonest first.
    Choice(Vec<String>),
    /// Free text (dates, text).
    Text,
}

/// One row, scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowScore {
    /// The predicted class or value; `None` when the row could not be scored.
    pub prediction: Option<String>,
    /// Each class's probability (classifiers).
    pub probabilities: Vec<(String, f64)>,
    /// Why the row could not be scored, naming the field.
    pub problem: Option<String>,
    /// The features that moved this prediction most.
    pub explanation: Option<tabml::RowExplanation>,
    /// Milliseconds the worker took.
    pub millis: f64,
}

/// A scored file, as the page shows it (the predictions CSV travels beside it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileScore {
    /// The file's name.
    pub name: String,
    /// Data rows.
    pub rows: usize,
    /// Rows scored.
    pub scored: usize,
    /// The first problems, each naming its line and column.
    pub problems: Vec<String>,
    /// All problems.
    pub problem_count: usize,
    /// Rows not scored.
    pub unscored: usize,
    /// The file's columns the model does not read, any of which may be copied in as the key.
    pub key_columns: Vec<String>,
    /// The key column copied into the predictions, if one was chosen (or guessed from its name).
    pub key: Option<String>,
    /// Rows per predicted class (classifiers).
    pub counts: Vec<(String, usize)>,
    /// The monitoring events to send, each as its id and JSON (empty when not reporting).
    pub events: Vec<(String, String)>,
    /// The scored rows against the model's training rows (none when no row was scored; the error
    /// when they share no column to check).
    pub drift: Option<Result<tabml::drift::DriftReport, String>>,
    /// Milliseconds for everything: reading, scoring, writing.
    pub millis: f64,
    /// Milliseconds of the scoring alone.
    pub score_millis: f64,
}

/// A labels file, read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelsRead {
    /// The file's name.
    pub name: String,
    /// Data rows.
    pub rows: usize,
    /// Label events made.
    pub labels: usize,
    /// The first rows that made none, by line.
    pub problems: Vec<String>,
    /// All such rows.
    pub problem_count: usize,
    /// The events, each as its id and JSON.
    pub events: Vec<(String, String)>,
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
    Rows { start: usize, rows: RowCells },
    /// The split a training would use.
    Split(tabml::SplitPreview),
    /// What [`Request::Explain`] measured.
    Explained(Box<Explanation>),
    /// What [`Request::Monitor`] found.
    Monitored(Box<MonitorView>),
    /// The Score page's model, kept.
    ScoringWith(Box<ScoreSetup>),
    /// One row, scored.
    ScoredRow(Box<RowScore>),
    /// A file, scored; its predictions CSV is attached.
    ScoredFile(Box<FileScore>),
    /// The predictions CSV, attached.
    Predictions,
    /// A labels file, read.
    LabelsRead(Box<LabelsRead>),
    /// The request could not be done; the message says why and where.
    Failed(String),
}

impl Reply {
    /// The reply's kind, in words, for the message about a reply of the wrong kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Loaded(_) => "a data set",
            Self::Validated(_) => "validation findings",
            Self::Trained { .. } => "a trained model",
            Self::Opened { .. } => "an opened model",
            Self::Rows { .. } => "rows",
            Self::Split(_) => "a split",
            Self::Explained(_) => "an explanation",
            Self::Monitored(_) => "a drift check",
            Self::ScoringWith(_) => "a model to score with",
            Self::ScoredRow(_) => "a scored row",
            Self::ScoredFile(_) => "a scored file",
            Self::Predictions => "predictions",
            Self::LabelsRead(_) => "labels",
            Self::Failed(_) => "a failure",
        }
    }
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
    pub as_target: Result<Task, NotATarget>,
    /// Which kinds the column's values allow (every kind it could be switched to).
    pub possible_kinds: Vec<ColumnKind>,
}

/// Why a column cannot be the target: the core's reason, as text (its error type does not travel
/// between the worker and the page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{0}")]
pub struct NotATarget(pub String);

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
                as_target: Task::for_target(c).map_err(|e| NotATarget(e.to_string())),
                possible_kinds: ColumnKind::ALL
                    .into_iter()
                    .filter(|&k| table.check_kind(&c.name, k).is_ok())
                    .collect(),
            })
            .collect();
        let preview = (0..table.n_rows.min(PREVIEW_ROWS))
            .map(|r| table.columns.iter().map(|c| c.text(r).map(|t| t.into_owned())).collect())
            .collect();
        Self { name: name.to_owned(), n_rows: table.n_rows, columns, preview, parse_millis: 0.0 }
    }

    /// The column with this name.
    pub fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.columns.iter().find(|c| c.name == name)
    }
}
