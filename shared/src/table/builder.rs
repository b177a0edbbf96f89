//! Collecting one column's cells as a file is read.

use super::column::Column;
use super::infer_kind;
use super::parse::{is_infinity, number_field, read_number, Number};
use super::texts::{spell, written, Texts, Unspelled};

/// Cell texts (compared without case, after trimming) that mean "no value".
pub const MISSING_MARKERS: [&str; 6] = ["", "na", "n/a", "nan", "null", "?"];

/// Collects one column's cells as a file is read: trims each, turns missing markers into missing
/// cells, and reads numbers for as long as every cell so far is one. While it does, it keeps only
/// the texts numbers do not print back; at the first cell that is no number it spells out the
/// texts of the cells before and keeps every text from then on.
#[derive(Debug)]
pub(crate) struct ColumnBuilder {
    /// Each row's number (NaN when missing), while every present cell is a number.
    numbers: Option<Vec<f64>>,
    /// With numbers: the rows whose text is kept (ascending). Without: unused.
    kept_rows: Vec<u32>,
    /// Kept texts back to back (valid UTF-8, as every cell pushed is): with numbers, those of
    /// `kept_rows`; without, every row's.
    text: Vec<u8>,
    /// Where each kept text ends in `text`.
    ends: Vec<u32>,
    /// How many cells so far spell an infinity (`inf`, `-Infinity`…).
    infinities: usize,
    /// With numbers: `Some(n)` once the column shows it is written to `n` decimals (see
    /// [`Unspelled::fixed`]); the texts kept are then those not so written.
    fixed: Option<u8>,
    /// Whether `fixed` may no longer change: a continuation's cells follow
    /// [`FIXED_WITHIN`] rows or more.
    decided: bool,
}

/// A column is taken as written to a fixed number of decimals only when a cell shows it (a
/// trailing zero after the point, with two decimals or more) within its first rows: each cell
/// before is checked again then, so the check stays small. A column whose first such cell comes
/// later keeps those cells' texts.
pub(crate) const FIXED_WITHIN: usize = 64;

impl ColumnBuilder {
    /// A builder with room for `rows` cells.
    pub(crate) fn new(rows: usize) -> Self {
        Self {
            numbers: Some(Vec::with_capacity(rows)),
            kept_rows: Vec::new(),
            text: Vec::new(),
            ends: Vec::new(),
            infinities: 0,
            fixed: None,
            decided: false,
        }
    }

    /// A builder for the cells that follow this one's, read apart (on another thread) and then
    /// appended with [`ColumnBuilder::append`]. It reads numbers if this one still does, printed
    /// to the same decimals; call it only once this one has [`FIXED_WITHIN`] rows, when that
    /// choice is final.
    pub(crate) fn continuation(&self) -> Self {
        match self.numbers {
            Some(_) => Self { fixed: self.fixed, decided: true, ..Self::new(0) },
            None => Self::texts_only(0),
        }
    }

    /// Appends the cells of `later`, a [`ColumnBuilder::continuation`] of this builder that read
    /// the cells after this one's: the column is then as if one builder had read them all. If
    /// either part met a cell that is no number, the other's numbers are spelled out as texts.
    pub(crate) fn append(&mut self, mut later: Self) {
        match (self.numbers.is_some(), later.numbers.is_some()) {
            (true, false) => self.spell_out(),
            (false, true) => later.spell_out(),
            _ => {}
        }
        let rows = u32::try_from(self.rows()).unwrap_or(u32::MAX);
        let text = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        if let (Some(numbers), Some(more)) = (&mut self.numbers, &later.numbers) {
            numbers.extend_from_slice(more);
            self.kept_rows.extend(later.kept_rows.iter().map(|&row| row.saturating_add(rows)));
            self.infinities += later.infinities;
        }
        self.text.extend_from_slice(&later.text);
        self.ends.extend(later.ends.iter().map(|&end| end.saturating_add(text)));
    }

    /// Rows pushed: one number each while the column has numbers, one text each once it has not.
    fn rows(&self) -> usize {
        self.numbers.as_ref().map_or(self.ends.len(), Vec::len)
    }

