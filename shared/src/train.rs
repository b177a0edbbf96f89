//! Training a model on a table: pick the task from the target, split, prepare, fit, and measure on
//! the held-back rows beside a baseline that ignores the features.
//!
//! The task follows from the target (`task.rs`, [`Task::for_target`]).
//! [`train_with`] takes a progress callback and the caller's clock: the [`Run`] records each
//! stage's duration, and the bundle holds no times, so the same inputs give the same bundle bytes.
//! [`preview_split`] counts the rows per class of the split a training would make, with the same
//! code, without training.

use crate::bundle::{ModelBundle, TrainingInfo};
use crate::drift::DataProfile;
use crate::error::TabmlError;
use crate::evaluation::{evaluate_predictions, Evaluation, Predictions};
use crate::features::{FeaturePlan, PrepConfig};
use crate::fingerprint::{fingerprint, fingerprint_rows};
use crate::models::{self, ModelKind, ModelParams, Params, Progress};
use crate::problem::ProblemCard;
use crate::search::{self, SearchConfig, SearchSummary};
use crate::split::stratified_split;
use crate::table::Table;
use crate::task::{Labels, Task, TaskKind};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// The choices for one training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Which model family to fit.
    pub model: ModelKind,
    /// Hyperparameters as `(name, value)` text, scikit-learn's names; the rest take their defaults.
    pub params: Vec<(String, String)>,
    /// The share of labelled rows held back for testing, in `[0, 1)`; 0 trains on every row.
    pub test_fraction: f64,
    /// Seeds the split, the search and the model: the same seed gives the same bundle.
    pub seed: u64,
    /// How columns become features (imputation, scaling, binning, columns to ignore).
    pub prep: PrepConfig,
    /// Forces classification or regression instead of reading it off the target.
    pub task: Option<TaskKind>,
    /// Tunes the hyperparameters by cross-validation on the training rows first.
    pub search: Option<SearchConfig>,
    /// The problem card stored with the model.
    pub card: ProblemCard,
    /// Test on exactly these rows (0-based data rows; unlabelled ones are skipped) instead of a random
    /// split: for time-based splits, or to compare with another tool on the same rows.
    pub test_rows: Option<Vec<usize>>,
}

impl TrainConfig {
    /// The defaults: scikit-learn's hyperparameters, an 80/20 split with seed 42, default preparation.
    pub fn new(model: ModelKind) -> Self {
        Self {
            model,
            params: Vec::new(),
            test_fraction: 0.2,
            seed: 42,
            prep: PrepConfig::default(),
            task: None,
            search: None,
            card: ProblemCard::default(),
            test_rows: None,
        }
    }

    /// Sets one hyperparameter (text as on the command line).
    pub fn with_param(mut self, name: &str, value: &str) -> Self {
        self.params.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// Which data a training saw, by content (see [`crate::fingerprint`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFingerprints {
    /// The whole table.
    pub data: String,
    /// The training rows.
    pub train: String,
    /// The test rows (the fingerprint of no rows when everything trained).
    pub test: String,
}

/// How long each stage took, in milliseconds, by the caller's clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Durations {
    /// Splitting and fitting the preparation.
    pub prepare_ms: f64,
    /// The hyperparameter search (0 without one).
    pub search_ms: f64,
    /// Fitting the final model.
    pub fit_ms: f64,
    /// Measuring it on the test rows and profiling the training data.
    pub evaluate_ms: f64,
    /// All of it.
    pub total_ms: f64,
}

/// One training as a tracked run: what went in, what came out, how long it took. Unlike the bundle,
/// a run holds wall-clock times, so two runs of the same inputs differ only in `durations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// The model family.
    pub model: ModelKind,
    /// Every hyperparameter, defaults included.
    pub params: Params,
    /// The seed.
    pub seed: u64,
    /// The target column.
    pub target: String,
    /// Fingerprints of the data and its split.
    pub fingerprints: DataFingerprints,
    /// Test metrics by name (empty when every row trained), then `cv_score` after a search.
    pub metrics: Vec<(String, f64)>,
    /// Stage timings.
    pub durations: Durations,
    /// The search, if one ran.
    pub search: Option<SearchSummary>,
}

