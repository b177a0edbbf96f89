//! The validation report: what in a data set will mislead a model or a learner, each finding with
//! where it is, how bad it is, and what to do about it.
//!
//! The findings: missing values, constant and duplicate columns, duplicate rows, likely
//! identifiers, values outside declared ranges, class imbalance, suspected target leakage, and rows
//! shared by the training and test parts. Each names the file line or the column it concerns.

use crate::split::Split;
use crate::table::{parse_number, Column, ColumnKind, Table};
use crate::task::Task;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Likely to hurt the model or mislead its measures.
    Warning,
    /// Fix before trusting any result.
    Problem,
}

/// A range a numeric column's values must lie in, declared by the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeclaredRange {
    /// The column.
    pub column: String,
    /// The smallest allowed value, if any.
    pub min: Option<f64>,
    /// The largest allowed value, if any.
    pub max: Option<f64>,
}

/// What to check beyond the table itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ValidationOptions {
    /// The target column, for class balance and leakage checks.
    pub target: Option<String>,
    /// Declared value ranges.
    pub ranges: Vec<DeclaredRange>,
    /// A split, to look for rows that appear in both its parts.
    pub split: Option<Split>,
}

/// One thing the report found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Finding {
    /// Some cells of a column are empty.
    MissingValues { column: String, missing: usize, share: f64 },
    /// Every present value of a column is the same.
    ConstantColumn { column: String, value: Option<String> },
    /// A column repeats an earlier one cell for cell.
    DuplicateColumn { column: String, same_as: String },
    /// Whole rows repeat; `examples` pairs a repeat's line with its first occurrence's line.
    DuplicateRows { count: usize, examples: Vec<(u64, u64)> },
    /// A column looks like a row identifier: unique per row, so it can only memorise.
    LikelyIdentifier { column: String },
    /// Values outside a declared range (or not numbers at all), with the first one's line and text.
    OutOfRange { column: String, count: usize, first_line: u64, first_value: String },
    /// One class is much rarer than another.
    ClassImbalance {
        column: String,
        rarest: String,
        rarest_share: f64,
        commonest: String,
        commonest_share: f64,
    },
    /// A single feature predicts the target almost perfectly: it may be the answer in disguise.
    SuspectedLeakage { column: String, score: f64, measure: String },
    /// Rows of the test part that also appear, identically, in the training part.
    TrainTestOverlap { count: usize, first_lines: Vec<u64> },
}

impl Finding {
    /// How much this finding matters.
    pub fn severity(&self) -> Severity {
        match self {
            Finding::MissingValues { share, .. } if *share >= 0.5 => Severity::Problem,
            Finding::MissingValues { share, .. } if *share >= 0.05 => Severity::Warning,
            Finding::MissingValues { .. } => Severity::Info,
            Finding::ClassImbalance { rarest_share, commonest_share, .. } => {
                if commonest_share / rarest_share >= 10.0 {
                    Severity::Warning
                } else {
                    Severity::Info
                }
            }
            Finding::SuspectedLeakage { .. } | Finding::OutOfRange { .. } => Severity::Problem,
            _ => Severity::Warning,
        }
    }

    /// The column the finding is about, if one.
    pub fn column(&self) -> Option<&str> {
        match self {
            Finding::MissingValues { column, .. }
            | Finding::ConstantColumn { column, .. }
            | Finding::DuplicateColumn { column, .. }
            | Finding::LikelyIdentifier { column }
            | Finding::OutOfRange { column, .. }
            | Finding::ClassImbalance { column, .. }
            | Finding::SuspectedLeakage { column, .. } => Some(column),
            Finding::DuplicateRows { .. } | Finding::TrainTestOverlap { .. } => None,
        }
    }

