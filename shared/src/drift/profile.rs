//! Mergeable data profiles: what a drift check needs to know about a reference without its rows.
//!
//! Per column: rows, missing values, and either a numeric sketch or category counts. A numeric
//! sketch keeps every distinct value with its count while there are at most [`EXACT_VALUES`] of
//! them, so a profile of a small reference (or of a column with few values) gives exactly the
//! verdicts the raw data gives; beyond that it keeps a t-digest (Dunning's merging digest, with
//! the `k₁` arcsine scale) of about [`COMPRESSION`]` / 2` centroids, plus the exact count, mean,
//! variance, minimum and maximum. Profiles merge: those of many batches from many clients combine
//! into the profile of all their rows, which is how the server aggregates monitoring without raw rows.

use super::digest::{compress, toward};
use super::profile_check::{MAX_LABEL_BYTES, MAX_PROFILE_COLUMNS, MAX_PROFILE_OUTPUTS};
use super::Side;
use crate::evaluation::Predictions;
use crate::table::{Column, ColumnKind, Table};
use crate::Task;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Distinct values a numeric sketch keeps exactly before it switches to centroids.
pub const EXACT_VALUES: usize = 1000;
/// Categories kept per column; rarer ones are counted together as other values.
pub const MAX_CATEGORIES: usize = 1000;
/// The t-digest's compression δ: at most about δ/2 centroids.
pub const COMPRESSION: f64 = 400.0;

/// What went wrong merging profiles.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProfileError {
    /// The same column is numbers in one profile and categories in the other.
    #[error("column `{0}` holds numbers in one profile and categories in the other")]
    KindMismatch(String),
    /// More columns (or outputs) than a profile may carry.
    #[error("the profile has {found} {what}; at most {max} are accepted")]
    TooWide {
        /// `columns` or `outputs`.
        what: String,
        /// How many it has (or a merge would make).
        found: usize,
        /// The most accepted.
        max: usize,
    },
    /// Rows that would count past `u64::MAX` when merged.
    #[error("merging would count {mine} + {theirs} rows, more than a profile can count")]
    TooManyRows {
        /// This profile's rows.
        mine: u64,
        /// The other profile's rows.
        theirs: u64,
    },
    /// A profile that no profiling could have made (one sent by a client, say).
    #[error("column `{column}`: {problem}")]
    Invalid {
        /// The column (or `predictions.<name>`).
        column: String,
        /// What is wrong.
        problem: String,
    },
}

/// A numeric column's distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericSketch {
    /// Values summarised.
    pub count: u64,
    /// Their mean.
    pub mean: f64,
    /// The sum of squared deviations from the mean (variance × count).
    pub m2: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
    /// Whether every value was written as an integer and none was missing.
    pub integers: bool,
    /// Every distinct value with its count, sorted, while there are few enough.
    pub exact: Option<Vec<(f64, u64)>>,
    /// The t-digest's centroids `(mean, weight)`, sorted, once `exact` is gone.
    pub centroids: Vec<(f64, f64)>,
}

/// A sum of squared deviations, at most `f64::MAX`: values near ±1.7e308 spread further than an
/// f64 holds, and a finite understatement keeps the profile valid where ∞ would not.
fn bounded(m2: f64) -> f64 {
    m2.min(f64::MAX)
}

impl NumericSketch {
    /// The sketch of `sorted` values (NaN and ±∞ removed); `integers` as [`Side`] reads it.
    pub fn of_sorted(sorted: &[f64], integers: bool, exact_limit: usize) -> Self {
        let mut sketch = Self::moments(sorted, integers);
        sketch.count_values(sorted, exact_limit);
        sketch
    }

    /// The count, mean, spread and range of `sorted` values (as [`NumericSketch::of_sorted`] has
    /// them), without the values: `exact` is `None` and there are no centroids.
    pub(super) fn moments(sorted: &[f64], integers: bool) -> Self {
        let count = sorted.len() as u64;
        let mut mean = if sorted.is_empty() { 0.0 } else { sorted.iter().sum::<f64>() / sorted.len() as f64 };
        if !mean.is_finite() {
            // The sum overflowed (values near ±1.7e308): the mean itself is finite.
            mean = crate::math::mean_and_std(sorted).0;
        }
        let m2 = bounded(sorted.iter().map(|v| (v - mean) * (v - mean)).sum());
        Self {
            count,
            mean,
            m2,
            min: sorted.first().copied().unwrap_or(f64::NAN),
            max: sorted.last().copied().unwrap_or(f64::NAN),
            integers,
            exact: None,
            centroids: Vec::new(),
        }
    }