/// A trained model: the bundle to keep and the run that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Trained {
    /// Everything needed to score and monitor the model.
    pub bundle: ModelBundle,
    /// The tracked run.
    pub run: Run,
    /// The data rows held back for testing (empty when every row trained), to measure more on them
    /// later (groups, importance).
    pub test_rows: Vec<usize>,
}

/// Trains `config.model` to predict `target` from the other columns of `table` and measures it on a
/// held-back, seeded (and for classification stratified) test split. No clock and no progress.
pub fn train(table: &Table, target: &str, config: &TrainConfig) -> Result<Trained, TabmlError> {
    train_with(table, target, config, &mut Progress::none(), &|| 0.0)
}

/// [`train`] with a progress reporter (which may cancel) and a clock in milliseconds for the run's
/// durations (the core reads no clock itself).
pub fn train_with(
    table: &Table,
    target: &str,
    config: &TrainConfig,
    progress: &mut Progress<'_>,
    clock: &dyn Fn() -> f64,
) -> Result<Trained, TabmlError> {
    let started = clock();
    let column = table.column(target).ok_or_else(|| TabmlError::UnknownColumn(target.to_owned()))?;
    let task = Task::for_target_as(column, config.task)?;
    check_model_fits(config.model, &task)?;
    // Check the hyperparameters before any work.
    let given = ModelParams::resolve(config.model, &task, &config.params)?;

    let labels = Labels::read(column, &task);
    let (train_rows, test_rows, n_unlabelled) = split_rows(table, &labels, config)?;

    let plan = FeaturePlan::fit_with(table, target, &train_rows, &config.prep);
    if plan.inputs.is_empty() {
        return Err(TabmlError::NoFeatures);
    }
    let x_train = plan.transform_matrix(table, &train_rows);
    let prepared = clock();

    let (params, search) = match &config.search {
        Some(search_config) => {
            let train_strata = labels.strata(&train_rows);
            let summary = search::run(
                table,
                target,
                &task,
                &labels,
                config,
                search_config,
                &train_rows,
                &train_strata,
                &mut progress.part(0.0, 0.8),
            )?;
            let best = ModelParams::resolve(config.model, &task, &summary.trials[summary.best].params)?;
            (best, Some(summary))
        }
        None => (given, None),
    };
    let searched = clock();

    let y = labels.target_for(&train_rows);
    let fit_from = if search.is_some() { 0.8 } else { 0.0 };
    let estimator =
        models::fit(&params, &x_train, y.as_target(), config.seed, &mut progress.part(fit_from, 1.0))?;
    let feature_names = plan.feature_names();
    // Values near ±1.7e308 left unscaled can overflow a model's sums: refuse it rather than keep a
    // model whose every prediction is NaN.
    estimator.check(&feature_names, task.classes().len()).map_err(|why| TabmlError::Fit {
        model: config.model.label(),
        message: format!(
            "{why}: the values are too large for this model as they are; scale them (standard or min-max)"
        ),
    })?;
    let baseline = models::fit(
        &ModelParams::resolve(ModelKind::Dummy, &task, &[])?,
        &x_train,
        y.as_target(),
        config.seed,
        &mut Progress::none(),
    )?;
    let fitted = clock();

    let evaluation = if test_rows.is_empty() {
        None
    } else {
        let x_test = plan.transform_matrix(table, &test_rows);
        let truth = labels.target_for(&test_rows);
        Some(evaluate_predictions(
            &task,
            &truth,
            &Predictions::of(&estimator, &x_test, &task),
            &Predictions::of(&baseline, &x_test, &task),
        ))
    };
    let mut profile = DataProfile::of_rows(table, Some(&train_rows));
    let outputs = crate::drift::prediction_table(&task, &Predictions::of(&estimator, &x_train, &task));
    profile.predictions = DataProfile::of_rows(&outputs, None).columns;
    let fingerprints = DataFingerprints {
        data: fingerprint(table),
        train: fingerprint_rows(table, &train_rows),
        test: fingerprint_rows(table, &test_rows),
    };
    let bundle = ModelBundle {
        tabml_version: crate::VERSION.to_owned(),
        model: config.model,
        params: params.record(),
        target: target.to_owned(),
        task: task.clone(),
        schema: crate::bundle::schema_of(table, &plan),
        feature_names,
        prep: plan,
        estimator,
        baseline,
        training: TrainingInfo {
            seed: config.seed,
            test_fraction: config.test_fraction,
            n_train: train_rows.len(),
            n_test: test_rows.len(),
            n_unlabelled,
            fingerprints: fingerprints.clone(),
            search: search.clone(),
        },
        evaluation,
        profile,
        gates: Vec::new(),
        card: config.card.clone(),
    };
    let evaluated = clock();
    let mut metrics = bundle.evaluation.as_ref().map(Evaluation::metric_pairs).unwrap_or_default();
    if let Some(summary) = &search {
        metrics.push(("cv_score".to_owned(), summary.trials[summary.best].score));
    }
    let run = Run {
        model: config.model,
        params: bundle.params.clone(),
        seed: config.seed,
        target: target.to_owned(),
        fingerprints,
        metrics,
        durations: Durations {
            prepare_ms: prepared - started,
            search_ms: searched - prepared,
            fit_ms: fitted - searched,
            evaluate_ms: evaluated - fitted,
            total_ms: evaluated - started,
        },
        search,
    };
    Ok(Trained { bundle, run, test_rows })
}

