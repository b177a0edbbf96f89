//! Hyperparameters: scikit-learn's names and defaults, checked before anything is fitted.

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

/// A full, checked set of hyperparameters for one model family, in the family's order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Params {
    /// `(name, value)` for every hyperparameter of the family.
    pub values: Vec<(String, ParamValue)>,
}

impl Params {
    /// Every hyperparameter of `kind` for `task` at its default, with `given` (name, text) applied
    /// over them. An unknown name or a value out of range is an error naming the parameter, the value
    /// and what was expected.
    pub fn resolve(kind: ModelKind, task: &Task, given: &[(String, String)]) -> Result<Params, TabmlError> {
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
            values.push((spec.name.to_owned(), value));
        }
        Ok(Params { values })
    }

    fn get(&self, name: &str) -> &ParamValue {
        self.values.iter().find(|(n, _)| n == name).map_or(&ParamValue::None, |(_, v)| v)
    }

    /// Every hyperparameter as `(name, value as text)`, in the model's order.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.values.iter().map(|(n, v)| (n.clone(), v.to_string())).collect()
    }

    /// `name = value` pairs, comma separated, for people.
    pub fn describe(&self) -> String {
        self.values.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join(", ")
    }

    pub(crate) fn float(&self, name: &str) -> f64 {
        match self.get(name) {
            ParamValue::Float(v) => *v,
            ParamValue::Int(v) => *v as f64,
            _ => f64::NAN,
        }
    }

    pub(crate) fn int(&self, name: &str) -> i64 {
        match self.get(name) {
            ParamValue::Int(v) => *v,
            _ => 0,
        }
    }

    pub(crate) fn optional_int(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            ParamValue::Int(v) => Some(*v),
            _ => None,
        }
    }

    pub(crate) fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), ParamValue::Bool(true))
    }

    pub(crate) fn text(&self, name: &str) -> &str {
        match self.get(name) {
            ParamValue::Text(v) => v,
            _ => "",
        }
    }

    /// The number of features tried per split for `n_features` features (at least 1).
    pub(crate) fn max_features(&self, n_features: usize) -> usize {
        let n = n_features as f64;
        let count = match self.get("max_features") {
            ParamValue::Text(t) if t == "sqrt" => n.sqrt().floor(),
            ParamValue::Text(t) if t == "log2" => crate::math::log2(n).floor(),
            ParamValue::Int(v) => *v as f64,
            ParamValue::Float(share) => (share * n).floor(),
            _ => n,
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
        let p = Params::resolve(ModelKind::RandomForest, &binary(), &[]).unwrap();
        assert_eq!(
            p.describe(),
            "n_estimators=100, max_depth=None, min_samples_split=2, min_samples_leaf=1, max_features=sqrt, bootstrap=true"
        );
        assert_eq!(p.max_features(20), 4);
        let p = Params::resolve(ModelKind::RandomForest, &Task::Regression, &[]).unwrap();
        assert_eq!(p.max_features(20), 20);
        let p = Params::resolve(ModelKind::LogisticRegression, &binary(), &[]).unwrap();
        assert_eq!((p.float("C"), p.int("max_iter"), p.float("tol")), (1.0, 100, 1e-4));
    }

    #[test]
    fn given_values_override_and_are_checked() {
        let given = |n: &str, v: &str| vec![(n.to_owned(), v.to_owned())];
        let p = Params::resolve(ModelKind::DecisionTree, &binary(), &given("max_depth", "4")).unwrap();
        assert_eq!(p.optional_int("max_depth"), Some(4));
        assert_eq!(
            Params::resolve(ModelKind::LogisticRegression, &binary(), &given("C", "-1"))
                .unwrap_err()
                .to_string(),
            "logreg: C=-1 is not valid: expected a number greater than 0"
        );
        assert_eq!(
            Params::resolve(ModelKind::LogisticRegression, &binary(), &given("alpha", "1"))
                .unwrap_err()
                .to_string(),
            "logreg has no hyperparameter \"alpha\"; it has: C, max_iter, tol"
        );
        assert_eq!(
            Params::resolve(ModelKind::RandomForest, &binary(), &given("max_features", "1.5"))
                .unwrap_err()
                .to_string(),
            "forest: max_features=1.5 is not valid: expected sqrt, log2, None, a whole number ≥ 1 or a share in (0, 1]"
        );
        assert!(
            Params::resolve(ModelKind::ElasticNet, &Task::Regression, &given("l1_ratio", "1.01")).is_err()
        );
        assert!(
            Params::resolve(ModelKind::KNearestNeighbours, &binary(), &given("n_neighbors", "2.5")).is_err()
        );
    }
}
