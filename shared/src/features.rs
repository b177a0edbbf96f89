//! Turning table columns into a numeric feature matrix, with everything learned from the training
//! rows only (so nothing about the test rows leaks into the model).
//!
//! By default numbers are standardised with missing ones taking the training mean, booleans become
//! 0/1 (missing take the most frequent value), categories are one-hot encoded with the categories
//! seen in training (an unseen category becomes all zeros), and dates become their year, month, day,
//! weekday and hour. A [`PrepConfig`] changes the imputation, scaling or binning per column. Free
//! text is set aside, with the reason.

use crate::error::SchemaError;
use crate::table::{Column, ColumnKind, Table};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// How a missing number is filled in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Imputation {
    /// The training mean.
    Mean,
    /// The training median (the mean of the two middle values for an even count).
    Median,
    /// The most frequent training value (the smallest of those tied).
    MostFrequent,
    /// A fixed value.
    Constant(f64),
}

/// How numbers are rescaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scaling {
    /// Left as they are.
    None,
    /// `(x − mean) / std` over the training rows.
    Standard,
    /// `(x − min) / (max − min)` over the training rows.
    MinMax,
}

/// The preparation chosen for a numeric column.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NumericChoice {
    /// How to fill missing values.
    pub imputation: Imputation,
    /// How to rescale.
    pub scaling: Scaling,
    /// Replace the number by one-hot bins of equal training counts (quantile bins), if set.
    pub bins: Option<usize>,
}

impl Default for NumericChoice {
    fn default() -> Self {
        Self { imputation: Imputation::Mean, scaling: Scaling::Standard, bins: None }
    }
}

/// The preparation choices: a default for numeric columns and overrides by column name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PrepConfig {
    /// For numeric columns not named in `columns`.
    pub numeric: NumericChoice,
    /// Per-column overrides.
    pub columns: Vec<(String, NumericChoice)>,
    /// Columns to leave out whatever their kind.
    pub ignore: Vec<String>,
}

impl PrepConfig {
    fn numeric_for(&self, column: &str) -> NumericChoice {
        self.columns.iter().find(|(name, _)| name == column).map_or(self.numeric, |(_, choice)| *choice)
    }
}

/// A fitted rescaling.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FittedScaling {
    /// Unchanged.
    None,
    /// `(x − mean) / std`.
    Standard { mean: f64, std: f64 },
    /// `(x − min) / (max − min)`.
    MinMax { min: f64, max: f64 },
}

impl FittedScaling {
    fn apply(self, x: f64) -> f64 {
        match self {
            FittedScaling::None => x,
            FittedScaling::Standard { mean, std } => crate::math::rescale(x, mean, std),
            FittedScaling::MinMax { min, max } => {
                let range = max - min;
                if range.is_finite() {
                    crate::math::rescale(x, min, range)
                } else {
                    (x / 2.0 - min / 2.0) / (max / 2.0 - min / 2.0)
                }
            }
        }
    }

    /// Whether every fitted number is finite and every scale positive, as fitting makes them.
    fn is_sound(self) -> bool {
        match self {
            FittedScaling::None => true,
            FittedScaling::Standard { mean, std } => mean.is_finite() && std.is_finite() && std > 0.0,
            FittedScaling::MinMax { min, max } => min.is_finite() && max.is_finite() && min < max,
        }
    }
}

/// How one column becomes one or more feature values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// A number: missing values take `fill`, then `scaling` applies.
    Numeric { fill: f64, scaling: FittedScaling },
    /// One 0/1 feature per bin; `edges` are the interior cut points (a value equal to an edge
    /// goes to the upper bin). Missing values take `fill` first.
    Binned { fill: f64, edges: Vec<f64> },
    /// 1 for true, 0 for false; a missing value becomes `fill`.
    Boolean { fill: f64 },
    /// One 0/1 feature per category seen in training.
    OneHot { categories: Vec<String> },
    /// Date parts (year, month, day, weekday with Monday = 0, hour), each standardised over training;
    /// a missing or unreadable date gives the training means (0 after scaling).
    DateParts { parts: Vec<(DatePart, FittedScaling)> },
}