    /// What was found, in a sentence.
    pub fn message(&self) -> String {
        match self {
            Finding::MissingValues { column, missing, share } => {
                format!("{column:?} is missing in {missing} rows ({:.1}%).", share * 100.0)
            }
            Finding::ConstantColumn { column, value: Some(v) } => format!("{column:?} is {v:?} in every row that has it."),
            Finding::ConstantColumn { column, value: None } => format!("{column:?} is empty in every row."),
            Finding::DuplicateColumn { column, same_as } => format!("{column:?} is an exact copy of {same_as:?}."),
            Finding::DuplicateRows { count, examples } => {
                let lines: Vec<String> = examples.iter().map(|(d, f)| format!("line {d} repeats line {f}")).collect();
                let rows = if *count == 1 { "1 row repeats".to_owned() } else { format!("{count} rows repeat") };
                format!("{rows} an earlier row exactly ({}).", lines.join(", "))
            }
            Finding::LikelyIdentifier { column } => format!("{column:?} has a different value in (almost) every row: it looks like an identifier."),
            Finding::OutOfRange { column, count, first_line, first_value } => format!(
                "{column:?} has {count} values outside its declared range; the first is {first_value:?} on line {first_line}."
            ),
            Finding::ClassImbalance { column, rarest, rarest_share, commonest, commonest_share } => format!(
                "In {column:?}, {rarest:?} is {:.1}% of rows and {commonest:?} is {:.1}%.",
                rarest_share * 100.0,
                commonest_share * 100.0
            ),
            Finding::SuspectedLeakage { column, score, measure } => {
                format!("{column:?} alone predicts the target almost perfectly ({measure} {score:.3}).")
            }
            Finding::TrainTestOverlap { count, first_lines } => {
                let lines: Vec<String> = first_lines.iter().map(u64::to_string).collect();
                let rows = if *count == 1 { "1 test row also appears".to_owned() } else { format!("{count} test rows also appear") };
                format!("{rows} in the training rows (line {}).", lines.join(", "))
            }
        }
    }

    /// What to do about it.
    pub fn advice(&self) -> &'static str {
        match self {
            Finding::MissingValues { .. } => "Missing values are filled in before training (the training mean or most frequent value). If many are missing, ask why: the gaps may carry meaning of their own.",
            Finding::ConstantColumn { .. } => "A column with one value carries no information; it is left out of the features.",
            Finding::DuplicateColumn { .. } => "Keep one of the two; copies add nothing and can make linear models unstable.",
            Finding::DuplicateRows { .. } => "Check whether the repeats are real (two identical cases) or a copying mistake; repeats that land in both training and test rows inflate the score.",
            Finding::LikelyIdentifier { .. } => "Leave it out of the features: a model can only memorise an identifier, and that does not carry over to new rows.",
            Finding::OutOfRange { .. } => "Fix or remove these values, or widen the declared range if it was too narrow.",
            Finding::ClassImbalance { .. } => "Accuracy flatters a model that ignores the rare class: judge it by balanced accuracy, recall of the rare class, or PR AUC, and keep the split stratified.",
            Finding::SuspectedLeakage { .. } => "Ask whether this value is known at the moment the prediction is made. If it is recorded after the outcome (or is the outcome in disguise), leave it out.",
            Finding::TrainTestOverlap { .. } => "Rows seen in training make the test score optimistic; remove duplicates before splitting.",
        }
    }
}

/// The whole report, findings ordered by severity (worst first), then by column order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationReport {
    /// What was found.
    pub findings: Vec<Finding>,
}

impl ValidationReport {
    /// The findings about one column.
    pub fn for_column<'a>(&'a self, column: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.column() == Some(column))
    }
}

/// Rows needed before leakage and identifier checks say anything.
const MIN_ROWS_FOR_PATTERNS: usize = 20;
/// A single feature scoring at least this is suspected of leaking the target.
const LEAKAGE_SCORE: f64 = 0.99;

