//! Transcendental functions from the pure-Rust `libm`, so that a model trained natively and one
//! trained in the browser are bit for bit the same (the platform's own `exp` and `ln` may round
//! differently in the last place; `libm` computes the same bits everywhere).

/// `e^x`.
pub(crate) fn exp(x: f64) -> f64 {
    libm::exp(x)
}

/// The natural logarithm.
pub(crate) fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// `1 / (1 + e^−z)` without overflow.
pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + exp(-z))
    } else {
        let e = exp(z);
        e / (1.0 + e)
    }
}

/// `ln Σ e^v` without overflow.
pub(crate) fn log_sum_exp(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + ln(values.iter().map(|v| exp(v - max)).sum())
}

/// Replaces scores by their softmax probabilities.
pub(crate) fn softmax_in_place(values: &mut [f64]) {
    let lse = log_sum_exp(values);
    for v in values.iter_mut() {
        *v = exp(*v - lse);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_at_the_extremes() {
        assert_eq!(sigmoid(800.0), 1.0);
        assert_eq!(sigmoid(-800.0), 0.0);
        assert!((log_sum_exp(&[1000.0, 1000.0]) - (1000.0 + std::f64::consts::LN_2)).abs() < 1e-9);
        let mut v = [1.0, 2.0, 3.0];
        softmax_in_place(&mut v);
        assert!((v.iter().sum::<f64>() - 1.0).abs() < 1e-15);
    }
}
