//! Why one prediction came out as it did: how far each input column moved it.
//!
//! [`ModelBundle::explain_row`] answers the question a learner asks on the Score page: "which of my
//! inputs pushed this prediction, which way, and how far?". A classifier's explanation is about the
//! predicted class, a regressor's about the predicted number. There is one amount per input column
//! of the schema: the features a column became (a category's one-hot features, a date's parts) are
//! added back together. Every amount, `base` and `value` are on one scale, so the bars of a chart
//! compare. The model decides how the amounts are measured, the [`ContributionMethod`]:
//!
//! - **Linear terms** (linear, ridge, lasso and elastic net regression, logistic regression). The
//!   model's score is its intercept plus a weight times each prepared feature, so a column's amount
//!   is its features' terms; `base` is the intercept and `base + Σ amounts = value`. For logistic
//!   regression the score is the predicted class's decision function, not its probability: with two
//!   classes its log-odds, `ln(p / (1 − p))`; with more, its score before the softmax, which fitting
//!   leaves measured against the average class (a feature's weights sum to 0 over the classes, as do
//!   the intercepts), so another class that gains more can still take probability from it. Limits:
//!   an amount is measured from the prepared features' zero, which is the training mean of a number
//!   scaled the standard way, but its minimum with min-max scaling, 0 without scaling, and "no
//!   category" for a category; columns that move together share their weight in no meaningful way.
//! - **Decision paths** (classification trees and forests), the Saabas contributions of the
//!   `treeinterpreter` package. A node's value is the share of the explained class among the
//!   training rows that reached it (added up from the class counts of the leaves below it); each
//!   split on the row's way down credits its column with the change from the node to the child the
//!   row goes to; a forest averages its trees. `base` is the class's share at the roots (its share of
//!   the training rows, of each tree's resample in a forest), `value` its predicted probability, and
//!   `base + Σ amounts = value`. Limits: only the columns on the path get credit, and a split's
//!   credit depends on the splits above it, so of two columns that matter together one may take all.
//! - **Occlusion** (k-nearest neighbours, naive Bayes, regression trees and forests, the dummy
//!   baseline). A column's amount is the value for the row as it is minus the value with that one
//!   column set to a typical training value: a number to what the preparation fills a missing one
//!   with (the training mean unless another imputation was chosen), a true/false to the commoner
//!   one, a date to the training average of its parts (as a missing date), a category to the most
//!   frequent one. `base` is the value of the row with every column typical. Limits: the amounts do
//!   **not** add up to `value − base` (columns that act together are counted once each, or not at
//!   all), and a column already at its typical value gets 0. Regression trees keep only each leaf's
//!   mean, not how many training rows reached a node, so their paths cannot be valued.
//!
//! A column that is constant in training is set aside by the preparation: it is not in the schema
//! and gets no amount. A column the model does not use (a weight of 0, no split on it) gets exactly 0
//! from the additive methods.
//!
//! One row costs one pass over the weights; for trees, one pass over each tree's leaf counts and one
//! walk down it (for 100 trees grown on 4,000 rows, under 0.2 ms natively: less than
//! [`ModelBundle::score`] takes for the one row); for occlusion, at most one prediction per input
//! column and two more.

mod occlusion;
mod paths;
#[cfg(test)]
mod tests;

use crate::bundle::ModelBundle;
use crate::error::TabmlError;
use crate::models::{argmax, Estimator, Scratch};
use crate::table::Table;
use serde::{Deserialize, Serialize};

/// How the amounts of a [`RowExplanation`] were measured (the module docs say more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContributionMethod {
    /// Each weight times its prepared feature (linear and logistic models). Additive.
    LinearTerms,
    /// The change in the explained class's share at each split on the row's path through the trees.
    /// Additive.
    DecisionPaths,
    /// The change when the column alone is set to a typical training value. Not additive.
    Occlusion,
}

impl ContributionMethod {
    /// Whether `base` plus every amount gives `value`.
    pub fn is_additive(self) -> bool {
        matches!(self, ContributionMethod::LinearTerms | ContributionMethod::DecisionPaths)
    }

