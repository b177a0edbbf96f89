//! A table of named columns read from a CSV, with the type inferred for each column.
//!
//! Cells keep their original text (so a learner can change a column's type without reloading), and a
//! missing cell is `None`. Numbers are parsed from that text when a column is used as numeric.

use serde::{Deserialize, Serialize};

/// What kind of values a column holds; decides how it becomes model features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Every present value is a number.
    Numeric,
    /// A small set of labels (like a cohort or a species).
    Categorical,
    /// Two values such as true/false or yes/no.
    Boolean,
    /// Dates or date-times in ISO 8601 form (`2026-11-23`, `2026-11-23T08:00:00`).
    Datetime,
    /// Free text or identifiers: nearly every value is different.
    Text,
}

impl ColumnKind {
    /// Every kind, in the order inference tries them.
    pub const ALL: [ColumnKind; 5] = [
        ColumnKind::Numeric,
        ColumnKind::Boolean,
        ColumnKind::Datetime,
        ColumnKind::Categorical,
        ColumnKind::Text,
    ];

    /// The kind with this label (`numeric`, `categorical`, `boolean`, `datetime`, `text`).
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.label() == label)
    }

    /// The word a learner sees for this kind.
    pub fn label(self) -> &'static str {
        match self {
            ColumnKind::Numeric => "numeric",
            ColumnKind::Categorical => "categorical",
            ColumnKind::Boolean => "boolean",
            ColumnKind::Datetime => "datetime",
            ColumnKind::Text => "text",
        }
    }
}

/// One named column: its inferred kind and its cells as text (`None` where missing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// The name from the header row.
    pub name: String,
    /// The inferred (or user-chosen) kind.
    pub kind: ColumnKind,
    /// One entry per data row; `None` for a missing value.
    pub cells: Vec<Option<String>>,
}

impl Column {
    /// Builds a column and infers its kind from the cells.
    pub fn new(name: String, cells: Vec<Option<String>>) -> Self {
        let kind = infer_kind(&cells);
        Self { name, kind, cells }
    }

    /// The number of missing cells.
    pub fn missing_count(&self) -> usize {
        self.cells.iter().filter(|c| c.is_none()).count()
    }

    /// The cell at `row` parsed as a number, `None` when missing or not a finite number.
    pub fn number(&self, row: usize) -> Option<f64> {
        self.cells[row].as_deref().and_then(parse_number)
    }

    /// The cell at `row` as a boolean, `None` when missing or not a recognised boolean word.
    pub fn boolean(&self, row: usize) -> Option<bool> {
        self.cells[row].as_deref().and_then(parse_bool)
    }

    /// The distinct present values, sorted, with how often each occurs.
    pub fn value_counts(&self) -> Vec<(String, usize)> {
        let mut counts = std::collections::BTreeMap::<&str, usize>::new();
        for cell in self.cells.iter().flatten() {
            *counts.entry(cell.as_str()).or_default() += 1;
        }
        counts.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }
}

/// Columns of equal length, in header order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// The columns, left to right as in the file.
    pub columns: Vec<Column>,
    /// The number of data rows (the header is not counted).
    pub n_rows: usize,
    /// The file line each data row starts on (1-based, the header is line 1), for messages.
    pub lines: Vec<u64>,
}

impl Table {
    /// The column with this name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The position of the column with this name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The file line of data row `row`, as an editor numbers it.
    pub fn line_of(&self, row: usize) -> u64 {
        self.lines.get(row).copied().unwrap_or(row as u64 + 2)
    }

    /// Overrides the inferred kind of column `name`. Every present value must read as the new kind
    /// (a number, a boolean, a date); otherwise nothing changes and the error names the first value
    /// that does not, with its line.
    pub fn set_kind(&mut self, name: &str, kind: ColumnKind) -> Result<(), crate::TabmlError> {
        let index =
            self.column_index(name).ok_or_else(|| crate::TabmlError::UnknownColumn(name.to_owned()))?;
        let fits = |cell: &str| match kind {
            ColumnKind::Numeric => parse_number(cell).is_some(),
            ColumnKind::Boolean => parse_bool(cell).is_some(),
            ColumnKind::Datetime => looks_like_datetime(cell),
            ColumnKind::Categorical | ColumnKind::Text => true,
        };
        let column = &self.columns[index];
        let bad = column
            .cells
            .iter()
            .enumerate()
            .find_map(|(r, c)| c.as_deref().filter(|c| !fits(c)).map(|c| (r, c)));
        if let Some((row, cell)) = bad {
            return Err(crate::TabmlError::BadKind {
                column: name.to_owned(),
                kind: kind.label(),
                line: self.line_of(row),
                value: cell.to_owned(),
            });
        }
        self.columns[index].kind = kind;
        Ok(())
    }

