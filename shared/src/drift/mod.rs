//! Drift checks compatible with Evidently's defaults (docs/DESIGN.md, "Drift"): per column the test
//! Evidently's `DataDriftPreset` would choose, computed as SciPy computes it, the data-set verdict
//! from the share of drifted columns, and the data checks a monitor wants beside drift (missing
//! rates, new categories, values out of range, freshness).
//!
//! Each side of a column is a [`Side`]: its values, or a summary of them from a profile.
//! `shared/tests/drift_vs_evidently.rs` checks the verdicts against Evidently on the fixture pairs.
//!
//! Where tabml does not follow Evidently, on purpose:
//! - Text columns (more than half the values distinct): Evidently trains a classifier to tell the
//!   two sides' words apart; tabml compares their values as categories.
//! - Date columns: pandas reads them from a CSV file as text, so Evidently tests them as text or
//!   categories; tabml leaves them out of drift and reports the age of the newest one instead.
//! - ±inf in a column of numbers is always missing in tabml (the reader makes it so). Evidently
//!   0.7.23 drops infinities only from a column that also has a missing value (it cleans a column
//!   when `isna().any()`, which infinities do not set); otherwise it tests them as values, and its
//!   histograms and distances fail. The `*_infinities` fixture pairs give those columns a missing
//!   value too, so Evidently takes the path it intends, and match it.
//!
//! The entry points: [`check_tables`] (two tables, as Evidently on two files),
//! [`check_against_profile`] (a table against a reference profile), [`check_profiles`] (a current
//! profile, merged from many batches, against a reference one), and [`check_model`] /
//! [`check_scored`] (a bundle's profile, plus the model's predictions on the current rows against
//! its predictions on its training rows). [`default_test`] picks each column's test and says why;
//! [`DriftOptions`] sets a test or threshold per column.

mod binning;
mod performance;
mod profile;
mod profile_check;

pub use performance::{
    estimate_performance, performance_windows, realized_performance, Calibration, CbpeReference, Estimate,
    Isotonic, PerformanceEstimate, PerformanceWindow, PredictionRecord,
};

pub use profile::{
    prediction_table, ColumnProfile, DataProfile, LabelCounts, NumericSketch, ProfileError, COMPRESSION,
    EXACT_VALUES, MAX_CATEGORIES, OTHER_VALUES,
};
pub use profile_check::{MAX_CENTROIDS, MAX_LABEL_BYTES, MAX_PROFILE_COLUMNS, MAX_PROFILE_OUTPUTS};

use crate::stats;
use crate::table::{ColumnKind, Table};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A drift test, named as Evidently's registry names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftTest {
    /// Two-sample Kolmogorov–Smirnov (`ks`): drift when p ≤ threshold.
    Ks,
    /// Pearson's chi-square on category counts (`chisquare`): drift when p < threshold.
    #[serde(rename = "chisquare")]
    ChiSquare,
    /// Two-proportion z-test (`z`): drift when p < threshold.
    Z,
    /// Wasserstein distance over the reference's standard deviation (`wasserstein`).
    Wasserstein,
    /// Jensen–Shannon distance of the binned distributions (`jensenshannon`).
    #[serde(rename = "jensenshannon")]
    JensenShannon,
    /// Population stability index (`psi`).
    Psi,
    /// Kullback–Leibler divergence of reference from current (`kl_div`).
    KlDiv,
    /// Hellinger distance (`hellinger`).
    Hellinger,
}

impl DriftTest {
    /// Every test.
    pub const ALL: [DriftTest; 8] = [
        DriftTest::Ks,
        DriftTest::ChiSquare,
        DriftTest::Z,
        DriftTest::Wasserstein,
        DriftTest::JensenShannon,
        DriftTest::Psi,
        DriftTest::KlDiv,
        DriftTest::Hellinger,
    ];

