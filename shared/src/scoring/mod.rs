//! Scoring a batch row by row, the same for `tabml score` and for the app's worker: each input row
//! gets its prediction or the reason it got none, in the input's order.
//!
//! [`ModelBundle::score_batch`] needs every input column of the model (without one, nothing can be
//! scored). It reads each cell as the kind its column had in training (a number, a boolean, a date;
//! any text is a category), whatever kind the batch's own column was inferred as, so one `abc` among
//! numbers spoils its own row only. A cell that cannot be read is a [`RowProblem`] naming its line,
//! column and value; so is an output that is not a finite number. The other rows are scored. None of
//! these is a problem: a missing cell (the preparation imputes it), a category never seen in training
//! (it encodes as no known category), an infinity where a number belongs (missing, as it is in a
//! column of numbers). So what a row gets never depends on the other rows of the batch.
//!
//! [`ModelBundle::score`] is the all-or-nothing reading (evaluation, drift): it refuses the table at
//! the first number or boolean this module would list, but still takes an unreadable date as missing.
//!
//! A hostile file cannot make the problems outgrow it: [`ScoredBatch::problems`] keeps the first
//! [`MAX_LISTED_PROBLEMS`] (values cut to 100 characters), [`ScoredBatch::problem_count`] counts them
//! all, and a row's error text is read again from the table when it is written.
//!
//! `output.rs` writes a batch out: the predictions as CSV ([`ScoredBatch::to_csv`]) and monitoring
//! events ([`ScoredBatch::events`]: a prediction or an error per row, then a profile of the scored
//! rows), with [`prediction_id`]s, and [`drift_event`], a batch's drift against training; `labels.rs` reads a file of `prediction_id,label` into label events. Nothing here reads a clock or draws a random number: the caller
//! passes the time and the run's id.

mod labels;
mod output;
#[cfg(test)]
mod tests;

pub use labels::{label_event, read_labels, LabelRow, LabelRows};
pub use output::{drift_event, EventContext};

use crate::bundle::ModelBundle;
use crate::error::{SchemaError, TabmlError};
use crate::evaluation::Predictions;
use crate::table::{is_infinity, parse_bool, Column, ColumnKind, Table};
use crate::Task;
use serde::{Deserialize, Serialize};

/// The most problems a [`ScoredBatch`] lists (it counts them all).
pub const MAX_LISTED_PROBLEMS: usize = 1_000;

/// The most characters of a cell a message or an event quotes.
const MAX_VALUE_CHARS: usize = 100;

/// The id of the prediction for row `row` (from 0) of run `run` with model version `version`:
/// `v<version>-<run>-<row from 1>`, so that a labels file names its version in each id.
pub fn prediction_id(version: u32, run: &str, row: usize) -> String {
    format!("v{version}-{run}-{}", row + 1)
}

/// The model version a [`prediction_id`] names, if it is one.
pub fn prediction_version(id: &str) -> Option<u32> {
    id.strip_prefix('v')?.split('-').next()?.parse().ok()
}

/// Why one row got no prediction: a cell that cannot be read as its column's kind in training, or
/// an output that is not a finite number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// The row, from 0.
    pub row: usize,
    /// Its line in the file, as an editor numbers it.
    pub line: u64,
    /// The input column, or for an output the predictions file's column (`prediction`, `proba_<class>`).
    pub column: String,
    /// The cell's text (at most 100 characters, then `…`), or the output (`NaN`).
    pub value: String,
    /// All of it in a sentence: `line 7, column "x": "abc" is not a number, but …`.
    pub message: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What became of one input row.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A classifier's prediction: the class (its index in the task's classes) and the probability
    /// of each class.
    Class {
        /// The most probable class (the first of ties).
        label: usize,
        /// One per class.
        probabilities: Vec<f64>,
    },
    /// A regressor's prediction.
    Value(f64),
    /// Not scored: a cell cannot be read as its column's kind in training.
    Unreadable,
    /// Not scored: an output is not a finite number.
    NotFinite {
        /// The class whose probability it is; `None` for a regressor's value.
        class: Option<usize>,
        /// The output.
        value: f64,
    },
}

impl Outcome {
    /// Whether the row got a prediction.
    pub fn is_scored(&self) -> bool {
        matches!(self, Outcome::Class { .. } | Outcome::Value(_))
    }
}

