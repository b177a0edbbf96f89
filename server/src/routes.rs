//! The `/api/v1` routes.

use crate::error::ServerError;
use crate::AppState;
use axum::extract::State;
use axum::http::Uri;
use axum::routing::get;
use axum::{Json, Router};
use tabml::api::{DatabaseHealth, Health};

/// Every `/api/v1` route, in one chain.
pub(crate) fn api() -> Router<AppState> {
    Router::new().route("/health", get(health_get)).fallback(api_not_found)
}

/// `GET /api/v1/health`: always answers 200 while the process runs; `status` says whether the
/// database works, so a load balancer can tell "up but broken" from "down".
async fn health_get(State(state): State<AppState>) -> Json<Health> {
    let storage = state.storage.clone();
    let schema = tokio::task::spawn_blocking(move || storage.schema_version()).await;
    let database = match schema {
        Ok(Ok(schema_version)) => {
            DatabaseHealth { status: "ok".into(), engine: "sqlite".into(), schema_version }
        }
        failed => {
            let error = match failed {
                Ok(Err(error)) => error.to_string(),
                Err(error) => error.to_string(),
                Ok(Ok(_)) => unreachable!("matched above"),
            };
            tracing::error!(%error, "health check: database query failed");
            DatabaseHealth { status: "error".into(), engine: "sqlite".into(), schema_version: 0 }
        }
    };
    let status = if database.status == "ok" { "ok" } else { "degraded" };
    Json(Health { status: status.into(), version: tabml::VERSION.into(), database })
}

/// Any unknown path under `/api`.
pub(crate) async fn api_not_found(uri: Uri) -> ServerError {
    ServerError::NotFound(uri.path().to_owned())
}
