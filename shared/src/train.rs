//! Training a model on a table: pick the task from the target, split, prepare, fit, and measure on
//! the held-back rows beside a baseline that ignores the features.

use crate::error::TabmlError;
use crate::features::{FeaturePlan, PrepConfig};
use crate::fingerprint::{fingerprint, fingerprint_rows};
use crate::metrics;
use crate::split::stratified_split;
use crate::table::{parse_number, Column, ColumnKind, Table};
use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_classifier::{
    RandomForestClassifier, RandomForestClassifierParameters,
};
use smartcore::ensemble::random_forest_regressor::{RandomForestRegressor, RandomForestRegressorParameters};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::linear_regression::{
    LinearRegression, LinearRegressionParameters, LinearRegressionSolverName,
};
use smartcore::linear::logistic_regression::{LogisticRegression, LogisticRegressionParameters};

/// A family of model a learner can train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Logistic regression (classification), L2-regularised.
    LogisticRegression,
    /// Ordinary least squares (regression).
    LinearRegression,
    /// A random forest of decision trees (classification or regression).
    RandomForest,
}

impl ModelKind {
    /// Every kind, in the order a learner sees them.
    pub const ALL: [ModelKind; 3] =
        [ModelKind::LogisticRegression, ModelKind::LinearRegression, ModelKind::RandomForest];

    /// The name a learner sees.
    pub fn label(self) -> &'static str {
        match self {
            ModelKind::LogisticRegression => "logistic regression",
            ModelKind::LinearRegression => "linear regression",
            ModelKind::RandomForest => "random forest",
        }
    }

    /// Whether this kind can do `task`.
    pub fn supports(self, task: &Task) -> bool {
        matches!(
            (self, task),
            (ModelKind::LogisticRegression, Task::Classification { .. })
                | (ModelKind::LinearRegression, Task::Regression)
                | (ModelKind::RandomForest, _)
        )
    }
}

/// What the target asks of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Task {
    /// Predict one of these labels (in a stable order: numeric labels by value, others alphabetically).
    Classification { classes: Vec<String> },
    /// Predict a number.
    Regression,
}

impl Task {
    /// The most distinct integer values a numeric target may have and still be treated as classes.
    pub const MAX_INTEGER_CLASSES: usize = 10;
    /// The most classes a classification target may have.
    pub const MAX_CLASSES: usize = 50;

    /// Reads the task off the target column: labels, booleans and integers with at most 10 distinct
    /// values are classification; other numbers are regression.
    pub fn for_target(column: &Column) -> Result<Task, TabmlError> {
        let counts = column.value_counts();
        if counts.is_empty() {
            return Err(TabmlError::EmptyTarget(column.name.clone()));
        }
        let mut classes: Vec<String> = counts.into_iter().map(|(value, _)| value).collect();
        if column.kind == ColumnKind::Numeric {
            let numbers: Vec<f64> = classes.iter().filter_map(|c| parse_number(c)).collect();
            let integers = numbers.iter().all(|v| v.fract() == 0.0);
            if !integers || classes.len() > Self::MAX_INTEGER_CLASSES {
                return Ok(Task::Regression);
            }
            classes.sort_by(|a, b| {
                parse_number(a).partial_cmp(&parse_number(b)).unwrap_or(std::cmp::Ordering::Equal)
            });
        }
        if classes.len() > Self::MAX_CLASSES {
            return Err(TabmlError::TooManyClasses {
                column: column.name.clone(),
                classes: classes.len(),
                max: Self::MAX_CLASSES,
            });
        }
        if classes.len() < 2 {
            return Err(TabmlError::SingleClass { column: column.name.clone(), class: classes.remove(0) });
        }
        Ok(Task::Classification { classes })
    }

    /// `"classification"` or `"regression"`.
    pub fn label(&self) -> &'static str {
        match self {
            Task::Classification { .. } => "classification",
            Task::Regression => "regression",
        }
    }
}

/// The choices for one training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Which model family to fit.
    pub model: ModelKind,
    /// The share of labelled rows held back for testing, in (0, 1).
    pub test_fraction: f64,
    /// Seeds the split and the forest: the same seed gives the same model.
    pub seed: u64,
    /// Trees in a random forest.
    pub n_trees: u16,
    /// How columns become features (imputation, scaling, binning, columns to ignore).
    pub prep: PrepConfig,
}

impl TrainConfig {
    /// The defaults: an 80/20 split with seed 42, 100 trees, and the default preparation.
    pub fn new(model: ModelKind) -> Self {
        Self { model, test_fraction: 0.2, seed: 42, n_trees: 100, prep: PrepConfig::default() }
    }
}