fn check_model_fits(model: ModelKind, task: &Task) -> Result<(), TabmlError> {
    if model.supports(task) {
        return Ok(());
    }
    let alternatives: Vec<&str> =
        ModelKind::ALL.iter().filter(|k| k.supports(task)).map(|k| k.name()).collect();
    Err(TabmlError::ModelTaskMismatch {
        model: model.label(),
        task: task.label(),
        alternatives: alternatives.join(", "),
    })
}

/// The training and test rows of a training with `config` (labelled rows only), and how many rows
/// have no label: the one place the split is made, for training and for previews.
fn split_rows(
    table: &Table,
    labels: &Labels<'_>,
    config: &TrainConfig,
) -> Result<(Vec<usize>, Vec<usize>, usize), TabmlError> {
    let labelled: Vec<usize> = (0..table.n_rows).filter(|&r| labels.present(r)).collect();
    let n_unlabelled = table.n_rows - labelled.len();
    let strata = labels.strata(&labelled);
    let (train, test) = if let Some(chosen) = &config.test_rows {
        let mut is_test = vec![false; table.n_rows];
        for &r in chosen {
            if r < table.n_rows {
                is_test[r] = true;
            }
        }
        labelled.iter().partition(|&&r| !is_test[r])
    } else if config.test_fraction == 0.0 {
        if labelled.len() < 2 {
            return Err(TabmlError::TooFewRows { rows: labelled.len(), needed: 2 });
        }
        (labelled.clone(), Vec::new())
    } else {
        let split = stratified_split(&labelled, &strata, config.test_fraction, config.seed)?;
        (split.train, split.test)
    };
    Ok((train, test, n_unlabelled))
}

/// How a training with `config` would split `table`: rows per class (or one count for a regression
/// target) in the training and test parts, without training anything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitPreview {
    /// The classes, or `["all rows"]` for a regression target.
    pub classes: Vec<String>,
    /// Training rows per class.
    pub train: Vec<usize>,
    /// Test rows per class.
    pub test: Vec<usize>,
    /// Rows left out because their target is missing.
    pub unlabelled: usize,
}

/// Previews the split of a training of `target` with `config` (see [`SplitPreview`]).
pub fn preview_split(table: &Table, target: &str, config: &TrainConfig) -> Result<SplitPreview, TabmlError> {
    let column = table.column(target).ok_or_else(|| TabmlError::UnknownColumn(target.to_owned()))?;
    let task = Task::for_target_as(column, config.task)?;
    let labels = Labels::read(column, &task);
    let (train_rows, test_rows, unlabelled) = split_rows(table, &labels, config)?;
    let classes = match &task {
        Task::Classification { classes } => classes.clone(),
        Task::Regression => vec!["all rows".to_owned()],
    };
    let count = |rows: &[usize]| {
        let mut counts = vec![0; classes.len()];
        for &r in rows {
            counts[labels.class_of(r).unwrap_or(0).min(classes.len() - 1)] += 1;
        }
        counts
    };
    Ok(SplitPreview { train: count(&train_rows), test: count(&test_rows), classes, unlabelled })
}

