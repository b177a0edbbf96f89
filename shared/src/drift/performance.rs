//! Classification performance before and after labels arrive.
//!
//! Before: confidence-based performance estimation, as NannyML's CBPE does it. With calibrated
//! probabilities, row `i` is right with probability `p_i[ŷ_i]`, so the expected confusion matrix
//! adds `p_i[k]` to cell (true `k`, predicted `ŷ_i`) for every row, and the estimated accuracy and F1
//! are read off it. Calibration is isotonic regression fitted on labelled reference rows, as
//! scikit-learn's `IsotonicRegression(out_of_bounds="clip")` fits and interpolates it (NannyML's
//! calibrator); a binary model's positive-class probability is calibrated, a multiclass model's
//! every class, then renormalised. The band is NannyML's: the estimate ± 3 sampling errors, each
//! from the spread of the metric's parts on the reference rows, clipped to [0, 1].
//! `shared/tests/core/cbpe_vs_nannyml.rs` checks estimates, errors and bands against NannyML for two and
//! three classes; for more than two, the accuracy's sampling error is the spread of per-row
//! correctness (as for two), where NannyML's takes a spread over classes (see that test).
//!
//! After: realized metrics per time window, predictions joined to labels by prediction id.

use crate::evaluation::Evaluation;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Isotonic calibration of one class's probability, as scikit-learn's `IsotonicRegression`: ties
/// in the score pooled, pool adjacent violators, then linear interpolation between the fitted points,
/// clipped at both ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Isotonic {
    /// The distinct scores seen, increasing.
    pub x: Vec<f64>,
    /// The fitted probability at each, non-decreasing.
    pub y: Vec<f64>,
}

impl Isotonic {
    /// Fits on `(score, is the class)` pairs; `None` without rows.
    pub fn fit(scores: &[f64], hits: &[bool]) -> Option<Self> {
        if scores.is_empty() || scores.len() != hits.len() || scores.iter().any(|s| s.is_nan()) {
            return None;
        }
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
        // Distinct scores with their mean outcome and weight.
        let mut x: Vec<f64> = Vec::new();
        let mut points: Vec<(f64, f64)> = Vec::new(); // (sum of outcomes, rows)
        for i in order {
            let y = f64::from(u8::from(hits[i]));
            if x.last() == Some(&scores[i]) {
                let last = points.last_mut().expect("a point per score");
                last.0 += y;
                last.1 += 1.0;
            } else {
                x.push(scores[i]);
                points.push((y, 1.0));
            }
        }
        // Pool adjacent violators: blocks of (sum, weight, points covered).
        let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
        for &(sum, weight) in &points {
            blocks.push((sum, weight, 1));
            while blocks.len() >= 2 {
                let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
                if a.0 / a.1 <= b.0 / b.1 {
                    break;
                }
                blocks.pop();
                *blocks.last_mut().expect("two blocks") = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
            }
        }
        let y = blocks.iter().flat_map(|&(sum, weight, n)| std::iter::repeat_n(sum / weight, n)).collect();
        Some(Self { x, y })
    }

    /// The calibrated probability of `score` (`numpy.interp` over the fitted points).
    pub fn apply(&self, score: f64) -> f64 {
        let (Some(&first), Some(&last)) = (self.x.first(), self.x.last()) else { return score };
        if score <= first {
            return self.y[0];
        }
        if score >= last {
            return self.y[self.y.len() - 1];
        }
        let i = self.x.partition_point(|&v| v <= score); // x[i - 1] <= score < x[i]
        let (x0, x1, y0, y1) = (self.x[i - 1], self.x[i], self.y[i - 1], self.y[i]);
        let slope = (y1 - y0) / (x1 - x0);
        slope * (score - x0) + y0
    }
}

/// Calibrators fitted on labelled reference rows: for two classes one, of the second class's
/// probability; for more, one per class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// One per class (one in all for two classes).
    pub classes: Vec<Isotonic>,
}

