//! The data checks beside drift: missing rates, new categories, values out of range, freshness.

use super::columns::Checked;
use super::{ColumnProfile, DataCheck, DriftOptions};
use crate::table::ColumnKind;

/// The share of missing values must move by at least this much to be reported.
pub const MISSING_RATE_CHANGE: f64 = 0.05;

pub(super) fn data_checks(
    reference_column: &Checked,
    current_column: &Checked,
    options: &DriftOptions,
    checks: &mut Vec<DataCheck>,
) {
    let (reference, current) = (&*reference_column.profile, &*current_column.profile);
    let rate = |p: &ColumnProfile| if p.rows == 0 { 0.0 } else { p.missing as f64 / p.rows as f64 };
    let (r, c) = (rate(reference), rate(current));
    if (c - r).abs() >= MISSING_RATE_CHANGE {
        checks.push(DataCheck::MissingRate { column: current.name.clone(), reference: r, current: c });
    }
    match (current.kind, &reference.numbers, &current.numbers, &reference.labels, &current.labels) {
        (ColumnKind::Numeric, Some(sketch), Some(_), _, _) if sketch.count > 0 => {
            let (min, max) = (sketch.min, sketch.max);
            let (below, above) = current_column.outside(min, max);
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
