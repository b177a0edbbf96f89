//! Helpers for the end-to-end tests: a real server on a loopback port, ChromeDriver and
//! geckodriver (Firefox), and paths.
//!
//! Everything here talks to 127.0.0.1 only.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tabml_server::{Server, ServerConfig};
use tokio::sync::oneshot;

/// The repository root (the workspace).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the workspace").to_path_buf()
}

/// A CSV of `rows` rows of the iris sample without its species (its 150 rows over and over): new
/// flowers to score.
pub fn iris_flowers(rows: usize) -> String {
    let iris =
        std::fs::read_to_string(workspace_root().join("public/data/iris.csv")).expect("the iris sample");
    let lines: Vec<&str> = iris.lines().skip(1).filter(|l| !l.is_empty()).collect();
    let mut csv = String::from("sepal_length,sepal_width,petal_length,petal_width\n");
    for i in 0..rows {
        let row = lines[i % lines.len()];
        csv.push_str(&row[..row.rfind(',').expect("a species column")]);
        csv.push('\n');
    }
    csv
}

/// Where tests leave screenshots for people to look at: `<workspace>/target/screenshots`.
pub fn screenshot_dir() -> PathBuf {
    let dir = workspace_root().join("target").join("screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

/// A server running in this process on a free loopback port, with its database in a temporary folder.
pub struct TestServer {
    /// The bound address.
    pub addr: SocketAddr,
    /// The database file (on disk, in `_dir`).
    pub db: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// What it was started with, to start it again on the same address.
    config: ServerConfig,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server that serves the app from `dist` (which need not exist).
    pub async fn start(dist: &Path) -> Self {
        Self::start_with(dist, |_| {}).await
    }

    /// [`TestServer::start`] with settings changed by `adjust` first.
    pub async fn start_with(dist: &Path, adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("tabml.db");
        let mut config = ServerConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            db: db.clone(),
            dist: dist.to_path_buf(),
            ..ServerConfig::default()
        };
        adjust(&mut config);
        let server = Server::bind(&config).await.expect("server binds");
        let addr = server.local_addr().expect("bound address");
        config.addr = addr;
        let (shutdown, task) = Self::run(server);
        Self { addr, db, shutdown: Some(shutdown), task: Some(task), config, _dir: dir }
    }

    fn run(server: Server) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(async move {
            server
                .run(async {
                    let _ = rx.await;
                })
                .await
                .expect("server runs");
        });
        (tx, task)
    }

    /// Stops serving, as if the server went away; its database stays for [`TestServer::resume`].
    pub async fn pause(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task ends cleanly");
        }
    }

    /// Serves again, on the same address and database.
    pub async fn resume(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let server = loop {
            match Server::bind(&self.config).await {
                Ok(server) => break server,
                // The old socket may linger for a moment.
                Err(e) if Instant::now() < deadline => {
                    eprintln!("rebinding {}: {e}; trying again", self.addr);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("rebinding {}: {e}", self.addr),
            }
        };
        let (shutdown, task) = Self::run(server);
        (self.shutdown, self.task) = (Some(shutdown), Some(task));
    }

    /// Makes a user directly in the server's database (as `tabml admin create-user` does).
    pub fn create_user(&self, name: &str, role: tabml::api::Role, password: &str) {
        let storage =
            tabml_server::Storage::open(&self.db, tabml_server::Durability::Full).expect("open the database");
        let hash = tabml_server::auth::hash_password(password).expect("hash");
        storage
            .create_user(&tabml_server::storage::NewUser { name, role, password_hash: &hash })
            .expect("create the user");
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops the server and waits until it has finished.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task ends cleanly");
        }
    }
}

/// A free TCP port on 127.0.0.1 (free when asked; good enough for a child process we start next).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// Waits until something accepts connections on `addr`.
pub fn wait_for_port(addr: SocketAddr, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A ChromeDriver child process on a loopback port; killed on drop.
pub struct ChromeDriver {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    child: Child,
}

impl ChromeDriver {
    /// Starts `$CHROMEDRIVER` (default `/usr/bin/chromedriver`).
    pub fn start() -> Self {
        let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned());
        assert!(
            Path::new(&binary).exists(),
            "ChromeDriver not found at {binary}; scripts/test.sh installs Debian's chromium-driver"
        );
        let port = free_port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        assert!(wait_for_port(addr, Duration::from_secs(20)), "ChromeDriver did not listen on {addr}");
        Self { url: format!("http://{addr}"), child }
    }

    /// Capabilities for headless Chromium that never reaches past loopback.
    pub fn chromium_capabilities(profile_dir: &Path) -> serde_json::Map<String, serde_json::Value> {
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
        ];
        let mut all_args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all_args.push(format!("--user-data-dir={}", profile_dir.display()));
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert("goog:chromeOptions".into(), serde_json::json!({ "binary": chromium, "args": all_args }));
        caps
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits up to `within` for an element matching the CSS selector `css`; panics saying which did not
/// appear.
pub async fn wait_for_css(
    client: &fantoccini::Client,
    css: &str,
    within: Duration,
) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(within)
        .for_element(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear within {within:?}: {e}"))
}

/// A geckodriver child process (WebDriver for Firefox) on a loopback port; killed on drop.
pub struct GeckoDriver {
    /// `http://127.0.0.1:PORT`, for a WebDriver client.
    pub url: String,
    child: Child,
}

impl GeckoDriver {
    /// Where geckodriver is: `$GECKODRIVER`, else `~/.cargo/bin/geckodriver` (scripts/setup.sh
    /// installs it from crates.io).
    pub fn binary() -> PathBuf {
        std::env::var_os("GECKODRIVER").map(PathBuf::from).unwrap_or_else(|| {
            let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
            home.join(".cargo/bin/geckodriver")
        })
    }

    /// Starts geckodriver.
    pub fn start() -> Self {
        let binary = Self::binary();
        assert!(
            binary.exists(),
            "geckodriver not found at {}; scripts/setup.sh test installs it (cargo install geckodriver)",
            binary.display()
        );
        let port = free_port();
        let child = Command::new(&binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        assert!(wait_for_port(addr, Duration::from_secs(20)), "geckodriver did not listen on {addr}");
        Self { url: format!("http://{addr}"), child }
    }

    /// Capabilities for headless Firefox (`$FIREFOX`, default Debian's `/usr/bin/firefox-esr`) that
    /// never reaches past loopback: updates, telemetry, safe browsing and captive-portal checks off.
    pub fn firefox_capabilities() -> serde_json::Map<String, serde_json::Value> {
        let firefox = std::env::var("FIREFOX").unwrap_or_else(|_| "/usr/bin/firefox-esr".to_owned());
        let prefs = serde_json::json!({
            "app.update.disabledForTesting": true,
            "app.normandy.enabled": false,
            "browser.safebrowsing.malware.enabled": false,
            "browser.safebrowsing.phishing.enabled": false,
            "browser.safebrowsing.downloads.enabled": false,
            "datareporting.policy.dataSubmissionEnabled": false,
            "toolkit.telemetry.enabled": false,
            "network.captive-portal-service.enabled": false,
            "network.connectivity-service.enabled": false,
            "extensions.update.enabled": false,
            "browser.region.update.enabled": false,
            "services.settings.server": "http://127.0.0.1:9/",
        });
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "firefox".into());
        caps.insert(
            "moz:firefoxOptions".into(),
            serde_json::json!({
                "binary": firefox,
                "args": ["-headless", "--width=1280", "--height=900"],
                "prefs": prefs,
            }),
        );
        caps
    }
}

impl Drop for GeckoDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