impl Calibration {
    /// Fits on rows of class probabilities and their true class indices.
    pub fn fit(probabilities: &[Vec<f64>], truth: &[usize]) -> Option<Self> {
        let k = probabilities.first()?.len();
        let fit_class = |c: usize| {
            let scores: Vec<f64> = probabilities.iter().map(|p| p[c]).collect();
            let hits: Vec<bool> = truth.iter().map(|&t| t == c).collect();
            Isotonic::fit(&scores, &hits)
        };
        let classes =
            if k == 2 { vec![fit_class(1)?] } else { (0..k).map(fit_class).collect::<Option<Vec<_>>>()? };
        Some(Self { classes })
    }

    /// One row's calibrated probabilities. For several classes they are renormalised to sum to 1,
    /// as NannyML does.
    pub fn apply(&self, row: &[f64]) -> Vec<f64> {
        let mut out = Vec::with_capacity(row.len());
        self.apply_into(row, &mut out);
        out
    }

    /// [`Calibration::apply`] into `out` (emptied first), so that many rows share one buffer.
    pub fn apply_into(&self, row: &[f64], out: &mut Vec<f64>) {
        out.clear();
        if row.len() == 2 && self.classes.len() == 1 {
            let q = self.classes[0].apply(row[1]);
            out.extend([1.0 - q, q]);
            return;
        }
        out.extend(row.iter().zip(&self.classes).map(|(&p, iso)| iso.apply(p)));
        let sum: f64 = out.iter().sum();
        if sum > 0.0 {
            out.iter_mut().for_each(|p| *p /= sum);
        } else {
            // Every calibrator said 0: NannyML then spreads the row evenly.
            let even = 1.0 / out.len() as f64;
            out.iter_mut().for_each(|p| *p = even);
        }
    }
}

/// What CBPE learns from labelled reference rows: the calibration, and the spread of each metric's
/// parts that sets its sampling error on a batch of `n` rows (NannyML's sampling-error components).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CbpeReference {
    /// The calibrators, unless asked not to calibrate.
    pub calibration: Option<Calibration>,
    /// The standard deviation of "predicted right" over the reference rows.
    pub accuracy_std: f64,
    /// F1's parts: for two classes one `(standard deviation, fraction of rows)` of the
    /// observation-level F1; for more, `(variance, fraction)` per class.
    pub f1_parts: Vec<(f64, f64)>,
}

fn population_std(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt()
}

impl CbpeReference {
    /// Learns from reference rows: class probabilities as the model gave them and the true class
    /// indices. `calibrate` fits the calibrators (NannyML decides by a cross-validated test of
    /// calibration error; tabml calibrates whenever asked). `None` without rows or with fewer than
    /// two classes.
    pub fn fit(probabilities: &[Vec<f64>], truth: &[usize], calibrate: bool) -> Option<Self> {
        let k = probabilities.first()?.len();
        if k < 2 || probabilities.len() != truth.len() {
            return None;
        }
        let predicted: Vec<usize> = probabilities.iter().map(|p| argmax(p)).collect();
        let correct: Vec<f64> =
            predicted.iter().zip(truth).map(|(p, t)| f64::from(u8::from(p == t))).collect();
        // Per class c: 1 for a true positive, 0 for a false negative or false positive.
        let parts = |c: usize| -> (Vec<f64>, usize, usize) {
            let (mut tp, mut fp_fn) = (0usize, 0usize);
            for (&p, &t) in predicted.iter().zip(truth) {
                if p == c && t == c {
                    tp += 1;
                } else if p == c || t == c {
                    fp_fn += 1;
                }
            }
            let values = std::iter::repeat_n(1.0, tp).chain(std::iter::repeat_n(0.0, fp_fn)).collect();
            (values, tp, fp_fn)
        };
        let n = truth.len() as f64;
        let f1_parts = if k == 2 {
            let (values, tp, fp_fn) = parts(1);
            if values.is_empty() {
                vec![(f64::NAN, 0.0)]
            } else {
                let factor = values.len() as f64 / (fp_fn as f64 * 0.5 + tp as f64);
                let scaled: Vec<f64> = values.iter().map(|v| v * factor).collect();
                vec![(population_std(&scaled), values.len() as f64 / n)]
            }
        } else {
            (0..k)
                .map(|c| {
                    let (values, _, _) = parts(c);
                    // Squared by hand: `powi` is not promised the same bits on every platform.
                    let std = if values.is_empty() { f64::NAN } else { population_std(&values) };
                    let spread = std * std;
                    (spread, values.len() as f64 / n)
                })
                .collect()
        };
        Some(Self {
            calibration: if calibrate { Calibration::fit(probabilities, truth) } else { None },
            accuracy_std: population_std(&correct),
            f1_parts,
        })
    }

