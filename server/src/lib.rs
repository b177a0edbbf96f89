//! The tabml server: the shared model registry, monitoring and accounts (in one SQLite file), and
//! the built browser app.
//!
//! Endpoints are JSON under `/api/v1`; `server/openapi.json`, served at `/api/v1/openapi.json`,
//! describes each (a test keeps it true). Every other path serves the built app from `dist`; a path
//! without a file extension that names no file gets `index.html`, so the app's own routes survive a
//! reload. Without a built app, those paths answer a short page that says how to build it.
//!
//! `app(AppState)` puts the API behind its layers (rate limits, body limit, timeout, JSON errors,
//! CORS when origins are configured) and everything behind security headers and gzip.
//! [`Server::run`] checkpoints the write-ahead log periodically, and on shutdown lets requests in
//! flight finish, then checkpoints once more.

pub mod auth;
pub mod cli;
pub mod config;
pub mod dashboard;
mod error;
mod hardening;
mod routes;
mod serve;
mod static_files;
pub mod storage;

pub use config::ServerConfig;
pub use error::ServerError;
pub use hardening::{ContentSecurityPolicy, RateLimiter};
pub use storage::{Durability, Storage, StorageError};

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::{middleware, Router};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// The API's OpenAPI 3.1 description.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub storage: Arc<Storage>,
    /// The settings the server started with.
    pub config: Arc<ServerConfig>,
    /// Requests left per peer and per token.
    pub limiter: Arc<RateLimiter>,
    /// The content security policy for the built app.
    pub csp: Arc<ContentSecurityPolicy>,
    /// Drift merged from clients' profiles: bounded, cancellable and cached.
    pub merger: Arc<dashboard::ProfileMerger>,
}

impl AppState {
    /// The state for a server with this storage and these settings.
    pub fn new(storage: Storage, config: &ServerConfig) -> Self {
        Self {
            storage: Arc::new(storage),
            config: Arc::new(config.clone()),
            limiter: Arc::new(RateLimiter::new(config.rate_per_peer, config.rate_per_token)),
            csp: Arc::new(ContentSecurityPolicy::new(&config.dist)),
            merger: Arc::new(dashboard::ProfileMerger::default()),
        }
    }
}

/// The whole HTTP application: API routes, then the static app with its fallback.
pub fn app(state: AppState) -> Router {
    let config = state.config.clone();
    let mut api = Router::new()
        .nest("/api/v1", routes::api())
        .route("/api", axum::routing::any(routes::api_not_found))
        .route("/api/{*rest}", axum::routing::any(routes::api_not_found))
        .layer(middleware::from_fn_with_state(state.clone(), hardening::rate_limit))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .with_state(state.clone())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout))
        .layer(middleware::map_response(hardening::json_errors));
    if !config.cors_origins.is_empty() {
        let origins: Vec<HeaderValue> =
            config.cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
        api = api.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::IF_NONE_MATCH])
                .expose_headers([header::ETAG, header::RETRY_AFTER, header::LOCATION]),
        );
    }
    Router::new()
        .merge(api)
        .fallback_service(static_files::service(&config.dist))
        .layer(middleware::from_fn_with_state(state, hardening::security_headers))
        // The wasm app compresses to a third of its size; everything else is small text.
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}

/// A server bound to its socket, ready to run.
pub struct Server {
    listener: TcpListener,
    state: AppState,
}

impl Server {
    /// Opens (or creates and migrates) the database, checks for the built app, and binds the address.
    pub async fn bind(config: &ServerConfig) -> Result<Self, ServerError> {
        let (db, durability) = (config.db.clone(), config.durability);
        let storage = tokio::task::spawn_blocking(move || Storage::open(&db, durability))
            .await
            .map_err(|e| ServerError::Internal(e.to_string()))??;
        if static_files::index_html(&config.dist).is_none() {
            tracing::warn!(
                dist = %config.dist.display(),
                "no built app found: serving the API only; build the app with `trunk build` (or scripts/start.sh)"
            );
        }
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| ServerError::Bind { addr: config.addr, source })?;
        Ok(Self { state: AppState::new(storage, config), listener })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, ServerError> {
        self.listener.local_addr().map_err(ServerError::Io)
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish and checkpoints the
    /// write-ahead log. Meanwhile the log is checkpointed every `checkpoint_every`.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let storage = self.state.storage.clone();
        let every = self.state.config.checkpoint_every;
        let checkpoints = tokio::spawn({
            let storage = storage.clone();
            async move {
                let mut ticks = tokio::time::interval(every);
                ticks.tick().await;
                loop {
                    ticks.tick().await;
                    let storage = storage.clone();
                    match tokio::task::spawn_blocking(move || storage.checkpoint()).await {
                        Ok(Ok(())) => tracing::debug!("checkpointed the write-ahead log"),
                        Ok(Err(error)) => tracing::warn!(%error, "checkpoint failed"),
                        Err(error) => tracing::warn!(%error, "checkpoint task failed"),
                    }
                }
            }
        });
        let config = self.state.config.clone();
        serve::serve(self.listener, app(self.state), &config, shutdown).await;
        checkpoints.abort();
        if let Err(error) = tokio::task::spawn_blocking(move || storage.checkpoint()).await {
            tracing::warn!(%error, "final checkpoint failed");
        }
        Ok(())
    }
}
