//! Issue 19's mentor, from sign-in to a decision: two learners' traffic reaches a model; the mentor
//! signs in and lands on the classes, drills into the class and the model, adds an alert rule, sees
//! it fire on the open page when a drifted batch arrives, acknowledges it, overrides one prediction
//! (counted as the override rate) and sets a canary policy. Every page is looked at at 1,024 px and
//! at a phone's width.

use super::{
    api_token, class_code, get_json, post_json, save_screenshot, save_screenshot_at, wait_for, wait_text,
    Session, PASSWORD,
};
use serde_json::{json, Value};
use tabml_tests::workspace_root;

/// Now, in Unix milliseconds.
fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Iris without its species; with `shift`, every length and width made `shift` cm longer.
fn iris_rows(shift: f64) -> tabml::Table {
    let iris = std::fs::read_to_string(workspace_root().join("public/data/iris.csv")).unwrap();
    let mut csv = String::from("sepal_length,sepal_width,petal_length,petal_width\n");
    for line in iris.lines().skip(1).filter(|l| !l.is_empty()) {
        let cells: Vec<f64> = line.split(',').take(4).map(|c| c.parse::<f64>().unwrap() + shift).collect();
        csv.push_str(&format!("{},{},{},{}\n", cells[0], cells[1], cells[2], cells[3]));
    }
    tabml::parse_csv(csv.as_bytes()).unwrap()
}

/// `n` prediction events of version 1 from one learner, ids `<who>-<i>`, a minute apart up to now.
fn predictions(who: &str, n: usize) -> Vec<Value> {
    let now = now_ms();
    (0..n)
        .map(|i| {
            let output = ["setosa", "versicolor", "virginica"][i % 3];
            json!({"id": format!("{who}-{i}"), "type": "prediction", "model": "iris-lin", "version": 1,
                "at": now - (n - i) as i64 * 60_000, "prediction_id": format!("{who}-{i}"),
                "output": output,
                "probabilities": [0.8, 0.1, 0.1], "latency_ms": 0.2})
        })
        .collect()
}