    /// The reference a classifier's own test rows give, as its evaluation kept them (their class
    /// probabilities and true classes), calibrated: what a server keeps beside a version to
    /// estimate its performance without the bundle. `None` for a regressor.
    pub fn of_evaluation(evaluation: &Evaluation) -> Option<Self> {
        match evaluation {
            Evaluation::Classification(report) => Self::fit(&report.proba, &report.truth, true),
            Evaluation::Regression(_) => None,
        }
    }

    /// How many classes the reference rows had (two for a binary model, whose F1 has one part).
    pub fn classes(&self) -> usize {
        self.f1_parts.len().max(2)
    }

    fn accuracy_error(&self, n: usize) -> f64 {
        self.accuracy_std / (n as f64).sqrt()
    }

    fn f1_error(&self, n: usize) -> f64 {
        let n = n as f64;
        match self.f1_parts.as_slice() {
            [(std, fraction)] => std / (n * fraction).sqrt(),
            parts => {
                parts.iter().map(|(var, fraction)| var / (n * fraction)).sum::<f64>().sqrt()
                    / parts.len() as f64
            }
        }
    }
}

/// A metric's value with the band the realized value should fall in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The expected value.
    pub value: f64,
    /// Its sampling error on a batch of this size (NaN without a labelled reference).
    pub sampling_error: f64,
    /// The band's low end.
    pub lower: f64,
    /// The band's high end.
    pub upper: f64,
}

/// Estimated performance of a batch without labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerformanceEstimate {
    /// Rows estimated.
    pub rows: usize,
    /// Expected counts, `[true][predicted]`.
    pub confusion: Vec<Vec<f64>>,
    /// Estimated accuracy.
    pub accuracy: Estimate,
    /// Estimated F1: of the positive (last) class for two classes, else the macro average.
    pub f1: Estimate,
}

fn scores(confusion: &[Vec<f64>]) -> (f64, f64) {
    let k = confusion.len();
    let total: f64 = confusion.iter().flatten().sum();
    let correct: f64 = (0..k).map(|c| confusion[c][c]).sum();
    let f1_of = |c: usize| {
        let tp = confusion[c][c];
        let predicted: f64 = (0..k).map(|t| confusion[t][c]).sum();
        let actual: f64 = confusion[c].iter().sum();
        if predicted + actual == 0.0 {
            0.0
        } else {
            2.0 * tp / (predicted + actual)
        }
    };
    let f1 = if k == 2 { f1_of(1) } else { (0..k).map(f1_of).sum::<f64>() / k as f64 };
    (if total > 0.0 { correct / total } else { 0.0 }, f1)
}

fn argmax(row: &[f64]) -> usize {
    row.iter().enumerate().fold(0, |best, (i, &p)| if p > row[best] { i } else { best })
}

/// CBPE: the expected confusion matrix, accuracy and F1 of rows whose class probabilities are
/// `probabilities` (calibrated with `reference`'s calibrators, when it has them), each predicted as
/// its most probable class, with the band `reference` gives (without one, the band is the value
/// alone). The number of classes is the first row's; a row of another length is left out. `None`
/// without rows. [`ExpectedConfusion`] computes the same one row at a time.
pub fn estimate_performance(
    probabilities: &[Vec<f64>],
    reference: Option<&CbpeReference>,
) -> Option<PerformanceEstimate> {
    let mut expected = ExpectedConfusion::new(probabilities.first()?.len())?;
    for row in probabilities {
        expected.add(row, reference);
    }
    expected.estimate(reference)
}