    /// The column names in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }
}

/// Parses a finite number; `inf` and `NaN` are not accepted as values (they count as missing).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

const TRUE_WORDS: [&str; 4] = ["true", "yes", "t", "y"];
const FALSE_WORDS: [&str; 4] = ["false", "no", "f", "n"];

pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    let lower = text.trim().to_ascii_lowercase();
    if TRUE_WORDS.contains(&lower.as_str()) {
        Some(true)
    } else if FALSE_WORDS.contains(&lower.as_str()) {
        Some(false)
    } else {
        None
    }
}

/// `YYYY-MM-DD`, optionally followed by `T` or a space and a time.
fn looks_like_datetime(text: &str) -> bool {
    let b = text.trim().as_bytes();
    let date_ok = b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit);
    date_ok && (b.len() == 10 || matches!(b[10], b'T' | b' '))
}

/// The most distinct values a column may have and still be called categorical.
const MAX_CATEGORIES: usize = 50;

/// Infers a kind from the present cells: numeric, then boolean, then datetime; otherwise categorical
/// when values repeat (at most 50 distinct, and at most half as many distinct values as rows), else text.
pub(crate) fn infer_kind(cells: &[Option<String>]) -> ColumnKind {
    let mut present = cells.iter().flatten().map(String::as_str).peekable();
    if present.peek().is_none() {
        return ColumnKind::Text;
    }
    if present.all(|c| parse_number(c).is_some()) {
        return ColumnKind::Numeric;
    }
    let present: Vec<&str> = cells.iter().flatten().map(String::as_str).collect();
    if present.iter().all(|c| parse_bool(c).is_some()) {
        return ColumnKind::Boolean;
    }
    if present.iter().all(|c| looks_like_datetime(c)) {
        return ColumnKind::Datetime;
    }
    let distinct: std::collections::HashSet<&str> = present.iter().copied().collect();
    if distinct.len() <= MAX_CATEGORIES && distinct.len() * 2 <= present.len() {
        ColumnKind::Categorical
    } else {
        ColumnKind::Text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(values: &[&str]) -> Vec<Option<String>> {
        values.iter().map(|v| (!v.is_empty()).then(|| v.to_string())).collect()
    }

    #[test]
    fn infers_each_kind() {
        assert_eq!(infer_kind(&cells(&["1", "2.5", "", "-3e2"])), ColumnKind::Numeric);
        assert_eq!(infer_kind(&cells(&["yes", "No", "", "TRUE"])), ColumnKind::Boolean);
        assert_eq!(infer_kind(&cells(&["2026-01-02", "2026-11-23T08:00:00"])), ColumnKind::Datetime);
        assert_eq!(infer_kind(&cells(&["a", "b", "a", "b", "a"])), ColumnKind::Categorical);
        assert_eq!(infer_kind(&cells(&["L1", "L2", "L3", "L4"])), ColumnKind::Text);
        assert_eq!(infer_kind(&cells(&["", ""])), ColumnKind::Text);
    }

    #[test]
    fn a_kind_override_must_fit_every_value() {
        let mut table = crate::parse_csv(b"code,label\n1,a\n2,b\n3,a\nx7,b\n").unwrap();
        assert_eq!(table.column("code").unwrap().kind, ColumnKind::Text);
        table.set_kind("code", ColumnKind::Categorical).unwrap();
        assert_eq!(table.column("code").unwrap().kind, ColumnKind::Categorical);
        let err = table.set_kind("code", ColumnKind::Numeric).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 5, column \"code\": \"x7\" cannot be read as numeric, so the column cannot be made numeric"
        );
        assert_eq!(table.column("code").unwrap().kind, ColumnKind::Categorical);
        assert_eq!(ColumnKind::from_label("boolean"), Some(ColumnKind::Boolean));
    }

    #[test]
    fn infinities_are_not_numbers() {
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number(" 4.5 "), Some(4.5));
    }

    #[test]
    fn value_counts_are_sorted_and_skip_missing() {
        let col = Column::new("c".into(), cells(&["b", "a", "", "b"]));
        assert_eq!(col.value_counts(), vec![("a".into(), 1), ("b".into(), 2)]);
        assert_eq!(col.missing_count(), 1);
    }
}
