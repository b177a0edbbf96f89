//! `tabml bench --read FILE`: how fast the command line reads a CSV file into a table, and the
//! most memory the process held meanwhile (run it in a fresh process per file).

use super::{load_table, load_table_on_one_thread, CliError};
use serde_json::json;
use std::path::Path;
use std::time::Instant;

/// Reads `path` three times as `load_table` does (block by block, a large file in two halves at
/// once), and reports the best time, the throughput and the process's peak resident memory during
/// the first read; then three times on one thread, as `tabml drift` reads each of its two files,
/// and reports that best time too.
pub fn bench_read(path: &Path) -> Result<String, CliError> {
    let bytes =
        std::fs::metadata(path).map_err(|source| CliError::Io { path: path.to_owned(), source })?.len();
    let mut shape = (0, 0);
    let mut peak = None;
    let best = best_of_three(|| {
        let table = load_table(path)?;
        shape = (table.n_rows, table.columns.len());
        // The peak of the first read, with its table still held.
        peak = peak.or_else(peak_rss);
        Ok(table)
    })?;
    let one_thread = best_of_three(|| load_table_on_one_thread(path))?;
    let doc = json!({
        "tool": "tabml",
        "file": path.file_name().map(|n| n.to_string_lossy().into_owned()),
        "bytes": bytes,
        "rows": shape.0,
        "columns": shape.1,
        "seconds": best,
        "mb_per_s": bytes as f64 / 1e6 / best,
        "one_thread_seconds": one_thread,
        "one_thread_mb_per_s": bytes as f64 / 1e6 / one_thread,
        "peak_rss_bytes": peak,
    });
    Ok(doc.to_string())
}

/// The shortest of three runs of `read`, in seconds; what each returns is dropped after its time
/// is taken.
fn best_of_three<T>(mut read: impl FnMut() -> Result<T, CliError>) -> Result<f64, CliError> {
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let start = Instant::now();
        let value = read()?;
        best = best.min(start.elapsed().as_secs_f64());
        drop(value);
    }
    Ok(best)
}

/// The process's peak resident memory in bytes (`VmHWM`), where the system says it.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
