//! Reading CSV text into a [`Table`]: byte-order mark, delimiter detection, quoted fields, CRLF,
//! missing-value markers, and an error that names the line for every way a file can be wrong.
//!
//! The delimiter is a comma, a semicolon or a tab, whichever the header uses most. A file above
//! 4 GiB is refused (`CsvError::TooLarge`): cells are addressed by 32-bit offsets.

use crate::error::CsvError;
pub use crate::table::MISSING_MARKERS;
use crate::table::{ColumnBuilder, Table};

/// The largest file read: a column's cells are addressed by 32-bit offsets.
pub const MAX_BYTES: u64 = u32::MAX as u64;

/// Delimiters tried when none is given, in order of preference on a tie.
const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// Reads CSV bytes with a header row into a table, detecting the delimiter (the one among `,` `;`
/// and tab that the header uses most).
pub fn parse_csv(bytes: &[u8]) -> Result<Table, CsvError> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let (bytes, bom_len) = match bytes.strip_prefix(BOM) {
        Some(rest) => (rest, BOM.len()),
        None => (bytes, 0),
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        CsvError::NotUtf8 { line, byte_offset: (offset + bom_len) as u64 }
    })?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(CsvError::TooLarge { bytes: bytes.len() as u64, max: MAX_BYTES });
    }
    if text.trim().is_empty() {
        return Err(CsvError::Empty);
    }
    let delimiter = detect_delimiter(text);

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    // One record buffer for the whole file: no allocation per row. The text is valid UTF-8 and the
    // delimiters are ASCII, so every field is valid UTF-8 too.
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).map_err(malformed)? {
        return Err(CsvError::Empty);
    }
    let names: Vec<String> = record.iter().map(|h| field_text(h).trim().to_owned()).collect();
    check_header(&names)?;

    // Size every column once (the line count bounds the row count) instead of growing it by copies.
    let capacity = text.as_bytes().iter().filter(|&&b| b == b'\n').count() + 1;
    let mut columns: Vec<ColumnBuilder> = (0..names.len()).map(|_| ColumnBuilder::new(capacity)).collect();
    let mut lines = Vec::with_capacity(capacity);
    let mut line_counter = LineCounter { text: text.as_bytes(), byte: 0, line: 1 };
    while reader.read_byte_record(&mut record).map_err(malformed)? {
        let line = line_counter.line_at(record.position().map_or(0, |p| p.byte()));
        if record.len() != names.len() {
            return Err(CsvError::RaggedRow { line, expected: names.len(), found: record.len() });
        }
        lines.push(line);
        for (column, field) in columns.iter_mut().zip(record.iter()) {
            column.push_bytes(field);
        }
    }
    let n_rows = lines.len();
    if n_rows == 0 {
        return Err(CsvError::HeaderOnly);
    }
    let columns = names.into_iter().zip(columns).map(|(name, column)| column.finish(name)).collect();
    Ok(Table { columns, n_rows, lines })
}

/// Turns a record's byte offset into the line it starts on. We count ourselves: the csv reader's
/// own line count lags by one after a CRLF line end.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl LineCounter<'_> {
    /// Offsets must not decrease between calls (records arrive in order).
    fn line_at(&mut self, offset: u64) -> u64 {
        let mut start = (offset as usize).min(self.text.len());
        // A record's offset can point at the end of the previous line; it begins after it.
        while start < self.text.len() && matches!(self.text[start], b'\r' | b'\n') {
            start += 1;
        }
        let from = self.byte.min(start);
        self.line += self.text[from..start].iter().filter(|&&b| b == b'\n').count() as u64;
        self.byte = start;
        self.line
    }
}

fn malformed(error: csv::Error) -> CsvError {
    let line = error.position().map_or(0, |p| p.line());
    CsvError::Malformed { line, message: error.to_string() }
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

/// Counts each candidate delimiter outside quotes on the header line and picks the most frequent.
fn detect_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut in_quotes = false;
    for b in text.bytes() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => break,
            _ if !in_quotes => {
                if let Some(i) = DELIMITERS.iter().position(|&d| d == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let best = (0..DELIMITERS.len()).max_by_key(|&i| (counts[i], usize::MAX - i)).unwrap_or(0);
    DELIMITERS[best]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::ColumnKind;

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
}
