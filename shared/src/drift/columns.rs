//! The columns of one side of a check as the check reads them: a profile's (a model bundle's, or
//! one merged from many batches), or a table's own.
//!
//! A table's column is profiled exactly, as [`DataProfile::exact`](super::DataProfile::exact)
//! would, except that its numbers are not counted value by value: they stay one sorted list, which
//! is all a test needs, one row each. On a column where nearly every value differs, counting them
//! built a list as long as the column, which the side then copied into values and weights.

use super::choice::kind_of;
use super::{ColumnProfile, DriftKind, Side};
use crate::table::{Column, Table};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

/// One side's columns: a profile's, or a table's (each profiled when the check comes to it).
pub(super) enum Columns<'a> {
    Profiles(&'a [ColumnProfile]),
    Table(Vec<&'a Column>),
}

impl<'a> Columns<'a> {
    /// Every column of `table` but those named in `ignore`.
    pub(super) fn of_table(table: &'a Table, ignore: &BTreeSet<String>) -> Self {
        Columns::Table(table.columns.iter().filter(|c| !ignore.contains(&c.name)).collect())
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Columns::Profiles(profiles) => profiles.len(),
            Columns::Table(columns) => columns.len(),
        }
    }

    pub(super) fn name(&self, i: usize) -> &'a str {
        match self {
            Columns::Profiles(profiles) => &profiles[i].name,
            Columns::Table(columns) => &columns[i].name,
        }
    }

    /// The columns' positions by name (the last of any that share one). Only looked up, never
    /// iterated, so the map's order reaches no output.
    pub(super) fn index(&self) -> HashMap<&'a str, usize> {
        (0..self.len()).map(|i| (self.name(i), i)).collect()
    }

    /// The `i`th column, profiled if it is a table's.
    pub(super) fn get(&self, i: usize) -> Checked<'a> {
        match self {
            Columns::Profiles(profiles) => Checked { profile: Cow::Borrowed(&profiles[i]), numbers: None },
            Columns::Table(columns) => Checked::of_column(columns[i]),
        }
    }
}

/// One column of one side.
pub(super) struct Checked<'a> {
    /// Its profile. For a table's numeric column, the sketch has the moments (count, mean, spread,
    /// range) but keeps no values: `numbers` has them.
    pub(super) profile: Cow<'a, ColumnProfile>,
    /// A table's numbers as one side of a test: sorted, `−0` read as `0` (as an exact profile
    /// counts it), one row each.
    numbers: Option<Side>,
}

impl Checked<'_> {
    fn of_column(column: &Column) -> Checked<'static> {
        let (profile, sorted) = ColumnProfile::read(column, None, usize::MAX);
        let numbers = match (&profile.numbers, sorted) {
            (Some(sketch), Some(mut values)) => {
                values.iter_mut().filter(|v| **v == 0.0).for_each(|v| *v = 0.0);
                // The values are finite: `==` tells distinct ones apart as the exact profile does.
                let distinct =
                    usize::from(!values.is_empty()) + values.windows(2).filter(|w| w[0] != w[1]).count();
                Some(Side::Numbers {
                    values,
                    weights: None,
                    integers: sketch.integers,
                    distinct: Some(distinct),
                    rows: sketch.count,
                    std: sketch.std(),
                })
            }
            _ => None,
        };
        Checked { profile: Cow::Owned(profile), numbers }
    }

    /// How Evidently types the column ([`drift_kind`](super::drift_kind)).
    pub(super) fn kind(&self) -> Option<DriftKind> {
        match &self.numbers {
            Some(Side::Numbers { distinct, .. }) => kind_of(&self.profile, *distinct),
            _ => super::drift_kind(&self.profile),
        }
    }

    /// Rows below `min` and above `max` ([`NumericSketch::outside`](super::NumericSketch::outside)).
    pub(super) fn outside(&self, min: f64, max: f64) -> (u64, u64) {
        match (&self.numbers, &self.profile.numbers) {
            // Sorted and finite: each set is a run at one end, found by halving. (Nothing is beyond
            // a NaN bound, as nothing passes the sketch's filters.)
            (Some(Side::Numbers { values, .. }), _) => {
                let below = values.partition_point(|&v| v < min);
                let above =
                    values.len() - values.partition_point(|v| v.partial_cmp(&max) != Some(Ordering::Greater));
                (below as u64, above as u64)
            }
            (_, Some(sketch)) => sketch.outside(min, max),
            _ => (0, 0),
        }
    }

    /// One side of a test ([`ColumnProfile::side`]).
    pub(super) fn side(&self, numeric: bool) -> Cow<'_, Side> {
        match &self.numbers {
            Some(side) if numeric => Cow::Borrowed(side),
            Some(side) => Cow::Owned(Side::Labels {
                counts: side.label_counts().into_iter().map(|(k, n)| (k, n.round() as u64)).collect(),
            }),
            None => Cow::Owned(self.profile.side(numeric)),
        }
    }
}
