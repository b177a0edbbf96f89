//! Measuring a model on labelled rows, always beside the dummy baseline; per-group gaps,
//! permutation importance and prediction latency for [`evaluate`] on a new file.
//!
//! `Evaluation::metric_table` lists each metric beside the baseline's: the one source for the
//! command line's tables and JSON.

use crate::bundle::ModelBundle;
use crate::error::{SchemaError, TabmlError};
use crate::metrics::{self, ClassScores, GroupReport, PrCurve, RocCurve};
use crate::models::{argmax, Estimator, Scratch};
use crate::table::Table;
use crate::task::{Labels, TargetValues};
use crate::Task;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// A model's outputs for some rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Predictions {
    /// One probability per class per row.
    Proba(Vec<Vec<f64>>),
    /// One number per row.
    Values(Vec<f64>),
}

impl Predictions {
    /// What `estimator` predicts for the prepared rows `x`.
    pub fn of(estimator: &Estimator, x: &Array2<f64>, task: &Task) -> Self {
        match task {
            Task::Classification { classes } => Predictions::Proba(estimator.predict_proba(x, classes.len())),
            Task::Regression => Predictions::Values(estimator.predict_values(x)),
        }
    }

    /// The predicted class of each row (the most probable; the first of ties).
    pub fn labels(&self) -> Vec<usize> {
        match self {
            Predictions::Proba(p) => p.iter().map(|row| argmax(row)).collect(),
            Predictions::Values(_) => Vec::new(),
        }
    }

    /// scikit-learn's default score: accuracy for classifiers, R² for regressors.
    pub(crate) fn score(&self, truth: &TargetValues) -> f64 {
        match (self, truth) {
            (Predictions::Proba(_), TargetValues::Classes(t, _)) => metrics::accuracy(t, &self.labels()),
            (Predictions::Values(p), TargetValues::Values(t)) => metrics::r2(t, p),
            _ => f64::NAN,
        }
    }
}

/// The headline measures of a classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationMetrics {
    /// Share of rows predicted right.
    pub accuracy: f64,
    /// Mean recall over classes: not fooled by a majority class.
    pub balanced_accuracy: f64,
    /// Unweighted means over classes.
    pub precision_macro: f64,
    /// Unweighted mean recall.
    pub recall_macro: f64,
    /// Unweighted mean F1.
    pub f1_macro: f64,
    /// Means weighted by class support.
    pub precision_weighted: f64,
    /// Support-weighted recall.
    pub recall_weighted: f64,
    /// Support-weighted F1.
    pub f1_weighted: f64,
    /// Mean negative log probability of the true class (probabilities clipped to machine epsilon).
    pub log_loss: f64,
    /// ROC AUC: binary with the larger label positive, else one-vs-rest macro. `None` when a class
    /// is missing from the rows.
    pub roc_auc: Option<f64>,
    /// Average precision (PR AUC) of the positive class for two classes, one-vs-rest macro otherwise.
    pub pr_auc: Option<f64>,
}

/// The headline measures of a regressor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Coefficient of determination.
    pub r2: f64,
    /// Mean absolute percentage error, as a fraction.
    pub mape: f64,
}

/// The curves and thresholds of a two-class model, for its positive (larger) class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinaryCurves {
    /// The positive class's index.
    pub positive: usize,
    /// ROC curve points.
    pub roc: Option<RocCurve>,
    /// Precision–recall curve points.
    pub pr: Option<PrCurve>,
    /// The probability threshold with the best F1, and that F1.
    pub best_f1_threshold: Option<(f64, f64)>,
    /// The highest threshold reaching 80% recall of the positive class.
    pub threshold_for_80_recall: Option<f64>,
}

/// A classifier measured on labelled rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationReport {
    /// The model's measures.
    pub metrics: ClassificationMetrics,
    /// The same measures for the dummy baseline (the training class shares).
    pub baseline: ClassificationMetrics,
    /// Precision, recall, F1 and support per class, in class order.
    pub per_class: Vec<ClassScores>,
    /// `confusion[t][p]`: rows of class `t` predicted as `p`.
    pub confusion: Vec<Vec<usize>>,
    /// Two classes only: curves and useful thresholds.
    pub curves: Option<BinaryCurves>,
    /// The true class per row, for threshold sliders and plots.
    pub truth: Vec<usize>,
    /// The predicted probabilities per row.
    pub proba: Vec<Vec<f64>>,
}

/// A regressor measured on labelled rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionReport {
    /// The model's measures.
    pub metrics: RegressionMetrics,
    /// The same measures for the dummy baseline (the training mean).
    pub baseline: RegressionMetrics,
    /// The true values.
    pub actual: Vec<f64>,
    /// The predictions, parallel to `actual`.
    pub predicted: Vec<f64>,
}

