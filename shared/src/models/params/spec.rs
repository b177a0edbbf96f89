//! The hyperparameter tables: each family's names, scikit-learn's defaults, the values each takes
//! and where a search looks, and the parsing of a value from its text.

use super::ParamValue;
use crate::models::ModelKind;
use crate::Task;

/// What values a hyperparameter takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamKind {
    /// A real number in a range; `open_min` excludes the lower bound.
    Float { min: f64, max: f64, open_min: bool },
    /// A whole number in `min..=max`.
    Int { min: i64, max: i64 },
    /// A whole number of at least `min`, or `None` for no limit.
    OptionalInt { min: i64 },
    /// `true` or `false`.
    Bool,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// scikit-learn's `max_features`: `sqrt`, `log2`, `None` (all), a whole number of features, or a
    /// share of them in (0, 1].
    MaxFeatures,
}

/// Where a search looks for a hyperparameter's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Space {
    /// Uniform on a log scale between two positive bounds.
    LogFloat(f64, f64),
    /// Uniform between two bounds.
    Float(f64, f64),
    /// Uniform whole numbers in `lo..=hi`.
    Int(i64, i64),
    /// Whole numbers uniform on a log scale in `lo..=hi`.
    LogInt(i64, i64),
    /// One of these values (as text, parsed like a command-line value).
    Choice(&'static [&'static str]),
}

/// One hyperparameter of one model family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamSpec {
    /// scikit-learn's name.
    pub name: &'static str,
    /// The values it takes.
    pub kind: ParamKind,
    /// The default, written as on the command line.
    pub default: &'static str,
    /// One line for a learner.
    pub help: &'static str,
    /// The values a grid search tries (empty: not searched).
    pub grid: &'static [&'static str],
    /// Where random and model-based search look (`None`: not searched).
    pub space: Option<Space>,
}

const fn spec(
    name: &'static str,
    kind: ParamKind,
    default: &'static str,
    help: &'static str,
    grid: &'static [&'static str],
    space: Option<Space>,
) -> ParamSpec {
    ParamSpec { name, kind, default, help, grid, space }
}

const POSITIVE: ParamKind = ParamKind::Float { min: 0.0, max: f64::INFINITY, open_min: true };
const NON_NEGATIVE: ParamKind = ParamKind::Float { min: 0.0, max: f64::INFINITY, open_min: false };
const MAX_DEPTH: ParamSpec = spec(
    "max_depth",
    ParamKind::OptionalInt { min: 1 },
    "None",
    "The most questions from the root to a leaf; None grows until leaves are pure.",
    &["3", "5", "8", "12", "None"],
    Some(Space::Int(1, 20)),
);
const MIN_SAMPLES_SPLIT: ParamSpec = spec(
    "min_samples_split",
    ParamKind::Int { min: 2, max: i64::MAX },
    "2",
    "A node with fewer training rows than this becomes a leaf.",
    &[],
    Some(Space::LogInt(2, 40)),
);
const MIN_SAMPLES_LEAF: ParamSpec = spec(
    "min_samples_leaf",
    ParamKind::Int { min: 1, max: i64::MAX },
    "1",
    "Every leaf keeps at least this many training rows; larger values smooth the model.",
    &["1", "2", "5", "10", "20"],
    Some(Space::LogInt(1, 50)),
);
const TOL_LINEAR: ParamSpec =
    spec("tol", POSITIVE, "1e-4", "Stop when the duality gap is this small (relative).", &[], None);
const MAX_ITER_CD: ParamSpec = spec(
    "max_iter",
    ParamKind::Int { min: 1, max: 1_000_000 },
    "1000",
    "The most coordinate-descent passes.",
    &[],
    None,
);
const PENALTY_ALPHA: ParamSpec = spec(
    "alpha",
    POSITIVE,
    "1.0",
    "Penalty strength: larger alpha gives smaller weights.",
    &["0.001", "0.01", "0.1", "1", "10"],
    Some(Space::LogFloat(1e-4, 100.0)),
);

