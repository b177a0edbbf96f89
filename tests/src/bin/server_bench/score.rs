//! `server-bench --score-data FILE`: `tabml score --server` end to end on a file, against a
//! scikit-learn pipeline loaded with joblib (and `mlflow models predict`) on the same rows.
//!
//! `tabml serve` runs as for the other measures (a loopback port, SQLite on disk with every batch
//! synced, no rate limits). The bench signs in with `tabml login`, trains logistic regression and a
//! 100-tree forest with `tabml train` on the file (seed 42, 80 % of the rows), pushes each with
//! `tabml push`, then times `tabml score --server URL --model NAME --version 1 --data FILE --out P`
//! as a user runs it: the whole process, pulling the bundle (the first run downloads it, the next
//! two find it in the cache), scoring, writing the predictions and sending one prediction event per
//! row and a profile of the batch (new events each run). Best of three. Beside it, the same command
//! with `--no-report` and the bundle file scored without a server (`tabml score --model FILE`), best
//! of three each, show what the events and the pull cost. The Python figures come from
//! `scripts/bench/sklearn_score_bench.py` (`--sklearn FILE.json`).

use super::{serve, PASSWORD};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

/// The models timed, by `tabml train`'s names (also the JSON's keys).
const MODELS: [&str; 2] = ["logreg", "forest"];
const RUNS: usize = 3;

fn run(command: &mut Command, what: &str) -> Result<Output, String> {
    let output = command.output().map_err(|e| format!("{what}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{what}: {}", String::from_utf8_lossy(&output.stderr).trim()));
    }
    Ok(output)
}

/// The events the server stored, from `tabml score`'s summary ("… (100001 events stored, …").
fn events_stored(stdout: &str) -> Option<u64> {
    let before = stdout.split(" events stored").next()?;
    before.rsplit(['(', ' ']).next()?.replace(',', "").parse().ok()
}

/// Runs `tabml` with `args` `RUNS` times; the shortest wall time (ms) and the last run's output.
fn best_of(tabml: &Path, args: &[&str], cache: &Path, what: &str) -> Result<(f64, String), String> {
    let mut best = f64::INFINITY;
    let mut last = String::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let output = run(Command::new(tabml).args(args).env("XDG_CACHE_HOME", cache), what)?;
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
        last = String::from_utf8_lossy(&output.stdout).into_owned();
    }
    Ok((best, last))
}

/// The tabml figures for each model (ms), after signing in, training and pushing.
pub(super) fn measure(tabml: &PathBuf, data: &Path, target: &str) -> Result<Value, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (mut child, url) = serve(tabml, dir.path())?;
    let outcome = measure_with(tabml, data, target, dir.path(), &url);
    let _ = child.kill();
    let _ = child.wait();
    outcome
}