/// Fits `kind` with `params` on `rows` of `table` (preparation included) and scores it on `valid`
/// rows: accuracy for classification, R² for regression (scikit-learn's default scoring).
#[allow(clippy::too_many_arguments)]
pub(crate) fn fit_and_score(
    table: &Table,
    target: &str,
    task: &Task,
    labels: &Labels<'_>,
    config: &TrainConfig,
    params: &ModelParams,
    rows: &[usize],
    valid: &[usize],
    progress: &mut Progress<'_>,
) -> Result<f64, TabmlError> {
    let plan = FeaturePlan::fit_with(table, target, rows, &config.prep);
    let x: Array2<f64> = plan.transform_matrix(table, rows);
    let y = labels.target_for(rows);
    let estimator = models::fit(params, &x, y.as_target(), config.seed, progress)?;
    let x_valid = plan.transform_matrix(table, valid);
    let truth = labels.target_for(valid);
    Ok(Predictions::of(&estimator, &x_valid, task).score(&truth))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_csv, ModelBundle};

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

    fn report(trained: &Trained) -> &crate::ClassificationReport {
        match trained.bundle.evaluation.as_ref().unwrap() {
            Evaluation::Classification(r) => r,
            Evaluation::Regression(_) => panic!("classification expected"),
        }
    }

    #[test]
    fn every_classifier_separates_blobs_and_beats_the_baseline() {
        let table = blobs(90);
        for kind in
            ModelKind::ALL.into_iter().filter(|k| k.supports(&Task::Classification { classes: vec![] }))
        {
            let trained = train(&table, "label", &TrainConfig::new(kind)).unwrap();
            assert_eq!(
                trained.bundle.task,
                Task::Classification { classes: vec!["no".into(), "yes".into()] }
            );
            assert_eq!((trained.bundle.training.n_train, trained.bundle.training.n_test), (72, 18));
            let r = report(&trained);
            assert_eq!(r.baseline.accuracy, 12.0 / 18.0);
            if kind != ModelKind::Dummy {
                assert_eq!(r.metrics.accuracy, 1.0, "{kind:?}");
                assert_eq!(r.confusion, vec![vec![12, 0], vec![0, 6]]);
                assert_eq!(r.metrics.roc_auc, Some(1.0), "{kind:?}");
            }
            assert_eq!(trained.bundle.prep.skipped[0].column, "id");
            assert!(trained.run.metrics.iter().any(|(n, _)| n == "baseline_log_loss"));
        }
    }

    #[test]
    fn same_seed_same_bundle_bytes() {
        let table = blobs(60);
        let config = TrainConfig { seed: 7, ..TrainConfig::new(ModelKind::RandomForest) };
        let first = train(&table, "label", &config).unwrap();
        let second = train(&table, "label", &config).unwrap();
        assert_eq!(first.bundle.encode(), second.bundle.encode());
        assert_eq!(first.run.fingerprints.data, crate::fingerprint(&table));
        assert_ne!(first.run.fingerprints.train, first.run.fingerprints.test);
        let other_seed = train(&table, "label", &TrainConfig { seed: 8, ..config }).unwrap();
        assert_ne!(first.bundle.digest(), other_seed.bundle.digest());
        assert_eq!(ModelBundle::decode(&first.bundle.encode()).unwrap(), first.bundle);
    }

    #[test]
    fn numeric_target_with_many_values_is_regression_and_every_regressor_fits_a_line() {
        let mut csv = String::from("x,y\n");
        for i in 0..50 {
            csv.push_str(&format!("{i},{}\n", 2.0 * i as f64 + 1.0));
        }
        let table = parse_csv(csv.as_bytes()).unwrap();
        for kind in [
            ModelKind::LinearRegression,
            ModelKind::Ridge,
            ModelKind::RandomForest,
            ModelKind::KNearestNeighbours,
        ] {
            let trained = train(&table, "y", &TrainConfig::new(kind)).unwrap();
            assert_eq!(trained.bundle.task, Task::Regression);
            assert!(trained.bundle.evaluation.unwrap().headline() > 0.95, "{kind:?}");
        }
        let err = train(&table, "y", &TrainConfig::new(ModelKind::LogisticRegression)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "logistic regression cannot be used for regression: pick one of dummy, linreg, ridge, lasso, elasticnet, tree, forest, knn"
        );
        let forced =
            TrainConfig { task: Some(TaskKind::Classification), ..TrainConfig::new(ModelKind::DecisionTree) };
        assert_eq!(train(&table, "y", &forced).unwrap().bundle.task.classes().len(), 50);
        let labels = parse_csv(b"x,y\n1,a\n2,b\n3,a\n4,b\n5,a\n6,b\n").unwrap();
        let forced =
            TrainConfig { task: Some(TaskKind::Regression), ..TrainConfig::new(ModelKind::DecisionTree) };
        assert_eq!(train(&labels, "y", &forced).unwrap_err(), TabmlError::NotNumericTarget("y".into()));
    }

    #[test]
    fn test_size_zero_trains_on_every_row() {
        let table = blobs(30);
        let config = TrainConfig { test_fraction: 0.0, ..TrainConfig::new(ModelKind::GaussianNaiveBayes) };
        let trained = train(&table, "label", &config).unwrap();
        assert_eq!((trained.bundle.training.n_train, trained.bundle.training.n_test), (30, 0));
        assert!(trained.bundle.evaluation.is_none());
        assert!(trained.run.metrics.is_empty());
    }

    #[test]
    fn bad_hyperparameters_fail_before_fitting() {
        let table = blobs(30);
        let err = train(
            &table,
            "label",
            &TrainConfig::new(ModelKind::RandomForest).with_param("n_estimators", "0"),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "forest: n_estimators=0 is not valid: expected a whole number from 1 to 10000"
        );
    }

    #[test]
    fn search_picks_the_best_trial_and_records_it() {
        let table = blobs(60);
        let config = TrainConfig {
            search: Some(SearchConfig { method: search::SearchMethod::Grid, trials: 10, folds: 3 }),
            ..TrainConfig::new(ModelKind::KNearestNeighbours)
        };
        let trained = train(&table, "label", &config).unwrap();
        let summary = trained.run.search.as_ref().unwrap();
        assert_eq!(summary.trials.len(), 5);
        assert!(summary.trials.iter().all(|t| t.fold_scores.len() == 3));
        let best = &summary.trials[summary.best];
        assert_eq!(trained.bundle.params.describe(), format!("n_neighbors={}", best.params[0].1));
        assert_eq!(trained.run.metrics.last().unwrap().0, "cv_score");
    }

    #[test]
    fn progress_reaches_the_end_and_cancelling_stops_training() {
        let table = blobs(60);
        let config = TrainConfig::new(ModelKind::RandomForest).with_param("n_estimators", "20");
        let mut seen = Vec::new();
        let mut record = |done: f64| {
            seen.push(done);
            true
        };
        train_with(&table, "label", &config, &mut Progress::new(&mut record), &|| 0.0).unwrap();
        assert_eq!(seen.last(), Some(&1.0));
        assert!(seen.windows(2).all(|w| w[0] <= w[1]));
        let mut stop = |done: f64| done < 0.5;
        let err = train_with(&table, "label", &config, &mut Progress::new(&mut stop), &|| 0.0).unwrap_err();
        assert_eq!(err, TabmlError::Cancelled);
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
        let trained = train(&table, "y", &TrainConfig::new(ModelKind::RandomForest)).unwrap();
        assert_eq!(trained.bundle.training.n_unlabelled, 10);
        assert_eq!(trained.bundle.training.n_train + trained.bundle.training.n_test, 30);
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

    #[test]
    fn the_split_preview_is_the_split_training_uses() {
        let table = blobs(90);
        let config =
            TrainConfig { test_fraction: 0.3, seed: 9, ..TrainConfig::new(ModelKind::GaussianNaiveBayes) };
        let preview = preview_split(&table, "label", &config).unwrap();
        assert_eq!(preview.classes, ["no", "yes"]);
        let trained = train(&table, "label", &config).unwrap();
        assert_eq!(preview.train.iter().sum::<usize>(), trained.bundle.training.n_train);
        assert_eq!(preview.test.iter().sum::<usize>(), trained.bundle.training.n_test);
        assert_eq!(preview.test.iter().sum::<usize>(), trained.test_rows.len());
        // Stratified: each class keeps its share (30 "yes" of 90) in the test part.
        assert_eq!(preview.test, [18, 9]);
    }
}
