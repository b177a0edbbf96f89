//! Linear models: least squares with an optional ridge penalty (Cholesky), lasso and elastic net
//! (coordinate descent with scikit-learn's duality-gap stopping rule), and logistic regression
//! (L-BFGS on the mean log loss plus an L2 penalty of strength `1 / C`).
//!
//! Every model fits an unpenalised intercept by centring the features and the target first, as
//! scikit-learn does.
//!
//! The Cholesky factorisation skips columns that depend on earlier ones (a one-hot column beside
//! the intercept, say) instead of failing.

use super::{Cancelled, Progress};
use crate::math;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// `y ≈ x · coef + intercept`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    /// One weight per feature.
    pub coef: Vec<f64>,
    /// The intercept.
    pub intercept: f64,
}

impl LinearModel {
    pub(crate) fn predict_row(&self, row: &[f64]) -> f64 {
        self.intercept + dot(&self.coef, row)
    }
}

/// Logistic regression: one weight row per class (one row in total for two classes, as scikit-learn's
/// binary model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    /// `n_rows × n_features` weights, row-major; `n_rows` is 1 for two classes, else the class count.
    pub coef: Vec<f64>,
    /// One intercept per weight row.
    pub intercept: Vec<f64>,
    /// The number of classes.
    pub n_classes: usize,
    /// Whether the solver met its tolerance before `max_iter`.
    pub converged: bool,
    /// L-BFGS iterations used.
    pub iterations: usize,
}

impl LogisticModel {
    /// Class probabilities of many rows (`data` row-major, `p` features) into `out` (`n_classes` per
    /// row). Two passes for two classes: every row's score first (a stream through the data), then
    /// the sigmoids, whose independent iterations the processor can overlap.
    pub(crate) fn proba_batch(&self, data: &[f64], p: usize, out: &mut [f64]) {
        if self.n_classes != 2 || p == 0 {
            for (row, slot) in data.chunks_exact(p.max(1)).zip(out.chunks_exact_mut(self.n_classes)) {
                self.proba_row(row, slot);
            }
            return;
        }
        let coef = &self.coef[..p];
        for (row, slot) in data.chunks_exact(p).zip(out.chunks_exact_mut(2)) {
            slot[1] = self.intercept[0] + dot(coef, row);
        }
        for slot in out.chunks_exact_mut(2) {
            let positive = math::sigmoid(slot[1]);
            slot[0] = 1.0 - positive;
            slot[1] = positive;
        }
    }

    /// The weights and intercept behind `class`'s score, and the sign to apply to them: a
    /// multiclass model's own row for the class; a binary model's one row, which scores class 1,
    /// with sign −1 for class 0 (so a larger signed score always favours `class`).
    pub(crate) fn weights_of(&self, class: usize, p: usize) -> (&[f64], f64, f64) {
        let (row, sign) =
            if self.n_classes == 2 { (0, if class == 1 { 1.0 } else { -1.0 }) } else { (class, 1.0) };
        (&self.coef[row * p..(row + 1) * p], self.intercept[row], sign)
    }

    /// `class`'s decision function for one row, computed as [`LogisticModel::proba_row`] computes
    /// it: the logit of class 1 (negated for class 0) for two classes, else the class's score
    /// before the softmax.
    pub(crate) fn decision(&self, row: &[f64], class: usize) -> f64 {
        let (weights, intercept, sign) = self.weights_of(class, row.len());
        sign * (intercept + dot(weights, row))
    }

    pub(crate) fn proba_row(&self, row: &[f64], out: &mut [f64]) {
        let p = row.len();
        if self.n_classes == 2 {
            let z = self.intercept[0] + dot(&self.coef[..p], row);
            let positive = math::sigmoid(z);
            out[0] = 1.0 - positive;
            out[1] = positive;
        } else {
            for (k, o) in out.iter_mut().enumerate() {
                *o = self.intercept[k] + dot(&self.coef[k * p..(k + 1) * p], row);
            }
            math::softmax_in_place(out);
        }
    }
}

