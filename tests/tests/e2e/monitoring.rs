//! Monitoring through the API: runs tracked as MLflow tracks them, deployment policies, alert rules,
//! alerts, and dashboards (with drift merged from the profiles clients send).

use crate::harness::{bundle, now, prediction, profile_event, Api, Send};
use axum::http::Method;
use serde_json::{json, Value};

/// Iris with `shift` added to every sepal length, as a table.
pub(crate) fn shifted_iris(shift: f64) -> tabml::Table {
    let csv = std::fs::read_to_string(tabml_tests::workspace_root().join("public/data/iris.csv")).unwrap();
    let mut lines = csv.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for line in lines.filter(|l| !l.is_empty()) {
        let (first, rest) = line.split_once(',').unwrap();
        out += &format!("{},{rest}\n", first.parse::<f64>().unwrap() + shift);
    }
    tabml::parse_csv(out.as_bytes()).unwrap()
}

both_ways!(profiles_merge_into_the_dashboards_drift);
async fn profiles_merge_into_the_dashboards_drift(loopback: bool) {
    use tabml::drift::{check_against_profile, DataProfile, DriftOptions};
    let api = Api::start(loopback).await;
    let api = &api;
    api.hand_out(&api.mentor, "iris").await;
    let bytes = bundle(1, false);
    api.upload(&api.mentor, "iris", bytes.clone()).await.expect(201);
    let trained = tabml::ModelBundle::decode(&bytes).unwrap();
    let rule = json!({"name": "drift", "metric": "drift_share", "window_minutes": 60, "comparator": "above",
                      "threshold": 0.1, "action": "look at the sepal measurements"});
    api.call(Method::POST, "/api/v1/models/iris/alert-rules", Some(&api.mentor), Send::Json(rule))
        .await
        .expect(201);

    // Three clients each profile part of the rows, sepal lengths shifted by 1.5; no raw row is sent.
    let current = shifted_iris(1.5);
    let parts = [0..40, 40..100, 100..150];
    let events: Vec<Value> = parts
        .iter()
        .enumerate()
        .map(|(i, rows)| {
            let rows: Vec<usize> = rows.clone().collect();
            profile_event(&format!("f{i}"), "iris", 1, &json!(DataProfile::of_rows(&current, Some(&rows))))
        })
        .collect();
    for event in events {
        api.events(&api.learner, vec![event]).await.expect(200);
    }
    // A batch whose sepal lengths are words cannot merge with the others: it is left out.
    let words = tabml::parse_csv(b"sepal_length,sepal_width\nlong,3.1\nshort,2.9\n").unwrap();
    api.events(
        &api.learner,
        vec![profile_event("f-words", "iris", 1, &json!(DataProfile::of_rows(&words, None)))],
    )
    .await
    .expect(200);

    // The merged verdicts are those of the whole shifted table against the bundle's profile.
    let dashboard = api.get("/api/v1/models/iris/dashboard", &api.learner).await.expect(200);
    let drift = &dashboard["drift"];
    assert_eq!(drift["source"], "profiles", "{drift}");
    assert_eq!(
        (drift["version"].as_u64(), drift["batches"].as_u64(), drift["rows"].as_u64()),
        (Some(1), Some(3), Some(150))
    );
    let expected = check_against_profile(&trained.profile, &current, &DriftOptions::default()).unwrap();
    assert_eq!(drift["dataset_drift"], expected.dataset_drift);
    assert_eq!(drift["drifted_share"].as_f64().unwrap(), expected.drifted_share);
    let columns = drift["columns"].as_array().unwrap();
    assert_eq!(columns.len(), expected.columns.len());
    for (ours, theirs) in columns.iter().zip(&expected.columns) {
        assert_eq!(ours["column"], theirs.column.as_str());
        assert_eq!(ours["test"], theirs.test.name());
        assert_eq!(ours["drift"], theirs.drift, "{ours}");
        assert!(
            (ours["statistic"].as_f64().unwrap() - theirs.value()).abs()
                <= 1e-12 * theirs.value().abs().max(1.0)
        );
    }
    let sepal = columns.iter().find(|c| c["column"] == "sepal_length").unwrap();
    assert_eq!((sepal["test"].as_str(), sepal["drift"].as_bool()), (Some("ks"), Some(true)));
    let width = columns.iter().find(|c| c["column"] == "sepal_width").unwrap();
    assert_eq!(width["drift"], false);
    // The drift rule read the same merged drift as the profiles arrived, and fired once.
    let alerts = api.get("/api/v1/alerts?model=iris", &api.learner).await.expect(200);
    assert_eq!(alerts.as_array().unwrap().len(), 1, "{alerts}");
    assert_eq!(alerts[0]["rule"], "drift");
    assert!(alerts[0]["value"].as_f64().unwrap() > 0.1);

    // A profile no profiling could make is refused, and says where.
    let mut bad = serde_json::to_value(DataProfile::of_rows(&current, None)).unwrap();
    bad["columns"][1]["missing"] = json!(1000);
    let reply = api.events(&api.learner, vec![json!({"id": "f-bad", "type": "profile", "model": "iris", "version": 1, "at": now(), "profile": bad})]).await;
    assert_eq!(
        reply.error(400, "invalid_input"),
        "events[0]: profile: column `sepal_width`: 150 rows with 1000 missing, in a profile of 150 rows"
    );
    let reply = api.events(&api.learner, vec![json!({"id": "f-bad", "type": "profile", "model": "iris", "version": 1, "at": now(), "profile": {"rows": "many"}})]).await;
    assert!(reply.error(400, "invalid_input").starts_with("events[0]: profile: not a tabml data profile ("));
}