/// CBPE's expected confusion matrix built one row at a time, for rows read as a stream (a server's
/// stored predictions) rather than held: the same sums, in the same order, as
/// [`estimate_performance`] makes, so the same estimate to the bit.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedConfusion {
    classes: usize,
    /// `[true][predicted]`, row after row of `classes` cells.
    cells: Vec<f64>,
    rows: usize,
    /// One row's calibrated probabilities (reused).
    calibrated: Vec<f64>,
}

impl ExpectedConfusion {
    /// An empty matrix for rows of `classes` probabilities; `None` for fewer than two classes.
    pub fn new(classes: usize) -> Option<Self> {
        (classes >= 2).then(|| Self {
            classes,
            cells: vec![0.0; classes * classes],
            rows: 0,
            calibrated: Vec::with_capacity(classes),
        })
    }

    /// Adds one row's class probabilities, calibrated with `reference`'s calibrators when it has
    /// them, predicted as its most probable class. A row of another length than the matrix's is
    /// left out: `false`.
    pub fn add(&mut self, probabilities: &[f64], reference: Option<&CbpeReference>) -> bool {
        if probabilities.len() != self.classes {
            return false;
        }
        let predicted = argmax(probabilities);
        match reference.and_then(|r| r.calibration.as_ref()) {
            Some(c) => c.apply_into(probabilities, &mut self.calibrated),
            None => {
                self.calibrated.clear();
                self.calibrated.extend_from_slice(probabilities);
            }
        }
        for (t, &pt) in self.calibrated.iter().enumerate() {
            self.cells[t * self.classes + predicted] += pt;
        }
        self.rows += 1;
        true
    }

    /// The rows added.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The estimate of the rows added, with the band `reference` gives (without one, the band is
    /// the value alone); `None` without rows.
    pub fn estimate(&self, reference: Option<&CbpeReference>) -> Option<PerformanceEstimate> {
        if self.rows == 0 {
            return None;
        }
        let confusion: Vec<Vec<f64>> = self.cells.chunks(self.classes).map(<[f64]>::to_vec).collect();
        let (accuracy, f1) = scores(&confusion);
        let n = self.rows;
        let band = |value: f64, error: f64| {
            if error.is_finite() {
                Estimate {
                    value,
                    sampling_error: error,
                    lower: (value - 3.0 * error).max(0.0),
                    upper: (value + 3.0 * error).min(1.0),
                }
            } else {
                Estimate { value, sampling_error: f64::NAN, lower: value, upper: value }
            }
        };
        Some(PerformanceEstimate {
            rows: n,
            confusion,
            accuracy: band(accuracy, reference.map_or(f64::NAN, |r| r.accuracy_error(n))),
            f1: band(f1, reference.map_or(f64::NAN, |r| r.f1_error(n))),
        })
    }
}

/// Realized accuracy and F1 (as [`PerformanceEstimate::f1`]) of rows whose class probabilities are
/// `probabilities`, each predicted as its most probable class, on the rows whose true class index
/// `truth` gives (`None`: no label yet, or not a class). `None` when no row has a label.
pub fn realized_performance(probabilities: &[Vec<f64>], truth: &[Option<usize>]) -> Option<(f64, f64)> {
    let k = probabilities.first()?.len();
    let mut confusion = vec![vec![0.0; k]; k];
    let mut labelled = 0;
    for (p, t) in probabilities.iter().zip(truth) {
        if let Some(t) = t.filter(|&t| t < k) {
            confusion[t][argmax(p)] += 1.0;
            labelled += 1;
        }
    }
    (labelled > 0).then(|| scores(&confusion))
}

/// One scored row, as the monitor logs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionRecord {
    /// The client's id for the prediction.
    pub id: String,
    /// When it was made (Unix seconds).
    pub time: f64,
    /// Class probabilities.
    pub probabilities: Vec<f64>,
}

