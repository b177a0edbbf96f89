//! The mentors' half of the server benchmark (issue 19): a model's 30-day series over a million
//! predictions, and the overview of a class of 50 models, answered by the router in process (no
//! socket, so the figure is the server's work: storage, figures, JSON).
//!
//! A class "bench" gets 50 models, each a version of the same logistic regression on iris (so CBPE
//! has a reference), version 1 in production and champion. The first model, "m00", gets 1,000,000
//! prediction events spread evenly over the last 30 days and a label for one in ten, stored through
//! `Storage::ingest` in batches of 1,000 as clients send them (each batch is made before its insert
//! is timed); the other 49 get `--others` predictions each over the last day.
//! Then, after one untimed request each, `--repeat` requests of: the 30-day series of "m00" by day
//! (30 buckets) and by hour (720), the 24-hour series by minute (1,440), and the class overview.
//! Prints a Markdown table (best and median of the repeats) and writes the figures as JSON.
//!
//! `mentor-bench [--events 1000000] [--others 2000] [--repeat 5] [--out FILE.json]`

use axum::body::Body;
use axum::http::{Method, Request};
use serde_json::{json, Value};
use std::time::Instant;
use tabml::api::Role;
use tabml_server::storage::{NewUser, StoredEvent};
use tabml_server::{AppState, Durability, ServerConfig, Storage};
use tower::ServiceExt;

const PASSWORD: &str = "benchmark password";
const DAY_MS: i64 = 86_400_000;
const MODELS: usize = 50;
const BATCH: usize = 1000;
const LABELS: [&str; 3] = ["setosa", "versicolor", "virginica"];

struct Args {
    events: usize,
    others: usize,
    repeat: usize,
    out: Option<std::path::PathBuf>,
}

fn args() -> Result<Args, String> {
    let mut parsed = Args { events: 1_000_000, others: 2_000, repeat: 5, out: None };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|e| format!("{flag} {value}: {e}"));
        match flag.as_str() {
            "--events" => parsed.events = number()?,
            "--others" => parsed.others = number()?,
            "--repeat" => parsed.repeat = number()?.max(1),
            "--out" => parsed.out = Some(value.into()),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(parsed)
}

/// Calls the router in process; panics on an answer other than `expected`.
async fn call(router: &axum::Router, method: Method, path: &str, token: &str, body: Option<Value>) -> Value {
    let mut request =
        Request::builder().method(method).uri(path).header("authorization", format!("Bearer {token}"));
    let bytes = match body {
        Some(body) => {
            request = request.header("content-type", "application/json");
            serde_json::to_vec(&body).unwrap()
        }
        None => Vec::new(),
    };
    let response = router.clone().oneshot(request.body(Body::from(bytes)).unwrap()).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    assert!(status.is_success(), "{path}: {status} {}", String::from_utf8_lossy(&body));
    if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap()
    }
}

async fn upload(router: &axum::Router, token: &str, name: &str, bundle: &[u8]) {
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/models/{name}/versions"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/octet-stream")
        .body(Body::from(bundle.to_vec()))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 201, "uploading {name}");
}

