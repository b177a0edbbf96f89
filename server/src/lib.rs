//! The tabml server: keeps the shared state (a SQLite database) and serves the built browser app.
//!
//! Endpoints (all JSON, versioned under `/api/v1`):
//! - `GET /api/v1/health` — version and database status.
//! - any other `/api/...` path — a JSON `404 not_found`.
//! - everything else — the built app from the `dist` folder; a path without a file extension that
//!   names no file gets `index.html`, so the app's own routes survive a reload. Without a built app,
//!   those paths answer a short page that says how to build it.

pub mod batch;
pub mod config;
mod error;
mod routes;
mod static_files;
pub mod storage;

pub use config::ServerConfig;
pub use error::ServerError;
pub use storage::{Storage, StorageError};

use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub storage: Arc<Storage>,
}

/// The whole HTTP application: API routes, then the static app with its fallback.
pub fn app(state: AppState, config: &ServerConfig) -> Router {
    Router::new()
        .nest("/api/v1", routes::api())
        .route("/api", axum::routing::any(routes::api_not_found))
        .route("/api/{*rest}", axum::routing::any(routes::api_not_found))
        .with_state(state)
        .fallback_service(static_files::service(&config.dist))
        // The wasm app compresses to a third of its size; everything else is small text.
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}

/// A server bound to its socket, ready to run.
pub struct Server {
    listener: TcpListener,
    router: Router,
}

impl Server {
    /// Opens (or creates and migrates) the database, checks for the built app, and binds the address.
    pub async fn bind(config: &ServerConfig) -> Result<Self, ServerError> {
        let storage = Storage::open(&config.db)?;
        if static_files::index_html(&config.dist).is_none() {
            tracing::warn!(
                dist = %config.dist.display(),
                "no built app found: serving the API only; build the app with `trunk build` (or scripts/start.sh)"
            );
        }
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| ServerError::Bind { addr: config.addr, source })?;
        let state = AppState { storage: Arc::new(storage) };
        Ok(Self { router: app(state, config), listener })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, ServerError> {
        self.listener.local_addr().map_err(ServerError::Io)
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(ServerError::Io)
    }
}
