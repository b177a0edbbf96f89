//! The model families, their hyperparameters (scikit-learn's names and defaults) and the fitted
//! estimators.
//!
//! Every estimator is our own code: smartcore has no class probabilities for logistic regression,
//! k-NN or naive Bayes (so no ROC AUC or log loss), its forest searches exact splits and is several
//! times slower than scikit-learn, and its fitted models serialise to its private layout, which the
//! versioned model bundle cannot depend on. Owning the code also lets every transcendental function go
//! through `libm`, so a model is bit-identical natively and in the browser.
//!
//! [`Progress`] reports the done share of a fit or search and cancels it when the callback returns
//! `false`; `with_trials` also hears each finished search trial.

mod linear;
mod naive_bayes;
mod neighbors;
mod params;
mod tree;

pub use linear::{LinearModel, LogisticModel};
pub use naive_bayes::GaussianNb;
pub use neighbors::Neighbours;
pub use params::{
    DummyStrategy, ElasticNetParams, ForestParams, KnnParams, LassoParams, LogRegParams, MaxFeatures,
    ModelParams, NaiveBayesParams, ParamKind, ParamSpec, ParamValue, Params, RidgeParams, Space, TreeParams,
};
pub use tree::{Binner, Node, Tree, TreeEnsemble, MAX_BINS};

use crate::error::TabmlError;
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use tree::{GrowParams, TreeTarget};

/// A family of model a learner can train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ModelKind {
    /// Predicts the training class shares or the training mean, whatever the features.
    #[serde(rename = "dummy")]
    Dummy,
    /// Logistic regression (classification), L2-regularised.
    #[serde(rename = "logreg")]
    LogisticRegression,
    /// Ordinary least squares (regression).
    #[serde(rename = "linreg")]
    LinearRegression,
    /// Least squares with an L2 penalty (regression).
    #[serde(rename = "ridge")]
    Ridge,
    /// Least squares with an L1 penalty (regression).
    #[serde(rename = "lasso")]
    Lasso,
    /// Least squares with L1 and L2 penalties (regression).
    #[serde(rename = "elasticnet")]
    ElasticNet,
    /// One decision tree (classification or regression).
    #[serde(rename = "tree")]
    DecisionTree,
    /// A random forest of decision trees (classification or regression).
    #[serde(rename = "forest")]
    RandomForest,
    /// k-nearest neighbours (classification or regression).
    #[serde(rename = "knn")]
    KNearestNeighbours,
    /// Gaussian naive Bayes (classification).
    #[serde(rename = "gnb")]
    GaussianNaiveBayes,
}

impl ModelKind {
    /// Every kind, in the order a learner sees them.
    pub const ALL: [ModelKind; 10] = [
        ModelKind::Dummy,
        ModelKind::LogisticRegression,
        ModelKind::LinearRegression,
        ModelKind::Ridge,
        ModelKind::Lasso,
        ModelKind::ElasticNet,
        ModelKind::DecisionTree,
        ModelKind::RandomForest,
        ModelKind::KNearestNeighbours,
        ModelKind::GaussianNaiveBayes,
    ];

