//! Hyperparameters: scikit-learn's names and defaults, checked before anything is fitted.
//!
//! A learner, a search or the command line gives hyperparameters as `(name, text)` pairs.
//! [`ModelParams::resolve`] checks them against the family's table (`spec.rs`) and gives the
//! family's typed parameters, the only thing [`super::fit`] reads, so a fit cannot ask for a name
//! that was never checked. [`ModelParams::record`] writes them back as [`Params`], every name with
//! its value in the table's order: what a bundle and a run keep and what people are shown.

use super::ModelKind;
use crate::error::TabmlError;
use crate::Task;
use serde::{Deserialize, Serialize};

mod spec;
pub use spec::{ParamKind, ParamSpec, Space};

/// The value of one hyperparameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ParamValue {
    /// A whole number.
    Int(i64),
    /// A real number.
    Float(f64),
    /// One of a fixed set of words (`sqrt`, `median`, …).
    Text(String),
    /// `true` or `false`.
    Bool(bool),
    /// scikit-learn's `None` (for example, no depth limit).
    None,
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Int(v) => write!(f, "{v}"),
            ParamValue::Float(v) => write!(f, "{v}"),
            ParamValue::Text(v) => f.write_str(v),
            ParamValue::Bool(v) => write!(f, "{v}"),
            ParamValue::None => f.write_str("None"),
        }
    }
}

/// The hyperparameters a model was fitted with, as its bundle and run keep them: every name of the
/// family with its value, in the family's order. Made by [`ModelParams::record`]; for people and the
/// wire, never read by a fit.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Params {
    /// `(name, value)` for every hyperparameter of the family.
    pub values: Vec<(String, ParamValue)>,
}

impl Params {
    /// Every hyperparameter as `(name, value as text)`, in the model's order.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.values.iter().map(|(n, v)| (n.clone(), v.to_string())).collect()
    }

    /// `name = value` pairs, comma separated, for people.
    pub fn describe(&self) -> String {
        self.values.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join(", ")
    }
}

/// One family's hyperparameters, checked by [`ModelParams::resolve`]: all a fit reads. The fields are
/// private to the core, so the only way to a value is through the checks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ModelParams {
    /// The dummy baseline.
    Dummy(DummyStrategy),
    /// Logistic regression.
    LogisticRegression(LogRegParams),
    /// Ordinary least squares: nothing to set.
    LinearRegression,
    /// Ridge regression.
    Ridge(RidgeParams),
    /// Lasso.
    Lasso(LassoParams),
    /// Elastic net.
    ElasticNet(ElasticNetParams),
    /// One decision tree.
    DecisionTree(TreeParams),
    /// A random forest.
    RandomForest(ForestParams),
    /// k-nearest neighbours.
    KNearestNeighbours(KnnParams),
    /// Gaussian naive Bayes.
    GaussianNaiveBayes(NaiveBayesParams),
}

/// The dummy baseline's `strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DummyStrategy {
    /// The training class shares (classification).
    Prior,
    /// Certainty in the commonest training class (classification).
    MostFrequent,
    /// The training mean (regression).
    Mean,
    /// The training median (regression).
    Median,
}

/// Logistic regression: `C`, `max_iter`, `tol`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogRegParams {
    pub(crate) c: f64,
    pub(crate) max_iter: u64,
    pub(crate) tol: f64,
}

/// Ridge regression: `alpha`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RidgeParams {
    pub(crate) alpha: f64,
}

/// Lasso: `alpha`, `max_iter`, `tol`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LassoParams {
    pub(crate) alpha: f64,
    pub(crate) max_iter: u64,
    pub(crate) tol: f64,
}

/// Elastic net: `alpha`, `l1_ratio`, `max_iter`, `tol`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ElasticNetParams {
    pub(crate) alpha: f64,
    pub(crate) l1_ratio: f64,
    pub(crate) max_iter: u64,
    pub(crate) tol: f64,
}

