//! k-nearest neighbours by brute force: the training rows are the model. Distances are Euclidean,
//! votes uniform, and ties in distance go to the earlier training row.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// The stored training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Neighbours {
    /// How many neighbours vote.
    pub k: usize,
    /// Features per row.
    pub n_features: usize,
    /// The training rows, row-major.
    pub x: Vec<f64>,
    /// Class index per training row (classification), empty otherwise.
    pub classes: Vec<u32>,
    /// Target per training row (regression), empty otherwise.
    pub values: Vec<f64>,
    /// Classes for a classifier, 0 for a regressor.
    pub n_classes: usize,
}

impl Neighbours {
    pub(crate) fn new(
        x: &Array2<f64>,
        k: usize,
        classes: Vec<u32>,
        values: Vec<f64>,
        n_classes: usize,
    ) -> Self {
        let x_flat = x.as_slice().expect("standard layout").to_vec();
        Self { k, n_features: x.ncols(), x: x_flat, classes, values, n_classes }
    }

    /// The indices of the `k` nearest training rows, nearest first.
    fn nearest(&self, row: &[f64], best: &mut Vec<(f64, usize)>) {
        best.clear();
        let k = self.k.min(self.x.len() / self.n_features.max(1));
        for (i, train) in self.x.chunks_exact(self.n_features).enumerate() {
            let d: f64 = train.iter().zip(row).map(|(a, b)| (a - b) * (a - b)).sum();
            if best.len() < k {
                let at = best.partition_point(|&(bd, _)| bd <= d);
                best.insert(at, (d, i));
            } else if d < best[k - 1].0 {
                best.pop();
                let at = best.partition_point(|&(bd, _)| bd <= d);
                best.insert(at, (d, i));
            }
        }
    }

    pub(crate) fn proba_row(&self, row: &[f64], scratch: &mut Vec<(f64, usize)>, out: &mut [f64]) {
        self.nearest(row, scratch);
        out.fill(0.0);
        for &(_, i) in scratch.iter() {
            out[self.classes[i] as usize] += 1.0;
        }
        let n = scratch.len() as f64;
        for o in out.iter_mut() {
            *o /= n;
        }
    }

    pub(crate) fn value_row(&self, row: &[f64], scratch: &mut Vec<(f64, usize)>) -> f64 {
        self.nearest(row, scratch);
        scratch.iter().map(|&(_, i)| self.values[i]).sum::<f64>() / scratch.len() as f64
    }
}
