//! The registry pages: a learner shares iris twice (two models' versions), finds the model by
//! search, points `champion` at a version with a reason, asks for promotion, and is refused
//! production in words; the audit log shows each change with its reason, and a description with
//! markup in it is shown as text. The class's mentor then promotes one version and retires another.

use super::{
    api_token, class_code, get_json, join_class, post_json, save_screenshot, wait_for, wait_text, Session,
};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learner_moves_an_alias_asks_for_promotion_and_reads_the_audit_log() {
    let session = Session::open().await;
    let client = &session.client;
    let code = class_code(&session).await;
    wait_for(client, "main[data-restored='true']").await;
    // Signed out, the registry says where it is.
    client.goto(&session.url("/registry")).await.unwrap();
    wait_for(client, "#registry-signed-out").await;
    client.goto(&session.url("/")).await.unwrap();
    join_class(client, "lin", &code).await;

    // Two versions of one model: logistic regression, then a tree, shared under the same name.
    wait_for(client, "button[data-dataset='iris']").await.click().await.unwrap();
    for (kind, version) in [("logistic regression", 1), ("decision tree", 2)] {
        wait_for(client, "#model-select").await.select_by_value(kind).await.unwrap();
        wait_for(client, "#train-button").await.click().await.unwrap();
        wait_for(
            client,
            &format!("#result-bundle[data-model='{}']", if version == 1 { "logreg" } else { "tree" }),
        )
        .await;
        let name = wait_for(client, "#share-name").await;
        name.clear().await.unwrap();
        name.send_keys("iris-species").await.unwrap();
        wait_for(client, "#share-button").await.click().await.unwrap();
        wait_text(client, "share-done", &format!("version {version}")).await;
    }
    // A classmate's model whose name cannot hold markup, with markup in its description.
    let token = api_token(&session, "grace").await;
    let html = "<script>window.hacked = 1</script><b>bold</b>";
    post_json(
        &session,
        "/api/v1/models",
        Some(&token),
        serde_json::json!({"name": "a-mentor-model", "description": html, "class": "week-1"}),
    )
    .await;

    // The list, found by search.
    wait_for(client, "nav.pages a[href='/registry']").await.click().await.unwrap();
    wait_text(client, "registry-count", "of 2").await;
    let description = client
        .find(Locator::XPath("//table[@id='registry-models']//td[contains(., '<script>')]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(description, html, "a description is shown as text");
    assert!(!super::js_bool(client, "return window.hacked === 1").await);
    wait_for(client, "#registry-search").await.send_keys("iris").await.unwrap();
    wait_text(client, "registry-count", "of 1").await;
    save_screenshot(client, "registry.png").await;
    wait_for(client, "#registry-models a[href='/registry/iris-species']").await.click().await.unwrap();

    // Both versions, each with its test accuracy beside the baseline's.
    wait_for(client, "#model-versions tr[data-version='2']").await;
    let row = wait_for(client, "#model-versions tr[data-version='1']").await.text().await.unwrap();
    assert!(row.contains("accuracy") && row.contains("baseline 0.333"), "{row}");
    assert!(row.contains("lin") && row.contains("logreg"), "{row}");

    // champion → version 1, with a reason.
    wait_for(client, "#change-version").await.select_by_value("1").await.unwrap();
    wait_for(client, "#change-apply").await.click().await.unwrap();
    wait_text(client, "change-error", "Say why").await;
    wait_for(client, "#change-reason").await.send_keys("best test accuracy").await.unwrap();
    wait_for(client, "#change-apply").await.click().await.unwrap();
    wait_text(client, "change-done", "champion now names version 1").await;
    wait_text(client, "model-versions", "champion").await;
    wait_text(client, "model-audit", "best test accuracy").await;

    // Asking for promotion puts version 1 in staging; production is the mentor's, and says so.
    wait_for(client, "#change-what").await.select_by_value("staging").await.unwrap();
    wait_for(client, "#change-reason").await.send_keys("ready for the class").await.unwrap();
    wait_for(client, "#change-apply").await.click().await.unwrap();
    wait_text(client, "change-done", "staging").await;
    wait_for(client, "#model-versions tr[data-version='1'] span.stage.staging").await;
    wait_for(client, "#change-what").await.select_by_value("production").await.unwrap();
    wait_for(client, "#change-reason").await.send_keys("please").await.unwrap();
    wait_for(client, "#change-apply").await.click().await.unwrap();
    let refused = wait_text(client, "change-error", "Not allowed").await;
    assert!(refused.contains("mentor"), "{refused}");
    save_screenshot(client, "registry-model.png").await;

    // The server holds the same: champion on 1, version 1 in staging, and each reason audited.
    let audit = get_json(&session, "/api/v1/models/iris-species/audit", &token).await;
    let reasons: Vec<&str> = audit.as_array().unwrap().iter().filter_map(|e| e["reason"].as_str()).collect();
    assert!(reasons.contains(&"best test accuracy") && reasons.contains(&"ready for the class"), "{audit}");
    assert!(!reasons.contains(&"please"), "a refused change is not audited: {audit}");

    // The class's mentor promotes version 1 and retires version 2, each with a reason.
    wait_for(client, "#header-sign-out").await.click().await.unwrap();
    wait_for(client, "#account-sign-in").await.click().await.unwrap();
    wait_for(client, "#sign-in-name").await.send_keys("grace").await.unwrap();
    wait_for(client, "#sign-in-password").await.send_keys(super::PASSWORD).await.unwrap();
    wait_for(client, "#sign-in-button").await.click().await.unwrap();
    wait_for(client, "#account-name").await;
    client.goto(&session.url("/registry/iris-species")).await.unwrap();
    wait_for(client, "#change-version").await.select_by_value("1").await.unwrap();
    wait_for(client, "#change-what").await.select_by_value("production").await.unwrap();
    wait_for(client, "#change-reason").await.send_keys("the class uses this one").await.unwrap();
    wait_for(client, "#change-apply").await.click().await.unwrap();
    wait_text(client, "change-done", "Version 1 is in production").await;
    wait_for(client, "#model-versions tr[data-version='1'] span.stage.production").await;
    wait_for(client, "#change-version").await.select_by_value("2").await.unwrap();
    wait_for(client, "#change-what").await.select_by_value("retire").await.unwrap();
    wait_for(client, "#change-reason").await.send_keys("overfits the training rows").await.unwrap();
    wait_for(client, "#change-apply").await.click().await.unwrap();
    wait_text(client, "change-done", "Version 2 is retired").await;
    wait_text(client, "model-versions", "overfits the training rows").await;
    let versions = get_json(&session, "/api/v1/models/iris-species/versions", &token).await;
    assert_eq!(versions[0]["stage"], "production", "{versions}");
    assert_eq!(versions[1]["retired"], "overfits the training rows", "{versions}");
    session.close().await;
}
