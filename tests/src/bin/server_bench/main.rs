//! The server half of the benchmark (run by `scripts/bench.sh`): `tabml serve` (a release build) on
//! a loopback port with its SQLite file on disk, timed as clients use it.
//!
//! - Monitoring ingest: 4 concurrent clients each send batches of 1,000 prediction events to
//!   `POST /api/v1/events` and wait for each acknowledgement (every event on disk, `--durability
//!   full`); events per second over the wall time.
//! - Registry reads: one client downloads the bundle an alias names
//!   (`GET /api/v1/models/{name}/aliases/champion/bundle`, the whole bundle each time), one request
//!   after another; the latency of each, p50 and p99.
//!
//! Prints a Markdown table beside MLflow's figures from `--mlflow FILE.json`
//! (scripts/bench/mlflow_bench.py) when given, and writes the figures as JSON.
//!
//! `server-bench --tabml PATH/TO/tabml [--batches 50] [--reads 2000] [--mlflow FILE.json] [--out FILE.json]
//! [--same-times]`; with `--same-times` every batch carries the same thousand timestamps, the worst
//! order for the event indexes.
//!
//! `server-bench --tabml PATH --score-data classif_100k.csv [--target label] [--sklearn FILE.json]
//! [--out FILE.json]` times `tabml score --server` on the file instead (`score.rs`), beside
//! scikit-learn's figures from scripts/bench/sklearn_score_bench.py.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Instant;
use tabml::{ModelKind, TrainConfig};

mod score;

const CLIENTS: usize = 4;
const BATCH: usize = 1000;
const PASSWORD: &str = "benchmark password";

struct Args {
    tabml: PathBuf,
    batches: usize,
    reads: usize,
    mlflow: Option<PathBuf>,
    out: Option<PathBuf>,
    /// Stamp every batch with the same thousand milliseconds (the hardest order for the indexes).
    same_times: bool,
    /// Time `tabml score --server` on this file instead.
    score_data: Option<PathBuf>,
    /// The file's target column, for `tabml train`.
    target: String,
    /// scikit-learn's scoring figures (scripts/bench/sklearn_score_bench.py).
    sklearn: Option<PathBuf>,
}

fn args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut parsed = Args {
        tabml: PathBuf::new(),
        batches: 50,
        reads: 2000,
        mlflow: None,
        out: None,
        same_times: false,
        score_data: None,
        target: "label".into(),
        sklearn: None,
    };
    while let Some(flag) = args.next() {
        if flag == "--same-times" {
            parsed.same_times = true;
            continue;
        }
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|e| format!("{flag} {value}: {e}"));
        match flag.as_str() {
            "--tabml" => parsed.tabml = PathBuf::from(&value),
            "--batches" => parsed.batches = number()?,
            "--reads" => parsed.reads = number()?,
            "--mlflow" => parsed.mlflow = Some(PathBuf::from(&value)),
            "--out" => parsed.out = Some(PathBuf::from(&value)),
            "--score-data" => parsed.score_data = Some(PathBuf::from(&value)),
            "--target" => parsed.target = value,
            "--sklearn" => parsed.sklearn = Some(PathBuf::from(&value)),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if !parsed.tabml.is_file() {
        return Err(format!(
            "--tabml {}: not a file (build it with cargo build --release -p tabml-server)",
            parsed.tabml.display()
        ));
    }
    Ok(parsed)
}

/// `tabml serve` on a free loopback port, with no rate limits or daily event quota (the clients would
/// trip them).
fn serve(tabml: &PathBuf, dir: &std::path::Path) -> Result<(Child, String), String> {
    let db = dir.join("bench.db");
    let mut admin = Command::new(tabml)
        .args(["admin", "create-user", "--name", "bench", "--role", "admin", "--db"])
        .arg(&db)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    admin.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).map_err(|e| e.to_string())?;
    admin.wait().map_err(|e| e.to_string())?;
    let mut child = Command::new(tabml)
        .args(["serve", "--addr", "127.0.0.1:0", "--rate-per-peer", "0", "--rate-per-token", "0"])
        .args(["--event-bytes-per-day", "0", "--dist"])
        .arg(dir.join("no-dist"))
        .arg("--db")
        .arg(&db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).map_err(|e| e.to_string())?;
    let url =
        line.trim().strip_prefix("tabml listening on ").ok_or(format!("unexpected first line {line:?}"))?;
    Ok((child, url.trim_end_matches('/').to_owned()))
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    tabml::metrics::percentile_sorted(sorted, q).unwrap_or(f64::NAN)
}