both_ways!(runs_are_logged_in_batches_with_mlflows_limits);
async fn runs_are_logged_in_batches_with_mlflows_limits(loopback: bool) {
    let api = Api::start(loopback).await;
    let api = &api;
    api.register(&api.learner, "iris").await;
    let start = |name: &str, model: Option<&str>| Send::Json(json!({"name": name, "model": model}));
    let run = api
        .call(Method::POST, "/api/v1/runs", Some(&api.learner), start("forest-1", Some("iris")))
        .await
        .expect(201);
    let id = run["id"].as_i64().unwrap();
    assert_eq!((run["owner"].as_str(), run["model"].as_str()), (Some("lin"), Some("iris")));
    let log = |token: &str, id: i64, body: Value| {
        let token = token.to_owned();
        async move {
            let path = format!("/api/v1/runs/{id}/log-batch");
            api.call(Method::POST, &path, Some(&token), Send::Json(body)).await
        }
    };
    let batch = json!({
        "params": [{"key": "n_estimators", "value": "100"}],
        "tags": [{"key": "data", "value": "iris.csv"}],
        "metrics": [{"key": "accuracy", "value": 0.8, "step": 0}, {"key": "accuracy", "value": 0.93, "step": 1},
                    {"key": "log loss", "value": 0.2}]
    });
    let logged = log(&api.learner, id, batch).await.expect(200);
    assert_eq!(logged["metrics"], json!({"accuracy": 0.93, "log loss": 0.2}));
    assert_eq!(logged["params"], json!({"n_estimators": "100"}));
    // A parameter keeps its first value; the whole batch is then refused.
    let clash = json!({"params": [{"key": "n_estimators", "value": "200"}], "metrics": [{"key": "accuracy", "value": 0.1, "step": 9}]});
    assert!(log(&api.learner, id, clash).await.error(409, "conflict").contains("keeps its first value"));
    assert_eq!(
        api.get(&format!("/api/v1/runs/{id}"), &api.learner).await.expect(200)["metrics"]["accuracy"],
        0.93
    );
    // MLflow's limits.
    let metrics: Vec<Value> = (0..1001).map(|i| json!({"key": "m", "value": i, "step": i})).collect();
    let reply = log(&api.learner, id, json!({ "metrics": metrics })).await;
    assert!(reply.error(400, "invalid_input").contains("at most 1000"));
    let params: Vec<Value> = (0..101).map(|i| json!({"key": format!("p{i}"), "value": "v"})).collect();
    log(&api.learner, id, json!({ "params": params })).await.error(400, "invalid_input");
    // 100 params and 100 tags of long values: within the counts, over 1 MB.
    let long = |prefix: &str| -> Vec<Value> {
        (0..100).map(|i| json!({"key": format!("{prefix}{i}"), "value": "x".repeat(5500)})).collect()
    };
    log(&api.learner, id, json!({ "params": long("p"), "tags": long("t") }))
        .await
        .error(413, "payload_too_large");
    log(&api.learner, id, json!({"metrics": [{"key": "../x", "value": 1}]}))
        .await
        .error(400, "invalid_input");
    log(&api.other_learner, id, json!({"metrics": []})).await.error(403, "forbidden");
    log(&api.learner, 999, json!({"metrics": []})).await.error(404, "not_found");

    // Search and compare.
    let second = api
        .call(Method::POST, "/api/v1/runs", Some(&api.learner), start("logreg-1", Some("iris")))
        .await
        .expect(201);
    let second_id = second["id"].as_i64().unwrap();
    log(
        &api.learner,
        second_id,
        json!({"params": [{"key": "C", "value": "1.0"}], "metrics": [{"key": "accuracy", "value": 0.9}]}),
    )
    .await
    .expect(200);
    api.call(Method::POST, "/api/v1/runs", Some(&api.other_learner), start("other", None)).await.expect(201);
    let page = api.get("/api/v1/runs?model=iris", &api.mentor).await.expect(200);
    assert_eq!((page["total"].as_u64(), page["runs"][0]["name"].as_str()), (Some(2), Some("logreg-1")));
    assert_eq!(api.get("/api/v1/runs?owner=otto", &api.mentor).await.expect(200)["total"], 1);
    let compared =
        api.get(&format!("/api/v1/runs/compare?ids={id},{second_id}"), &api.mentor).await.expect(200);
    assert_eq!(compared["metrics"]["accuracy"], json!([0.93, 0.9]));
    assert_eq!(compared["params"], json!({"C": [null, "1.0"], "n_estimators": ["100", null]}));
    api.get("/api/v1/runs/compare?ids=1,x", &api.mentor).await.error(400, "invalid_input");
}