    /// A builder that keeps texts and reads no numbers (the kind is still inferred from them).
    pub(crate) fn texts_only(rows: usize) -> Self {
        Self { numbers: None, ends: Vec::with_capacity(rows), ..Self::new(0) }
    }

    /// Makes room for `rows` more cells.
    pub(crate) fn reserve(&mut self, rows: usize) {
        match &mut self.numbers {
            Some(numbers) => numbers.reserve(rows),
            None => self.ends.reserve(rows),
        }
    }

    /// Adds one cell's raw text.
    pub(crate) fn push(&mut self, raw: &str) {
        self.push_bytes(raw.as_bytes());
    }

    /// Adds one cell given as the bytes of UTF-8 text (a field of a file already checked to be UTF-8),
    /// so that a cell that is plain ASCII is never validated again.
    pub(crate) fn push_bytes(&mut self, raw: &[u8]) {
        let ascii_trimmed = raw.trim_ascii();
        match (ascii_trimmed.first(), ascii_trimmed.last()) {
            // Unicode white space (a no-break space, say) is trimmed as `str::trim` does.
            (Some(&first), Some(&last)) if first >= 0x80 || last >= 0x80 => {
                let trimmed = std::str::from_utf8(raw).unwrap_or_default().trim();
                self.push_trimmed(trimmed.as_bytes());
            }
            _ => self.push_trimmed(ascii_trimmed),
        }
    }

    /// Adds the field at the start of `rest`, which ends at the first `delimiter` (or with `rest`),
    /// and returns its length. A number that fills the field is taken as it is read.
    pub(crate) fn push_field(&mut self, rest: &[u8], delimiter: u8) -> usize {
        if self.numbers.is_some() {
            if let Some((number, length)) = number_field(rest, delimiter) {
                if !self.prints(number) {
                    self.keep(&rest[..length]);
                }
                self.push_number(number.value);
                return length;
            }
        }
        let length = memchr::memchr(delimiter, rest).unwrap_or(rest.len());
        self.push_bytes(&rest[..length]);
        length
    }

    /// Adds a trimmed cell, kept as text whatever it holds (a missing marker is still missing).
    pub(crate) fn push_text(&mut self, cell: &[u8]) {
        if !is_missing(cell) {
            self.text.extend_from_slice(cell);
        }
        self.end_text();
    }

    fn push_trimmed(&mut self, cell: &[u8]) {
        if self.numbers.is_none() {
            return self.push_text(cell);
        }
        if is_missing(cell) {
            self.push_number(f64::NAN);
        } else if let Some(number) = read_number(cell) {
            if !self.prints(number) {
                self.keep(cell);
            }
            self.push_number(number.value);
        } else if is_infinity(cell) {
            // Missing in a column of numbers; kept in case the column turns out to be words.
            self.keep(cell);
            self.push_number(f64::NAN);
            self.infinities += 1;
        } else {
            self.spell_out();
            self.push_text(cell);
        }
    }

    /// Ends the row being pushed with its number (the column has numbers).
    #[inline(always)]
    fn push_number(&mut self, value: f64) {
        if let Some(numbers) = &mut self.numbers {
            numbers.push(value);
        }
    }

    /// Whether the number of the row being pushed (its text kept or not, its number not pushed
    /// yet) prints back its text, as this column prints its numbers.
    #[inline(always)]
    fn prints(&mut self, number: Number) -> bool {
        match self.fixed {
            Some(decimals) => number.decimals() == decimals,
            // One decimal is not enough to tell: `3.0` is also how Python, pandas and Java print
            // an integral float among shortest forms (`3.0`, `2.75`), which fixed places would
            // then keep as texts.
            None => number.spelled() || (number.decimals() > 1 && self.write_to_decimals(number.decimals())),
        }
    }

