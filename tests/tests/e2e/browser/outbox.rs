//! The outbox: what the tab scores while the server is away waits in this browser (the header
//! counts it, and says the server is offline) and reaches the server once it is back, each event once; with two tabs of the same
//! browser open, still once. After one visit the page reloads from the browser (the service worker)
//! with the server away, and scores with the model pulled before; the storage page counts what the
//! browser keeps and frees it. Past 100,000 waiting events the oldest are dropped and counted. A
//! newer release on the server is offered, not forced.

use super::{
    built_app, class_code, get_json, join_class, save_screenshot, wait_for, wait_text, Browser, Session,
    PATIENCE,
};
use fantoccini::{Client, Locator};

/// The dashboard once it counts `volume` predictions and `profiles` merged profiles (the outbox
/// sends in the background).
async fn reaches(session: &Session, token: &str, volume: u64, profiles: u64) -> serde_json::Value {
    reaches_within(session, token, volume, profiles, PATIENCE).await
}

/// [`reaches`], waiting up to `patience`.
async fn reaches_within(
    session: &Session,
    token: &str,
    volume: u64,
    profiles: u64,
    patience: std::time::Duration,
) -> serde_json::Value {
    let deadline = std::time::Instant::now() + patience;
    loop {
        let dashboard = get_json(session, "/api/v1/models/iris-species/dashboard", token).await;
        if dashboard["volume"] == volume && dashboard["drift"]["batches"] == profiles {
            return dashboard;
        }
        assert!(std::time::Instant::now() < deadline, "never {volume} and {profiles}: {dashboard}");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Scores the file `rows` rows long on the Score page and waits until its events are queued (one
/// per row, the file's profile and its drift report).
async fn score(client: &Client, dir: &std::path::Path, rows: usize) {
    let path = dir.join(format!("flowers-{rows}.csv"));
    std::fs::write(&path, tabml_tests::iris_flowers(rows)).unwrap();
    wait_for(client, "#score-file").await.send_keys(path.to_str().unwrap()).await.unwrap();
    wait_for(client, &format!("#report-queued[data-events='{}']", rows + 2)).await;
}

/// A learner who joined the class trains iris, shares it as iris-species and opens the Score page
/// with its version 1, pulled.
async fn shared_and_pulled(session: &Session) -> Client {
    let code = class_code(session).await;
    let client = session.client.clone();
    wait_for(&client, "main[data-restored='true']").await;
    join_class(&client, "lin", &code).await;
    wait_for(&client, "button[data-dataset='iris']").await.click().await.unwrap();
    wait_for(&client, "#model-select").await.select_by_value("logistic regression").await.unwrap();
    wait_for(&client, "#train-button").await.click().await.unwrap();
    let name = wait_for(&client, "#share-name").await;
    name.clear().await.unwrap();
    name.send_keys("iris-species").await.unwrap();
    wait_for(&client, "#share-button").await.click().await.unwrap();
    wait_for(&client, "#share-done").await;
    client.goto(&session.url("/score?model=iris-species&version=1")).await.unwrap();
    wait_for(&client, "#score-model[data-version='1']").await;
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_made_while_the_server_is_away_reach_it_once_when_it_is_back() {
    let mut session = Session::open().await;
    let client = shared_and_pulled(&session).await;
    let token = super::api_token(&session, "grace").await;

    // The server goes away; 1,000 rows scored meanwhile wait in the outbox, and the header says so.
    session.server.pause().await;
    let files = tempfile::tempdir().unwrap();
    score(&client, files.path(), 1000).await;
    wait_for(&client, "#outbox-badge[data-waiting='1002']").await;
    let badge = wait_for(&client, "#outbox-badge").await.text().await.unwrap();
    assert!(badge.contains("1,002 to send"), "{badge}");
    // The header notices the server is gone (it asks again every 15 s).
    wait_for(&client, ".server-status.offline").await;
    let footer = wait_for(&client, "#outbox-details summary").await.text().await.unwrap();
    assert!(footer.contains("1,002 to send, 0 refused, 0 dropped"), "{footer}");
    save_screenshot(&client, "outbox-waiting.png").await;

    // Back: every event arrives, once, and the badge goes.
    session.server.resume().await;
    reaches(&session, &token, 1000, 1).await;
    wait_for(&client, "#outbox-badge[data-waiting='0']").await;
    wait_for(&client, ".server-status.ok").await;

    // Two tabs of the same browser, the server away again: a file scored in one tab reaches the
    // server once after it is back, with both tabs sending.
    let first = client.window().await.unwrap();
    let second = client.new_window(true).await.unwrap();
    client.switch_to_window(second.handle).await.unwrap();
    client.goto(&session.url("/score?model=iris-species&version=1")).await.unwrap();
    wait_for(&client, "#score-model[data-version='1']").await;
    session.server.pause().await;
    score(&client, files.path(), 500).await;
    client.switch_to_window(first).await.unwrap();
    client.find(Locator::Css("#outbox-badge")).await.unwrap();
    session.server.resume().await;
    reaches(&session, &token, 1500, 2).await;
    // Nothing more arrives later: each event was stored once.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let again = get_json(&session, "/api/v1/models/iris-species/dashboard", &token).await;
    assert_eq!(
        (again["volume"].as_u64(), again["drift"]["batches"].as_u64()),
        (Some(1500), Some(2)),
        "{again}"
    );
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_server_away_the_app_reloads_from_the_browser_and_scores_a_pulled_model() {
    let mut session = Session::open().await;
    let client = shared_and_pulled(&session).await;
    let digest = wait_for(&client, "#score-model[data-version='1']").await.attr("data-digest").await.unwrap();
    // One visit: the service worker keeps this release, and now serves the page.
    let deadline = std::time::Instant::now() + PATIENCE;
    while !super::js_bool(&client, "return !!(navigator.serviceWorker && navigator.serviceWorker.controller)")
        .await
    {
        assert!(std::time::Instant::now() < deadline, "the service worker never took over the page");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let token = super::api_token(&session, "grace").await;

    // The server goes away; the page reloads from the browser, with the model kept there.
    session.server.pause().await;
    client.refresh().await.unwrap();
    let kept = wait_for(&client, "#score-model[data-version='1']").await;
    assert_eq!(kept.attr("data-digest").await.unwrap(), digest, "the kept bundle is the one pulled");
    assert!(kept.text().await.unwrap().contains("the server could not be asked"));
    let note = wait_for(&client, "#score-note").await.text().await.unwrap();
    assert!(note.contains("cannot be reached") && note.contains("this browser's copy"), "{note}");
    let files = tempfile::tempdir().unwrap();
    score(&client, files.path(), 1000).await;
    wait_for(&client, "#outbox-badge[data-waiting='1002']").await;
    save_screenshot(&client, "offline-reload.png").await;

    // Back: every event arrives once.
    session.server.resume().await;
    reaches(&session, &token, 1000, 1).await;
    wait_for(&client, "#outbox-badge[data-waiting='0']").await;

    // What the browser keeps, per kind, and freeing one kind.
    wait_for(&client, "#storage-link").await.click().await.unwrap();
    let pulled = wait_text(&client, "kept-pulled", "1 models").await;
    assert!(pulled.contains("kB"), "{pulled}");
    wait_text(&client, "kept-runs", "1 runs").await;
    wait_text(&client, "kept-files", "1 files").await;
    wait_text(&client, "kept-events", "0 waiting").await;
    wait_for(&client, "#storage-estimate").await;
    save_screenshot(&client, "storage.png").await;
    wait_for(&client, "#free-pulled").await.click().await.unwrap();
    wait_text(&client, "kept-pulled", "0 models").await;
    wait_text(&client, "kept-runs", "1 runs").await;
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_limit_the_oldest_events_are_dropped_and_counted() {
    let mut session = Session::open().await;
    let client = shared_and_pulled(&session).await;
    let token = super::api_token(&session, "grace").await;

    // 100,100 rows scored with the server away: 100,102 events for an outbox of 100,000.
    session.server.pause().await;
    let files = tempfile::tempdir().unwrap();
    score(&client, files.path(), 100_100).await;
    wait_for(&client, "#outbox-badge[data-waiting='100000']").await;
    let footer = wait_for(&client, "#outbox-details summary").await.text().await.unwrap();
    assert!(footer.contains("100,000 to send, 0 refused, 102 dropped"), "{footer}");
    assert!(footer.contains("the oldest are dropped first"), "{footer}");
    save_screenshot(&client, "outbox-full.png").await;

    // Back: the newest 100,000 arrive: every prediction but the first 102, the profile and the
    // drift report (made last). The sender may be waiting out a backoff of up to 30 s first, and
    // 100,000 events are 20 requests of 5,000, so this waits longer than the other tests do.
    session.server.resume().await;
    let dashboard = reaches_within(&session, &token, 99_998, 1, PATIENCE * 3).await;
    assert_eq!(dashboard["volume_by_version"]["1"], 99_998, "{dashboard}");
    wait_for(&client, "#outbox-badge[data-waiting='0']").await;
    let footer = wait_for(&client, "#outbox-details summary").await.text().await.unwrap();
    assert!(footer.contains("0 to send, 0 refused, 102 dropped"), "the count stays: {footer}");
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_release_on_the_server_is_offered_with_a_reload() {
    // A copy of the built app, so that the test can put a "newer release" in its place.
    let dist = tempfile::tempdir().unwrap();
    copy_dir(&built_app(), dist.path());
    let index = dist.path().join("index.html");
    let page = std::fs::read_to_string(&index).unwrap();
    let session = Session::serving(Browser::Chromium, dist.path()).await;
    let client = session.client.clone();
    wait_for(&client, "main[data-restored='true']").await;
    assert!(client.find(Locator::Css("#new-release")).await.is_err(), "nothing newer yet");

    // A release with another hash appears on the server; coming back to the tab finds it.
    let start = page.find("tabml-app-").unwrap() + "tabml-app-".len();
    let hash = &page[start..start + page[start..].find(['.', '_']).unwrap()];
    std::fs::write(&index, page.replace(&format!("tabml-app-{hash}.js"), "tabml-app-0123456789abcdef.js"))
        .unwrap();
    client.execute("document.dispatchEvent(new Event('visibilitychange'))", vec![]).await.unwrap();
    let banner = wait_for(&client, "#new-release").await.text().await.unwrap();
    assert!(banner.contains("A newer tabml is on the server"), "{banner}");
    save_screenshot(&client, "new-release.png").await;

    // Reloading takes what the server serves (here the same build again): nothing newer then.
    std::fs::write(&index, &page).unwrap();
    wait_for(&client, "#new-release button").await.click().await.unwrap();
    wait_for(&client, "main[data-restored='true']").await;
    client.execute("document.dispatchEvent(new Event('visibilitychange'))", vec![]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert!(client.find(Locator::Css("#new-release")).await.is_err(), "the page is the served release");
    session.close().await;
}

/// Copies the folder `from` into `to`, recursively.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