/// The dot product, with four running sums so the processor can overlap the multiplications (the
/// order of additions is fixed, so results are the same on every platform).
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0; 4];
    let mut a4 = a.chunks_exact(4);
    let mut b4 = b.chunks_exact(4);
    for (x, y) in (&mut a4).zip(&mut b4) {
        acc[0] += x[0] * y[0];
        acc[1] += x[1] * y[1];
        acc[2] += x[2] * y[2];
        acc[3] += x[3] * y[3];
    }
    let tail: f64 = a4.remainder().iter().zip(b4.remainder()).map(|(x, y)| x * y).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

fn row(x: &Array2<f64>, i: usize) -> &[f64] {
    let p = x.ncols();
    &x.as_slice().expect("feature matrices are built in standard layout")[i * p..(i + 1) * p]
}

/// Column means of `x` and the mean of `y`.
fn centre(x: &Array2<f64>, y: &[f64]) -> (Vec<f64>, f64) {
    let (n, p) = x.dim();
    let mut means = vec![0.0; p];
    for i in 0..n {
        for (m, v) in means.iter_mut().zip(row(x, i)) {
            *m += v;
        }
    }
    for m in &mut means {
        *m /= n as f64;
    }
    (means, y.iter().sum::<f64>() / n as f64)
}

/// Least squares with penalty `alpha · ‖w‖²` (ordinary least squares for `alpha = 0`), solved through
/// the normal equations with a Cholesky factorisation. A column that is a linear combination of
/// earlier ones (as one-hot columns are of the intercept) gets weight 0 instead of breaking the
/// factorisation, which gives the same predictions as any other least-squares solution.
pub(crate) fn least_squares(x: &Array2<f64>, y: &[f64], alpha: f64) -> LinearModel {
    let (n, p) = x.dim();
    let (x_mean, y_mean) = centre(x, y);
    let mut gram = vec![0.0; p * p];
    let mut rhs = vec![0.0; p];
    let mut centred = vec![0.0; p];
    for (i, yi) in y.iter().enumerate().take(n) {
        for (c, (v, m)) in centred.iter_mut().zip(row(x, i).iter().zip(&x_mean)) {
            *c = v - m;
        }
        let yc = yi - y_mean;
        for a in 0..p {
            let ca = centred[a];
            if ca == 0.0 {
                continue;
            }
            rhs[a] += ca * yc;
            let gram_row = &mut gram[a * p..a * p + a + 1];
            for (g, cb) in gram_row.iter_mut().zip(&centred[..=a]) {
                *g += ca * cb;
            }
        }
    }
    for a in 0..p {
        gram[a * p + a] += alpha;
    }
    let coef = cholesky_solve(&mut gram, &rhs, p);
    let intercept = y_mean - dot(&coef, &x_mean);
    LinearModel { coef, intercept }
}

/// Solves `g · w = rhs` for the symmetric positive semi-definite `g` (lower triangle filled), skipping
/// columns whose pivot vanishes.
fn cholesky_solve(g: &mut [f64], rhs: &[f64], p: usize) -> Vec<f64> {
    let scale = (0..p).map(|a| g[a * p + a]).fold(0.0_f64, f64::max).max(f64::MIN_POSITIVE);
    let mut dropped = vec![false; p];
    for j in 0..p {
        let mut d = g[j * p + j];
        for k in 0..j {
            d -= g[j * p + k] * g[j * p + k];
        }
        if d <= 1e-10 * scale {
            dropped[j] = true;
            for i in j..p {
                g[i * p + j] = 0.0;
            }
            continue;
        }
        let d = d.sqrt();
        g[j * p + j] = d;
        for i in j + 1..p {
            let mut s = g[i * p + j];
            for k in 0..j {
                s -= g[i * p + k] * g[j * p + k];
            }
            g[i * p + j] = s / d;
        }
    }
    let mut z = vec![0.0; p];
    for i in 0..p {
        if dropped[i] {
            continue;
        }
        let mut s = rhs[i];
        for k in 0..i {
            s -= g[i * p + k] * z[k];
        }
        z[i] = s / g[i * p + i];
    }
    let mut w = vec![0.0; p];
    for i in (0..p).rev() {
        if dropped[i] {
            continue;
        }
        let mut s = z[i];
        for k in i + 1..p {
            s -= g[k * p + i] * w[k];
        }
        w[i] = s / g[i * p + i];
    }
    w
}

