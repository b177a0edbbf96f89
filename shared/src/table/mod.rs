//! A table of named columns read from a CSV, with the type inferred for each column.
//!
//! Columnar (`column.rs`): a column of numbers keeps the numbers, parsed once on import, and only
//! the few cell texts the numbers do not print back, spelling out the rest when a caller asks;
//! any other column keeps its cells' texts back to back with an end offset per row (a missing cell
//! is an empty span), so a learner can change a column's type without reloading. `builder.rs`
//! collects a column as a file is read. In a column of numbers a cell that spells ±inf (`inf`,
//! `-Infinity`…, as pandas reads them) is missing; among words it stays a word.
//!
//! Inference goes numeric, boolean, datetime, then categorical when values repeat, else text;
//! `Table::set_kind` overrides it after checking that every value fits. Dates and date-times are read
//! by `dates.rs` (ISO 8601, with `Z` or an offset; UTC without one, as Unix seconds).
//! `Table.lines` keeps the file line of each row, for messages.
//!
//! `parse.rs` reads a cell's text as a number or a boolean, and tells an infinity.

mod builder;
mod column;
mod parse;
mod texts;

pub use builder::MISSING_MARKERS;
pub(crate) use builder::{ColumnBuilder, FIXED_WITHIN};
pub use column::Column;
pub(crate) use parse::{is_infinity, parse_bool, parse_number};
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

/// Columns of equal length, in header order.
#[derive(Debug, Clone, PartialEq)]
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

    /// The column of each of `names`, in order (`None` where the table has none), through one
    /// index of the table: a [`Table::column`] scan per name would be quadratic in wide tables.
    pub fn columns_named<'n>(&self, names: impl IntoIterator<Item = &'n str>) -> Vec<Option<&Column>> {
        let index = self.positions();
        names.into_iter().map(|name| index.get(name).map(|&i| &self.columns[i])).collect()
    }

    /// Every column's position by name. Only looked up, never iterated, so no output depends on
    /// the map's order.
    pub fn positions(&self) -> std::collections::HashMap<&str, usize> {
        self.columns.iter().enumerate().map(|(i, c)| (c.name.as_str(), i)).collect()
    }

    /// The file line of data row `row`, as an editor numbers it.
    pub fn line_of(&self, row: usize) -> u64 {
        self.lines.get(row).copied().unwrap_or(row as u64 + 2)
    }

    /// Overrides the inferred kind of column `name`. Every present value must read as the new kind
    /// (a number, a boolean, a date); otherwise nothing changes and the error names the first value
    /// that does not, with its line.
    pub fn set_kind(&mut self, name: &str, kind: ColumnKind) -> Result<(), crate::TabmlError> {
        self.check_kind(name, kind)?;
        let index = self.column_index(name).unwrap_or_default();
        let column = &mut self.columns[index];
        if kind == ColumnKind::Numeric {
            column.read_numbers();
        }
        column.kind = kind;
        Ok(())
    }

    /// Whether column `name` could be made `kind` ([`Table::set_kind`]'s check, changing nothing).
    pub fn check_kind(&self, name: &str, kind: ColumnKind) -> Result<(), crate::TabmlError> {
        let column = self.column(name).ok_or_else(|| crate::TabmlError::UnknownColumn(name.to_owned()))?;
        // Every value fits these, and numbers parsed on import already fit numeric: no scan.
        let known = matches!(kind, ColumnKind::Categorical | ColumnKind::Text)
            || (kind == ColumnKind::Numeric && column.has_numbers());
        if known {
            return Ok(());
        }
        let fits = |cell: &str| match kind {
            ColumnKind::Numeric => parse_number(cell).is_some(),
            ColumnKind::Boolean => parse_bool(cell).is_some(),
            ColumnKind::Datetime => crate::dates::is_datetime(cell),
            ColumnKind::Categorical | ColumnKind::Text => true,
        };
        let bad = column.cells().enumerate().find_map(|(r, c)| c.filter(|c| !fits(c)).map(|c| (r, c)));
        match bad {
            Some((row, cell)) => Err(crate::TabmlError::BadKind {
                column: name.to_owned(),
                kind: kind.label(),
                line: self.line_of(row),
                value: cell.to_owned(),
            }),
            None => Ok(()),
        }
    }

    /// A table of the rows `rows` of this one, in that order, with their file lines.
    pub fn take_rows(&self, rows: &[usize]) -> Table {
        Table {
            columns: self.columns.iter().map(|c| c.take(rows)).collect(),
            n_rows: rows.len(),
            lines: rows.iter().map(|&r| self.line_of(r)).collect(),
        }
    }

    /// The column names in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }
}

/// The most distinct values a column may have and still be called categorical.
const MAX_CATEGORIES: usize = 50;

