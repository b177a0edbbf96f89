//! Reading one input in two parts at once: a reader for the part that starts at a later line
//! ([`CsvReader::split_off`]) reads it on another thread while the first goes on, and the first
//! then takes its rows ([`CsvReader::join`]). The table is the one a single reader gives.

use super::{CsvReader, MAX_BYTES};
use crate::error::CsvError;
use crate::table::FIXED_WITHIN;

impl CsvReader {
    /// A reader for a later part of the same input that starts at a line's start: it reads that
    /// part as this reader would have reached it (same columns and delimiter, numbers printed to
    /// the same decimals) while this one reads the bytes up to it. Feed it that part, then give it
    /// to [`CsvReader::join`]; its errors name lines and offsets within its part until
    /// [`CsvReader::later_error`] places them.
    ///
    /// `None` until the header and the first [`FIXED_WITHIN`] rows are read, when every choice a
    /// column makes from its first rows is final.
    pub fn split_off(&self) -> Option<CsvReader> {
        let delimiter = self.delimiter?;
        if self.blank_header || self.lines.len() < FIXED_WITHIN {
            return None;
        }
        let mut later = CsvReader::new();
        later.started = true;
        later.delimiter = Some(delimiter);
        later.names = self.names.clone();
        later.columns = self.columns.iter().map(|c| c.continuation()).collect();
        Some(later)
    }

    /// Whether the input so far ends with a whole record (and its line end): the next byte starts
    /// a record, so a reader from [`CsvReader::split_off`] could have read from there.
    pub fn at_record_start(&self) -> bool {
        self.carry.is_empty()
    }

    /// Takes the rows of `later`, a [`CsvReader::split_off`] of this reader that read the input
    /// right after this one's, with what it has not read yet. The reader is then as if it had
    /// read both parts itself (more may still be fed). Returns `later` unchanged when this reader
    /// is not [at a record's start](CsvReader::at_record_start) (the split fell inside a quoted
    /// field, say) or when the parts together pass [`MAX_BYTES`]: the caller then feeds that part
    /// to this reader, which reads it or says what is wrong.
    pub fn join(&mut self, later: CsvReader) -> Result<(), Box<CsvReader>> {
        let total = self.taken + later.taken + later.carry.len() as u64;
        if !self.at_record_start() || later.columns.len() != self.columns.len() || total > MAX_BYTES {
            return Err(Box::new(later));
        }
        let lines_before = self.line - 1;
        self.lines.extend(later.lines.iter().map(|line| line + lines_before));
        // Each later column is dropped once appended: the two parts' columns are never all held
        // twice.
        for (column, more) in self.columns.iter_mut().zip(later.columns) {
            column.append(more);
        }
        self.line += later.line - 1;
        self.taken += later.taken;
        self.carry = later.carry;
        self.retry_at = later.retry_at;
        self.checked = later.checked;
        Ok(())
    }

