//! tabml: the core of the tabml lifecycle tool.
//!
//! Everything here runs the same natively (the `tabml` command line, the server) and in the browser
//! (wasm32): reading a CSV into a [`Table`], inferring column types, preparing features, splitting,
//! training, and measuring a model. The crate does no I/O: input arrives as `&str` or `&[u8]`, and
//! nothing here reads a clock, a file or the network.
//!
//! ```
//! use tabml::{parse_csv, train, ModelKind, TrainConfig};
//!
//! let mut csv = String::from("x,label\n");
//! for i in 0..40 {
//!     csv.push_str(&format!("{},{}\n", i, if i < 20 { "low" } else { "high" }));
//! }
//! let table = parse_csv(csv.as_bytes()).unwrap();
//! let trained = train(&table, "label", &TrainConfig::new(ModelKind::LogisticRegression)).unwrap();
//! assert!(trained.bundle.evaluation.unwrap().headline() > 0.9);
//! ```

pub mod api;
mod bundle;
mod csv_import;
mod dates;
pub mod drift;
mod error;
mod evaluation;
mod explain_row;
mod features;
mod fingerprint;
mod math;
pub mod metrics;
pub mod models;
mod problem;
mod rng;
mod scoring;
mod search;
mod split;
pub mod stats;
mod table;
mod task;
mod train;
mod validation;

pub use bundle::{Gate, ModelBundle, SchemaColumn, TrainingInfo, FORMAT_VERSION};
pub use csv_import::{parse_csv, CsvReader, MAX_BYTES as MAX_CSV_BYTES, MISSING_MARKERS};
pub use error::{BundleError, CsvError, EventError, SchemaError, TabmlError};
pub use evaluation::{
    evaluate, BinaryCurves, ClassificationMetrics, ClassificationReport, ColumnImportance, EvaluateOptions,
    Evaluation, EvaluationReport, Latency, Predictions, RegressionMetrics, RegressionReport,
};
pub use explain_row::{Contribution, ContributionMethod, RowExplanation};
pub use features::{FeaturePlan, Imputation, NumericChoice, PrepConfig, Scaling, SkippedColumn};
pub use fingerprint::{fingerprint, fingerprint_rows, hex};
pub use math::thousands;
pub use models::{ModelKind, ModelParams, Params, Progress};
pub use problem::{MissingField, ProblemCard};
pub use rng::SplitMix64;
pub use scoring::{
    drift_event, label_event, prediction_id, prediction_version, read_labels, EventContext, LabelRow,
    LabelRows, Outcome, RowProblem, ScoredBatch, MAX_LISTED_PROBLEMS,
};
pub use search::{SearchConfig, SearchMethod, SearchSummary, Trial};
pub use split::{k_fold, stratified_split, Split};
pub use table::{Column, ColumnKind, Table};
pub use task::{Task, TaskKind};
pub use train::{
    preview_split, train, train_with, DataFingerprints, Durations, Run, SplitPreview, TrainConfig, Trained,
};
pub use validation::{validate, DeclaredRange, Finding, Severity, ValidationOptions, ValidationReport};

/// The version of this library, recorded with every model and reported by the server.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