/// Infers a kind from the present cells: numeric, then boolean, then datetime; otherwise categorical
/// when values repeat (at most 50 distinct, and at most half as many distinct values as rows), else text.
fn infer_kind(column: &Column) -> ColumnKind {
    if column.has_numbers() {
        return ColumnKind::Numeric;
    }
    let present: Vec<&str> = column.cells().flatten().collect();
    if present.is_empty() {
        return ColumnKind::Text;
    }
    if present.iter().all(|c| parse_bool(c).is_some()) {
        return ColumnKind::Boolean;
    }
    if present.iter().all(|c| crate::dates::is_datetime(c)) {
        return ColumnKind::Datetime;
    }
    let mut distinct = std::collections::HashSet::new();
    for cell in &present {
        distinct.insert(*cell);
        if distinct.len() > MAX_CATEGORIES {
            return ColumnKind::Text;
        }
    }
    if distinct.len() * 2 <= present.len() {
        ColumnKind::Categorical
    } else {
        ColumnKind::Text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(values: &[&str]) -> Column {
        Column::new("c".into(), values.iter().map(|v| Some(*v)))
    }

    #[test]
    fn infers_each_kind() {
        assert_eq!(infer_kind(&column(&["1", "2.5", "", "-3e2"])), ColumnKind::Numeric);
        assert_eq!(infer_kind(&column(&["yes", "No", "", "TRUE"])), ColumnKind::Boolean);
        assert_eq!(infer_kind(&column(&["2026-01-02", "2026-11-23T08:00:00"])), ColumnKind::Datetime);
        assert_eq!(infer_kind(&column(&["a", "b", "a", "b", "a"])), ColumnKind::Categorical);
        assert_eq!(infer_kind(&column(&["L1", "L2", "L3", "L4"])), ColumnKind::Text);
        assert_eq!(infer_kind(&column(&["", ""])), ColumnKind::Text);
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
    fn an_infinity_among_numbers_is_missing_and_among_words_a_word() {
        // The spellings pandas reads as ±inf, in a column of numbers: that column stays numeric and
        // each infinity becomes a missing value.
        let table = crate::parse_csv(
            b"x,word\n1.5,inf\ninf,b\n-Infinity,inf\n2,c\n +INF ,d\n-inf,e\ninfinity,f\n3,g\n",
        )
        .unwrap();
        let x = table.column("x").unwrap();
        assert_eq!(x.kind, ColumnKind::Numeric);
        assert_eq!(x.missing_count(), 5);
        assert_eq!(
            x.cells().collect::<Vec<_>>(),
            [Some("1.5"), None, None, Some("2"), None, None, None, Some("3")]
        );
        let numbers: Vec<_> = (0..x.len()).map(|r| x.number(r)).collect();
        assert_eq!(numbers, [Some(1.5), None, None, Some(2.0), None, None, None, Some(3.0)]);
        // In a column of words, `inf` is one more word, as pandas keeps it.
        let word = table.column("word").unwrap();
        assert_eq!(word.missing_count(), 0);
        assert_eq!(word.cell(0), Some("inf"));
        // Taking rows rebuilds cells the same way.
        let taken = x.take(&[1, 0]);
        assert_eq!(taken.cells().collect::<Vec<_>>(), [None, Some("1.5")]);
        assert_eq!(taken.kind, ColumnKind::Numeric);
        // `infx` is no infinity: the column is text and keeps every cell.
        let table = crate::parse_csv(b"x\n1\ninf\ninfx\n").unwrap();
        assert_eq!(table.column("x").unwrap().missing_count(), 0);
    }

    #[test]
    fn value_counts_are_sorted_and_skip_missing() {
        let col = column(&["b", "a", "", "b"]);
        assert_eq!(col.value_counts(), vec![("a".into(), 1), ("b".into(), 2)]);
        assert_eq!(col.missing_count(), 1);
        assert_eq!(col.distinct_count(), 2);
    }

    #[test]
    fn cells_are_trimmed_markers_are_missing_and_numbers_are_kept() {
        let col = Column::new("c".into(), [Some(" 2.5 "), Some("NA"), None, Some("-1")]);
        assert_eq!(col.len(), 4);
        assert_eq!(col.cells().collect::<Vec<_>>(), [Some("2.5"), None, None, Some("-1")]);
        assert_eq!(col.kind, ColumnKind::Numeric);
        assert_eq!((col.number(0), col.number(1), col.number(3)), (Some(2.5), None, Some(-1.0)));
        assert_eq!(col.missing_count(), 2);
        // Rows picked in any order, repeats allowed; the kind is kept even where inference would differ.
        let picked = col.take(&[3, 3, 1]);
        assert_eq!(picked.cells().collect::<Vec<_>>(), [Some("-1"), Some("-1"), None]);
        assert_eq!((picked.kind, picked.number(1)), (ColumnKind::Numeric, Some(-1.0)));
        assert!(col.same_cells(&col.take(&[0, 1, 2, 3])));
        assert!(!col.same_cells(&picked));
    }

    #[test]
    fn a_column_made_numeric_reads_its_numbers() {
        let mut table = crate::parse_csv(
            b"code,y
1,a
2,b
3,a
 4 ,b
",
        )
        .unwrap();
        table.columns[0] = table.columns[0].clone().without_numbers();
        table.columns[0].kind = ColumnKind::Categorical;
        table.set_kind("code", ColumnKind::Numeric).unwrap();
        assert_eq!(table.columns[0].number(3), Some(4.0));
        assert!(table.columns[0].has_numbers());
        // A mixed column answers number() from its text, cell by cell.
        let mixed = Column::new("m".into(), [Some("x"), Some("7")]);
        assert_eq!((mixed.kind, mixed.number(0), mixed.number(1)), (ColumnKind::Text, None, Some(7.0)));
    }

    #[test]
    fn taking_rows_keeps_kinds_cells_and_lines() {
        let mut table = crate::parse_csv(b"x,k\n1,a\n2,b\n3,a\n").unwrap();
        table.set_kind("x", ColumnKind::Categorical).unwrap();
        let part = table.take_rows(&[2, 0]);
        assert_eq!((part.n_rows, part.lines.clone()), (2, vec![4, 2]));
        assert_eq!(part.columns[0].kind, ColumnKind::Categorical);
        assert_eq!(part.columns[0].cells().collect::<Vec<_>>(), [Some("3"), Some("1")]);
    }
}