    /// The short name used on the command line and in bundles (`logreg`, `forest`, …).
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Dummy => "dummy",
            ModelKind::LogisticRegression => "logreg",
            ModelKind::LinearRegression => "linreg",
            ModelKind::Ridge => "ridge",
            ModelKind::Lasso => "lasso",
            ModelKind::ElasticNet => "elasticnet",
            ModelKind::DecisionTree => "tree",
            ModelKind::RandomForest => "forest",
            ModelKind::KNearestNeighbours => "knn",
            ModelKind::GaussianNaiveBayes => "gnb",
        }
    }

    /// The kind with this short name.
    pub fn from_name(name: &str) -> Result<Self, TabmlError> {
        Self::ALL.into_iter().find(|k| k.name() == name).ok_or_else(|| TabmlError::UnknownModel {
            name: name.to_owned(),
            known: Self::ALL.map(|k| k.name()).join(" "),
        })
    }

    /// The name a learner sees.
    pub fn label(self) -> &'static str {
        match self {
            ModelKind::Dummy => "dummy baseline",
            ModelKind::LogisticRegression => "logistic regression",
            ModelKind::LinearRegression => "linear regression",
            ModelKind::Ridge => "ridge regression",
            ModelKind::Lasso => "lasso",
            ModelKind::ElasticNet => "elastic net",
            ModelKind::DecisionTree => "decision tree",
            ModelKind::RandomForest => "random forest",
            ModelKind::KNearestNeighbours => "k-nearest neighbours",
            ModelKind::GaussianNaiveBayes => "Gaussian naive Bayes",
        }
    }

    /// One sentence on how the model decides.
    pub fn explanation(self) -> &'static str {
        match self {
            ModelKind::Dummy => "Ignores the features: predicts the training class shares or the training mean. Every real model must beat it.",
            ModelKind::LogisticRegression => "Weighs each feature and adds them up; the sum becomes a probability per class. Fast and easy to explain.",
            ModelKind::LinearRegression => "Fits the straight-line combination of features with the smallest squared error.",
            ModelKind::Ridge => "Linear regression that keeps the weights small (alpha), which steadies it when features are correlated.",
            ModelKind::Lasso => "Linear regression that pushes useless weights to exactly zero (alpha), choosing features as it fits.",
            ModelKind::ElasticNet => "A mix of ridge and lasso penalties (l1_ratio sets the mix).",
            ModelKind::DecisionTree => "Asks yes/no questions about one feature at a time; deep trees memorise the training rows.",
            ModelKind::RandomForest => "Averages many trees, each grown on a resample of the rows and a random subset of features; rarely needs tuning.",
            ModelKind::KNearestNeighbours => "Predicts from the most similar training rows (n_neighbors of them). Needs scaled features.",
            ModelKind::GaussianNaiveBayes => "Treats each feature as an independent bell curve per class. Very fast, often a good first model.",
        }
    }

    /// Whether this kind can do `task`.
    pub fn supports(self, task: &crate::Task) -> bool {
        let classification = matches!(task, crate::Task::Classification { .. });
        match self {
            ModelKind::LogisticRegression | ModelKind::GaussianNaiveBayes => classification,
            ModelKind::LinearRegression | ModelKind::Ridge | ModelKind::Lasso | ModelKind::ElasticNet => {
                !classification
            }
            ModelKind::Dummy
            | ModelKind::DecisionTree
            | ModelKind::RandomForest
            | ModelKind::KNearestNeighbours => true,
        }
    }
}

/// Work stopped because the caller asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// Reports how far a long computation is, and lets the caller stop it: the callback gets the done
/// share in `[0, 1]` and returns `false` to cancel. A search also reports each finished trial to
/// an optional second callback, for a live chart.
pub struct Progress<'a> {
    callback: Option<&'a mut dyn FnMut(f64) -> bool>,
    on_trial: Option<&'a mut dyn FnMut(&crate::search::Trial)>,
    start: f64,
    span: f64,
}

impl<'a> Progress<'a> {
    /// No reporting, never cancelled.
    pub fn none() -> Self {
        Self { callback: None, on_trial: None, start: 0.0, span: 1.0 }
    }

    /// Reports to `callback`.
    pub fn new(callback: &'a mut dyn FnMut(f64) -> bool) -> Self {
        Self { callback: Some(callback), on_trial: None, start: 0.0, span: 1.0 }
    }

    /// Reports to `callback`, and every finished search trial to `on_trial`.
    pub fn with_trials(
        callback: &'a mut dyn FnMut(f64) -> bool,
        on_trial: &'a mut dyn FnMut(&crate::search::Trial),
    ) -> Self {
        Self { callback: Some(callback), on_trial: Some(on_trial), start: 0.0, span: 1.0 }
    }