    /// The name used on the command line and in JSON (Evidently's).
    pub fn name(self) -> &'static str {
        match self {
            DriftTest::Ks => "ks",
            DriftTest::ChiSquare => "chisquare",
            DriftTest::Z => "z",
            DriftTest::Wasserstein => "wasserstein",
            DriftTest::JensenShannon => "jensenshannon",
            DriftTest::Psi => "psi",
            DriftTest::KlDiv => "kl_div",
            DriftTest::Hellinger => "hellinger",
        }
    }

    /// A name for people.
    pub fn label(self) -> &'static str {
        match self {
            DriftTest::Ks => "Kolmogorov–Smirnov test",
            DriftTest::ChiSquare => "chi-square test",
            DriftTest::Z => "two-proportion z-test",
            DriftTest::Wasserstein => "Wasserstein distance (normed)",
            DriftTest::JensenShannon => "Jensen–Shannon distance",
            DriftTest::Psi => "population stability index",
            DriftTest::KlDiv => "Kullback–Leibler divergence",
            DriftTest::Hellinger => "Hellinger distance",
        }
    }

    /// The test named `name` (as [`DriftTest::name`] gives it).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Evidently's default threshold: 0.05 on the p-value, 0.1 on a distance.
    pub fn default_threshold(self) -> f64 {
        if self.has_p_value() {
            0.05
        } else {
            0.1
        }
    }

    /// Whether the threshold applies to a p-value (otherwise to the statistic, a distance).
    pub fn has_p_value(self) -> bool {
        matches!(self, DriftTest::Ks | DriftTest::ChiSquare | DriftTest::Z)
    }

    /// Whether the test needs numbers (the others take categories too).
    pub fn needs_numbers(self) -> bool {
        matches!(self, DriftTest::Ks | DriftTest::Wasserstein)
    }

    fn drifted(self, value: f64, threshold: f64) -> bool {
        match self {
            DriftTest::Ks => value <= threshold,
            DriftTest::ChiSquare | DriftTest::Z => value < threshold,
            _ => value >= threshold,
        }
    }
}

/// How a column is treated, as Evidently infers it from the current data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// Numbers compared as a distribution.
    Numeric,
    /// Values compared by their counts.
    Categorical,
    /// Free text: nearly every value differs. Compared by counts, as a category column.
    Text,
}

impl DriftKind {
    /// `numeric`, `categorical` or `text`.
    pub fn name(self) -> &'static str {
        match self {
            DriftKind::Numeric => "numeric",
            DriftKind::Categorical => "categorical",
            DriftKind::Text => "text",
        }
    }
}

/// Options for a drift check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftOptions {
    /// The data set drifts when at least this share of its columns drift (Evidently: 0.5).
    pub drift_share: f64,
    /// A test chosen for a column, instead of the default choice.
    pub tests: BTreeMap<String, DriftTest>,
    /// A threshold chosen for a column, instead of its test's default.
    pub thresholds: BTreeMap<String, f64>,
    /// Columns left out.
    pub ignore: BTreeSet<String>,
    /// Seconds since the Unix epoch, to say how old the newest timestamp is (`None`: not said).
    pub now: Option<f64>,
}

impl Default for DriftOptions {
    fn default() -> Self {
        Self {
            drift_share: 0.5,
            tests: BTreeMap::new(),
            thresholds: BTreeMap::new(),
            ignore: BTreeSet::new(),
            now: None,
        }
    }
}

/// What went wrong in a drift check.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DriftError {
    /// A column asked about is in neither file.
    #[error("column `{column}` is not in {side}")]
    UnknownColumn {
        /// The column.
        column: String,
        /// Which data lacks it.
        side: String,
    },
    /// A test that needs numbers was asked for a column without them.
    #[error("column `{column}`: the {test} test needs numbers, and this column is {kind}")]
    TestNeedsNumbers {
        /// The column.
        column: String,
        /// The test's name.
        test: &'static str,
        /// The column's kind.
        kind: &'static str,
    },
    /// A threshold that is not a finite number at least 0.
    #[error("column `{column}`: the threshold {threshold} is not a number at least 0")]
    BadThreshold {
        /// The column.
        column: String,
        /// The threshold given.
        threshold: f64,
    },
    /// The data-set share is outside (0, 1].
    #[error("the drift share {0} is not between 0 (excluded) and 1")]
    BadShare(f64),
    /// No column is in both data sets.
    #[error("the reference and the current data have no column in common")]
    NoCommonColumn,
}

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
        /// Its age in seconds at [`DriftOptions::now`], if given.
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

/// One side of one column, missing values and ±∞ removed.
#[derive(Debug, Clone, PartialEq)]
pub enum Side {
    /// Numbers, sorted; `weights` (same order) when each stands for several rows (a sketch).
    Numbers {
        /// Sorted values (or a sketch's centroids).
        values: Vec<f64>,
        /// Rows each value stands for; `None` when one each.
        weights: Option<Vec<f64>>,
        /// Whether every value was written as an integer (pandas reads the column as int64).
        integers: bool,
        /// The distinct values, sorted, when known.
        distinct: Option<Vec<f64>>,
        /// Rows with a value.
        rows: u64,
        /// The population standard deviation.
        std: f64,
    },
    /// Values by count.
    Labels {
        /// Rows per value.
        counts: BTreeMap<String, u64>,
    },
}

/// Canonical text of a number used as a category: `1` for 1.0, so that counts match by value.
fn number_label(v: f64) -> String {
    if v == 0.0 {
        "0".to_owned()
    } else {
        format!("{v}")
    }
}