static DUMMY_CLASSIFIER: [ParamSpec; 1] = [spec(
    "strategy",
    ParamKind::Choice(&["prior", "most_frequent"]),
    "prior",
    "prior: the training class shares; most_frequent: certainty in the commonest class.",
    &[],
    None,
)];
static DUMMY_REGRESSOR: [ParamSpec; 1] = [spec(
    "strategy",
    ParamKind::Choice(&["mean", "median"]),
    "mean",
    "Predict the training mean or median.",
    &[],
    None,
)];
static LOGREG: [ParamSpec; 3] = [
    spec(
        "C",
        POSITIVE,
        "1.0",
        "Inverse regularisation strength: smaller C keeps weights smaller.",
        &["0.01", "0.1", "1", "10", "100"],
        Some(Space::LogFloat(1e-3, 1e3)),
    ),
    spec(
        "max_iter",
        ParamKind::Int { min: 1, max: 1_000_000 },
        "100",
        "The most L-BFGS iterations.",
        &[],
        None,
    ),
    spec("tol", POSITIVE, "1e-4", "Stop when every gradient component is this small.", &[], None),
];
static RIDGE: [ParamSpec; 1] = [spec(
    "alpha",
    NON_NEGATIVE,
    "1.0",
    "Penalty strength: larger alpha gives smaller weights.",
    &["0.01", "0.1", "1", "10", "100"],
    Some(Space::LogFloat(1e-3, 1e3)),
)];
static LASSO: [ParamSpec; 3] = [PENALTY_ALPHA, MAX_ITER_CD, TOL_LINEAR];
static ELASTIC_NET: [ParamSpec; 4] = [
    PENALTY_ALPHA,
    spec(
        "l1_ratio",
        ParamKind::Float { min: 0.0, max: 1.0, open_min: false },
        "0.5",
        "The lasso share of the penalty: 1 is lasso, 0 is ridge.",
        &["0.1", "0.5", "0.9"],
        Some(Space::Float(0.0, 1.0)),
    ),
    MAX_ITER_CD,
    TOL_LINEAR,
];
static TREE: [ParamSpec; 4] = [
    MAX_DEPTH,
    MIN_SAMPLES_SPLIT,
    MIN_SAMPLES_LEAF,
    spec(
        "max_features",
        ParamKind::MaxFeatures,
        "None",
        "Features considered per split: None (all), sqrt, log2, a count or a share.",
        &[],
        None,
    ),
];
const N_ESTIMATORS: ParamSpec = spec(
    "n_estimators",
    ParamKind::Int { min: 1, max: 10_000 },
    "100",
    "How many trees to average; more is steadier and slower.",
    &["50", "100", "200"],
    Some(Space::LogInt(10, 300)),
);
const BOOTSTRAP: ParamSpec = spec(
    "bootstrap",
    ParamKind::Bool,
    "true",
    "Grow each tree on a resample of the rows drawn with replacement.",
    &[],
    None,
);
static FOREST_CLASSIFIER: [ParamSpec; 6] = [
    N_ESTIMATORS,
    MAX_DEPTH,
    MIN_SAMPLES_SPLIT,
    MIN_SAMPLES_LEAF,
    spec(
        "max_features",
        ParamKind::MaxFeatures,
        "sqrt",
        "Features considered per split: sqrt, log2, None (all), a count or a share.",
        &["sqrt", "0.5", "None"],
        Some(Space::Choice(&["sqrt", "log2", "0.5", "None"])),
    ),
    BOOTSTRAP,
];
static FOREST_REGRESSOR: [ParamSpec; 6] = [
    N_ESTIMATORS,
    MAX_DEPTH,
    MIN_SAMPLES_SPLIT,
    MIN_SAMPLES_LEAF,
    spec(
        "max_features",
        ParamKind::MaxFeatures,
        "1.0",
        "Features considered per split: 1.0 (all), sqrt, log2, a count or a share.",
        &["sqrt", "0.5", "1.0"],
        Some(Space::Choice(&["sqrt", "log2", "0.5", "1.0"])),
    ),
    BOOTSTRAP,
];
static KNN: [ParamSpec; 1] = [spec(
    "n_neighbors",
    ParamKind::Int { min: 1, max: 10_000 },
    "5",
    "How many of the nearest training rows vote.",
    &["1", "3", "5", "10", "20"],
    Some(Space::LogInt(1, 50)),
)];
static GNB: [ParamSpec; 1] = [spec(
    "var_smoothing",
    NON_NEGATIVE,
    "1e-9",
    "Share of the largest feature variance added to every variance, for stability.",
    &["1e-9", "1e-6", "1e-3", "1e-1"],
    Some(Space::LogFloat(1e-12, 1.0)),
)];

