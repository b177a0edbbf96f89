//! Model quality measures. Definitions follow scikit-learn's `sklearn.metrics`, and
//! `shared/tests/core/metrics_vs_sklearn.rs` checks each against values scikit-learn computed.

mod percentile;

pub use percentile::{percentile, percentile_sorted, percentile_unsorted};

use serde::{Deserialize, Serialize};

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

/// Precision, recall and F1 of one class, with how many true rows it has.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassScores {
    /// Of the rows predicted as this class, the share that are (0 when none were predicted).
    pub precision: f64,
    /// Of the rows of this class, the share predicted as it (0 when there are none).
    pub recall: f64,
    /// The harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    /// True rows of this class.
    pub support: usize,
}

/// Per-class scores read off a confusion matrix (`matrix[t][p]`), as scikit-learn's
/// `precision_recall_fscore_support(..., zero_division=0)`.
pub fn class_scores(matrix: &[Vec<usize>]) -> Vec<ClassScores> {
    (0..matrix.len())
        .map(|k| {
            let hits = matrix[k][k] as f64;
            let predicted: usize = matrix.iter().map(|row| row[k]).sum();
            let support: usize = matrix[k].iter().sum();
            let precision = ratio(hits, predicted as f64);
            let recall = ratio(hits, support as f64);
            let f1 = ratio(2.0 * precision * recall, precision + recall);
            ClassScores { precision, recall, f1, support }
        })
        .collect()
}

/// The unweighted mean of per-class scores (scikit-learn's `average="macro"`).
pub fn macro_average(scores: &[ClassScores]) -> ClassScores {
    let n = scores.len().max(1) as f64;
    ClassScores {
        precision: scores.iter().map(|s| s.precision).sum::<f64>() / n,
        recall: scores.iter().map(|s| s.recall).sum::<f64>() / n,
        f1: scores.iter().map(|s| s.f1).sum::<f64>() / n,
        support: scores.iter().map(|s| s.support).sum(),
    }
}

/// The mean of per-class scores weighted by support (scikit-learn's `average="weighted"`).
pub fn weighted_average(scores: &[ClassScores]) -> ClassScores {
    let total: usize = scores.iter().map(|s| s.support).sum();
    let weighted = |f: fn(&ClassScores) -> f64| {
        ratio(scores.iter().map(|s| f(s) * s.support as f64).sum::<f64>(), total as f64)
    };
    ClassScores {
        precision: weighted(|s| s.precision),
        recall: weighted(|s| s.recall),
        f1: weighted(|s| s.f1),
        support: total,
    }
}

/// The mean recall over the classes that occur in the truth (scikit-learn's `balanced_accuracy_score`).
pub fn balanced_accuracy(matrix: &[Vec<usize>]) -> f64 {
    let recalls: Vec<f64> = class_scores(matrix).iter().filter(|s| s.support > 0).map(|s| s.recall).collect();
    ratio(recalls.iter().sum(), recalls.len() as f64)
}

/// Mean negative log-likelihood of the true class. Probabilities are clipped to `[ε, 1 − ε]` with ε
/// the f64 machine epsilon, as scikit-learn's `log_loss` does. `proba[i][k]` is row `i`'s class `k`.
pub fn log_loss(truth: &[usize], proba: &[Vec<f64>]) -> f64 {
    let eps = f64::EPSILON;
    // A row without a probability for its class counts as probability 0 (clipped), not a panic.
    let p_true = |t: usize, p: &[f64]| p.get(t).copied().unwrap_or(0.0);
    mean(truth.iter().zip(proba).map(|(&t, p)| -crate::math::ln(p_true(t, p).clamp(eps, 1.0 - eps))))
}

/// Area under the ROC curve of `scores` for telling `positive` rows from the rest; ties count half
/// (the Mann–Whitney statistic, equal to scikit-learn's trapezoidal `roc_auc_score`). `None` when
/// only one side is present.
pub fn roc_auc(positive: &[bool], scores: &[f64]) -> Option<f64> {
    let n_pos = positive.iter().filter(|&&p| p).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum the (tie-averaged, 1-based) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && tied(scores[order[j + 1]], scores[order[i]]) {
            j += 1;
        }
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += average_rank * order[i..=j].iter().filter(|&&r| positive[r]).count() as f64;
        i = j + 1;
    }
    let u = rank_sum - (n_pos * (n_pos + 1)) as f64 / 2.0;
    Some(u / (n_pos as f64 * n_neg as f64))
}