async fn run(args: &Args) -> Result<Value, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (mut child, url) = serve(&args.tabml, dir.path())?;
    let client = reqwest::Client::new();
    let fail = |e: reqwest::Error| e.to_string();
    let login: Value = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"name": "bench", "password": PASSWORD}))
        .send()
        .await
        .map_err(fail)?
        .json()
        .await
        .map_err(fail)?;
    let token = login["token"].as_str().ok_or("no token")?.to_owned();

    // A registered model with one version (a forest on iris, a realistic bundle) and an alias.
    let csv = std::fs::read(tabml_tests::workspace_root().join("public/data/iris.csv"))
        .map_err(|e| e.to_string())?;
    let table = tabml::parse_csv(&csv).map_err(|e| e.to_string())?;
    let bundle = tabml::train(&table, "species", &TrainConfig::new(ModelKind::RandomForest))
        .map_err(|e| e.to_string())?
        .bundle
        .encode();
    client
        .post(format!("{url}/api/v1/models"))
        .bearer_auth(&token)
        .json(&json!({"name": "iris"}))
        .send()
        .await
        .map_err(fail)?;
    let uploaded = client
        .post(format!("{url}/api/v1/models/iris/versions"))
        .bearer_auth(&token)
        .header("content-type", "application/octet-stream")
        .body(bundle.clone())
        .send()
        .await
        .map_err(fail)?;
    if uploaded.status() != 201 {
        return Err(format!("upload: {}", uploaded.text().await.unwrap_or_default()));
    }
    client
        .put(format!("{url}/api/v1/models/iris/aliases/champion"))
        .bearer_auth(&token)
        .json(&json!({"version": 1, "reason": "benchmark"}))
        .send()
        .await
        .map_err(fail)?;

    // Ingest: the batches are made before the clock starts. Each client's events are a millisecond
    // apart, as a client scoring one row after another would stamp them.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let same_times = args.same_times;
    let bodies: Vec<Vec<String>> = (0..CLIENTS)
        .map(|c| {
            (0..args.batches)
                .map(|b| {
                    let events: Vec<Value> = (0..BATCH)
                        .map(|e| {
                            json!({"id": format!("c{c}-b{b}-e{e}"), "type": "prediction", "model": "iris", "version": 1,
                                   "at": now + if same_times { e } else { b * BATCH + e } as i64, "prediction_id": format!("p{c}-{b}-{e}"), "output": "setosa",
                                   "probabilities": [0.9, 0.05, 0.05], "latency_ms": 0.3})
                        })
                        .collect();
                    json!({ "events": events }).to_string()
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for batches in bodies {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            for body in batches {
                let reply = client
                    .post(format!("{url}/api/v1/events"))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let ack: Value = reply.json().await.map_err(|e| e.to_string())?;
                if ack["accepted"].as_array().map(Vec::len) != Some(BATCH) {
                    return Err(format!("a batch was not accepted whole: {ack}"));
                }
            }
            Ok::<(), String>(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    let ingest_seconds = started.elapsed().as_secs_f64();
    let events = (CLIENTS * args.batches * BATCH) as f64;

    // Registry reads, after a warm-up.
    let mut latencies = Vec::with_capacity(args.reads);
    for i in 0..args.reads + 100 {
        let start = Instant::now();
        let reply = client
            .get(format!("{url}/api/v1/models/iris/aliases/champion/bundle"))
            .bearer_auth(&token)
            .send()
            .await
            .map_err(fail)?;
        let bytes = reply.bytes().await.map_err(fail)?;
        let took = start.elapsed().as_secs_f64() * 1000.0;
        if bytes.len() != bundle.len() {
            return Err(format!("read {i}: {} bytes, expected {}", bytes.len(), bundle.len()));
        }
        if i >= 100 {
            latencies.push(took);
        }
    }
    latencies.sort_by(f64::total_cmp);
    let _ = child.kill();
    let _ = child.wait();
    Ok(json!({
        "ingest": {"clients": CLIENTS, "batch": BATCH, "events": events, "seconds": ingest_seconds,
                   "events_per_second": events / ingest_seconds},
        "registry_read": {"requests": args.reads, "bundle_bytes": bundle.len(),
                          "p50_ms": percentile(&latencies, 50.0), "p99_ms": percentile(&latencies, 99.0)},
    }))
}

fn main() {
    let args = match args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("server-bench: {e}");
            std::process::exit(2);
        }
    };
    if let Some(data) = &args.score_data {
        return score_main(&args, data);
    }
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let figures = or_exit(runtime.block_on(run(&args)));
    let mlflow = read_json(args.mlflow.as_ref());
    let tabml_rate = figures["ingest"]["events_per_second"].as_f64().unwrap_or(f64::NAN);
    let (p50, p99) = (
        figures["registry_read"]["p50_ms"].as_f64().unwrap_or(f64::NAN),
        figures["registry_read"]["p99_ms"].as_f64().unwrap_or(f64::NAN),
    );
    println!("| | tabml | MLflow | ratio | target |");
    println!("|---|---|---|---|---|");
    let m = |path: [&str; 2]| mlflow.as_ref().and_then(|m| m[path[0]][path[1]].as_f64());
    match m(["ingest", "metrics_per_second"]) {
        Some(rate) => println!(
            "| monitoring ingest, 4 clients × batches of 1,000 | {} events/s | {} metrics/s (log_batch) | {:.1}× | ≥ 20× |",
            tabml::thousands(tabml_rate.round() as u64),
            tabml::thousands(rate.round() as u64),
            tabml_rate / rate
        ),
        None => println!("| monitoring ingest, 4 clients × batches of 1,000 | {} events/s | — | — | ≥ 20× |", tabml::thousands(tabml_rate.round() as u64)),
    }
    let mp50 = m(["registry_read", "p50_ms"]).map_or("—".into(), |v| format!("{v:.2} ms"));
    let mp99 = m(["registry_read", "p99_ms"]).map_or("—".into(), |v| format!("{v:.2} ms"));
    println!("| registry read by alias, p50 | {p50:.2} ms | {mp50} (get_model_version_by_alias) | | |");
    println!("| registry read by alias, p99 | {p99:.2} ms | {mp99} | | < 2 ms |");
    write_json(args.out.as_ref(), &json!({"tabml": figures, "mlflow": mlflow}));
}

/// The value, or the error printed and exit 1.
fn or_exit<T>(result: Result<T, String>) -> T {
    result.unwrap_or_else(|e| {
        eprintln!("server-bench: {e}");
        std::process::exit(1);
    })
}

/// The JSON of another tool's figures, if given and readable.
fn read_json(path: Option<&PathBuf>) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path?).ok()?).ok()
}

/// Writes the figures to `out`, if given.
fn write_json(out: Option<&PathBuf>, figures: &Value) {
    if let Some(out) = out {
        if let Err(e) = std::fs::write(out, serde_json::to_string_pretty(figures).unwrap_or_default()) {
            eprintln!("server-bench: writing {}: {e}", out.display());
        }
    }
}

/// `--score-data`: `tabml score --server` against scikit-learn's figures.
fn score_main(args: &Args, data: &std::path::Path) {
    let figures = or_exit(score::measure(&args.tabml, data, &args.target));
    let sklearn = read_json(args.sklearn.as_ref());
    score::print(&figures, sklearn.as_ref());
    write_json(args.out.as_ref(), &json!({"tabml": figures, "sklearn": sklearn}));
}
