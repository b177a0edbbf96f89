//! `--offline`: the app with the server away (issue 18). A learner joins a class, trains iris,
//! shares it and opens the Score page with the pulled version; once the service worker controls
//! the page, the server is paused and the page reloaded five times from the browser alone: the time
//! from navigation to the app's interactive mark, and from the reload to the pulled model's first
//! prediction of the one-row form (wall clock, as the learner waits). Beside it, the same reload
//! with the server up. Then, three times: 10,000 rows scored with the server away (10,002 events
//! in the outbox), the server back and the browser told it is online, and the time until the outbox
//! is empty, with its events stored once.

use super::{millis, number, wait, Args, Chromium, PATIENCE};
use fantoccini::Client;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const PASSWORD: &str = "a long password";
const ROWS: usize = 10_000;

/// Reloads the page and returns (navigation → interactive mark, reload → first row prediction), ms.
async fn reload(client: &Client) -> (f64, f64) {
    let start = Instant::now();
    client.refresh().await.expect("the page reloads");
    wait(client, "#row-prediction[data-prediction]").await;
    let scored = millis(start);
    let interactive = number(
        client,
        "const m = performance.getEntriesByName('tabml-interactive'); return m.length ? m[0].startTime : -1;",
    )
    .await;
    (interactive, scored)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The outbox's waiting count, as the header's badge says it.
async fn waiting(client: &Client) -> f64 {
    number(
        client,
        "const b = document.getElementById('outbox-badge'); return b ? Number(b.dataset.waiting) : -1;",
    )
    .await
}

async fn post(url: String, token: Option<&str>, body: Value) -> Value {
    let mut request = reqwest::Client::new().post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("the server answers").json().await.expect("JSON")
}

pub(super) async fn offline_main(args: &Args) {
    let Chromium { mut server, client, _driver, _profile } = Chromium::open(&args.dist).await;
    // A mentor's class, which the learner joins in the page.
    server.create_user("grace", tabml::api::Role::Mentor, PASSWORD);
    let login = json!({"name": "grace", "password": PASSWORD});
    let token =
        post(server.url("/api/v1/auth/login"), None, login).await["token"].as_str().unwrap().to_owned();
    let class = post(server.url("/api/v1/classes"), Some(&token), json!({"name": "bench"})).await;
    let code = class["join_code"].as_str().expect("a join code").to_owned();
    client.goto(&server.url("/")).await.expect("the page loads");
    wait(&client, "main[data-restored='true']").await;
    wait(&client, "#account-sign-in").await.click().await.unwrap();
    wait(&client, "#join-name").await.send_keys("lin").await.unwrap();
    wait(&client, "#join-password").await.send_keys(PASSWORD).await.unwrap();
    wait(&client, "#join-code").await.send_keys(&code).await.unwrap();
    wait(&client, "#join-button").await.click().await.unwrap();
    wait(&client, "#account-name").await;
    wait(&client, "button[data-dataset='iris']").await.click().await.unwrap();
    wait(&client, "#model-select").await.select_by_value("logistic regression").await.unwrap();
    wait(&client, "#train-button").await.click().await.unwrap();
    let name = wait(&client, "#share-name").await;
    name.clear().await.unwrap();
    name.send_keys("iris-species").await.unwrap();
    wait(&client, "#share-button").await.click().await.unwrap();
    wait(&client, "#share-done").await;
    client.goto(&server.url("/score?model=iris-species&version=1")).await.unwrap();
    wait(&client, "#score-model[data-version='1']").await;
    let deadline = Instant::now() + PATIENCE;
    while number(&client, "return navigator.serviceWorker && navigator.serviceWorker.controller ? 1 : 0")
        .await
        != 1.0
    {
        assert!(Instant::now() < deadline, "the service worker never took over the page");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    eprintln!("reloading with the server up, then away…");
    let (mut online_mark, mut online_scored) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let (mark, scored) = reload(&client).await;
        online_mark.push(mark);
        online_scored.push(scored);
    }
    server.pause().await;
    let (mut offline_mark, mut offline_scored) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let (mark, scored) = reload(&client).await;
        offline_mark.push(mark);
        offline_scored.push(scored);
    }

    eprintln!("draining {ROWS} rows' events, three times…");
    let files = tempfile::tempdir().expect("a folder");
    let path = files.path().join("flowers.csv");
    std::fs::write(&path, tabml_tests::iris_flowers(ROWS)).expect("the file is written");
    let events = (ROWS + 2) as f64;
    let mut drains = Vec::new();
    for round in 0..3 {
        if round > 0 {
            server.pause().await;
        }
        client.execute("document.getElementById('score-file').value = '';", vec![]).await.unwrap();
        wait(&client, "#score-file").await.send_keys(path.to_str().unwrap()).await.unwrap();
        let deadline = Instant::now() + PATIENCE;
        while waiting(&client).await != events {
            assert!(Instant::now() < deadline, "the events were never queued");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server.resume().await;
        let start = Instant::now();
        client.execute("window.dispatchEvent(new Event('online'))", vec![]).await.unwrap();
        let mut first = None;
        loop {
            let left = waiting(&client).await;
            if first.is_none() && left < events {
                first = Some(millis(start));
            }
            if left == 0.0 {
                break;
            }
            assert!(Instant::now() < deadline, "the outbox never emptied ({left} left)");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        drains.push((millis(start), first.unwrap_or(f64::NAN)));
    }
    let dashboard: Value = reqwest::Client::new()
        .get(server.url("/api/v1/models/iris-species/dashboard"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(dashboard["volume"], 3 * ROWS, "every event once: {dashboard}");
    server.stop().await;

    let mut totals: Vec<f64> = drains.iter().map(|d| d.0).collect();
    let best = totals.iter().copied().fold(f64::INFINITY, f64::min);
    let drain_median = median(&mut totals);
    let first_median = median(&mut drains.iter().map(|d| d.1).collect::<Vec<_>>());
    let report = json!({
        "online_reload_interactive_ms": median(&mut online_mark),
        "online_reload_scored_ms": median(&mut online_scored),
        "offline_reload_interactive_ms": median(&mut offline_mark),
        "offline_reload_scored_ms": median(&mut offline_scored),
        "drain_10k_best_ms": best,
        "drain_10k_median_ms": drain_median,
        "drain_first_batch_median_ms": first_median,
        "drains_ms": drains.iter().map(|d| d.0).collect::<Vec<_>>(),
    });
    println!("| the app with the server away (median of 5 reloads; 3 drains) | server up | server away |");
    println!("| --- | ---: | ---: |");
    println!(
        "| reload → the app's interactive mark | {:.0} ms | {:.0} ms |",
        report["online_reload_interactive_ms"].as_f64().unwrap_or(f64::NAN),
        report["offline_reload_interactive_ms"].as_f64().unwrap_or(f64::NAN)
    );
    println!(
        "| reload → the pulled model's first prediction | {:.0} ms | {:.0} ms |",
        report["online_reload_scored_ms"].as_f64().unwrap_or(f64::NAN),
        report["offline_reload_scored_ms"].as_f64().unwrap_or(f64::NAN)
    );
    println!(
        "| 10,002 queued events: server back → outbox empty | {best:.0} ms best, {drain_median:.0} ms median (first batch acknowledged after {first_median:.0} ms) | |"
    );
    if let Some(out) = &args.out {
        std::fs::write(out, report.to_string()).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    }
}
