//! Gaussian naive Bayes: per class, each feature is normal with the class's mean and variance; the
//! variances get `var_smoothing` times the largest feature variance added, as in scikit-learn.

use crate::math;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// Per-class means, variances and priors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianNb {
    /// `n_classes × n_features` means, row-major.
    pub means: Vec<f64>,
    /// `n_classes × n_features` smoothed variances, row-major.
    pub variances: Vec<f64>,
    /// Training share of each class.
    pub priors: Vec<f64>,
}

impl GaussianNb {
    pub(crate) fn fit(x: &Array2<f64>, y: &[usize], n_classes: usize, var_smoothing: f64) -> Self {
        let (n, p) = x.dim();
        let data = x.as_slice().expect("standard layout");
        let mut counts = vec![0.0_f64; n_classes];
        let mut means = vec![0.0; n_classes * p];
        for (i, &c) in y.iter().enumerate() {
            counts[c] += 1.0;
            for (m, v) in means[c * p..(c + 1) * p].iter_mut().zip(&data[i * p..(i + 1) * p]) {
                *m += v;
            }
        }
        for c in 0..n_classes {
            for m in &mut means[c * p..(c + 1) * p] {
                *m /= counts[c].max(1.0);
            }
        }
        let mut variances = vec![0.0; n_classes * p];
        for (i, &c) in y.iter().enumerate() {
            for j in 0..p {
                let d = data[i * p + j] - means[c * p + j];
                variances[c * p + j] += d * d;
            }
        }
        for c in 0..n_classes {
            for v in &mut variances[c * p..(c + 1) * p] {
                *v /= counts[c].max(1.0);
            }
        }
        // The largest variance of any feature over all rows sets the smoothing scale.
        let mut largest = 0.0_f64;
        for j in 0..p {
            let mean = (0..n).map(|i| data[i * p + j]).sum::<f64>() / n as f64;
            let var =
                (0..n).map(|i| (data[i * p + j] - mean) * (data[i * p + j] - mean)).sum::<f64>() / n as f64;
            largest = largest.max(var);
        }
        let epsilon = var_smoothing * largest;
        for v in &mut variances {
            *v += epsilon;
        }
        let priors = counts.iter().map(|c| c / n as f64).collect();
        Self { means, variances, priors }
    }

    pub(crate) fn proba_row(&self, row: &[f64], out: &mut [f64]) {
        let p = row.len();
        for (c, o) in out.iter_mut().enumerate() {
            let mut log_likelihood = math::ln(self.priors[c]);
            for (j, x) in row.iter().enumerate() {
                let var = self.variances[c * p + j];
                let d = x - self.means[c * p + j];
                log_likelihood -= 0.5 * math::ln(2.0 * std::f64::consts::PI * var) + 0.5 * d * d / var;
            }
            *o = log_likelihood;
        }
        math::softmax_in_place(out);
    }
}