    /// An error that a [`CsvReader::split_off`] of this reader met, placed as this reader would
    /// have met it after its own input: the line and offset count from the input's start.
    pub fn later_error(&self, error: CsvError) -> CsvError {
        let lines_before = self.line - 1;
        let bytes_before = self.bom + self.taken;
        match error {
            CsvError::NotUtf8 { line, byte_offset } => {
                CsvError::NotUtf8 { line: line + lines_before, byte_offset: byte_offset + bytes_before }
            }
            CsvError::RaggedRow { line, expected, found } => {
                CsvError::RaggedRow { line: line + lines_before, expected, found }
            }
            CsvError::Malformed { line, message } => {
                CsvError::Malformed { line: line + lines_before, message }
            }
            CsvError::TooLarge { bytes, max } => CsvError::TooLarge { bytes: bytes + bytes_before, max },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv_import::parse_csv;
    use crate::table::Table;

    /// Reads `text` as the command line reads a file in two parts: the bytes before `at` (a line's
    /// start) with one reader fed every `cut` bytes, the rest with its split, then joined; falls
    /// back to one reader where the split is not possible. Also says whether the parts joined.
    fn read_parts(text: &[u8], at: usize, cut: usize) -> (Result<Table, CsvError>, bool) {
        let (head, tail) = text.split_at(at);
        let on_alone = |mut reader: CsvReader| {
            tail.chunks(cut).try_for_each(|c| reader.feed(c))?;
            reader.finish()
        };
        let mut first = CsvReader::new();
        if let Err(e) = head.chunks(cut).try_for_each(|c| first.feed(c)) {
            return (Err(e), false);
        }
        let Some(mut later) = first.split_off() else { return (on_alone(first), false) };
        let fed = tail.chunks(cut).try_for_each(|c| later.feed(c));
        if !first.at_record_start() {
            return (on_alone(first), false);
        }
        if let Err(e) = fed {
            return (Err(first.later_error(e)), false);
        }
        match first.join(later) {
            Ok(()) => (first.finish(), true),
            Err(_) => (on_alone(first), false),
        }
    }

    fn read_split(text: &[u8], at: usize, cut: usize) -> Result<Table, CsvError> {
        read_parts(text, at, cut).0
    }

    #[test]
    fn two_parts_read_apart_and_joined_give_the_table_one_reader_gives() {
        // Rows that keep both columns numbers at first (one written to two decimals), then
        // anything: numbers, words, infinities, quotes with line ends, ragged rows.
        let early = ["2.50,1\n", "1.25,-3\n", "-0.10,7e2\n", "3.00,NA\n", "0.05,+4\n"];
        let pieces: [&[u8]; 15] = [
            b"1",
            b"2.50",
            b"-7.125",
            b",",
            b",",
            b"\"",
            b"\n",
            b"\n",
            b"\r\n",
            b" ",
            b"inf",
            b"NA",
            b"abc",
            b"0.1",
            "é".as_bytes(),
        ];
        let mut rng = crate::rng::SplitMix64::new(23);
        let (mut joined, mut compared) = (0, 0);
        for _ in 0..300 {
            let mut text = b"x,y\n".to_vec();
            for _ in 0..FIXED_WITHIN + rng.below(4) {
                text.extend_from_slice(early[rng.below(early.len())].as_bytes());
            }
            for _ in 0..rng.below(60) {
                text.extend_from_slice(pieces[rng.below(pieces.len())]);
            }
            let whole = parse_csv(&text);
            let starts: Vec<usize> = memchr::memchr_iter(b'\n', &text).map(|i| i + 1).collect();
            for &at in starts.iter().rev().take(12) {
                for cut in [3, 64, text.len()] {
                    let (split, join) = read_parts(&text, at, cut);
                    assert_eq!(split, whole, "{:?} split at {at}", String::from_utf8_lossy(&text));
                    compared += 1;
                    joined += usize::from(join);
                }
            }
        }
        assert!(compared > 5000 && joined > 300, "{compared} {joined}");
    }

    #[test]
    fn a_later_part_names_lines_and_offsets_from_the_input_start() {
        let mut text = String::from("a,b\n");
        for i in 0..FIXED_WITHIN {
            text += &format!("{i},{}.5\n", i * 2);
        }
        let at = text.len();
        let rows = FIXED_WITHIN as u64 + 1;
        let ragged = format!("{text}1,2\n3\n");
        assert_eq!(read_split(ragged.as_bytes(), at, 7), parse_csv(ragged.as_bytes()));
        assert_eq!(
            read_split(ragged.as_bytes(), at, 7).unwrap_err(),
            CsvError::RaggedRow { line: rows + 2, expected: 2, found: 1 }
        );
        let mut broken = format!("{text}1,2\n").into_bytes();
        broken.extend_from_slice(b"\xff,3\n");
        assert_eq!(
            read_split(&broken, at, 5).unwrap_err(),
            CsvError::NotUtf8 { line: rows + 2, byte_offset: at as u64 + 4 }
        );
        assert_eq!(read_split(&broken, at, 5), parse_csv(&broken));
        // Too few rows before the split: one reader reads it all.
        let mut first = CsvReader::new();
        first.feed(b"a,b\n1,2\n").unwrap();
        assert!(first.split_off().is_none());
    }

    #[test]
    fn a_column_that_turns_to_words_in_either_part_is_words_throughout() {
        let mut head = String::from("n,m\n");
        for i in 0..FIXED_WITHIN {
            head += &format!("{i}.50,{i}\n");
        }
        for tail in ["7.25,x\n8,9\n", "y,1\n2.50,3\n"] {
            let text = format!("{head}{tail}");
            let split = read_split(text.as_bytes(), head.len(), 11).unwrap();
            assert_eq!(split, parse_csv(text.as_bytes()).unwrap(), "{tail}");
        }
        // The first part turns: the later part's numbers are spelled as written.
        let text = format!("{head}words,1\n{}", "1.20,2\n".repeat(3));
        let mut first = CsvReader::new();
        first.feed(head.as_bytes()).unwrap();
        let mut later = first.split_off().unwrap();
        first.feed(b"words,1\n").unwrap();
        later.feed("1.20,2\n".repeat(3).as_bytes()).unwrap();
        assert!(first.join(later).is_ok());
        let table = first.finish().unwrap();
        assert_eq!(table, parse_csv(text.as_bytes()).unwrap());
        assert_eq!(table.columns[0].cell(FIXED_WITHIN + 1), Some("1.20"));
    }

    #[test]
    fn a_later_part_keeps_the_first_parts_choice_of_decimals() {
        // The first rows are written shortest (`1.25`, `3`), so the column is not taken as written
        // to fixed decimals; a later `2.50` keeps its text instead of changing that.
        let mut head = String::from("x\n");
        for i in 0..FIXED_WITHIN {
            head += if i % 2 == 0 { "1.25\n" } else { "3\n" };
        }
        let text = format!("{head}2.50\n0.5\n");
        let split = read_split(text.as_bytes(), head.len(), 4).unwrap();
        assert_eq!(split, parse_csv(text.as_bytes()).unwrap());
        let cells: Vec<_> = split.columns[0].cells().skip(FIXED_WITHIN).collect();
        assert_eq!(cells, [Some("2.50"), Some("0.5")]);
    }
}
