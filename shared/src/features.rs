//! Turning table columns into a numeric feature matrix, with everything learned from the training rows.
//!
//! Numbers are standardised (missing ones take the training mean), booleans become 0/1 (missing take
//! the most frequent value), categories are one-hot encoded with the categories seen in training (an
//! unseen category becomes all zeros). Dates and free text are set aside, each with the reason.

use crate::table::{ColumnKind, Table};
use serde::{Deserialize, Serialize};

/// How one column becomes one or more feature values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Encoding {
    /// `(x - mean) / std`; a missing value becomes 0 (the mean).
    Standardized { mean: f64, std: f64 },
    /// 1 for true, 0 for false; a missing value becomes `fill`.
    Boolean { fill: f64 },
    /// One 0/1 feature per category seen in training.
    OneHot { categories: Vec<String> },
}

/// One input column and its fitted encoding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureInput {
    /// The column name.
    pub column: String,
    /// How its values become features.
    pub encoding: Encoding,
}

/// A column left out of the features, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedColumn {
    /// The column name.
    pub column: String,
    /// A short reason a learner understands.
    pub reason: String,
}

/// The fitted preparation: which columns feed the model and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeaturePlan {
    /// Columns used as features, in table order.
    pub inputs: Vec<FeatureInput>,
    /// Columns set aside.
    pub skipped: Vec<SkippedColumn>,
}

impl FeaturePlan {
    /// Learns the encodings from `rows` of `table`, using every column except `target`.
    pub fn fit(table: &Table, target: &str, rows: &[usize]) -> Self {
        let mut inputs = Vec::new();
        let mut skipped = Vec::new();
        let mut skip = |column: &str, reason: &str| {
            skipped.push(SkippedColumn { column: column.to_owned(), reason: reason.to_owned() })
        };
        for column in table.columns.iter().filter(|c| c.name != target) {
            let encoding = match column.kind {
                ColumnKind::Numeric => {
                    let values: Vec<f64> = rows.iter().filter_map(|&r| column.number(r)).collect();
                    if values.is_empty() {
                        skip(&column.name, "no values in the training rows");
                        continue;
                    }
                    let n = values.len() as f64;
                    let mean = values.iter().sum::<f64>() / n;
                    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
                    if var == 0.0 {
                        skip(&column.name, "the same value in every training row");
                        continue;
                    }
                    Encoding::Standardized { mean, std: var.sqrt() }
                }
                ColumnKind::Boolean => {
                    let trues = rows.iter().filter(|&&r| column.boolean(r) == Some(true)).count();
                    let falses = rows.iter().filter(|&&r| column.boolean(r) == Some(false)).count();
                    if trues == 0 || falses == 0 {
                        skip(&column.name, "the same value in every training row");
                        continue;
                    }
                    Encoding::Boolean { fill: if trues > falses { 1.0 } else { 0.0 } }
                }
                ColumnKind::Categorical => {
                    let mut categories: Vec<String> =
                        rows.iter().filter_map(|&r| column.cells[r].clone()).collect();
                    categories.sort_unstable();
                    categories.dedup();
                    if categories.len() < 2 {
                        skip(&column.name, "the same value in every training row");
                        continue;
                    }
                    Encoding::OneHot { categories }
                }
                ColumnKind::Datetime => {
                    skip(&column.name, "dates are not used as features yet");
                    continue;
                }
                ColumnKind::Text => {
                    skip(&column.name, "free text or an identifier: almost every value is different");
                    continue;
                }
            };
            inputs.push(FeatureInput { column: column.name.clone(), encoding });
        }
        Self { inputs, skipped }
    }

    /// The names of the produced features (`column` or `column=category`).
    pub fn feature_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for input in &self.inputs {
            match &input.encoding {
                Encoding::OneHot { categories } => {
                    names.extend(categories.iter().map(|c| format!("{}={}", input.column, c)))
                }
                _ => names.push(input.column.clone()),
            }
        }
        names
    }

    /// The feature rows for `rows` of `table`. Columns are looked up by name, so `table` may be a
    /// different file with the same columns.
    pub fn transform(&self, table: &Table, rows: &[usize]) -> Vec<Vec<f64>> {
        let columns: Vec<_> = self.inputs.iter().map(|i| table.column(&i.column)).collect();
        rows.iter()
            .map(|&r| {
                let mut out = Vec::with_capacity(self.inputs.len());
                for (input, column) in self.inputs.iter().zip(&columns) {
                    let Some(column) = column else {
                        // A missing column scores as if every value were missing.
                        push_missing(&input.encoding, &mut out);
                        continue;
                    };
                    match &input.encoding {
                        Encoding::Standardized { mean, std } => {
                            out.push(column.number(r).map_or(0.0, |v| (v - mean) / std))
                        }
                        Encoding::Boolean { fill } => {
                            out.push(column.boolean(r).map_or(*fill, |b| f64::from(u8::from(b))))
                        }
                        Encoding::OneHot { categories } => {
                            let cell = column.cells[r].as_deref();
                            out.extend(
                                categories.iter().map(|c| f64::from(u8::from(Some(c.as_str()) == cell))),
                            )
                        }
                    }
                }
                out
            })
            .collect()
    }
}

fn push_missing(encoding: &Encoding, out: &mut Vec<f64>) {
    match encoding {
        Encoding::Standardized { .. } => out.push(0.0),
        Encoding::Boolean { fill } => out.push(*fill),
        Encoding::OneHot { categories } => out.extend(std::iter::repeat_n(0.0, categories.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_csv;

    #[test]
    fn encodes_from_training_rows_only() {
        let csv = b"x,flag,colour,id,y\n1,yes,red,a1,0\n3,no,blue,a2,1\n,yes,red,a3,0\n9,no,green,a4,1\n";
        let mut table = parse_csv(csv).unwrap();
        // Four rows are too few for inference to call three labels categorical; a learner would set it.
        table.columns[2].kind = ColumnKind::Categorical;
        let plan = FeaturePlan::fit(&table, "y", &[0, 1, 2]);
        assert_eq!(plan.feature_names(), ["x", "flag", "colour=blue", "colour=red"]);
        assert_eq!(plan.skipped.len(), 1);
        assert_eq!(plan.skipped[0].column, "id");
        let rows = plan.transform(&table, &[0, 2, 3]);
        // x: mean 2, std 1 over the training values 1 and 3.
        assert_eq!(rows[0], [-1.0, 1.0, 0.0, 1.0]);
        // A missing number takes the mean; the unseen category "green" is all zeros.
        assert_eq!(rows[1], [0.0, 1.0, 0.0, 1.0]);
        assert_eq!(rows[2], [7.0, 0.0, 0.0, 0.0]);
    }
}