/// How the model did on the test rows, beside a baseline that ignores the features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "task")]
pub enum Evaluation {
    /// Measures of a classifier.
    Classification {
        /// Share of test rows predicted right.
        accuracy: f64,
        /// Accuracy of always predicting the most frequent training class.
        baseline_accuracy: f64,
        /// Mean recall over classes: not fooled by a majority class.
        balanced_accuracy: f64,
        /// Unweighted mean F1 over classes.
        f1_macro: f64,
        /// Precision, recall and F1 per class, in [`Task::Classification`] order.
        per_class: Vec<metrics::ClassScores>,
        /// `confusion[t][p]`: test rows of class `t` predicted as `p`, in [`Task::Classification`] order.
        confusion: Vec<Vec<usize>>,
    },
    /// Measures of a regressor.
    Regression {
        /// Root mean squared error on the test rows.
        rmse: f64,
        /// Mean absolute error on the test rows.
        mae: f64,
        /// R² on the test rows.
        r2: f64,
        /// Mean absolute percentage error (a fraction; huge when a true value is near zero).
        mape: f64,
        /// RMSE of always predicting the training mean.
        baseline_rmse: f64,
        /// The true test values, for plots.
        actual: Vec<f64>,
        /// The predicted test values, parallel to `actual`.
        predicted: Vec<f64>,
    },
}

impl Evaluation {
    /// The one number to lead with: accuracy for classification, R² for regression.
    pub fn headline(&self) -> f64 {
        match self {
            Evaluation::Classification { accuracy, .. } => *accuracy,
            Evaluation::Regression { r2, .. } => *r2,
        }
    }
}

/// Which data a training saw, by content (see [`crate::fingerprint`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFingerprints {
    /// The whole table.
    pub data: String,
    /// The training rows.
    pub train: String,
    /// The test rows.
    pub test: String,
}

/// Everything a learner sees after training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// The target column.
    pub target: String,
    /// The task read off the target.
    pub task: Task,
    /// The model family.
    pub model: ModelKind,
    /// The configuration used.
    pub config: TrainConfig,
    /// Rows the model learned from.
    pub n_train: usize,
    /// Rows it was measured on.
    pub n_test: usize,
    /// Rows left out because the target was missing.
    pub n_unlabelled: usize,
    /// Content fingerprints of the whole data set and of the training and test rows.
    pub fingerprints: DataFingerprints,
    /// The preparation fitted on the training rows.
    pub features: FeaturePlan,
    /// The measures on the test rows.
    pub evaluation: Evaluation,
}

/// Trains `config.model` to predict `target` from the other columns of `table` and measures it on a
/// held-back, seeded (and for classification stratified) test split.
pub fn train(table: &Table, target: &str, config: &TrainConfig) -> Result<TrainReport, TabmlError> {
    let column = table.column(target).ok_or_else(|| TabmlError::UnknownColumn(target.to_owned()))?;
    let task = Task::for_target(column)?;
    if !config.model.supports(&task) {
        let alternatives: Vec<&str> =
            ModelKind::ALL.iter().filter(|k| k.supports(&task)).map(|k| k.label()).collect();
        return Err(TabmlError::ModelTaskMismatch {
            model: config.model.label(),
            task: task.label(),
            alternatives: alternatives.join(" or "),
        });
    }

    let labelled: Vec<usize> = (0..table.n_rows).filter(|&r| target_present(column, &task, r)).collect();
    let n_unlabelled = table.n_rows - labelled.len();
    let strata: Vec<usize> = match &task {
        Task::Classification { classes } => {
            labelled.iter().map(|&r| class_index(column, classes, r)).collect()
        }
        Task::Regression => vec![0; labelled.len()],
    };
    let split = stratified_split(&labelled, &strata, config.test_fraction, config.seed)?;

    let features = FeaturePlan::fit_with(table, target, &split.train, &config.prep);
    if features.inputs.is_empty() {
        return Err(TabmlError::NoFeatures);
    }
    let x_train = matrix(features.transform(table, &split.train), config.model)?;
    let x_test = matrix(features.transform(table, &split.test), config.model)?;

    let evaluation = match &task {
        Task::Classification { classes } => {
            let label = |rows: &[usize]| -> Vec<u32> {
                rows.iter().map(|&r| class_index(column, classes, r) as u32).collect()
            };
            let (y_train, y_test) = (label(&split.train), label(&split.test));
            let predicted = fit_classifier(config, &x_train, &y_train, &x_test)?;
            let truth: Vec<usize> = y_test.iter().map(|&c| c as usize).collect();
            let predicted: Vec<usize> = predicted.iter().map(|&c| c as usize).collect();
            let majority = majority_class(&y_train, classes.len());
            let confusion = metrics::confusion_matrix(classes.len(), &truth, &predicted);
            let per_class = metrics::class_scores(&confusion);
            Evaluation::Classification {
                accuracy: metrics::accuracy(&truth, &predicted),
                baseline_accuracy: metrics::accuracy(&truth, &vec![majority; truth.len()]),
                balanced_accuracy: metrics::balanced_accuracy(&confusion),
                f1_macro: metrics::macro_average(&per_class).f1,
                per_class,
                confusion,
            }
        }
        Task::Regression => {
            let values =
                |rows: &[usize]| -> Vec<f64> { rows.iter().filter_map(|&r| column.number(r)).collect() };
            let (y_train, actual) = (values(&split.train), values(&split.test));
            let predicted = fit_regressor(config, &x_train, &y_train, &x_test)?;
            let train_mean = y_train.iter().sum::<f64>() / y_train.len() as f64;
            Evaluation::Regression {
                rmse: metrics::rmse(&actual, &predicted),
                mae: metrics::mae(&actual, &predicted),
                r2: metrics::r2(&actual, &predicted),
                mape: metrics::mape(&actual, &predicted),
                baseline_rmse: metrics::rmse(&actual, &vec![train_mean; actual.len()]),
                actual,
                predicted,
            }
        }
    };

    Ok(TrainReport {
        target: target.to_owned(),
        task,
        model: config.model,
        config: config.clone(),
        n_train: split.train.len(),
        n_test: split.test.len(),
        n_unlabelled,
        fingerprints: DataFingerprints {
            data: fingerprint(table),
            train: fingerprint_rows(table, &split.train),
            test: fingerprint_rows(table, &split.test),
        },
        features,
        evaluation,
    })
}