impl Encoding {
    /// The number of features it produces.
    pub(crate) fn width(&self) -> usize {
        match self {
            Encoding::OneHot { categories } => categories.len(),
            Encoding::Binned { edges, .. } => edges.len() + 1,
            Encoding::DateParts { parts } => parts.len(),
            Encoding::Numeric { .. } | Encoding::Boolean { .. } => 1,
        }
    }

    /// The kind of column this encoding was fitted on, which scoring reads each cell as.
    pub(crate) fn kind(&self) -> ColumnKind {
        match self {
            Encoding::Numeric { .. } | Encoding::Binned { .. } => ColumnKind::Numeric,
            Encoding::Boolean { .. } => ColumnKind::Boolean,
            Encoding::OneHot { .. } => ColumnKind::Categorical,
            Encoding::DateParts { .. } => ColumnKind::Datetime,
        }
    }
}

/// A part of a date or date-time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatePart {
    /// Calendar year.
    Year,
    /// 1–12.
    Month,
    /// 1–31.
    Day,
    /// 0 (Monday) – 6 (Sunday).
    Weekday,
    /// 0–23.
    Hour,
}

impl DatePart {
    const ALL: [DatePart; 5] =
        [DatePart::Year, DatePart::Month, DatePart::Day, DatePart::Weekday, DatePart::Hour];

    fn name(self) -> &'static str {
        match self {
            DatePart::Year => "year",
            DatePart::Month => "month",
            DatePart::Day => "day",
            DatePart::Weekday => "weekday",
            DatePart::Hour => "hour",
        }
    }
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

const SAME_VALUE: &str = "the same value in every training row";

impl FeaturePlan {
    /// Learns the default preparation from `rows` of `table`, using every column except `target`.
    pub fn fit(table: &Table, target: &str, rows: &[usize]) -> Self {
        Self::fit_with(table, target, rows, &PrepConfig::default())
    }

    /// Learns the preparation `config` asks for from `rows` of `table`.
    pub fn fit_with(table: &Table, target: &str, rows: &[usize], config: &PrepConfig) -> Self {
        let mut inputs = Vec::new();
        let mut skipped = Vec::new();
        let ignored: std::collections::HashSet<&str> = config.ignore.iter().map(String::as_str).collect();
        for column in table.columns.iter().filter(|c| c.name != target) {
            let fitted = if ignored.contains(column.name.as_str()) {
                Err("left out by choice".to_owned())
            } else {
                fit_column(column, rows, config)
            };
            match fitted {
                Ok(encoding) => inputs.push(FeatureInput { column: column.name.clone(), encoding }),
                Err(reason) => skipped.push(SkippedColumn { column: column.name.clone(), reason }),
            }
        }
        Self { inputs, skipped }
    }