/// Checks `table` and returns every finding.
pub fn validate(table: &Table, options: &ValidationOptions) -> ValidationReport {
    let mut findings = Vec::new();
    let mut identifiers = std::collections::HashSet::new();
    let mut first_with_cells = std::collections::HashMap::new();
    for (i, column) in table.columns.iter().enumerate() {
        let missing = column.missing_count();
        if missing > 0 {
            let share = missing as f64 / table.n_rows as f64;
            findings.push(Finding::MissingValues { column: column.name.clone(), missing, share });
        }
        let counts = column.value_counts();
        if counts.len() <= 1 && table.n_rows > 1 {
            let value = counts.first().map(|(v, _)| v.clone());
            findings.push(Finding::ConstantColumn { column: column.name.clone(), value });
        }
        // The first earlier column with the same cells, found by hashing rather than comparing
        // every pair (quadratic in wide tables).
        let first = *first_with_cells.entry(column.cells_key()).or_insert(i);
        if first != i {
            let same_as = table.columns[first].name.clone();
            findings.push(Finding::DuplicateColumn { column: column.name.clone(), same_as });
        }
        let is_target = options.target.as_deref() == Some(column.name.as_str());
        if !is_target && looks_like_identifier(column, counts.len()) {
            identifiers.insert(column.name.clone());
            findings.push(Finding::LikelyIdentifier { column: column.name.clone() });
        }
    }
    findings.extend(duplicate_rows(table));
    for range in &options.ranges {
        if let Some(finding) = out_of_range(table, range) {
            findings.push(finding);
        }
    }
    if let Some(target) = options.target.as_deref().and_then(|t| table.column(t)) {
        if let Ok(task) = Task::for_target(target) {
            findings.extend(class_imbalance(target, &task));
            for column in
                table.columns.iter().filter(|c| c.name != target.name && !identifiers.contains(&c.name))
            {
                findings.extend(leakage(column, target, &task, table.n_rows));
            }
        }
    }
    if let Some(split) = &options.split {
        findings.extend(train_test_overlap(table, split));
    }
    let positions = table.positions();
    let position = |f: &Finding| f.column().and_then(|c| positions.get(c).copied()).unwrap_or(usize::MAX);
    findings.sort_by_key(|f| (std::cmp::Reverse(f.severity()), position(f)));
    ValidationReport { findings }
}

/// Text that differs in (almost) every row, or unique integers rising with the row order (a row
/// number). "Almost": an identifier stays one when a copied row repeats it.
fn looks_like_identifier(column: &Column, distinct: usize) -> bool {
    let present = column.len() - column.missing_count();
    if present < MIN_ROWS_FOR_PATTERNS {
        return false;
    }
    match column.kind {
        ColumnKind::Text => distinct * 20 >= present * 19,
        ColumnKind::Numeric if distinct == present => {
            let values: Vec<f64> = (0..column.len()).filter_map(|r| column.number(r)).collect();
            values.iter().all(|v| v.fract() == 0.0) && values.windows(2).all(|w| w[0] < w[1])
        }
        _ => false,
    }
}

fn row_key(table: &Table, row: usize) -> Vec<Option<&str>> {
    table.columns.iter().map(|c| c.cell(row)).collect()
}

fn duplicate_rows(table: &Table) -> Option<Finding> {
    let mut first_seen: HashMap<Vec<Option<&str>>, usize> = HashMap::new();
    let mut examples = Vec::new();
    let mut count = 0;
    for row in 0..table.n_rows {
        let first = *first_seen.entry(row_key(table, row)).or_insert(row);
        if first != row {
            count += 1;
            if examples.len() < 5 {
                examples.push((table.line_of(row), table.line_of(first)));
            }
        }
    }
    (count > 0).then_some(Finding::DuplicateRows { count, examples })
}

fn out_of_range(table: &Table, range: &DeclaredRange) -> Option<Finding> {
    let column = table.column(&range.column)?;
    let outside = |text: &str| match parse_number(text) {
        None => true,
        Some(v) => range.min.is_some_and(|m| v < m) || range.max.is_some_and(|m| v > m),
    };
    let bad: Vec<usize> = (0..table.n_rows).filter(|&r| column.cell(r).is_some_and(outside)).collect();
    let first = *bad.first()?;
    Some(Finding::OutOfRange {
        column: column.name.clone(),
        count: bad.len(),
        first_line: table.line_of(first),
        first_value: column.cell(first).unwrap_or_default().to_owned(),
    })
}

