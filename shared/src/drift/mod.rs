//! Drift checks compatible with Evidently's defaults (docs/DESIGN.md, "Drift"): per column the test
//! Evidently's `DataDriftPreset` would choose, computed as SciPy computes it, the data-set verdict
//! from the share of drifted columns, and the data checks a monitor wants beside drift (missing
//! rates, new categories, values out of range, freshness).
//!
//! Each side of a column is a [`Side`]: its values, or a summary of them from a profile.
//! `shared/tests/core/drift_vs_evidently.rs` checks the verdicts against Evidently on the fixture pairs.
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
mod checks;
mod choice;
mod columns;
mod digest;
mod merged;
mod performance;
mod profile;
mod profile_check;
mod report;
mod statistics;

pub use checks::MISSING_RATE_CHANGE;
pub use choice::{default_test, drift_kind, DriftKind, DriftTest, INTEGER_CATEGORY_LIMIT};
pub use performance::{
    estimate_performance, performance_windows, realized_performance, Calibration, CbpeReference, Estimate,
    ExpectedConfusion, Isotonic, PerformanceEstimate, PerformanceWindow, PredictionRecord,
};

pub use profile::{
    prediction_table, ColumnProfile, DataProfile, LabelCounts, NumericSketch, ProfileError, COMPRESSION,
    EXACT_VALUES, MAX_CATEGORIES, OTHER_VALUES,
};
pub use profile_check::{MAX_CENTROIDS, MAX_LABEL_BYTES, MAX_PROFILE_COLUMNS, MAX_PROFILE_OUTPUTS};
pub use report::{ColumnDrift, DataCheck, Distribution, DriftReport};
pub use statistics::Side;

use crate::table::Table;
use checks::data_checks;
use choice::distinct_over;
use columns::{Checked, Columns};
use serde::{Deserialize, Serialize};
use statistics::run_test;
use std::collections::{BTreeMap, BTreeSet};

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

/// Checks every column of `current` that `reference` also has (except those `options` ignores),
/// as Evidently would on the two files.
pub fn check_tables(
    reference: &Table,
    current: &Table,
    options: &DriftOptions,
) -> Result<DriftReport, DriftError> {
    // As against the reference's exact profile, without building it.
    let reference = Dataset::table(reference, &BTreeSet::new(), Columns::Profiles(&[]));
    check_sides(&reference, &Dataset::table(current, &options.ignore, Columns::Profiles(&[])), options)
}

/// Checks every column of `current` against a reference given only by its profile (the model
/// bundle's, or one merged from many batches). Verdicts equal those against the raw reference
/// wherever the profile kept the column's values exactly (at most [`EXACT_VALUES`] distinct).
pub fn check_against_profile(
    profile: &DataProfile,
    current: &Table,
    options: &DriftOptions,
) -> Result<DriftReport, DriftError> {
    let current = Dataset::table(current, &options.ignore, Columns::Profiles(&[]));
    check_sides(&Dataset::profile(profile), &current, options)
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
    check_sides(&Dataset::profile(reference), &Dataset::profile(current), options)
}

/// One data set of a check: its columns, the model's outputs on its rows (none without a model),
/// and how many rows. A table's columns are profiled exactly, one at a time as the check reaches
/// them (see [`Columns`]): the same verdicts as against [`DataProfile::exact`], with less work.
struct Dataset<'a> {
    columns: Columns<'a>,
    outputs: Columns<'a>,
    rows: u64,
}

impl<'a> Dataset<'a> {
    fn profile(profile: &'a DataProfile) -> Self {
        Self {
            columns: Columns::Profiles(&profile.columns),
            outputs: Columns::Profiles(&profile.predictions),
            rows: profile.rows,
        }
    }

    fn table(table: &'a Table, ignore: &BTreeSet<String>, outputs: Columns<'a>) -> Self {
        Self { columns: Columns::of_table(table, ignore), outputs, rows: table.n_rows as u64 }
    }
}

fn check_sides(
    reference: &Dataset,
    current: &Dataset,
    options: &DriftOptions,
) -> Result<DriftReport, DriftError> {
    validate_options(options)?;
    // Columns by name, indexed once: a scan per column would be quadratic in wide tables.
    let (reference_index, current_index) = (reference.columns.index(), current.columns.index());
    for name in options.tests.keys().chain(options.thresholds.keys()) {
        if !current_index.contains_key(name.as_str()) && !reference_index.contains_key(name.as_str()) {
            return Err(DriftError::UnknownColumn { column: name.clone(), side: "either data set".into() });
        }
    }
    let mut columns = Vec::new();
    let mut checks = Vec::new();
    for i in 0..current.columns.len() {
        let name = current.columns.name(i);
        if options.ignore.contains(name) {
            continue;
        }
        let Some(&r) = reference_index.get(name) else {
            checks.push(DataCheck::OnlyOnOneSide { column: name.to_owned(), side: "current".into() });
            continue;
        };
        let (r, cur) = (reference.columns.get(r), current.columns.get(i));
        data_checks(&r, &cur, options, &mut checks);
        if let Some(drift) = check_profiled_column(&r, &cur, options, &mut checks)? {
            columns.push(drift);
        }
    }
    for r in (0..reference.columns.len()).map(|i| reference.columns.name(i)) {
        if !current_index.contains_key(r) && !options.ignore.contains(r) {
            checks.push(DataCheck::OnlyOnOneSide { column: r.to_owned(), side: "reference".into() });
        }
    }
    if !(0..current.columns.len()).any(|i| reference_index.contains_key(current.columns.name(i))) {
        return Err(DriftError::NoCommonColumn);
    }
    // The outputs get the default tests: overrides name input columns.
    let defaults = DriftOptions { tests: BTreeMap::new(), thresholds: BTreeMap::new(), ..options.clone() };
    let mut predictions = Vec::new();
    let reference_outputs = reference.outputs.index();
    for i in 0..current.outputs.len() {
        if let Some(&r) = reference_outputs.get(current.outputs.name(i)) {
            let (r, cur) = (reference.outputs.get(r), current.outputs.get(i));
            if let Some(drift) = check_profiled_column(&r, &cur, &defaults, &mut checks)? {
                predictions.push(drift);
            }
        }
    }
    Ok(report(columns, predictions, checks, reference.rows, current.rows, options))
}

/// One column against its profile, or `None` (with a check saying why) when it cannot be tested.
fn check_profiled_column(
    reference: &Checked,
    current: &Checked,
    options: &DriftOptions,
    checks: &mut Vec<DataCheck>,
) -> Result<Option<ColumnDrift>, DriftError> {
    let Some(kind) = current.kind() else { return Ok(None) };
    let numeric = kind == DriftKind::Numeric
        && reference.profile.numbers.is_some()
        && current.profile.numbers.is_some();
    let kind = if kind == DriftKind::Numeric && !numeric { DriftKind::Categorical } else { kind };
    let (r, c) = (reference.side(numeric), current.side(numeric));
    let name = &current.profile.name;
    for (side, data) in [("reference", &r), ("current", &c)] {
        if data.rows() == 0 {
            checks.push(DataCheck::Empty { column: name.clone(), side: side.into() });
            return Ok(None);
        }
    }
    check_column(name, kind, &r, &c, options).map(Some)
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
    let outputs = scored.as_ref().ok().map(|predictions| prediction_table(&bundle.task, predictions));
    let outputs = match &outputs {
        Some(table) => Columns::Table(table.columns.iter().collect()),
        None => Columns::Profiles(&[]),
    };
    let current = Dataset::table(current, &options.ignore, outputs);
    let mut report = check_sides(&Dataset::profile(&bundle.profile), &current, options)?;
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