/// Elastic net by cyclic coordinate descent, minimising
/// `‖y − Xw − b‖² / (2n) + alpha · l1_ratio · ‖w‖₁ + alpha · (1 − l1_ratio) · ‖w‖² / 2`
/// (lasso is `l1_ratio = 1`), stopped by the duality gap as scikit-learn does.
pub(crate) fn elastic_net(
    x: &Array2<f64>,
    y: &[f64],
    alpha: f64,
    l1_ratio: f64,
    max_iter: usize,
    tol: f64,
) -> (LinearModel, bool) {
    let (n, p) = x.dim();
    let (x_mean, y_mean) = centre(x, y);
    // Column-major centred copy: coordinate descent walks one column at a time.
    let mut cols = vec![0.0; n * p];
    for i in 0..n {
        for (j, (v, m)) in row(x, i).iter().zip(&x_mean).enumerate() {
            cols[j * n + i] = v - m;
        }
    }
    let yc: Vec<f64> = y.iter().map(|v| v - y_mean).collect();
    let l1 = alpha * l1_ratio * n as f64;
    let l2 = alpha * (1.0 - l1_ratio) * n as f64;
    let norms: Vec<f64> = (0..p).map(|j| cols[j * n..(j + 1) * n].iter().map(|v| v * v).sum()).collect();
    let mut w = vec![0.0; p];
    let mut residual = yc.clone();
    let tol_scaled = tol * yc.iter().map(|v| v * v).sum::<f64>();
    let mut converged = false;
    for _ in 0..max_iter {
        let (mut w_max, mut d_w_max) = (0.0_f64, 0.0_f64);
        for j in 0..p {
            if norms[j] == 0.0 {
                continue;
            }
            let col = &cols[j * n..(j + 1) * n];
            let old = w[j];
            let rho = dot(col, &residual) + old * norms[j];
            let new = rho.signum() * (rho.abs() - l1).max(0.0) / (norms[j] + l2);
            if new != old {
                let delta = old - new;
                for (r, c) in residual.iter_mut().zip(col) {
                    *r += delta * c;
                }
                w[j] = new;
            }
            d_w_max = d_w_max.max((new - old).abs());
            w_max = w_max.max(new.abs());
        }
        if w_max == 0.0 || d_w_max / w_max < tol {
            // The duality gap bounds how far the objective is from its optimum.
            let mut dual_norm = 0.0_f64;
            for j in 0..p {
                let xta = dot(&cols[j * n..(j + 1) * n], &residual) - l2 * w[j];
                dual_norm = dual_norm.max(xta.abs());
            }
            let r_norm2: f64 = residual.iter().map(|r| r * r).sum();
            let w_norm2: f64 = w.iter().map(|v| v * v).sum();
            let (constant, mut gap) = if dual_norm > l1 {
                let c = l1 / dual_norm;
                (c, 0.5 * (r_norm2 + r_norm2 * c * c))
            } else {
                (1.0, r_norm2)
            };
            let l1_norm: f64 = w.iter().map(|v| v.abs()).sum();
            gap += l1 * l1_norm - constant * dot(&residual, &yc)
                + 0.5 * l2 * (1.0 + constant * constant) * w_norm2;
            if gap < tol_scaled {
                converged = true;
                break;
            }
        }
    }
    let intercept = y_mean - dot(&w, &x_mean);
    (LinearModel { coef: w, intercept }, converged)
}

