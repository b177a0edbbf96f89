//! The server on a real loopback socket: health, static files, client-route fallback, no built app,
//! compression. (The `tabml` binary itself is tested in `server/tests/cli/serve.rs`, where cargo
//! builds it.)

use std::path::Path;
use tabml::api::{ApiError, Health};
use tabml_tests::TestServer;

/// A fake built app: an index page and one asset.
fn fake_dist(dir: &Path) {
    std::fs::write(dir.join("index.html"), "<!doctype html><title>app</title><body>the app</body>").unwrap();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("app.js"), "console.log('hi')").unwrap();
    std::fs::write(dir.join("data").join("iris.csv"), "a,b\n1,2\n").unwrap();
}

#[tokio::test]
async fn health_reports_version_and_a_migrated_database_on_disk() {
    let dist = tempfile::tempdir().unwrap();
    let server = TestServer::start(dist.path()).await;
    let response = reqwest::get(server.url("/api/v1/health")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let health: Health = response.json().await.unwrap();
    assert_eq!(health.status, "ok");
    assert_eq!(health.version, tabml::VERSION);
    assert_eq!(health.database.status, "ok");
    assert_eq!(health.database.engine, "sqlite");
    assert_eq!(health.database.schema_version, tabml_server::storage::SCHEMA_VERSION);
    assert!(server.db.is_file(), "the SQLite file is on disk at {}", server.db.display());
    server.stop().await;
}

#[tokio::test]
async fn serves_files_falls_back_to_the_app_for_client_routes_and_404s_the_rest() {
    let dist = tempfile::tempdir().unwrap();
    fake_dist(dist.path());
    let server = TestServer::start(dist.path()).await;

    let index = reqwest::get(server.url("/")).await.unwrap();
    assert_eq!(index.status(), 200);
    assert!(index.text().await.unwrap().contains("the app"));

    let asset = reqwest::get(server.url("/app.js")).await.unwrap();
    assert_eq!(asset.status(), 200);
    assert!(asset.headers()["content-type"].to_str().unwrap().contains("javascript"));
    assert_eq!(asset.text().await.unwrap(), "console.log('hi')");

    let csv = reqwest::get(server.url("/data/iris.csv")).await.unwrap();
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.text().await.unwrap(), "a,b\n1,2\n");

    // A client-side route gets the app, marked so the browser re-checks it after a rebuild.
    let route = reqwest::get(server.url("/models/iris/evaluate")).await.unwrap();
    assert_eq!(route.status(), 200);
    assert_eq!(route.headers()["cache-control"], "no-cache");
    assert!(route.text().await.unwrap().contains("the app"));

    // A missing asset is a plain 404, not the app (which would confuse a script loader).
    assert_eq!(reqwest::get(server.url("/missing.js")).await.unwrap().status(), 404);

    // Unknown API paths are JSON errors with a stable code, never the app.
    for path in ["/api/v1/nope", "/api/v2/health", "/api"] {
        let response = reqwest::get(server.url(path)).await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let error: ApiError = response.json().await.unwrap();
        assert_eq!(error.code, "not_found", "{path}");
    }

    // No path escapes the dist folder.
    let escape = reqwest::get(server.url("/..%2f..%2fetc%2fpasswd")).await.unwrap();
    assert_ne!(escape.status(), 200, "path traversal must not serve a file");
    server.stop().await;
}

#[tokio::test]
async fn without_a_built_app_the_api_works_and_the_page_says_how_to_build() {
    let dist = tempfile::tempdir().unwrap();
    let missing = dist.path().join("not-built");
    let server = TestServer::start(&missing).await;

    let health: Health = reqwest::get(server.url("/api/v1/health")).await.unwrap().json().await.unwrap();
    assert_eq!(health.status, "ok");

    for path in ["/", "/some/client/route"] {
        let page = reqwest::get(server.url(path)).await.unwrap();
        assert_eq!(page.status(), 200, "{path}");
        let body = page.text().await.unwrap();
        assert!(body.contains("has not been built"), "{path}: {body}");
        assert!(body.contains("scripts/start.sh"), "{path}: {body}");
    }
    server.stop().await;
}

#[tokio::test]
async fn large_files_are_gzip_compressed_for_clients_that_accept_it() {
    let dist = tempfile::tempdir().unwrap();
    fake_dist(dist.path());
    let wasm = vec![b'a'; 64 * 1024];
    std::fs::write(dist.path().join("app_bg.wasm"), &wasm).unwrap();
    let server = TestServer::start(dist.path()).await;
    let client = reqwest::Client::new();
    let response =
        client.get(server.url("/app_bg.wasm")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert_eq!(response.headers()["content-type"], "application/wasm");
    let body = response.bytes().await.unwrap();
    assert!(body.len() < wasm.len() / 10, "{} compressed bytes", body.len());
    server.stop().await;
}