impl Side {
    /// Rows with a value.
    pub fn rows(&self) -> u64 {
        match self {
            Side::Numbers { rows, .. } => *rows,
            Side::Labels { counts } => counts.values().sum(),
        }
    }

    /// Counts per value label (numbers by their canonical text). For a sketch whose distinct values
    /// are unknown, counts per centroid, which is only used where values are few and so exact.
    fn label_counts(&self) -> BTreeMap<String, f64> {
        match self {
            Side::Labels { counts } => counts.iter().map(|(k, &v)| (k.clone(), v as f64)).collect(),
            Side::Numbers { values, weights, .. } => {
                let mut counts = BTreeMap::new();
                for (i, &v) in values.iter().enumerate() {
                    let w = weights.as_ref().map_or(1.0, |w| w[i]);
                    *counts.entry(number_label(v)).or_insert(0.0) += w;
                }
                counts
            }
        }
    }
}

/// Whether every cell is present and written as an integer (`-12`, `+3`, `7`): what pandas reads as
/// an int64 column.
fn integer_cells<'a>(mut cells: impl Iterator<Item = Option<&'a str>>) -> bool {
    cells.all(|cell| {
        let Some(cell) = cell else { return false };
        let digits = cell.strip_prefix(['-', '+']).unwrap_or(cell);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Evidently's integer rule: an integer column with at most this many distinct values is a category.
pub const INTEGER_CATEGORY_LIMIT: usize = 10;

/// The distinct-value count over both sides: exact when both sides know their values.
fn distinct_over(reference: &Side, current: &Side) -> Option<usize> {
    match (reference, current) {
        (Side::Labels { counts: a }, Side::Labels { counts: b }) => {
            Some(a.keys().chain(b.keys()).collect::<BTreeSet<_>>().len())
        }
        (Side::Numbers { distinct: Some(a), .. }, Side::Numbers { distinct: Some(b), .. }) => {
            let mut all = merge_sorted(a, b);
            all.dedup();
            Some(all.len())
        }
        _ => None,
    }
}

/// The test Evidently's `DataDriftPreset` picks, and why.
pub fn default_test(kind: DriftKind, reference_rows: u64, distinct: Option<usize>) -> (DriftTest, String) {
    let many = |d: Option<usize>, limit: usize| d.is_none_or(|d| d > limit);
    let count = match distinct {
        Some(d) => format!("{} distinct values", crate::thousands(d as u64)),
        None => "many distinct values".to_owned(),
    };
    let small = reference_rows <= 1000;
    let size = format!(
        "{} reference rows ({})",
        crate::thousands(reference_rows),
        if small { "1,000 or fewer" } else { "over 1,000" }
    );
    let (test, why) = match (kind, small) {
        (DriftKind::Numeric, true) if many(distinct, 5) => {
            (DriftTest::Ks, format!("numeric, {count} (over 5)"))
        }
        (DriftKind::Numeric, false) if many(distinct, 5) => {
            (DriftTest::Wasserstein, format!("numeric, {count} (over 5)"))
        }
        (DriftKind::Numeric, false) => (DriftTest::JensenShannon, format!("numeric with only {count}")),
        (_, false) => (DriftTest::JensenShannon, format!("{}, {count}", kind.name())),
        (DriftKind::Numeric, true) if many(distinct, 2) => {
            (DriftTest::ChiSquare, format!("numeric with only {count} (3 to 5)"))
        }
        (_, true) if many(distinct, 2) => {
            (DriftTest::ChiSquare, format!("{}, {count} (over 2)", kind.name()))
        }
        (_, true) => (DriftTest::Z, format!("{}, {count} (2 or fewer)", kind.name())),
    };
    (test, format!("{why}; {size}: Evidently's default"))
}

/// What a test computed.
struct Outcome {
    statistic: f64,
    p_value: Option<f64>,
}

/// Both sides binned as Evidently bins them for JS, PSI and KL (`get_binned_data`): numeric
/// columns with more than 20 distinct reference values in Sturges bins over both sides, anything
/// else one bin per value. Returns counts, not shares.
fn binned(kind: DriftKind, reference: &Side, current: &Side) -> (Distribution, Vec<f64>, Vec<f64>) {
    if let (
        DriftKind::Numeric,
        Side::Numbers { values: rv, weights: rw, distinct: rd, integers: ri, .. },
        Side::Numbers { values: cv, weights: cw, integers: ci, .. },
    ) = (kind, reference, current)
    {
        if rd.as_ref().is_none_or(|d| d.len() > 20) {
            let min = rv.first().copied().unwrap_or(0.0).min(cv.first().copied().unwrap_or(0.0));
            let max = rv.last().copied().unwrap_or(0.0).max(cv.last().copied().unwrap_or(0.0));
            let n = (reference.rows() + current.rows()) as usize;
            let edges = binning::sturges_edges(min, max, n, *ri && *ci);
            let r = binning::histogram(rv, rw.as_deref(), &edges);
            let c = binning::histogram(cv, cw.as_deref(), &edges);
            let dist = Distribution { edges, labels: Vec::new(), reference: Vec::new(), current: Vec::new() };
            return (dist, r, c);
        }
    }
    let (rc, cc) = (reference.label_counts(), current.label_counts());
    let labels: Vec<String> =
        rc.keys().chain(cc.keys()).cloned().collect::<BTreeSet<_>>().into_iter().collect();
    // Numbers with few values are listed in numeric order.
    let mut labels = labels;
    if kind == DriftKind::Numeric {
        labels.sort_by(|a, b| {
            a.parse::<f64>().unwrap_or(f64::NAN).total_cmp(&b.parse::<f64>().unwrap_or(f64::NAN))
        });
    }
    let r = labels.iter().map(|l| rc.get(l).copied().unwrap_or(0.0)).collect();
    let c = labels.iter().map(|l| cc.get(l).copied().unwrap_or(0.0)).collect();
    (Distribution { edges: Vec::new(), labels, reference: Vec::new(), current: Vec::new() }, r, c)
}

/// Shares with Evidently's stand-in for empty bins (PSI and KL): a millionth of the smallest
/// non-zero share when that is at most 0.0001, else 0.0001.
fn fill_zeroes(shares: &mut [f64]) {
    let smallest = shares.iter().copied().filter(|&s| s != 0.0).fold(f64::INFINITY, f64::min);
    if !smallest.is_finite() {
        return;
    }
    let fill = if smallest <= 0.0001 { smallest / 1e6 } else { 0.0001 };
    shares.iter_mut().filter(|s| **s == 0.0).for_each(|s| *s = fill);
}

fn shares(counts: &[f64], rows: u64) -> Vec<f64> {
    counts.iter().map(|c| c / rows as f64).collect()
}

/// The values a sketch stands for, expanded to one per row (exact when the side is exact).
fn expanded(side: &Side) -> Vec<f64> {
    match side {
        Side::Numbers { values, weights: None, .. } => values.clone(),
        Side::Numbers { values, weights: Some(w), .. } => {
            let mut out = Vec::new();
            let mut carried = 0.0;
            for (&v, &w) in values.iter().zip(w) {
                carried += w;
                let whole = carried.round();
                for _ in 0..(whole as usize) {
                    out.push(v);
                }
                carried -= whole;
            }
            out
        }
        Side::Labels { .. } => Vec::new(),
    }
}

fn run_test(test: DriftTest, kind: DriftKind, reference: &Side, current: &Side) -> (Outcome, Distribution) {
    let (mut dist, r_counts, c_counts) = binned(kind, reference, current);
    let (n_ref, n_cur) = (reference.rows(), current.rows());
    dist.reference = shares(&r_counts, n_ref);
    dist.current = shares(&c_counts, n_cur);
    let outcome = match test {
        DriftTest::Ks => {
            let r = stats::ks_2samp(&expanded(reference), &expanded(current));
            let r = r.unwrap_or(stats::TestResult { statistic: 0.0, p_value: 1.0 });
            Outcome { statistic: r.statistic, p_value: Some(r.p_value) }
        }
        DriftTest::Wasserstein => {
            let std = match reference {
                Side::Numbers { std, .. } => *std,
                Side::Labels { .. } => 0.0,
            };
            let distance = weighted_wasserstein(reference, current);
            Outcome { statistic: distance / std.max(0.001), p_value: None }
        }
        DriftTest::ChiSquare => chi_square(reference, current),
        DriftTest::Z => z_test(reference, current),
        DriftTest::JensenShannon => Outcome {
            statistic: stats::jensen_shannon_distance(&dist.reference, &dist.current).unwrap_or(0.0),
            p_value: None,
        },
        DriftTest::Psi => {
            let (mut r, mut c) = (dist.reference.clone(), dist.current.clone());
            fill_zeroes(&mut r);
            fill_zeroes(&mut c);
            let psi = r.iter().zip(&c).map(|(r, c)| (r - c) * crate::math::ln(r / c)).sum();
            Outcome { statistic: psi, p_value: None }
        }
        DriftTest::KlDiv => {
            let (mut r, mut c) = (dist.reference.clone(), dist.current.clone());
            fill_zeroes(&mut r);
            fill_zeroes(&mut c);
            let (sr, sc): (f64, f64) = (r.iter().sum(), c.iter().sum());
            let kl = r
                .iter()
                .zip(&c)
                .map(|(r, c)| {
                    let (r, c) = (r / sr, c / sc);
                    if r > 0.0 {
                        r * crate::math::ln(r / c)
                    } else {
                        0.0
                    }
                })
                .sum();
            Outcome { statistic: kl, p_value: None }
        }
        DriftTest::Hellinger => Outcome { statistic: hellinger(kind, reference, current), p_value: None },
    };
    (outcome, dist)
}

/// Two sorted lists merged into one sorted list.
fn merge_sorted(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].total_cmp(&b[j]).is_le() {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// `scipy.stats.wasserstein_distance` between two sides, each value weighted by the rows it stands
/// for: the area between the two CDFs, walked once over both sorted sides.
fn weighted_wasserstein(reference: &Side, current: &Side) -> f64 {
    let (Side::Numbers { values: u, weights: uw, .. }, Side::Numbers { values: v, weights: vw, .. }) =
        (reference, current)
    else {
        return 0.0;
    };
    if u.is_empty() || v.is_empty() {
        return 0.0;
    }
    let weight = |w: &Option<Vec<f64>>, i: usize| w.as_ref().map_or(1.0, |w| w[i]);
    let total = |w: &Option<Vec<f64>>, n: usize| w.as_ref().map_or(n as f64, |w| w.iter().sum());
    let (tu, tv) = (total(uw, u.len()), total(vw, v.len()));
    let all = merge_sorted(u, v);
    let (mut iu, mut iv, mut cu, mut cv, mut sum) = (0usize, 0usize, 0.0, 0.0, 0.0);
    for w in all.windows(2) {
        while iu < u.len() && u[iu] <= w[0] {
            cu += weight(uw, iu);
            iu += 1;
        }
        while iv < v.len() && v[iv] <= w[0] {
            cv += weight(vw, iv);
            iv += 1;
        }
        sum += (cu / tu - cv / tv).abs() * (w[1] - w[0]);
    }
    sum
}

/// Evidently's chi-square: current counts against the reference's counts scaled to the current size.
fn chi_square(reference: &Side, current: &Side) -> Outcome {
    let (rc, cc) = (reference.label_counts(), current.label_counts());
    let keys: BTreeSet<&String> = rc.keys().chain(cc.keys()).collect();
    let scale = current.rows() as f64 / reference.rows() as f64;
    let expected: Vec<f64> = keys.iter().map(|k| rc.get(*k).copied().unwrap_or(0.0) * scale).collect();
    let observed: Vec<f64> = keys.iter().map(|k| cc.get(*k).copied().unwrap_or(0.0)).collect();
    if expected.iter().zip(&observed).any(|(&e, &o)| e == 0.0 && o > 0.0) {
        // A value the reference never had: SciPy's statistic is infinite and its p-value 0.
        return Outcome { statistic: f64::INFINITY, p_value: Some(0.0) };
    }
    match stats::chisquare(&observed, &expected) {
        Some(r) => Outcome { statistic: r.statistic, p_value: Some(r.p_value) },
        None => Outcome { statistic: 0.0, p_value: Some(1.0) },
    }
}

/// Evidently's two-proportion z-test: the share of rows other than the first value (sorted), with
/// its p-value as `2 (1 − Φ(|z|))`.
fn z_test(reference: &Side, current: &Side) -> Outcome {
    let (rc, cc) = (reference.label_counts(), current.label_counts());
    if rc.len() == 1 && cc.len() == 1 && rc.keys().next() == cc.keys().next() {
        return Outcome { statistic: 0.0, p_value: Some(1.0) };
    }
    let first = rc.keys().chain(cc.keys()).min_by(|a, b| compare_labels(a, b)).cloned().unwrap_or_default();
    let (n1, n2) = (reference.rows() as f64, current.rows() as f64);
    let p1 = (n1 - rc.get(&first).copied().unwrap_or(0.0)) / n1;
    let p2 = (n2 - cc.get(&first).copied().unwrap_or(0.0)) / n2;
    let pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    let z = (p1 - p2) / (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    let cdf = 1.0 - stats::normal_sf(z.abs());
    Outcome { statistic: z, p_value: Some((2.0 * (1.0 - cdf)).clamp(0.0, 1.0)) }
}

/// Labels in order: numerically when both are numbers, else as text.
fn compare_labels(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    }
}

/// Evidently's Hellinger distance: over value shares for categories; for numbers over density
/// histograms in Sturges bins of the distinct values of both sides.
fn hellinger(kind: DriftKind, reference: &Side, current: &Side) -> f64 {
    let overlap = if let (DriftKind::Numeric, Side::Numbers { .. }, Side::Numbers { .. }) =
        (kind, reference, current)
    {
        let (mut keys, integers) = match (reference, current) {
            (
                Side::Numbers { distinct: Some(a), integers: ia, .. },
                Side::Numbers { distinct: Some(b), integers: ib, .. },
            ) => (a.iter().chain(b).copied().collect::<Vec<f64>>(), *ia && *ib),
            _ => (expanded(reference).into_iter().chain(expanded(current)).collect(), false),
        };
        crate::math::sort_floats(&mut keys);
        keys.dedup();
        let (min, max) = (keys.first().copied().unwrap_or(0.0), keys.last().copied().unwrap_or(0.0));
        let edges = binning::sturges_edges(min, max, keys.len(), integers);
        let density = |side: &Side| -> Vec<f64> {
            let (values, weights) = match side {
                Side::Numbers { values, weights, .. } => (values, weights.as_deref()),
                Side::Labels { .. } => unreachable!("numeric sides only"),
            };
            let counts = binning::histogram(values, weights, &edges);
            let total: f64 = counts.iter().sum();
            counts.iter().zip(edges.windows(2)).map(|(c, e)| c / total / (e[1] - e[0])).collect()
        };
        let (h1, h2) = (density(reference), density(current));
        let width = (max_of(&edges) - min_of(&edges)) / (edges.len() - 1) as f64;
        h1.iter().zip(&h2).map(|(a, b)| (a * b).sqrt() * width).sum::<f64>()
    } else {
        let (rc, cc) = (reference.label_counts(), current.label_counts());
        let (n1, n2) = (reference.rows() as f64, current.rows() as f64);
        rc.iter().map(|(k, &a)| ((a / n1) * (cc.get(k).copied().unwrap_or(0.0) / n2)).sqrt()).sum::<f64>()
    };
    (1.0 - overlap.clamp(0.0, 1.0)).sqrt()
}

fn min_of(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max_of(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// Checks one column given both sides, with the test chosen by default or by `options`.
pub fn check_column(
    column: &str,
    kind: DriftKind,
    reference: &Side,
    current: &Side,
    options: &DriftOptions,
) -> Result<ColumnDrift, DriftError> {
    let distinct = distinct_over(reference, current);
    let (test, reason) = match options.tests.get(column) {
        Some(&test) => (test, "chosen for this column".to_owned()),
        None => default_test(kind, reference.rows(), distinct),
    };
    let numbers = matches!((reference, current), (Side::Numbers { .. }, Side::Numbers { .. }));
    if test.needs_numbers() && !numbers {
        return Err(DriftError::TestNeedsNumbers {
            column: column.to_owned(),
            test: test.name(),
            kind: kind.name(),
        });
    }
    let threshold = match options.thresholds.get(column) {
        Some(&t) if t.is_finite() && t >= 0.0 => t,
        Some(&t) => return Err(DriftError::BadThreshold { column: column.to_owned(), threshold: t }),
        None => test.default_threshold(),
    };
    let (outcome, distribution) = run_test(test, kind, reference, current);
    let value = outcome.p_value.unwrap_or(outcome.statistic);
    Ok(ColumnDrift {
        column: column.to_owned(),
        kind,
        test,
        reason,
        statistic: outcome.statistic,
        p_value: outcome.p_value,
        threshold,
        drift: test.drifted(value, threshold),
        reference_rows: reference.rows(),
        current_rows: current.rows(),
        distinct,
        distribution,
    })
}

/// How Evidently types a column of the current data (given by its profile), as pandas reads it
/// from a CSV file: floats are numeric; integers numeric unless at most 10 distinct values; text a
/// category unless more than half the values are distinct. `None` for dates, which are checked for
/// freshness instead.
pub fn drift_kind(current: &ColumnProfile) -> Option<DriftKind> {
    match (current.kind, &current.numbers, &current.labels) {
        (ColumnKind::Datetime, _, _) => None,
        (ColumnKind::Numeric, Some(sketch), _) => {
            let few = sketch.exact.as_ref().is_some_and(|e| e.len() <= INTEGER_CATEGORY_LIMIT);
            Some(if sketch.integers && few { DriftKind::Categorical } else { DriftKind::Numeric })
        }
        (_, _, labels) => {
            let present = current.rows.saturating_sub(current.missing);
            // Beyond the kept categories there are more than `MAX_CATEGORIES` distinct values.
            let distinct =
                labels.as_ref().map_or(0, |l| l.counts.len() + usize::from(l.other > 0) * MAX_CATEGORIES);
            Some(if distinct as u64 * 2 > present { DriftKind::Text } else { DriftKind::Categorical })
        }
    }
}

/// Checks every column of `current` that `reference` also has (except those `options` ignores),
/// as Evidently would on the two files.
pub fn check_tables(
    reference: &Table,
    current: &Table,
    options: &DriftOptions,
) -> Result<DriftReport, DriftError> {
    check_against_profile(&DataProfile::exact(reference), current, options)
}

/// Checks every column of `current` against a reference given only by its profile (the model
/// bundle's, or one merged from many batches). Verdicts equal those against the raw reference
/// wherever the profile kept the column's values exactly (at most [`EXACT_VALUES`] distinct).
pub fn check_against_profile(
    profile: &DataProfile,
    current: &Table,
    options: &DriftOptions,
) -> Result<DriftReport, DriftError> {
    check_profiles(profile, &exact_profile(current, options), options)
}

/// The exact profile of the columns of `table` that `options` does not ignore: drift against it
/// is drift against the table.
fn exact_profile(table: &Table, options: &DriftOptions) -> DataProfile {
    DataProfile {
        rows: table.n_rows as u64,
        columns: table
            .columns
            .iter()
            .filter(|c| !options.ignore.contains(&c.name))
            .map(|c| ColumnProfile::of_column(c, None, usize::MAX))
            .collect(),
        predictions: Vec::new(),
    }
}

/// Checks a current data set given only by its profile (merged from the batches of many clients,
/// say) against a reference profile: every column, and the model's outputs where both profiles
/// have them. Where both profiles keep a column's values exactly, the verdict is the one the raw
/// rows would give; from sketches, distances are close (see [`DataProfile`]). Checks that need
/// every value (new categories, the newest date) are left out where a profile kept only the
/// commonest, and values out of range are counted from the sketch.
pub fn check_profiles(
    reference: &DataProfile,
    current: &DataProfile,
    options: &DriftOptions,
) -> Result<DriftReport, DriftError> {
    validate_options(options)?;
    // Columns by name, indexed once: a scan per column would be quadratic in wide tables.
    let (reference_index, current_index) = (reference.index(), current.index());
    for name in options.tests.keys().chain(options.thresholds.keys()) {
        if !current_index.contains_key(name.as_str()) && !reference_index.contains_key(name.as_str()) {
            return Err(DriftError::UnknownColumn { column: name.clone(), side: "either data set".into() });
        }
    }
    let mut columns = Vec::new();
    let mut checks = Vec::new();
    for cur in current.columns.iter().filter(|c| !options.ignore.contains(&c.name)) {
        let Some(&r) = reference_index.get(cur.name.as_str()) else {
            checks.push(DataCheck::OnlyOnOneSide { column: cur.name.clone(), side: "current".into() });
            continue;
        };
        data_checks(r, cur, options, &mut checks);
        if let Some(drift) = check_profiled_column(r, cur, options, &mut checks)? {
            columns.push(drift);
        }
    }
    for r in &reference.columns {
        if !current_index.contains_key(r.name.as_str()) && !options.ignore.contains(&r.name) {
            checks.push(DataCheck::OnlyOnOneSide { column: r.name.clone(), side: "reference".into() });
        }
    }
    if !current.columns.iter().any(|c| reference_index.contains_key(c.name.as_str())) {
        return Err(DriftError::NoCommonColumn);
    }
    // The outputs get the default tests: overrides name input columns.
    let defaults = DriftOptions { tests: BTreeMap::new(), thresholds: BTreeMap::new(), ..options.clone() };
    let mut predictions = Vec::new();
    let reference_outputs = profile::index(&reference.predictions);
    for cur in &current.predictions {
        if let Some(&r) = reference_outputs.get(cur.name.as_str()) {
            if let Some(drift) = check_profiled_column(r, cur, &defaults, &mut checks)? {
                predictions.push(drift);
            }
        }
    }
    Ok(report(columns, predictions, checks, reference.rows, current.rows, options))
}

/// One column against its profile, or `None` (with a check saying why) when it cannot be tested.
fn check_profiled_column(
    reference: &ColumnProfile,
    current: &ColumnProfile,
    options: &DriftOptions,
    checks: &mut Vec<DataCheck>,
) -> Result<Option<ColumnDrift>, DriftError> {
    let Some(kind) = drift_kind(current) else { return Ok(None) };
    let numeric = kind == DriftKind::Numeric && reference.numbers.is_some() && current.numbers.is_some();
    let kind = if kind == DriftKind::Numeric && !numeric { DriftKind::Categorical } else { kind };
    let (r, c) = (reference.side(numeric), current.side(numeric));
    for (side, data) in [("reference", &r), ("current", &c)] {
        if data.rows() == 0 {
            checks.push(DataCheck::Empty { column: current.name.clone(), side: side.into() });
            return Ok(None);
        }
    }
    check_column(&current.name, kind, &r, &c, options).map(Some)
}

/// Drift of `current` against the training data of `bundle`, from the profile it carries: every
/// input column (and the target, when `current` has it), and the model's predictions on
/// `current` against its predictions on its training rows.
pub fn check_model(
    bundle: &crate::ModelBundle,
    current: &Table,
    options: &DriftOptions,
) -> Result<DriftReport, DriftError> {
    check_scored(bundle, current, &bundle.score(current), options)
}

/// [`check_model`] for a caller that has scored `current` already (`scored` is
/// `bundle.score(current)`), so that it is scored once.
pub fn check_scored(
    bundle: &crate::ModelBundle,
    current: &Table,
    scored: &Result<crate::Predictions, crate::TabmlError>,
    options: &DriftOptions,
) -> Result<DriftReport, DriftError> {
    let mut profile = exact_profile(current, options);
    if let Ok(predictions) = scored {
        profile.predictions = DataProfile::exact(&prediction_table(&bundle.task, predictions)).columns;
    }
    let mut report = check_profiles(&bundle.profile, &profile, options)?;
    if let Err(error) = scored {
        report.checks.push(DataCheck::NotScored { reason: error.to_string() });
    }
    Ok(report)
}

fn validate_options(options: &DriftOptions) -> Result<(), DriftError> {
    if !(options.drift_share > 0.0 && options.drift_share <= 1.0) {
        return Err(DriftError::BadShare(options.drift_share));
    }
    Ok(())
}

fn report(
    columns: Vec<ColumnDrift>,
    predictions: Vec<ColumnDrift>,
    checks: Vec<DataCheck>,
    reference_rows: u64,
    current_rows: u64,
    options: &DriftOptions,
) -> DriftReport {
    let drifted = columns.iter().filter(|c| c.drift).count();
    let drifted_share = if columns.is_empty() { 0.0 } else { drifted as f64 / columns.len() as f64 };
    DriftReport {
        dataset_drift: !columns.is_empty() && drifted_share >= options.drift_share,
        drifted_share,
        drift_share: options.drift_share,
        reference_rows,
        current_rows,
        columns,
        predictions,
        checks,
    }
}

/// The share of missing values must move by at least this much to be reported.
pub const MISSING_RATE_CHANGE: f64 = 0.05;

fn data_checks(
    reference: &ColumnProfile,
    current: &ColumnProfile,
    options: &DriftOptions,
    checks: &mut Vec<DataCheck>,
) {
    let rate = |p: &ColumnProfile| if p.rows == 0 { 0.0 } else { p.missing as f64 / p.rows as f64 };
    let (r, c) = (rate(reference), rate(current));
    if (c - r).abs() >= MISSING_RATE_CHANGE {
        checks.push(DataCheck::MissingRate { column: current.name.clone(), reference: r, current: c });
    }
    match (current.kind, &reference.numbers, &current.numbers, &reference.labels, &current.labels) {
        (ColumnKind::Numeric, Some(sketch), Some(values), _, _) if sketch.count > 0 => {
            let (min, max) = (sketch.min, sketch.max);
            let (below, above) = values.outside(min, max);
            if below + above > 0 {
                checks.push(DataCheck::OutOfRange { column: current.name.clone(), min, max, below, above });
            }
        }
        // Values beyond the kept categories may be new or not: only complete lists can tell.
        (ColumnKind::Categorical | ColumnKind::Boolean, _, _, Some(known), Some(seen))
            if known.other == 0 && seen.other == 0 =>
        {
            let new = seen.counts.iter().filter(|(k, _)| !known.counts.contains_key(*k));
            let new: Vec<(String, u64)> = new.map(|(k, &n)| (k.clone(), n)).collect();
            if !new.is_empty() {
                checks.push(new_categories(&current.name, new.into_iter()));
            }
        }
        (ColumnKind::Datetime, _, _, _, Some(seen)) if seen.other == 0 => {
            let newest = seen
                .counts
                .keys()
                .filter_map(|c| crate::dates::parse_datetime(c).map(|t| (t, c)))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((time, text)) = newest {
                checks.push(DataCheck::Freshness {
                    column: current.name.clone(),
                    newest: text.clone(),
                    age_seconds: options.now.map(|now| now - time),
                });
            }
        }
        _ => {}
    }
}

fn new_categories(column: &str, new: impl Iterator<Item = (String, u64)>) -> DataCheck {
    let mut all: Vec<(String, u64)> = new.collect();
    let rows = all.iter().map(|(_, n)| n).sum();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    all.truncate(10);
    DataCheck::NewCategories { column: column.to_owned(), examples: all, rows }
}
