//! Errors of the core, one enum per concern, each saying what went wrong and where.

use thiserror::Error;

/// A CSV file that could not be read into a table. Line numbers count from 1, as an editor shows them.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CsvError {
    /// The input holds no bytes at all (or only a byte-order mark and white space).
    #[error("the file is empty: expected a header row naming the columns")]
    Empty,
    /// The header row is there but no data row follows.
    #[error("the file has a header row but no data rows")]
    HeaderOnly,
    /// The bytes are not UTF-8 text.
    #[error("line {line}: the file is not UTF-8 text (invalid byte at offset {byte_offset}); save it as UTF-8 and try again")]
    NotUtf8 { line: u64, byte_offset: u64 },
    /// A header cell is blank.
    #[error("line 1, column {column}: the header has an empty column name")]
    EmptyColumnName { column: usize },
    /// Two header cells carry the same name.
    #[error("line 1, columns {first} and {second}: the column name {name:?} appears twice")]
    DuplicateColumn { name: String, first: usize, second: usize },
    /// A data row has a different number of fields than the header.
    #[error("line {line}: expected {expected} fields (as in the header) but found {found}")]
    RaggedRow { line: u64, expected: usize, found: usize },
    /// The file is larger than the reader handles.
    #[error("the file is {bytes} bytes; tabml reads CSV files of at most {max} bytes (4 GiB)")]
    TooLarge { bytes: u64, max: u64 },
    /// The CSV reader itself failed (for example, an unterminated quote).
    #[error("line {line}: {message}")]
    Malformed { line: u64, message: String },
}