/// How a tree grows: `max_depth`, `min_samples_split`, `min_samples_leaf`, `max_features`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreeParams {
    /// `None`: grow until leaves are pure.
    pub(crate) max_depth: Option<u64>,
    pub(crate) min_samples_split: u64,
    pub(crate) min_samples_leaf: u64,
    pub(crate) max_features: MaxFeatures,
}

/// A random forest: `n_estimators`, the trees' own parameters, then `bootstrap`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForestParams {
    pub(crate) n_estimators: u64,
    pub(crate) tree: TreeParams,
    pub(crate) bootstrap: bool,
}

/// scikit-learn's `max_features`: how many features a split looks at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxFeatures {
    /// `None` (every feature).
    All,
    /// `sqrt`: the square root of the feature count.
    Sqrt,
    /// `log2`: the base-2 logarithm of the feature count.
    Log2,
    /// A number of features.
    Count(u64),
    /// A share of the features, in (0, 1].
    Share(f64),
}

/// k-nearest neighbours: `n_neighbors`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KnnParams {
    pub(crate) n_neighbors: u64,
}

/// Gaussian naive Bayes: `var_smoothing`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NaiveBayesParams {
    pub(crate) var_smoothing: f64,
}

impl ModelParams {
    /// Every hyperparameter of `kind` for `task` at its default, with `given` (name, text) applied
    /// over them. An unknown name or a value out of range is an error naming the parameter, the value
    /// and what was expected.
    pub fn resolve(kind: ModelKind, task: &Task, given: &[(String, String)]) -> Result<Self, TabmlError> {
        let specs = kind.params(task);
        for (name, _) in given {
            if !specs.iter().any(|s| s.name == name) {
                let known: Vec<&str> = specs.iter().map(|s| s.name).collect();
                return Err(TabmlError::UnknownParam {
                    model: kind.name(),
                    name: name.clone(),
                    known: if known.is_empty() { "none".into() } else { known.join(", ") },
                });
            }
        }
        let mut values = Vec::with_capacity(specs.len());
        for spec in specs {
            let text =
                given.iter().rev().find(|(n, _)| n == spec.name).map_or(spec.default, |(_, v)| v.as_str());
            let value = spec.kind.parse(text).map_err(|expected| TabmlError::BadParam {
                model: kind.name(),
                name: spec.name.to_owned(),
                value: text.to_owned(),
                expected,
            })?;
            values.push(value);
        }
        // Every value has passed its table entry's check, so only a table that disagrees with the
        // fields below lands here; a test resolves every family's defaults and grid values.
        Self::from_checked(kind, &values).ok_or_else(|| TabmlError::Fit {
            model: kind.label(),
            message: "its hyperparameter table does not match its parameters (a bug in tabml)".into(),
        })
    }

    /// The typed parameters of `kind` from its values, checked and in its table's order.
    fn from_checked(kind: ModelKind, values: &[ParamValue]) -> Option<Self> {
        use ParamValue::{Bool, Float, Int, Text};
        Some(match (kind, values) {
            (ModelKind::Dummy, [Text(strategy)]) => ModelParams::Dummy(DummyStrategy::named(strategy)?),
            (ModelKind::LogisticRegression, [Float(c), Int(max_iter), Float(tol)]) => {
                ModelParams::LogisticRegression(LogRegParams {
                    c: *c,
                    max_iter: as_count(max_iter)?,
                    tol: *tol,
                })
            }
            (ModelKind::LinearRegression, []) => ModelParams::LinearRegression,
            (ModelKind::Ridge, [Float(alpha)]) => ModelParams::Ridge(RidgeParams { alpha: *alpha }),
            (ModelKind::Lasso, [Float(alpha), Int(max_iter), Float(tol)]) => {
                ModelParams::Lasso(LassoParams { alpha: *alpha, max_iter: as_count(max_iter)?, tol: *tol })
            }
            (ModelKind::ElasticNet, [Float(alpha), Float(l1_ratio), Int(max_iter), Float(tol)]) => {
                ModelParams::ElasticNet(ElasticNetParams {
                    alpha: *alpha,
                    l1_ratio: *l1_ratio,
                    max_iter: as_count(max_iter)?,
                    tol: *tol,
                })
            }
            (ModelKind::DecisionTree, tree) => ModelParams::DecisionTree(TreeParams::from_checked(tree)?),
            (ModelKind::RandomForest, [Int(n_estimators), tree @ .., Bool(bootstrap)]) => {
                ModelParams::RandomForest(ForestParams {
                    n_estimators: as_count(n_estimators)?,
                    tree: TreeParams::from_checked(tree)?,
                    bootstrap: *bootstrap,
                })
            }
            (ModelKind::KNearestNeighbours, [Int(k)]) => {
                ModelParams::KNearestNeighbours(KnnParams { n_neighbors: as_count(k)? })
            }
            (ModelKind::GaussianNaiveBayes, [Float(v)]) => {
                ModelParams::GaussianNaiveBayes(NaiveBayesParams { var_smoothing: *v })
            }
            _ => return None,
        })
    }