    /// Keeps each distinct value of `sorted` (the values the moments came from) with its count, or
    /// centroids when there are more than `exact_limit`.
    fn count_values(&mut self, sorted: &[f64], exact_limit: usize) {
        let mut exact: Vec<(f64, u64)> = Vec::new();
        for &v in sorted {
            let v = if v == 0.0 { 0.0 } else { v };
            match exact.last_mut() {
                Some((last, n)) if *last == v => *n += 1,
                _ => exact.push((v, 1)),
            }
        }
        self.exact = Some(exact);
        self.limit(exact_limit);
    }

    /// Switches to centroids when there are more than `limit` distinct values.
    fn limit(&mut self, limit: usize) {
        if let Some(exact) = &self.exact {
            if exact.len() > limit {
                let points: Vec<(f64, f64)> = exact.iter().map(|&(v, n)| (v, n as f64)).collect();
                self.centroids = compress(&points, COMPRESSION);
                self.exact = None;
            }
        }
    }

    pub(super) fn points(&self) -> Vec<(f64, f64)> {
        match &self.exact {
            Some(exact) => exact.iter().map(|&(v, n)| (v, n as f64)).collect(),
            None => self.centroids.clone(),
        }
    }

    /// Adds `other`'s values: the sketch of both sets of rows.
    pub fn merge(&mut self, other: &NumericSketch) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other.clone();
            return;
        }
        let (na, nb) = (self.count as f64, other.count as f64);
        let delta = other.mean - self.mean;
        let n = na + nb;
        self.m2 = bounded(self.m2 + other.m2 + delta * delta * na * nb / n);
        self.mean = toward(self.mean, other.mean, nb, n);
        // Both counts are at most their profiles' rows, whose sum `DataProfile::merge` checked.
        self.count = self.count.saturating_add(other.count);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.integers &= other.integers;
        match (&mut self.exact, &other.exact) {
            (Some(mine), Some(theirs)) => {
                let mut merged: BTreeMap<u64, (f64, u64)> = BTreeMap::new();
                for &(v, c) in mine.iter().chain(theirs) {
                    let count = &mut merged.entry(crate::math::total_order_key(v)).or_insert((v, 0)).1;
                    *count = count.saturating_add(c);
                }
                *mine = merged.into_values().collect();
                self.limit(EXACT_VALUES);
            }
            _ => {
                let mut points = self.points();
                points.extend(other.points());
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                self.centroids = compress(&points, COMPRESSION);
                self.exact = None;
            }
        }
    }

    /// Rows below `min` and above `max`: exact while the values are kept, else the weight of the
    /// centroids beyond each end (at least 1 when the sketch's own extreme is beyond it).
    pub fn outside(&self, min: f64, max: f64) -> (u64, u64) {
        match &self.exact {
            Some(exact) => (
                exact.iter().filter(|e| e.0 < min).map(|e| e.1).sum(),
                exact.iter().filter(|e| e.0 > max).map(|e| e.1).sum(),
            ),
            None => {
                let weight = |beyond: &dyn Fn(f64) -> bool, extreme: f64| {
                    let w: f64 = self.centroids.iter().filter(|c| beyond(c.0)).map(|c| c.1).sum();
                    (w.round() as u64).max(u64::from(beyond(extreme)))
                };
                (weight(&|v| v < min, self.min), weight(&|v| v > max, self.max))
            }
        }
    }

    /// The population standard deviation.
    pub fn std(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            (self.m2 / self.count as f64).sqrt()
        }
    }

    /// The values as one side of a drift test: exact, or the centroids weighted by their rows.
    pub fn side(&self) -> Side {
        let (values, weights, distinct) = match &self.exact {
            Some(exact) => (
                exact.iter().map(|e| e.0).collect(),
                exact.iter().map(|e| e.1 as f64).collect(),
                Some(exact.len()),
            ),
            None => (
                self.centroids.iter().map(|c| c.0).collect(),
                self.centroids.iter().map(|c| c.1).collect(),
                None,
            ),
        };
        Side::Numbers {
            values,
            weights: Some(weights),
            integers: self.integers,
            distinct,
            rows: self.count,
            std: self.std(),
        }
    }
}

/// A category column's counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelCounts {
    /// Rows per value.
    pub counts: BTreeMap<String, u64>,
    /// Rows whose value is among the rarer ones not kept.
    pub other: u64,
}

/// The label under which values beyond [`MAX_CATEGORIES`] are counted.
pub const OTHER_VALUES: &str = "(other values)";