    /// Reports `done` (a share of this piece of work); `Err` when the caller cancelled.
    pub fn report(&mut self, done: f64) -> Result<(), Cancelled> {
        let at = self.start + self.span * done.clamp(0.0, 1.0);
        match &mut self.callback {
            Some(callback) => {
                if callback(at) {
                    Ok(())
                } else {
                    Err(Cancelled)
                }
            }
            None => Ok(()),
        }
    }

    /// Reports a finished search trial.
    pub fn trial(&mut self, trial: &crate::search::Trial) {
        if let Some(on_trial) = &mut self.on_trial {
            on_trial(trial);
        }
    }

    /// A reporter for the part `[from, to]` of this piece of work.
    pub fn part(&mut self, from: f64, to: f64) -> Progress<'_> {
        Progress {
            callback: self.callback.as_mut().map(|c| &mut **c as &mut dyn FnMut(f64) -> bool),
            on_trial: self.on_trial.as_mut().map(|c| &mut **c as &mut dyn FnMut(&crate::search::Trial)),
            start: self.start + self.span * from,
            span: self.span * (to - from),
        }
    }
}

/// What a model learns to predict, row by row.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Class indices below `n_classes`.
    Classes { labels: &'a [usize], n_classes: usize },
    /// Numbers.
    Values(&'a [f64]),
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Estimator {
    /// Class shares (classification) or the mean (regression).
    Dummy {
        /// Predicted probability per class; empty for regression.
        proba: Vec<f64>,
        /// Predicted value for regression.
        value: f64,
    },
    /// Linear, ridge, lasso or elastic net regression.
    Linear(LinearModel),
    /// Logistic regression.
    Logistic(LogisticModel),
    /// A decision tree or random forest.
    Trees(TreeEnsemble),
    /// k-nearest neighbours.
    Neighbours(Neighbours),
    /// Gaussian naive Bayes.
    NaiveBayes(GaussianNb),
}

/// Fits the family of `params` (checked by [`ModelParams::resolve`]) on `x` and `target`.
pub fn fit(
    params: &ModelParams,
    x: &Array2<f64>,
    target: Target<'_>,
    seed: u64,
    progress: &mut Progress<'_>,
) -> Result<Estimator, TabmlError> {
    let cancelled = |_| TabmlError::Cancelled;
    let n_features = x.ncols();
    let grow = |p: &TreeParams| GrowParams {
        max_depth: p.max_depth.map(|d| d as usize),
        min_samples_split: p.min_samples_split as usize,
        min_samples_leaf: p.min_samples_leaf as usize,
        max_features: p.max_features.per_split(n_features),
    };
    let estimator = match (params, target) {
        (ModelParams::Dummy(strategy), Target::Classes { labels, n_classes }) => {
            let mut proba = vec![0.0; n_classes];
            for &l in labels {
                proba[l] += 1.0;
            }
            for p in &mut proba {
                *p /= labels.len() as f64;
            }
            if *strategy == DummyStrategy::MostFrequent {
                let top = argmax(&proba);
                proba.iter_mut().enumerate().for_each(|(k, p)| *p = if k == top { 1.0 } else { 0.0 });
            }
            Estimator::Dummy { proba, value: 0.0 }
        }
        (ModelParams::Dummy(strategy), Target::Values(y)) => {
            let value = if *strategy == DummyStrategy::Median {
                crate::metrics::percentile(y, 50.0).unwrap_or(0.0)
            } else {
                y.iter().sum::<f64>() / y.len() as f64
            };
            Estimator::Dummy { proba: Vec::new(), value }
        }
        (ModelParams::LogisticRegression(p), Target::Classes { labels, n_classes }) => {
            let model = linear::logistic(x, labels, n_classes, p.c, p.max_iter as usize, p.tol, progress)
                .map_err(cancelled)?;
            Estimator::Logistic(model)
        }
        (ModelParams::LinearRegression, Target::Values(y)) => {
            Estimator::Linear(linear::least_squares(x, y, 0.0))
        }
        (ModelParams::Ridge(p), Target::Values(y)) => Estimator::Linear(linear::least_squares(x, y, p.alpha)),
        (ModelParams::Lasso(p), Target::Values(y)) => {
            let (model, _converged) = linear::elastic_net(x, y, p.alpha, 1.0, p.max_iter as usize, p.tol);
            Estimator::Linear(model)
        }
        (ModelParams::ElasticNet(p), Target::Values(y)) => {
            let (model, _converged) =
                linear::elastic_net(x, y, p.alpha, p.l1_ratio, p.max_iter as usize, p.tol);
            Estimator::Linear(model)
        }
        (ModelParams::DecisionTree(p), target) => {
            let ensemble =
                tree::fit_tree(x, tree_target(target), grow(p), seed, progress).map_err(cancelled)?;
            Estimator::Trees(ensemble)
        }
        (ModelParams::RandomForest(p), target) => {
            let (n_trees, bootstrap) = (p.n_estimators as usize, p.bootstrap);
            let ensemble =
                tree::fit_ensemble(x, tree_target(target), grow(&p.tree), n_trees, bootstrap, seed, progress)
                    .map_err(cancelled)?;
            Estimator::Trees(ensemble)
        }
        (ModelParams::KNearestNeighbours(p), target) => {
            let k = p.n_neighbors as usize;
            if k > x.nrows() {
                return Err(TabmlError::BadParam {
                    model: params.kind().name(),
                    name: "n_neighbors".into(),
                    value: k.to_string(),
                    expected: format!("at most the {} training rows", x.nrows()),
                });
            }
            let model = match target {
                Target::Classes { labels, n_classes } => {
                    Neighbours::new(x, k, labels.iter().map(|&l| l as u32).collect(), Vec::new(), n_classes)
                }
                Target::Values(y) => Neighbours::new(x, k, Vec::new(), y.to_vec(), 0),
            };
            Estimator::Neighbours(model)
        }
        (ModelParams::GaussianNaiveBayes(p), Target::Classes { labels, n_classes }) => {
            Estimator::NaiveBayes(GaussianNb::fit(x, labels, n_classes, p.var_smoothing))
        }
        (params, target) => {
            let task = match target {
                Target::Classes { .. } => "classification",
                Target::Values(_) => "regression",
            };
            return Err(TabmlError::ModelTaskMismatch {
                model: params.kind().label(),
                task,
                alternatives: "a model that supports it".into(),
            });
        }
    };
    progress.report(1.0).map_err(cancelled)?;
    Ok(estimator)
}

fn tree_target(target: Target<'_>) -> TreeTarget<'_> {
    match target {
        Target::Classes { labels, n_classes } => TreeTarget::Classes(labels, n_classes),
        Target::Values(y) => TreeTarget::Values(y),
    }
}

/// The index of the largest value (the first of ties).
pub(crate) fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

/// `values` laid out as rows of one value per feature: the first that is not a finite number,
/// named with its feature.
fn per_feature(values: &[f64], what: &str, features: &[String]) -> Result<(), String> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(format!(
            "{what} {i} (feature {:?}) is not a finite number",
            features.get(i % features.len().max(1)).map_or("?", String::as_str)
        )),
        None => Ok(()),
    }
}

/// The first of `values` that is not a finite number for which `sound` holds.
fn finite(values: &[f64], what: &str, sound: impl Fn(f64) -> bool) -> Result<(), String> {
    match values.iter().position(|&v| !(v.is_finite() && sound(v))) {
        Some(i) if values[i].is_finite() => Err(format!("{what} {i} is below 0")),
        Some(i) => Err(format!("{what} {i} is not a finite number")),
        None => Ok(()),
    }
}

/// Reusable buffers for predicting row after row without allocating.
#[derive(Debug, Default)]
pub struct Scratch {
    bins: Vec<u8>,
    neighbours: Vec<(f64, usize)>,
}

impl Estimator {
    /// Checks that a decoded estimator fits rows of the prepared `features` (their names) and
    /// `classes` classes (0 for regression), so that scoring cannot index past its own parts, and
    /// that every fitted value is a finite number (a NaN weight would make every prediction NaN):
    /// a bundle file may have been made by hand, with a valid checksum. Says what does not fit.
    pub fn check(&self, features: &[String], classes: usize) -> Result<(), String> {
        self.check_shape(features.len(), classes)?;
        self.check_finite(features)
    }

    fn check_shape(&self, width: usize, classes: usize) -> Result<(), String> {
        let need = |ok: bool, what: &str| if ok { Ok(()) } else { Err(what.to_owned()) };
        match self {
            Estimator::Dummy { proba, .. } => need(proba.len() == classes, "one probability per class"),
            Estimator::Linear(m) => need(m.coef.len() == width, "one weight per feature"),
            Estimator::Logistic(m) => {
                let rows = if classes == 2 { 1 } else { classes };
                need(m.n_classes == classes && classes >= 2, "as many classes as the task")?;
                need(
                    m.coef.len() == rows * width && m.intercept.len() == rows,
                    "weights for every feature and class",
                )
            }
            Estimator::NaiveBayes(m) => {
                need(classes >= 2 && m.priors.len() == classes, "one prior per class")?;
                need(
                    m.means.len() == classes * width && m.variances.len() == classes * width,
                    "a mean and a variance per class and feature",
                )
            }
            Estimator::Neighbours(m) => {
                need(
                    m.n_features == width && width > 0 && m.k > 0,
                    "neighbours over every feature, k at least 1",
                )?;
                let rows = m.x.len() / width;
                need(rows > 0 && m.x.len() == rows * width, "whole training rows")?;
                need(m.n_classes == classes, "as many classes as the task")?;
                if classes > 0 {
                    need(
                        m.classes.len() == rows && m.classes.iter().all(|&c| (c as usize) < classes),
                        "a known class per training row",
                    )
                } else {
                    need(m.values.len() == rows, "a value per training row")
                }
            }
            Estimator::Trees(m) => m.check(width, classes),
        }
    }

    /// The first fitted value that is not a finite number (or a variance not above 0, a share below
    /// 0), named with its feature. Expects [`Estimator::check_shape`] to have passed.
    fn check_finite(&self, features: &[String]) -> Result<(), String> {
        match self {
            Estimator::Dummy { proba, value } => {
                finite(proba, "probability", |p| p >= 0.0)?;
                finite(&[*value], "predicted value", |_| true)
            }
            Estimator::Linear(m) => {
                per_feature(&m.coef, "weight", features)?;
                finite(&[m.intercept], "intercept", |_| true)
            }
            Estimator::Logistic(m) => {
                per_feature(&m.coef, "weight", features)?;
                finite(&m.intercept, "intercept", |_| true)
            }
            Estimator::NaiveBayes(m) => {
                per_feature(&m.means, "mean", features)?;
                per_feature(&m.variances, "variance", features)?;
                if let Some(i) = m.variances.iter().position(|&v| v <= 0.0) {
                    return Err(format!("variance {i} is not above 0"));
                }
                finite(&m.priors, "prior", |p| p >= 0.0)
            }
            Estimator::Neighbours(m) => {
                per_feature(&m.x, "training value", features)?;
                finite(&m.values, "training target", |_| true)
            }
            Estimator::Trees(m) => {
                for (f, edges) in m.binner.edges.iter().enumerate() {
                    if edges.iter().any(|e| !e.is_finite()) {
                        return Err(format!(
                            "a bin edge of feature {:?} is not a finite number",
                            features[f]
                        ));
                    }
                }
                for (t, tree) in m.trees.iter().enumerate() {
                    finite(&tree.means, &format!("tree {t}: leaf value"), |_| true)?;
                }
                Ok(())
            }
        }
    }

    /// Class probabilities of one prepared row into `out` (one slot per class).
    pub fn proba_row(&self, row: &[f64], scratch: &mut Scratch, out: &mut [f64]) {
        match self {
            Estimator::Dummy { proba, .. } => out.copy_from_slice(proba),
            Estimator::Logistic(model) => model.proba_row(row, out),
            Estimator::Trees(model) => model.proba_row(row, &mut scratch.bins, out),
            Estimator::Neighbours(model) => model.proba_row(row, &mut scratch.neighbours, out),
            Estimator::NaiveBayes(model) => model.proba_row(row, out),
            Estimator::Linear(_) => out.fill(f64::NAN),
        }
    }

    /// The predicted number for one prepared row (regression).
    pub fn value_row(&self, row: &[f64], scratch: &mut Scratch) -> f64 {
        match self {
            Estimator::Dummy { value, .. } => *value,
            Estimator::Linear(model) => model.predict_row(row),
            Estimator::Trees(model) => model.value_row(row, &mut scratch.bins),
            Estimator::Neighbours(model) => model.value_row(row, &mut scratch.neighbours),
            Estimator::Logistic(_) | Estimator::NaiveBayes(_) => f64::NAN,
        }
    }

    /// Class probabilities of every row of `x`, `n_rows × n_classes`.
    pub fn predict_proba(&self, x: &Array2<f64>, n_classes: usize) -> Vec<Vec<f64>> {
        self.predict_proba_flat(x, n_classes).chunks_exact(n_classes.max(1)).map(<[f64]>::to_vec).collect()
    }

    /// Class probabilities of every row of `x` in one row-major buffer (row `i` at
    /// `i · n_classes ..`): for batch scoring without an allocation per row.
    pub fn predict_proba_flat(&self, x: &Array2<f64>, n_classes: usize) -> Vec<f64> {
        let mut scratch = Scratch::default();
        let p = x.ncols();
        let data = x.as_slice().expect("standard layout");
        let mut out = vec![0.0; x.nrows() * n_classes];
        match self {
            Estimator::Trees(model) => {
                model.proba_batch(data, p, &mut out);
                return out;
            }
            Estimator::Logistic(model) => {
                model.proba_batch(data, p, &mut out);
                return out;
            }
            _ => {}
        }
        for (i, slot) in out.chunks_exact_mut(n_classes.max(1)).enumerate() {
            self.proba_row(&data[i * p..(i + 1) * p], &mut scratch, slot);
        }
        out
    }

    /// The predicted number for every row of `x`.
    pub fn predict_values(&self, x: &Array2<f64>) -> Vec<f64> {
        let mut scratch = Scratch::default();
        let p = x.ncols();
        let data = x.as_slice().expect("standard layout");
        if let Estimator::Trees(model) = self {
            let mut out = vec![0.0; x.nrows()];
            model.values_batch(data, p, &mut out);
            return out;
        }
        (0..x.nrows()).map(|i| self.value_row(&data[i * p..(i + 1) * p], &mut scratch)).collect()
    }

    /// A few facts about the fitted model for people (tree count and depth, non-zero weights, …).
    pub fn summary(&self) -> String {
        match self {
            Estimator::Dummy { .. } => "no parameters learned from the features".into(),
            Estimator::Linear(m) => {
                let nonzero = m.coef.iter().filter(|c| **c != 0.0).count();
                format!("{nonzero} of {} weights non-zero", m.coef.len())
            }
            Estimator::Logistic(m) => format!(
                "{} L-BFGS iterations, {}",
                m.iterations,
                if m.converged { "converged" } else { "stopped at max_iter before converging" }
            ),
            Estimator::Trees(m) => {
                let nodes: usize = m.trees.iter().map(Tree::len).sum();
                let depth = m.trees.iter().map(Tree::depth).max().unwrap_or(0);
                format!("{} tree(s), {nodes} nodes, deepest {depth}", m.trees.len())
            }
            Estimator::Neighbours(m) => format!("{} stored training rows", m.x.len() / m.n_features.max(1)),
            Estimator::NaiveBayes(m) => format!("{} classes", m.priors.len()),
        }
    }
}
