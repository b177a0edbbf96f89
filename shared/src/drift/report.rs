//! The report of a drift check: each column's verdict, explained, both sides binned for a plot,
//! and the data checks beside drift.

use super::{DriftKind, DriftTest};
use serde::{Deserialize, Serialize};

/// The binned distributions of both sides, for a plot: shares of each side's rows per bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Bin edges (numeric bins: one more than the shares), or empty when bins are values.
    pub edges: Vec<f64>,
    /// Each bin's value, when bins are values (categories, or numbers with few values).
    pub labels: Vec<String>,
    /// The reference's share of rows per bin.
    pub reference: Vec<f64>,
    /// The current data's share of rows per bin.
    pub current: Vec<f64>,
}

/// One column's verdict, explained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDrift {
    /// The column.
    pub column: String,
    /// How it was treated.
    pub kind: DriftKind,
    /// The test used.
    pub test: DriftTest,
    /// Why this test: the reference size, distinct values and type that chose it, or the override.
    pub reason: String,
    /// The test's statistic (KS's D, chi-square's χ², z, or the distance). Infinite for a
    /// chi-square where the current data has a value the reference never had.
    pub statistic: f64,
    /// The p-value, for tests that have one.
    pub p_value: Option<f64>,
    /// The threshold the p-value (or the distance) was held against.
    pub threshold: f64,
    /// Whether the column drifted.
    pub drift: bool,
    /// Present values in the reference.
    pub reference_rows: u64,
    /// Present values in the current data.
    pub current_rows: u64,
    /// Distinct values over both sides, when known (a profile keeps them up to a limit).
    pub distinct: Option<usize>,
    /// Both sides binned, for a plot.
    pub distribution: Distribution,
}

impl ColumnDrift {
    /// The number held against the threshold: the p-value, or the statistic.
    pub fn value(&self) -> f64 {
        self.p_value.unwrap_or(self.statistic)
    }
}

/// A data check beside drift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataCheck {
    /// The share of missing values changed by 5 points or more.
    MissingRate {
        /// The column.
        column: String,
        /// Share missing in the reference.
        reference: f64,
        /// Share missing in the current data.
        current: f64,
    },
    /// Values the reference never had.
    NewCategories {
        /// The column.
        column: String,
        /// Up to ten of the new values, most frequent first, with their counts.
        examples: Vec<(String, u64)>,
        /// Current rows holding a new value.
        rows: u64,
    },
    /// Numbers outside the reference's range.
    OutOfRange {
        /// The column.
        column: String,
        /// The reference's smallest value.
        min: f64,
        /// The reference's largest value.
        max: f64,
        /// Current values below `min`.
        below: u64,
        /// Current values above `max`.
        above: u64,
    },
    /// The newest timestamp of the current data.
    Freshness {
        /// The column.
        column: String,
        /// The newest value, as written.
        newest: String,
        /// Its age in seconds at [`DriftOptions::now`](super::DriftOptions::now), if given.
        age_seconds: Option<f64>,
    },
    /// A column only one side has.
    OnlyOnOneSide {
        /// The column.
        column: String,
        /// `reference` or `current`.
        side: String,
    },
    /// The model could not score the current data, so its predictions were not checked.
    NotScored {
        /// Why.
        reason: String,
    },
    /// A column with no value on one side, so no test ran.
    Empty {
        /// The column.
        column: String,
        /// `reference` or `current`.
        side: String,
    },
}

impl std::fmt::Display for DataCheck {
    /// One line for people, as the command line and the Monitor step show it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataCheck::MissingRate { column, reference, current } => write!(
                f,
                "{column}: missing values {:.1}% in the reference, {:.1}% now",
                reference * 100.0,
                current * 100.0
            ),
            DataCheck::NewCategories { column, examples, rows } => {
                let shown: Vec<String> = examples.iter().map(|(v, n)| format!("{v:?} ({n})")).collect();
                write!(f, "{column}: {rows} rows with values the reference never had: {}", shown.join(", "))
            }
            DataCheck::OutOfRange { column, min, max, below, above } => write!(
                f,
                "{column}: {below} {} below the reference's smallest ({min}), {above} above its largest ({max})",
                if *below == 1 { "value" } else { "values" }
            ),
            DataCheck::Freshness { column, newest, age_seconds: Some(age) } => {
                write!(f, "{column}: newest row {newest}, {:.1} days old", age / 86_400.0)
            }
            DataCheck::Freshness { column, newest, age_seconds: None } => write!(f, "{column}: newest row {newest}"),
            DataCheck::OnlyOnOneSide { column, side } => write!(f, "{column}: only in the {side} data, not checked"),
            DataCheck::Empty { column, side } => write!(f, "{column}: no values in the {side} data, not checked"),
            DataCheck::NotScored { reason } => write!(f, "the model could not score the current data: {reason}"),
        }
    }
}

/// A drift report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    /// Whether the data set drifted: `drifted_share ≥ drift_share`.
    pub dataset_drift: bool,
    /// The share of tested columns that drifted.
    pub drifted_share: f64,
    /// The share at which the data set drifts.
    pub drift_share: f64,
    /// Rows in the reference.
    pub reference_rows: u64,
    /// Rows in the current data.
    pub current_rows: u64,
    /// Every tested column, in the current data's order.
    pub columns: Vec<ColumnDrift>,
    /// The model's outputs against its outputs on its training rows (drift against a model only;
    /// not counted in the data-set verdict).
    pub predictions: Vec<ColumnDrift>,
    /// Data checks (missing rates, new categories, range, freshness, columns not tested).
    pub checks: Vec<DataCheck>,
}
