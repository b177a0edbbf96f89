//! A mentor's view: the Alerts page, open before any traffic, shows an alert fire without a reload
//! when a batch crosses the model's rule; the mentor acknowledges it with a note; the model's page
//! shows its last 24 hours, and the class overview lists the model with its traffic.

use super::{
    api_token, class_code, get_json, post_json, save_screenshot, wait_for, wait_text, Session, PASSWORD,
};
use tabml_tests::workspace_root;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_fires_on_the_open_alerts_page_and_the_mentor_acknowledges_it() {
    let session = Session::open().await;
    let client = &session.client;
    class_code(&session).await;
    let token = api_token(&session, "grace").await;
    // A model handed out to the class, a version of it, and a rule: more than 5 predictions an hour.
    iris_model(&session, &token, &[tabml::ModelKind::LogisticRegression]).await;
    let rule = serde_json::json!({"name": "busy", "metric": "volume", "window_minutes": 60, "comparator": "above",
        "threshold": 5.0, "action": "check who is scoring so much"});
    post_json(&session, "/api/v1/models/iris-species/alert-rules", Some(&token), rule).await;

    // The mentor signs in and opens the Alerts page: nothing yet.
    sign_in(client, "grace").await;
    wait_for(client, "nav.pages a[href='/alerts']").await.click().await.unwrap();
    wait_for(client, "#alerts-none").await;

    // Ten predictions arrive; the alert shows up on the open page by itself.
    let events: Vec<serde_json::Value> = (0..10)
        .map(|i| {
            serde_json::json!({"id": format!("p-{i}"), "type": "prediction", "model": "iris-species",
            "version": 1, "at": js_now(), "prediction_id": format!("p-{i}"), "output": "setosa"})
        })
        .collect();
    let ack =
        post_json(&session, "/api/v1/events", Some(&token), serde_json::json!({"events": events})).await;
    assert_eq!(ack["accepted"].as_array().unwrap().len(), 10, "{ack}");
    let row = wait_text(client, "alerts", "busy").await;
    assert!(row.contains("check who is scoring so much"), "{row}");
    save_screenshot(client, "alerts.png").await;

    // Acknowledged with a note: it leaves the open alerts, and the server keeps the note.
    wait_for(client, "#alerts input.ack-note")
        .await
        .send_keys("asked lin to batch their scoring")
        .await
        .unwrap();
    wait_for(client, "#alerts button.ack").await.click().await.unwrap();
    wait_for(client, "#alerts-none").await;
    let all = get_json(&session, "/api/v1/alerts?open=false", &token).await;
    assert_eq!(all[0]["note"], "asked lin to batch their scoring", "{all}");

    // The model's page: its last 24 hours.
    client.goto(&session.url("/registry/iris-species")).await.unwrap();
    wait_text(client, "health-volume", "10").await;
    wait_for(client, "#model-health").await;
    save_screenshot(client, "registry-health.png").await;

    // The class overview: the model, its ten predictions, and no open alert.
    wait_for(client, "nav.pages a[href='/classes']").await.click().await.unwrap();
    wait_for(client, "#classes-list a[href='/classes/week-1']").await.click().await.unwrap();
    let row = wait_for(client, "#class-models tr[data-model='iris-species']").await.text().await.unwrap();
    assert!(row.contains("grace") && row.contains("10") && row.contains("fresh"), "{row}");
    save_screenshot(client, "class-overview.png").await;
    super::save_screenshot_at(client, "class-overview-phone.png", 390).await;
    session.close().await;
}

/// Model "iris-species", handed out to class week-1 by `token`'s mentor, with one version per kind
/// trained on the iris sample (version 1 the first).
pub(super) async fn iris_model(session: &Session, token: &str, kinds: &[tabml::ModelKind]) {
    let model = serde_json::json!({"name": "iris-species", "class": "week-1"});
    post_json(session, "/api/v1/models", Some(token), model).await;
    let csv = std::fs::read(workspace_root().join("public/data/iris.csv")).unwrap();
    let table = tabml::parse_csv(&csv).unwrap();
    for kind in kinds {
        let bundle =
            tabml::train(&table, "species", &tabml::TrainConfig::new(*kind)).unwrap().bundle.encode();
        let upload = reqwest::Client::new()
            .post(session.url("/api/v1/models/iris-species/versions"))
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(bundle);
        assert_eq!(upload.send().await.unwrap().status(), 201);
    }
}

/// Signs `name` in on the sign-in page once the app is up, and waits to be signed in.
pub(super) async fn sign_in(client: &fantoccini::Client, name: &str) {
    wait_for(client, "main[data-restored='true']").await;
    wait_for(client, "#account-sign-in").await.click().await.unwrap();
    wait_for(client, "#sign-in-name").await.send_keys(name).await.unwrap();
    wait_for(client, "#sign-in-password").await.send_keys(PASSWORD).await.unwrap();
    wait_for(client, "#sign-in-button").await.click().await.unwrap();
    wait_for(client, "#account-name").await;
}

/// Now, in Unix milliseconds.
pub(super) fn js_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}