fn target_present(column: &Column, task: &Task, row: usize) -> bool {
    match task {
        Task::Classification { .. } => column.cells[row].is_some(),
        Task::Regression => column.number(row).is_some(),
    }
}

/// The class index of a labelled row. Numeric labels compare by value, so `1` and `1.0` are one class.
fn class_index(column: &Column, classes: &[String], row: usize) -> usize {
    let cell = column.cells[row].as_deref().unwrap_or_default();
    classes
        .iter()
        .position(|c| c == cell)
        .or_else(|| {
            let value = parse_number(cell)?;
            classes.iter().position(|c| parse_number(c) == Some(value))
        })
        .unwrap_or(0)
}

fn majority_class(labels: &[u32], n_classes: usize) -> usize {
    let mut counts = vec![0usize; n_classes];
    for &l in labels {
        counts[l as usize] += 1;
    }
    // The first of the most frequent classes, as scikit-learn's DummyClassifier picks.
    (0..n_classes).max_by_key(|&c| (counts[c], usize::MAX - c)).unwrap_or(0)
}

fn matrix(rows: Vec<Vec<f64>>, model: ModelKind) -> Result<DenseMatrix<f64>, TabmlError> {
    DenseMatrix::from_2d_vec(&rows).map_err(|e| fit_error(model, e))
}

fn fit_error(model: ModelKind, error: impl std::fmt::Display) -> TabmlError {
    TabmlError::Fit { model: model.label(), message: error.to_string() }
}

fn fit_classifier(
    config: &TrainConfig,
    x_train: &DenseMatrix<f64>,
    y_train: &Vec<u32>,
    x_test: &DenseMatrix<f64>,
) -> Result<Vec<u32>, TabmlError> {
    let err = |e| fit_error(config.model, e);
    match config.model {
        ModelKind::LogisticRegression => {
            // alpha = 1 matches scikit-learn's default C = 1 on standardised features closely enough
            // for a first model; the ML core issue replaces this with our own solver.
            let params = LogisticRegressionParameters::default().with_alpha(1.0);
            let model = LogisticRegression::fit(x_train, y_train, params).map_err(err)?;
            model.predict(x_test).map_err(err)
        }
        ModelKind::RandomForest => {
            let params = RandomForestClassifierParameters {
                n_trees: config.n_trees,
                seed: config.seed,
                ..Default::default()
            };
            let model = RandomForestClassifier::fit(x_train, y_train, params).map_err(err)?;
            model.predict(x_test).map_err(err)
        }
        ModelKind::LinearRegression => unreachable!("checked by ModelKind::supports"),
    }
}