/// Prediction `i` of `n` about model `model_id`, spread evenly from `start` over `span` ms, and its
/// label event for one in ten.
fn events(
    model: &str,
    model_id: i64,
    prefix: &str,
    i: usize,
    n: usize,
    start: i64,
    span: i64,
) -> Vec<StoredEvent> {
    let at = start + (i as i128 * span as i128 / n as i128) as i64;
    // A cheap, repeatable spread of probabilities, latencies and failures.
    let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
    let p = 0.34 + 0.6 * ((h % 1000) as f64 / 1000.0);
    let probabilities = vec![p, (1.0 - p) * 0.7, (1.0 - p) * 0.3];
    let latency = 0.2 + ((h >> 10) % 5000) as f64 / 1000.0;
    let failed = h.is_multiple_of(100);
    let output = LABELS[(h >> 20) as usize % 3];
    let prediction_id = format!("{prefix}{i}");
    let body = json!({"id": format!("e{prediction_id}"), "type": "prediction", "model": model, "version": 1,
                      "at": at, "prediction_id": prediction_id, "output": output,
                      "probabilities": probabilities, "latency_ms": latency})
    .to_string();
    let mut out = vec![StoredEvent {
        client_id: format!("e{prediction_id}"),
        kind: "prediction",
        model_id,
        version: 1,
        at,
        prediction_id: Some(prediction_id.clone()),
        body,
        latency_ms: Some(latency),
        failed,
        value: (!failed).then(|| output.to_owned()),
        confidence: Some(p),
        probabilities: Some(probabilities),
    }];
    if i.is_multiple_of(10) {
        let label = LABELS[(h >> 30) as usize % 3];
        out.push(StoredEvent {
            client_id: format!("l{prediction_id}"),
            kind: "label",
            model_id,
            version: 1,
            at: at + 60_000,
            body: json!({"id": format!("l{prediction_id}"), "type": "label", "model": model, "version": 1,
                         "at": at + 60_000, "prediction_id": prediction_id, "label": label})
            .to_string(),
            prediction_id: Some(prediction_id),
            latency_ms: None,
            failed: false,
            value: Some(label.to_owned()),
            confidence: None,
            probabilities: None,
        });
    }
    out
}

/// `repeat` timings (ms) of a GET, in the order taken, after one untimed; and its answer.
async fn time_get(router: &axum::Router, token: &str, path: &str, repeat: usize) -> (Vec<f64>, Value) {
    let answer = call(router, Method::GET, path, token, None).await;
    let mut times = Vec::with_capacity(repeat);
    for _ in 0..repeat {
        let start = Instant::now();
        call(router, Method::GET, path, token, None).await;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    (times, answer)
}

async fn run(args: &Args) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mentor-bench.db");
    let config = ServerConfig {
        db: db.clone(),
        durability: Durability::Normal,
        rate_per_peer: 0,
        rate_per_token: 0,
        event_bytes_per_day: 0,
        ..ServerConfig::default()
    };
    let storage = Storage::open(&db, config.durability).unwrap();
    let hash = tabml_server::auth::hash_password(PASSWORD).unwrap();
    storage.create_user(&NewUser { name: "grace", role: Role::Mentor, password_hash: &hash }).unwrap();
    let state = AppState::new(storage, &config);
    let storage = state.storage.clone();
    let router = tabml_server::app(state);
    let login = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(json!({"name": "grace", "password": PASSWORD}).to_string()))
        .unwrap();
    let login = router.clone().oneshot(login).await.unwrap();
    let login: Value =
        serde_json::from_slice(&axum::body::to_bytes(login.into_body(), usize::MAX).await.unwrap()).unwrap();
    let token = login["token"].as_str().unwrap().to_owned();

    // The class and its models, each with the same logistic regression in production and champion.
    call(&router, Method::POST, "/api/v1/classes", &token, Some(json!({"name": "bench"}))).await;
    let csv = std::fs::read(tabml_tests::workspace_root().join("public/data/iris.csv")).unwrap();
    let table = tabml::parse_csv(&csv).unwrap();
    let config = tabml::TrainConfig::new(tabml::ModelKind::LogisticRegression);
    let bundle = tabml::train(&table, "species", &config).unwrap().bundle.encode();
    let names: Vec<String> = (0..MODELS).map(|m| format!("m{m:02}")).collect();
    for name in &names {
        call(&router, Method::POST, "/api/v1/models", &token, Some(json!({"name": name, "class": "bench"})))
            .await;
        upload(&router, &token, name, &bundle).await;
        let stage = json!({"stage": "production", "reason": "benchmark"});
        call(&router, Method::PUT, &format!("/api/v1/models/{name}/versions/1/stage"), &token, Some(stage))
            .await;
        let alias = json!({"version": 1, "reason": "benchmark"});
        call(&router, Method::PUT, &format!("/api/v1/models/{name}/aliases/champion"), &token, Some(alias))
            .await;
    }

    // The events, stored in batches of 1,000 as clients send them; each batch is made before the
    // clock starts for it.
    let now = tabml_server::storage::now_ms();
    let ids: Vec<i64> = names.iter().map(|n| storage.model_access(n).unwrap().id).collect();
    let mut plan: Vec<(usize, usize, i64, i64)> = vec![(0, args.events, now - 30 * DAY_MS, 30 * DAY_MS)];
    plan.extend((1..MODELS).map(|m| (m, args.others, now - DAY_MS, DAY_MS)));
    let (mut stored, mut ingest_seconds) = (0usize, 0.0);
    for (m, n, start, span) in plan {
        let prefix = format!("m{m}-");
        let mut i = 0;
        while i < n {
            let mut batch = Vec::with_capacity(BATCH + BATCH / 10);
            while i < n && batch.len() < BATCH {
                batch.extend(events(&names[m], ids[m], &prefix, i, n, start, span));
                i += 1;
            }
            let started = Instant::now();
            storage.ingest(1, &batch, 0).unwrap();
            ingest_seconds += started.elapsed().as_secs_f64();
            stored += batch.len();
        }
    }

    let from = now - 30 * DAY_MS;
    let to = now + 1;
    let mut figures = serde_json::Map::new();
    for (key, path) in [
        ("series_30d_daily", format!("/api/v1/models/m00/series?from={from}&to={to}&step=86400")),
        ("series_30d_hourly", format!("/api/v1/models/m00/series?from={from}&to={to}&step=3600")),
        ("series_24h_by_minute", format!("/api/v1/models/m00/series?from={}&to={to}&step=60", now - DAY_MS)),
        ("class_overview_50_models", "/api/v1/classes/bench/overview".to_owned()),
    ] {
        let (times, answer) = time_get(&router, &token, &path, args.repeat).await;
        let mut sorted = times.clone();
        sorted.sort_by(f64::total_cmp);
        let (best, median) =
            (sorted[0], tabml::metrics::percentile_sorted(&sorted, 50.0).unwrap_or(f64::NAN));
        let volume: u64 = match answer.get("buckets") {
            Some(buckets) => buckets.as_array().unwrap().iter().map(|b| b["volume"].as_u64().unwrap()).sum(),
            None => answer["models"].as_array().unwrap().iter().map(|m| m["volume"].as_u64().unwrap()).sum(),
        };
        figures.insert(
            key.into(),
            json!({"path": path, "best_ms": best, "median_ms": median, "times_ms": times, "predictions": volume}),
        );
    }
    let database_bytes = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    json!({
        "build": if cfg!(debug_assertions) { "dev" } else { "release" },
        "events_stored": stored,
        "ingest_seconds": ingest_seconds,
        "database_bytes": database_bytes,
        "figures": figures,
    })
}