async fn send(session: &Session, token: &str, events: Vec<Value>) {
    let n = events.len();
    let ack = post_json(session, "/api/v1/events", Some(token), json!({"events": events})).await;
    assert_eq!(ack["accepted"].as_array().map(Vec::len), Some(n), "{ack}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mentor_follows_two_learners_model_catches_drift_and_steers_it() {
    let session = Session::open().await;
    let client = &session.client;
    let code = class_code(&session).await;
    let mut tokens = Vec::new();
    for who in ["lin", "ada"] {
        let body = json!({"name": who, "password": PASSWORD, "join_code": code});
        let answer = post_json(&session, "/api/v1/auth/signup", None, body).await;
        tokens.push(answer["token"].as_str().unwrap().to_owned());
    }
    let (lin, ada) = (tokens[0].clone(), tokens[1].clone());

    // lin registers a model in the class with two versions: champion and challenger.
    let body = json!({"name": "iris-lin", "description": "Which iris, from its petals and sepals."});
    let made = post_json(&session, "/api/v1/models", Some(&lin), body).await;
    assert_eq!(made["class"], "week-1", "a learner's model is in their class: {made}");
    let iris =
        tabml::parse_csv(&std::fs::read(workspace_root().join("public/data/iris.csv")).unwrap()).unwrap();
    let mut bundles = Vec::new();
    for kind in [tabml::ModelKind::LogisticRegression, tabml::ModelKind::DecisionTree] {
        let bundle = tabml::train(&iris, "species", &tabml::TrainConfig::new(kind)).unwrap().bundle;
        let upload = reqwest::Client::new()
            .post(session.url("/api/v1/models/iris-lin/versions"))
            .bearer_auth(&lin)
            .header("content-type", "application/octet-stream")
            .body(bundle.encode());
        assert_eq!(upload.send().await.unwrap().status(), 201);
        bundles.push(bundle);
    }
    for (alias, version) in [("champion", 1), ("challenger", 2)] {
        let moved = reqwest::Client::new()
            .put(session.url(&format!("/api/v1/models/iris-lin/aliases/{alias}")))
            .bearer_auth(&lin)
            .json(&json!({"version": version, "reason": "first try"}));
        assert!(moved.send().await.unwrap().status().is_success());
    }
    // Two learners' traffic over the last hour.
    send(&session, &lin, predictions("lin", 60)).await;
    send(&session, &ada, predictions("ada", 40)).await;

    // The mentor signs in and lands on the classes; the class; its model.
    wait_for(client, "main[data-restored='true']").await;
    wait_for(client, "#account-sign-in").await.click().await.unwrap();
    wait_for(client, "#sign-in-name").await.send_keys("grace").await.unwrap();
    wait_for(client, "#sign-in-password").await.send_keys(PASSWORD).await.unwrap();
    wait_for(client, "#sign-in-button").await.click().await.unwrap();
    wait_for(client, "#classes-list a[href='/classes/week-1']").await.click().await.unwrap();
    let row = wait_for(client, "#class-models tr[data-model='iris-lin']").await.text().await.unwrap();
    assert!(row.contains("lin") && row.contains("100"), "{row}");
    save_screenshot(client, "mentor-class.png").await;
    save_screenshot_at(client, "mentor-class-phone.png", 390).await;
    wait_for(client, "#class-models tr[data-model='iris-lin'] a").await.click().await.unwrap();
    wait_text(client, "health-volume", "100").await;

    // A rule, added on the page: the inputs drift.
    wait_for(client, "#rule-form summary").await.click().await.unwrap();
    wait_for(client, "#rule-name").await.send_keys("inputs drifted").await.unwrap();
    wait_for(client, "#rule-metric").await.select_by_value("drift_share").await.unwrap();
    let threshold = wait_for(client, "#rule-threshold").await;
    threshold.clear().await.unwrap();
    threshold.send_keys("0.3").await.unwrap();
    wait_for(client, "#rule-action")
        .await
        .send_keys("roll back to champion and tell the class")
        .await
        .unwrap();
    wait_for(client, "#rule-add").await.click().await.unwrap();
    let rules = wait_text(client, "alert-rules", "inputs drifted").await;
    assert!(rules.contains("share of columns drifted above 0.3 over the last 60 minutes"), "{rules}");

    // ada's next batch is drifted: its profile reaches the server, and the alert shows on the open
    // page by itself.
    let shifted = iris_rows(3.0);
    let profile = bundles[0].score_batch(&shifted).unwrap().profile(&shifted);
    let event = json!({"id": "profile-ada-2", "type": "profile", "model": "iris-lin", "version": 1,
        "at": now_ms(), "profile": serde_json::to_value(&profile).unwrap()});
    send(&session, &ada, vec![event]).await;
    let alert = wait_text(client, "alerts", "inputs drifted").await;
    assert!(alert.contains("roll back to champion and tell the class"), "{alert}");
    save_screenshot(client, "mentor-model-alert.png").await;
    wait_for(client, "#alerts input.ack-note")
        .await
        .send_keys("asked ada where the batch came from")
        .await
        .unwrap();
    wait_for(client, "#alerts button.ack").await.click().await.unwrap();
    wait_for(client, "#alerts-none").await;
    let token = api_token(&session, "grace").await;
    let acknowledged = get_json(&session, "/api/v1/alerts?open=false", &token).await;
    assert_eq!(acknowledged[0]["note"], "asked ada where the batch came from", "{acknowledged}");

    // One of lin's predictions overridden, with a reason; counted as 1 in 100.
    wait_for(client, "#override-form summary").await.click().await.unwrap();
    wait_for(client, "#override-id").await.send_keys("lin-7").await.unwrap();
    wait_for(client, "#override-label").await.send_keys("virginica").await.unwrap();
    wait_for(client, "#override-reason").await.send_keys("petals this long are virginica").await.unwrap();
    wait_for(client, "#override-send").await.click().await.unwrap();
    let done = wait_for(client, "#override-done").await.text().await.unwrap();
    assert!(done.contains("lin-7") && done.contains("virginica"), "{done}");
    let row = wait_for(client, "#overrides tr[data-prediction='lin-7']").await.text().await.unwrap();
    assert!(row.contains("versicolor") && row.contains("petals this long are virginica"), "{row}");
    let dashboard = get_json(&session, "/api/v1/models/iris-lin/dashboard", &token).await;
    assert_eq!((dashboard["overrides"].as_u64(), dashboard["override_rate"].as_f64()), (Some(1), Some(0.01)));
    wait_text(client, "health-overrides", "1.0%").await;

    // A canary: the challenger answers a tenth of the requests.
    wait_for(client, "#policy-form summary").await.click().await.unwrap();
    wait_for(client, "#policy-strategy").await.select_by_value("canary").await.unwrap();
    wait_for(client, "#policy-reason").await.send_keys("try the tree on a few requests").await.unwrap();
    wait_for(client, "#policy-save").await.click().await.unwrap();
    let policy = wait_text(client, "policy-current", "Canary").await;
    assert!(policy.contains("challenger (v2) answers 10% of requests, champion (v1) the rest"), "{policy}");
    let set = get_json(&session, "/api/v1/models/iris-lin/policy", &token).await;
    assert_eq!(
        (set["policy"]["strategy"].as_str(), set["secondary_version"].as_u64()),
        (Some("canary"), Some(2))
    );
    // Each change is in the audit log below, without a reload.
    let audit = wait_text(client, "model-audit", "try the tree on a few requests").await;
    assert!(audit.contains("petals this long are virginica"), "{audit}");
    save_screenshot(client, "mentor-model.png").await;
    save_screenshot_at(client, "mentor-model-phone.png", 390).await;
    session.close().await;
}
