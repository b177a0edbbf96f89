//! Mergeable data profiles: what a drift check needs to know about a reference without its rows.
//!
//! Per column: rows, missing values, and either a numeric sketch or category counts. A numeric
//! sketch keeps every distinct value with its count while there are at most [`EXACT_VALUES`] of
//! them, so a profile of a small reference (or of a column with few values) gives exactly the
//! verdicts the raw data gives; beyond that it keeps a t-digest (Dunning's merging digest, with
//! the `k₁` arcsine scale) of about [`COMPRESSION`]` / 2` centroids, plus the exact count, mean,
//! variance, minimum and maximum. Profiles merge: those of many batches from many clients combine
//! into the profile of all their rows, which is how the server aggregates monitoring without raw rows.

use super::Side;
use crate::evaluation::Predictions;
use crate::table::{Column, ColumnKind, Table};
use crate::Task;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// Points `(value, weight)` sorted by value, compressed into centroids no wider than the `k₁` scale
/// allows: tight at the tails, wider in the middle.
fn compress(points: &[(f64, f64)], compression: f64) -> Vec<(f64, f64)> {
    let total: f64 = points.iter().map(|p| p.1).sum();
    if points.is_empty() || total <= 0.0 {
        return Vec::new();
    }
    let k = |q: f64| compression / (2.0 * std::f64::consts::PI) * (2.0 * q.clamp(0.0, 1.0) - 1.0).asin();
    let mut out: Vec<(f64, f64)> = Vec::new();
    let (mut mean, mut weight) = points[0];
    let mut before = 0.0; // weight of the centroids already pushed
    let mut k_left = k(0.0);
    for &(v, w) in &points[1..] {
        if k((before + weight + w) / total) - k_left <= 1.0 {
            weight += w;
            mean += (v - mean) * w / weight;
        } else {
            out.push((mean, weight));
            before += weight;
            k_left = k(before / total);
            (mean, weight) = (v, w);
        }
    }
    out.push((mean, weight));
    out
}

