//! Running each drift test on both sides of a column ([`Side`]), as SciPy and Evidently compute
//! it: Kolmogorov–Smirnov, chi-square, z, Wasserstein, Jensen–Shannon, PSI, KL and Hellinger.

use super::binning;
use super::merged::{distinct_values, wasserstein};
use super::{Distribution, DriftKind, DriftTest};
use crate::stats;
use std::collections::{BTreeMap, BTreeSet};

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
        /// How many distinct values there are, when `values` are the values themselves (one each,
        /// or each with its count) rather than a sketch's centroids.
        distinct: Option<usize>,
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
    pub(super) fn label_counts(&self) -> BTreeMap<String, f64> {
        match self {
            Side::Labels { counts } => counts.iter().map(|(k, &v)| (k.clone(), v as f64)).collect(),
            Side::Numbers { values, weights: Some(weights), .. } => {
                let mut counts = BTreeMap::new();
                for (i, &v) in values.iter().enumerate() {
                    *counts.entry(number_label(v)).or_insert(0.0) += weights[i];
                }
                counts
            }
            // One row each: a run of equal values at once. Its length is the sum of its 1s, exactly.
            Side::Numbers { values, weights: None, .. } => {
                let mut counts = BTreeMap::new();
                for run in values.chunk_by(|a, b| a.to_bits() == b.to_bits()) {
                    *counts.entry(number_label(run[0])).or_insert(0.0) += run.len() as f64;
                }
                counts
            }
        }
    }
}

/// What a test computed.
pub(super) struct Outcome {
    pub(super) statistic: f64,
    pub(super) p_value: Option<f64>,
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
        if rd.is_none_or(|d| d > 20) {
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

pub(super) fn run_test(
    test: DriftTest,
    kind: DriftKind,
    reference: &Side,
    current: &Side,
) -> (Outcome, Distribution) {
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

/// `scipy.stats.wasserstein_distance` between two sides, each value weighted by the rows it stands
/// for: the area between the two CDFs, walked once over both sorted sides.
fn weighted_wasserstein(reference: &Side, current: &Side) -> f64 {
    match (reference, current) {
        (Side::Numbers { values: u, weights: uw, .. }, Side::Numbers { values: v, weights: vw, .. }) => {
            wasserstein(u, uw.as_deref(), v, vw.as_deref())
        }
        _ => 0.0,
    }
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
        let (keys, integers) = match (reference, current) {
            (
                Side::Numbers { values: a, distinct: Some(_), integers: ia, .. },
                Side::Numbers { values: b, distinct: Some(_), integers: ib, .. },
            ) => (distinct_values(a, b), *ia && *ib),
            _ => {
                let mut keys: Vec<f64> = expanded(reference).into_iter().chain(expanded(current)).collect();
                crate::math::sort_floats(&mut keys);
                keys.dedup();
                (keys, false)
            }
        };
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
