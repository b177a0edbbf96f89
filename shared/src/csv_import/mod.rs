//! Reading CSV text into a [`Table`]: byte-order mark, delimiter detection, quoted fields, CRLF,
//! missing-value markers, and an error that names the line for every way a file can be wrong.
//!
//! [`CsvReader`] takes the text a chunk at a time (the command line feeds it a file as it reads,
//! so the file's bytes are never all in memory with the table); [`parse_csv`] feeds it one slice.
//! `records.rs` splits records and fields. The delimiter is a comma, a semicolon or a tab,
//! whichever the header uses most. More than 4 GiB is refused (`CsvError::TooLarge`): cells are
//! addressed by 32-bit offsets.

mod records;
mod split;

use crate::error::CsvError;
pub use crate::table::MISSING_MARKERS;
use crate::table::{ColumnBuilder, Table};
use records::{read_record, Record};

/// The largest input read: a column's cells are addressed by 32-bit offsets.
pub const MAX_BYTES: u64 = u32::MAX as u64;

/// Delimiters tried when none is given, in order of preference on a tie.
const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads CSV bytes with a header row into a table, detecting the delimiter (the one among `,` `;`
/// and tab that the header uses most).
pub fn parse_csv(bytes: &[u8]) -> Result<Table, CsvError> {
    // The line count bounds the row count: every column is sized once instead of grown by copies.
    let lines = memchr::memchr_iter(b'\n', bytes).count() + 1;
    let mut reader = CsvReader::with_rows(lines);
    reader.feed(bytes)?;
    reader.finish()
}

/// Reads CSV text given a chunk at a time, as it arrives: [`CsvReader::feed`] each chunk in order
/// (cut anywhere), then [`CsvReader::finish`]. Only the unfinished last record of a chunk is kept
/// until the next one comes. Errors are those of [`parse_csv`], for the same input.
#[derive(Debug)]
pub struct CsvReader {
    /// Input not read yet: the unfinished record at the end of the last chunk.
    carry: Vec<u8>,
    /// Try reading `carry` again only once it holds this many bytes: a record that more input
    /// did not finish is tried again when its bytes have doubled, not rescanned from its start
    /// for every chunk.
    retry_at: usize,
    /// Bytes of `carry` already checked to be UTF-8.
    checked: usize,
    /// Bytes taken so far (after the byte-order mark) and the mark's length.
    taken: u64,
    bom: u64,
    /// Whether the start of the input (a possible byte-order mark) is behind us.
    started: bool,
    /// The line the next byte is on (1-based).
    line: u64,
    /// The header's names and delimiter, once read.
    names: Vec<String>,
    delimiter: Option<u8>,
    /// Whether only white space has been seen so far: a header of blanks waits to see whether
    /// the whole input is blank (an empty file) or not (a blank column name).
    blank_header: bool,
    columns: Vec<ColumnBuilder>,
    lines: Vec<u64>,
    rows_hint: usize,
    /// The input's whole size, when known, to size the columns once the first rows show how long
    /// a row is.
    expected_bytes: Option<u64>,
    record: Record,
}

impl Default for CsvReader {
    fn default() -> Self {
        Self::with_rows(0)
    }
}

impl CsvReader {
    /// A reader for input of any size.
    pub fn new() -> Self {
        Self::default()
    }

    /// A reader that sizes its columns for `rows` rows at first.
    pub fn with_rows(rows: usize) -> Self {
        Self {
            carry: Vec::new(),
            retry_at: 0,
            checked: 0,
            taken: 0,
            bom: 0,
            started: false,
            line: 1,
            names: Vec::new(),
            delimiter: None,
            blank_header: false,
            columns: Vec::new(),
            lines: Vec::new(),
            rows_hint: rows,
            expected_bytes: None,
            record: Record::default(),
        }
    }

    /// Says how many bytes the whole input has (a file's size), so that the columns are sized
    /// once from the first chunk's rows instead of grown by doubling.
    pub fn expect_bytes(&mut self, bytes: u64) {
        self.expected_bytes = Some(bytes);
    }

    /// Reads the complete records of `chunk` (after what earlier chunks left unfinished).
    pub fn feed(&mut self, mut chunk: &[u8]) -> Result<(), CsvError> {
        let total = self.taken + self.carry.len() as u64 + chunk.len() as u64;
        if total > MAX_BYTES {
            return Err(CsvError::TooLarge { bytes: total + self.bom, max: MAX_BYTES });
        }
        if !self.carry.is_empty() {
            // The chunk's first line usually ends the record left unfinished: only that line is
            // copied to it, and the rest of the chunk is read where it lies.
            let cut = memchr::memchr(b'\n', chunk).map_or(chunk.len(), |i| i + 1);
            self.carry.extend_from_slice(&chunk[..cut]);
            chunk = &chunk[cut..];
            if self.carry.len() >= self.retry_at {
                let carry = std::mem::take(&mut self.carry);
                let used = self.read(&carry, false)?;
                self.carry = carry;
                self.carry.drain(..used);
                self.retry_at = 2 * self.carry.len();
            }
            if !self.carry.is_empty() {
                // Still unfinished (a quoted field with line ends, say): gather more.
                self.carry.extend_from_slice(chunk);
                return Ok(());
            }
        }
        let used = self.read(chunk, false)?;
        self.carry.extend_from_slice(&chunk[used..]);
        // Any more input may finish a record cut by the chunk's end.
        self.retry_at = 0;
        Ok(())
    }

    /// Reads what is left and returns the table.
    pub fn finish(mut self) -> Result<Table, CsvError> {
        let carry = std::mem::take(&mut self.carry);
        self.read(&carry, true)?;
        if self.delimiter.is_none() || self.blank_header {
            return Err(CsvError::Empty);
        }
        let n_rows = self.lines.len();
        if n_rows == 0 {
            return Err(CsvError::HeaderOnly);
        }
        let mut lines = self.lines;
        lines.shrink_to_fit();
        let columns =
            self.names.into_iter().zip(self.columns).map(|(name, column)| column.finish(name)).collect();
        Ok(Table { columns, n_rows, lines })
    }

    /// Reads the complete records at the start of `input` (all of it `at_end`); returns how many
    /// bytes they took.
    fn read(&mut self, mut input: &[u8], at_end: bool) -> Result<usize, CsvError> {
        let mut skipped = 0;
        if !self.started {
            if input.len() < BOM.len() && !at_end && BOM.starts_with(input) {
                return Ok(0);
            }
            self.started = true;
            if input.starts_with(BOM) {
                input = &input[BOM.len()..];
                (skipped, self.bom) = (BOM.len(), BOM.len() as u64);
            }
        }
        // Records are read only from checked bytes. Those before a bad byte's line are read first:
        // the first error in the file is reported, however the input was cut into chunks.
        let (checked, bad_byte) = self.check_utf8(input, at_end);
        let at = self.records(&input[..checked], at_end && bad_byte.is_none())?;
        if let Some(error) = bad_byte {
            return Err(error);
        }
        self.taken += at as u64;
        self.checked -= at;
        if let (Some(total), false) = (self.expected_bytes, self.lines.is_empty()) {
            // Rows to come, from the mean length so far, with a little room (trimmed at the end).
            let rows = (total as f64 / self.taken as f64 * self.lines.len() as f64 * 1.02) as usize;
            let more = rows.saturating_sub(self.lines.len());
            self.lines.reserve(more);
            self.columns.iter_mut().for_each(|c| c.reserve(more));
            self.expected_bytes = None;
        }
        Ok(at + skipped)
    }

    /// Reads the complete records at the start of checked `input` (all of it `at_end`); returns how
    /// many bytes they took. Kept apart from `read`: inlined there, beside a pending UTF-8 error,
    /// its loop took 8 more instructions per cell (callgrind).
    #[inline(never)]
    fn records(&mut self, input: &[u8], at_end: bool) -> Result<usize, CsvError> {
        let mut at = 0;
        loop {
            while at < input.len() && matches!(input[at], b'\n' | b'\r') {
                self.line += u64::from(input[at] == b'\n');
                at += 1;
            }
            if at == input.len() {
                break;
            }
            let delimiter = match self.delimiter {
                Some(d) => d,
                None => match header_delimiter(&input[at..], at_end) {
                    Some(d) => d,
                    None => break,
                },
            };
            let Some(read) = read_record(input, at, delimiter, at_end, &mut self.record) else { break };
            if self.delimiter.is_none() || self.blank_header {
                self.record.split(delimiter, input);
                self.header(&input[at..read.next], delimiter, input)?;
            } else if let Some((start, end)) = self.record.plain {
                self.plain_row(&input[start..end], delimiter)?;
            } else {
                self.row(input)?;
            }
            self.line += read.newlines;
            at = read.next;
        }
        Ok(at)
    }

    /// Checks that `input` is UTF-8 up to its last line end (all of it `at_end`), where no
    /// character can be cut, and returns that length. At a bad byte, returns the length of the
    /// lines before its line, and the error.
    fn check_utf8(&mut self, input: &[u8], at_end: bool) -> (usize, Option<CsvError>) {
        let upto = if at_end { input.len() } else { memchr::memrchr(b'\n', input).map_or(0, |i| i + 1) };
        let from = self.checked.min(upto);
        if let Err(e) = std::str::from_utf8(&input[from..upto]) {
            let offset = from + e.valid_up_to();
            let line = self.line + memchr::memchr_iter(b'\n', &input[..offset]).count() as u64;
            let error = CsvError::NotUtf8 { line, byte_offset: self.bom + self.taken + offset as u64 };
            self.checked = memchr::memrchr(b'\n', &input[..offset]).map_or(0, |i| i + 1);
            return (self.checked, Some(error));
        }
        self.checked = upto;
        (upto, None)
    }

    /// Takes the header record: its names (checked) and the delimiter.
    fn header(&mut self, raw: &[u8], delimiter: u8, input: &[u8]) -> Result<(), CsvError> {
        let names: Vec<String> = self.record.fields(input).map(|h| field_text(h).trim().to_owned()).collect();
        let blank = field_text(raw).trim().is_empty();
        if self.blank_header && !blank {
            // Something follows a blank first line: its blank name is the error.
            return Err(CsvError::EmptyColumnName { column: 1 });
        }
        self.delimiter = Some(delimiter);
        if blank {
            self.blank_header = true;
            return Ok(());
        }
        check_header(&names)?;
        self.columns = (0..names.len()).map(|_| ColumnBuilder::new(self.rows_hint)).collect();
        self.lines = Vec::with_capacity(self.rows_hint);
        self.names = names;
        Ok(())
    }

    /// Takes a plain data record (no quote, no lone `\r`), field by field: a number that ends
    /// where its field does is read as the field is found, without a second pass over it.
    fn plain_row(&mut self, line: &[u8], delimiter: u8) -> Result<(), CsvError> {
        let mut at = 0;
        for (i, column) in self.columns.iter_mut().enumerate() {
            if i > 0 {
                if at == line.len() {
                    return Err(self.ragged(line, delimiter));
                }
                // `line[at]` is the delimiter that ended the field before.
                at += 1;
            }
            at += column.push_field(&line[at..], delimiter);
        }
        if at != line.len() {
            return Err(self.ragged(line, delimiter));
        }
        self.lines.push(self.line);
        Ok(())
    }

    fn ragged(&self, line: &[u8], delimiter: u8) -> CsvError {
        let found = memchr::memchr_iter(delimiter, line).count() + 1;
        CsvError::RaggedRow { line: self.line, expected: self.names.len(), found }
    }

    /// Takes a quoted data record.
    fn row(&mut self, input: &[u8]) -> Result<(), CsvError> {
        let found = self.record.bounds.len();
        if found != self.names.len() {
            return Err(CsvError::RaggedRow { line: self.line, expected: self.names.len(), found });
        }
        self.lines.push(self.line);
        for (column, field) in self.columns.iter_mut().zip(self.record.fields(input)) {
            column.push_bytes(field);
        }
        Ok(())
    }
}

/// The delimiter the header line uses most, or `None` when the line may not have ended yet.
fn header_delimiter(input: &[u8], at_end: bool) -> Option<u8> {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut in_quotes = false;
    let mut ended = at_end;
    for &b in input {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                ended = true;
                break;
            }
            _ if !in_quotes => {
                if let Some(i) = DELIMITERS.iter().position(|&d| d == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let best = (0..DELIMITERS.len()).max_by_key(|&i| (counts[i], usize::MAX - i)).unwrap_or(0);
    ended.then_some(DELIMITERS[best])
}

fn check_header(names: &[String]) -> Result<(), CsvError> {
    let mut seen = std::collections::HashMap::<&str, usize>::new();
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            return Err(CsvError::EmptyColumnName { column: i + 1 });
        }
        if let Some(first) = seen.insert(name.as_str(), i + 1) {
            return Err(CsvError::DuplicateColumn { name: name.clone(), first, second: i + 1 });
        }
    }
    Ok(())
}

fn field_text(field: &[u8]) -> &str {
    std::str::from_utf8(field).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Column, ColumnKind};

    #[test]
    fn reads_quotes_bom_crlf_and_missing_markers() {
        let text = "\u{feff}name,score,note\r\n\"Smith, J\",1.5,\"said \"\"hi\"\"\"\r\nLee,NA,?\r\n";
        let table = parse_csv(text.as_bytes()).unwrap();
        assert_eq!(table.n_rows, 2);
        assert_eq!(table.column_names(), ["name", "score", "note"]);
        assert_eq!(table.columns[0].cell(0), Some("Smith, J"));
        assert_eq!(table.columns[2].cell(0), Some("said \"hi\""));
        assert_eq!(table.columns[1].cell(1), None);
        assert_eq!(table.columns[2].cell(1), None);
        assert_eq!(table.columns[1].kind, ColumnKind::Numeric);
        assert_eq!(table.lines, [2, 3]);
        // White space is trimmed as `str::trim` does, no-break spaces included; other text is kept.
        let spaced = parse_csv("a,b\n\u{a0}x\u{a0}, é \n".as_bytes()).unwrap();
        assert_eq!(spaced.columns[0].cell(0), Some("x"));
        assert_eq!(spaced.columns[1].cell(0), Some("é"));
    }

    #[test]
    fn detects_semicolon_and_tab() {
        let semi = parse_csv(b"a;b\n1,5;2\n").unwrap();
        assert_eq!(semi.column_names(), ["a", "b"]);
        assert_eq!(semi.columns[0].cell(0), Some("1,5"));
        let tab = parse_csv(b"a\tb\n1\t2\n").unwrap();
        assert_eq!(tab.column_names(), ["a", "b"]);
    }

    #[test]
    fn ragged_row_names_its_line() {
        let err = parse_csv(b"a,b\n1,2\n3\n").unwrap_err();
        assert_eq!(err, CsvError::RaggedRow { line: 3, expected: 2, found: 1 });
        assert_eq!(err.to_string(), "line 3: expected 2 fields (as in the header) but found 1");
        let crlf = parse_csv(b"a,b\r\n1,2\r\n\r\n3\r\n").unwrap_err();
        assert_eq!(crlf, CsvError::RaggedRow { line: 4, expected: 2, found: 1 });
        // A quoted field may span lines; the next row's line still counts them.
        let multi = parse_csv(b"a,b\n\"x\ny\",2\n3\n").unwrap_err();
        assert_eq!(multi, CsvError::RaggedRow { line: 4, expected: 2, found: 1 });
    }

    #[test]
    fn each_broken_file_gets_its_own_error() {
        assert_eq!(parse_csv(b"").unwrap_err(), CsvError::Empty);
        assert_eq!(parse_csv(b"\xEF\xBB\xBF \n").unwrap_err(), CsvError::Empty);
        assert_eq!(parse_csv(b"a,b\n").unwrap_err(), CsvError::HeaderOnly);
        assert_eq!(
            parse_csv(b"a,b\n1,2\n\xff,3\n").unwrap_err(),
            CsvError::NotUtf8 { line: 3, byte_offset: 8 }
        );
        assert_eq!(
            parse_csv(b"a,b,a\n1,2,3\n").unwrap_err(),
            CsvError::DuplicateColumn { name: "a".into(), first: 1, second: 3 }
        );
        assert_eq!(parse_csv(b"a,,c\n1,2,3\n").unwrap_err(), CsvError::EmptyColumnName { column: 2 });
    }

    /// The table the csv crate's reading gives (trimmed cells, blank lines skipped), or `None`
    /// where a file is refused.
    fn csv_crate_cells(text: &[u8]) -> Option<Vec<Vec<String>>> {
        let delimiter = header_delimiter(text.strip_prefix(BOM).unwrap_or(text), true)?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(text.strip_prefix(BOM).unwrap_or(text));
        let rows: Vec<Vec<String>> = reader
            .byte_records()
            .map(|r| r.unwrap().iter().map(|f| String::from_utf8_lossy(f).trim().to_owned()).collect())
            .collect();
        Some(rows)
    }

    fn cells_of(table: &Table) -> Vec<Vec<String>> {
        let mut rows = vec![table.column_names().iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()];
        for r in 0..table.n_rows {
            rows.push(table.columns.iter().map(|c| c.cell(r).unwrap_or_default().to_owned()).collect());
        }
        rows
    }

    #[test]
    fn any_cut_into_chunks_reads_the_same_as_one_slice_and_as_the_csv_crate() {
        let pieces: [&[u8]; 15] = [
            b"a",
            b"1",
            b"2.50",
            b"-7",
            b",",
            b",",
            b"\"",
            b"\n",
            b"\r\n",
            b"\r",
            b" ",
            b"inf",
            b"NA",
            "é".as_bytes(),
            b"\xff",
        ];
        let mut rng = crate::rng::SplitMix64::new(3);
        let mut compared = 0;
        for _ in 0..3000 {
            let mut text = b"x,y\n".to_vec();
            for _ in 0..rng.below(40) {
                text.extend_from_slice(pieces[rng.below(pieces.len())]);
            }
            let whole = parse_csv(&text);
            for cut in [1, 2, 3, 5, 8] {
                let mut reader = CsvReader::new();
                let fed: Result<(), CsvError> = text.chunks(cut).try_for_each(|c| reader.feed(c));
                let chunked = fed.and_then(|()| reader.finish());
                assert_eq!(chunked, whole, "{:?} cut every {cut}", String::from_utf8_lossy(&text));
            }
            if let (Ok(table), Some(theirs)) = (&whole, csv_crate_cells(&text)) {
                let theirs: Vec<Vec<String>> = theirs
                    .into_iter()
                    .map(|row| {
                        row.into_iter()
                            .map(|c| {
                                if MISSING_MARKERS.iter().any(|m| c.eq_ignore_ascii_case(m)) {
                                    String::new()
                                } else {
                                    c
                                }
                            })
                            .collect()
                    })
                    .collect();
                let ours = cells_of(table);
                // Infinities among numbers (or alone) are missing; elsewhere every cell is the csv
                // crate's.
                let numeric_inf = |c: usize| {
                    let column = &table.columns[c];
                    column.has_numbers() || column.missing_count() == column.len()
                };
                for (row, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                    for (c, (x, y)) in a.iter().zip(b).enumerate() {
                        if !(row > 0 && numeric_inf(c) && crate::table::is_infinity(y.as_bytes())) {
                            assert_eq!(x, y, "{:?}", String::from_utf8_lossy(&text));
                        }
                    }
                }
                compared += 1;
            }
        }
        assert!(compared > 100, "{compared}");
    }

    #[test]
    fn numbers_give_back_their_texts() {
        let text = "n,m\n1.50,1\n-0,2e3\n0.000123,+4\n,7\ninf,1e400\n12345678901234567,0.1\n";
        let table = parse_csv(text.as_bytes()).unwrap();
        let n = &table.columns[0];
        assert!(n.has_numbers());
        assert_eq!(
            n.cells().collect::<Vec<_>>(),
            [Some("1.50"), Some("-0"), Some("0.000123"), None, None, Some("12345678901234567")]
        );
        assert_eq!(n.distinct_count(), 4);
        assert!(!n.written_as_integer(0) && n.written_as_integer(1) && n.written_as_integer(5));
        // `1e400` is too large to be a finite number: the column is words, every text kept.
        let m = &table.columns[1];
        assert_eq!(m.kind, ColumnKind::Text);
        assert_eq!(
            m.cells().collect::<Vec<_>>(),
            [Some("1"), Some("2e3"), Some("+4"), Some("7"), Some("1e400"), Some("0.1")]
        );
        // A numeric column's cells taken by rows keep their texts, without spelling them all out.
        let taken = n.take(&[5, 0, 3]);
        assert_eq!(taken.cells().collect::<Vec<_>>(), [Some("12345678901234567"), Some("1.50"), None]);
        assert!(taken.same_cells(&Column::new("t".into(), [Some("12345678901234567"), Some("1.50"), None])));
    }

    #[test]
    fn every_number_on_a_line_reads_as_the_standard_parser_reads_it_and_keeps_its_text() {
        // Decimals of every length and form, several to a line, so that each of the reader's
        // paths (one window, two windows, the general path, the last cells of a line) is taken.
        let mut rng = crate::rng::SplitMix64::new(19);
        let digits = |rng: &mut crate::rng::SplitMix64, n: usize| -> String {
            (0..n).map(|_| char::from(b'0' + rng.below(10) as u8)).collect()
        };
        let mut text = String::from("a,b,c,d,e,f\n");
        let mut cells = Vec::new();
        for _ in 0..4000 {
            for column in 0..6 {
                let mut cell = ["", "-", "+"][rng.below(3)].to_owned();
                let length = rng.below(10);
                cell += &digits(&mut rng, length);
                if rng.below(4) > 0 {
                    cell.push('.');
                    let length = rng.below(12);
                    cell += &digits(&mut rng, length);
                }
                if !cell.bytes().any(|b| b.is_ascii_digit()) {
                    cell += "0";
                }
                if rng.below(8) == 0 {
                    let length = 1 + rng.below(2);
                    cell += &format!("e-{}", digits(&mut rng, length));
                }
                text += &cell;
                text.push(if column == 5 { '\n' } else { ',' });
                cells.push(cell);
            }
        }
        let table = parse_csv(text.as_bytes()).unwrap();
        for (i, cell) in cells.iter().enumerate() {
            let column = &table.columns[i % 6];
            let expected: f64 = cell.parse().unwrap();
            assert_eq!(column.number(i / 6).map(f64::to_bits), Some(expected.to_bits()), "{cell}");
            assert_eq!(column.text(i / 6).as_deref(), Some(cell.as_str()));
        }
    }
}
