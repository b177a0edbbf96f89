//! The drift check of `--drift-dir`: `drift_reference.csv` loaded as the data set and
//! `drift_current.csv` checked against it through the Monitor step's file comparison in the tab's
//! worker, against `check_tables` natively (best of three each), beside Evidently's time.

use super::{load, millis, wait, wait_text, Args, Chromium, PATIENCE};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The drift check natively: both files parsed, then `check_tables`, best of three.
fn native_drift(reference: &[u8], current: &[u8]) -> f64 {
    let reference = tabml::parse_csv(reference).expect("the reference parses");
    let current = tabml::parse_csv(current).expect("the current file parses");
    let options = tabml::drift::DriftOptions::default();
    (0..3)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(
                tabml::drift::check_tables(&reference, &current, &options).expect("a report"),
            );
            millis(start)
        })
        .fold(f64::INFINITY, f64::min)
}

/// The drift check in the tab's worker, best of three; returns (check, parse of the current file).
async fn browser_drift(args: &Args, reference: &std::path::Path, current: &std::path::Path) -> (f64, f64) {
    let Chromium { server, client, _driver, _profile } = Chromium::open(&args.dist).await;
    load(&client, &server.url("/")).await;
    let path = |p: &std::path::Path| {
        std::fs::canonicalize(p).expect("the file exists").to_string_lossy().into_owned()
    };
    wait(&client, "#csv-file").await.send_keys(&path(reference)).await.expect("upload");
    wait_text(&client, "data-summary", "drift_reference.csv").await;
    let (mut check, mut parse) = (f64::INFINITY, f64::INFINITY);
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
        check = check.min(parts.next().unwrap_or(f64::NAN));
        parse = parse.min(parts.next().unwrap_or(f64::NAN));
        previous = stamp;
    }
    server.stop().await;
    (check, parse)
}

pub(super) async fn drift_main(args: &Args, dir: &std::path::Path) {
    let (reference, current) = (dir.join("drift_reference.csv"), dir.join("drift_current.csv"));
    let read = |p: &std::path::Path| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let (reference_bytes, current_bytes) = (read(&reference), read(&current));
    eprintln!("timing the drift check natively…");
    let before = native_drift(&reference_bytes, &current_bytes);
    eprintln!("timing the drift check in headless Chromium…");
    let (browser, browser_parse) = browser_drift(args, &reference, &current).await;
    eprintln!("timing the drift check natively again…");
    let native = before.min(native_drift(&reference_bytes, &current_bytes));
    let evidently = args.evidently.as_ref().and_then(|p| {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()?;
        doc["timings"]["drift_check"].as_f64().map(|s| s * 1000.0)
    });
    let ev = evidently.unwrap_or(f64::NAN);
    println!("| drift check, 200,000 × 20 | browser | native | Evidently | browser / native | Evidently / browser | target | met? |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |");
    let met = if ev / browser >= 10.0 { "yes" } else { "**no**" };
    println!(
        "| check | {browser:.0} ms | {native:.0} ms | {ev:.0} ms | {:.2}× | {:.1}× | Evidently / browser ≥ 10× | {met} |",
        browser / native,
        ev / browser
    );
    println!("| reading the current file in the worker | {browser_parse:.0} ms | | | | | | |");
    if let Some(out) = &args.out {
        let report = json!({"browser_drift_ms": browser, "native_drift_ms": native, "evidently_drift_ms": evidently, "browser_parse_ms": browser_parse});
        std::fs::write(out, report.to_string()).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    }
}
