//! The `/api/v1` routes, in one chain, and what every handler shares: running storage work off the
//! async runtime, JSON bodies whose rejections become JSON errors, and checks of names from paths.
//!
//! `blocking` runs storage work on the blocking pool. `JsonBody` turns a JSON rejection into
//! `{code, message}` with serde's path, line and column. `check_name` allows 1 to 64 of
//! `A-Za-z0-9._-`, so no `../`, `%`, `/`, NUL or markup ever reaches storage.

mod accounts;
mod etag;
mod events;
mod monitoring;
mod overrides;
mod registry;
mod runs;

use crate::error::ServerError;
use crate::storage::{Storage, StorageError};
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use tabml::api::{DatabaseHealth, Health};

/// Every `/api/v1` route. `openapi.json` documents each; a test checks the two agree.
pub(crate) fn api() -> Router<AppState> {
    Router::new()
        .route("/health", get(health_get))
        .route("/openapi.json", get(openapi_get))
        .route("/auth/login", post(accounts::login_post))
        .route("/auth/logout", post(accounts::logout_post))
        .route("/auth/signup", post(accounts::signup_post))
        .route("/me", get(accounts::me_get))
        .route("/classes", get(accounts::classes_get).post(accounts::classes_post))
        .route("/classes/{name}/join-code", post(accounts::join_code_post).delete(accounts::join_code_delete))
        .route("/classes/{name}/overview", get(monitoring::class_overview_get))
        .route("/models", get(registry::models_get).post(registry::models_post))
        .route("/models/{name}", get(registry::model_get).patch(registry::model_patch))
        .route("/models/{name}/versions", get(registry::versions_get).post(registry::versions_post))
        .route("/models/{name}/versions/{version}", get(registry::version_get))
        .route("/models/{name}/versions/{version}/bundle", get(registry::version_bundle_get))
        .route("/models/{name}/versions/{version}/stage", put(registry::version_stage_put))
        .route("/models/{name}/versions/{version}/retire", post(registry::version_retire_post))
        .route("/models/{name}/aliases/{alias}", put(registry::alias_put))
        .route("/models/{name}/aliases/{alias}/bundle", get(registry::alias_bundle_get))
        .route("/models/{name}/stages/{stage}/bundle", get(registry::stage_bundle_get))
        .route("/models/{name}/audit", get(registry::audit_get))
        .route("/models/{name}/policy", get(monitoring::policy_get).put(monitoring::policy_put))
        .route("/models/{name}/alert-rules", get(monitoring::rules_get).post(monitoring::rules_post))
        .route("/models/{name}/alert-rules/{id}", delete(monitoring::rule_delete))
        .route("/models/{name}/dashboard", get(monitoring::dashboard_get))
        .route("/models/{name}/series", get(monitoring::series_get))
        .route("/models/{name}/predictions/{prediction_id}/override", post(overrides::override_post))
        .route("/models/{name}/overrides", get(overrides::overrides_get))
        .route("/alerts", get(monitoring::alerts_get))
        .route("/alerts/{id}/ack", post(monitoring::alert_ack_post))
        .route("/runs", get(runs::runs_get).post(runs::runs_post))
        .route("/runs/compare", get(runs::runs_compare_get))
        .route("/runs/{id}", get(runs::run_get))
        .route("/runs/{id}/log-batch", post(runs::run_log_batch_post))
        .route("/events", post(events::events_post))
        .fallback(api_not_found)
}

/// Runs storage work on the blocking pool, so a slow disk never stalls the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&Storage) -> Result<T, StorageError> + Send + 'static,
) -> Result<T, ServerError> {
    let storage = state.storage.clone();
    tokio::task::spawn_blocking(move || work(&storage))
        .await
        .map_err(|e| ServerError::Internal(format!("a storage task failed: {e}")))?
        .map_err(ServerError::from)
}

/// A JSON body; a body that is not JSON, or not the JSON expected, becomes a JSON error that says
/// what and where (serde's path, line and column).
pub(crate) struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ServerError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ServerError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ServerError::BadJson {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            message: "send the body as JSON, with `Content-Type: application/json`".into(),
        },
        JsonRejection::JsonSyntaxError(e) => ServerError::BadJson {
            status: StatusCode::BAD_REQUEST,
            code: "malformed_json",
            message: format!("the body is not valid JSON: {}", inner_message(&e.body_text())),
        },
        JsonRejection::JsonDataError(e) => ServerError::InvalidInput(format!(
            "the body is not what this endpoint takes: {}",
            inner_message(&e.body_text())
        )),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ServerError::TooLarge(
            "the body is larger than the server accepts (see `tabml serve --max-body-bytes`)".into(),
        ),
        other => {
            ServerError::BadJson { status: other.status(), code: "bad_request", message: other.body_text() }
        }
    }
}

