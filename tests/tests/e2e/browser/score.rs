//! The tab meets the registry, from two browsers: a learner trains iris, shares it and points
//! `champion` at it; a second learner, in a browser profile of their own, pulls `champion`, scores
//! one row and a CSV of 1,000 rows, and sends their labels. The server then holds 1,000 prediction
//! events and a profile for that version, the dashboard's accuracy is the one the labels give, and
//! the bundle's digest is the same at every hop. A second pull downloads nothing; a file with a row
//! that does not fit names it and scores the rest. Bad input on the way (a name with markup, a file
//! that is not a bundle, a CSV without a column the model reads) is named and loses nothing.

use super::{
    api_token, class_code, get_json, join_class, save_screenshot, wait_for, wait_text, Session, PATIENCE,
};
use fantoccini::{Client, Locator};
use tabml_tests::workspace_root;

/// The dashboard of iris-species once `done` holds of it (the outbox sends in the background).
async fn settled(
    session: &Session,
    token: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let dashboard = get_json(session, "/api/v1/models/iris-species/dashboard", token).await;
        if done(&dashboard) {
            return dashboard;
        }
        assert!(std::time::Instant::now() < deadline, "the dashboard never settled: {dashboard}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The text of the predictions CSV the page offers for download.
async fn downloaded_predictions(client: &Client) -> String {
    let script = r#"
        const done = arguments[arguments.length - 1];
        fetch(document.querySelector('#score-download').href).then(r => r.text()).then(done);"#;
    client.execute_async(script, vec![]).await.unwrap().as_str().unwrap().to_owned()
}

/// Whether the canvas `css` has anything drawn in blue or orange (the chart's bars).
async fn has_bars(client: &Client, css: &str) -> bool {
    let script = format!(
        "const c = document.querySelector('{css}');
         const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
         for (let i = 0; i < d.length; i += 4) {{
           if ((d[i] < 60 && d[i + 2] > 180) || (d[i] > 200 && d[i + 1] > 90 && d[i + 1] < 130 && d[i + 2] < 40)) return true;
         }}
         return false;"
    );
    super::js_bool(client, &script).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pulled_champion_scores_a_row_and_a_file_and_reports_them_from_another_browser() {
    let session = Session::open().await;
    let first = &session.client;
    let code = class_code(&session).await;
    wait_for(first, "main[data-restored='true']").await;
    join_class(first, "lin", &code).await;
    wait_for(first, "button[data-dataset='iris']").await.click().await.unwrap();
    wait_for(first, "#model-select").await.select_by_value("random forest").await.unwrap();
    wait_for(first, "#train-button").await.click().await.unwrap();
    let trained = wait_for(first, "#result-bundle[data-model='forest']")
        .await
        .attr("data-digest")
        .await
        .unwrap()
        .unwrap();
    let name = wait_for(first, "#share-name").await;
    name.clear().await.unwrap();
    name.send_keys("iris-species").await.unwrap();
    wait_for(first, "#share-button").await.click().await.unwrap();
    wait_text(first, "share-done", "version 1").await;
    first.goto(&session.url("/registry/iris-species")).await.unwrap();
    wait_for(first, "#change-reason").await.send_keys("our first forest").await.unwrap();
    wait_for(first, "#change-apply").await.click().await.unwrap();
    wait_text(first, "change-done", "champion now names version 1").await;

    // Another learner, another browser profile.
    let other = session.other_browser().await;
    let second = &other.client;
    wait_for(second, "main[data-restored='true']").await;
    join_class(second, "mo", &code).await;
    second.goto(&session.url("/score?model=iris-species&alias=champion")).await.unwrap();
    let chosen = wait_for(second, "#score-model[data-version='1']").await;
    assert_eq!(chosen.attr("data-digest").await.unwrap().unwrap(), trained, "the digest changed on the way");
    assert!(chosen.text().await.unwrap().contains("downloaded"));

    // One row: the form starts at typical values; a long petal makes it virginica.
    let typical = wait_for(second, "#row-prediction").await.attr("data-prediction").await.unwrap().unwrap();
    assert!(["setosa", "versicolor", "virginica"].contains(&typical.as_str()), "{typical}");
    let petal = wait_for(second, "#field-petal_length").await;
    petal.clear().await.unwrap();
    petal.send_keys("6.5").await.unwrap();
    let width = wait_for(second, "#field-petal_width").await;
    width.clear().await.unwrap();
    width.send_keys("2.3").await.unwrap();
    wait_for(second, "#row-prediction[data-prediction='virginica']").await;
    let mut total = 0.0;
    for row in second.find_all(Locator::Css("#row-probabilities td.num")).await.unwrap() {
        total += row.text().await.unwrap().trim_end_matches('%').parse::<f64>().unwrap();
    }
    assert!((total - 100.0).abs() < 0.5, "probabilities add up to {total}%");
    let top = wait_for(second, "#row-method").await.attr("data-top").await.unwrap().unwrap();
    assert!(top.starts_with("petal"), "a long petal moved it most, not {top}");
    assert!(has_bars(second, "#row-contributions").await, "the contributions chart is drawn");
    wait_for(second, "#row-result[data-latency-ms]").await;

    // A file of 1,000 rows with an id column, copied in as the key.
    let iris = std::fs::read_to_string(workspace_root().join("public/data/iris.csv")).unwrap();
    let rows: Vec<&str> = iris.lines().skip(1).filter(|l| !l.is_empty()).collect();
    let header = iris.lines().next().unwrap();
    let species_at = header.split(',').position(|h| h == "species").unwrap();
    let mut csv = format!("id,{header}\n");
    let mut truth = Vec::new();
    for i in 0..1000 {
        let row = rows[i % rows.len()];
        csv.push_str(&format!("row-{i},{row}\n"));
        truth.push(row.split(',').nth(species_at).unwrap().to_owned());
    }
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("new-flowers.csv");
    std::fs::write(&path, csv).unwrap();
    wait_for(second, "#score-file").await.send_keys(path.to_str().unwrap()).await.unwrap();
    wait_for(second, "#score-summary[data-scored='1000']").await;
    let queued = wait_for(second, "#report-queued").await.attr("data-events").await.unwrap().unwrap();
    assert_eq!(queued, "1002", "1,000 predictions, one profile and one drift report");
    // The file against the training rows, in the page; the server's check of the profile it is sent
    // must agree (below).
    let drift = wait_for(second, "#score-drift").await;
    let drifted: f64 = drift.attr("data-drifted").await.unwrap().unwrap().parse().unwrap();
    // The four inputs and the species (the file has it; the training profile keeps the target).
    assert!(drift.text().await.unwrap().contains("of 5 columns drifted"), "{}", drift.text().await.unwrap());
    wait_for(second, "#score-drift-table tr[data-column='petal_length']").await;
    let predictions = downloaded_predictions(second).await;
    let mut lines = predictions.lines();
    assert_eq!(
        lines.next().unwrap(),
        "prediction_id,id,prediction,proba_setosa,proba_versicolor,proba_virginica"
    );
    let ids: Vec<String> = lines.map(|l| l.split(',').next().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 1000);
    assert!(ids.iter().all(|id| id.starts_with("v1-")), "{:?}", &ids[..3]);
    save_screenshot(second, "score.png").await;

    // The labels: the truth of every row.
    let mut labels = String::from("prediction_id,label\n");
    for (id, label) in ids.iter().zip(&truth) {
        labels.push_str(&format!("{id},{label}\n"));
    }
    let labels_path = files.path().join("labels.csv");
    std::fs::write(&labels_path, labels).unwrap();
    wait_for(second, "#labels-file").await.send_keys(labels_path.to_str().unwrap()).await.unwrap();
    let queued = wait_for(second, "#labels-queued").await.attr("data-events").await.unwrap().unwrap();
    assert_eq!(queued, "1000");

    // The outbox empties; the server holds 1,000 predictions and a profile for version 1, and the
    // labels' accuracy.
    wait_for(second, "#outbox-badge[data-waiting='0'][data-parked='0']").await;
    let token = api_token(&session, "grace").await;
    let dashboard = settled(&session, &token, |d| d["labelled"] == 1000).await;
    assert_eq!(dashboard["volume"], 1000, "{dashboard}");
    assert_eq!(dashboard["volume_by_version"]["1"], 1000, "{dashboard}");
    assert_eq!(dashboard["drift"]["batches"], 1, "the batch's profile: {dashboard}");
    assert_eq!(dashboard["drift"]["version"], 1);
    assert_eq!(
        dashboard["drift"]["drifted_share"].as_f64(),
        Some(drifted / 4.0),
        "the tab's verdict: {dashboard}"
    );
    assert_eq!(dashboard["labelled"], 1000);
    let predicted: Vec<String> =
        predictions.lines().skip(1).map(|l| l.split(',').nth(2).unwrap().to_owned()).collect();
    let right = predicted.iter().zip(&truth).filter(|(p, t)| p == t).count() as f64 / 1000.0;
    let accuracy = dashboard["accuracy"].as_f64().unwrap();
    assert!((accuracy - right).abs() < 1e-9, "dashboard {accuracy}, labels {right}");
    let versions = get_json(&session, "/api/v1/models/iris-species/versions", &token).await;
    assert_eq!(versions[0]["digest"], trained.as_str());

    // Pulled again after a reload: the server says it is unchanged and nothing is downloaded.
    second.refresh().await.unwrap();
    let again = wait_for(second, "#score-model[data-version='1']").await;
    assert!(again.text().await.unwrap().contains("this browser's copy"), "{}", again.text().await.unwrap());
    assert_eq!(again.attr("data-digest").await.unwrap().unwrap(), trained);

    // A file with a row that does not fit: named by line and column, the others scored.
    let bad = files.path().join("one-bad-row.csv");
    std::fs::write(
        &bad,
        format!(
            "{header}\n{}\n{}\n{}\n",
            rows[0],
            rows[60].replacen(|c: char| c.is_ascii_digit(), "x", 1),
            rows[120]
        ),
    )
    .unwrap();
    wait_for(second, "#report-events").await.click().await.unwrap();
    wait_for(second, "#score-file").await.send_keys(bad.to_str().unwrap()).await.unwrap();
    wait_for(second, "#score-summary[data-scored='2']").await;
    let problems = wait_for(second, "#score-problems").await.text().await.unwrap();
    assert!(problems.contains("line 3"), "{problems}");
    save_screenshot(second, "score-bad-row.png").await;
    assert_eq!(
        get_json(&session, "/api/v1/models/iris-species/dashboard", &token).await["volume"],
        1000,
        "unticked, nothing more is reported"
    );
    other.close().await;
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_on_the_way_to_scoring_is_named_and_loses_nothing() {
    let session = Session::open().await;
    let client = &session.client;
    let code = class_code(&session).await;
    wait_for(client, "main[data-restored='true']").await;
    join_class(client, "lin", &code).await;
    wait_for(client, "button[data-dataset='iris']").await.click().await.unwrap();
    wait_for(client, "#model-select").await.select_by_value("logistic regression").await.unwrap();
    wait_for(client, "#train-button").await.click().await.unwrap();
    let trained = wait_for(client, "#result-bundle[data-model='logreg']")
        .await
        .attr("data-digest")
        .await
        .unwrap()
        .unwrap();

    // A registry name with markup is refused in words, and nothing is registered.
    let name = wait_for(client, "#share-name").await;
    name.clear().await.unwrap();
    name.send_keys("<script>alert(1)</script>").await.unwrap();
    wait_for(client, "#share-button").await.click().await.unwrap();
    let refused = wait_for(client, "#share-error").await.text().await.unwrap();
    assert!(refused.contains("<script>"), "the refusal names the name, as text: {refused}");
    let token = api_token(&session, "grace").await;
    assert_eq!(get_json(&session, "/api/v1/models", &token).await["total"], 0);

    // The Score page: the workbench's model, then a file that is not a bundle, which changes nothing.
    wait_for(client, "nav.pages a[href='/score']").await.click().await.unwrap();
    wait_for(client, "#score-workbench").await.click().await.unwrap();
    wait_for(client, &format!("#score-model[data-digest='{trained}']")).await;
    let files = tempfile::tempdir().unwrap();
    let fake = files.path().join("not-a-model.tabml");
    std::fs::write(&fake, "sepal_length,species\n5.1,setosa\n").unwrap();
    wait_for(client, "#score-bundle-file").await.send_keys(fake.to_str().unwrap()).await.unwrap();
    let why = wait_for(client, "#score-source-error").await.text().await.unwrap();
    assert!(why.contains("not-a-model.tabml") && why.contains("not a tabml model bundle"), "{why}");
    wait_for(client, &format!("#score-model[data-digest='{trained}']")).await;
    // Nothing is reported for a model that is not a registered version.
    assert!(client.find(Locator::Css("#report-events")).await.is_err());

    // A file without one of the model's columns is refused whole, naming the column.
    let missing = files.path().join("no-petals.csv");
    std::fs::write(&missing, "sepal_length,sepal_width\n5.1,3.5\n").unwrap();
    wait_for(client, "#score-file").await.send_keys(missing.to_str().unwrap()).await.unwrap();
    let why = wait_for(client, "#score-file-error").await.text().await.unwrap();
    assert!(why.contains("no-petals.csv") && why.contains("petal_length"), "{why}");
    save_screenshot(client, "score-refusals.png").await;
    session.close().await;
}