fn fit_regressor(
    config: &TrainConfig,
    x_train: &DenseMatrix<f64>,
    y_train: &Vec<f64>,
    x_test: &DenseMatrix<f64>,
) -> Result<Vec<f64>, TabmlError> {
    let err = |e| fit_error(config.model, e);
    match config.model {
        ModelKind::LinearRegression => {
            // SVD copes with the collinear columns one-hot encoding produces; QR does not.
            let params = LinearRegressionParameters::default().with_solver(LinearRegressionSolverName::SVD);
            let model = LinearRegression::fit(x_train, y_train, params).map_err(err)?;
            model.predict(x_test).map_err(err)
        }
        ModelKind::RandomForest => {
            let params = RandomForestRegressorParameters {
                n_trees: usize::from(config.n_trees),
                seed: config.seed,
                ..Default::default()
            };
            let model = RandomForestRegressor::fit(x_train, y_train, params).map_err(err)?;
            model.predict(x_test).map_err(err)
        }
        ModelKind::LogisticRegression => unreachable!("checked by ModelKind::supports"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_csv;

    /// Two well separated blobs with a categorical and a text column along for the ride.
    fn blobs(rows: usize) -> Table {
        let mut csv = String::from("a,b,colour,id,label\n");
        for i in 0..rows {
            let positive = i % 3 == 0;
            let shift = if positive { 4.0 } else { 0.0 };
            let jitter = (i % 7) as f64 * 0.1;
            let colour = ["red", "blue"][i % 2];
            let label = if positive { "yes" } else { "no" };
            csv.push_str(&format!("{},{},{colour},r{i},{label}\n", shift + jitter, shift - jitter));
        }
        parse_csv(csv.as_bytes()).unwrap()
    }

    #[test]
    fn both_classifiers_separate_blobs() {
        let table = blobs(90);
        for kind in [ModelKind::LogisticRegression, ModelKind::RandomForest] {
            let report = train(&table, "label", &TrainConfig::new(kind)).unwrap();
            assert_eq!(report.task, Task::Classification { classes: vec!["no".into(), "yes".into()] });
            assert_eq!((report.n_train, report.n_test), (72, 18));
            assert_eq!(report.evaluation.headline(), 1.0, "{kind:?}");
            let Evaluation::Classification { baseline_accuracy, confusion, .. } = &report.evaluation else {
                panic!("classification expected")
            };
            assert_eq!(*baseline_accuracy, 12.0 / 18.0);
            assert_eq!(confusion, &vec![vec![12, 0], vec![0, 6]]);
            assert_eq!(report.features.skipped[0].column, "id");
        }
    }

    #[test]
    fn same_seed_same_result() {
        let table = blobs(60);
        let config = TrainConfig { seed: 7, ..TrainConfig::new(ModelKind::RandomForest) };
        let report = train(&table, "label", &config).unwrap();
        assert_eq!(report, train(&table, "label", &config).unwrap());
        assert_eq!(report.fingerprints.data, crate::fingerprint(&table));
        assert_ne!(report.fingerprints.train, report.fingerprints.test);
    }

    #[test]
    fn numeric_target_with_many_values_is_regression() {
        let mut csv = String::from("x,y\n");
        for i in 0..50 {
            csv.push_str(&format!("{i},{}\n", 2.0 * i as f64 + 1.0));
        }
        let table = parse_csv(csv.as_bytes()).unwrap();
        let report = train(&table, "y", &TrainConfig::new(ModelKind::LinearRegression)).unwrap();
        assert_eq!(report.task, Task::Regression);
        assert!(report.evaluation.headline() > 0.999_999);
        let err = train(&table, "y", &TrainConfig::new(ModelKind::LogisticRegression)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "logistic regression cannot be used for regression: pick one of linear regression or random forest"
        );
    }

    #[test]
    fn missing_labels_are_counted_not_used() {
        let mut csv = String::from("x,y\n");
        for i in 0..40 {
            let label = match i % 4 {
                0 => "",
                1 | 2 => "a",
                _ => "b",
            };
            csv.push_str(&format!("{i},{label}\n"));
        }
        let table = parse_csv(csv.as_bytes()).unwrap();
        let report = train(&table, "y", &TrainConfig::new(ModelKind::RandomForest)).unwrap();
        assert_eq!(report.n_unlabelled, 10);
        assert_eq!(report.n_train + report.n_test, 30);
    }

    #[test]
    fn bad_targets_are_refused_with_their_name() {
        let table = parse_csv(b"x,y\n1,a\n2,a\n3,a\n4,a\n5,a\n6,a\n").unwrap();
        let config = TrainConfig::new(ModelKind::RandomForest);
        assert_eq!(
            train(&table, "y", &config).unwrap_err(),
            TabmlError::SingleClass { column: "y".into(), class: "a".into() }
        );
        assert_eq!(train(&table, "nope", &config).unwrap_err(), TabmlError::UnknownColumn("nope".into()));

        let ids: String = (0..60).map(|i| format!("{i},id{i}\n")).collect();
        let table = parse_csv(format!("x,y\n{ids}").as_bytes()).unwrap();
        assert_eq!(
            train(&table, "y", &config).unwrap_err(),
            TabmlError::TooManyClasses { column: "y".into(), classes: 60, max: 50 }
        );
    }
}
