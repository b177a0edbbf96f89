//! Model quality measures. Definitions follow scikit-learn's `sklearn.metrics`.

/// The share of predictions equal to the truth; 0 for empty input.
pub fn accuracy(truth: &[usize], predicted: &[usize]) -> f64 {
    if truth.is_empty() {
        return 0.0;
    }
    let right = truth.iter().zip(predicted).filter(|(t, p)| t == p).count();
    right as f64 / truth.len() as f64
}

/// `matrix[t][p]` counts rows of true class `t` predicted as class `p`.
pub fn confusion_matrix(n_classes: usize, truth: &[usize], predicted: &[usize]) -> Vec<Vec<usize>> {
    let mut matrix = vec![vec![0; n_classes]; n_classes];
    for (&t, &p) in truth.iter().zip(predicted) {
        matrix[t][p] += 1;
    }
    matrix
}

/// Root mean squared error.
pub fn rmse(truth: &[f64], predicted: &[f64]) -> f64 {
    mean(truth.iter().zip(predicted).map(|(t, p)| (t - p).powi(2))).sqrt()
}

/// Mean absolute error.
pub fn mae(truth: &[f64], predicted: &[f64]) -> f64 {
    mean(truth.iter().zip(predicted).map(|(t, p)| (t - p).abs()))
}

/// Coefficient of determination, `1 - SS_res / SS_tot`. As scikit-learn does, a constant truth gives
/// 1 for a perfect prediction and 0 otherwise.
pub fn r2(truth: &[f64], predicted: &[f64]) -> f64 {
    let m = mean(truth.iter().copied());
    let ss_tot: f64 = truth.iter().map(|t| (t - m).powi(2)).sum();
    let ss_res: f64 = truth.iter().zip(predicted).map(|(t, p)| (t - p).powi(2)).sum();
    if ss_tot == 0.0 {
        return if ss_res == 0.0 { 1.0 } else { 0.0 };
    }
    1.0 - ss_res / ss_tot
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_metrics_on_a_small_case() {
        let truth = [0, 0, 1, 1, 2, 2];
        let predicted = [0, 1, 1, 1, 2, 0];
        assert_eq!(accuracy(&truth, &predicted), 4.0 / 6.0);
        assert_eq!(
            confusion_matrix(3, &truth, &predicted),
            vec![vec![1, 1, 0], vec![0, 2, 0], vec![1, 0, 1]]
        );
    }

    #[test]
    fn regression_metrics_match_scikit_learn() {
        // sklearn.metrics on y_true=[3,-0.5,2,7], y_pred=[2.5,0,2,8] (the scikit-learn docs' example):
        // mean_absolute_error 0.5, r2_score 0.9486081370449679, mean_squared_error 0.375.
        let truth = [3.0, -0.5, 2.0, 7.0];
        let predicted = [2.5, 0.0, 2.0, 8.0];
        assert_eq!(mae(&truth, &predicted), 0.5);
        assert!((r2(&truth, &predicted) - 0.948_608_137_044_967_9).abs() < 1e-12);
        assert!((rmse(&truth, &predicted) - 0.375f64.sqrt()).abs() < 1e-15);
        assert_eq!(r2(&[1.0, 1.0], &[1.0, 1.0]), 1.0);
    }
}
