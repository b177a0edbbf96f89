//! One column of a table: its numbers, when every present cell is one, and its cells' texts.
//!
//! A column of numbers keeps only the numbers and the few cells whose text the number does not
//! print back (`1e5`, `+3`, `1.50` among numbers printed as Rust prints them): every other cell's
//! text is the number as Rust prints it, or, in a column written to a fixed number of decimals,
//! the number written to as many (`1.50`, `-3.00`). The texts are spelled out from the numbers the
//! first time a caller asks for one, and a drift check or a prediction, which read only the
//! numbers, never builds them. Any other column keeps its texts from the start.

use super::builder::ColumnBuilder;
use super::parse::read_number;
use super::texts::{digits_only, spell, written, Texts, Unspelled};
use super::{parse_bool, parse_number, ColumnKind};
use std::borrow::Cow;
use std::sync::OnceLock;

/// One named column: its inferred kind and its cells.
///
/// One allocation per column instead of one per cell is what makes reading a million-row file
/// fast; keeping numbers without their texts is what keeps its memory near the numbers' own.
#[derive(Debug, Clone)]
pub struct Column {
    /// The name from the header row.
    pub name: String,
    /// The inferred (or user-chosen) kind.
    pub kind: ColumnKind,
    /// Every cell's text: set when the column is built unless it has numbers, else spelled out
    /// from them when first asked for.
    texts: OnceLock<Texts>,
    /// Each row's number (NaN when missing), kept when every present cell is a finite number.
    numbers: Option<Vec<f64>>,
    /// With `numbers`: the cells whose number does not print back as their text.
    unspelled: Unspelled,
}

impl PartialEq for Column {
    fn eq(&self, other: &Self) -> bool {
        let bits = |c: &Column| c.numbers.as_ref().map(|n| n.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        self.name == other.name
            && self.kind == other.kind
            && bits(self) == bits(other)
            && self.same_cells(other)
    }
}

/// The cells of a column as a key, equal for two columns exactly when [`Column::same_cells`] holds.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) enum CellsKey<'a> {
    /// A column of numbers: their bits, and the cells whose text is not the number as Rust prints
    /// it (rows, texts, ends), whichever way the column prints its other cells.
    Numbers(Vec<u64>, Cow<'a, [u32]>, Cow<'a, str>, Cow<'a, [u32]>),
    /// Any other column: its texts.
    Texts(&'a str, &'a [u32]),
}

impl Column {
    /// Builds a column from its cells (`None` for a missing value) and infers its kind. A present
    /// cell is trimmed; one that is empty after trimming counts as missing.
    pub fn new<'a>(name: String, cells: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        let mut builder = ColumnBuilder::new(0);
        for cell in cells {
            builder.push(cell.unwrap_or_default());
        }
        builder.finish(name)
    }

    /// A column of numbers without texts, or of texts without numbers; its kind still to infer.
    pub(super) fn from_parts(
        name: String,
        numbers: Option<Vec<f64>>,
        unspelled: Unspelled,
        texts: Option<Texts>,
    ) -> Self {
        let cell_texts = OnceLock::new();
        if let Some(texts) = texts {
            let _ = cell_texts.set(texts);
        }
        Column { name, kind: ColumnKind::Text, texts: cell_texts, numbers, unspelled }
    }

    /// Every cell's text, spelled out from the numbers on first use.
    fn texts(&self) -> &Texts {
        self.texts.get_or_init(|| {
            let (text, ends) = spell(self.numbers.as_deref().unwrap_or_default(), &self.unspelled);
            // Spelled numbers and kept cells are UTF-8.
            Texts { text: String::from_utf8(text).unwrap_or_default(), ends }
        })
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        match (&self.numbers, self.texts.get()) {
            (Some(numbers), _) => numbers.len(),
            (None, Some(texts)) => texts.len(),
            (None, None) => 0,
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether this column keeps its numbers (every present cell is one).
    pub(crate) fn has_numbers(&self) -> bool {
        self.numbers.is_some()
    }

    /// The text of the cell at `row`, `None` when missing.
    pub fn cell(&self, row: usize) -> Option<&str> {
        self.texts().get(row)
    }

    /// The text of the cell at `row`, `None` when missing, without spelling out the whole column
    /// (for a look at a few cells).
    pub fn text(&self, row: usize) -> Option<Cow<'_, str>> {
        match (&self.numbers, self.texts.get()) {
            (Some(numbers), None) => match self.unspelled.text(row) {
                Some(text) => Some(Cow::Borrowed(text)),
                None => {
                    (!numbers[row].is_nan()).then(|| Cow::Owned(written(numbers[row], self.unspelled.fixed)))
                }
            },
            _ => self.cell(row).map(Cow::Borrowed),
        }
    }

    /// Every cell in row order, `None` where missing.
    pub fn cells(&self) -> impl ExactSizeIterator<Item = Option<&str>> + '_ {
        let texts = self.texts();
        (0..texts.len()).map(|row| texts.get(row))
    }

