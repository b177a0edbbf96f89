//! Sharing from the tab: a learner who joined a class trains iris and shares it; the registry then
//! holds a version with the very bytes the tab made, and a run with its hyperparameters, metrics,
//! seed and fingerprints. Sharing again uploads nothing.

use super::{api_token, class_code, get_json, join_class, save_screenshot, wait_for, Session};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learner_shares_a_trained_model_and_the_registry_holds_the_same_bytes() {
    let session = Session::open().await;
    let client = &session.client;
    let code = class_code(&session).await;
    wait_for(client, "main[data-restored='true']").await;
    // Signed out, the Evaluate step says how to share.
    wait_for(client, "button[data-dataset='iris']").await.click().await.unwrap();
    wait_for(client, "#model-select").await.select_by_value("logistic regression").await.unwrap();
    wait_for(client, "#train-button").await.click().await.unwrap();
    wait_for(client, "#share-sign-in").await;

    join_class(client, "lin", &code).await;
    let digest = wait_for(client, "#result-bundle").await.attr("data-digest").await.unwrap().unwrap();
    let name = wait_for(client, "#share-name").await.prop("value").await.unwrap().unwrap();
    assert_eq!(name, "species-logreg");
    wait_for(client, "#share-button").await.click().await.unwrap();
    let done = wait_for(client, "#share-done").await.text().await.unwrap();
    assert!(done.starts_with("Shared as species-logreg version 1, with its run"), "{done}");
    save_screenshot(client, "share.png").await;

    // The mentor sees the version, with the digest the tab computed, and the run beside it.
    let token = api_token(&session, "grace").await;
    let get = |path: String| {
        let (session, token) = (&session, &token);
        async move { get_json(session, &path, token).await }
    };
    let versions = get("/api/v1/models/species-logreg/versions".into()).await;
    assert_eq!(versions.as_array().unwrap().len(), 1, "{versions}");
    assert_eq!(versions[0]["digest"], digest.as_str());
    assert_eq!(versions[0]["created_by"], "lin");
    let runs = get("/api/v1/runs?model=species-logreg".into()).await;
    let run = &runs["runs"][0];
    assert_eq!(run["tags"]["digest"], digest.as_str(), "{runs}");
    assert_eq!(run["tags"]["version"], "1");
    assert_eq!(run["params"]["seed"], "42");
    assert_eq!(run["params"]["C"], "1");
    assert!(run["metrics"]["accuracy"].as_f64().unwrap() > 0.8, "{run}");
    assert!(run["tags"]["fingerprint_train"].as_str().is_some_and(|f| !f.is_empty()));

    // Sharing the same model again uploads nothing.
    wait_for(client, "#share-button").await.click().await.unwrap();
    client
        .wait()
        .for_element(fantoccini::Locator::XPath(
            "//*[@id='share-done'][contains(., 'already holds this model as version 1')]",
        ))
        .await
        .unwrap();
    let versions = get("/api/v1/models/species-logreg/versions".into()).await;
    assert_eq!(versions.as_array().unwrap().len(), 1);
    session.close().await;
}
