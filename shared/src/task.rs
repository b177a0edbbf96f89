//! What the target asks of a model, the foundation that training, validation, evaluation, the
//! bundle and the models build on: the [`Task`] read off the target column (labels, booleans and
//! integers with at most 10 values are classes, other numbers regression, unless a [`TaskKind`]
//! forces it), and the target's values for some rows as class indices or numbers.

use crate::error::TabmlError;
use crate::models::Target;
use crate::table::{parse_number, Column, ColumnKind};
use serde::{Deserialize, Serialize};

/// Classification or regression, without the classes: what `--task` forces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Predict a class.
    Classification,
    /// Predict a number.
    Regression,
}

/// What the target asks of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// Predict one of these labels (in a stable order: numeric labels by value, others alphabetically).
    Classification { classes: Vec<String> },
    /// Predict a number.
    Regression,
}

/// Whether a numeric column's numbers alone make it a regression target: one is not an integer,
/// or more than [`Task::MAX_INTEGER_CLASSES`] differ. Its cells' texts could only add classes
/// (`1` and `1.0` are two), so the answer is the one they would give, found without them.
fn surely_regression(column: &Column) -> bool {
    let mut seen: Vec<u64> = Vec::new();
    for row in 0..column.len() {
        let Some(value) = column.number(row) else { continue };
        if value.fract() != 0.0 {
            return true;
        }
        let bits = value.to_bits();
        if !seen.contains(&bits) {
            seen.push(bits);
            if seen.len() > Task::MAX_INTEGER_CLASSES {
                return true;
            }
        }
    }
    false
}

impl Task {
    /// The most distinct integer values a numeric target may have and still be treated as classes.
    pub const MAX_INTEGER_CLASSES: usize = 10;
    /// The most classes a classification target may have.
    pub const MAX_CLASSES: usize = 50;

    /// Reads the task off the target column: labels, booleans and integers with at most 10 distinct
    /// values are classification; other numbers are regression.
    pub fn for_target(column: &Column) -> Result<Task, TabmlError> {
        Self::for_target_as(column, None)
    }

    /// Like [`Task::for_target`], but `forced` overrides the inference: a numeric target can be read
    /// as classes, and a target that is not numeric cannot be regression.
    pub fn for_target_as(column: &Column, forced: Option<TaskKind>) -> Result<Task, TabmlError> {
        let empty = column.missing_count() == column.len();
        if forced == Some(TaskKind::Regression) {
            if column.kind != ColumnKind::Numeric {
                return Err(TabmlError::NotNumericTarget(column.name.clone()));
            }
            if empty {
                return Err(TabmlError::EmptyTarget(column.name.clone()));
            }
            return Ok(Task::Regression);
        }
        if forced.is_none() && !empty && column.kind == ColumnKind::Numeric && surely_regression(column) {
            return Ok(Task::Regression);
        }
        let counts = column.value_counts();
        if counts.is_empty() {
            return Err(TabmlError::EmptyTarget(column.name.clone()));
        }
        let mut classes: Vec<String> = counts.into_iter().map(|(value, _)| value).collect();
        if column.kind == ColumnKind::Numeric {
            let numbers: Vec<f64> = classes.iter().filter_map(|c| parse_number(c)).collect();
            let integers = numbers.iter().all(|v| v.fract() == 0.0);
            if forced.is_none() && (!integers || classes.len() > Self::MAX_INTEGER_CLASSES) {
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

    /// The classes, empty for regression.
    pub fn classes(&self) -> &[String] {
        match self {
            Task::Classification { classes } => classes,
            Task::Regression => &[],
        }
    }

    /// `"classification"` or `"regression"`.
    pub fn label(&self) -> &'static str {
        match self {
            Task::Classification { .. } => "classification",
            Task::Regression => "regression",
        }
    }
}

/// The target column read as class indices or numbers.
pub(crate) enum Labels<'a> {
    Classes { column: &'a Column, classes: &'a [String] },
    Values(&'a Column),
}

/// Target values for some rows, owned.
pub(crate) enum TargetValues {
    Classes(Vec<usize>, usize),
    Values(Vec<f64>),
}

impl TargetValues {
    pub(crate) fn as_target(&self) -> Target<'_> {
        match self {
            TargetValues::Classes(labels, n_classes) => Target::Classes { labels, n_classes: *n_classes },
            TargetValues::Values(values) => Target::Values(values),
        }
    }
}

impl<'a> Labels<'a> {
    pub(crate) fn read(column: &'a Column, task: &'a Task) -> Self {
        match task {
            Task::Classification { classes } => Labels::Classes { column, classes },
            Task::Regression => Labels::Values(column),
        }
    }

    pub(crate) fn present(&self, row: usize) -> bool {
        match self {
            Labels::Classes { column, .. } => column.cell(row).is_some(),
            Labels::Values(column) => column.number(row).is_some(),
        }
    }

    /// The class of a labelled row, if it is one of the known classes. Numeric labels compare by
    /// value, so `1` and `1.0` are one class.
    pub(crate) fn class_of(&self, row: usize) -> Option<usize> {
        let Labels::Classes { column, classes } = self else { return None };
        let cell = column.cell(row)?;
        classes.iter().position(|c| c == cell).or_else(|| {
            let value = parse_number(cell)?;
            classes.iter().position(|c| parse_number(c) == Some(value))
        })
    }

    pub(crate) fn strata(&self, rows: &[usize]) -> Vec<usize> {
        match self {
            Labels::Classes { .. } => rows.iter().map(|&r| self.class_of(r).unwrap_or(0)).collect(),
            Labels::Values(_) => vec![0; rows.len()],
        }
    }

    pub(crate) fn target_for(&self, rows: &[usize]) -> TargetValues {
        match self {
            Labels::Classes { classes, .. } => TargetValues::Classes(
                rows.iter().map(|&r| self.class_of(r).unwrap_or(0)).collect(),
                classes.len(),
            ),
            Labels::Values(column) => {
                TargetValues::Values(rows.iter().map(|&r| column.number(r).unwrap_or(f64::NAN)).collect())
            }
        }
    }
}