impl NumericSketch {
    /// The sketch of `sorted` values (NaN and ±∞ removed); `integers` as [`Side`] reads it.
    pub fn of_sorted(sorted: &[f64], integers: bool, exact_limit: usize) -> Self {
        let count = sorted.len() as u64;
        let mean = if sorted.is_empty() { 0.0 } else { sorted.iter().sum::<f64>() / sorted.len() as f64 };
        let m2 = sorted.iter().map(|v| (v - mean) * (v - mean)).sum();
        let mut exact: Vec<(f64, u64)> = Vec::new();
        for &v in sorted {
            let v = if v == 0.0 { 0.0 } else { v };
            match exact.last_mut() {
                Some((last, n)) if *last == v => *n += 1,
                _ => exact.push((v, 1)),
            }
        }
        let mut sketch = Self {
            count,
            mean,
            m2,
            min: sorted.first().copied().unwrap_or(f64::NAN),
            max: sorted.last().copied().unwrap_or(f64::NAN),
            integers,
            exact: Some(exact),
            centroids: Vec::new(),
        };
        sketch.limit(exact_limit);
        sketch
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

    fn points(&self) -> Vec<(f64, f64)> {
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
        self.m2 += other.m2 + delta * delta * na * nb / n;
        self.mean += delta * nb / n;
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.integers &= other.integers;
        match (&mut self.exact, &other.exact) {
            (Some(mine), Some(theirs)) => {
                let mut merged: BTreeMap<u64, (f64, u64)> = BTreeMap::new();
                for &(v, c) in mine.iter().chain(theirs) {
                    merged.entry(order_key(v)).or_insert((v, 0)).1 += c;
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

    /// [`ColumnProfile::validate`]'s checks of the numbers of a column with `present` values.
    fn validate(&self, present: u64) -> Result<(), String> {
        if self.count > present {
            return Err(format!("{} numbers in {present} present rows", self.count));
        }
        let finite = [self.mean, self.m2].iter().all(|v| v.is_finite()) && self.m2 >= 0.0;
        let range = self.count == 0 || (self.min.is_finite() && self.max.is_finite() && self.min <= self.max);
        if !finite || !range {
            return Err("its mean, spread, minimum and maximum must be finite numbers, in order".into());
        }
        let points = self.points();
        if points.iter().any(|p| p.1 == 0.0) {
            return Err("a value counted 0 times".into());
        }
        if points.iter().any(|p| !(p.1.is_finite() && p.1 > 0.0)) {
            return Err("a centroid's weight must be a positive number".into());
        }
        if points.iter().any(|p| !p.0.is_finite()) || points.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err("its values must be finite and in increasing order".into());
        }
        let total: f64 = points.iter().map(|p| p.1).sum();
        if (total - self.count as f64).abs() > 1e-6 * (self.count as f64).max(1.0) {
            return Err(format!("its values are counted {total} times, not {}", self.count));
        }
        Ok(())
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
            Some(exact) => {
                let values: Vec<f64> = exact.iter().map(|e| e.0).collect();
                (values.clone(), exact.iter().map(|e| e.1 as f64).collect(), Some(values))
            }
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

/// A key that orders floats as `total_cmp` does, for maps.
fn order_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
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
    fn limit(&mut self) {
        if self.counts.len() > MAX_CATEGORIES {
            let mut by_count: Vec<(String, u64)> = std::mem::take(&mut self.counts).into_iter().collect();
            by_count.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            self.other += by_count[MAX_CATEGORIES..].iter().map(|(_, n)| n).sum::<u64>();
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
        let all: Vec<usize>;
        let rows = match rows {
            Some(r) => r,
            None => {
                all = (0..column.len()).collect();
                &all
            }
        };
        let missing = rows.iter().filter(|&&r| column.cell(r).is_none()).count() as u64;
        let (numbers, labels) = if column.kind == ColumnKind::Numeric {
            let mut values: Vec<f64> =
                rows.iter().filter_map(|&r| column.number(r)).filter(|v| v.is_finite()).collect();
            crate::math::sort_floats(&mut values);
            let integers = super::integer_cells(rows.iter().map(|&r| column.cell(r)));
            (Some(NumericSketch::of_sorted(&values, integers, exact_limit)), None)
        } else {
            let mut counts = BTreeMap::<String, u64>::new();
            for cell in rows.iter().filter_map(|&r| column.cell(r)) {
                *counts.entry(cell.to_owned()).or_default() += 1;
            }
            let mut labels = LabelCounts { counts, other: 0 };
            if exact_limit < usize::MAX {
                labels.limit();
            }
            (None, Some(labels))
        };
        Self {
            name: column.name.clone(),
            kind: column.kind,
            rows: rows.len() as u64,
            missing,
            numbers,
            labels,
        }
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

    /// [`DataProfile::validate`] for one column of a profile of `rows` rows.
    fn validate(&self, rows: u64) -> Result<(), String> {
        if self.rows > rows || self.missing > self.rows {
            return Err(format!(
                "{} rows with {} missing, in a profile of {rows} rows",
                self.rows, self.missing
            ));
        }
        let present = self.rows - self.missing;
        match (self.kind, &self.numbers, &self.labels) {
            (ColumnKind::Numeric, Some(sketch), None) => sketch.validate(present),
            (ColumnKind::Numeric, _, _) => Err("a numeric column needs numbers and no labels".into()),
            (_, None, Some(labels)) => {
                if labels.counts.values().any(|&n| n == 0) {
                    return Err("a value counted 0 times".into());
                }
                let counted = labels.counts.values().try_fold(labels.other, |a, &n| a.checked_add(n));
                if counted.is_none_or(|n| n > present) {
                    return Err(format!("more values counted than its {present} present rows"));
                }
                Ok(())
            }
            (kind, _, _) => Err(format!("a {} column needs labels and no numbers", kind.label())),
        }
    }

    /// Adds `other`'s rows.
    pub fn merge(&mut self, other: &ColumnProfile) -> Result<(), ProfileError> {
        match (&mut self.numbers, &other.numbers, &mut self.labels, &other.labels) {
            (Some(a), Some(b), _, _) => a.merge(b),
            (_, _, Some(a), Some(b)) => {
                for (k, v) in &b.counts {
                    *a.counts.entry(k.clone()).or_default() += v;
                }
                a.other += b.other;
                a.limit();
            }
            _ => return Err(ProfileError::KindMismatch(self.name.clone())),
        }
        self.rows += other.rows;
        self.missing += other.missing;
        Ok(())
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

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnProfile> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Checks what profiling guarantees, for a profile that arrived from elsewhere: per column no
    /// more missing values than rows and no more rows than the profile's; numbers (for a numeric
    /// column only) finite, sorted and counted as many times as the sketch says; positive counts.
    /// Drift checks rely on these.
    pub fn validate(&self) -> Result<(), ProfileError> {
        let columns =
            self.columns.iter().map(|c| (c, "")).chain(self.predictions.iter().map(|c| (c, "predictions.")));
        for (column, prefix) in columns {
            column.validate(self.rows).map_err(|problem| ProfileError::Invalid {
                column: format!("{prefix}{}", column.name),
                problem,
            })?;
        }
        Ok(())
    }

    /// Whether every column (and output) this profile shares with `reference` holds the same kind
    /// of values there (numbers, or values by count), so that the two can merge.
    pub fn fits(&self, reference: &DataProfile) -> Result<(), ProfileError> {
        let pairs = [(&self.columns, &reference.columns), (&self.predictions, &reference.predictions)];
        for (mine, theirs) in pairs {
            for column in mine {
                if let Some(other) = theirs.iter().find(|c| c.name == column.name) {
                    if column.numbers.is_some() != other.numbers.is_some() {
                        return Err(ProfileError::KindMismatch(column.name.clone()));
                    }
                }
            }
        }
        Ok(())
    }

    /// Adds `other`'s rows: the profile of both. A column only one of them has counts as missing
    /// in the other's rows. When a shared column holds another kind of values in `other`, nothing
    /// changes.
    pub fn merge(&mut self, other: &DataProfile) -> Result<(), ProfileError> {
        other.fits(self)?;
        merge_columns(&mut self.columns, &other.columns, self.rows, other.rows)?;
        merge_columns(&mut self.predictions, &other.predictions, self.rows, other.rows)?;
        self.rows += other.rows;
        Ok(())
    }
}

fn merge_columns(
    mine: &mut Vec<ColumnProfile>,
    theirs: &[ColumnProfile],
    my_rows: u64,
    their_rows: u64,
) -> Result<(), ProfileError> {
    for column in mine.iter_mut() {
        if !theirs.iter().any(|c| c.name == column.name) {
            column.rows += their_rows;
            column.missing += their_rows;
        }
    }
    for other in theirs {
        match mine.iter_mut().find(|c| c.name == other.name) {
            Some(column) => column.merge(other)?,
            None => {
                let mut column = other.clone();
                column.rows += my_rows;
                column.missing += my_rows;
                mine.push(column);
            }
        }
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

    fn sketch(p: &mut DataProfile) -> &mut NumericSketch {
        p.columns[0].numbers.as_mut().unwrap()
    }

    fn profile() -> DataProfile {
        let table = crate::parse_csv(b"x,city\n1.5,Oslo\n2.5,Lyon\n,Oslo\n4,\n").unwrap();
        DataProfile::of_rows(&table, None)
    }

    #[test]
    fn a_profile_that_profiling_could_not_make_is_refused_with_its_column() {
        assert_eq!(profile().validate(), Ok(()));
        let broken = |change: &dyn Fn(&mut DataProfile)| {
            let mut p = profile();
            change(&mut p);
            p.validate().unwrap_err().to_string()
        };
        assert_eq!(
            broken(&|p| p.columns[0].missing = 9),
            "column `x`: 4 rows with 9 missing, in a profile of 4 rows"
        );
        assert_eq!(broken(&|p| p.rows = 2), "column `x`: 4 rows with 1 missing, in a profile of 2 rows");
        assert!(broken(&|p| sketch(p).exact.as_mut().unwrap().swap(0, 1))
            .ends_with("finite and in increasing order"));
        assert!(broken(&|p| sketch(p).mean = f64::NAN).contains("must be finite numbers"));
        assert!(broken(&|p| sketch(p).count = 2).ends_with("its values are counted 3 times, not 2"));
        assert!(broken(&|p| sketch(p).exact.as_mut().unwrap()[0].1 = 0).ends_with("a value counted 0 times"));
        assert!(broken(&|p| p.columns[0].numbers = None)
            .ends_with("a numeric column needs numbers and no labels"));
        assert!(broken(&|p| p.columns[1].labels.as_mut().unwrap().other = 5).contains("more values counted"));
        let mut outputs = profile();
        outputs.predictions = vec![outputs.columns[1].clone()];
        outputs.predictions[0].rows = 10;
        assert!(outputs.validate().unwrap_err().to_string().starts_with("column `predictions.city`:"));
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