impl RegressionReport {
    /// `actual − predicted` per row.
    pub fn residuals(&self) -> Vec<f64> {
        self.actual.iter().zip(&self.predicted).map(|(a, p)| a - p).collect()
    }
}

/// How a model did on labelled rows, beside the baseline.
// One per training; the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Evaluation {
    /// Of a classifier.
    Classification(ClassificationReport),
    /// Of a regressor.
    Regression(RegressionReport),
}

impl Evaluation {
    /// The one number to lead with: accuracy for classification, R² for regression.
    pub fn headline(&self) -> f64 {
        match self {
            Evaluation::Classification(r) => r.metrics.accuracy,
            Evaluation::Regression(r) => r.metrics.r2,
        }
    }

    /// Every headline metric as `(name, model's value, baseline's value)`, names as in scikit-learn
    /// (`roc_auc`, `f1_macro`, …); a metric that is undefined on these rows is left out.
    pub fn metric_table(&self) -> Vec<(&'static str, f64, f64)> {
        match self {
            Evaluation::Classification(r) => {
                let (m, b) = (&r.metrics, &r.baseline);
                let mut rows = vec![
                    ("accuracy", m.accuracy, b.accuracy),
                    ("balanced_accuracy", m.balanced_accuracy, b.balanced_accuracy),
                    ("precision_macro", m.precision_macro, b.precision_macro),
                    ("recall_macro", m.recall_macro, b.recall_macro),
                    ("f1_macro", m.f1_macro, b.f1_macro),
                    ("precision_weighted", m.precision_weighted, b.precision_weighted),
                    ("recall_weighted", m.recall_weighted, b.recall_weighted),
                    ("f1_weighted", m.f1_weighted, b.f1_weighted),
                    ("log_loss", m.log_loss, b.log_loss),
                ];
                for (name, model, baseline) in
                    [("roc_auc", m.roc_auc, b.roc_auc), ("pr_auc", m.pr_auc, b.pr_auc)]
                {
                    if let (Some(model), Some(baseline)) = (model, baseline) {
                        rows.push((name, model, baseline));
                    }
                }
                rows
            }
            Evaluation::Regression(r) => {
                let (m, b) = (&r.metrics, &r.baseline);
                vec![
                    ("rmse", m.rmse, b.rmse),
                    ("mae", m.mae, b.mae),
                    ("r2", m.r2, b.r2),
                    ("mape", m.mape, b.mape),
                ]
            }
        }
    }

    /// Every headline metric as `(name, value)` (see [`Evaluation::metric_table`]), then the
    /// baseline's as `baseline_<name>`: the flat form a run records.
    pub fn metric_pairs(&self) -> Vec<(String, f64)> {
        let table = self.metric_table();
        let models = table.iter().map(|(name, model, _)| ((*name).to_owned(), *model));
        let baselines = table.iter().map(|(name, _, baseline)| (format!("baseline_{name}"), *baseline));
        models.chain(baselines).collect()
    }
}

/// The headline measures of `proba` against `truth`, with the confusion matrix and per-class scores
/// they were computed from.
fn classification_metrics(
    truth: &[usize],
    proba: &[Vec<f64>],
    n_classes: usize,
) -> (ClassificationMetrics, Vec<Vec<usize>>, Vec<ClassScores>) {
    let predicted: Vec<usize> = proba.iter().map(|p| argmax(p)).collect();
    let confusion = metrics::confusion_matrix(n_classes, truth, &predicted);
    let per_class = metrics::class_scores(&confusion);
    let macro_avg = metrics::macro_average(&per_class);
    let weighted = metrics::weighted_average(&per_class);
    let (roc_auc, pr_auc) = if n_classes == 2 {
        let positive: Vec<bool> = truth.iter().map(|&t| t == 1).collect();
        let scores: Vec<f64> = proba.iter().map(|p| p[1]).collect();
        (metrics::roc_auc(&positive, &scores), metrics::average_precision(&positive, &scores))
    } else {
        let per_class_ap: Option<Vec<f64>> = (0..n_classes)
            .map(|k| {
                let positive: Vec<bool> = truth.iter().map(|&t| t == k).collect();
                let scores: Vec<f64> = proba.iter().map(|p| p[k]).collect();
                metrics::average_precision(&positive, &scores)
            })
            .collect();
        (
            metrics::roc_auc_multiclass(truth, proba, n_classes),
            per_class_ap.map(|v| v.iter().sum::<f64>() / v.len() as f64),
        )
    };
    let scores = ClassificationMetrics {
        accuracy: metrics::accuracy(truth, &predicted),
        balanced_accuracy: metrics::balanced_accuracy(&confusion),
        precision_macro: macro_avg.precision,
        recall_macro: macro_avg.recall,
        f1_macro: macro_avg.f1,
        precision_weighted: weighted.precision,
        recall_weighted: weighted.recall,
        f1_weighted: weighted.f1,
        log_loss: metrics::log_loss(truth, proba),
        roc_auc,
        pr_auc,
    };
    (scores, confusion, per_class)
}