fn measure_with(tabml: &PathBuf, data: &Path, target: &str, dir: &Path, url: &str) -> Result<Value, String> {
    let path = |p: &Path| p.to_str().map(str::to_owned).ok_or(format!("{}: not UTF-8", p.display()));
    let (token, cache, data) = (path(&dir.join("token"))?, dir.join("cache"), path(data)?);
    let mut login = Command::new(tabml)
        .args(["login", "--server", url, "--name", "bench", "--token-file", &token])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    login
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .map_err(|e| e.to_string())?;
    let signed_in = login.wait_with_output().map_err(|e| e.to_string())?;
    if !signed_in.status.success() {
        return Err(format!("tabml login: {}", String::from_utf8_lossy(&signed_in.stderr).trim()));
    }
    let rows =
        std::fs::read(&data).map_err(|e| format!("{data}: {e}"))?.iter().filter(|&&b| b == b'\n').count();
    let mut figures = serde_json::Map::new();
    figures.insert("rows".into(), json!(rows.saturating_sub(1)));
    for model in MODELS {
        let bundle = path(&dir.join(format!("{model}.tabml")))?;
        eprintln!("tabml train --model {model}…");
        run(
            Command::new(tabml)
                .args(["train", "--data", &data, "--target", target, "--model", model, "--out", &bundle]),
            "tabml train",
        )?;
        let name = format!("classif-{model}");
        let remote = ["--server", url, "--token-file", &token, "--model", &name];
        let pushed = run(Command::new(tabml).arg("push").args(remote).arg(&bundle), "tabml push")?;
        let version = String::from_utf8_lossy(&pushed.stdout).trim().to_owned();
        let out = path(&dir.join(format!("{model}-predictions.csv")))?;
        eprintln!("tabml score --server, {name} version {version}, {RUNS} times…");
        let args =
            [&["score"][..], &remote, &["--version", &version, "--data", &data, "--out", &out]].concat();
        let (server_ms, said) = best_of(tabml, &args, &cache, "tabml score --server")?;
        let quiet = [&args[..], &["--no-report"]].concat();
        let (no_report_ms, _) = best_of(tabml, &quiet, &cache, "tabml score --server --no-report")?;
        let local = ["score", "--model", &bundle, "--data", &data, "--out", &out];
        let (local_ms, _) = best_of(tabml, &local, &cache, "tabml score")?;
        let bundle_bytes = std::fs::metadata(&bundle).map(|m| m.len()).unwrap_or(0);
        figures.insert(
            model.into(),
            json!({"server_ms": server_ms, "no_report_ms": no_report_ms, "local_ms": local_ms,
                   "events_stored": events_stored(&said),
                   "bundle_bytes": bundle_bytes, "summary": said.trim()}),
        );
    }
    Ok(Value::Object(figures))
}

/// Prints the comparison table.
pub(super) fn print(tabml: &Value, sklearn: Option<&Value>) {
    let ms = |v: &Value| v.as_f64().map_or("—".to_owned(), |s| format!("{:.0} ms", s * 1000.0));
    let rows = tabml["rows"].as_u64().unwrap_or(0);
    println!(
        "Scoring the {}-row file: `tabml score --server` against scikit-learn (best of {RUNS} each):",
        tabml::thousands(rows)
    );
    println!();
    println!("| model | tabml score --server: pull, score, write, events | events stored | tabml score, bundle file, nothing sent | scikit-learn: load + read + predict_proba + write | its whole process | sklearn process / tabml --server | mlflow models predict |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for model in MODELS {
        let t = &tabml[model];
        let server = t["server_ms"].as_f64().unwrap_or(f64::NAN);
        let s = sklearn.map(|s| &s["models"][model]);
        let process = s.and_then(|s| s["process"].as_f64()).map(|p| p * 1000.0);
        let mlflow = match sklearn.map(|s| &s["mlflow"]) {
            Some(m) if m.get("error").is_some() => "did not run".to_owned(),
            Some(m) => ms(&m[model]),
            None => "—".to_owned(),
        };
        println!(
            "| {model} | {server:.0} ms | {} | {:.0} ms | {} | {} | {} | {mlflow} |",
            t["events_stored"].as_u64().map_or("?".into(), tabml::thousands),
            t["local_ms"].as_f64().unwrap_or(f64::NAN),
            s.map_or("—".into(), |s| ms(&s["total"])),
            s.map_or("—".into(), |s| ms(&s["process"])),
            process.map_or("—".into(), |p| format!("{:.2}×", p / server)),
        );
    }
    println!();
    for model in MODELS {
        let t = |k: &str| tabml[model][k].as_f64().unwrap_or(f64::NAN);
        println!(
            "{model}: with --no-report (pull, score, write) {:.0} ms, so sending the events and the profile took {:.0} ms.",
            t("no_report_ms"),
            t("server_ms") - t("no_report_ms")
        );
    }
    if let Some(error) = sklearn.and_then(|s| s["mlflow"]["error"].as_str()) {
        let last = error.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(error);
        println!();
        println!("mlflow models predict did not run: {last}");
    }
}