/// One window of monitoring: the estimate from every prediction, and the realized metrics of
/// those whose label has arrived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerformanceWindow {
    /// The window's start (Unix seconds).
    pub start: f64,
    /// Predictions in the window.
    pub rows: usize,
    /// Estimated before labels (CBPE).
    pub estimated: Option<PerformanceEstimate>,
    /// Predictions whose label arrived.
    pub labelled: usize,
    /// Realized accuracy on the labelled ones.
    pub realized_accuracy: Option<f64>,
    /// Realized F1 on the labelled ones (as [`PerformanceEstimate::f1`]).
    pub realized_f1: Option<f64>,
}

/// Groups predictions into windows of `window` seconds, joins `labels` (prediction id → true class
/// index) to them by id, and reports estimate and realized metrics side by side. A label whose id
/// matches no prediction is ignored; windows come in time order.
pub fn performance_windows(
    records: &[PredictionRecord],
    labels: &HashMap<String, usize>,
    window: f64,
    reference: Option<&CbpeReference>,
) -> Vec<PerformanceWindow> {
    if window.is_nan() || window <= 0.0 {
        return Vec::new();
    }
    let mut by_window: std::collections::BTreeMap<i64, Vec<&PredictionRecord>> = Default::default();
    for r in records.iter().filter(|r| r.time.is_finite()) {
        by_window.entry((r.time / window).floor() as i64).or_default().push(r);
    }
    by_window
        .into_iter()
        .map(|(w, rows)| {
            let probabilities: Vec<Vec<f64>> = rows.iter().map(|r| r.probabilities.clone()).collect();
            let k = probabilities.first().map_or(0, Vec::len);
            let truth: Vec<Option<usize>> =
                rows.iter().map(|r| labels.get(&r.id).copied().filter(|&t| t < k)).collect();
            let labelled = truth.iter().flatten().count();
            let realized = realized_performance(&probabilities, &truth);
            PerformanceWindow {
                start: w as f64 * window,
                rows: rows.len(),
                estimated: estimate_performance(&probabilities, reference),
                labelled,
                realized_accuracy: realized.map(|r| r.0),
                realized_f1: realized.map(|r| r.1),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    #[test]
    fn expected_confusion_matrix_by_hand() {
        // Two rows predicted positive (0.9, 0.6), one negative (0.2).
        let p = vec![vec![0.1, 0.9], vec![0.4, 0.6], vec![0.8, 0.2]];
        let e = estimate_performance(&p, None).unwrap();
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        // [true][predicted]: TP = 1.5, FP = 0.5, FN = 0.2, TN = 0.8.
        assert!(close(e.confusion[1][1], 1.5) && close(e.confusion[0][1], 0.5));
        assert!(close(e.confusion[1][0], 0.2) && close(e.confusion[0][0], 0.8));
        assert!(close(e.accuracy.value, 2.3 / 3.0));
        assert!(close(e.f1.value, 3.0 / (3.0 + 0.5 + 0.2)));
        assert!(e.accuracy.lower <= e.accuracy.value && e.accuracy.value <= e.accuracy.upper);
    }

    #[test]
    fn calibrated_labels_fall_in_the_band() {
        // 2,000 rows with known probabilities. A labelled reference sets the band; labels drawn
        // from the probabilities 50 times give a realized accuracy inside it nearly every time.
        let mut rng = SplitMix64::new(7);
        let uniform = |rng: &mut SplitMix64| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let p: Vec<Vec<f64>> = (0..2000)
            .map(|_| {
                let q = uniform(&mut rng);
                vec![1.0 - q, q]
            })
            .collect();
        let draw = |rng: &mut SplitMix64| -> Vec<usize> {
            p.iter().map(|row| usize::from(uniform(rng) < row[1])).collect()
        };
        let reference = CbpeReference::fit(&p, &draw(&mut rng), false).unwrap();
        let e = estimate_performance(&p, Some(&reference)).unwrap();
        assert!(e.accuracy.sampling_error > 0.0 && e.accuracy.lower < e.accuracy.value);
        let mut inside = 0;
        for _ in 0..50 {
            let truth = draw(&mut rng);
            let right = p.iter().zip(&truth).filter(|(row, &t)| t == argmax(row)).count();
            let acc = right as f64 / p.len() as f64;
            inside += usize::from(e.accuracy.lower <= acc && acc <= e.accuracy.upper);
        }
        assert!(inside >= 48, "{inside} of 50 inside [{}, {}]", e.accuracy.lower, e.accuracy.upper);
        // Accuracy of a calibrated model averages max(q, 1 − q): 0.75 over uniform q.
        assert!((e.accuracy.value - 0.75).abs() < 0.02, "{}", e.accuracy.value);
        // Without a labelled reference there is no band.
        let bare = estimate_performance(&p, None).unwrap();
        assert_eq!((bare.accuracy.lower, bare.accuracy.upper), (bare.accuracy.value, bare.accuracy.value));
    }

    #[test]
    fn rows_added_one_at_a_time_give_the_same_estimate_and_odd_rows_are_left_out() {
        let mut rng = SplitMix64::new(11);
        let uniform = |rng: &mut SplitMix64| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let p: Vec<Vec<f64>> = (0..300)
            .map(|_| {
                let (a, b) = (uniform(&mut rng), uniform(&mut rng));
                vec![a * b, a * (1.0 - b), 1.0 - a]
            })
            .collect();
        let truth: Vec<usize> = (0..300).map(|i| (i * 7) % 3).collect();
        let reference = CbpeReference::fit(&p, &truth, true).unwrap();
        assert_eq!(reference.classes(), 3);
        let mut streamed = ExpectedConfusion::new(3).unwrap();
        for row in &p {
            assert!(streamed.add(row, Some(&reference)));
        }
        assert!(!streamed.add(&[0.5, 0.5], Some(&reference)), "a row of two classes in a matrix of three");
        assert_eq!(streamed.rows(), 300);
        let batch = estimate_performance(&p, Some(&reference)).unwrap();
        assert_eq!(format!("{:?}", streamed.estimate(Some(&reference)).unwrap()), format!("{batch:?}"));
        assert_eq!(ExpectedConfusion::new(3).unwrap().estimate(None), None);
        assert_eq!(ExpectedConfusion::new(1), None);
    }

    #[test]
    fn isotonic_calibration_pools_violators() {
        let iso = Isotonic::fit(&[0.1, 0.2, 0.3, 0.4], &[false, true, false, true]).unwrap();
        assert_eq!(iso.y, vec![0.0, 0.5, 0.5, 1.0]);
        assert_eq!((iso.apply(0.05), iso.apply(0.25), iso.apply(0.9)), (0.0, 0.5, 1.0));
        assert!((iso.apply(0.15) - 0.25).abs() < 1e-12, "interpolated between the fitted points");
        // An overconfident model: scores of 0.9 are right only half the time.
        let scores = [0.9; 10];
        let hits: Vec<bool> = (0..10).map(|i| i % 2 == 0).collect();
        let c = Calibration::fit(
            &scores.iter().map(|&s| vec![1.0 - s, s]).collect::<Vec<_>>(),
            &hits.iter().map(|&h| usize::from(h)).collect::<Vec<_>>(),
        )
        .unwrap();
        let calibrated = c.apply(&[0.1, 0.9]);
        assert!((calibrated[1] - 0.5).abs() < 1e-12, "{calibrated:?}");
    }

    #[test]
    fn windows_join_labels_by_id() {
        let record = |id: &str, time: f64, q: f64| PredictionRecord {
            id: id.into(),
            time,
            probabilities: vec![1.0 - q, q],
        };
        let records = vec![record("a", 10.0, 0.9), record("b", 20.0, 0.2), record("c", 3700.0, 0.7)];
        let labels: HashMap<String, usize> =
            [("a".to_owned(), 1), ("b".to_owned(), 1), ("zzz".to_owned(), 0)].into();
        let windows = performance_windows(&records, &labels, 3600.0, None);
        assert_eq!(windows.len(), 2);
        assert_eq!((windows[0].rows, windows[0].labelled), (2, 2));
        assert_eq!(windows[0].realized_accuracy, Some(0.5));
        assert_eq!((windows[1].start, windows[1].labelled, windows[1].realized_accuracy), (3600.0, 0, None));
        assert!(windows[1].estimated.is_some());
    }
}
