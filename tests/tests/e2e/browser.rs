//! The real app in headless Chromium (and the main path in headless Firefox), served by the real
//! server: a learner's first path.

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::time::Duration;
use tabml_tests::{screenshot_dir, workspace_root, ChromeDriver, GeckoDriver, TestServer};

/// Chromium and the wasm app are slow to start on a loaded 2-core machine; give them room.
const PATIENCE: Duration = Duration::from_secs(60);

/// The browser a session drives.
#[derive(Clone, Copy, PartialEq)]
enum Browser {
    Chromium,
    Firefox,
}

/// The WebDriver process behind a session.
enum Driver {
    Chrome(ChromeDriver),
    Gecko(GeckoDriver),
}

/// The real server serving the built app, and a headless browser showing its home page.
struct Session {
    client: Client,
    server: TestServer,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl Session {
    /// In headless Chromium.
    async fn open() -> Self {
        Self::open_in(Browser::Chromium).await
    }

    async fn open_in(browser: Browser) -> Self {
        let dist = workspace_root().join("dist");
        assert!(
            dist.join("index.html").is_file(),
            "no built app in {}: run `trunk build` first (scripts/test.sh does)",
            dist.display()
        );
        let server = TestServer::start(&dist).await;
        // Opening a WebDriver session on a loaded 2-core machine now and then has the driver drop
        // the connection while the browser starts; a fresh driver on a fresh port then works.
        let mut attempt = 0;
        let (client, driver, profile) = loop {
            attempt += 1;
            let profile = tempfile::tempdir().unwrap();
            let mut builder = ClientBuilder::new(HttpConnector::new());
            let driver = match browser {
                Browser::Chromium => {
                    builder.capabilities(ChromeDriver::chromium_capabilities(profile.path()));
                    Driver::Chrome(ChromeDriver::start())
                }
                Browser::Firefox => {
                    builder.capabilities(GeckoDriver::firefox_capabilities());
                    Driver::Gecko(GeckoDriver::start())
                }
            };
            let url = match &driver {
                Driver::Chrome(d) => d.url.clone(),
                Driver::Gecko(d) => d.url.clone(),
            };
            match builder.connect(&url).await {
                Ok(client) => break (client, driver, profile),
                Err(e) if attempt < 3 => {
                    eprintln!("opening a WebDriver session failed (attempt {attempt}), retrying: {e}");
                    drop(driver);
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
                Err(e) => panic!("a WebDriver session after {attempt} attempts: {e}"),
            }
        };
        client.goto(&server.url("/")).await.unwrap();
        Self { client, server, _driver: driver, _profile: profile }
    }

    async fn close(self) {
        self.client.close().await.unwrap();
        self.server.stop().await;
    }
}

async fn save_screenshot(client: &Client, name: &str) {
    save_screenshot_at(client, name, 1280).await;
}

/// [`save_screenshot`] with the window this wide.
async fn save_screenshot_at(client: &Client, name: &str, width: u32) {
    // Tall enough to hold the whole page, so the screenshot shows every step.
    let height: u32 = client
        .execute("return Math.ceil(document.documentElement.scrollHeight)", vec![])
        .await
        .ok()
        .and_then(|v| v.as_u64())
        .map_or(900, |h| h.clamp(900, 8000) as u32);
    client.set_window_size(width, height + 120).await.unwrap();
    let png = client.screenshot().await.unwrap();
    let path = screenshot_dir().join(name);
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
}

/// The exact number a result card keeps in its `data-value`.
/// Runs a script that returns true or false in the page.
async fn js_bool(client: &Client, script: &str) -> bool {
    client.execute(script, vec![]).await.unwrap().as_bool().unwrap()
}

async fn data_value(client: &Client, css: &str) -> f64 {
    let element = wait_for(client, css).await;
    let text = element.attr("data-value").await.unwrap().unwrap_or_else(|| panic!("{css} has no data-value"));
    text.parse().unwrap_or_else(|e| panic!("{css} data-value {text:?}: {e}"))
}

async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    tabml_tests::wait_for_css(client, css, PATIENCE).await
}

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

/// Moves a two-class model's threshold slider from 0.5 to 0.1 and checks what a learner sees:
/// recall does not fall (more rows are called positive), the matrix still counts the 1,000 test rows
/// (a stratified 20% of learner support's 5,000), and the ROC and PR curves are drawn with the
/// chosen threshold marked (an orange dot).
async fn lower_the_threshold(client: &Client) {
    let recall_at_half = data_value(client, "#threshold-recall").await;
    let slide = |value: f64| {
        format!(
            "const s = document.querySelector('#threshold-slider'); s.value = '{value}';
             s.dispatchEvent(new Event('input', {{ bubbles: true }}));"
        )
    };
    client.execute(&slide(0.1), vec![]).await.unwrap();
    client
        .wait()
        .for_element(Locator::XPath("//label[@for='threshold-slider' and contains(., '0.10')]"))
        .await
        .unwrap();
    let recall_low = data_value(client, "#threshold-recall").await;
    assert!(recall_low >= recall_at_half && recall_low > 0.0, "{recall_low} < {recall_at_half}");
    let cells = client.find_all(Locator::Css("#threshold-matrix tbody td")).await.unwrap();
    let mut total = 0;
    for cell in cells {
        total += cell.text().await.unwrap().parse::<usize>().unwrap();
    }
    assert_eq!(total, 1000);
    // The ROC and PR curves are drawn, with the chosen threshold marked (an orange dot).
    let marked: bool = js_bool(
        client,
        "const c = document.querySelector('#curves-chart');
             const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
             let blue = false, orange = false;
             for (let i = 0; i < d.length; i += 4) {
               if (d[i] < 60 && d[i + 1] > 70 && d[i + 1] < 110 && d[i + 2] > 180) blue = true;
               if (d[i] > 180 && d[i + 1] > 90 && d[i + 1] < 130 && d[i + 2] < 30) orange = true;
             }
             return blue && orange;",
    )
    .await;
    assert!(marked, "the curves or the threshold's dot are missing");
}

async fn same_bundle_as_native(client: &Client, kind: tabml::ModelKind) {
    let element = wait_for(client, &format!("#result-bundle[data-model='{}']", kind.name())).await;
    let in_browser = element.attr("data-digest").await.unwrap().unwrap();
    let bytes = std::fs::read(workspace_root().join("public/data/iris.csv")).unwrap();
    let table = tabml::parse_csv(&bytes).unwrap();
    // The page trains with its problem card (the worked example, unless the learner edits it).
    let card = tabml::ProblemCard::learner_support_example();
    let config = tabml::TrainConfig { seed: 42, card, ..tabml::TrainConfig::new(kind) };
    let native = tabml::train(&table, "species", &config).unwrap().bundle.digest();
    assert_eq!(in_browser, native, "{kind:?}: the bundle trained in the browser differs from the native one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_csv_gets_a_clear_message_and_keeps_the_loaded_data() {
    let session = Session::open().await;
    let client = &session.client;
    wait_for(client, "button[data-dataset='iris']").await.click().await.unwrap();
    wait_for(client, "#data-summary").await;

    let files = tempfile::tempdir().unwrap();
    let broken = files.path().join("broken <b>x.csv");
    std::fs::write(&broken, "a,b,c\n1,2,3\n4,5\n").unwrap();
    let input = wait_for(client, "#csv-file").await;
    input.send_keys(broken.to_str().unwrap()).await.unwrap();

    let message = wait_for(client, "#load-error").await.text().await.unwrap();
    assert!(message.contains("line 3: expected 3 fields (as in the header) but found 2"), "{message}");
    // The file name is shown as text, not markup.
    assert!(message.contains("broken <b>x.csv"), "{message}");
    // What was accepted before stays.
    let summary = wait_for(client, "#data-summary").await.text().await.unwrap();
    assert!(summary.contains("150 rows"), "{summary}");

    save_screenshot(client, "broken-csv.png").await;

    // A binary file (here the first bytes of a PNG) is refused with a reason.
    let binary = files.path().join("picture.csv");
    std::fs::write(&binary, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe").unwrap();
    let input = wait_for(client, "#csv-file").await;
    input.send_keys(binary.to_str().unwrap()).await.unwrap();
    client
        .wait()
        .for_element(Locator::XPath("//*[@id='load-error'][contains(., 'not UTF-8')]"))
        .await
        .unwrap();

    // A 200 MB file is refused before it is read (a sparse file: no disk is used).
    let huge = files.path().join("huge.csv");
    std::fs::File::create(&huge).unwrap().set_len(200 * 1024 * 1024).unwrap();
    let input = wait_for(client, "#csv-file").await;
    input.send_keys(huge.to_str().unwrap()).await.unwrap();
    client
        .wait()
        .for_element(Locator::XPath("//*[@id='load-error'][contains(., 'huge.csv is 200 MB')]"))
        .await
        .unwrap();

    // A hostile cell and a very wide header: the cell is shown as text (no element is made from
    // it) and a header of 10,000 columns loads without freezing the tab.
    let hostile = files.path().join("hostile.csv");
    let mut text = String::from("note,label");
    for i in 0..10_000 {
        text.push_str(&format!(",c{i}"));
    }
    text.push('\n');
    for row in 0..4 {
        text.push_str(&format!(
            "<script>window.pwned=1</script><img src=x onerror=window.pwned=1>,{}",
            row % 2
        ));
        text.push_str(&",1".repeat(10_000));
        text.push('\n');
    }
    std::fs::write(&hostile, text).unwrap();
    let input = wait_for(client, "#csv-file").await;
    input.send_keys(hostile.to_str().unwrap()).await.unwrap();
    client
        .wait()
        .for_element(Locator::XPath("//*[@id='data-summary'][contains(., '4 rows × 10,002 columns')]"))
        .await
        .unwrap();
    let cell = wait_for(client, "#preview tbody tr[data-row='0'] td").await.text().await.unwrap();
    assert_eq!(cell, "<script>window.pwned=1</script><img src=x onerror=window.pwned=1>");
    let injected = client
        .execute(
            "return document.querySelectorAll('#preview script, #preview img').length + (window.pwned ? 1000 : 0);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(injected.as_u64(), Some(0));

    // The 10,002 columns are shown 50 at a time; the next page shows the next columns' cells.
    let status = wait_for(client, "#data-pager .pager-status").await.text().await.unwrap();
    assert!(status.starts_with("Columns 1–50 of 10,002"), "{status}");
    let headers = client.find_all(Locator::Css("#preview thead th")).await.unwrap();
    assert_eq!(headers.len(), 51, "the row number and one page of columns");
    wait_for(client, "#data-pager .pager-next").await.click().await.unwrap();
    client.wait().for_element(Locator::XPath("//table[@id='preview']//th[text()='c48']")).await.unwrap();
    let status = wait_for(client, "#data-pager .pager-status").await.text().await.unwrap();
    assert!(status.starts_with("Columns 51–100 of 10,002"), "{status}");
    let types = client.find_all(Locator::Css("#columns tbody tr")).await.unwrap();
    assert_eq!(types.len(), 50);
    assert!(
        wait_for(client, "#columns tbody tr:first-child").await.attr("data-column").await.unwrap()
            == Some("c48".into())
    );
    save_screenshot(client, "data-wide.png").await;
    // Every constant column is a finding; the list stops at 100 and says how many it left out.
    let more = wait_for(client, "#more-findings").await.text().await.unwrap();
    assert!(more.contains("more findings"), "{more}");

    // A file dropped on the data step opens like a picked one.
    client
        .execute(
            "const dt = new DataTransfer();
             dt.items.add(new File(['hours,passed\\n1,no\\n2,no\\n3,yes\\n'], 'dropped.csv', { type: 'text/csv' }));
             document.getElementById('drop-zone').dispatchEvent(
               new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));",
            vec![],
        )
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::XPath(
            "//*[@id='data-summary'][contains(., 'dropped.csv: 3 rows × 2 columns')]",
        ))
        .await
        .unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checks_point_out_the_learner_support_identifier_gaps_and_imbalance() {
    let session = Session::open().await;
    let client = &session.client;
    wait_for(client, "button[data-dataset='learner_support']").await.click().await.unwrap();
    let id =
        wait_for(client, "#validation-findings li[data-column='learner_id']").await.text().await.unwrap();
    assert!(id.contains("looks like an identifier"), "{id}");
    let gaps =
        wait_for(client, "#validation-findings li[data-column='avg_quiz_score']").await.text().await.unwrap();
    assert!(gaps.contains("missing in 308 rows (6.2%)"), "{gaps}");
    let balance =
        wait_for(client, "#validation-findings li[data-column='needs_support']").await.text().await.unwrap();
    assert!(balance.contains("balanced accuracy"), "{balance}");
    save_screenshot(client, "learner-support-checks.png").await;

    // Every row can be reached by scrolling: the last of 5,000 appears, fetched from the worker.
    client
        .execute(
            "const s = document.querySelector('#rows-scroll'); s.scrollTop = s.scrollHeight;
             s.dispatchEvent(new Event('scroll'));",
            vec![],
        )
        .await
        .unwrap();
    let last = wait_for(client, "#preview tbody tr[data-row='4999']").await.text().await.unwrap();
    assert!(last.starts_with("5000") && last.contains("L05000"), "{last}");

    // A column's type can be changed to one its values allow, and only to those.
    let cohort = "#columns tr[data-column='cohort'] .kind-select";
    let offered: Vec<String> = client
        .execute(
            &format!("return [...document.querySelector(\"{cohort}\").options].map(o => o.value);"),
            vec![],
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(offered, ["categorical", "text"]);
    wait_for(client, cohort).await.select_by_value("text").await.unwrap();
    client
        .wait()
        .for_element(Locator::Css("#columns tr[data-column='cohort'] option[value='text']:checked"))
        .await
        .unwrap();

    // Training runs in the worker with a progress bar and a cancel button; a cancelled run says so,
    // and the next one works (a fresh worker has the same data, types included).
    wait_for(client, "#model-select").await.select_by_value("random forest").await.unwrap();
    wait_for(client, "#train-button").await.click().await.unwrap();
    wait_for(client, "#train-progress").await;
    save_screenshot(client, "training-progress.png").await;
    wait_for(client, "#cancel-button").await.click().await.unwrap();
    let error = wait_for(client, "#train-error").await.text().await.unwrap();
    assert!(error.contains("Cancelled"), "{error}");
    wait_for(client, "#model-select").await.select_by_value("logistic regression").await.unwrap();
    wait_for(client, "#train-button").await.click().await.unwrap();
    let accuracy = data_value(client, "#result-accuracy").await;
    assert!(accuracy > 0.5, "{accuracy}");

    // Two classes: the threshold slider moves recall and the confusion matrix live. A lower
    // threshold calls more rows positive, so recall cannot fall; the matrix still counts every
    // test row (a stratified 20% of 5,000).
    lower_the_threshold(client).await;
    save_screenshot(client, "threshold.png").await;

    // Look deeper: importance per input column, scores per group with the gaps, and latency.
    wait_for(client, "#group-select").await.select_by_value("group").await.unwrap();
    wait_for(client, "#explain-button").await.click().await.unwrap();
    let gaps = wait_for(client, "#group-gaps").await.text().await.unwrap();
    assert!(gaps.contains("demographic parity difference"), "{gaps}");
    let groups = client.find_all(Locator::Css("#group-table tbody tr")).await.unwrap();
    assert_eq!(groups.len(), 3, "three groups");
    let importance = client.find_all(Locator::Css("#importance-table tbody tr")).await.unwrap();
    assert!(importance.len() >= 5, "{} columns", importance.len());
    let latency = wait_for(client, "#latency").await.text().await.unwrap();
    assert!(latency.contains("µs"), "{latency}");
    save_screenshot(client, "explain.png").await;

    // Every control on the full page has a name a screen reader reads out and is reachable with
    // the keyboard (no negative tabindex); every chart has a text alternative.
    let unnamed = client
        .execute(
            "const bad = [];
             for (const e of document.querySelectorAll('input, select, textarea, button, a[href]')) {
               if (e.type === 'hidden') continue;
               const labelled = [...(e.labels || [])].some(l => l.textContent.trim());
               const named = e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || labelled
                 || (e.tagName !== 'INPUT' && e.tagName !== 'SELECT' && e.textContent.trim()) || e.title;
               if (!named || e.tabIndex < 0) bad.push(e.outerHTML.slice(0, 160));
             }
             for (const c of document.querySelectorAll('canvas')) {
               if (c.getAttribute('role') !== 'img' || !c.getAttribute('aria-label')) bad.push(c.outerHTML.slice(0, 160));
             }
             return bad;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(unnamed, serde_json::json!([]), "controls without a name, or out of the keyboard's reach");
    // Readable at 1,024 px: the page itself never scrolls sideways (wide tables scroll in their box).
    save_screenshot_at(client, "width-1024.png", 1024).await;
    let overflow = client
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert!(overflow.as_i64().is_some_and(|o| o <= 0), "the page is {overflow} px wider than 1,024 px");
    session.close().await;
}

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

/// Sets a range input's value as dragging it would, and lets the page react.
async fn slide(client: &Client, css: &str, value: &str) {
    client
        .execute(
            &format!(
                "const e = document.querySelector(\"{css}\"); e.value = '{value}'; e.dispatchEvent(new Event('input', {{bubbles: true}}));"
            ),
            vec![],
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monitor_step_shows_drift_respond_to_injected_changes() {
    let session = Session::open().await;
    let client = &session.client;
    wait_for(client, "button[data-dataset='learner_support']").await.click().await.unwrap();
    wait_for(client, "#target-select").await.select_by_value("needs_support").await.unwrap();
    wait_for(client, "#model-select").await.select_by_value("logistic regression").await.unwrap();
    client.wait().for_element(Locator::Css("#train-button:not([disabled])")).await.unwrap();
    wait_for(client, "#train-button").await.click().await.unwrap();

    // The test rows as they are: no drift, and the estimated accuracy with its band.
    let verdict = wait_for(client, "#drift-verdict").await.text().await.unwrap();
    assert!(verdict.starts_with("No data drift") && verdict.contains("1,000 rows checked"), "{verdict}");
    let estimated = wait_for(client, "#estimated-accuracy").await.text().await.unwrap();
    assert!(estimated.contains("should fall within"), "{estimated}");
    let ignored = wait_for(client, "#monitor-ignored").await.text().await.unwrap();
    assert!(ignored.contains("learner_id"), "{ignored}");
    assert!(
        js_bool(
            client,
            "return document.querySelectorAll('#drift-table svg.overlay[role=img] rect.current').length > 20"
        )
        .await,
        "every column has its overlay plot"
    );

    // A mean shift of 1.5 standard deviations in the first number column drifts it.
    wait_for(client, "#shift-kind").await.select_by_value("mean").await.unwrap();
    let column = wait_for(client, "#shift-column").await.prop("value").await.unwrap().unwrap();
    slide(client, "#shift-amount", "1.5").await;
    let drifted = format!("#drift-table tr.drifted[data-column='{column}']");
    wait_for(client, &drifted).await;
    save_screenshot(client, "monitor-mean-shift.png").await;

    // A label flip: the inputs do not drift, the target does, and the realized accuracy leaves the
    // estimate's band.
    wait_for(client, "#shift-kind").await.select_by_value("flip").await.unwrap();
    slide(client, "#shift-amount", "0.4").await;
    wait_for(client, "#drift-table tr.drifted[data-column='needs_support']").await;
    let realized = wait_for(client, "#realized-accuracy").await.text().await.unwrap();
    assert!(realized.contains("outside the band"), "{realized}");
    assert!(
        !js_bool(client, &format!("return !!document.querySelector(\"{drifted}\")")).await,
        "the inputs no longer drift"
    );

    // Fewer rows: the slider says how many, and the report follows.
    wait_for(client, "#shift-kind").await.select_by_value("none").await.unwrap();
    slide(client, "#sample-size", "30").await;
    let n = wait_for(client, "#sample-size-value").await.text().await.unwrap();
    assert_eq!(n, "n = 30 rows");
    client
        .wait()
        .for_element(Locator::XPath("//p[@id='drift-verdict'][contains(., ' 30 rows checked')]"))
        .await
        .unwrap();
    let note = wait_for(client, "#small-sample-note").await.text().await.unwrap();
    assert!(note.contains("chance alone"), "{note}");
    save_screenshot(client, "monitor-small-sample.png").await;
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_model_a_file_is_compared_with_the_loaded_data_as_evidently_would() {
    let session = Session::open().await;
    let client = &session.client;
    let fixture = |name: &str| workspace_root().join("shared/tests/fixtures/drift").join(name);
    let reference = fixture("small_mean_shift_reference.csv");
    wait_for(client, "#csv-file").await.send_keys(reference.to_str().unwrap()).await.unwrap();
    let summary = wait_for(client, "#data-summary").await.text().await.unwrap();
    assert!(summary.contains("400 rows"), "{summary}");
    let current = fixture("small_mean_shift_current.csv");
    wait_for(client, "#drift-file").await.send_keys(current.to_str().unwrap()).await.unwrap();
    let verdict = wait_for(client, "#drift-verdict").await.text().await.unwrap();
    // Evidently 0.7.23 on the same pair: 3 of 9 columns drifted (score, income, tenure).
    assert!(verdict.starts_with("No data drift: 3 of 9 columns drifted"), "{verdict}");
    assert!(verdict.contains("300 rows checked against 400 reference rows"), "{verdict}");
    for column in ["score", "income", "tenure"] {
        wait_for(client, &format!("#drift-table tr.drifted[data-column='{column}']")).await;
    }
    let ks = wait_for(client, "#drift-table tr[data-column='score'] .test").await.text().await.unwrap();
    assert_eq!(ks, "Kolmogorov–Smirnov test");
    save_screenshot(client, "drift-file-against-data.png").await;
    session.close().await;
}