/// One-vs-rest ROC AUC averaged over classes (scikit-learn's `multi_class="ovr", average="macro"`);
/// for two classes, the AUC of class 1's probability. `None` if a class is absent from the truth.
pub fn roc_auc_multiclass(truth: &[usize], proba: &[Vec<f64>], n_classes: usize) -> Option<f64> {
    let one_vs_rest = |k: usize| {
        let positive: Vec<bool> = truth.iter().map(|&t| t == k).collect();
        let scores: Vec<f64> = proba.iter().map(|p| p[k]).collect();
        roc_auc(&positive, &scores)
    };
    if n_classes == 2 {
        return one_vs_rest(1);
    }
    let aucs: Option<Vec<f64>> = (0..n_classes).map(one_vs_rest).collect();
    aucs.map(|a| a.iter().sum::<f64>() / n_classes as f64)
}

/// Whether two scores share a threshold. NaN ties with NaN: with `==` alone a NaN score never
/// joined its own group, so the grouping loops never advanced past it (and grew without bound).
fn tied(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Counts of true and false positives when every row scoring at least `threshold` is called
/// positive, one entry per distinct score, highest threshold first.
fn cumulative_counts(positive: &[bool], scores: &[f64]) -> Vec<(f64, usize, usize)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut fp, mut out) = (0usize, 0usize, Vec::new());
    let mut i = 0;
    while i < order.len() {
        // Rows tied at this threshold change sides together.
        let threshold = scores[order[i]];
        while i < order.len() && tied(scores[order[i]], threshold) {
            if positive[order[i]] {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        out.push((threshold, tp, fp));
    }
    out
}

/// Points of the ROC curve, every distinct threshold kept (scikit-learn's `roc_curve` with
/// `drop_intermediate=False`, less its first threshold, +∞).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocCurve {
    /// False positive rates, starting at the (0, 0) corner.
    pub fpr: Vec<f64>,
    /// True positive rates, parallel to `fpr`.
    pub tpr: Vec<f64>,
    /// The threshold of each point after the corner, highest first.
    pub thresholds: Vec<f64>,
}

impl RocCurve {
    /// The curve for a chart: only points at least `step` from the last kept one (in false positive
    /// rate plus true positive rate), with both ends. A step of 0.001 is under a pixel on any chart
    /// and keeps at most about 2,000 points of a curve with tens of thousands.
    pub fn thinned(&self, step: f64) -> Self {
        let keep = thin(&self.fpr, &self.tpr, step);
        Self {
            fpr: keep.iter().map(|&i| self.fpr[i]).collect(),
            tpr: keep.iter().map(|&i| self.tpr[i]).collect(),
            // The corner (index 0) has no threshold.
            thresholds: keep.iter().filter(|&&i| i > 0).map(|&i| self.thresholds[i - 1]).collect(),
        }
    }
}

/// Indices of the points of the curve `(xs, ys)` to draw: the first, the last, and each point at
/// least `step` (in |Δx| + |Δy|) from the one kept before it.
fn thin(xs: &[f64], ys: &[f64], step: f64) -> Vec<usize> {
    let n = xs.len().min(ys.len());
    let mut keep: Vec<usize> = Vec::new();
    for i in 0..n {
        let far = match keep.last() {
            None => true,
            Some(&j) => i + 1 == n || (xs[i] - xs[j]).abs() + (ys[i] - ys[j]).abs() >= step,
        };
        if far {
            keep.push(i);
        }
    }
    keep
}

/// The ROC curve of `scores` for finding `positive` rows; `None` unless both sides are present.
pub fn roc_curve(positive: &[bool], scores: &[f64]) -> Option<RocCurve> {
    let n_pos = positive.iter().filter(|&&p| p).count() as f64;
    let n_neg = positive.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return None;
    }
    let counts = cumulative_counts(positive, scores);
    let mut curve = RocCurve { fpr: vec![0.0], tpr: vec![0.0], thresholds: Vec::with_capacity(counts.len()) };
    for (threshold, tp, fp) in counts {
        curve.fpr.push(fp as f64 / n_neg);
        curve.tpr.push(tp as f64 / n_pos);
        curve.thresholds.push(threshold);
    }
    Some(curve)
}

