//! Reading a CSV file into a table as the file is read, a block at a time, so that the file's
//! bytes and the table are never in memory together. A large file is read in two halves at once,
//! on two threads: the second half from the first line start after the middle, by a reader split
//! off the first once it has read the header and the first rows; the first reader then takes the
//! second's rows. Both read the one file opened, at their own offsets. The table, and any error,
//! is the one a single reader gives.

use super::CliError;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use tabml::{CsvError, CsvReader, Table};

/// How a file is read.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// How much of the file is read at once.
    block: usize,
    /// From what size the file is read in two halves, if at all.
    split_from: Option<u64>,
}

/// A block of 1 MiB; files from 8 MiB read in two halves (below that, a thread's start and the
/// join cost more than they save).
const SPLIT: Plan = Plan { block: 1 << 20, split_from: Some(8 << 20) };

/// Why feeding a reader stopped.
enum Failure {
    Io(std::io::Error),
    Csv(CsvError),
}

/// Whether a file's second half was read by a reader of its own (joined, or its error reported),
/// or the whole file by one reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Halves,
    OneReader,
}

/// Reads a CSV file into a table, a large one in two halves on two threads; errors name the file
/// and the line.
pub fn load_table(path: &Path) -> Result<Table, CliError> {
    load(path, SPLIT, &mut Reading::OneReader)
}

/// Reads a CSV file into a table on this thread alone (for callers that read several files at
/// once, one per thread).
pub fn load_table_on_one_thread(path: &Path) -> Result<Table, CliError> {
    load(path, Plan { split_from: None, ..SPLIT }, &mut Reading::OneReader)
}

/// Reads the file as `plan` says, and says in `reading` how it was read (for tests).
fn load(path: &Path, plan: Plan, reading: &mut Reading) -> Result<Table, CliError> {
    let io = |source| CliError::Io { path: path.to_owned(), source };
    let input = |e: CsvError| CliError::Input { path: path.to_owned(), source: e.into() };
    let fail = |failure| match failure {
        Failure::Io(e) => io(e),
        Failure::Csv(e) => input(e),
    };
    let file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    // The reader refuses more too; its error would give only the bytes read (a byte-order mark
    // aside).
    if size > tabml::MAX_CSV_BYTES + 3 {
        return Err(input(CsvError::TooLarge { bytes: size, max: tabml::MAX_CSV_BYTES }));
    }
    let mut reader = CsvReader::new();
    reader.expect_bytes(size);
    let mut block = vec![0; plan.block];
    let mut source = At { file: &file, offset: 0 };
    *reading = Reading::OneReader;
    if plan.split_from.is_some_and(|from| size >= from) {
        // The first block holds the header and the first rows, which the split needs.
        feed(&mut (&mut source).take(plan.block as u64), &mut reader, &mut block, None).map_err(fail)?;
        let middle = line_start_after(&file, size / 2, plan.block).map_err(io)?;
        if let (Some(at), Some(later)) = (middle.filter(|&at| at > source.offset), reader.split_off()) {
            read_halves(&mut source, &mut reader, later, at, &mut block, reading).map_err(fail)?;
        }
    }
    feed(&mut source, &mut reader, &mut block, None).map_err(fail)?;
    reader.finish().map_err(input)
}

/// A file read from `offset` on, by reads that say where (so two threads can read one file).
struct At<'a> {
    file: &'a File,
    offset: u64,
}

impl Read for At<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(self.file, buffer, self.offset)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(self.file, buffer, self.offset)?;
        self.offset += n as u64;
        Ok(n)
    }
}

/// Feeds `reader` everything `source` gives, a block at a time, until it ends or `stop` is set;
/// returns how many bytes it gave.
fn feed(
    source: &mut impl Read,
    reader: &mut CsvReader,
    block: &mut [u8],
    stop: Option<&AtomicBool>,
) -> Result<u64, Failure> {
    let mut fed = 0;
    while !stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
        let n = match source.read(block) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Failure::Io(e)),
        };
        reader.feed(&block[..n]).map_err(Failure::Csv)?;
        fed += n as u64;
    }
    Ok(fed)
}