    /// The names of the produced features (`column`, `column=category`, `column[bin]`, `column.part`).
    pub fn feature_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for input in &self.inputs {
            let column = &input.column;
            match &input.encoding {
                Encoding::OneHot { categories } => {
                    names.extend(categories.iter().map(|c| format!("{column}={c}")))
                }
                Encoding::Binned { edges, .. } => {
                    names.extend((0..=edges.len()).map(|b| format!("{column}[{b}]")))
                }
                Encoding::DateParts { parts } => {
                    names.extend(parts.iter().map(|(p, _)| format!("{column}.{}", p.name())))
                }
                Encoding::Numeric { .. } | Encoding::Boolean { .. } => names.push(column.clone()),
            }
        }
        names
    }

    /// The feature matrix for `rows` of `table` (see [`FeaturePlan::transform`]).
    pub fn transform_matrix(&self, table: &Table, rows: &[usize]) -> Array2<f64> {
        let width = self.width();
        let columns: Vec<Option<&Column>> = self.columns_in(table);
        let mut data = Vec::with_capacity(rows.len() * width);
        for &r in rows {
            for (input, column) in self.inputs.iter().zip(&columns) {
                encode(&input.encoding, *column, r, &mut data);
            }
        }
        Array2::from_shape_vec((rows.len(), width), data).expect("every row encodes to the same width")
    }

    /// Each input's column in `table`, found through one index of it.
    fn columns_in<'t>(&self, table: &'t Table) -> Vec<Option<&'t Column>> {
        table.columns_named(self.inputs.iter().map(|i| i.column.as_str()))
    }

    /// The number of features produced.
    pub fn width(&self) -> usize {
        self.inputs.iter().map(|input| input.encoding.width()).sum()
    }

    /// Checks that `table` can be scored: every input column is present, and numeric and boolean
    /// columns hold numbers and booleans (or missing values) as [`crate::ScoredBatch`] reads them. A
    /// category never seen in training is fine (it encodes as all zeros); so is an unreadable date
    /// (it takes the training mean).
    pub fn check(&self, table: &Table) -> Result<(), SchemaError> {
        self.check_rows(table, 0..table.n_rows)
    }

    /// [`FeaturePlan::check`] for `rows` of `table` only (every one below `table.n_rows`).
    pub(crate) fn check_rows(&self, table: &Table, rows: std::ops::Range<usize>) -> Result<(), SchemaError> {
        for (input, column) in self.inputs.iter().zip(self.input_columns(table)?) {
            let kind = input.encoding.kind();
            if matches!(kind, ColumnKind::Numeric | ColumnKind::Boolean) {
                if let Some(row) = rows.clone().find(|&row| !crate::scoring::fits(kind, column, row)) {
                    return Err(crate::scoring::unreadable(kind, table, column, row));
                }
            }
        }
        Ok(())
    }

    /// Each input's column in `table`, in input order, or the error naming the first one it lacks.
    pub(crate) fn input_columns<'t>(&self, table: &'t Table) -> Result<Vec<&'t Column>, SchemaError> {
        let columns = self.columns_in(table);
        match self.inputs.iter().zip(&columns).find(|(_, column)| column.is_none()) {
            Some((input, _)) => Err(SchemaError::MissingColumn {
                column: input.column.clone(),
                expected: self.inputs.iter().map(|i| i.column.as_str()).collect::<Vec<_>>().join(", "),
            }),
            None => Ok(columns.into_iter().flatten().collect()),
        }
    }

    /// Checks that every fitted value is a finite number and every scale positive, as fitting
    /// makes them: a hand-made bundle with a NaN scale would make every prediction NaN. Names the
    /// column that is wrong.
    pub fn check_fitted(&self) -> Result<(), String> {
        for input in &self.inputs {
            let sound = match &input.encoding {
                Encoding::Numeric { fill, scaling } => fill.is_finite() && scaling.is_sound(),
                Encoding::Binned { fill, edges } => fill.is_finite() && edges.iter().all(|e| e.is_finite()),
                Encoding::Boolean { fill } => fill.is_finite(),
                Encoding::OneHot { .. } => true,
                Encoding::DateParts { parts } => parts.iter().all(|(_, scaling)| scaling.is_sound()),
            };
            if !sound {
                return Err(format!(
                    "column {:?}: a fitted value is not a finite number (or a scale is 0)",
                    input.column
                ));
            }
        }
        Ok(())
    }

    /// The feature rows for `rows` of `table`. Columns are looked up by name, so `table` may be a
    /// different file with the same columns; a column it lacks scores as if every value were missing.
    pub fn transform(&self, table: &Table, rows: &[usize]) -> Vec<Vec<f64>> {
        let columns: Vec<Option<&Column>> = self.columns_in(table);
        rows.iter()
            .map(|&r| {
                let mut out = Vec::with_capacity(self.inputs.len());
                for (input, column) in self.inputs.iter().zip(&columns) {
                    encode(&input.encoding, *column, r, &mut out);
                }
                out
            })
            .collect()
    }
}