/// Points of the precision–recall curve in scikit-learn's `precision_recall_curve` order:
/// thresholds rising, and a last point (precision 1, recall 0) with no threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrCurve {
    /// Precision at each threshold, then 1.
    pub precision: Vec<f64>,
    /// Recall at each threshold, then 0.
    pub recall: Vec<f64>,
    /// The distinct scores, lowest first.
    pub thresholds: Vec<f64>,
}

impl PrCurve {
    /// The curve for a chart, as [`RocCurve::thinned`] (in recall plus precision).
    pub fn thinned(&self, step: f64) -> Self {
        let keep = thin(&self.recall, &self.precision, step);
        Self {
            precision: keep.iter().map(|&i| self.precision[i]).collect(),
            recall: keep.iter().map(|&i| self.recall[i]).collect(),
            // The last point (recall 0, precision 1) has no threshold.
            thresholds: keep
                .iter()
                .filter(|&&i| i < self.thresholds.len())
                .map(|&i| self.thresholds[i])
                .collect(),
        }
    }

    /// The threshold with the highest F1, and that F1 (the lowest such threshold on a tie).
    pub fn best_f1(&self) -> (f64, f64) {
        let mut best = (self.thresholds.first().copied().unwrap_or(0.5), 0.0);
        for (i, &threshold) in self.thresholds.iter().enumerate() {
            let (p, r) = (self.precision[i], self.recall[i]);
            let f1 = ratio(2.0 * p * r, p + r);
            if f1 > best.1 {
                best = (threshold, f1);
            }
        }
        best
    }

    /// The highest threshold whose recall reaches `target`, so precision is as high as it can be.
    pub fn threshold_for_recall(&self, target: f64) -> Option<f64> {
        self.thresholds.iter().zip(&self.recall).rev().find(|(_, &r)| r >= target).map(|(&t, _)| t)
    }
}

/// The precision–recall curve of `scores` for finding `positive` rows; `None` without positives.
pub fn pr_curve(positive: &[bool], scores: &[f64]) -> Option<PrCurve> {
    let n_pos = positive.iter().filter(|&&p| p).count() as f64;
    if n_pos == 0.0 {
        return None;
    }
    let counts = cumulative_counts(positive, scores);
    let mut curve = PrCurve {
        precision: Vec::with_capacity(counts.len() + 1),
        recall: Vec::with_capacity(counts.len() + 1),
        thresholds: Vec::with_capacity(counts.len()),
    };
    for &(threshold, tp, fp) in counts.iter().rev() {
        curve.precision.push(tp as f64 / (tp + fp) as f64);
        curve.recall.push(tp as f64 / n_pos);
        curve.thresholds.push(threshold);
    }
    curve.precision.push(1.0);
    curve.recall.push(0.0);
    Some(curve)
}

/// Average precision, the area under the precision–recall curve as scikit-learn's
/// `average_precision_score` computes it: `Σ (Rₙ − Rₙ₋₁) Pₙ` over the distinct score thresholds.
/// `None` when there is no positive row.
pub fn average_precision(positive: &[bool], scores: &[f64]) -> Option<f64> {
    let n_pos = positive.iter().filter(|&&p| p).count() as f64;
    if n_pos == 0.0 {
        return None;
    }
    let mut last_recall = 0.0;
    let mut ap = 0.0;
    for (_, tp, fp) in cumulative_counts(positive, scores) {
        let recall = tp as f64 / n_pos;
        ap += (recall - last_recall) * (tp as f64 / (tp + fp) as f64);
        last_recall = recall;
    }
    Some(ap)
}

/// Mean absolute percentage error as a fraction, each error divided by `max(|truth|, ε)` as
/// scikit-learn's `mean_absolute_percentage_error` does (so a zero truth gives a huge, finite term).
pub fn mape(truth: &[f64], predicted: &[f64]) -> f64 {
    mean(truth.iter().zip(predicted).map(|(t, p)| (t - p).abs() / t.abs().max(f64::EPSILON)))
}

/// How a model does within one group of rows (one value of a chosen column).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupScores {
    /// The group's value.
    pub group: String,
    /// Rows in the group.
    pub count: usize,
    /// Accuracy within the group.
    pub accuracy: f64,
    /// Share of the group predicted as the positive class.
    pub selection_rate: f64,
    /// Recall of the positive class within the group; `None` if the group has no positive rows.
    pub true_positive_rate: Option<f64>,
}

