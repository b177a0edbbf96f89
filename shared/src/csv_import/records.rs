//! Splitting CSV bytes into records and fields, as the `csv` crate reads them (RFC 4180 with its
//! leniencies): a record ends at an unquoted `\n`, `\r` or `\r\n`; a field that starts with `"` is
//! quoted, `""` inside it is one quote, and bytes after its closing quote are kept as they come; a
//! quote inside an unquoted field is an ordinary byte; a quote left open runs to the end of input.
//!
//! Most lines hold no quote and no lone `\r`: those are split where the delimiter falls, with the
//! fields left in place. The rest go through a byte-by-byte reader that copies unquoted fields out.

use memchr::{memchr3, memchr_iter};

/// The fields of one record.
#[derive(Debug, Default)]
pub(super) struct Record {
    /// A plain record's bounds in the input, line end left out (`None` for a quoted one): its
    /// fields are where the delimiter splits it.
    pub(super) plain: Option<(usize, usize)>,
    /// Each field's bounds: in the input for a plain record (once [`Record::split`]), in
    /// `scratch` for a quoted one.
    pub(super) bounds: Vec<(usize, usize)>,
    /// The unquoted fields of a quoted record, back to back.
    pub(super) scratch: Vec<u8>,
    /// Whether the fields are in `scratch`.
    pub(super) quoted: bool,
}

impl Record {
    /// Finds a plain record's fields (a quoted one's are found as it is read).
    pub(super) fn split(&mut self, delimiter: u8, input: &[u8]) {
        let Some((start, end)) = self.plain else { return };
        self.bounds.clear();
        let mut field_start = start;
        for i in memchr_iter(delimiter, &input[start..end]) {
            self.bounds.push((field_start, start + i));
            field_start = start + i + 1;
        }
        self.bounds.push((field_start, end));
    }

    /// The fields (after [`Record::split`]), given the input the record was read from.
    pub(super) fn fields<'a>(&'a self, input: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
        let source = if self.quoted { &self.scratch[..] } else { input };
        self.bounds.iter().map(move |&(a, b)| &source[a..b])
    }
}

/// Where a record read ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Read {
    /// The offset just after the record and its line end.
    pub(super) next: usize,
    /// How many `\n` it spans, its line end included.
    pub(super) newlines: u64,
}

/// Reads the record starting at `input[start]` (which is no line end) into `record`, or `None`
/// when the input ends before the record does and more may follow (`at_end` false).
pub(super) fn read_record(
    input: &[u8],
    start: usize,
    delimiter: u8,
    at_end: bool,
    record: &mut Record,
) -> Option<Read> {
    let rest = &input[start..];
    // One scan for the line end, a quote or a carriage return: a plain line has only its end.
    let (content, next, newlines) = match memchr3(b'\n', b'"', b'\r', rest) {
        Some(i) if rest[i] == b'\n' => (i, i + 1, 1),
        Some(i) if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') => (i, i + 2, 1),
        Some(_) => return read_quoted(input, start, delimiter, at_end, record),
        None if at_end => (rest.len(), rest.len(), 0),
        None => return None,
    };
    record.quoted = false;
    record.plain = Some((start, start + content));
    record.bounds.clear();
    Some(Read { next: start + next, newlines })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field.
    FieldStart,
    /// In an unquoted field, or after a quoted one closed.
    Unquoted,
    /// Inside quotes.
    Quoted,
    /// Just after a quote inside quotes: a second one is a quote, anything else closes them.
    QuoteInQuoted,
}

/// The byte-by-byte reader, for a record with a quote or a lone `\r`.
fn read_quoted(input: &[u8], start: usize, delimiter: u8, at_end: bool, record: &mut Record) -> Option<Read> {
    record.quoted = true;
    record.plain = None;
    record.bounds.clear();
    record.scratch.clear();
    let mut state = State::FieldStart;
    let mut field_start = 0;
    let mut newlines = 0;
    let mut i = start;
    while i < input.len() {
        let b = input[i];
        i += 1;
        let ends_record = b == b'\n' || b == b'\r';
        match state {
            State::Quoted => {
                if b == b'"' {
                    state = State::QuoteInQuoted;
                } else {
                    newlines += u64::from(b == b'\n');
                    record.scratch.push(b);
                }
                continue;
            }
            State::QuoteInQuoted if b == b'"' => {
                record.scratch.push(b);
                state = State::Quoted;
                continue;
            }
            State::FieldStart if b == b'"' => {
                state = State::Quoted;
                continue;
            }
            _ => {}
        }
        if b == delimiter || ends_record {
            record.bounds.push((field_start, record.scratch.len()));
            field_start = record.scratch.len();
            state = State::FieldStart;
            if ends_record {
                return Some(Read { next: i, newlines: newlines + u64::from(b == b'\n') });
            }
        } else {
            record.scratch.push(b);
            state = State::Unquoted;
        }
    }
    if !at_end {
        return None;
    }
    record.bounds.push((field_start, record.scratch.len()));
    Some(Read { next: input.len(), newlines })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(input: &[u8], at_end: bool) -> Option<(Vec<String>, Read)> {
        let mut record = Record::default();
        let read = read_record(input, 0, b',', at_end, &mut record)?;
        record.split(b',', input);
        let texts = record.fields(input).map(|f| String::from_utf8_lossy(f).into_owned()).collect();
        Some((texts, read))
    }

    #[test]
    fn splits_plain_and_quoted_records_as_the_csv_crate_does() {
        let cases: [(&[u8], &[&str], u64); 9] = [
            (b"a,b,c\nnext", &["a", "b", "c"], 1),
            (b"a,,\r\n", &["a", "", ""], 1),
            (b"\"x,y\",2\n", &["x,y", "2"], 1),
            (b"\"say \"\"hi\"\"\",2\n", &["say \"hi\"", "2"], 1),
            (b"\"two\nlines\",3\n", &["two\nlines", "3"], 2),
            (b"ab\"c,d\n", &["ab\"c", "d"], 1),
            (b"\"ab\"c,d\n", &["abc", "d"], 1),
            (b"a,b\rc,d\n", &["a", "b"], 0),
            (b"\"open,to the end", &["open,to the end"], 0),
        ];
        for (input, expected, newlines) in cases {
            let (got, read) = fields(input, true).unwrap();
            assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(input));
            assert_eq!(read.newlines, newlines, "{:?}", String::from_utf8_lossy(input));
        }
        // The same as the csv crate on each, records and all.
        for (input, ..) in cases {
            let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(input);
            let theirs: Vec<String> = reader
                .byte_records()
                .next()
                .unwrap()
                .unwrap()
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            assert_eq!(fields(input, true).unwrap().0, theirs);
        }
    }

    #[test]
    fn a_record_cut_short_waits_for_more_input() {
        assert_eq!(fields(b"a,b", false), None);
        assert_eq!(fields(b"\"a\nb", false), None);
        let (got, read) = fields(b"a,b", true).unwrap();
        assert_eq!((got, read.next), (vec!["a".to_owned(), "b".to_owned()], 3));
    }
}
