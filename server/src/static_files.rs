//! Serving the built app: files from `dist`, `index.html` for the app's own routes, and a page that
//! says how to build the app when there is none.

use axum::body::Body;
use axum::handler::HandlerWithoutStateExt;
use axum::http::{header, HeaderValue, Request, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use tower::util::ServiceExt;
use tower::Service;
use tower_http::services::ServeDir;

/// `dist/index.html` if the app has been built.
pub(crate) fn index_html(dist: &Path) -> Option<PathBuf> {
    let index = dist.join("index.html");
    index.is_file().then_some(index)
}

/// The service behind every non-API path.
pub(crate) fn service(
    dist: &Path,
) -> impl Service<Request<Body>, Response = Response, Error = Infallible, Future: Send>
       + Clone
       + Send
       + Sync
       + 'static {
    let dist = dist.to_path_buf();
    let fallback = {
        let dist = dist.clone();
        move |uri: Uri| spa_fallback(dist.clone(), uri)
    };
    let files = ServeDir::new(&dist).fallback(fallback.into_service());
    tower::service_fn(move |request: Request<Body>| {
        let files = files.clone();
        async move {
            let response = files.oneshot(request).await.map(IntoResponse::into_response);
            response.or_else(|error| {
                tracing::error!(%error, "serving a static file failed");
                Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response())
            })
        }
    })
}

/// A path that names no file: the app's `index.html` for a client-side route, a 404 for what looks
/// like a missing asset (it has a file extension), or the how-to-build page when there is no app.
async fn spa_fallback(dist: PathBuf, uri: Uri) -> Response {
    let last_segment = uri.path().rsplit('/').next().unwrap_or_default();
    if last_segment.contains('.') {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    let Some(index) = index_html(&dist) else {
        return Html(NO_APP_PAGE).into_response();
    };
    match tokio::fs::read(&index).await {
        Ok(bytes) => {
            let mut response = Html(bytes).into_response();
            // The page names hashed asset files; it must be re-checked so a rebuild is picked up.
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        Err(error) => {
            tracing::error!(%error, path = %index.display(), "reading index.html failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

const NO_APP_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tabml: the app is not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>tabml is running, but the browser app has not been built</h1>
<p>The API works (try <a href="/api/v1/health">/api/v1/health</a>), but there is no built app in the
server's <code>dist</code> folder.</p>
<p>From the repository, run <code>scripts/start.sh</code>: it builds the app and starts the server.
Or build it yourself with <code>trunk build</code> and start the server with
<code>tabml serve --dist dist</code>.</p>
</body></html>
"#;