fn class_imbalance(target: &Column, task: &Task) -> Option<Finding> {
    let Task::Classification { .. } = task else { return None };
    let counts = target.value_counts();
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let rarest = counts.iter().min_by_key(|(_, n)| *n)?;
    let commonest = counts.iter().max_by_key(|(_, n)| *n)?;
    (commonest.1 >= 3 * rarest.1).then(|| Finding::ClassImbalance {
        column: target.name.clone(),
        rarest: rarest.0.clone(),
        rarest_share: rarest.1 as f64 / total as f64,
        commonest: commonest.0.clone(),
        commonest_share: commonest.1 as f64 / total as f64,
    })
}

/// For classification: the accuracy of predicting, for each value of the feature (numbers in up to
/// 20 equal-count bins), its most common class. For regression: |Pearson correlation|.
fn leakage(feature: &Column, target: &Column, task: &Task, n_rows: usize) -> Option<Finding> {
    if n_rows < MIN_ROWS_FOR_PATTERNS {
        return None;
    }
    let (score, measure) = match task {
        Task::Classification { .. } => {
            let rows: Vec<usize> =
                (0..n_rows).filter(|&r| feature.cell(r).is_some() && target.cell(r).is_some()).collect();
            if rows.len() < MIN_ROWS_FOR_PATTERNS {
                return None;
            }
            let bins = bin_rows(feature, &rows);
            let mut right = 0;
            let mut baseline: HashMap<&str, usize> = HashMap::new();
            for group in bins.values() {
                let mut classes: HashMap<&str, usize> = HashMap::new();
                for &r in group {
                    let class = target.cell(r).unwrap_or_default();
                    *classes.entry(class).or_default() += 1;
                    *baseline.entry(class).or_default() += 1;
                }
                right += classes.values().max().copied().unwrap_or(0);
            }
            let majority = baseline.values().max().copied().unwrap_or(0) as f64 / rows.len() as f64;
            if majority >= 0.95 {
                return None;
            }
            (right as f64 / rows.len() as f64, "single-feature accuracy")
        }
        Task::Regression => {
            if feature.kind != ColumnKind::Numeric {
                return None;
            }
            let pairs: Vec<(f64, f64)> =
                (0..n_rows).filter_map(|r| Some((feature.number(r)?, target.number(r)?))).collect();
            if pairs.len() < MIN_ROWS_FOR_PATTERNS {
                return None;
            }
            (pearson(&pairs).abs(), "|correlation|")
        }
    };
    (score >= LEAKAGE_SCORE).then(|| Finding::SuspectedLeakage {
        column: feature.name.clone(),
        score,
        measure: measure.to_owned(),
    })
}

/// Groups rows by the feature's value, or for numbers with more than 20 distinct values, into 20
/// bins of equal count along the sorted values.
fn bin_rows(feature: &Column, rows: &[usize]) -> HashMap<String, Vec<usize>> {
    const BINS: usize = 20;
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    let numeric = feature.kind == ColumnKind::Numeric && feature.distinct_count() > BINS;
    if numeric {
        let mut sorted: Vec<(f64, usize)> =
            rows.iter().filter_map(|&r| Some((feature.number(r)?, r))).collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let per_bin = sorted.len().div_ceil(BINS);
        for (i, (_, r)) in sorted.into_iter().enumerate() {
            groups.entry((i / per_bin).to_string()).or_default().push(r);
        }
    } else {
        for &r in rows {
            groups.entry(feature.cell(r).unwrap_or_default().to_owned()).or_default().push(r);
        }
    }
    groups
}