/// Where the first line after byte `from` starts, if one starts within `limit` bytes of it.
fn line_start_after(file: &File, from: u64, limit: usize) -> std::io::Result<Option<u64>> {
    let mut source = At { file, offset: from };
    // A small buffer on the stack: a line start is near, and no large allocation is freed here.
    // Freeing one would raise glibc's threshold for mapping allocations of their own, and the
    // second half's columns would then come from a thread's heap that keeps their memory after
    // the join (18 MB more at the peak for a 30 MB file).
    let mut buffer = [0u8; 4096];
    while source.offset - from < limit as u64 {
        let before = source.offset;
        let n = match source.read(&mut buffer) {
            Ok(0) => return Ok(None),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if let Some(i) = buffer[..n].iter().position(|&b| b == b'\n') {
            return Ok(Some(before + i as u64 + 1));
        }
    }
    Ok(None)
}

/// Reads the file from `source` up to `at` into `reader` while `later` (split off it) reads the
/// rest from `at` on another thread, then joins them. When the first part does not end at a
/// record's start at `at` (the middle fell inside a quoted field, or the file changed), or no
/// thread can be started, `later` is dropped; either way `source` is left where reading goes on.
fn read_halves(
    source: &mut At,
    reader: &mut CsvReader,
    mut later: CsvReader,
    at: u64,
    block: &mut [u8],
    reading: &mut Reading,
) -> Result<(), Failure> {
    let file = source.file;
    later.expect_bytes(file.metadata().map_err(Failure::Io)?.len().saturating_sub(at));
    let (stop, block_len) = (AtomicBool::new(false), block.len());
    let (first, second) = std::thread::scope(|scope| {
        let second = std::thread::Builder::new().name("read-second-half".into()).spawn_scoped(scope, || {
            let mut second = At { file, offset: at };
            let mut block = vec![0; block_len];
            feed(&mut second, &mut later, &mut block, Some(&stop)).map(|_| (later, second.offset))
        });
        let first = match second {
            Ok(_) => {
                let first_bytes = at - source.offset;
                feed(&mut (&mut *source).take(first_bytes), reader, block, None)
            }
            // No second thread: this one reads it all.
            Err(_) => Ok(0),
        };
        // The second half's work is wasted once the first fails.
        stop.store(first.is_err(), Ordering::Relaxed);
        (first, second.ok().map(|handle| handle.join()))
    });
    first?;
    let whole_first = source.offset == at && reader.at_record_start();
    let (Some(Ok(second)), true) = (second, whole_first) else { return Ok(()) };
    *reading = Reading::Halves;
    match second {
        // Given back when the halves cannot be joined: the caller reads the second again.
        Ok((later, end)) => match reader.join(later) {
            Ok(()) => {
                // Reading goes on after what the second half read (nothing, unless the file grew).
                source.offset = end;
                Ok(())
            }
            Err(_) => {
                *reading = Reading::OneReader;
                Ok(())
            }
        },
        Err(Failure::Csv(e)) => Err(Failure::Csv(reader.later_error(e))),
        Err(failure) => Err(failure),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small blocks (each still holding the header and the first rows the split needs), and every
    /// file read in halves: each path of the split is taken on small files.
    const SMALL: Plan = Plan { block: 1024, split_from: Some(0) };

    /// The file read in halves (with how), and by one reader.
    fn both(text: &[u8]) -> (Result<Table, String>, Reading, Result<Table, String>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.csv");
        std::fs::write(&path, text).unwrap();
        let mut reading = Reading::Halves;
        let alone = load(&path, Plan { split_from: None, ..SMALL }, &mut reading);
        assert_eq!(reading, Reading::OneReader);
        let halves = load(&path, SMALL, &mut reading).map_err(|e| e.to_string());
        (halves, reading, alone.map_err(|e| e.to_string()))
    }

    fn rows(n: usize, row: impl Fn(usize) -> String) -> String {
        (0..n).map(row).collect()
    }

    #[test]
    fn a_file_read_in_halves_gives_the_table_and_errors_one_reader_gives() {
        let numbers = rows(400, |i| format!("{i}.25,{}.50\n", i % 7));
        let text = format!("a,b\n{numbers}");
        let (halves, reading, alone) = both(text.as_bytes());
        assert_eq!((&halves, reading), (&alone, Reading::Halves));
        assert_eq!(halves.unwrap().n_rows, 400);
        // A byte-order mark; the second half turns a column to words; no line end at the end.
        let text = format!("\u{feff}a,b\n{numbers}{numbers}word,1\n3,4");
        let (halves, reading, alone) = both(text.as_bytes());
        assert_eq!((&halves, reading), (&alone, Reading::Halves));
        assert_eq!(halves.unwrap().columns[0].cell(800), Some("word"));
        // A ragged row in the second half is named by its line in the file.
        let (halves, reading, alone) = both(format!("a,b\n{numbers}{numbers}5\n").as_bytes());
        assert_eq!((&halves, reading), (&alone, Reading::Halves));
        assert!(halves.unwrap_err().contains("line 802:"));
        // A quoted field with line ends across the middle: read again from there by one reader.
        let quoted = format!("a,b\n{numbers}\"{}\",1\n{numbers}", "x\n".repeat(4000));
        let (halves, reading, alone) = both(quoted.as_bytes());
        assert_eq!((&halves, reading), (&alone, Reading::OneReader));
        assert_eq!(halves.unwrap().n_rows, 801);
        // A file within the first block; too few rows in the first block for a split (long rows);
        // no line end after the middle.
        let long_rows = format!("a,b\n{}", rows(200, |i| format!("{i:>14},{i:>14}\n")));
        let no_line_end = format!("a\n1\n\"{}\"", "y".repeat(2000));
        for text in [format!("a\n{}", "1\n".repeat(30)), long_rows, no_line_end] {
            let (halves, reading, alone) = both(text.as_bytes());
            assert_eq!((&halves, reading), (&alone, Reading::OneReader));
        }
    }

    #[test]
    fn a_bad_byte_in_the_second_half_is_named_by_its_offset_in_the_file() {
        let mut text = format!("a,b\n{}", rows(600, |i| format!("{i},{i}\n"))).into_bytes();
        let offset = text.len() + 2;
        text.extend_from_slice(b"1,\xff\n");
        let (halves, reading, alone) = both(&text);
        assert_eq!((&halves, reading), (&alone, Reading::Halves));
        let expected = format!("line 602: the file is not UTF-8 text (invalid byte at offset {offset})");
        assert!(halves.unwrap_err().contains(&expected));
        // A ragged row and then a bad byte, the middle falling before, between or after them: the
        // earlier error, as one reader gives it.
        let half = format!("a,b\n{}", rows(300, |i| format!("{i},{i}\n")));
        let mut second_half = 0;
        for tail in 280..320 {
            let mut text = format!("{half}5\n").into_bytes();
            text.extend_from_slice(b"\xff,1\n");
            text.extend_from_slice(rows(tail, |i| format!("{i},{i}\n")).as_bytes());
            let (halves, reading, alone) = both(&text);
            assert_eq!(halves, alone);
            assert!(halves.unwrap_err().contains("line 302: expected 2 fields"), "{tail}");
            second_half += usize::from(reading == Reading::Halves);
        }
        // Some with both errors in the second half, some with the ragged row in the first.
        assert!((1..40).contains(&second_half), "{second_half}");
    }
}