both_ways!(deployment_policies_route_between_versions_clients_can_fetch);
async fn deployment_policies_route_between_versions_clients_can_fetch(loopback: bool) {
    let api = Api::start(loopback).await;
    let api = &api;
    api.register(&api.learner, "iris").await;
    for seed in 1..=3 {
        api.upload(&api.learner, "iris", bundle(seed, false)).await.expect(201);
    }
    let alias = |alias: &str, version: u32| {
        let path = format!("/api/v1/models/iris/aliases/{alias}");
        async move {
            api.call(
                Method::PUT,
                &path,
                Some(&api.learner),
                Send::Json(json!({"version": version, "reason": "r"})),
            )
            .await
            .expect(200)
        }
    };
    alias("champion", 1).await;
    alias("challenger", 2).await;
    api.get("/api/v1/models/iris/policy", &api.learner).await.error(404, "not_found");
    let put = |token: &str, policy: Value| {
        let token = token.to_owned();
        async move { api.call(Method::PUT, "/api/v1/models/iris/policy", Some(&token), Send::Json(policy)).await }
    };
    let canary = json!({"strategy": "canary", "primary": {"alias": "champion"}, "secondary": {"alias": "challenger"},
                        "percent": 10.0, "reason": "try the challenger on a tenth"});
    put(&api.learner, canary.clone()).await.error(403, "forbidden");
    let info = put(&api.mentor, canary.clone()).await.expect(200);
    assert_eq!((info["primary_version"].as_u64(), info["secondary_version"].as_u64()), (Some(1), Some(2)));
    // The policy follows "challenger" now: moving it changes what serves, which needs a mentor.
    let moved = api
        .call(
            Method::PUT,
            "/api/v1/models/iris/aliases/challenger",
            Some(&api.learner),
            Send::Json(json!({"version": 3, "reason": "mine is better"})),
        )
        .await;
    assert!(moved.error(403, "forbidden").contains("needs a mentor"));
    // Clients fetching the policy follow the aliases as they move.
    api.call(
        Method::PUT,
        "/api/v1/models/iris/aliases/challenger",
        Some(&api.mentor),
        Send::Json(json!({"version": 3, "reason": "try the newest"})),
    )
    .await
    .expect(200);
    let info = api.get("/api/v1/models/iris/policy", &api.other_learner).await.expect(200);
    assert_eq!(
        (info["policy"].clone(), info["secondary_version"].as_u64(), info["updated_by"].as_str()),
        (canary, Some(3), Some("grace"))
    );
    for bad in [
        json!({"strategy": "single", "primary": {"version": 1}, "secondary": {"version": 2}}),
        json!({"strategy": "canary", "primary": {"version": 1}, "secondary": {"version": 2}}),
        json!({"strategy": "ab", "primary": {"version": 1}, "secondary": {"version": 2}, "percent": 150}),
        json!({"strategy": "shadow", "primary": {"version": 1}, "percent": 100}),
        json!({"strategy": "blue_green", "primary": {"version": 1}, "secondary": {"version": 2}, "percent": 5}),
        json!({"strategy": "single", "primary": {"version": 1, "alias": "champion"}}),
        json!({"strategy": "rainbow", "primary": {"version": 1}}),
    ] {
        put(&api.mentor, bad).await.error(400, "invalid_input");
    }
    put(&api.mentor, json!({"strategy": "single", "primary": {"alias": "gold"}}))
        .await
        .error(404, "not_found");
    put(&api.mentor, json!({"strategy": "single", "primary": {"version": 7}})).await.error(404, "not_found");
    let blue_green = json!({"strategy": "blue_green", "primary": {"version": 3}, "secondary": {"version": 2}, "reason": "switch"});
    assert_eq!(put(&api.mentor, blue_green).await.expect(200)["primary_version"], 3);
    let audit = api.get("/api/v1/models/iris/audit", &api.learner).await.expect(200);
    let policy_changes: Vec<&Value> =
        audit.as_array().unwrap().iter().filter(|e| e["action"] == "policy").collect();
    assert_eq!(policy_changes.len(), 2);
    assert_eq!(policy_changes[1]["reason"], "switch");
}