fn regression_metrics(actual: &[f64], predicted: &[f64]) -> RegressionMetrics {
    RegressionMetrics {
        rmse: metrics::rmse(actual, predicted),
        mae: metrics::mae(actual, predicted),
        r2: metrics::r2(actual, predicted),
        mape: metrics::mape(actual, predicted),
    }
}

/// Measures `predicted` against `truth`, with `baseline` measured the same way beside it.
pub(crate) fn evaluate_predictions(
    task: &Task,
    truth: &TargetValues,
    predicted: &Predictions,
    baseline: &Predictions,
) -> Evaluation {
    match (truth, predicted, baseline) {
        (TargetValues::Classes(truth, n_classes), Predictions::Proba(proba), Predictions::Proba(base)) => {
            let n_classes = (*n_classes).max(task.classes().len());
            let (scores, confusion, per_class) = classification_metrics(truth, proba, n_classes);
            let curves = (n_classes == 2).then(|| {
                let positive: Vec<bool> = truth.iter().map(|&t| t == 1).collect();
                let scores: Vec<f64> = proba.iter().map(|p| p[1]).collect();
                let pr = metrics::pr_curve(&positive, &scores);
                BinaryCurves {
                    positive: 1,
                    roc: metrics::roc_curve(&positive, &scores),
                    best_f1_threshold: pr.as_ref().map(PrCurve::best_f1),
                    threshold_for_80_recall: pr.as_ref().and_then(|c| c.threshold_for_recall(0.8)),
                    pr,
                }
            });
            Evaluation::Classification(ClassificationReport {
                metrics: scores,
                baseline: classification_metrics(truth, base, n_classes).0,
                per_class,
                confusion,
                curves,
                truth: truth.clone(),
                proba: proba.clone(),
            })
        }
        (TargetValues::Values(actual), Predictions::Values(values), Predictions::Values(base)) => {
            Evaluation::Regression(RegressionReport {
                metrics: regression_metrics(actual, values),
                baseline: regression_metrics(actual, base),
                actual: actual.clone(),
                predicted: values.clone(),
            })
        }
        _ => unreachable!("predictions always match the task they were made for"),
    }
}

/// What [`evaluate`] should add to the metrics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvaluateOptions {
    /// Report metrics per value of this column, with the fairness gaps.
    pub group: Option<String>,
    /// Repeats of permutation importance per column (0 skips it).
    pub importance_repeats: usize,
    /// Rows timed one at a time for latency percentiles (0 skips it).
    pub latency_rows: usize,
}

/// How much the score drops when one input column is shuffled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnImportance {
    /// The input column.
    pub column: String,
    /// Mean and spread of the drop over repeats.
    pub importance: metrics::Importance,
}

/// Prediction latency per row, prepared from raw cells to output.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Median, in microseconds.
    pub p50_us: f64,
    /// 99th percentile, in microseconds.
    pub p99_us: f64,
    /// Rows timed.
    pub rows: usize,
}

/// A model measured on a labelled file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationReport {
    /// Rows measured (labelled ones).
    pub n_rows: usize,
    /// Rows skipped because their label was missing.
    pub n_unlabelled: usize,
    /// The measures, beside the baseline.
    pub evaluation: Evaluation,
    /// Per group of the chosen column (classification only).
    pub groups: Option<GroupReport>,
    /// Per input column, most important first.
    pub importance: Vec<ColumnImportance>,
    /// Latency of scoring one row at a time.
    pub latency: Option<Latency>,
}