fn fit_column(column: &Column, rows: &[usize], config: &PrepConfig) -> Result<Encoding, String> {
    match column.kind {
        ColumnKind::Numeric => {
            let mut values: Vec<f64> = rows.iter().filter_map(|&r| column.number(r)).collect();
            if values.is_empty() {
                return Err("no values in the training rows".to_owned());
            }
            crate::math::sort_floats(&mut values);
            if values[0] == values[values.len() - 1] {
                return Err(SAME_VALUE.to_owned());
            }
            let choice = config.numeric_for(&column.name);
            let fill = impute(&values, choice.imputation);
            if let Some(bins) = choice.bins {
                return Ok(Encoding::Binned { fill, edges: quantile_edges(&values, bins) });
            }
            // Scale what the model will see: the imputed values count, as in scikit-learn's
            // SimpleImputer followed by StandardScaler.
            let missing = rows.len() - values.len();
            values.extend(std::iter::repeat_n(fill, missing));
            Ok(Encoding::Numeric { fill, scaling: fit_scaling(&values, choice.scaling)? })
        }
        ColumnKind::Boolean => {
            let trues = rows.iter().filter(|&&r| column.boolean(r) == Some(true)).count();
            let falses = rows.iter().filter(|&&r| column.boolean(r) == Some(false)).count();
            if trues == 0 || falses == 0 {
                return Err(SAME_VALUE.to_owned());
            }
            Ok(Encoding::Boolean { fill: if trues > falses { 1.0 } else { 0.0 } })
        }
        ColumnKind::Categorical => {
            let mut categories: Vec<String> =
                rows.iter().filter_map(|&r| column.cell(r).map(str::to_owned)).collect();
            categories.sort_unstable();
            categories.dedup();
            if categories.len() < 2 {
                return Err(SAME_VALUE.to_owned());
            }
            Ok(Encoding::OneHot { categories })
        }
        ColumnKind::Datetime => {
            let dates: Vec<[f64; 5]> =
                rows.iter().filter_map(|&r| column.cell(r).and_then(crate::dates::date_parts)).collect();
            if dates.is_empty() {
                return Err("no readable dates in the training rows".to_owned());
            }
            let mut parts = Vec::new();
            for (i, part) in DatePart::ALL.into_iter().enumerate() {
                let values: Vec<f64> = dates.iter().map(|d| d[i]).collect();
                if values.iter().any(|v| *v != values[0]) {
                    parts.push((part, fit_scaling(&values, Scaling::Standard)?));
                }
            }
            if parts.is_empty() {
                return Err(SAME_VALUE.to_owned());
            }
            Ok(Encoding::DateParts { parts })
        }
        ColumnKind::Text => Err("free text or an identifier: almost every value is different".to_owned()),
    }
}

/// Appends the features of `row` of `column` (a column the table lacks reads as all missing).
pub(crate) fn encode(encoding: &Encoding, column: Option<&Column>, row: usize, out: &mut Vec<f64>) {
    let number = || column.and_then(|c| c.number(row));
    let cell = || column.and_then(|c| c.cell(row));
    match encoding {
        Encoding::Numeric { fill, scaling } => {
            let x = number().unwrap_or(*fill);
            out.push(scaling.apply(x));
        }
        Encoding::Binned { fill, edges } => {
            let x = number().unwrap_or(*fill);
            let bin = edges.partition_point(|edge| *edge <= x);
            out.extend((0..=edges.len()).map(|b| f64::from(u8::from(b == bin))));
        }
        Encoding::Boolean { fill } => {
            out.push(cell().and_then(crate::table::parse_bool).map_or(*fill, |b| f64::from(u8::from(b))))
        }
        Encoding::OneHot { categories } => {
            let cell = cell();
            out.extend(categories.iter().map(|c| f64::from(u8::from(Some(c.as_str()) == cell))))
        }
        Encoding::DateParts { parts } => {
            let date = cell().and_then(crate::dates::date_parts);
            for (part, scaling) in parts {
                let index = DatePart::ALL.iter().position(|p| p == part).unwrap_or(0);
                out.push(date.map_or(0.0, |d| scaling.apply(d[index])));
            }
        }
    }
}

/// The fill value from sorted training values.
fn impute(sorted: &[f64], imputation: Imputation) -> f64 {
    match imputation {
        Imputation::Mean => crate::math::mean_and_std(sorted).0,
        Imputation::Median => {
            let mid = sorted.len() / 2;
            if sorted.len().is_multiple_of(2) {
                (sorted[mid - 1] + sorted[mid]) / 2.0
            } else {
                sorted[mid]
            }
        }
        Imputation::MostFrequent => {
            let (mut best, mut best_count, mut i) = (sorted[0], 0, 0);
            while i < sorted.len() {
                let j = sorted[i..].iter().take_while(|v| **v == sorted[i]).count();
                // Strictly more: among ties the first (smallest) value wins.
                if j > best_count {
                    (best, best_count) = (sorted[i], j);
                }
                i += j;
            }
            best
        }
        Imputation::Constant(value) => value,
    }
}