impl LabelCounts {
    /// Keeps the [`MAX_CATEGORIES`] commonest labels of at most [`MAX_LABEL_BYTES`] each, counting
    /// the rest as other values.
    fn limit(&mut self) {
        if self.counts.keys().any(|k| k.len() > MAX_LABEL_BYTES) {
            let (long, short): (BTreeMap<String, u64>, BTreeMap<String, u64>) =
                std::mem::take(&mut self.counts).into_iter().partition(|(k, _)| k.len() > MAX_LABEL_BYTES);
            self.other = long.values().fold(self.other, |a, &n| a.saturating_add(n));
            self.counts = short;
        }
        if self.counts.len() > MAX_CATEGORIES {
            let mut by_count: Vec<(String, u64)> = std::mem::take(&mut self.counts).into_iter().collect();
            by_count.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            self.other = by_count[MAX_CATEGORIES..].iter().fold(self.other, |a, (_, n)| a.saturating_add(*n));
            by_count.truncate(MAX_CATEGORIES);
            self.counts = by_count.into_iter().collect();
        }
    }

    fn side(&self) -> Side {
        let mut counts = self.counts.clone();
        if self.other > 0 {
            *counts.entry(OTHER_VALUES.to_owned()).or_default() += self.other;
        }
        Side::Labels { counts }
    }
}

/// What a profile keeps about one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    /// The column name.
    pub name: String,
    /// Its kind in the profiled data.
    pub kind: ColumnKind,
    /// Rows profiled.
    pub rows: u64,
    /// Rows without a value.
    pub missing: u64,
    /// The numbers, for a numeric column.
    pub numbers: Option<NumericSketch>,
    /// The values by count, for any other column.
    pub labels: Option<LabelCounts>,
}

impl ColumnProfile {
    /// Profiles `rows` of `column` (every row when `None`).
    pub fn of_column(column: &Column, rows: Option<&[usize]>, exact_limit: usize) -> Self {
        let (mut profile, sorted) = Self::read(column, rows, exact_limit);
        if let (Some(sketch), Some(sorted)) = (&mut profile.numbers, sorted) {
            sketch.count_values(&sorted, exact_limit);
        }
        profile
    }

    /// [`ColumnProfile::of_column`] short of counting each number: a numeric column's sketch has
    /// only its moments ([`NumericSketch::moments`]), and its numbers come back beside the profile,
    /// sorted (NaN and ±∞ removed).
    pub(super) fn read(
        column: &Column,
        rows: Option<&[usize]>,
        exact_limit: usize,
    ) -> (Self, Option<Vec<f64>>) {
        if let (None, ColumnKind::Numeric, Some(numbers)) = (rows, column.kind, column.numbers()) {
            // Every row of a column of numbers: read straight from them (NaN is missing; an
            // infinity was made missing when the column was read).
            let mut values: Vec<f64> = Vec::with_capacity(numbers.len());
            values.extend(numbers.iter().copied().filter(|v| v.is_finite()));
            crate::math::sort_floats(&mut values);
            let integers = column.written_as_integers();
            let profile = Self {
                name: column.name.clone(),
                kind: column.kind,
                rows: numbers.len() as u64,
                missing: (numbers.len() - values.len()) as u64,
                numbers: Some(NumericSketch::moments(&values, integers)),
                labels: None,
            };
            return (profile, Some(values));
        }
        let all: Vec<usize>;
        let rows = match rows {
            Some(r) => r,
            None => {
                all = (0..column.len()).collect();
                &all
            }
        };
        let missing = rows.iter().filter(|&&r| column.is_missing(r)).count() as u64;
        let (numbers, labels, sorted) = if column.kind == ColumnKind::Numeric {
            let mut values: Vec<f64> = Vec::with_capacity(rows.len());
            values.extend(rows.iter().filter_map(|&r| column.number(r)).filter(|v| v.is_finite()));
            crate::math::sort_floats(&mut values);
            // Every row present and written as an integer (pandas reads the column as int64).
            let integers = rows.iter().all(|&r| column.written_as_integer(r));
            (Some(NumericSketch::moments(&values, integers)), None, Some(values))
        } else {
            let mut counts = BTreeMap::<String, u64>::new();
            for cell in rows.iter().filter_map(|&r| column.cell(r)) {
                *counts.entry(cell.to_owned()).or_default() += 1;
            }
            let mut labels = LabelCounts { counts, other: 0 };
            if exact_limit < usize::MAX {
                labels.limit();
            }
            (None, Some(labels), None)
        };
        let profile = Self {
            name: column.name.clone(),
            kind: column.kind,
            rows: rows.len() as u64,
            missing,
            numbers,
            labels,
        };
        (profile, sorted)
    }