    /// Whether the cell at `row` is missing.
    pub fn is_missing(&self, row: usize) -> bool {
        match &self.numbers {
            Some(numbers) => numbers[row].is_nan(),
            None => self.cell(row).is_none(),
        }
    }

    /// The number of missing cells.
    pub fn missing_count(&self) -> usize {
        match &self.numbers {
            Some(numbers) => numbers.iter().filter(|v| v.is_nan()).count(),
            None => {
                let mut start = 0;
                let mut missing = 0;
                for &end in &self.texts().ends {
                    missing += usize::from(end == start);
                    start = end;
                }
                missing
            }
        }
    }

    /// The cell at `row` as a number, `None` when missing or not a finite number.
    pub fn number(&self, row: usize) -> Option<f64> {
        match &self.numbers {
            Some(numbers) => Some(numbers[row]).filter(|v| !v.is_nan()),
            None => self.cell(row).and_then(parse_number),
        }
    }

    /// Whether the cell at `row` is present and written as an integer: digits only, after an
    /// optional sign (pandas reads a column of such cells as integers).
    pub fn written_as_integer(&self, row: usize) -> bool {
        match (&self.numbers, self.texts.get()) {
            (Some(numbers), None) => match self.unspelled.text(row) {
                Some(text) => digits_only(text),
                // Rust prints an integral value as digits only; written to decimals, it has a point.
                None => {
                    self.unspelled.fixed.is_none() && !numbers[row].is_nan() && numbers[row].fract() == 0.0
                }
            },
            _ => self.cell(row).is_some_and(digits_only),
        }
    }

    /// Whether every cell is present and written as an integer ([`Column::written_as_integer`]).
    pub fn written_as_integers(&self) -> bool {
        match (&self.numbers, self.texts.get()) {
            // The first number with a fraction or missing usually settles it.
            (Some(numbers), None) => {
                // Written to fixed decimals, every cell not kept has a point.
                (self.unspelled.fixed.is_none() || self.unspelled.rows.len() == numbers.len())
                    && numbers.iter().all(|v| !v.is_nan() && v.fract() == 0.0)
                    && self.unspelled.all_integers()
            }
            _ => (0..self.len()).all(|row| self.written_as_integer(row)),
        }
    }

    /// Each row's number (NaN where missing), when the column keeps numbers.
    pub(crate) fn numbers(&self) -> Option<&[f64]> {
        self.numbers.as_deref()
    }

    /// The cell at `row` as a boolean, `None` when missing or not a recognised boolean word.
    pub fn boolean(&self, row: usize) -> Option<bool> {
        self.cell(row).and_then(parse_bool)
    }

    /// Whether both columns hold the same cells, row by row (names and kinds aside).
    pub fn same_cells(&self, other: &Column) -> bool {
        match (self.numbers.is_some(), other.numbers.is_some()) {
            (true, true) => self.cells_key() == other.cells_key(),
            _ => self.texts() == other.texts(),
        }
    }