/// A query string; one that does not fit becomes a JSON error saying which parameter and why.
pub(crate) struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for QueryParams<T> {
    type Rejection = ServerError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(QueryParams(value)),
            Err(e) => {
                Err(ServerError::InvalidInput(format!("the query string: {}", inner_message(&e.body_text()))))
            }
        }
    }
}

/// serde's message without axum's prefix ("Failed to deserialize …: ").
fn inner_message(text: &str) -> &str {
    text.split_once(": ").map_or(text, |(_, rest)| rest)
}

/// Names a client gives (models, users, classes, aliases): 1 to 64 of `A-Z a-z 0-9 . _ -`, starting
/// with a letter or digit. This keeps `../`, percent signs, slashes, NUL and markup out of every name.
pub(crate) fn check_name(field: &str, name: &str) -> Result<(), ServerError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && name.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(ServerError::InvalidInput(format!(
            "{field} {:?}: use 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit",
            name.chars().take(80).collect::<String>()
        )))
    }
}

/// Refuses a body not sent with `Content-Type: expected` (415), saying what to send.
pub(crate) fn require_content_type(
    headers: &HeaderMap,
    expected: &str,
    what: &str,
) -> Result<(), ServerError> {
    let sent = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if sent.starts_with(expected) {
        return Ok(());
    }
    Err(ServerError::BadJson {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code: "unsupported_media_type",
        message: format!(
            "send {what} with `Content-Type: {expected}` (got {:?})",
            sent.chars().take(100).collect::<String>()
        ),
    })
}

/// A raw body; one over the server's body limit is a 413 that names the setting.
pub(crate) fn body_bytes(
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
    what: &str,
) -> Result<axum::body::Bytes, ServerError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ServerError::TooLarge(format!(
                "{what} is larger than the server accepts (see `tabml serve --max-body-bytes`)"
            ))
        } else {
            ServerError::BadJson { status: e.status(), code: "bad_request", message: e.body_text() }
        }
    })
}

/// A page size from a query: 20 when absent, else 1 to 100.
pub(crate) fn page_limit(limit: Option<u32>) -> Result<u32, ServerError> {
    match limit.unwrap_or(20) {
        limit @ 1..=100 => Ok(limit),
        limit => Err(ServerError::InvalidInput(format!("limit {limit}: expected 1 to 100"))),
    }
}

/// A version number from a path: a whole number from 1 up.
pub(crate) fn parse_version(text: &str) -> Result<u32, ServerError> {
    match text.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(ServerError::InvalidInput(format!(
            "version {:?}: expected a whole number from 1 to 4294967295",
            text.chars().take(40).collect::<String>()
        ))),
    }
}

/// Free text a client gives (reasons, descriptions): at most `max` bytes, no control characters
/// other than newlines and tabs.
pub(crate) fn check_text(field: &str, text: &str, max: usize) -> Result<(), ServerError> {
    if text.len() > max {
        return Err(ServerError::InvalidInput(format!(
            "{field}: at most {max} bytes (this is {})",
            text.len()
        )));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ServerError::InvalidInput(format!("{field}: control characters are not allowed")));
    }
    Ok(())
}

/// `GET /api/v1/health`: always answers 200 while the process runs; `status` says whether the
/// database works, so a load balancer can tell "up but broken" from "down".
async fn health_get(State(state): State<AppState>) -> Json<Health> {
    let engine = state.storage.engine().to_owned();
    let database = match blocking(&state, |s| s.schema_version()).await {
        Ok(schema_version) => DatabaseHealth { status: "ok".into(), engine, schema_version },
        Err(error) => {
            tracing::error!(%error, "health check: database query failed");
            DatabaseHealth { status: "error".into(), engine, schema_version: 0 }
        }
    };
    let status = if database.status == "ok" { "ok" } else { "degraded" };
    Json(Health { status: status.into(), version: tabml::VERSION.into(), database })
}

/// `GET /api/v1/openapi.json`: the API's description.
async fn openapi_get() -> ([(axum::http::HeaderName, &'static str); 1], &'static str) {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], crate::OPENAPI)
}

/// Any unknown path under `/api`.
pub(crate) async fn api_not_found(uri: Uri) -> ServerError {
    ServerError::NotFound(uri.path().to_owned())
}