/// Anything else the core can refuse: a bad choice of target, too little data, a model that would not fit.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TabmlError {
    /// The CSV could not be read.
    #[error(transparent)]
    Csv(#[from] CsvError),
    /// A drift check could not run as asked.
    #[error(transparent)]
    Drift(#[from] crate::drift::DriftError),
    /// No column has that name.
    #[error("there is no column named {0:?}")]
    UnknownColumn(String),
    /// Every value of the target column is missing.
    #[error("the target column {0:?} has no values")]
    EmptyTarget(String),
    /// A classification target with only one class left after dropping missing labels.
    #[error("the target column {column:?} has only one class ({class:?}); a classifier needs at least two")]
    SingleClass { column: String, class: String },
    /// A label column with so many distinct values that it is an identifier or free text, not classes.
    #[error("the target column {column:?} has {classes} different values; a classifier handles at most {max} classes (is it an identifier or free text?)")]
    TooManyClasses { column: String, classes: usize, max: usize },
    /// The chosen model cannot do the task the target implies.
    #[error("{model} cannot be used for {task}: pick one of {alternatives}")]
    ModelTaskMismatch { model: &'static str, task: &'static str, alternatives: String },
    /// Not enough rows to split into a training and a test part.
    #[error(
        "{rows} labelled rows are too few to split into training and test data (need at least {needed})"
    )]
    TooFewRows { rows: usize, needed: usize },
    /// A cross-validation fold count below 2.
    #[error("cross-validation needs at least 2 folds, got {0}")]
    BadFoldCount(usize),
    /// The split fraction is outside (0, 1).
    #[error("the test fraction must be between 0 and 1 (exclusive), got {0}")]
    BadTestFraction(f64),
    /// No column is usable as a feature after the target and skipped columns are set aside.
    #[error("no usable feature columns: every column other than the target is text, a date, or empty")]
    NoFeatures,
    /// The estimator failed inside the fitting library.
    #[error("training {model} failed: {message}")]
    Fit { model: &'static str, message: String },
    /// No model family has that short name.
    #[error("there is no model called {name:?}; pick one of: {known}")]
    UnknownModel { name: String, known: String },
    /// A hyperparameter the model family does not have.
    #[error("{model} has no hyperparameter {name:?}; it has: {known}")]
    UnknownParam { model: &'static str, name: String, known: String },
    /// A hyperparameter value outside what the model accepts.
    #[error("{model}: {name}={value} is not valid: expected {expected}")]
    BadParam { model: &'static str, name: String, value: String, expected: String },
    /// The caller cancelled the work through its progress callback.
    #[error("cancelled")]
    Cancelled,
    /// A search that cannot run as asked (no searchable hyperparameter, zero trials, …).
    #[error("cannot search: {0}")]
    BadSearch(String),
    /// A column's type overridden to a kind one of its values cannot be read as.
    #[error("line {line}, column {column:?}: {value:?} cannot be read as {kind}, so the column cannot be made {kind}")]
    BadKind { column: String, kind: &'static str, line: u64, value: String },
    /// Per-group metrics asked of a regressor.
    #[error("per-group metrics (for column {0:?}) need a classifier: the gaps compare selection and true positive rates")]
    GroupNeedsClassifier(String),
    /// A target forced to regression that is not numeric.
    #[error("the target column {0:?} is not numeric, so it cannot be a regression target")]
    NotNumericTarget(String),
    /// A row asked for by its index that the data does not have.
    #[error("there is no row {row} (rows count from 0): the data has {rows} row(s)")]
    NoSuchRow { row: usize, rows: usize },
    /// A model bundle that cannot be read.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// Data that does not match what the model was trained on.
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// A model bundle that cannot be read. A reader never guesses: it names what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BundleError {
    /// The bytes do not start with the bundle signature.
    #[error("this is not a tabml model bundle (it does not start with the TABMLBND signature)")]
    NotABundle,
    /// Written by a newer (or unknown) format.
    #[error("the bundle uses format version {found}, but this tabml ({tabml}) reads only version {supported}; upgrade tabml to read it")]
    UnknownVersion { found: u16, supported: u16, tabml: &'static str },
    /// Fewer bytes than the header promises.
    #[error("the bundle is truncated: expected {expected} bytes, found {found}")]
    Truncated { expected: u64, found: u64 },
    /// More bytes than the header promises.
    #[error("the bundle has {extra} unexpected bytes after its end")]
    TrailingBytes { extra: u64 },
    /// Bytes after the bundle inside its checksummed content.
    #[error("the bundle's content is followed by {extra} unexpected byte(s) inside its checksum")]
    TrailingPayload { extra: u64 },
    /// The checksum does not match the content.
    #[error("the bundle is corrupted: its SHA-256 checksum does not match its content")]
    ChecksumMismatch,
    /// The checksum matched but the content does not decode (a writer bug, not disk damage).
    #[error("the bundle content cannot be decoded: {0}")]
    Undecodable(String),
}

/// Data to score that does not fit the model's input schema.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SchemaError {
    /// A column the model needs is absent.
    #[error("the data has no column {column:?}, which the model needs (it was trained on: {expected})")]
    MissingColumn { column: String, expected: String },
    /// A numeric column holds a value that is not a number.
    #[error("line {line}, column {column:?}: {value:?} is not a number, but the model was trained on numbers in this column")]
    NotANumber { line: u64, column: String, value: String },
    /// A boolean column holds a value that is not a boolean.
    #[error("line {line}, column {column:?}: {value:?} is not true/false, but the model was trained on booleans in this column")]
    NotABoolean { line: u64, column: String, value: String },
    /// A date column holds a value that is not a date.
    #[error("line {line}, column {column:?}: {value:?} is not a date, but the model was trained on dates in this column")]
    NotADate { line: u64, column: String, value: String },
    /// The target column holds a label the model has never seen.
    #[error("line {line}, column {column:?}: the label {value:?} is not one of the classes the model knows ({classes})")]
    UnknownLabel { line: u64, column: String, value: String, classes: String },
}

/// A monitoring event that does not carry what its kind needs (see `tabml::api::Event`).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EventError {
    /// A field the kind needs is absent.
    #[error("a {kind} event needs `{field}`")]
    Missing { kind: &'static str, field: &'static str },
    /// A field that would make the event mean two things (a prediction's label, a label's output).
    #[error("a {kind} event has no `{field}`")]
    Unexpected { kind: &'static str, field: &'static str },
    /// A scoring time outside what a client could have measured.
    #[error("latency_ms {0}: expected 0 to 3,600,000")]
    Latency(f64),
    /// A class probability outside 0 to 1.
    #[error("probabilities: each must be between 0 and 1")]
    Probabilities,
    /// A profile that does not read as a `DataProfile`.
    #[error("profile: not a tabml data profile ({0})")]
    NotAProfile(String),
    /// A profile that reads, but that no profiling could have made.
    #[error("profile: {0}")]
    Profile(#[from] crate::drift::ProfileError),
}
