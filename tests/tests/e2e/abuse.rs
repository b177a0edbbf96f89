//! What a hostile or careless client tries, from the attack review of issue 15, and that the server
//! holds: events about versions nobody uploaded, learners changing what serves production, hostile
//! profiles, oversized events and floods of them, connections that trickle or idle, and reaching
//! into another class's models.

use crate::harness::{bundle, now, prediction, profile_event, Api, Send};
use axum::http::Method;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use tabml::drift::DataProfile;
use tabml_server::storage::StoredEvent;

fn iris_profile(rows: std::ops::Range<usize>) -> DataProfile {
    let csv = std::fs::read(tabml_tests::workspace_root().join("public/data/iris.csv")).unwrap();
    let table = tabml::parse_csv(&csv).unwrap();
    let rows: Vec<usize> = rows.collect();
    DataProfile::of_rows(&table, Some(&rows))
}

fn rule(metric: &str) -> Value {
    json!({"name": metric, "metric": metric, "window_minutes": 60, "comparator": "above", "threshold": 0,
           "action": "look"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_about_missing_versions_are_refused_and_cannot_silence_other_rules() {
    let api = Api::start(false).await;
    api.hand_out(&api.mentor, "iris").await;
    api.upload(&api.mentor, "iris", bundle(1, false)).await.expect(201);
    let profile = serde_json::to_value(iris_profile(0..50)).unwrap();
    let reply = api.events(&api.learner, vec![profile_event("f1", "iris", 7, &profile)]).await;
    assert_eq!(reply.error(400, "invalid_input"), "events[0]: the model \"iris\" has no version 7");
    let mut late = prediction("p0", "iris");
    late["version"] = json!(2);
    api.events(&api.learner, vec![late]).await.error(400, "invalid_input");

    // A database written before this check may hold such an event: it must not break the model.
    for metric in ["drift_share", "volume"] {
        let path = "/api/v1/models/iris/alert-rules";
        api.call(Method::POST, path, Some(&api.mentor), Send::Json(rule(metric))).await.expect(201);
    }
    let storage = api.state.as_ref().unwrap().storage.clone();
    let model = storage.model_access("iris").unwrap();
    let body = profile_event("old", "iris", 7, &profile).to_string();
    let old = StoredEvent {
        client_id: "old".into(),
        kind: "profile",
        model_id: model.id,
        version: 7,
        at: now(),
        prediction_id: None,
        body,
        latency_ms: None,
        failed: false,
        value: None,
        confidence: None,
        probabilities: None,
    };
    storage.ingest(1, &[old], 0).unwrap();
    api.events(&api.learner, vec![prediction("p1", "iris")]).await.expect(200);
    let dashboard = api.get("/api/v1/models/iris/dashboard", &api.learner).await.expect(200);
    assert_eq!(dashboard["volume"], 1);
    let alerts = api.get("/api/v1/alerts?model=iris", &api.mentor).await.expect(200);
    let fired: Vec<&str> = alerts.as_array().unwrap().iter().map(|a| a["rule"].as_str().unwrap()).collect();
    assert_eq!(fired, ["volume"], "the volume rule fires whatever the drift rule makes of the old event");
}

both_ways!(changing_what_serves_production_needs_a_mentor);
async fn changing_what_serves_production_needs_a_mentor(loopback: bool) {
    let api = Api::start(loopback).await;
    let api = &api;
    api.register(&api.learner, "mine").await;
    for seed in 1..=4 {
        api.upload(&api.learner, "mine", bundle(seed, false)).await.expect(201);
    }
    let put = |token: &str, path: &str, body: Value| {
        let (token, path) = (token.to_owned(), format!("/api/v1/models/mine/{path}"));
        async move { api.call(Method::PUT, &path, Some(&token), Send::Json(body)).await }
    };
    let retire = |token: &str, version: u32| {
        let (token, path) = (token.to_owned(), format!("/api/v1/models/mine/versions/{version}/retire"));
        async move {
            let body = Send::Json(json!({"reason": "not needed"}));
            api.call(Method::POST, &path, Some(&token), body).await
        }
    };
    let alias = |version: u32| json!({"version": version, "reason": "r"});
    put(&api.learner, "aliases/champion", alias(1)).await.expect(200);
    put(&api.learner, "aliases/spare", alias(4)).await.expect(200);
    let policy = json!({"strategy": "canary", "primary": {"alias": "champion"}, "secondary": {"version": 2},
                        "percent": 10.0, "reason": "reviewed"});
    put(&api.mentor, "policy", policy).await.expect(200);

    // The policy follows "champion": the learner cannot point it at an unreviewed version.
    let message = put(&api.learner, "aliases/champion", alias(3)).await.error(403, "forbidden");
    assert!(message.contains("follows the alias \"champion\""), "{message}");
    // Nor retire what the policy serves, by number or through its alias.
    assert!(retire(&api.learner, 2).await.error(403, "forbidden").contains("serves version 2"));
    assert!(retire(&api.learner, 1).await.error(403, "forbidden").contains("serves version 1"));
    // A mentor changes the policy first; retiring it from under the policy is a conflict.
    assert!(retire(&api.mentor, 2).await.error(409, "conflict").contains("change the policy first"));
    let info = api.get("/api/v1/models/mine/policy", &api.other_learner).await.expect(200);
    assert_eq!((info["primary_version"].as_u64(), info["secondary_version"].as_u64()), (Some(1), Some(2)));

    // An alias naming a version in production is the mentor's to move, too.
    let stage = json!({"stage": "production", "reason": "reviewed"});
    put(&api.mentor, "versions/4/stage", stage).await.expect(200);
    let message = put(&api.learner, "aliases/spare", alias(3)).await.error(403, "forbidden");
    assert!(message.contains("in production"), "{message}");
    assert!(retire(&api.learner, 4).await.error(403, "forbidden").contains("in production"));
    put(&api.mentor, "aliases/spare", alias(3)).await.expect(200);
    // What serves nothing stays the owner's: a fresh alias, and retiring an idle version.
    put(&api.learner, "aliases/mine", alias(3)).await.expect(200);
    retire(&api.learner, 3).await.expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_profiles_are_refused_and_merges_are_cached() {
    let api = Api::start(false).await;
    api.hand_out(&api.mentor, "iris").await;
    api.upload(&api.mentor, "iris", bundle(1, false)).await.expect(201);

    // Too many columns for any model's profile, and too many bytes for one event.
    let mut wide = serde_json::to_value(iris_profile(0..10)).unwrap();
    let column = wide["columns"][0].clone();
    let columns: Vec<Value> = (0..2_001)
        .map(|i| {
            let mut c = column.clone();
            c["name"] = json!(format!("c{i}"));
            c
        })
        .collect();
    wide["columns"] = json!(columns);
    let reply = api.events(&api.learner, vec![profile_event("wide", "iris", 1, &wide)]).await;
    let message = reply.error(400, "invalid_input");
    assert!(message.starts_with("events[0]: profile: ") && message.contains("2000"), "{message}");
    // The review's two profiles of 40,000 columns: each is refused on its size, before any check.
    let mut huge = wide.clone();
    huge["columns"] = json!((0..40_000)
        .map(|i| {
            let mut c = column.clone();
            c["name"] = json!(format!("c{i}"));
            c
        })
        .collect::<Vec<_>>());
    let reply = api.events(&api.learner, vec![profile_event("huge", "iris", 1, &huge)]).await;
    assert!(reply.error(400, "invalid_input").contains("at most 1048576 bytes"));

    // Honest profiles merge once: reading the dashboard again merges nothing, and one profile
    // more merges that one only.
    let merger = api.state.as_ref().unwrap().merger.clone();
    for (i, rows) in [0..40, 40..100, 100..150].into_iter().enumerate() {
        let profile = serde_json::to_value(iris_profile(rows)).unwrap();
        api.events(&api.learner, vec![profile_event(&format!("f{i}"), "iris", 1, &profile)])
            .await
            .expect(200);
    }
    let before = merger.profiles_read();
    let first = api.get("/api/v1/models/iris/dashboard", &api.learner).await.expect(200);
    assert_eq!((first["drift"]["batches"].as_u64(), first["drift"]["rows"].as_u64()), (Some(3), Some(150)));
    assert_eq!(merger.profiles_read() - before, 3);
    let again = api.get("/api/v1/models/iris/dashboard", &api.learner).await.expect(200);
    assert_eq!(again["drift"], first["drift"]);
    assert_eq!(merger.profiles_read() - before, 3, "a second read is served from the cache");
    let profile = serde_json::to_value(iris_profile(0..20)).unwrap();
    api.events(&api.learner, vec![profile_event("f3", "iris", 1, &profile)]).await.expect(200);
    let grown = api.get("/api/v1/models/iris/dashboard", &api.learner).await.expect(200);
    assert_eq!((grown["drift"]["batches"].as_u64(), grown["drift"]["rows"].as_u64()), (Some(4), Some(170)));
    assert_eq!(merger.profiles_read() - before, 4, "one profile more merges that one only");
}

both_ways!(events_are_capped_in_size_and_bytes_per_day);
async fn events_are_capped_in_size_and_bytes_per_day(loopback: bool) {
    let api = Api::start_with(loopback, |c| c.event_bytes_per_day = 2_000).await;
    api.register(&api.learner, "mine").await;
    api.upload(&api.learner, "mine", bundle(1, false)).await.expect(201);
    let mut big = prediction("big", "mine");
    big["features"] = json!({"notes": "x".repeat(70_000)});
    let message = api.events(&api.learner, vec![big]).await.error(400, "invalid_input");
    assert!(message.starts_with("events[0]: a prediction event is at most 65536 bytes"), "{message}");
    let mut long = prediction("long", "mine");
    long["output"] = json!("y".repeat(5_000));
    let message = api.events(&api.learner, vec![long]).await.error(400, "invalid_input");
    assert!(message.starts_with("events[0]: output: at most 4096 bytes"), "{message}");

    // Each prediction stores about 250 bytes: the quota of 2,000 a day stops the ninth or so.
    let mut accepted = Vec::new();
    let refused = loop {
        let id = format!("q{}", accepted.len());
        let reply = api.events(&api.learner, vec![prediction(&id, "mine")]).await;
        if reply.status != 200 {
            break (id, reply);
        }
        accepted.push(id);
        assert!(accepted.len() < 20, "the quota never stopped a batch");
    };
    let (id, reply) = refused;
    assert!(accepted.len() >= 5, "{accepted:?}");
    assert!(reply.error(429, "quota_exceeded").contains("daily quota of 2000 bytes"));
    let retry: u64 = reply.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&retry), "{retry}");
    // The refused batch stored nothing, and a batch already stored is still answered as such.
    let again = api.events(&api.learner, vec![prediction(&accepted[0], "mine")]).await.expect(200);
    assert_eq!(again, json!({"accepted": [], "duplicates": [accepted[0]]}));
    api.events(&api.learner, vec![prediction(&id, "mine")]).await.error(429, "quota_exceeded");
    // Another user has a quota of their own.
    api.register(&api.other_learner, "theirs").await;
    api.upload(&api.other_learner, "theirs", bundle(1, false)).await.expect(201);
    api.events(&api.other_learner, vec![prediction("o1", "theirs")]).await.expect(200);
}

/// Reads until the server closes the connection (or `limit` passes); true if it closed.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let end = Instant::now() + limit;
    let mut buffer = [0u8; 512];
    while Instant::now() < end {
        stream.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return true,
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickling_and_idle_connections_are_closed_and_capped() {
    let api = Api::start_with(true, |c| {
        c.header_timeout = Duration::from_secs(1);
        c.max_connections = 3;
    })
    .await;
    let addr = api.server.addr;
    let health = api.server.url("/api/v1/health");
    tokio::task::spawn_blocking(move || {
        // Three connections that start a request and never finish its headers fill the cap.
        let mut stalled: Vec<TcpStream> = (0..3)
            .map(|_| {
                let mut s = TcpStream::connect(addr).unwrap();
                s.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n").unwrap();
                s
            })
            .collect();
        std::thread::sleep(Duration::from_millis(200));
        // A fourth is closed at once, without an answer.
        let mut fourth = TcpStream::connect(addr).unwrap();
        let _ = fourth.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        let mut answer = Vec::new();
        fourth.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = fourth.read_to_end(&mut answer);
        assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
        // The header deadline closes the stalled ones, which frees their places.
        for s in &mut stalled {
            assert!(closed_within(s, Duration::from_secs(5)), "a stalled connection stayed open");
        }
        // A client trickling one header byte every 150 ms is cut off too.
        let mut trickle = TcpStream::connect(addr).unwrap();
        let request = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
        let start = Instant::now();
        let mut cut = false;
        for byte in request {
            if trickle.write_all(&[*byte]).is_err() {
                cut = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(150));
        }
        assert!(cut || closed_within(&mut trickle, Duration::from_secs(2)), "the trickle was served");
        assert!(start.elapsed() < Duration::from_secs(8));
    })
    .await
    .unwrap();
    // An idle kept-alive connection is closed too, and the server answers as before.
    let client = reqwest::Client::new();
    assert_eq!(client.get(&health).send().await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(client.get(&health).send().await.unwrap().status(), 200);
}

both_ways!(models_belong_to_classes);
async fn models_belong_to_classes(loopback: bool) {
    let api = Api::start(loopback).await;
    let api = &api;
    // A second class, with its own mentor and learner.
    let (hopper, mia) = api.second_class().await;

    let info = api.hand_out(&api.mentor, "iris").await;
    assert_eq!(info["class"], "ml-101");
    api.upload(&api.mentor, "iris", bundle(1, false)).await.expect(201);
    let theirs = api.register(&api.other_learner, "theirs").await;
    assert_eq!(theirs["class"], "ml-101");
    api.upload(&api.other_learner, "theirs", bundle(1, false)).await.expect(201);

    // Members of the class report on its models; another class's learner does not.
    api.events(&api.learner, vec![prediction("l1", "iris")]).await.expect(200);
    assert!(api
        .events(&mia, vec![prediction("m1", "iris")])
        .await
        .error(403, "forbidden")
        .starts_with("events[0]"));
    // Another class's mentor neither manages nor promotes this class's models.
    api.upload(&hopper, "iris", bundle(2, false)).await.error(403, "forbidden");
    let alias = Send::Json(json!({"version": 1, "reason": "r"}));
    let path = "/api/v1/models/theirs/aliases/champion";
    api.call(Method::PUT, path, Some(&hopper), alias).await.error(403, "forbidden");
    let policy = Send::Json(json!({"strategy": "single", "primary": {"version": 1}}));
    api.call(Method::PUT, "/api/v1/models/iris/policy", Some(&hopper), policy).await.error(403, "forbidden");
    let rule = Send::Json(rule("volume"));
    api.call(Method::POST, "/api/v1/models/iris/alert-rules", Some(&hopper), rule)
        .await
        .error(403, "forbidden");
    // Nor hands a model out to a class they do not teach; a learner's model is in their class.
    let body = json!({"name": "sneaky", "class": "ml-101"});
    let reply = api.call(Method::POST, "/api/v1/models", Some(&hopper), Send::Json(body)).await;
    assert!(reply.error(403, "forbidden").contains("you do not teach it"));
    let body = json!({"name": "mine", "class": "ml-202"});
    api.call(Method::POST, "/api/v1/models", Some(&api.learner), Send::Json(body))
        .await
        .error(403, "forbidden");
    // Runs attach to a model only for whoever manages it.
    let run = |name: &str| Send::Json(json!({"name": "r", "model": name}));
    api.call(Method::POST, "/api/v1/runs", Some(&api.learner), run("theirs")).await.error(403, "forbidden");
    api.call(Method::POST, "/api/v1/runs", Some(&api.other_learner), run("theirs")).await.expect(201);
    api.call(Method::POST, "/api/v1/runs", Some(&api.mentor), run("theirs")).await.expect(201);
    api.call(Method::POST, "/api/v1/runs", Some(&api.admin), run("theirs")).await.expect(201);
    api.call(Method::POST, "/api/v1/runs", Some(&hopper), run("theirs")).await.error(403, "forbidden");
    // Admins act on every class's models.
    api.events(&api.admin, vec![prediction("a1", "iris")]).await.expect(200);
    api.upload(&api.admin, "iris", bundle(3, false)).await.expect(201);
}