impl ModelKind {
    /// The hyperparameters of this kind for `task`, in a stable order.
    pub fn params(self, task: &Task) -> &'static [ParamSpec] {
        let classification = matches!(task, Task::Classification { .. });
        match self {
            ModelKind::Dummy if classification => &DUMMY_CLASSIFIER,
            ModelKind::Dummy => &DUMMY_REGRESSOR,
            ModelKind::LogisticRegression => &LOGREG,
            ModelKind::LinearRegression => &[],
            ModelKind::Ridge => &RIDGE,
            ModelKind::Lasso => &LASSO,
            ModelKind::ElasticNet => &ELASTIC_NET,
            ModelKind::DecisionTree => &TREE,
            ModelKind::RandomForest if classification => &FOREST_CLASSIFIER,
            ModelKind::RandomForest => &FOREST_REGRESSOR,
            ModelKind::KNearestNeighbours => &KNN,
            ModelKind::GaussianNaiveBayes => &GNB,
        }
    }
}

impl ParamKind {
    /// Parses `text` as a value of this kind, or says what was expected.
    pub fn parse(self, text: &str) -> Result<ParamValue, String> {
        let text = text.trim();
        let is_none = text.eq_ignore_ascii_case("none");
        match self {
            ParamKind::Float { min, max, open_min } => {
                let expected = || match (open_min, max.is_finite()) {
                    (true, false) => format!("a number greater than {min}"),
                    (false, false) => format!("a number of at least {min}"),
                    (true, true) => format!("a number in ({min}, {max}]"),
                    (false, true) => format!("a number in [{min}, {max}]"),
                };
                let v: f64 = text.parse().map_err(|_| expected())?;
                let low_ok = if open_min { v > min } else { v >= min };
                if !v.is_finite() || !low_ok || v > max {
                    return Err(expected());
                }
                Ok(ParamValue::Float(v))
            }
            ParamKind::Int { min, max } => {
                let expected = || {
                    if max == i64::MAX {
                        format!("a whole number of at least {min}")
                    } else {
                        format!("a whole number from {min} to {max}")
                    }
                };
                let v: i64 = text.parse().map_err(|_| expected())?;
                if v < min || v > max {
                    return Err(expected());
                }
                Ok(ParamValue::Int(v))
            }
            ParamKind::OptionalInt { min } => {
                if is_none {
                    return Ok(ParamValue::None);
                }
                let expected = || format!("None or a whole number of at least {min}");
                let v: i64 = text.parse().map_err(|_| expected())?;
                if v < min {
                    return Err(expected());
                }
                Ok(ParamValue::Int(v))
            }
            ParamKind::Bool => match text.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(ParamValue::Bool(true)),
                "false" | "0" | "no" => Ok(ParamValue::Bool(false)),
                _ => Err("true or false".into()),
            },
            ParamKind::Choice(choices) => choices
                .iter()
                .find(|c| **c == text)
                .map(|c| ParamValue::Text((*c).to_owned()))
                .ok_or_else(|| format!("one of {}", choices.join(", "))),
            ParamKind::MaxFeatures => {
                let expected = || "sqrt, log2, None, a whole number ≥ 1 or a share in (0, 1]".to_owned();
                if is_none {
                    Ok(ParamValue::None)
                } else if text == "sqrt" || text == "log2" {
                    Ok(ParamValue::Text(text.to_owned()))
                } else if let Ok(v) = text.parse::<i64>() {
                    if v >= 1 {
                        Ok(ParamValue::Int(v))
                    } else {
                        Err(expected())
                    }
                } else {
                    match text.parse::<f64>() {
                        Ok(v) if v > 0.0 && v <= 1.0 => Ok(ParamValue::Float(v)),
                        _ => Err(expected()),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::binary;
    use super::*;

    #[test]
    fn every_default_and_grid_value_parses() {
        for kind in ModelKind::ALL {
            for task in [binary(), Task::Regression] {
                for spec in kind.params(&task) {
                    assert!(spec.kind.parse(spec.default).is_ok(), "{} {}", kind.name(), spec.name);
                    for v in spec.grid {
                        assert!(spec.kind.parse(v).is_ok(), "{} {} {v}", kind.name(), spec.name);
                    }
                    if let Some(Space::Choice(choices)) = spec.space {
                        assert!(choices.iter().all(|v| spec.kind.parse(v).is_ok()));
                    }
                }
            }
        }
    }
}
