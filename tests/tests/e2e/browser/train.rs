//! Training in the tab: iris with its results, runs compared, the bundle downloaded and opened
//! again; a regression with hyperparameters, a search and step 3's choices; bundles bit-identical
//! to the native ones.

use super::{data_value, js_bool, same_bundle_as_native, save_screenshot, wait_for, Session};
use fantoccini::Locator;
use tabml_tests::workspace_root;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn learner_trains_on_iris_and_sees_accuracy_confusion_matrix_and_chart() {
    let session = Session::open().await;
    let client = &session.client;
    wait_for(client, "button[data-dataset='iris']").await.click().await.unwrap();

    // The sample's preview and inferred types appear, and its target is chosen.
    let summary = wait_for(client, "#data-summary").await.text().await.unwrap();
    assert!(summary.contains("150 rows × 5 columns"), "{summary}");
    let species_kind = wait_for(client, "#columns tr[data-column='species'] .kind-select").await;
    assert_eq!(species_kind.prop("value").await.unwrap().as_deref(), Some("categorical"));
    let target = wait_for(client, "#target-select").await;
    assert_eq!(target.prop("value").await.unwrap().as_deref(), Some("species"));
    let hint = wait_for(client, "#task-hint").await.text().await.unwrap();
    assert!(hint.contains("3 classes"), "{hint}");

    // Step 3 shows the stratified split before training: 10 test rows of each species at 20%,
    // 15 at 30%.
    let split_counts = |share: &'static str| async move {
        wait_for(client, "#test-share").await.select_by_value(share).await.unwrap();
        let expected = if share == "0.2" { "10" } else { "15" };
        client
            .wait()
            .for_element(Locator::XPath(&format!(
                "//table[@id='split-table']/tbody/tr[3]/td[2][normalize-space()='{expected}']"
            )))
            .await
            .unwrap();
        client.find_all(Locator::Css("#split-table tbody tr")).await.unwrap().len()
    };
    assert_eq!(split_counts("0.3").await, 3);
    assert_eq!(split_counts("0.2").await, 3);

    let model = wait_for(client, "#model-select").await;
    model.select_by_value("logistic regression").await.unwrap();
    wait_for(client, "#train-button").await.click().await.unwrap();

    let value = data_value(client, "#result-accuracy").await;
    assert!(value >= 0.9, "iris test accuracy {value} is below 0.9");
    let shown = wait_for(client, "#result-accuracy").await.text().await.unwrap();
    assert!(shown.ends_with('%'), "{shown}");
    let balanced = data_value(client, "#result-balanced-accuracy").await;
    assert!(balanced >= 0.9, "iris balanced accuracy {balanced}");

    // 30 test rows (a stratified 20% of 150) add up in the confusion matrix.
    let cells = client.find_all(Locator::Css("#confusion-matrix tbody td")).await.unwrap();
    assert_eq!(cells.len(), 9);
    let mut total = 0;
    for cell in cells {
        total += cell.text().await.unwrap().parse::<usize>().unwrap();
    }
    assert_eq!(total, 30);

    // The chart was drawn: the canvas holds non-white pixels.
    let inked: bool = js_bool(
        client,
        "const c = document.querySelector('#result-chart');
             const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
             for (let i = 0; i < d.length; i += 4) { if (d[i] < 200 && d[i + 2] > 150) return true; }
             return false;",
    )
    .await;
    assert!(inked, "the chart canvas has no bars drawn on it");

    // The badge found the registry server.
    let status = wait_for(client, ".server-status.ok").await.text().await.unwrap();
    assert!(status.contains("connected"), "{status}");

    save_screenshot(client, "iris-trained.png").await;

    // The problem card of step 1 (prefilled with the worked example) travels inside the bundle.
    let card = wait_for(client, "#result-card").await.text().await.unwrap();
    assert!(card.contains("Model card"), "{card}");
    let stored: String = client
        .execute("return document.querySelector('#result-card dd').textContent;", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(stored, tabml::ProblemCard::learner_support_example().target_outcome);

    // The model trained in the tab is the very bundle the native library makes from the same file,
    // model and seed: bit-identical across wasm32 and x86-64, for a solver (exp, log) and a forest.
    same_bundle_as_native(client, tabml::ModelKind::LogisticRegression).await;
    wait_for(client, "#model-select").await.select_by_value("random forest").await.unwrap();
    wait_for(client, "#train-button").await.click().await.unwrap();
    wait_for(client, "#result-bundle[data-model='forest']").await;
    same_bundle_as_native(client, tabml::ModelKind::RandomForest).await;

    // Both trainings are runs; ticking both compares them metric by metric, best marked in words.
    let runs = client.find_all(Locator::Css("#runs tbody tr")).await.unwrap();
    assert_eq!(runs.len(), 2);
    for tick in client.find_all(Locator::Css("#runs .compare-tick input")).await.unwrap() {
        tick.click().await.unwrap();
    }
    let accuracy_row = wait_for(client, "#compare tbody tr:first-child").await.text().await.unwrap();
    assert!(accuracy_row.starts_with("accuracy") && accuracy_row.contains("best"), "{accuracy_row}");
    let compared = wait_for(client, "#compare").await.text().await.unwrap();
    assert!(compared.contains("n_estimators") && compared.contains("C"), "{compared}");
    save_screenshot(client, "compare.png").await;

    // The download link holds exactly the bundle's bytes.
    let link = wait_for(client, "#download-bundle").await;
    assert_eq!(link.attr("download").await.unwrap().as_deref(), Some("species-forest.tabml"));
    let downloaded = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.querySelector('#download-bundle').href)
               .then(r => r.arrayBuffer()).then(b => done(b.byteLength));",
            vec![],
        )
        .await
        .unwrap();
    let shown = wait_for(client, "#result-bundle").await.attr("data-bytes").await.unwrap().unwrap();
    assert_eq!(downloaded.as_u64().map(|n| n.to_string()), Some(shown));

    // A bundle file opens again: here the native logistic regression, shown with its own digest.
    let bytes = std::fs::read(workspace_root().join("public/data/iris.csv")).unwrap();
    let table = tabml::parse_csv(&bytes).unwrap();
    let native =
        tabml::train(&table, "species", &tabml::TrainConfig::new(tabml::ModelKind::LogisticRegression))
            .unwrap()
            .bundle;
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("saved.tabml");
    std::fs::write(&path, native.encode()).unwrap();
    wait_for(client, "#bundle-file").await.send_keys(path.to_str().unwrap()).await.unwrap();
    let opened = wait_for(client, "#result-bundle[data-model='logreg']").await;
    assert_eq!(opened.attr("data-digest").await.unwrap(), Some(native.digest()));
    let context = wait_for(client, "#result-context").await.text().await.unwrap();
    assert!(context.contains("opened from the bundle file \"saved.tabml\""), "{context}");

    // A file that is not a bundle says so.
    std::fs::write(&path, b"sepal_length,species\n1,a\n").unwrap();
    wait_for(client, "#bundle-file").await.send_keys(path.to_str().unwrap()).await.unwrap();
    let error = wait_for(client, "#train-error").await.text().await.unwrap();
    assert!(error.contains("could not be opened as a model"), "{error}");
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn learner_fits_a_regression_on_diabetes_and_sees_r2_beside_the_baseline() {
    let session = Session::open().await;
    let client = &session.client;
    wait_for(client, "button[data-dataset='diabetes']").await.click().await.unwrap();
    let hint = wait_for(client, "#task-hint").await.text().await.unwrap();
    assert!(hint.contains("Regression"), "{hint}");
    // Only models that can predict a number are offered, and one of them is chosen.
    let model = wait_for(client, "#model-select").await;
    assert_eq!(model.prop("value").await.unwrap().as_deref(), Some("linear regression"));
    // dummy, linreg, ridge, lasso, elastic net, tree, forest, k-NN: not the classifiers.
    let offered = client.find_all(Locator::Css("#model-select option")).await.unwrap();
    assert_eq!(offered.len(), 8);

    wait_for(client, "#train-button").await.click().await.unwrap();
    let r2 = data_value(client, "#result-r2").await;
    let rmse = data_value(client, "#result-rmse").await;
    assert!(r2 > 0.3 && rmse > 0.0, "r2 {r2}, rmse {rmse}");
    wait_for(client, ".verdict.good").await;

    save_screenshot(client, "diabetes-regression.png").await;

    // Hyperparameters: a bad value is refused as it is typed (and Train waits); a good one is used,
    // giving the very bundle the library makes with the same value.
    wait_for(client, "#model-select").await.select_by_value("ridge regression").await.unwrap();
    let alpha = wait_for(client, "#param-alpha").await;
    alpha.send_keys("-1\t").await.unwrap();
    let error = wait_for(client, "#params-error").await.text().await.unwrap();
    assert!(error.contains("alpha"), "{error}");
    let disabled = wait_for(client, "#train-button").await.prop("disabled").await.unwrap();
    assert_eq!(disabled.as_deref(), Some("true"));
    alpha.clear().await.unwrap();
    alpha.send_keys("10\t").await.unwrap();
    client.wait().for_element(Locator::Css("#train-button:not([disabled])")).await.unwrap();
    wait_for(client, "#train-button").await.click().await.unwrap();
    let element = wait_for(client, "#result-bundle[data-model='ridge']").await;
    let in_browser = element.attr("data-digest").await.unwrap().unwrap();
    let bytes = std::fs::read(workspace_root().join("public/data/diabetes.csv")).unwrap();
    let table = tabml::parse_csv(&bytes).unwrap();
    let config = tabml::TrainConfig {
        params: vec![("alpha".into(), "10".into())],
        card: tabml::ProblemCard::learner_support_example(),
        ..tabml::TrainConfig::new(tabml::ModelKind::Ridge)
    };
    let native = tabml::train(&table, "progression", &config).unwrap().bundle.digest();
    assert_eq!(in_browser, native);

    // A model-based search: its trials are drawn as they finish, and the model it picks is the one
    // the library picks with the same search.
    alpha.clear().await.unwrap();
    alpha.send_keys("\t").await.unwrap();
    wait_for(client, "#search-method").await.select_by_value("tpe").await.unwrap();
    let trials = wait_for(client, "#search-trials").await;
    trials.clear().await.unwrap();
    trials.send_keys("8\t").await.unwrap();
    let folds = wait_for(client, "#search-folds").await;
    folds.clear().await.unwrap();
    folds.send_keys("3\t").await.unwrap();
    client.wait().for_element(Locator::Css("#train-button:not([disabled])")).await.unwrap();
    wait_for(client, "#train-button").await.click().await.unwrap();
    let best = wait_for(client, "#search-best[data-trials='8']").await.text().await.unwrap();
    assert!(best.contains("Best so far: trial") && best.contains("alpha="), "{best}");
    save_screenshot(client, "search.png").await;
    let searched = tabml::TrainConfig {
        params: Vec::new(),
        search: Some(tabml::SearchConfig { method: tabml::SearchMethod::Tpe, trials: 8, folds: 3 }),
        ..config
    };
    let native = tabml::train(&table, "progression", &searched).unwrap().bundle.digest();
    client
        .wait()
        .for_element(Locator::Css(&format!("#result-bundle[data-digest='{native}']")))
        .await
        .expect("the searched bundle in the browser equals the native one");

    // Step 3's choices reach the model: leave "sex" out and bin "bmi".
    wait_for(client, "#search-method").await.select_by_value("none").await.unwrap();
    wait_for(client, "#prep-table tr[data-column='sex'] .use-column").await.click().await.unwrap();
    wait_for(client, "select[aria-label='bins for bmi']").await.select_by_value("4").await.unwrap();
    wait_for(client, "#train-button").await.click().await.unwrap();
    client
        .wait()
        .for_element(Locator::XPath("//*[contains(., '9 input columns became 12 features')]"))
        .await
        .expect("9 columns (sex left out), bmi as 4 bins: 8 + 4 features");
    save_screenshot(client, "prepare.png").await;
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_whose_profile_needs_a_t_digest_is_the_same_in_the_tab_as_natively() {
    // More than 1,000 distinct values in a column: the profile compresses them into a t-digest,
    // whose scale function (an arcsine) must round the same in wasm32 as natively.
    let mut csv = String::from("x,z,y\n");
    for i in 0..1500u64 {
        let x = (i * 7919 % 1500) as f64 / 10.0 + 0.05;
        let z = (i * 37 % 101) as f64;
        csv.push_str(&format!("{x:.2},{z},{:.2}\n", 3.0 * x - z + (i % 7) as f64 * 0.1));
    }
    let session = Session::open().await;
    let client = &session.client;
    wait_for(client, "#drop-zone").await;
    client
        .execute(
            "const dt = new DataTransfer();
             dt.items.add(new File([arguments[0]], 'digest.csv', { type: 'text/csv' }));
             document.getElementById('drop-zone').dispatchEvent(
               new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));",
            vec![serde_json::json!(csv)],
        )
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::XPath("//*[@id='data-summary'][contains(., 'digest.csv')]"))
        .await
        .unwrap();
    wait_for(client, "#train-button").await.click().await.unwrap();
    let element = wait_for(client, "#result-bundle[data-model='linreg']").await;
    let in_browser = element.attr("data-digest").await.unwrap().unwrap();
    let table = tabml::parse_csv(csv.as_bytes()).unwrap();
    let config = tabml::TrainConfig {
        card: tabml::ProblemCard::learner_support_example(),
        ..tabml::TrainConfig::new(tabml::ModelKind::LinearRegression)
    };
    let trained = tabml::train(&table, "y", &config).unwrap();
    let profile = serde_json::to_value(&trained.bundle.profile).unwrap().to_string();
    assert!(profile.contains("\"centroids\":[["), "the profile does not reach the t-digest");
    assert_eq!(in_browser, trained.bundle.digest());
    session.close().await;
}