    /// One sentence for a learner on what an amount means.
    pub fn explanation(self) -> &'static str {
        match self {
            ContributionMethod::LinearTerms => "Each column adds its weight times its value to the score: the bars add up from the intercept to the prediction.",
            ContributionMethod::DecisionPaths => "Each question the trees ask on this row's way down moves the probability: the bars add up from the training share to the prediction.",
            ContributionMethod::Occlusion => "Each bar is how much the prediction changes when that column alone takes a typical training value; the bars need not add up.",
        }
    }
}

/// One input column's share in a prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// The input column.
    pub column: String,
    /// How far it moved the explained value (positive: up, towards the explained class).
    pub amount: f64,
}

/// Why the model predicted what it did for one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowExplanation {
    /// How the amounts were measured.
    pub method: ContributionMethod,
    /// The class whose score is explained (the predicted one); `None` for regression.
    pub explained: Option<String>,
    /// What the model gives before any column counts (the intercept, the class's training share, the
    /// all-typical row's value), on the scale of `value`.
    pub base: f64,
    /// The explained value for this row: the decision function (linear terms), the predicted class's
    /// probability (decision paths and occlusion) or the predicted number.
    pub value: f64,
    /// One per input column of the schema, largest `|amount|` first (in schema order among equals).
    pub contributions: Vec<Contribution>,
}

impl ModelBundle {
    /// Explains the prediction for `row` of `table` (data rows count from 0), which must have the
    /// model's input columns; only that row is checked and read. Refuses a row past the end, and a
    /// row that does not fit the schema with the error [`ModelBundle::score`] gives.
    pub fn explain_row(&self, table: &Table, row: usize) -> Result<RowExplanation, TabmlError> {
        if row >= table.n_rows || table.columns.iter().any(|c| c.len() <= row) {
            return Err(TabmlError::NoSuchRow { row, rows: table.n_rows });
        }
        self.prep.check_rows(table, row..row + 1)?;
        let x = self.prep.transform(table, &[row]).pop().unwrap_or_default();
        let widths: Vec<usize> = self.prep.inputs.iter().map(|input| input.encoding.width()).collect();
        let classes = self.task.classes();
        let mut proba = vec![0.0; classes.len()];
        let class = (!classes.is_empty()).then(|| {
            self.estimator.proba_row(&x, &mut Scratch::default(), &mut proba);
            argmax(&proba)
        });
        let additive = match (&self.estimator, class) {
            (Estimator::Linear(m), None) => {
                let terms = m.coef.iter().zip(&x).map(|(w, v)| w * v).collect();
                Some((ContributionMethod::LinearTerms, m.intercept, m.predict_row(&x), terms))
            }
            (Estimator::Logistic(m), Some(c)) => {
                let (weights, intercept, sign) = m.weights_of(c, x.len());
                let terms = weights.iter().zip(&x).map(|(w, v)| sign * w * v).collect();
                Some((ContributionMethod::LinearTerms, sign * intercept, m.decision(&x, c), terms))
            }
            (Estimator::Trees(m), Some(c)) if m.n_classes == classes.len() => {
                let (base, terms) = paths::decision_paths(m, &x, c);
                Some((ContributionMethod::DecisionPaths, base, proba[c], terms))
            }
            _ => None,
        };
        let (method, base, value, amounts) = match additive {
            Some((method, base, value, terms)) => (method, base, value, by_column(&terms, &widths)),
            None => {
                let value = class.map(|c| proba[c]);
                let (base, value, amounts) = occlusion::occlusion(self, &x, class, value, &widths);
                (ContributionMethod::Occlusion, base, value, amounts)
            }
        };
        let mut contributions: Vec<Contribution> = self
            .prep
            .inputs
            .iter()
            .zip(amounts)
            .map(|(input, amount)| Contribution { column: input.column.clone(), amount })
            .collect();
        contributions.sort_by(|a, b| b.amount.abs().total_cmp(&a.amount.abs()));
        let explained = class.map(|c| classes[c].clone());
        Ok(RowExplanation { method, explained, base, value, contributions })
    }
}

/// Per-feature amounts added up per input column, `widths` giving each column's feature count.
fn by_column(terms: &[f64], widths: &[usize]) -> Vec<f64> {
    let mut start = 0;
    widths
        .iter()
        .map(|&width| {
            let end = (start + width).min(terms.len());
            let sum = terms[start.min(end)..end].iter().sum();
            start = end;
            sum
        })
        .collect()
}