/// Fits a scaling on the training values (not all equal); an error says why it cannot be done.
fn fit_scaling(values: &[f64], scaling: Scaling) -> Result<FittedScaling, String> {
    let fitted = match scaling {
        Scaling::None => FittedScaling::None,
        Scaling::Standard => {
            let (mean, std) = crate::math::mean_and_std(values);
            FittedScaling::Standard { mean, std }
        }
        Scaling::MinMax => {
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            FittedScaling::MinMax { min, max }
        }
    };
    if fitted.is_sound() {
        Ok(fitted)
    } else {
        Err("its values are too close together to scale to finite numbers".to_owned())
    }
}

/// Interior cut points splitting sorted values into `bins` groups of (nearly) equal count, with
/// repeated cut points merged.
fn quantile_edges(sorted: &[f64], bins: usize) -> Vec<f64> {
    let bins = bins.max(2);
    let mut edges: Vec<f64> = (1..bins).map(|i| sorted[i * sorted.len() / bins]).collect();
    edges.dedup();
    edges.retain(|edge| *edge > sorted[0]);
    edges
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
        // x: the training values 1 and 3 and the imputed mean 2 (as scikit-learn's imputer then
        // scaler sees them): mean 2, std √(2/3).
        let std = (2.0f64 / 3.0).sqrt();
        assert_eq!(rows[0], [-1.0 / std, 1.0, 0.0, 1.0]);
        // A missing number takes the mean; the unseen category "green" is all zeros.
        assert_eq!(rows[1], [0.0, 1.0, 0.0, 1.0]);
        assert_eq!(rows[2], [7.0 / std, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn imputation_strategies_match_scikit_learns_simple_imputer() {
        // SimpleImputer on [1, 2, 2, 3, 3, 10]: mean 3.5, median 2.5, most_frequent 2 (smallest tie).
        let sorted = [1.0, 2.0, 2.0, 3.0, 3.0, 10.0];
        assert_eq!(impute(&sorted, Imputation::Mean), 3.5);
        assert_eq!(impute(&sorted, Imputation::Median), 2.5);
        assert_eq!(impute(&sorted, Imputation::MostFrequent), 2.0);
        assert_eq!(impute(&sorted, Imputation::Constant(-1.0)), -1.0);
        assert_eq!(impute(&[1.0, 4.0, 9.0], Imputation::Median), 4.0);
    }

    #[test]
    fn per_column_choices_scale_and_bin() {
        let table = parse_csv(b"a,b,y\n0,1,p\n5,2,q\n10,3,p\n,4,q\n20,5,p\n").unwrap();
        let config = PrepConfig {
            columns: vec![
                (
                    "a".into(),
                    NumericChoice { imputation: Imputation::Median, scaling: Scaling::MinMax, bins: None },
                ),
                ("b".into(), NumericChoice { bins: Some(2), ..Default::default() }),
            ],
            ..Default::default()
        };
        let plan = FeaturePlan::fit_with(&table, "y", &[0, 1, 2, 3, 4], &config);
        assert_eq!(plan.feature_names(), ["a", "b[0]", "b[1]"]);
        let rows = plan.transform(&table, &[0, 3, 4]);
        // a: min 0, max 20; the missing value takes the median 7.5 → 0.375. b: one cut at 3.
        assert_eq!(rows, vec![vec![0.0, 1.0, 0.0], vec![0.375, 0.0, 1.0], vec![1.0, 0.0, 1.0]]);
        let ignored = FeaturePlan::fit_with(
            &table,
            "y",
            &[0, 1],
            &PrepConfig { ignore: vec!["a".into()], ..Default::default() },
        );
        assert_eq!(ignored.skipped[0].reason, "left out by choice");
    }

    #[test]
    fn dates_become_their_parts() {
        let table = parse_csv(b"when,y\n2026-01-05,a\n2026-03-07,b\n2026-03-08,a\n,b\n").unwrap();
        let plan = FeaturePlan::fit(&table, "y", &[0, 1, 2, 3]);
        // Year is the same in every row, and so is the hour: only month, day and weekday remain.
        assert_eq!(plan.feature_names(), ["when.month", "when.day", "when.weekday"]);
        assert_eq!(plan.transform(&table, &[3])[0], [0.0, 0.0, 0.0], "a missing date sits at the means");
    }
}