    /// One side of a drift test: numbers when `numeric` and the column has them, else values by count.
    pub fn side(&self, numeric: bool) -> Side {
        match (&self.numbers, &self.labels) {
            (Some(sketch), _) if numeric => sketch.side(),
            (Some(sketch), _) => Side::Labels {
                counts: sketch
                    .side()
                    .label_counts()
                    .into_iter()
                    .map(|(k, n)| (k, n.round() as u64))
                    .collect(),
            },
            (None, Some(labels)) => labels.side(),
            (None, None) => Side::Labels { counts: BTreeMap::new() },
        }
    }

    /// Adds `other`'s rows.
    pub fn merge(&mut self, other: &ColumnProfile) -> Result<(), ProfileError> {
        match (&mut self.numbers, &other.numbers, &mut self.labels, &other.labels) {
            (Some(a), Some(b), _, _) => a.merge(b),
            (_, _, Some(a), Some(b)) => {
                for (k, v) in &b.counts {
                    let count = a.counts.entry(k.clone()).or_default();
                    *count = count.saturating_add(*v);
                }
                a.other = a.other.saturating_add(b.other);
                a.limit();
            }
            _ => return Err(ProfileError::KindMismatch(self.name.clone())),
        }
        self.add_rows(other.rows, other.missing);
        Ok(())
    }

    /// Counts `rows` more rows, `missing` of them without a value. Saturating, not wrapping: for
    /// valid profiles no column counts more than its profile's rows, whose sum a merge checks.
    fn add_rows(&mut self, rows: u64, missing: u64) {
        self.rows = self.rows.saturating_add(rows);
        self.missing = self.missing.saturating_add(missing);
    }
}

/// A profile of a data set's columns, and of a model's predictions on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataProfile {
    /// Rows profiled.
    pub rows: u64,
    /// Every column, in table order.
    pub columns: Vec<ColumnProfile>,
    /// The model's outputs on the same rows, as columns (`prediction`, and `proba_<class>` for a
    /// classifier); empty for data alone.
    pub predictions: Vec<ColumnProfile>,
}

impl DataProfile {
    /// Profiles `rows` of `table` (every row when `None`) with sketches of the usual size.
    pub fn of_rows(table: &Table, rows: Option<&[usize]>) -> Self {
        Self::build(table, rows, EXACT_VALUES)
    }

    /// A profile that keeps every value: drift against it is drift against the raw table.
    pub fn exact(table: &Table) -> Self {
        Self::build(table, None, usize::MAX)
    }

    fn build(table: &Table, rows: Option<&[usize]>, exact_limit: usize) -> Self {
        Self {
            rows: rows.map_or(table.n_rows, <[usize]>::len) as u64,
            columns: table.columns.iter().map(|c| ColumnProfile::of_column(c, rows, exact_limit)).collect(),
            predictions: Vec::new(),
        }
    }

    /// The column named `name` (a scan: index the columns to look many up).
    pub fn column(&self, name: &str) -> Option<&ColumnProfile> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The columns by name, to look many up in linear time overall.
    pub fn index(&self) -> HashMap<&str, &ColumnProfile> {
        index(&self.columns)
    }

    /// Whether every column (and output) this profile shares with `reference` holds the same kind
    /// of values there (numbers, or values by count), so that the two can merge.
    pub fn fits(&self, reference: &DataProfile) -> Result<(), ProfileError> {
        let pairs = [(&self.columns, &reference.columns), (&self.predictions, &reference.predictions)];
        for (mine, theirs) in pairs {
            let theirs = index(theirs);
            for column in mine {
                if let Some(other) = theirs.get(column.name.as_str()) {
                    if column.numbers.is_some() != other.numbers.is_some() {
                        return Err(ProfileError::KindMismatch(column.name.clone()));
                    }
                }
            }
        }
        Ok(())
    }

    /// Adds `other`'s rows: the profile of both. A column only one of them has counts as missing
    /// in the other's rows. Refused, changing nothing, when a shared column holds another kind of
    /// values in `other`, when the rows would count past `u64::MAX`, or when the columns together
    /// would be more than [`MAX_PROFILE_COLUMNS`] (and more than this profile has already).
    /// Columns are found by name through an index, so a merge takes time linear in the columns.
    pub fn merge(&mut self, other: &DataProfile) -> Result<(), ProfileError> {
        other.fits(self)?;
        let rows = self
            .rows
            .checked_add(other.rows)
            .ok_or(ProfileError::TooManyRows { mine: self.rows, theirs: other.rows })?;
        let limits = [("columns", MAX_PROFILE_COLUMNS), ("outputs", MAX_PROFILE_OUTPUTS)];
        for ((mine, theirs), (what, max)) in
            [(&self.columns, &other.columns), (&self.predictions, &other.predictions)].into_iter().zip(limits)
        {
            let mine_index = index(mine);
            let found =
                mine.len() + theirs.iter().filter(|c| !mine_index.contains_key(c.name.as_str())).count();
            if found > max.max(mine.len()) {
                return Err(ProfileError::TooWide { what: what.into(), found, max });
            }
        }
        merge_columns(&mut self.columns, &other.columns, self.rows, other.rows)?;
        merge_columns(&mut self.predictions, &other.predictions, self.rows, other.rows)?;
        self.rows = rows;
        Ok(())
    }
}