/// Per-group scores and the gaps between groups (fairlearn's definitions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupReport {
    /// One entry per group, sorted by group value.
    pub groups: Vec<GroupScores>,
    /// Largest minus smallest selection rate.
    pub demographic_parity_difference: f64,
    /// Largest minus smallest true positive rate, over groups with positive rows.
    pub equal_opportunity_difference: f64,
    /// Largest minus smallest accuracy.
    pub accuracy_gap: f64,
}

/// Scores per group of `groups` (parallel to `truth` and `predicted`), with `positive` as the class
/// whose selection and recall are compared.
pub fn group_report(groups: &[&str], truth: &[usize], predicted: &[usize], positive: usize) -> GroupReport {
    let mut members: std::collections::BTreeMap<&str, Vec<usize>> = std::collections::BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        members.entry(g).or_default().push(i);
    }
    let scores: Vec<GroupScores> = members
        .into_iter()
        .map(|(group, rows)| {
            let n = rows.len() as f64;
            let right = rows.iter().filter(|&&i| truth[i] == predicted[i]).count() as f64;
            let selected = rows.iter().filter(|&&i| predicted[i] == positive).count() as f64;
            let positives: Vec<usize> = rows.iter().copied().filter(|&i| truth[i] == positive).collect();
            let found = positives.iter().filter(|&&i| predicted[i] == positive).count() as f64;
            GroupScores {
                group: group.to_owned(),
                count: rows.len(),
                accuracy: right / n,
                selection_rate: selected / n,
                true_positive_rate: (!positives.is_empty()).then(|| found / positives.len() as f64),
            }
        })
        .collect();
    let spread = |values: Vec<f64>| {
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        if values.is_empty() {
            0.0
        } else {
            max - min
        }
    };
    GroupReport {
        demographic_parity_difference: spread(scores.iter().map(|g| g.selection_rate).collect()),
        equal_opportunity_difference: spread(scores.iter().filter_map(|g| g.true_positive_rate).collect()),
        accuracy_gap: spread(scores.iter().map(|g| g.accuracy).collect()),
        groups: scores,
    }
}

/// How much a score drops when one feature is shuffled, over several shuffles.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Importance {
    /// Mean drop of the score (higher: the model leans on the feature more).
    pub mean: f64,
    /// Standard deviation of the drop over the repeats (population, as scikit-learn reports).
    pub std: f64,
}

/// Permutation feature importance (Breiman; scikit-learn's `permutation_importance`): for each
/// feature column of `x`, shuffle it `n_repeats` times (seeded) and record `score(x) − score(shuffled)`.
/// `score` is any higher-is-better measure of the fitted model on `x`.
pub fn permutation_importance(
    x: &[Vec<f64>],
    n_repeats: usize,
    seed: u64,
    mut score: impl FnMut(&[Vec<f64>]) -> f64,
) -> Vec<Importance> {
    let n_features = x.first().map_or(0, Vec::len);
    let baseline = score(x);
    let mut shuffled = x.to_vec();
    importance_by_shuffling(n_features, n_repeats, seed, baseline, |j, rng| {
        let mut column: Vec<f64> = x.iter().map(|row| row[j]).collect();
        rng.shuffle(&mut column);
        for (row, v) in shuffled.iter_mut().zip(&column) {
            row[j] = *v;
        }
        let shuffled_score = score(&shuffled);
        for (row, original) in shuffled.iter_mut().zip(x) {
            row[j] = original[j];
        }
        shuffled_score
    })
}

/// The loop every permutation importance shares: for each of `units` (a feature, or an input column
/// with all the features it makes), `repeats` times (at least once), the drop
/// `baseline − shuffled_score(unit, rng)`, where `shuffled_score` scores with that unit shuffled by
/// `rng` and then puts it back. Returns the mean and population spread of the drops per unit.
pub(crate) fn importance_by_shuffling(
    units: usize,
    repeats: usize,
    seed: u64,
    baseline: f64,
    mut shuffled_score: impl FnMut(usize, &mut crate::rng::SplitMix64) -> f64,
) -> Vec<Importance> {
    let mut rng = crate::rng::SplitMix64::new(seed);
    (0..units)
        .map(|unit| {
            let drops: Vec<f64> =
                (0..repeats.max(1)).map(|_| baseline - shuffled_score(unit, &mut rng)).collect();
            let n = drops.len() as f64;
            let mean = drops.iter().sum::<f64>() / n;
            let std = (drops.iter().map(|d| (d - mean) * (d - mean)).sum::<f64>() / n).sqrt();
            Importance { mean, std }
        })
        .collect()
}

fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator == 0.0 {
        0.0
    } else {
        numerator / denominator
    }
}

/// Root mean squared error.
pub fn rmse(truth: &[f64], predicted: &[f64]) -> f64 {
    mean(truth.iter().zip(predicted).map(|(t, p)| (t - p) * (t - p))).sqrt()
}

/// Mean absolute error.
pub fn mae(truth: &[f64], predicted: &[f64]) -> f64 {
    mean(truth.iter().zip(predicted).map(|(t, p)| (t - p).abs()))
}

/// Coefficient of determination, `1 - SS_res / SS_tot`. As scikit-learn does, a constant truth gives
/// 1 for a perfect prediction and 0 otherwise.
pub fn r2(truth: &[f64], predicted: &[f64]) -> f64 {
    let m = mean(truth.iter().copied());
    let ss_tot: f64 = truth.iter().map(|t| (t - m) * (t - m)).sum();
    let ss_res: f64 = truth.iter().zip(predicted).map(|(t, p)| (t - p) * (t - p)).sum();
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
    fn permutation_importance_sees_only_the_feature_the_model_uses() {
        // A "model" that predicts class 1 when feature 0 is positive; feature 1 is ignored.
        let x: Vec<Vec<f64>> =
            (0..100).map(|i| vec![if i % 2 == 0 { 1.0 } else { -1.0 }, i as f64]).collect();
        let truth: Vec<usize> = (0..100).map(|i| usize::from(i % 2 == 0)).collect();
        let score = |x: &[Vec<f64>]| {
            let predicted: Vec<usize> = x.iter().map(|row| usize::from(row[0] > 0.0)).collect();
            accuracy(&truth, &predicted)
        };
        let importances = permutation_importance(&x, 5, 7, score);
        assert!(importances[0].mean > 0.3, "{:?}", importances[0]);
        assert_eq!(importances[1], Importance { mean: 0.0, std: 0.0 });
        assert_eq!(importances, permutation_importance(&x, 5, 7, score), "seeded");
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

    #[test]
    fn thinned_curves_keep_their_ends_shape_and_threshold_pairs() {
        // 20,000 rows with distinct scores: a curve of 20,001 points.
        let mut state = 12345u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut positive, mut scores) = (Vec::new(), Vec::new());
        for _ in 0..20_000 {
            let p = next() < 0.4;
            positive.push(p);
            scores.push(if p { 0.3 + 0.7 * next() } else { 0.7 * next() });
        }
        let roc = roc_curve(&positive, &scores).unwrap();
        let thin = roc.thinned(1e-3);
        assert!(roc.fpr.len() == 20_001 && thin.fpr.len() < 2_100, "{} points", thin.fpr.len());
        assert_eq!(thin.thresholds.len() + 1, thin.fpr.len());
        assert_eq!((thin.fpr[0], thin.tpr[0]), (0.0, 0.0));
        assert_eq!((*thin.fpr.last().unwrap(), *thin.tpr.last().unwrap()), (1.0, 1.0));
        // Every kept point is a point of the curve, with its own threshold.
        for (k, &t) in thin.thresholds.iter().enumerate() {
            let i = roc.thresholds.iter().position(|&u| u == t).unwrap() + 1;
            assert_eq!((roc.fpr[i], roc.tpr[i]), (thin.fpr[k + 1], thin.tpr[k + 1]));
        }
        let pr = pr_curve(&positive, &scores).unwrap();
        let thin = pr.thinned(1e-3);
        assert!(thin.recall.len() < 2_100 && thin.thresholds.len() + 1 == thin.recall.len());
        assert_eq!((*thin.recall.last().unwrap(), *thin.precision.last().unwrap()), (0.0, 1.0));
        assert_eq!(thin.thresholds[0], pr.thresholds[0]);
        // A short curve is unchanged.
        let small = roc_curve(&[true, false, true], &[0.9, 0.4, 0.6]).unwrap();
        assert_eq!(small.thinned(1e-3), small);
    }
}