/// The outcome of every row of a batch, from [`ModelBundle::score_batch`], with what writing it out
/// needs of the model (its task, its inputs, its training profile's kinds).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredBatch {
    task: Task,
    /// The model's input columns and their kinds in training.
    inputs: Vec<(String, ColumnKind)>,
    /// The training profile's columns and whether each holds numbers.
    reference: Vec<(String, bool)>,
    outcomes: Vec<Outcome>,
    /// The first problems, in row order (and column order within a row).
    problems: Vec<RowProblem>,
    problem_count: usize,
}

impl ModelBundle {
    /// Scores each row of `table` that can be read as the model's training data, and says of every
    /// other row why not (see the module's doc). Fails only when an input column is missing.
    pub fn score_batch(&self, table: &Table) -> Result<ScoredBatch, TabmlError> {
        let columns = self.prep.input_columns(table)?;
        let inputs: Vec<(String, ColumnKind)> =
            self.prep.inputs.iter().map(|i| (i.column.clone(), i.encoding.kind())).collect();
        let mut outcomes = vec![Outcome::Unreadable; table.n_rows];
        let (mut cell_problems, mut count) = (Vec::new(), 0);
        let mut readable = Vec::with_capacity(table.n_rows);
        for row in 0..table.n_rows {
            let before = count;
            for (column, (_, kind)) in columns.iter().zip(&inputs) {
                if !fits(*kind, column, row) {
                    count += 1;
                    if cell_problems.len() < MAX_LISTED_PROBLEMS {
                        cell_problems.push(cell_problem(*kind, table, column, row));
                    }
                }
            }
            if count == before {
                readable.push(row);
            }
        }
        let x = self.prep.transform_matrix(table, &readable);
        let scored: Vec<Outcome> = match Predictions::of(&self.estimator, &x, &self.task) {
            Predictions::Proba(proba) => proba.into_iter().map(class_outcome).collect(),
            Predictions::Values(values) => values
                .into_iter()
                .map(|v| {
                    if v.is_finite() {
                        Outcome::Value(v)
                    } else {
                        Outcome::NotFinite { class: None, value: v }
                    }
                })
                .collect(),
        };
        let mut output_problems = Vec::new();
        for (row, outcome) in readable.into_iter().zip(scored) {
            if let Outcome::NotFinite { class, value } = outcome {
                count += 1;
                if output_problems.len() < MAX_LISTED_PROBLEMS {
                    output_problems.push(output_problem(&self.task, table, row, class, value));
                }
            }
            outcomes[row] = outcome;
        }
        Ok(ScoredBatch {
            task: self.task.clone(),
            inputs,
            reference: self.profile.columns.iter().map(|c| (c.name.clone(), c.numbers.is_some())).collect(),
            outcomes,
            problems: merge_by_row(cell_problems, output_problems),
            problem_count: count,
        })
    }
}

/// A classifier's outcome from its probabilities: the first that is not a finite number spoils it.
fn class_outcome(probabilities: Vec<f64>) -> Outcome {
    match probabilities.iter().position(|p| !p.is_finite()) {
        Some(k) => Outcome::NotFinite { class: Some(k), value: probabilities[k] },
        None => Outcome::Class { label: crate::models::argmax(&probabilities), probabilities },
    }
}

/// Both lists (each in row order, each at most the cap) as one in row order, cut to the cap.
fn merge_by_row(cells: Vec<RowProblem>, outputs: Vec<RowProblem>) -> Vec<RowProblem> {
    let mut all: Vec<RowProblem> = cells.into_iter().chain(outputs).collect();
    // Stable: a row's cell problems keep their column order.
    all.sort_by_key(|p| p.row);
    all.truncate(MAX_LISTED_PROBLEMS);
    all
}

/// Whether the cell at `row` of `column` reads as `kind`, the column's kind in training: missing
/// cells do, and so does an infinity where a number belongs (missing, as in a column of numbers).
pub(crate) fn fits(kind: ColumnKind, column: &Column, row: usize) -> bool {
    if column.is_missing(row) {
        return true;
    }
    // A column of numbers answers without spelling out its cells' texts.
    if kind == ColumnKind::Numeric && column.number(row).is_some() {
        return true;
    }
    let Some(cell) = column.cell(row) else { return true };
    match kind {
        ColumnKind::Numeric => is_infinity(cell.as_bytes()),
        ColumnKind::Boolean => parse_bool(cell).is_some(),
        ColumnKind::Datetime => crate::dates::is_datetime(cell),
        ColumnKind::Categorical | ColumnKind::Text => true,
    }
}

