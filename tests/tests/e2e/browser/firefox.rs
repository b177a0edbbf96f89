//! The learner's main path in headless Firefox.

use super::{
    lower_the_threshold, same_bundle_as_native, save_screenshot, wait_for, Browser, Session, PATIENCE,
};
use fantoccini::Locator;

/// The learner's main path in headless Firefox: a sample set, two models trained in the worker
/// (each the same bundle as natively), the threshold slider and curves on a two-class set, and the
/// runs still there after a reload (IndexedDB).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_path_works_in_firefox() {
    let session = Session::open_in(Browser::Firefox).await;
    let client = &session.client;
    wait_for(client, "main[data-restored='true']").await;
    wait_for(client, "button[data-dataset='iris']").await.click().await.unwrap();
    let summary = wait_for(client, "#data-summary").await.text().await.unwrap();
    assert!(summary.contains("150 rows × 5 columns"), "{summary}");
    for kind in [tabml::ModelKind::LogisticRegression, tabml::ModelKind::DecisionTree] {
        wait_for(client, "#model-select").await.select_by_value(kind.label()).await.unwrap();
        wait_for(client, "#train-button:not([disabled])").await.click().await.unwrap();
        same_bundle_as_native(client, kind).await;
    }
    save_screenshot(client, "firefox-iris.png").await;

    // Two classes: the slider moves recall, the matrix keeps every test row, the curves are drawn.
    wait_for(client, "button[data-dataset='learner_support']").await.click().await.unwrap();
    client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::XPath("//*[@id='data-summary'][contains(., '5,000 rows')]"))
        .await
        .unwrap();
    wait_for(client, "#model-select").await.select_by_value("logistic regression").await.unwrap();
    wait_for(client, "#train-button:not([disabled])").await.click().await.unwrap();
    lower_the_threshold(client).await;
    save_screenshot(client, "firefox-threshold.png").await;

    // The three runs come back after a reload.
    client.wait().for_element(Locator::Css("#runs tbody tr[data-run='3']")).await.unwrap();
    wait_for(client, "main[data-saving='0']").await;
    client.refresh().await.unwrap();
    wait_for(client, "main[data-restored='true']").await;
    client.wait().at_most(PATIENCE).for_element(Locator::Css("#runs tbody tr[data-run='3']")).await.unwrap();
    assert_eq!(client.find_all(Locator::Css("#runs tbody tr")).await.unwrap().len(), 3);
    session.close().await;
}
