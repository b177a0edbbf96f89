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

    /// Adds `other`'s rows.
    pub fn merge(&mut self, other: &ColumnProfile) -> Result<(), ProfileError> {
        self.rows += other.rows;
        self.missing += other.missing;
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

    /// Adds `other`'s rows: the profile of both. A column only one of them has counts as missing
    /// in the other's rows.
    pub fn merge(&mut self, other: &DataProfile) -> Result<(), ProfileError> {
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
