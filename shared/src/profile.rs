//! The reference profile of the training data, kept in the model bundle so that drift can be checked
//! later without the raw training rows: per column its missing rate and either quantiles and a
//! histogram (numbers) or category counts, and the distribution of the model's own predictions.

use crate::evaluation::Predictions;
use crate::models::argmax;
use crate::table::{ColumnKind, Table};
use serde::{Deserialize, Serialize};

/// The most categories kept per column; the rest are counted together.
pub const MAX_CATEGORIES: usize = 100;
/// Equal-width histogram bins per numeric column.
pub const HISTOGRAM_BINS: usize = 20;

/// Counts in equal-width bins between `min` and `max`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// The low edge of the first bin.
    pub min: f64,
    /// The high edge of the last bin.
    pub max: f64,
    /// Rows per bin.
    pub counts: Vec<u64>,
}

impl Histogram {
    fn of(values: &[f64], bins: usize) -> Option<Self> {
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !min.is_finite() || !max.is_finite() {
            return None;
        }
        let mut counts = vec![0u64; bins];
        let width = (max - min) / bins as f64;
        for v in values {
            let bin = if width > 0.0 { (((v - min) / width) as usize).min(bins - 1) } else { 0 };
            counts[bin] += 1;
        }
        Some(Self { min, max, counts })
    }
}

/// What is kept about one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ColumnSummary {
    /// A numeric column.
    Numeric {
        /// Mean of the present values.
        mean: f64,
        /// Population standard deviation.
        std: f64,
        /// The 0th, 1st, …, 100th percentiles (101 values).
        quantiles: Vec<f64>,
        /// Equal-width histogram.
        histogram: Histogram,
    },
    /// Categories (and booleans, dates and text) by count, most frequent first.
    Categories {
        /// `(value, rows)` for the most frequent values.
        counts: Vec<(String, u64)>,
        /// Rows with any other value.
        other: u64,
    },
    /// No present value.
    Empty,
}

/// One column of the profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    /// The column name.
    pub name: String,
    /// Its type.
    pub kind: ColumnKind,
    /// Rows with a value.
    pub present: u64,
    /// Rows without one.
    pub missing: u64,
    /// The distribution.
    pub summary: ColumnSummary,
}

/// The distribution of the model's predictions on its training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PredictionProfile {
    /// Predicted labels per class, and a histogram of each class's probability on `[0, 1]`.
    Classes { label_counts: Vec<u64>, probability_histograms: Vec<Vec<u64>> },
    /// Predicted values.
    Values { quantiles: Vec<f64>, histogram: Option<Histogram> },
}

/// The training data's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceProfile {
    /// Rows profiled (the training rows).
    pub n_rows: u64,
    /// Every column, the target included, in table order.
    pub columns: Vec<ColumnProfile>,
    /// The model's predictions on the same rows.
    pub prediction: PredictionProfile,
}

fn quantiles(sorted: &[f64]) -> Vec<f64> {
    (0..=100).map(|q| crate::metrics::percentile_sorted(sorted, f64::from(q)).unwrap_or(f64::NAN)).collect()
}

impl ReferenceProfile {
    /// Profiles `rows` of `table`, with `predictions` the model's outputs for the same rows.
    pub fn build(table: &Table, _target: &str, rows: &[usize], predictions: &Predictions) -> Self {
        let columns = table
            .columns
            .iter()
            .map(|column| {
                let present_rows: Vec<usize> =
                    rows.iter().copied().filter(|&r| column.cell(r).is_some()).collect();
                let missing = (rows.len() - present_rows.len()) as u64;
                let summary = if present_rows.is_empty() {
                    ColumnSummary::Empty
                } else if column.kind == ColumnKind::Numeric {
                    let mut values: Vec<f64> =
                        present_rows.iter().filter_map(|&r| column.number(r)).collect();
                    crate::math::sort_floats(&mut values);
                    let n = values.len() as f64;
                    let mean = values.iter().sum::<f64>() / n;
                    let std = (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
                    match Histogram::of(&values, HISTOGRAM_BINS) {
                        Some(histogram) => {
                            ColumnSummary::Numeric { mean, std, quantiles: quantiles(&values), histogram }
                        }
                        None => ColumnSummary::Empty,
                    }
                } else {
                    let mut counts: Vec<(String, u64)> = Vec::new();
                    let mut sorted: Vec<&str> = present_rows.iter().filter_map(|&r| column.cell(r)).collect();
                    sorted.sort_unstable();
                    for value in sorted {
                        match counts.last_mut() {
                            Some((last, n)) if last == value => *n += 1,
                            _ => counts.push((value.to_owned(), 1)),
                        }
                    }
                    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                    let other = counts.iter().skip(MAX_CATEGORIES).map(|(_, n)| n).sum();
                    counts.truncate(MAX_CATEGORIES);
                    ColumnSummary::Categories { counts, other }
                };
                ColumnProfile {
                    name: column.name.clone(),
                    kind: column.kind,
                    present: present_rows.len() as u64,
                    missing,
                    summary,
                }
            })
            .collect();
        let prediction = match predictions {
            Predictions::Proba(proba) => {
                let k = proba.first().map_or(0, Vec::len);
                let mut label_counts = vec![0u64; k];
                let mut probability_histograms = vec![vec![0u64; 10]; k];
                for p in proba {
                    label_counts[argmax(p)] += 1;
                    for (c, &v) in p.iter().enumerate() {
                        probability_histograms[c][((v * 10.0) as usize).min(9)] += 1;
                    }
                }
                PredictionProfile::Classes { label_counts, probability_histograms }
            }
            Predictions::Values(values) => {
                let mut sorted = values.clone();
                crate::math::sort_floats(&mut sorted);
                PredictionProfile::Values {
                    quantiles: quantiles(&sorted),
                    histogram: Histogram::of(&sorted, HISTOGRAM_BINS),
                }
            }
        };
        Self { n_rows: rows.len() as u64, columns, prediction }
    }
}
