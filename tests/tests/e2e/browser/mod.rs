//! The real app in headless Chromium (and the main path in headless Firefox), served by the real
//! server: a learner's first path. This file holds what the tests share: opening the app in a
//! browser, waiting for elements, reading values, screenshots, and checks more than one test makes.

mod data;
mod firefox;
mod mentor;
mod mentor_flow;
mod mentor_time;
mod monitor;
mod outbox;
mod pages;
mod persistence;
mod registry;
mod score;
mod share;
mod sign_in;
mod train;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::time::Duration;
use tabml_tests::{screenshot_dir, workspace_root, ChromeDriver, GeckoDriver, TestServer};

/// Chromium and the wasm app are slow to start on a loaded 2-core machine; give them room.
pub(super) const PATIENCE: Duration = Duration::from_secs(60);

/// The browser a session drives.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Browser {
    Chromium,
    Firefox,
}

/// The WebDriver process behind a session.
enum Driver {
    Chrome(ChromeDriver),
    Gecko(GeckoDriver),
}

/// The built app, `dist/` (Trunk's output).
pub(super) fn built_app() -> std::path::PathBuf {
    let dist = workspace_root().join("dist");
    assert!(
        dist.join("index.html").is_file(),
        "no built app in {}: run `trunk build` first (scripts/test.sh does)",
        dist.display()
    );
    dist
}

/// The real server serving the built app, and a headless browser showing its home page.
pub(super) struct Session {
    pub(super) client: Client,
    server: TestServer,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl Session {
    /// In headless Chromium.
    pub(super) async fn open() -> Self {
        Self::open_in(Browser::Chromium).await
    }

    pub(super) async fn open_in(browser: Browser) -> Self {
        Self::serving(browser, &built_app()).await
    }

    /// In `browser`, with the server serving the app from `dist` (a copy of the built app that a
    /// test changes, say).
    pub(super) async fn serving(browser: Browser, dist: &std::path::Path) -> Self {
        let server = TestServer::start(dist).await;
        let (client, driver, profile) = connect(browser).await;
        client.goto(&server.url("/")).await.unwrap();
        Self { client, server, _driver: driver, _profile: profile }
    }

    /// The server behind the session (to make accounts in its database).
    pub(super) fn server(&self) -> &TestServer {
        &self.server
    }

    /// The address of `path` on the session's server.
    pub(super) fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    pub(super) async fn close(self) {
        self.client.close().await.unwrap();
        self.server.stop().await;
    }

    /// Another headless Chromium with a profile of its own, showing the home page of this
    /// session's server.
    pub(super) async fn other_browser(&self) -> OtherBrowser {
        let (client, driver, profile) = connect(Browser::Chromium).await;
        client.goto(&self.server.url("/")).await.unwrap();
        OtherBrowser { client, _driver: driver, _profile: profile }
    }
}

/// A WebDriver session in a fresh browser profile of its own.
async fn connect(browser: Browser) -> (Client, Driver, tempfile::TempDir) {
    // Opening a WebDriver session on a loaded 2-core machine now and then has the driver drop
    // the connection while the browser starts; a fresh driver on a fresh port then works.
    let mut attempt = 0;
    loop {
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
    }
}

/// A second browser, with a profile of its own (its own IndexedDB, its own sign-in), on the same
/// server as a [`Session`].
pub(super) struct OtherBrowser {
    pub(super) client: Client,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl OtherBrowser {
    pub(super) async fn close(self) {
        self.client.close().await.unwrap();
    }
}

pub(super) async fn save_screenshot(client: &Client, name: &str) {
    save_screenshot_at(client, name, 1280).await;
}

/// [`save_screenshot`] with the window this wide.
pub(super) async fn save_screenshot_at(client: &Client, name: &str, width: u32) {
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

/// The password every account of the browser tests has.
pub(super) const PASSWORD: &str = "a long password";

/// A mentor, grace, makes a class on the session's server; its join code, which a learner signs
/// up with.
pub(super) async fn class_code(session: &Session) -> String {
    session.server().create_user("grace", tabml::api::Role::Mentor, PASSWORD);
    let token = api_token(session, "grace").await;
    let class =
        post_json(session, "/api/v1/classes", Some(&token), serde_json::json!({"name": "week-1"})).await;
    class["join_code"].as_str().unwrap().to_owned()
}

/// A token for `name` (password [`PASSWORD`]), signed in over the API.
pub(super) async fn api_token(session: &Session, name: &str) -> String {
    let body = serde_json::json!({"name": name, "password": PASSWORD});
    post_json(session, "/api/v1/auth/login", None, body).await["token"].as_str().unwrap().to_owned()
}

/// `POST path` on the session's server with a JSON body (and a token), answered with JSON.
pub(super) async fn post_json(
    session: &Session,
    path: &str,
    token: Option<&str>,
    body: serde_json::Value,
) -> serde_json::Value {
    let mut request = reqwest::Client::new().post(session.url(path)).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

/// `GET path` on the session's server with a token, answered with JSON.
pub(super) async fn get_json(session: &Session, path: &str, token: &str) -> serde_json::Value {
    let request = reqwest::Client::new().get(session.url(path)).bearer_auth(token);
    request.send().await.unwrap().json().await.unwrap()
}

/// Joins the class with `code` as `name` on the sign-in page, and waits to be signed in.
pub(super) async fn join_class(client: &Client, name: &str, code: &str) {
    wait_for(client, "#account-sign-in").await.click().await.unwrap();
    wait_for(client, "#join-name").await.send_keys(name).await.unwrap();
    wait_for(client, "#join-password").await.send_keys(PASSWORD).await.unwrap();
    wait_for(client, "#join-code").await.send_keys(code).await.unwrap();
    wait_for(client, "#join-button").await.click().await.unwrap();
    wait_for(client, "#account-name").await;
}

/// Runs a script that returns true or false in the page.
pub(super) async fn js_bool(client: &Client, script: &str) -> bool {
    client.execute(script, vec![]).await.unwrap().as_bool().unwrap()
}

/// The exact number a result card keeps in its `data-value`.
pub(super) async fn data_value(client: &Client, css: &str) -> f64 {
    let element = wait_for(client, css).await;
    let text = element.attr("data-value").await.unwrap().unwrap_or_else(|| panic!("{css} has no data-value"));
    text.parse().unwrap_or_else(|e| panic!("{css} data-value {text:?}: {e}"))
}

/// Waits until the element with id `id` contains `text`, and returns its text.
pub(super) async fn wait_text(client: &Client, id: &str, text: &str) -> String {
    let xpath = format!("//*[@id='{id}'][contains(., \"{text}\")]");
    client.wait().at_most(PATIENCE).for_element(Locator::XPath(&xpath)).await.unwrap().text().await.unwrap()
}

pub(super) async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    tabml_tests::wait_for_css(client, css, PATIENCE).await
}

/// Moves a two-class model's threshold slider from 0.5 to 0.1 and checks what a learner sees:
/// recall does not fall (more rows are called positive), the matrix still counts the 1,000 test rows
/// (a stratified 20% of learner support's 5,000), and the ROC and PR curves are drawn with the
/// chosen threshold marked (an orange dot).
pub(super) async fn lower_the_threshold(client: &Client) {
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

pub(super) async fn same_bundle_as_native(client: &Client, kind: tabml::ModelKind) {
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
