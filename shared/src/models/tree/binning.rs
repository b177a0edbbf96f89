//! Cutting each feature into at most [`MAX_BINS`] bins on the training rows.

use super::MAX_BINS;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// Halfway between `lo` and `hi`, as scikit-learn puts a threshold; for values so far apart that
/// their difference overflows (±1.7e308), from their halves, so the threshold stays finite.
fn midpoint(lo: f64, hi: f64) -> f64 {
    let middle = lo + (hi - lo) / 2.0;
    if middle.is_finite() {
        middle
    } else {
        lo / 2.0 + hi / 2.0
    }
}

/// Column `f` of row-major `data` (`p` columns) sorted into `values`; returns its distinct values.
pub(super) fn sorted_column(data: &[f64], p: usize, f: usize, values: &mut Vec<f64>) -> Vec<f64> {
    values.clear();
    values.extend(data.iter().skip(f).step_by(p.max(1)).copied());
    crate::math::sort_floats(values);
    let mut distinct = values.clone();
    distinct.dedup();
    distinct
}

/// Per feature, the thresholds between bins learned on the training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binner {
    /// `edges[f]` ascending; a value `v` falls in bin `#{e in edges[f] : e < v}`.
    pub edges: Vec<Vec<f64>>,
}

impl Binner {
    /// Learns the bins of every column of `x`.
    pub fn fit(x: &Array2<f64>) -> Self {
        let (n, p) = x.dim();
        let data = x.as_slice().expect("standard layout");
        let mut edges = Vec::with_capacity(p);
        let mut values = Vec::with_capacity(n);
        for f in 0..p {
            let distinct = sorted_column(data, p, f, &mut values);
            let cuts: Vec<f64> = if distinct.len() <= MAX_BINS {
                distinct.windows(2).map(|w| midpoint(w[0], w[1])).collect()
            } else {
                let mut cuts = Vec::with_capacity(MAX_BINS - 1);
                for b in 1..MAX_BINS {
                    let k = b * n / MAX_BINS;
                    let (lo, hi) = (values[k - 1], values[k]);
                    if lo < hi {
                        let cut = midpoint(lo, hi);
                        if cuts.last().is_none_or(|&last| last < cut) {
                            cuts.push(cut);
                        }
                    }
                }
                cuts
            };
            edges.push(cuts);
        }
        Self { edges }
    }

    /// The bin of value `v` of feature `f`.
    pub fn bin(&self, f: usize, v: f64) -> u8 {
        self.edges[f].partition_point(|&e| e < v) as u8
    }

    /// `x` as bins, column-major (feature `f` of row `i` at `f · n + i`).
    pub(super) fn transform(&self, x: &Array2<f64>) -> Vec<u8> {
        let (n, p) = x.dim();
        let data = x.as_slice().expect("standard layout");
        let mut out = vec![0u8; n * p];
        for f in 0..p {
            for i in 0..n {
                out[f * n + i] = self.bin(f, data[i * p + f]);
            }
        }
        out
    }

    /// The bins of one row.
    pub(super) fn row(&self, row: &[f64], out: &mut Vec<u8>) {
        out.clear();
        out.extend(row.iter().enumerate().map(|(f, &v)| self.bin(f, v)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_values_get_midpoint_thresholds() {
        let x = Array2::from_shape_vec((4, 1), vec![1.0, 3.0, 3.0, 7.0]).unwrap();
        let binner = Binner::fit(&x);
        assert_eq!(binner.edges[0], vec![2.0, 5.0]);
        assert_eq!((binner.bin(0, 2.0), binner.bin(0, 2.5), binner.bin(0, 100.0)), (0, 1, 2));
    }

    #[test]
    fn many_distinct_values_get_at_most_256_bins_of_similar_counts() {
        let x =
            Array2::from_shape_vec((10_000, 1), (0..10_000).map(|i| f64::from(i) * 0.5).collect()).unwrap();
        let binner = Binner::fit(&x);
        assert_eq!(binner.edges[0].len(), MAX_BINS - 1);
        let mut counts = vec![0usize; MAX_BINS];
        for v in x.iter() {
            counts[binner.bin(0, *v) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (38..=40).contains(&c)), "{counts:?}");
    }
}