fn main() {
    let args = match args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("mentor-bench: {e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let all = runtime.block_on(run(&args));
    println!(
        "{} build; {} events stored in {:.1} s (batches of 1,000, durability normal)",
        all["build"].as_str().unwrap_or("?"),
        tabml::thousands(all["events_stored"].as_u64().unwrap_or(0)),
        all["ingest_seconds"].as_f64().unwrap_or(f64::NAN)
    );
    println!("| request | predictions | best | median | target |");
    println!("|---|---|---|---|---|");
    for (key, what, target) in [
        ("series_30d_daily", "30-day series, 30 daily buckets", "< 200 ms"),
        ("series_30d_hourly", "30-day series, 720 hourly buckets", "< 200 ms"),
        ("series_24h_by_minute", "24-hour series, 1,440 buckets of a minute", ""),
        ("class_overview_50_models", "class overview, 50 models, last 24 hours", ""),
    ] {
        let f = &all["figures"][key];
        println!(
            "| {what} | {} | {:.1} ms | {:.1} ms | {target} |",
            tabml::thousands(f["predictions"].as_u64().unwrap_or(0)),
            f["best_ms"].as_f64().unwrap_or(f64::NAN),
            f["median_ms"].as_f64().unwrap_or(f64::NAN)
        );
    }
    if let Some(out) = &args.out {
        if let Err(e) = std::fs::write(out, serde_json::to_string_pretty(&all).unwrap_or_default()) {
            eprintln!("mentor-bench: writing {}: {e}", out.display());
        }
    }
}