    /// The family these parameters belong to.
    pub fn kind(&self) -> ModelKind {
        match self {
            ModelParams::Dummy(_) => ModelKind::Dummy,
            ModelParams::LogisticRegression(_) => ModelKind::LogisticRegression,
            ModelParams::LinearRegression => ModelKind::LinearRegression,
            ModelParams::Ridge(_) => ModelKind::Ridge,
            ModelParams::Lasso(_) => ModelKind::Lasso,
            ModelParams::ElasticNet(_) => ModelKind::ElasticNet,
            ModelParams::DecisionTree(_) => ModelKind::DecisionTree,
            ModelParams::RandomForest(_) => ModelKind::RandomForest,
            ModelParams::KNearestNeighbours(_) => ModelKind::KNearestNeighbours,
            ModelParams::GaussianNaiveBayes(_) => ModelKind::GaussianNaiveBayes,
        }
    }

    /// Every hyperparameter by name, in the family's order, as a bundle and a run keep them.
    pub fn record(&self) -> Params {
        use ParamValue::{Bool, Float};
        let values: Vec<(&str, ParamValue)> = match self {
            ModelParams::Dummy(strategy) => vec![("strategy", ParamValue::Text(strategy.name().to_owned()))],
            ModelParams::LogisticRegression(p) => {
                vec![("C", Float(p.c)), ("max_iter", whole(p.max_iter)), ("tol", Float(p.tol))]
            }
            ModelParams::LinearRegression => Vec::new(),
            ModelParams::Ridge(p) => vec![("alpha", Float(p.alpha))],
            ModelParams::Lasso(p) => {
                vec![("alpha", Float(p.alpha)), ("max_iter", whole(p.max_iter)), ("tol", Float(p.tol))]
            }
            ModelParams::ElasticNet(p) => vec![
                ("alpha", Float(p.alpha)),
                ("l1_ratio", Float(p.l1_ratio)),
                ("max_iter", whole(p.max_iter)),
                ("tol", Float(p.tol)),
            ],
            ModelParams::DecisionTree(p) => p.record().into(),
            ModelParams::RandomForest(p) => {
                let mut values = vec![("n_estimators", whole(p.n_estimators))];
                values.extend(p.tree.record());
                values.push(("bootstrap", Bool(p.bootstrap)));
                values
            }
            ModelParams::KNearestNeighbours(p) => vec![("n_neighbors", whole(p.n_neighbors))],
            ModelParams::GaussianNaiveBayes(p) => vec![("var_smoothing", Float(p.var_smoothing))],
        };
        Params { values: values.into_iter().map(|(n, v)| (n.to_owned(), v)).collect() }
    }
}

/// A checked whole number of at least 1 (every count's table entry says so).
fn as_count(value: &i64) -> Option<u64> {
    u64::try_from(*value).ok()
}