both_ways!(alert_rules_fire_as_events_arrive_and_dashboards_summarize);
async fn alert_rules_fire_as_events_arrive_and_dashboards_summarize(loopback: bool) {
    let api = Api::start(loopback).await;
    let api = &api;
    api.hand_out(&api.mentor, "iris").await;
    api.upload(&api.mentor, "iris", bundle(1, false)).await.expect(201);
    let rule = |name: &str, metric: &str, comparator: &str, threshold: f64| {
        Send::Json(json!({"name": name, "metric": metric, "window_minutes": 60, "comparator": comparator,
                          "threshold": threshold, "action": "tell the mentor and roll back to champion"}))
    };
    api.call(
        Method::POST,
        "/api/v1/models/iris/alert-rules",
        Some(&api.learner),
        rule("errors", "error_rate", "above", 0.2),
    )
    .await
    .error(403, "forbidden");
    let errors = api
        .call(
            Method::POST,
            "/api/v1/models/iris/alert-rules",
            Some(&api.mentor),
            rule("errors", "error_rate", "above", 0.2),
        )
        .await
        .expect(201);
    api.call(
        Method::POST,
        "/api/v1/models/iris/alert-rules",
        Some(&api.mentor),
        rule("accuracy", "accuracy", "below", 0.8),
    )
    .await
    .expect(201);
    let bad = Send::Json(
        json!({"name": "x", "metric": "accuracy", "window_minutes": 0, "comparator": "below", "threshold": 1, "action": "a"}),
    );
    api.call(Method::POST, "/api/v1/models/iris/alert-rules", Some(&api.mentor), bad)
        .await
        .error(400, "invalid_input");

    // Ten predictions, three of them failed: the error rate (0.3) crosses 0.2 as they arrive.
    let labels = ["setosa", "versicolor", "virginica"];
    let events: Vec<Value> = (0..10)
        .map(|i| {
            let mut e = prediction(&format!("p{i}"), "iris");
            e["latency_ms"] = json!(i + 1);
            e["output"] = json!(labels[i % 3]);
            e["probabilities"] = json!([0.6, 0.3, 0.1]);
            if i >= 7 {
                e.as_object_mut().unwrap().remove("output");
                e["error"] = json!("a missing column");
            }
            e
        })
        .collect();
    api.events(&api.learner, events).await.expect(200);
    let open = api.get("/api/v1/alerts?model=iris", &api.learner).await.expect(200);
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    assert_eq!(open[0]["rule"], "errors");
    assert_eq!(open[0]["value"], 0.3);
    assert_eq!(
        open[0]["message"],
        "errors: error_rate was 0.3 over the last 60 minutes, above the threshold 0.2. What should happen: tell the mentor and roll back to champion"
    );
    let alert = open[0]["id"].as_i64().unwrap();
    let ack = |token: &str| {
        let token = token.to_owned();
        async move {
            api.call(
                Method::POST,
                &format!("/api/v1/alerts/{alert}/ack"),
                Some(&token),
                Send::Json(json!({"note": "fixed the client"})),
            )
            .await
        }
    };
    ack(&api.learner).await.error(403, "forbidden");
    assert_eq!(ack(&api.mentor).await.expect(200)["acknowledged_by"], "grace");
    ack(&api.mentor).await.error(409, "conflict");
    assert_eq!(api.get("/api/v1/alerts", &api.learner).await.expect(200), json!([]));
    assert_eq!(
        api.get("/api/v1/alerts?open=false", &api.learner).await.expect(200)[0]["note"],
        "fixed the client"
    );

    // Labels for the seven that answered: five right, so accuracy 5/7 falls below 0.8.
    let truth = |i: usize| if i < 5 { labels[i % 3] } else { "versicolor" };
    let label_events: Vec<Value> = (0..7)
        .map(|i| json!({"id": format!("l{i}"), "type": "label", "model": "iris", "version": 1, "at": now(), "prediction_id": format!("p-p{i}"), "label": truth(i)}))
        .collect();
    api.events(&api.learner, label_events).await.expect(200);
    let report = json!({"dataset_drift": true, "drifted_share": 0.5, "columns": [
        {"column": "petal_length", "type": "num", "test": "ks", "statistic": 0.4, "p_value": 0.001, "threshold": 0.05, "drift": true},
        {"column": "sepal_width", "type": "num", "test": "ks", "statistic": 0.05, "p_value": 0.8, "threshold": 0.05, "drift": false}]});
    api.events(&api.learner, vec![json!({"id": "d1", "type": "drift_report", "model": "iris", "version": 1, "at": now(), "report": report})]).await.expect(200);

    let dashboard = api.get("/api/v1/models/iris/dashboard", &api.learner).await.expect(200);
    assert_eq!(dashboard["volume"], 10);
    assert_eq!(dashboard["volume_by_version"], json!({"1": 10}));
    assert_eq!(dashboard["predictions"], json!({"setosa": 3, "versicolor": 2, "virginica": 2}));
    assert_eq!(dashboard["error_rate"], 0.3);
    // numpy.percentile([1..10], 50) = 5.5 and (…, 99) = 9.91.
    assert_eq!(dashboard["latency_p50_ms"], 5.5);
    assert!((dashboard["latency_p99_ms"].as_f64().unwrap() - 9.91).abs() < 1e-12);
    assert_eq!(dashboard["labelled"], 7);
    assert!((dashboard["accuracy"].as_f64().unwrap() - 5.0 / 7.0).abs() < 1e-12);
    // Estimated accuracy is CBPE, calibrated with the reference the bundle's test rows gave, over the
    // seven predictions that did not fail: not their mean top probability (0.6).
    let trained = tabml::ModelBundle::decode(&bundle(1, false)).unwrap();
    let reference = tabml::drift::CbpeReference::of_evaluation(trained.evaluation.as_ref().unwrap()).unwrap();
    let cbpe = tabml::drift::estimate_performance(&vec![vec![0.6, 0.3, 0.1]; 7], Some(&reference)).unwrap();
    assert_eq!(dashboard["estimated_accuracy"].as_f64(), Some(cbpe.accuracy.value));
    assert!((cbpe.accuracy.value - 0.6).abs() > 0.1, "{}", cbpe.accuracy.value);
    assert_eq!(dashboard["drift"]["drifted_share"], 0.5);
    assert_eq!(
        (dashboard["drift"]["source"].as_str(), dashboard["drift"]["batches"].as_u64()),
        (Some("report"), Some(0))
    );
    assert_eq!(
        dashboard["drift"]["columns"][0],
        // What the report says is kept (its statistic, p-value and threshold); what it lacks (the
        // kind, why this test, the bins) stays empty.
        json!({"column": "petal_length", "test": "ks", "statistic": 0.4, "drift": true, "kind": null,
               "reason": "", "test_statistic": 0.4, "p_value": 0.001, "threshold": 0.05,
               "distribution": null})
    );
    assert!(dashboard["freshness_seconds"].as_f64().unwrap() < 60.0);
    let open: Vec<&str> =
        dashboard["open_alerts"].as_array().unwrap().iter().map(|a| a["rule"].as_str().unwrap()).collect();
    assert_eq!(open, ["accuracy"]);
    // A window before any event is empty.
    let empty = api.get("/api/v1/models/iris/dashboard?from=0&to=1000", &api.learner).await.expect(200);
    assert_eq!(
        (empty["volume"].as_u64(), empty["error_rate"].clone(), empty["accuracy"].clone()),
        (Some(0), Value::Null, Value::Null)
    );
    api.get("/api/v1/models/iris/dashboard?from=10&to=5", &api.learner).await.error(400, "invalid_input");
    // Dashboards need a token unless the server makes them public.
    api.call(Method::GET, "/api/v1/models/iris/dashboard", None, Send::None).await.error(401, "unauthorized");
    // Deleting a rule keeps its alerts.
    let errors_id = errors["id"].as_i64().unwrap();
    api.call(
        Method::DELETE,
        &format!("/api/v1/models/iris/alert-rules/{errors_id}"),
        Some(&api.mentor),
        Send::None,
    )
    .await
    .expect(204);
    assert_eq!(
        api.get("/api/v1/models/iris/alert-rules", &api.learner).await.expect(200).as_array().unwrap().len(),
        1
    );
    assert_eq!(
        api.get("/api/v1/alerts?open=false", &api.learner).await.expect(200).as_array().unwrap().len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_dashboards_are_readable_without_signing_in() {
    let api = Api::start_with(true, |c| c.public_dashboards = true).await;
    api.register(&api.learner, "iris").await;
    api.upload(&api.learner, "iris", bundle(1, false)).await.expect(201);
    api.events(&api.learner, vec![prediction("p1", "iris")]).await.expect(200);
    let dashboard =
        api.call(Method::GET, "/api/v1/models/iris/dashboard", None, Send::None).await.expect(200);
    assert_eq!(dashboard["volume"], 1);
    // Everything else still needs a token.
    api.call(Method::GET, "/api/v1/models/iris", None, Send::None).await.error(401, "unauthorized");
}