/// Measures `bundle` on the labelled rows of `table` (which must have the model's input columns and
/// its target column). `clock` gives milliseconds, for latency.
pub fn evaluate(
    bundle: &ModelBundle,
    table: &Table,
    options: &EvaluateOptions,
    clock: &dyn Fn() -> f64,
) -> Result<EvaluationReport, TabmlError> {
    bundle.prep.check(table)?;
    let column = table.column(&bundle.target).ok_or_else(|| SchemaError::MissingColumn {
        column: bundle.target.clone(),
        expected: format!("the target column {:?} to compare predictions with", bundle.target),
    })?;
    let labels = Labels::read(column, &bundle.task);
    let rows: Vec<usize> = (0..table.n_rows).filter(|&r| labels.present(r)).collect();
    if let Task::Classification { classes } = &bundle.task {
        if let Some(&bad) = rows.iter().find(|&&r| labels.class_of(r).is_none()) {
            return Err(SchemaError::UnknownLabel {
                line: table.line_of(bad),
                column: bundle.target.clone(),
                value: column.cell(bad).unwrap_or_default().to_owned(),
                classes: classes.join(", "),
            }
            .into());
        }
    }
    if rows.is_empty() {
        return Err(TabmlError::EmptyTarget(bundle.target.clone()));
    }
    let x = bundle.prep.transform_matrix(table, &rows);
    let truth = labels.target_for(&rows);
    let predicted = Predictions::of(&bundle.estimator, &x, &bundle.task);
    let baseline = Predictions::of(&bundle.baseline, &x, &bundle.task);
    let evaluation = evaluate_predictions(&bundle.task, &truth, &predicted, &baseline);

    let groups = match (&options.group, &truth) {
        (Some(name), TargetValues::Classes(truth, n_classes)) => {
            let group_column = table.column(name).ok_or_else(|| TabmlError::UnknownColumn(name.clone()))?;
            let names: Vec<&str> =
                rows.iter().map(|&r| group_column.cell(r).unwrap_or("(missing)")).collect();
            Some(metrics::group_report(&names, truth, &predicted.labels(), n_classes - 1))
        }
        (Some(name), TargetValues::Values(_)) => return Err(TabmlError::GroupNeedsClassifier(name.clone())),
        (None, _) => None,
    };

    let importance = if options.importance_repeats > 0 {
        permutation_importance(bundle, table, &rows, &truth, options.importance_repeats)
    } else {
        Vec::new()
    };

    let latency = (options.latency_rows > 0).then(|| {
        let mut scratch = Scratch::default();
        let n_out = bundle.task.classes().len().max(1);
        let mut out = vec![0.0; n_out];
        let timed: Vec<usize> = rows.iter().copied().take(options.latency_rows).collect();
        let mut times: Vec<f64> = timed
            .iter()
            .map(|&r| {
                let start = clock();
                let features = bundle.prep.transform_matrix(table, &[r]);
                let row = features.as_slice().expect("standard layout");
                match bundle.task {
                    Task::Classification { .. } => bundle.estimator.proba_row(row, &mut scratch, &mut out),
                    Task::Regression => out[0] = bundle.estimator.value_row(row, &mut scratch),
                }
                (clock() - start) * 1000.0
            })
            .collect();
        times.sort_unstable_by(f64::total_cmp);
        Latency {
            p50_us: metrics::percentile(&times, 50.0).unwrap_or(0.0),
            p99_us: metrics::percentile(&times, 99.0).unwrap_or(0.0),
            rows: times.len(),
        }
    });

    Ok(EvaluationReport {
        n_rows: rows.len(),
        n_unlabelled: table.n_rows - rows.len(),
        evaluation,
        groups,
        importance,
        latency,
    })
}

/// The drop in the default score when each input column's cells are shuffled among `rows`: one
/// unit per input column, so a one-hot column's features move together.
fn permutation_importance(
    bundle: &ModelBundle,
    table: &Table,
    rows: &[usize],
    truth: &TargetValues,
    repeats: usize,
) -> Vec<ColumnImportance> {
    let score = |t: &Table| {
        let x = bundle.prep.transform_matrix(t, rows);
        Predictions::of(&bundle.estimator, &x, &bundle.task).score(truth)
    };
    let columns: Vec<(&str, usize)> = bundle
        .prep
        .inputs
        .iter()
        .filter_map(|input| Some((input.column.as_str(), table.column_index(&input.column)?)))
        .collect();
    let mut shuffled = table.clone();
    let importances = metrics::importance_by_shuffling(
        columns.len(),
        repeats,
        bundle.training.seed,
        score(table),
        |unit, rng| {
            let index = columns[unit].1;
            let mut order = rows.to_vec();
            rng.shuffle(&mut order);
            let mut source: Vec<usize> = (0..table.n_rows).collect();
            for (&r, &from) in rows.iter().zip(&order) {
                source[r] = from;
            }
            shuffled.columns[index] = table.columns[index].take(&source);
            let shuffled_score = score(&shuffled);
            shuffled.columns[index].clone_from(&table.columns[index]);
            shuffled_score
        },
    );
    let mut out: Vec<ColumnImportance> = columns
        .iter()
        .zip(importances)
        .map(|((name, _), importance)| ColumnImportance { column: (*name).to_owned(), importance })
        .collect();
    out.sort_by(|a, b| b.importance.mean.total_cmp(&a.importance.mean));
    out
}