/// Logistic regression by L-BFGS, minimising `mean log loss + ‖W‖² / (2 · C · n)` (scikit-learn's
/// objective with its `lbfgs` solver: binary with one weight row, multinomial otherwise). Stops when
/// the largest gradient component falls below `tol`, or after `max_iter` iterations.
pub(crate) fn logistic(
    x: &Array2<f64>,
    y: &[usize],
    n_classes: usize,
    c: f64,
    max_iter: usize,
    tol: f64,
    progress: &mut Progress<'_>,
) -> Result<LogisticModel, Cancelled> {
    let (n, p) = x.dim();
    let rows = if n_classes == 2 { 1 } else { n_classes };
    let dim = rows * (p + 1);
    let penalty = 1.0 / (c * n as f64);
    let objective =
        |theta: &[f64], grad: &mut [f64]| -> f64 { logistic_loss(x, y, rows, theta, penalty, grad) };
    let mut theta = vec![0.0; dim];
    let (iterations, converged) = lbfgs(&mut theta, objective, max_iter, tol, progress)?;
    let mut coef = vec![0.0; rows * p];
    let mut intercept = vec![0.0; rows];
    for k in 0..rows {
        coef[k * p..(k + 1) * p].copy_from_slice(&theta[k * (p + 1)..k * (p + 1) + p]);
        intercept[k] = theta[k * (p + 1) + p];
    }
    Ok(LogisticModel { coef, intercept, n_classes, converged, iterations })
}

/// The objective and its gradient. `theta` holds, per weight row, `p` weights then the intercept.
fn logistic_loss(
    x: &Array2<f64>,
    y: &[usize],
    rows: usize,
    theta: &[f64],
    penalty: f64,
    grad: &mut [f64],
) -> f64 {
    let (n, p) = x.dim();
    let data = x.as_slice().expect("feature matrices are built in standard layout");
    grad.fill(0.0);
    let mut loss = 0.0;
    if rows == 1 {
        // Binary: with e = exp(−|z|), the loss is max(±z, 0) + ln(1 + e) and sigmoid(z) is
        // 1 / (1 + e) or e / (1 + e): one exp and one log1p per row, both our own (`math`).
        let (w, b) = theta.split_at(p);
        let b = b[0];
        let (gw, gb) = grad.split_at_mut(p);
        let mut intercept_grad = 0.0;
        for (xi, &yi) in data.chunks_exact(p.max(1)).zip(y) {
            let z = b + dot(w, xi);
            let e = math::exp_neg(-z.abs());
            let positive = yi == 1;
            loss += if positive { (-z).max(0.0) } else { z.max(0.0) } + math::ln_1p_unit(e);
            let prob = if z >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) };
            let r = prob - if positive { 1.0 } else { 0.0 };
            for (g, v) in gw.iter_mut().zip(xi) {
                *g += r * v;
            }
            intercept_grad += r;
        }
        gb[0] = intercept_grad;
    } else {
        let mut z = vec![0.0; rows];
        for (xi, &yi) in data.chunks_exact(p.max(1)).zip(y) {
            for (k, zk) in z.iter_mut().enumerate() {
                let t = &theta[k * (p + 1)..(k + 1) * (p + 1)];
                *zk = t[p] + dot(&t[..p], xi);
            }
            let lse = math::log_sum_exp(&z);
            loss += lse - z[yi];
            for (k, zk) in z.iter().enumerate() {
                let r = math::exp(zk - lse) - if k == yi { 1.0 } else { 0.0 };
                let g = &mut grad[k * (p + 1)..(k + 1) * (p + 1)];
                for (gj, v) in g[..p].iter_mut().zip(xi) {
                    *gj += r * v;
                }
                g[p] += r;
            }
        }
    }
    let inv_n = 1.0 / n as f64;
    let mut reg = 0.0;
    for k in 0..rows {
        let base = k * (p + 1);
        for j in 0..p {
            let w = theta[base + j];
            reg += w * w;
            grad[base + j] = grad[base + j] * inv_n + penalty * w;
        }
        grad[base + p] *= inv_n;
    }
    loss * inv_n + 0.5 * penalty * reg
}