/// The error naming the cell at `row` of `column`, which does not read as `kind` ([`fits`]).
pub(crate) fn unreadable(kind: ColumnKind, table: &Table, column: &Column, row: usize) -> SchemaError {
    let (line, name) = (table.line_of(row), column.name.clone());
    let value = shorten(&column.text(row).unwrap_or_default());
    match kind {
        ColumnKind::Boolean => SchemaError::NotABoolean { line, column: name, value },
        ColumnKind::Datetime => SchemaError::NotADate { line, column: name, value },
        _ => SchemaError::NotANumber { line, column: name, value },
    }
}

fn cell_problem(kind: ColumnKind, table: &Table, column: &Column, row: usize) -> RowProblem {
    RowProblem {
        row,
        line: table.line_of(row),
        column: column.name.clone(),
        value: shorten(&column.text(row).unwrap_or_default()),
        message: unreadable(kind, table, column, row).to_string(),
    }
}

/// The problem of an output that is not a finite number: `class`'s probability, or the value.
fn output_problem(task: &Task, table: &Table, row: usize, class: Option<usize>, value: f64) -> RowProblem {
    let line = table.line_of(row);
    let (column, output) = match (task, class) {
        (Task::Classification { classes }, Some(k)) => {
            let name = classes.get(k).map_or("?", String::as_str);
            (format!("proba_{name}"), format!("probability of {name:?}"))
        }
        _ => ("prediction".to_owned(), "prediction".to_owned()),
    };
    RowProblem { row, line, column, value: value.to_string(), message: not_finite_message(line, &output) }
}

fn not_finite_message(line: u64, output: &str) -> String {
    format!(
        "line {line}: the model's {output} is not a finite number (are the row's values far beyond the \
         training data's?)"
    )
}

/// `text` cut to its first 100 characters, with `…` when cut.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_VALUE_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

impl ScoredBatch {
    /// The number of input rows.
    pub fn len(&self) -> usize {
        self.outcomes.len()
    }

    /// Whether the batch had no rows.
    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
    }

    /// What became of each row, in input order.
    pub fn outcomes(&self) -> &[Outcome] {
        &self.outcomes
    }

    /// The task the model was trained for (its classes, for a classifier).
    pub fn task(&self) -> &Task {
        &self.task
    }

    /// How many rows got a prediction.
    pub fn scored(&self) -> usize {
        self.outcomes.iter().filter(|o| o.is_scored()).count()
    }

    /// How many rows got none.
    pub fn unscored(&self) -> usize {
        self.len() - self.scored()
    }

    /// The first [`MAX_LISTED_PROBLEMS`] problems, in row order.
    pub fn problems(&self) -> &[RowProblem] {
        &self.problems
    }

    /// How many problems there are in all (a row may have several unreadable cells).
    pub fn problem_count(&self) -> usize {
        self.problem_count
    }

    /// The rows that got a prediction, and their predictions in the same order (for drift checks
    /// and profiles of what was scored).
    pub fn predictions(&self) -> (Vec<usize>, Predictions) {
        let mut rows = Vec::new();
        let (mut proba, mut values) = (Vec::new(), Vec::new());
        for (row, outcome) in self.outcomes.iter().enumerate() {
            match outcome {
                Outcome::Class { probabilities, .. } => proba.push(probabilities.clone()),
                Outcome::Value(v) => values.push(*v),
                Outcome::Unreadable | Outcome::NotFinite { .. } => continue,
            }
            rows.push(row);
        }
        let predictions = match self.task {
            Task::Classification { .. } => Predictions::Proba(proba),
            Task::Regression => Predictions::Values(values),
        };
        (rows, predictions)
    }

    /// The classes of a classifier; none for a regressor.
    fn classes(&self) -> &[String] {
        match &self.task {
            Task::Classification { classes } => classes,
            Task::Regression => &[],
        }
    }
}