    /// The cells as a key equal for two columns exactly when [`Column::same_cells`] holds, to find
    /// equal columns by hashing instead of comparing every pair.
    pub(crate) fn cells_key(&self) -> CellsKey<'_> {
        match &self.numbers {
            Some(numbers) => {
                let bits = numbers
                    .iter()
                    .map(|v| if v.is_nan() { f64::NAN.to_bits() } else { v.to_bits() })
                    .collect();
                match self.unspelled.fixed {
                    None => CellsKey::Numbers(
                        bits,
                        Cow::Borrowed(&self.unspelled.rows),
                        Cow::Borrowed(&self.unspelled.texts.text),
                        Cow::Borrowed(&self.unspelled.texts.ends),
                    ),
                    Some(_) => {
                        let Unspelled { rows, texts, .. } = self.unspelled.as_printed_by_rust(numbers);
                        CellsKey::Numbers(
                            bits,
                            Cow::Owned(rows),
                            Cow::Owned(texts.text),
                            Cow::Owned(texts.ends),
                        )
                    }
                }
            }
            None => {
                let texts = self.texts();
                CellsKey::Texts(&texts.text, &texts.ends)
            }
        }
    }

    /// A column of the same name and kind whose row `i` is this column's row `rows[i]`.
    pub fn take(&self, rows: &[usize]) -> Column {
        let mut column = match &self.numbers {
            Some(numbers) => {
                let mut unspelled = Unspelled { fixed: self.unspelled.fixed, ..Unspelled::default() };
                for (i, &row) in rows.iter().enumerate() {
                    if let Some(cell) = self.unspelled.text(row) {
                        unspelled.push(i, cell);
                    }
                }
                let numbers = rows.iter().map(|&r| numbers[r]).collect();
                Column::from_parts(self.name.clone(), Some(numbers), unspelled, None)
            }
            None => {
                let mut builder = ColumnBuilder::texts_only(rows.len());
                for &row in rows {
                    builder.push_text(self.cell(row).unwrap_or_default().as_bytes());
                }
                builder.finish(self.name.clone())
            }
        };
        column.kind = self.kind;
        column
    }

    /// How many distinct present values there are (without copying them, as `value_counts` does).
    pub fn distinct_count(&self) -> usize {
        match (&self.numbers, self.texts.get()) {
            (Some(numbers), None) => {
                // The printed form of a number is unique to it, and never the text of a cell
                // kept because its number does not print it: count both apart.
                let mut bits: Vec<u64> = self
                    .unspelled
                    .rows_with(numbers)
                    .filter(|&(_, v, kept)| kept.is_none() && !v.is_nan())
                    .map(|(_, v, _)| v.to_bits())
                    .collect();
                bits.sort_unstable();
                bits.dedup();
                let kept: std::collections::HashSet<&str> =
                    (0..self.unspelled.rows.len()).filter_map(|i| self.unspelled.texts.get(i)).collect();
                bits.len() + kept.len()
            }
            _ => self.cells().flatten().collect::<std::collections::HashSet<_>>().len(),
        }
    }

    /// The distinct present values, sorted, with how often each occurs.
    pub fn value_counts(&self) -> Vec<(String, usize)> {
        let mut counts = std::collections::BTreeMap::<&str, usize>::new();
        for cell in self.cells().flatten() {
            *counts.entry(cell).or_default() += 1;
        }
        counts.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    /// Makes the column's numbers those of its cells (each must read as one, or be missing), keeping
    /// its texts.
    pub(super) fn read_numbers(&mut self) {
        if self.numbers.is_some() {
            return;
        }
        let texts = self.texts();
        let mut numbers = Vec::with_capacity(texts.len());
        let mut unspelled = Unspelled::default();
        for row in 0..texts.len() {
            let cell = texts.get(row);
            let number = cell.and_then(|c| read_number(c.as_bytes()));
            numbers.push(number.map_or(f64::NAN, |n| n.value));
            if let (Some(cell), Some(false)) = (cell, number.map(|n| n.spelled())) {
                unspelled.push(row, cell);
            }
        }
        self.numbers = Some(numbers);
        self.unspelled = unspelled;
    }

    /// The same column without its numbers, as if a cell were not one (for tests of
    /// [`Column::read_numbers`]).
    #[cfg(test)]
    pub(crate) fn without_numbers(mut self) -> Self {
        self.texts();
        self.numbers = None;
        self.unspelled = Unspelled::default();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_written_to_fixed_decimals_keeps_no_texts_and_prints_them_back() {
        let cells = |c: &Column| c.cells().map(|c| c.map(str::to_owned)).collect::<Vec<_>>();
        // Four decimals throughout, trailing zeros and all, read from a file (and cell by cell).
        let values = ["-2.4690", "0.0000", "-0.0000", "1.0057", "12.3000", "-7.1111"];
        let text: String =
            std::iter::once("x\n".to_owned()).chain(values.iter().map(|v| format!("{v}\n"))).collect();
        for column in [
            crate::parse_csv(text.as_bytes()).unwrap().columns.remove(0),
            Column::new("x".into(), values.iter().map(|v| Some(*v))),
        ] {
            assert_eq!(column.unspelled.fixed, Some(4));
            assert!(column.unspelled.rows.is_empty());
            assert_eq!(cells(&column), values.iter().map(|v| Some((*v).to_owned())).collect::<Vec<_>>());
            assert_eq!(column.text(0).as_deref(), Some("-2.4690"));
            assert!(!column.written_as_integers() && !column.written_as_integer(1));
        }
        // The first padded cell at row 3: the cells before that two decimals would not print back
        // are kept then, and so is every later cell not written to two.
        let values = ["1.5", "3", "-0.25", "2.50", "7", "0.125", "4.75", "", "1.5"];
        let column = Column::new("y".into(), values.iter().map(|v| Some(*v)));
        assert_eq!(column.unspelled.fixed, Some(2));
        assert_eq!(column.unspelled.rows, [0, 1, 4, 5, 8]);
        let expected: Vec<_> = values.iter().map(|v| (!v.is_empty()).then(|| (*v).to_owned())).collect();
        assert_eq!(cells(&column), expected);
        assert!(
            column.written_as_integer(1) && column.written_as_integer(4) && !column.written_as_integer(2)
        );
        let taken = column.take(&[3, 1, 2]);
        assert_eq!(cells(&taken), [Some("2.50".to_owned()), Some("3".to_owned()), Some("-0.25".to_owned())]);
        assert!(taken.same_cells(&Column::new("t".into(), [Some("2.50"), Some("3"), Some("-0.25")])));
        assert!(!taken.same_cells(&Column::new("t".into(), [Some("2.5"), Some("3"), Some("-0.25")])));
        // Columns with the same texts are the same cells, whichever way each prints its numbers.
        let fixed = Column::new("a".into(), [Some("2.50"), Some("3"), Some("1.5"), Some("-0.20")]);
        let plain = Column::new("a".into(), [Some("3"), Some("1.5")]);
        assert!(fixed.take(&[1, 2]).same_cells(&plain) && fixed.take(&[1, 2]) == plain);
        let mut read = fixed.clone().without_numbers();
        read.read_numbers();
        assert!(read.unspelled.fixed.is_none() && read.same_cells(&fixed) && fixed.same_cells(&read));
        assert!(
            !fixed.same_cells(&Column::new("a".into(), [Some("2.5"), Some("3"), Some("1.5"), Some("-0.20")]))
        );
        // Taken rows that are all kept texts: integers, whatever the column printed.
        let taken = fixed.take(&[1]);
        assert!(taken.written_as_integers());
        taken.cells().for_each(drop);
        assert!(taken.written_as_integers());
        // `3.0` among shortest forms, as pandas writes integral floats: the column stays printed
        // as Rust prints numbers, and only `3.0` keeps its text.
        let pandas = ["3.0", "2.75", "0.1", "12.0"];
        let column = Column::new("p".into(), pandas.iter().map(|v| Some(*v)));
        assert_eq!((column.unspelled.fixed, &column.unspelled.rows[..]), (None, &[0, 3][..]));
        assert_eq!(cells(&column), pandas.iter().map(|v| Some((*v).to_owned())).collect::<Vec<_>>());
        // A padded cell only after the first rows is kept, and the column prints as Rust does.
        let late: Vec<String> = (0..100).map(|i| format!("{}.5", i)).chain(["2.50".to_owned()]).collect();
        let column = Column::new("z".into(), late.iter().map(|v| Some(v.as_str())));
        assert_eq!(column.unspelled.fixed, None);
        assert_eq!(column.unspelled.rows, [100]);
        assert_eq!(cells(&column), late.iter().map(|v| Some(v.clone())).collect::<Vec<_>>());
    }
}