/// Columns by name. Only looked up, never iterated, so the map's order reaches no output.
fn index(columns: &[ColumnProfile]) -> HashMap<&str, &ColumnProfile> {
    columns.iter().map(|c| (c.name.as_str(), c)).collect()
}

/// Merges `theirs` into `mine` in `mine`'s order, with `theirs`'s new columns after, in their order.
fn merge_columns(
    mine: &mut Vec<ColumnProfile>,
    theirs: &[ColumnProfile],
    my_rows: u64,
    their_rows: u64,
) -> Result<(), ProfileError> {
    let their_index: HashMap<&str, usize> =
        theirs.iter().enumerate().map(|(i, c)| (c.name.as_str(), i)).collect();
    let mut merged = vec![false; theirs.len()];
    for column in mine.iter_mut() {
        match their_index.get(column.name.as_str()) {
            Some(&i) => {
                column.merge(&theirs[i])?;
                merged[i] = true;
            }
            None => column.add_rows(their_rows, their_rows),
        }
    }
    for (other, _) in theirs.iter().zip(merged).filter(|(_, merged)| !merged) {
        let mut column = other.clone();
        column.add_rows(my_rows, my_rows);
        mine.push(column);
    }
    Ok(())
}

/// A model's outputs as a table: `prediction` (the label, or the value), and for a classifier
/// `proba_<class>` for each class, as `tabml score` writes them.
pub fn prediction_table(task: &Task, predictions: &Predictions) -> Table {
    let mut columns = Vec::new();
    match (predictions, task) {
        (Predictions::Proba(proba), Task::Classification { classes }) => {
            let labels: Vec<&str> = predictions.labels().into_iter().map(|l| classes[l].as_str()).collect();
            columns.push(Column::new("prediction".into(), labels.into_iter().map(Some)));
            for (k, class) in classes.iter().enumerate() {
                let texts: Vec<String> = proba.iter().map(|row| row[k].to_string()).collect();
                columns.push(Column::new(format!("proba_{class}"), texts.iter().map(|t| Some(t.as_str()))));
            }
        }
        (Predictions::Values(values), _) => {
            let texts: Vec<String> = values.iter().map(f64::to_string).collect();
            columns.push(Column::new("prediction".into(), texts.iter().map(|t| Some(t.as_str()))));
        }
        _ => {}
    }
    let n_rows = columns.first().map_or(0, Column::len);
    Table { columns, n_rows, lines: (2..n_rows as u64 + 2).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> DataProfile {
        let table = crate::parse_csv(b"x,city\n1.5,Oslo\n2.5,Lyon\n,Oslo\n4,\n").unwrap();
        DataProfile::of_rows(&table, None)
    }

    #[test]
    fn profiles_of_another_kind_do_not_fit() {
        let words = crate::parse_csv(b"x\nlow\nhigh\n").unwrap();
        let words = DataProfile::of_rows(&words, None);
        assert_eq!(profile().fits(&profile()), Ok(()));
        assert_eq!(words.fits(&profile()), Err(ProfileError::KindMismatch("x".into())));
    }

    #[test]
    fn values_out_of_range_are_counted_exactly_or_from_centroids() {
        let values: Vec<f64> = (0..5000).map(f64::from).collect();
        let exact = NumericSketch::of_sorted(&values, true, usize::MAX);
        assert_eq!(exact.outside(100.0, 4899.5), (100, 100));
        let sketch = NumericSketch::of_sorted(&values, true, EXACT_VALUES);
        assert!(sketch.exact.is_none());
        let (below, above) = sketch.outside(100.0, 4899.5);
        assert!((90..=110).contains(&below) && (90..=110).contains(&above), "{below} {above}");
        // One value beyond the end is still counted, though its centroid's mean is not beyond it.
        assert_eq!(sketch.outside(-1.0, 4998.5).1.max(1), sketch.outside(-1.0, 4998.5).1);
        assert_eq!(sketch.outside(-1.0, 5000.0), (0, 0));
    }
}