    /// Takes the column as written to `decimals` places, at its first cell written so (with a
    /// trailing zero), when that comes within [`FIXED_WITHIN`] rows: every earlier cell whose
    /// number printed its text but is not written to as many places is kept as text now.
    #[cold]
    fn write_to_decimals(&mut self, decimals: u8) -> bool {
        if self.numbers.is_none() || self.decided || self.rows() >= FIXED_WITHIN {
            return false;
        }
        let old = self.unspelled();
        let numbers = self.numbers.as_deref().unwrap_or_default();
        let mut kept = Unspelled::default();
        for (row, value, text) in old.rows_with(numbers) {
            match text {
                Some(text) => kept.push(row, text),
                None if !value.is_nan() => {
                    let shortest = written(value, None);
                    if shortest != written(value, Some(decimals)) {
                        kept.push(row, &shortest);
                    }
                }
                None => {}
            }
        }
        self.kept_rows = kept.rows;
        self.text = kept.texts.text.into_bytes();
        self.ends = kept.texts.ends;
        self.fixed = Some(decimals);
        true
    }

    /// Keeps the text of the row being pushed, before its number (the column has numbers).
    fn keep(&mut self, cell: &[u8]) {
        self.kept_rows.push(u32::try_from(self.rows()).unwrap_or(u32::MAX));
        self.text.extend_from_slice(cell);
        self.end_text();
    }

    fn end_text(&mut self) {
        // Callers keep the total under 4 GiB (`parse_csv` refuses larger files).
        self.ends.push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    /// A cell that is no number arrived: every earlier cell's text is spelled out and the numbers
    /// are dropped.
    fn spell_out(&mut self) {
        let numbers = self.numbers.take().unwrap_or_default();
        let (text, ends) = spell(&numbers, &self.unspelled());
        self.text = text;
        self.ends = ends;
        self.kept_rows = Vec::new();
        self.infinities = 0;
        self.fixed = None;
    }

    /// The kept texts of a builder with numbers.
    fn unspelled(&mut self) -> Unspelled {
        let text = String::from_utf8(std::mem::take(&mut self.text)).unwrap_or_default();
        Unspelled {
            rows: std::mem::take(&mut self.kept_rows),
            texts: Texts { text, ends: std::mem::take(&mut self.ends) },
            fixed: self.fixed,
        }
    }

    /// The finished column, its kind inferred.
    pub(crate) fn finish(mut self, name: String) -> Column {
        if self.infinities > 0 && self.numbers.is_some() {
            self.drop_infinities();
        }
        if self.numbers.as_ref().is_some_and(|n| n.iter().all(|v| v.is_nan())) {
            // A column with no present value has no numbers to keep; it is text.
            self.spell_out();
        }
        let mut column = match self.numbers.take() {
            Some(mut numbers) => {
                numbers.shrink_to_fit();
                let unspelled = self.unspelled();
                Column::from_parts(name, Some(numbers), unspelled, None)
            }
            None => {
                self.text.shrink_to_fit();
                self.ends.shrink_to_fit();
                // One validation per column (fast on ASCII); it cannot fail, as every cell was UTF-8.
                let text = String::from_utf8(self.text)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                Column::from_parts(name, None, Unspelled::default(), Some(Texts { text, ends: self.ends }))
            }
        };
        column.kind = infer_kind(&column);
        column
    }

    /// Forgets the kept texts that spell an infinity: in a column of numbers, ±∞ is no value (as
    /// Evidently and docs/DESIGN.md's drift rules treat it). pandas reads such a column as floats
    /// with infinities; a column of text keeps `inf` as a word, as pandas does.
    fn drop_infinities(&mut self) {
        let text = std::mem::take(&mut self.text);
        let (rows, ends) = (std::mem::take(&mut self.kept_rows), std::mem::take(&mut self.ends));
        let mut start = 0usize;
        for (row, end) in rows.into_iter().zip(ends) {
            let cell = &text[start..end as usize];
            start = end as usize;
            if !is_infinity(cell) {
                self.kept_rows.push(row);
                self.text.extend_from_slice(cell);
                self.end_text();
            }
        }
        self.infinities = 0;
    }
}

/// Whether a trimmed cell is a missing marker. Every marker is at most 4 bytes long: longer cells
/// skip the comparisons.
fn is_missing(cell: &[u8]) -> bool {
    cell.len() <= 4 && MISSING_MARKERS.iter().any(|m| cell.eq_ignore_ascii_case(m.as_bytes()))
}