/// A count as the record keeps it.
fn whole(value: u64) -> ParamValue {
    ParamValue::Int(i64::try_from(value).unwrap_or(i64::MAX))
}

impl DummyStrategy {
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "prior" => DummyStrategy::Prior,
            "most_frequent" => DummyStrategy::MostFrequent,
            "mean" => DummyStrategy::Mean,
            "median" => DummyStrategy::Median,
            _ => return None,
        })
    }

    /// scikit-learn's name for it.
    pub fn name(self) -> &'static str {
        match self {
            DummyStrategy::Prior => "prior",
            DummyStrategy::MostFrequent => "most_frequent",
            DummyStrategy::Mean => "mean",
            DummyStrategy::Median => "median",
        }
    }
}

impl TreeParams {
    fn from_checked(values: &[ParamValue]) -> Option<Self> {
        let [max_depth, ParamValue::Int(split), ParamValue::Int(leaf), max_features] = values else {
            return None;
        };
        Some(TreeParams {
            max_depth: match max_depth {
                ParamValue::Int(depth) => Some(as_count(depth)?),
                ParamValue::None => None,
                _ => return None,
            },
            min_samples_split: as_count(split)?,
            min_samples_leaf: as_count(leaf)?,
            max_features: MaxFeatures::from_checked(max_features)?,
        })
    }

    fn record(&self) -> [(&'static str, ParamValue); 4] {
        [
            ("max_depth", self.max_depth.map_or(ParamValue::None, whole)),
            ("min_samples_split", whole(self.min_samples_split)),
            ("min_samples_leaf", whole(self.min_samples_leaf)),
            ("max_features", self.max_features.record()),
        ]
    }
}

impl MaxFeatures {
    fn from_checked(value: &ParamValue) -> Option<Self> {
        Some(match value {
            ParamValue::None => MaxFeatures::All,
            ParamValue::Text(t) if t == "sqrt" => MaxFeatures::Sqrt,
            ParamValue::Text(t) if t == "log2" => MaxFeatures::Log2,
            ParamValue::Int(v) => MaxFeatures::Count(as_count(v)?),
            ParamValue::Float(share) => MaxFeatures::Share(*share),
            _ => return None,
        })
    }

    fn record(self) -> ParamValue {
        match self {
            MaxFeatures::All => ParamValue::None,
            MaxFeatures::Sqrt => ParamValue::Text("sqrt".to_owned()),
            MaxFeatures::Log2 => ParamValue::Text("log2".to_owned()),
            MaxFeatures::Count(v) => whole(v),
            MaxFeatures::Share(share) => ParamValue::Float(share),
        }
    }