/// Limited-memory BFGS (10 correction pairs) with a backtracking line search on the Armijo
/// condition. Returns the iterations used and whether the gradient tolerance was met.
fn lbfgs(
    theta: &mut [f64],
    mut f: impl FnMut(&[f64], &mut [f64]) -> f64,
    max_iter: usize,
    tol: f64,
    progress: &mut Progress<'_>,
) -> Result<(usize, bool), Cancelled> {
    const MEMORY: usize = 10;
    let dim = theta.len();
    let mut grad = vec![0.0; dim];
    let mut value = f(theta, &mut grad);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut direction = vec![0.0; dim];
    let mut trial = vec![0.0; dim];
    let mut trial_grad = vec![0.0; dim];
    for iteration in 0..max_iter {
        if grad.iter().fold(0.0_f64, |m, g| m.max(g.abs())) <= tol {
            return Ok((iteration, true));
        }
        progress.report(iteration as f64 / max_iter as f64)?;
        // Two-loop recursion: direction = −H · grad.
        direction.copy_from_slice(&grad);
        let mut alphas = vec![0.0; s_hist.len()];
        for k in (0..s_hist.len()).rev() {
            let rho = 1.0 / dot(&y_hist[k], &s_hist[k]);
            alphas[k] = rho * dot(&s_hist[k], &direction);
            for (d, yv) in direction.iter_mut().zip(&y_hist[k]) {
                *d -= alphas[k] * yv;
            }
        }
        let gamma = match (s_hist.last(), y_hist.last()) {
            (Some(s), Some(yv)) => dot(s, yv) / dot(yv, yv),
            _ => 1.0 / grad.iter().map(|g| g * g).sum::<f64>().sqrt().max(1.0),
        };
        for d in &mut direction {
            *d *= gamma;
        }
        for k in 0..s_hist.len() {
            let rho = 1.0 / dot(&y_hist[k], &s_hist[k]);
            let beta = rho * dot(&y_hist[k], &direction);
            for (d, sv) in direction.iter_mut().zip(&s_hist[k]) {
                *d += (alphas[k] - beta) * sv;
            }
        }
        for d in &mut direction {
            *d = -*d;
        }
        let mut slope = dot(&grad, &direction);
        if slope >= 0.0 {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            s_hist.clear();
            y_hist.clear();
            for (d, g) in direction.iter_mut().zip(&grad) {
                *d = -g;
            }
            slope = dot(&grad, &direction);
        }
        let mut step = 1.0;
        let mut accepted = false;
        for _ in 0..40 {
            for ((t, th), d) in trial.iter_mut().zip(theta.iter()).zip(&direction) {
                *t = th + step * d;
            }
            let trial_value = f(&trial, &mut trial_grad);
            if trial_value <= value + 1e-4 * step * slope {
                let s: Vec<f64> = trial.iter().zip(theta.iter()).map(|(a, b)| a - b).collect();
                let yv: Vec<f64> = trial_grad.iter().zip(&grad).map(|(a, b)| a - b).collect();
                if dot(&s, &yv) > 1e-12 {
                    if s_hist.len() == MEMORY {
                        s_hist.remove(0);
                        y_hist.remove(0);
                    }
                    s_hist.push(s);
                    y_hist.push(yv);
                }
                theta.copy_from_slice(&trial);
                grad.copy_from_slice(&trial_grad);
                value = trial_value;
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            // No decrease is possible at machine precision: this is the optimum we can reach.
            return Ok((iteration + 1, grad.iter().fold(0.0_f64, |m, g| m.max(g.abs())) <= tol * 10.0));
        }
    }
    let converged = grad.iter().fold(0.0_f64, |m, g| m.max(g.abs())) <= tol;
    Ok((max_iter, converged))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(rows: &[&[f64]]) -> Array2<f64> {
        let p = rows[0].len();
        Array2::from_shape_vec((rows.len(), p), rows.iter().flat_map(|r| r.iter().copied()).collect())
            .unwrap()
    }

    #[test]
    fn least_squares_recovers_an_exact_line_and_ignores_a_duplicate_column() {
        let x = matrix(&[&[1.0, 1.0], &[2.0, 2.0], &[3.0, 3.0], &[5.0, 5.0]]);
        let y = [3.0, 5.0, 7.0, 11.0];
        let model = least_squares(&x, &y, 0.0);
        for (i, yi) in y.iter().enumerate() {
            assert!((model.predict_row(row(&x, i)) - yi).abs() < 1e-9);
        }
        assert_eq!(model.coef[1], 0.0);
    }

    #[test]
    fn ridge_shrinks_and_elastic_net_with_no_l1_matches_ridge() {
        let x = matrix(&[&[0.0, 1.0], &[1.0, 0.0], &[2.0, 1.0], &[3.0, 3.0], &[4.0, 2.0]]);
        let y = [1.0, 2.0, 4.0, 7.0, 8.0];
        let ols = least_squares(&x, &y, 0.0);
        let ridge = least_squares(&x, &y, 5.0);
        assert!(ridge.coef.iter().map(|c| c * c).sum::<f64>() < ols.coef.iter().map(|c| c * c).sum::<f64>());
        // With l1_ratio 0 elastic net's normal equations add alpha·n to XᵀX: alpha = 5 / 5 rows.
        // (Its duality gap cannot certify l1_ratio = 0, as in scikit-learn, so it runs all passes.)
        let (enet, _) = elastic_net(&x, &y, 1.0, 0.0, 10_000, 1e-10);
        for (a, b) in enet.coef.iter().zip(&ridge.coef) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }

    #[test]
    fn lasso_zeroes_a_useless_feature() {
        let x = matrix(&[&[0.0, 0.3], &[1.0, -0.2], &[2.0, 0.1], &[3.0, -0.1], &[4.0, 0.2], &[5.0, -0.3]]);
        let y = [0.0, 2.0, 4.0, 6.0, 8.0, 10.0];
        let (model, converged) = elastic_net(&x, &y, 0.1, 1.0, 1000, 1e-4);
        assert!(converged);
        assert_eq!(model.coef[1], 0.0);
        assert!((model.coef[0] - 2.0).abs() < 0.1);
    }

    #[test]
    fn logistic_separates_and_reports_convergence() {
        let x = matrix(&[&[-2.0], &[-1.0], &[-0.5], &[0.5], &[1.0], &[2.0]]);
        let y = [0, 0, 1, 0, 1, 1];
        let model = logistic(&x, &y, 2, 1.0, 100, 1e-6, &mut Progress::none()).unwrap();
        assert!(model.converged);
        let mut out = [0.0; 2];
        model.proba_row(&[2.0], &mut out);
        assert!(out[1] > 0.7 && (out[0] + out[1] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn logistic_batch_probabilities_equal_row_by_row() {
        let rows: Vec<Vec<f64>> = (0..37).map(|i| vec![f64::from(i) * 0.1 - 1.8, f64::from(i % 5)]).collect();
        let x = matrix(&rows.iter().map(Vec::as_slice).collect::<Vec<_>>());
        let data = x.as_slice().unwrap();
        for n_classes in [2, 3] {
            let y: Vec<usize> = (0..37).map(|i| (i * 7 % 11) % n_classes).collect();
            let model = logistic(&x, &y, n_classes, 1.0, 100, 1e-6, &mut Progress::none()).unwrap();
            let mut batch = vec![0.0; 37 * n_classes];
            model.proba_batch(data, 2, &mut batch);
            let mut one = vec![0.0; n_classes];
            for (row, expected) in rows.iter().zip(batch.chunks_exact(n_classes)) {
                model.proba_row(row, &mut one);
                assert_eq!(one, expected);
            }
        }
    }
}
