//! A model's "Over time" section, as a mentor sees it: two versions' traffic over the last hours
//! (with probabilities, labels and a drifted profile), drawn as charts; the window's drift table
//! with each column's overlay; the champion beside the challenger with the API's numbers; and new
//! traffic showing up without a reload.

use super::mentor::{iris_model, js_now, sign_in};
use super::{api_token, class_code, get_json, js_bool, post_json, save_screenshot_at, wait_for, Session};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const MINUTE: i64 = 60_000;
const LABELS: [&str; 3] = ["setosa", "versicolor", "virginica"];

/// `n` predictions of `version` from `start`, `gap` ms apart, with class probabilities and, for
/// every other one, a label; ids from `prefix`.
fn traffic(prefix: &str, version: u32, start: i64, gap: i64, n: usize) -> Vec<Value> {
    let mut events = Vec::new();
    for i in 0..n {
        let p = 0.4 + 0.5 * ((i * 7) % 10) as f64 / 10.0;
        let id = format!("{prefix}{i}");
        events.push(json!({"id": id, "type": "prediction", "model": "iris-species", "version": version,
            "at": start + i as i64 * gap, "prediction_id": id, "output": LABELS[i % 3],
            "probabilities": [p, (1.0 - p) * 0.7, (1.0 - p) * 0.3], "latency_ms": 1.0 + (i % 9) as f64}));
        if i % 2 == 0 {
            events.push(json!({"id": format!("l-{id}"), "type": "label", "model": "iris-species",
                "version": version, "at": js_now(), "prediction_id": id, "label": LABELS[(i / 2) % 3]}));
        }
    }
    events
}

/// How many pixels of the canvas with this id are not white.
async fn inked(client: &fantoccini::Client, id: &str) -> u64 {
    let script = format!(
        "const c = document.getElementById('{id}'); if (!c || c.width === 0) return 0;
         const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
         for (let i = 0; i < d.length; i += 4) if (d[i] < 240 || d[i+1] < 240 || d[i+2] < 240) n++;
         return n;"
    );
    client.execute(&script, vec![]).await.unwrap().as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_page_draws_its_window_compares_versions_and_follows_new_traffic() {
    let session = Session::open().await;
    let client = &session.client;
    class_code(&session).await;
    let token = api_token(&session, "grace").await;
    iris_model(
        &session,
        &token,
        &[tabml::ModelKind::LogisticRegression, tabml::ModelKind::GaussianNaiveBayes],
    )
    .await;
    for (alias, version) in [("champion", 1), ("challenger", 2)] {
        let put = reqwest::Client::new()
            .put(session.url(&format!("/api/v1/models/iris-species/aliases/{alias}")))
            .bearer_auth(&token)
            .json(&json!({"version": version, "reason": "compare them"}));
        assert_eq!(put.send().await.unwrap().status(), 200);
    }
    // Six hours of traffic: version 1 throughout, version 2 for the last three hours; a profile of
    // shifted rows for version 1.
    let now = js_now();
    let mut events = traffic("a", 1, now - 6 * 60 * MINUTE, 9 * MINUTE, 40);
    events.extend(traffic("b", 2, now - 3 * 60 * MINUTE, 7 * MINUTE, 25));
    let shifted = crate::monitoring::shifted_iris(1.5);
    events.push(json!({"id": "profile-1", "type": "profile", "model": "iris-species", "version": 1,
        "at": now - 30 * MINUTE, "profile": tabml::drift::DataProfile::of_rows(&shifted, None)}));
    let ack = post_json(&session, "/api/v1/events", Some(&token), json!({"events": events})).await;
    assert!(ack["rejected"].as_array().is_none_or(Vec::is_empty), "{ack}");

    sign_in(client, "grace").await;
    client.goto(&session.url("/registry/iris-species")).await.unwrap();
    wait_for(client, "#over-time").await;
    // Every chart is drawn: ink on each canvas, and an aria-label saying what it shows.
    let charts = [
        "chart-volume",
        "chart-errors",
        "chart-latency",
        "chart-accuracy",
        "chart-drift",
        "chart-predictions",
    ];
    let started = Instant::now();
    for id in charts {
        while inked(client, id).await < 500 {
            assert!(started.elapsed() < Duration::from_secs(60), "{id} was never drawn");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    let label = wait_for(client, "#chart-volume").await.attr("aria-label").await.unwrap().unwrap();
    assert!(label.contains("65 in all") && label.contains("v1: 40") && label.contains("v2: 25"), "{label}");

    // The window's drift table: a row per column, each with its overlay, some drifted.
    wait_for(client, "#over-time-drift tbody tr.drifted").await;
    assert!(
        js_bool(
            client,
            "return document.querySelectorAll('#over-time-drift tbody tr').length >= 4 && \
        document.querySelectorAll('#over-time-drift svg.overlay rect').length > 8"
        )
        .await
    );

    // Champion and challenger: each version's numbers in the window, as the API gives them.
    let to = (js_now() / 3_600_000 + 1) * 3_600_000;
    let from = to - 24 * 3_600_000;
    for (column, version) in [(0, 1), (1, 2)] {
        let d = get_json(
            &session,
            &format!("/api/v1/models/iris-species/dashboard?from={from}&to={to}&version={version}"),
            &token,
        )
        .await;
        let row =
            |figure: &str| format!("#champion-table td[data-figure='{figure}']:nth-of-type({})", column + 1);
        let volume = wait_for(client, &row("volume")).await.text().await.unwrap();
        assert_eq!(volume, d["volume"].to_string(), "v{version}");
        let percent = |v: &Value| format!("{:.1}%", v.as_f64().unwrap() * 100.0);
        assert_eq!(wait_for(client, &row("accuracy")).await.text().await.unwrap(), percent(&d["accuracy"]));
        let estimated = wait_for(client, &row("estimated")).await.text().await.unwrap();
        assert!(estimated.starts_with(&percent(&d["estimated_accuracy"])), "{estimated}");
        assert!(estimated.contains(&percent(&d["estimated_accuracy_lower"])), "{estimated}");
    }
    for (name, width) in [("over-time-1024.png", 1024), ("over-time-phone.png", 390)] {
        // The charts redraw at the new width first.
        client.set_window_size(width, 900).await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        save_screenshot_at(client, name, width).await;
    }

    // While nothing changes, the page's next round is answered 304 (the browser records each
    // response's status).
    let started = Instant::now();
    let revalidated = "return performance.getEntriesByType('resource')
        .some(e => e.name.includes('/series?') && e.responseStatus === 304)";
    while !js_bool(client, revalidated).await {
        assert!(started.elapsed() < Duration::from_secs(25), "no 304 for the series");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // New traffic while the page is open: the window's volume changes without a reload.
    let more = traffic("c", 2, js_now() - MINUTE, 1_000, 7);
    post_json(&session, "/api/v1/events", Some(&token), json!({"events": more})).await;
    let started = Instant::now();
    loop {
        let text = wait_for(client, "#over-time-volume").await.text().await.unwrap();
        if text.starts_with("72 predictions") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(25), "still {text:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!("new traffic showed after {:.1} s", started.elapsed().as_secs_f64());
    session.close().await;
}
