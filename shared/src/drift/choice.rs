//! Which test each column gets, as Evidently's `DataDriftPreset` chooses it: the tests, how a
//! column is typed (as pandas reads it from a CSV file), and why a test was chosen.

use super::merged::distinct_count;
use super::statistics::Side;
use super::{ColumnProfile, MAX_CATEGORIES};
use crate::table::ColumnKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

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

    pub(super) fn drifted(self, value: f64, threshold: f64) -> bool {
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

/// Evidently's integer rule: an integer column with at most this many distinct values is a category.
pub const INTEGER_CATEGORY_LIMIT: usize = 10;

/// The distinct-value count over both sides: exact when both sides know their values.
pub(super) fn distinct_over(reference: &Side, current: &Side) -> Option<usize> {
    match (reference, current) {
        (Side::Labels { counts: a }, Side::Labels { counts: b }) => {
            Some(a.keys().chain(b.keys()).collect::<BTreeSet<_>>().len())
        }
        (
            Side::Numbers { values: a, distinct: Some(_), .. },
            Side::Numbers { values: b, distinct: Some(_), .. },
        ) => Some(distinct_count(a, b)),
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

/// How Evidently types a column of the current data (given by its profile), as pandas reads it
/// from a CSV file: floats are numeric; integers numeric unless at most 10 distinct values; text a
/// category unless more than half the values are distinct. `None` for dates, which are checked for
/// freshness instead.
pub fn drift_kind(current: &ColumnProfile) -> Option<DriftKind> {
    let numbers = current.numbers.as_ref().and_then(|sketch| sketch.exact.as_ref()).map(Vec::len);
    kind_of(current, numbers)
}

/// [`drift_kind`], given how many distinct numbers the column has when they are known exactly
/// (which, for a table's column read without counting each value, the profile does not say).
pub(super) fn kind_of(current: &ColumnProfile, distinct_numbers: Option<usize>) -> Option<DriftKind> {
    match (current.kind, &current.numbers, &current.labels) {
        (ColumnKind::Datetime, _, _) => None,
        (ColumnKind::Numeric, Some(sketch), _) => {
            let few = distinct_numbers.is_some_and(|d| d <= INTEGER_CATEGORY_LIMIT);
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