    /// The number of features tried per split for `n_features` features (at least 1).
    pub(crate) fn per_split(self, n_features: usize) -> usize {
        let n = n_features as f64;
        let count = match self {
            MaxFeatures::Sqrt => n.sqrt().floor(),
            MaxFeatures::Log2 => crate::math::log2(n).floor(),
            MaxFeatures::Count(v) => v as f64,
            MaxFeatures::Share(share) => (share * n).floor(),
            MaxFeatures::All => n,
        };
        (count as usize).clamp(1, n_features.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn binary() -> Task {
        Task::Classification { classes: vec!["a".into(), "b".into()] }
    }

    #[test]
    fn defaults_follow_scikit_learn() {
        let p = ModelParams::resolve(ModelKind::RandomForest, &binary(), &[]).unwrap();
        assert_eq!(
            p.record().describe(),
            "n_estimators=100, max_depth=None, min_samples_split=2, min_samples_leaf=1, max_features=sqrt, bootstrap=true"
        );
        let ModelParams::RandomForest(forest) = p else { panic!("{p:?}") };
        assert_eq!(forest.tree.max_features.per_split(20), 4);
        let p = ModelParams::resolve(ModelKind::RandomForest, &Task::Regression, &[]).unwrap();
        let ModelParams::RandomForest(forest) = p else { panic!("{p:?}") };
        assert_eq!(forest.tree.max_features.per_split(20), 20);
        let p = ModelParams::resolve(ModelKind::LogisticRegression, &binary(), &[]).unwrap();
        let ModelParams::LogisticRegression(p) = p else { panic!("{p:?}") };
        assert_eq!((p.c, p.max_iter, p.tol), (1.0, 100, 1e-4));
    }

    #[test]
    fn given_values_override_and_are_checked() {
        let given = |n: &str, v: &str| vec![(n.to_owned(), v.to_owned())];
        let p = ModelParams::resolve(ModelKind::DecisionTree, &binary(), &given("max_depth", "4")).unwrap();
        let ModelParams::DecisionTree(tree) = p else { panic!("{p:?}") };
        assert_eq!(tree.max_depth, Some(4));
        assert_eq!(
            ModelParams::resolve(ModelKind::LogisticRegression, &binary(), &given("C", "-1"))
                .unwrap_err()
                .to_string(),
            "logreg: C=-1 is not valid: expected a number greater than 0"
        );
        assert_eq!(
            ModelParams::resolve(ModelKind::LogisticRegression, &binary(), &given("alpha", "1"))
                .unwrap_err()
                .to_string(),
            "logreg has no hyperparameter \"alpha\"; it has: C, max_iter, tol"
        );
        assert_eq!(
            ModelParams::resolve(ModelKind::RandomForest, &binary(), &given("max_features", "1.5"))
                .unwrap_err()
                .to_string(),
            "forest: max_features=1.5 is not valid: expected sqrt, log2, None, a whole number ≥ 1 or a share in (0, 1]"
        );
        assert!(ModelParams::resolve(ModelKind::ElasticNet, &Task::Regression, &given("l1_ratio", "1.01"))
            .is_err());
        assert!(ModelParams::resolve(ModelKind::KNearestNeighbours, &binary(), &given("n_neighbors", "2.5"))
            .is_err());
    }

    /// The record is what bundles and runs have always held: every name of the table, in its order,
    /// with the value its table entry parses from the text. So bundles encode to the same bytes.
    #[test]
    fn the_record_is_the_table_parsed() {
        let texts = |spec: &ParamSpec| {
            let mut texts = vec![spec.default, "1", "2", "0.5", "1.0", "-0", "None", "false", "1e300"];
            texts.extend(spec.grid);
            if let Some(Space::Choice(choices)) = spec.space {
                texts.extend(choices);
            }
            if let ParamKind::Choice(choices) = spec.kind {
                texts.extend(choices);
            }
            texts
        };
        let mut checked = 0;
        for kind in ModelKind::ALL {
            for task in [binary(), Task::Regression] {
                let specs = kind.params(&task);
                let defaults = ModelParams::resolve(kind, &task, &[]).unwrap();
                assert_eq!(defaults.kind(), kind);
                let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
                let recorded: Vec<String> = defaults.record().values.into_iter().map(|(n, _)| n).collect();
                assert_eq!(recorded, names, "{}", kind.name());
                for spec in specs {
                    for text in texts(spec) {
                        let Ok(value) = spec.kind.parse(text) else { continue };
                        let given = [(spec.name.to_owned(), text.to_owned())];
                        let record = ModelParams::resolve(kind, &task, &given).unwrap().record();
                        let expected: Vec<(String, ParamValue)> = specs
                            .iter()
                            .map(|s| {
                                let v = if s.name == spec.name {
                                    value.clone()
                                } else {
                                    s.kind.parse(s.default).unwrap()
                                };
                                (s.name.to_owned(), v)
                            })
                            .collect();
                        // Bytes, not ==: -0 and 0 are equal floats but not the same bundle.
                        assert_eq!(
                            postcard::to_allocvec(&record).unwrap(),
                            postcard::to_allocvec(&Params { values: expected }).unwrap(),
                            "{} {}={text}",
                            kind.name(),
                            spec.name
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }
}
