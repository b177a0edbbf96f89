//! The drift check of `--drift-dir`, for each pair there (`drift_*.csv`, and the high-cardinality
//! `drift_hc_*.csv`): the reference loaded as the data set and the current file checked against it
//! through the Monitor step's file comparison in the tab's worker, against parsing both and
//! `check_tables` natively, beside Evidently's time. Each side takes its best of three reads of
//! each file (the tab's first read in a page just opened, before its code is warm, is reported
//! apart). End to end is reading both files and the check.

use super::{load, millis, wait, wait_text, Args, Chromium, PATIENCE};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The drift check natively, best of three: (the check, both files parsed and checked).
fn native_drift(reference: &[u8], current: &[u8]) -> (f64, f64) {
    let options = tabml::drift::DriftOptions::default();
    let (mut check, mut total) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..3 {
        let start = Instant::now();
        let reference = tabml::parse_csv(reference).expect("the reference parses");
        let current = tabml::parse_csv(current).expect("the current file parses");
        let checked = Instant::now();
        std::hint::black_box(tabml::drift::check_tables(&reference, &current, &options).expect("a report"));
        check = check.min(millis(checked));
        total = total.min(millis(start));
    }
    (check, total)
}

/// What the tab's worker took, in milliseconds.
struct InTab {
    /// The check alone, best of three.
    check: f64,
    /// Reading the reference as the data set, best of three.
    reference_parse: f64,
    /// The first read in a page just opened (the current file's, the same size and shape), before
    /// the worker's code is warm.
    reference_first: f64,
    /// Reading the current file and checking it, best of three.
    current_and_check: f64,
}

/// The drift check in the tab's worker.
async fn browser_drift(args: &Args, reference: &std::path::Path, current: &std::path::Path) -> InTab {
    let Chromium { server, client, _driver, _profile } = Chromium::open(&args.dist).await;
    load(&client, &server.url("/")).await;
    let path = |p: &std::path::Path| {
        std::fs::canonicalize(p).expect("the file exists").to_string_lossy().into_owned()
    };
    let name = reference.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // The reference is read three times, as the native side reads it three times. The page keeps
    // its summary element from one data set to the next, so the current file is loaded between
    // (as a warm-up, and so that the summary's name tells each new load).
    let current_name = current.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let parse_ms = "return Number(document.getElementById('data-summary').dataset.parseMs);";
    let mut reads = Vec::new();
    let mut first = f64::NAN;
    for round in 0..3 {
        for (file, file_name) in [(current, &current_name), (reference, &name)] {
            client
                .execute("const f = document.getElementById('csv-file'); if (f) { f.value = ''; }", vec![])
                .await
                .expect("reset");
            wait(&client, "#csv-file").await.send_keys(&path(file)).await.expect("upload");
            wait_text(&client, "data-summary", file_name).await;
            let millis =
                client.execute(parse_ms, vec![]).await.expect("the script runs").as_f64().unwrap_or(f64::NAN);
            if round == 0 && file == current {
                first = millis;
            }
            if file == reference {
                reads.push(millis);
            }
        }
    }
    let reference_first = first;
    let reference_parse = reads.iter().copied().fold(f64::INFINITY, f64::min);
    let (mut check, mut current_and_check) = (f64::INFINITY, f64::INFINITY);
    let mut previous = String::new();
    for _ in 0..3 {
        client.execute("document.getElementById('drift-file').value = '';", vec![]).await.expect("reset");
        wait(&client, "#drift-file").await.send_keys(&path(current)).await.expect("upload");
        let deadline = Instant::now() + PATIENCE;
        let stamp = loop {
            let stamp = client
                .execute(
                    "const v = document.getElementById('drift-verdict');
                     return v ? v.dataset.checkMs + ' ' + v.dataset.parseMs : '';",
                    vec![],
                )
                .await
                .expect("the script runs");
            let stamp = stamp.as_str().unwrap_or_default().to_owned();
            if !stamp.is_empty() && stamp != previous {
                break stamp;
            }
            assert!(Instant::now() < deadline, "no drift report came back");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let mut parts = stamp.split(' ').map(|v| v.parse::<f64>().unwrap_or(f64::NAN));
        let (run_check, run_parse) = (parts.next().unwrap_or(f64::NAN), parts.next().unwrap_or(f64::NAN));
        check = check.min(run_check);
        current_and_check = current_and_check.min(run_check + run_parse);
        previous = stamp;
    }
    server.stop().await;
    InTab { check, reference_parse, reference_first, current_and_check }
}

pub(super) async fn drift_main(args: &Args, dir: &std::path::Path) {
    let evidently: Option<Value> =
        args.evidently.as_ref().and_then(|p| serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok());
    let mut report = serde_json::Map::new();
    println!("| drift check, 200,000 × 20 | browser | native | Evidently | browser / native | Evidently / browser | target | met? |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |");
    for (key, label) in [("drift", "4 decimals"), ("drift_hc", "high cardinality")] {
        let (reference, current) =
            (dir.join(format!("{key}_reference.csv")), dir.join(format!("{key}_current.csv")));
        if !reference.exists() || !current.exists() {
            continue;
        }
        let read = |p: &std::path::Path| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let (reference_bytes, current_bytes) = (read(&reference), read(&current));
        eprintln!("timing the {label} drift check natively…");
        let before = native_drift(&reference_bytes, &current_bytes);
        eprintln!("timing the {label} drift check in headless Chromium…");
        let tab = browser_drift(args, &reference, &current).await;
        eprintln!("timing the {label} drift check natively again…");
        let after = native_drift(&reference_bytes, &current_bytes);
        let (native_check, native_total) = (before.0.min(after.0), before.1.min(after.1));
        let browser_total = tab.reference_parse + tab.current_and_check;
        let seconds =
            |name: &str| evidently.as_ref().and_then(|d| d["timings"][name].as_f64()).map(|s| s * 1000.0);
        let ev = seconds(&format!("{key}_check")).unwrap_or(f64::NAN);
        let met = |ok: bool| if ok { "yes" } else { "**no**" };
        println!(
            "| {label}: check | {:.0} ms | {native_check:.0} ms | {ev:.0} ms | {:.2}× | {:.1}× | Evidently / browser ≥ 10× | {} |",
            tab.check,
            tab.check / native_check,
            ev / tab.check,
            met(ev / tab.check >= 10.0)
        );
        println!(
            "| {label}: both files read and checked | {browser_total:.0} ms | {native_total:.0} ms | {ev:.0} ms (check only) | {:.2}× | {:.1}× | browser / native ≤ 1.5× | {} |",
            browser_total / native_total,
            ev / browser_total,
            met(browser_total / native_total <= 1.5)
        );
        println!(
            "| {label}: reading a file in the tab, first in a fresh page / best of three | {:.0} / {:.0} ms | | | | | | |",
            tab.reference_first, tab.reference_parse
        );
        report.insert(
            key.to_owned(),
            json!({"browser_check_ms": tab.check, "native_check_ms": native_check,
                   "browser_reference_parse_ms": tab.reference_parse,
                   "browser_reference_first_parse_ms": tab.reference_first,
                   "browser_total_ms": browser_total, "native_total_ms": native_total,
                   "evidently_check_ms": seconds(&format!("{key}_check"))}),
        );
    }
    if let Some(out) = &args.out {
        std::fs::write(out, Value::Object(report).to_string())
            .unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    }
}
