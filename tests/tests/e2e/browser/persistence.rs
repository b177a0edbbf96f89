//! Work kept in the browser (IndexedDB): the card, data, types, choices and runs after a reload;
//! kept files opened and forgotten; forgetting it all.

use super::{data_value, save_screenshot, wait_for, Session, PATIENCE};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_data_types_and_runs_are_still_there_after_a_reload() {
    let session = Session::open().await;
    let client = &session.client;
    // Wait until the (empty) saved work has been read, then work.
    wait_for(client, "main[data-restored='true']").await;
    let risks = wait_for(client, "#card-risks").await;
    risks.clear().await.unwrap();
    risks.send_keys("Flagging could discourage learners.").await.unwrap();
    // A file of the learner's own first; then the iris sample.
    let files = tempfile::tempdir().unwrap();
    let own = files.path().join("my-scores.csv");
    std::fs::write(&own, "hours,passed\n1,no\n2,no\n3,yes\n4,yes\n").unwrap();
    wait_for(client, "#csv-file").await.send_keys(own.to_str().unwrap()).await.unwrap();
    client
        .wait()
        .for_element(Locator::XPath("//*[@id='data-summary'][contains(., 'my-scores.csv')]"))
        .await
        .unwrap();
    wait_for(client, "button[data-dataset='iris']").await.click().await.unwrap();
    let petal = "#columns tr[data-column='petal_width'] .kind-select";
    let petal_is_categorical = "#columns tr[data-column='petal_width'] option[value='categorical']:checked";
    wait_for(client, petal).await.select_by_value("categorical").await.unwrap();
    wait_for(client, petal_is_categorical).await;
    // Preparation choices: leave a column out and hold back 30% of the rows.
    let sepal_used = "#prep-table tr[data-column='sepal_width'] .use-column";
    wait_for(client, sepal_used).await.click().await.unwrap();
    wait_for(client, "#test-share").await.select_by_value("0.3").await.unwrap();
    wait_for(client, "#model-select").await.select_by_value("logistic regression").await.unwrap();
    wait_for(client, "#train-button").await.click().await.unwrap();
    let accuracy = data_value(client, "#result-accuracy").await;
    // Saving happens in the background: wait until IndexedDB has committed it all.
    client.wait().for_element(Locator::Css("#runs tbody tr[data-run='1']")).await.unwrap();
    wait_for(client, "main[data-saving='0']").await;

    client.refresh().await.unwrap();
    let summary = wait_for(client, "#data-summary").await.text().await.unwrap();
    assert!(summary.contains("Iris flowers") && summary.contains("150 rows"), "{summary}");
    wait_for(client, petal_is_categorical).await;
    let card = wait_for(client, "#card-risks").await.prop("value").await.unwrap();
    assert_eq!(card.as_deref(), Some("Flagging could discourage learners."));
    let runs = client.find_all(Locator::Css("#runs tbody tr")).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(data_value(client, "#result-accuracy").await, accuracy);
    let context = wait_for(client, "#result-context").await.text().await.unwrap();
    assert!(context.contains("tested on 45 held-back rows"), "{context}");
    // The preparation choices came back too.
    client.wait().for_element(Locator::Css("#test-share option[value='0.3']:checked")).await.unwrap();
    let used = wait_for(client, sepal_used).await.prop("checked").await.unwrap();
    assert_eq!(used.as_deref(), Some("false"), "sepal_width stays left out");
    save_screenshot(client, "after-reload.png").await;

    // Both data sets are kept: the learner's file opens again from the browser, and can be forgotten.
    let kept: Vec<String> = {
        let mut names = Vec::new();
        for item in client.find_all(Locator::Css("#kept-files li")).await.unwrap() {
            names.push(item.attr("data-file").await.unwrap().unwrap_or_default());
        }
        names
    };
    assert_eq!(kept, ["Iris flowers", "my-scores.csv"], "most recent first");
    wait_for(client, "#kept-files li[data-file='my-scores.csv'] .kept-open").await.click().await.unwrap();
    let summary = client
        .wait()
        .for_element(Locator::XPath("//*[@id='data-summary'][contains(., 'my-scores.csv')]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(summary.contains("4 rows × 2 columns"), "{summary}");
    wait_for(client, "#kept-files li[data-file='Iris flowers'] .kept-forget").await.click().await.unwrap();
    let deadline = std::time::Instant::now() + PATIENCE;
    while client.find(Locator::Css("#kept-files li[data-file='Iris flowers']")).await.is_ok() {
        assert!(std::time::Instant::now() < deadline, "the forgotten data set is still listed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    wait_for(client, "main[data-saving='0']").await;

    // "Forget" clears it all.
    wait_for(client, "#forget-work").await.click().await.unwrap();
    // The page reloads: wait until the old page's data summary is gone, then for the new page.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while client.find(Locator::Css("#data-summary")).await.is_ok() {
        assert!(std::time::Instant::now() < deadline, "the page did not reload");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    wait_for(client, "main[data-restored='true']").await;
    assert!(client.find(Locator::Css("#data-summary")).await.is_err(), "the data set was forgotten");
    assert!(client.find(Locator::Css("#runs")).await.is_err(), "the runs were forgotten");
    session.close().await;
}