fn pearson(pairs: &[(f64, f64)]) -> f64 {
    let n = pairs.len() as f64;
    let (mx, my) = pairs.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

fn train_test_overlap(table: &Table, split: &Split) -> Option<Finding> {
    let train: std::collections::HashSet<Vec<Option<&str>>> =
        split.train.iter().filter(|&&r| r < table.n_rows).map(|&r| row_key(table, r)).collect();
    let overlapping: Vec<usize> = split
        .test
        .iter()
        .copied()
        .filter(|&r| r < table.n_rows && train.contains(&row_key(table, r)))
        .collect();
    (!overlapping.is_empty()).then(|| Finding::TrainTestOverlap {
        count: overlapping.len(),
        first_lines: overlapping.iter().take(5).map(|&r| table.line_of(r)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_csv;

    fn options(target: &str) -> ValidationOptions {
        ValidationOptions { target: Some(target.to_owned()), ..Default::default() }
    }

    /// 40 rows: an id, a useful feature, a leaked copy of the label, a constant, a copied column.
    fn messy() -> Table {
        let mut csv = String::from("id,score,leak,site,score_copy,label\n");
        for i in 0..40 {
            let label = if i % 4 == 0 { "yes" } else { "no" };
            let score = if i % 7 == 0 { String::new() } else { ((i * 37) % 100).to_string() };
            let leak = if label == "yes" { "closed" } else { "open" };
            csv.push_str(&format!("r{i},{score},{leak},north,{score},{label}\n"));
        }
        // A repeat of line 3 (row 1), as line 42.
        csv.push_str("r1,37,open,north,37,no\n");
        parse_csv(csv.as_bytes()).unwrap()
    }

    #[test]
    fn finds_what_is_wrong_and_says_where() {
        let table = messy();
        let report = validate(&table, &options("label"));
        let kinds: Vec<&str> = report.findings.iter().map(|f| f.column().unwrap_or("(rows)")).collect();
        assert!(report.findings.contains(&Finding::LikelyIdentifier { column: "id".into() }), "{kinds:?}");
        assert!(report
            .findings
            .contains(&Finding::ConstantColumn { column: "site".into(), value: Some("north".into()) }));
        assert!(report
            .findings
            .contains(&Finding::DuplicateColumn { column: "score_copy".into(), same_as: "score".into() }));
        assert!(report.findings.contains(&Finding::MissingValues {
            column: "score".into(),
            missing: 6,
            share: 6.0 / 41.0
        }));
        assert!(report.findings.contains(&Finding::DuplicateRows { count: 1, examples: vec![(42, 3)] }));
        let leak = report.findings.iter().find(|f| matches!(f, Finding::SuspectedLeakage { .. })).unwrap();
        assert_eq!(leak.column(), Some("leak"));
        assert_eq!(leak.severity(), Severity::Problem);
        assert!(!report
            .findings
            .iter()
            .any(|f| matches!(f, Finding::SuspectedLeakage { column, .. } if column == "score")));
        let imbalance = report.findings.iter().find(|f| matches!(f, Finding::ClassImbalance { .. })).unwrap();
        assert_eq!(imbalance.message(), "In \"label\", \"yes\" is 24.4% of rows and \"no\" is 75.6%.");
        // Worst first.
        assert_eq!(report.findings[0].severity(), Severity::Problem);
        assert!(report.findings.windows(2).all(|w| w[0].severity() >= w[1].severity()));
    }

    #[test]
    fn declared_ranges_name_the_first_bad_line_and_value() {
        let table = parse_csv(b"age,label\n34,a\n-2,b\n51,a\nold,b\n").unwrap();
        let options = ValidationOptions {
            ranges: vec![DeclaredRange { column: "age".into(), min: Some(0.0), max: Some(120.0) }],
            ..Default::default()
        };
        let report = validate(&table, &options);
        let finding = report.findings.iter().find(|f| matches!(f, Finding::OutOfRange { .. })).unwrap();
        assert_eq!(
            finding,
            &Finding::OutOfRange { column: "age".into(), count: 2, first_line: 3, first_value: "-2".into() }
        );
        assert!(finding.message().contains("line 3"));
    }

    #[test]
    fn rows_in_both_train_and_test_are_reported() {
        let table = parse_csv(b"x,y\n1,a\n2,b\n1,a\n3,b\n").unwrap();
        let split = Split { train: vec![0, 1], test: vec![2, 3] };
        let report = validate(&table, &ValidationOptions { split: Some(split), ..Default::default() });
        assert!(report.findings.contains(&Finding::TrainTestOverlap { count: 1, first_lines: vec![4] }));
    }
}
