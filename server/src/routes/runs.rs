//! Tracked runs: create, log parameters, metrics and tags in batches with MLflow's `log-batch`
//! limits, search and compare.

use super::{blocking, body_bytes, check_text, page_limit, require_content_type, JsonBody, QueryParams};
use crate::auth::Caller;
use crate::error::ServerError;
use crate::storage::RunFilter;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use tabml::api::{KeyValue, NewRun, Role, RunBatch, RunComparison, RunInfo, RunPage};

/// MLflow's `log-batch` limits.
const MAX_METRICS: usize = 1000;
const MAX_PARAMS: usize = 100;
const MAX_TAGS: usize = 100;
const MAX_BATCH_BYTES: usize = 1_000_000;
/// MLflow's limits on a key and on a parameter or tag value.
const MAX_KEY_BYTES: usize = 250;
const MAX_VALUE_BYTES: usize = 6000;

/// `POST /api/v1/runs`: starts a run owned by the caller.
pub(super) async fn runs_post(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(run): JsonBody<NewRun>,
) -> Result<(StatusCode, Json<RunInfo>), ServerError> {
    check_text("name", &run.name, 250)?;
    let model = match &run.model {
        Some(name) => {
            let model = super::registry::access(&state, name).await?;
            caller.require_manager(&model, "attaching a run to a model")?;
            Some(model.id)
        }
        None => None,
    };
    let owner = caller.0.id;
    let info = blocking(&state, move |s| s.create_run(owner, &run.name, model)).await?;
    Ok((StatusCode::CREATED, Json(info)))
}

/// The query of `GET /api/v1/runs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RunQuery {
    model: Option<String>,
    owner: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

/// `GET /api/v1/runs`: newest first, a page at a time.
pub(super) async fn runs_get(
    State(state): State<AppState>,
    _caller: Caller,
    QueryParams(query): QueryParams<RunQuery>,
) -> Result<Json<RunPage>, ServerError> {
    let limit = page_limit(query.limit)?;
    let model_id = match &query.model {
        Some(name) => Some(super::registry::access(&state, name).await?.id),
        None => None,
    };
    let filter = RunFilter { model_id, owner: query.owner, limit, offset: query.offset.unwrap_or(0) };
    Ok(Json(blocking(&state, move |s| s.search_runs(&filter)).await?))
}

/// `GET /api/v1/runs/{id}`.
pub(super) async fn run_get(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<RunInfo>, ServerError> {
    let id = parse_id("run", &id)?;
    Ok(Json(blocking(&state, move |s| s.run(id)).await?))
}

/// The query of `GET /api/v1/runs/compare`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CompareQuery {
    ids: String,
}

/// `GET /api/v1/runs/compare?ids=1,2,3`: up to 20 runs side by side.
pub(super) async fn runs_compare_get(
    State(state): State<AppState>,
    _caller: Caller,
    QueryParams(query): QueryParams<CompareQuery>,
) -> Result<Json<RunComparison>, ServerError> {
    let ids = query.ids.split(',').map(|id| parse_id("run", id.trim())).collect::<Result<Vec<_>, _>>()?;
    if !(1..=20).contains(&ids.len()) {
        return Err(ServerError::InvalidInput(format!("ids: 1 to 20 runs (got {})", ids.len())));
    }
    Ok(Json(blocking(&state, move |s| s.compare_runs(&ids)).await?))
}

/// `POST /api/v1/runs/{id}/log-batch`: only the run's owner (or an admin) logs to it.
pub(super) async fn run_log_batch_post(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RunInfo>, ServerError> {
    let id = parse_id("run", &id)?;
    let owner = blocking(&state, move |s| s.run_owner(id)).await?;
    if owner != caller.0.id && caller.0.role != Role::Admin {
        return Err(ServerError::Forbidden("only the run's owner (or an admin) logs to it".into()));
    }
    require_content_type(&headers, "application/json", "the body as JSON")?;
    let bytes = body_bytes(body, "the batch")?;
    if bytes.len() > MAX_BATCH_BYTES {
        return Err(ServerError::TooLarge(format!(
            "a batch is at most 1 MB, as MLflow's log-batch (this one is {} bytes)",
            bytes.len()
        )));
    }
    let batch: RunBatch = serde_json::from_slice(&bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            ServerError::InvalidInput(format!("the body is not what this endpoint takes: {e}"))
        }
        _ => ServerError::BadJson {
            status: StatusCode::BAD_REQUEST,
            code: "malformed_json",
            message: format!("the body is not valid JSON: {e}"),
        },
    })?;
    check_batch(&batch)?;
    Ok(Json(blocking(&state, move |s| s.log_batch(id, &batch)).await?))
}

fn check_batch(batch: &RunBatch) -> Result<(), ServerError> {
    for (what, count, max) in [
        ("metrics", batch.metrics.len(), MAX_METRICS),
        ("params", batch.params.len(), MAX_PARAMS),
        ("tags", batch.tags.len(), MAX_TAGS),
    ] {
        if count > max {
            return Err(ServerError::InvalidInput(format!(
                "{what}: at most {max} per batch, as MLflow's log-batch (got {count})"
            )));
        }
    }
    for (i, m) in batch.metrics.iter().enumerate() {
        check_key(&format!("metrics[{i}].key"), &m.key)?;
        if !m.value.is_finite() {
            return Err(ServerError::InvalidInput(format!("metrics[{i}].value: must be a finite number")));
        }
        if m.timestamp.is_some_and(|t| t < 0) {
            return Err(ServerError::InvalidInput(format!(
                "metrics[{i}].timestamp: Unix milliseconds, not negative"
            )));
        }
    }
    let pairs = |what: &str, list: &[KeyValue]| -> Result<(), ServerError> {
        for (i, kv) in list.iter().enumerate() {
            check_key(&format!("{what}[{i}].key"), &kv.key)?;
            check_text(&format!("{what}[{i}].value"), &kv.value, MAX_VALUE_BYTES)?;
        }
        Ok(())
    };
    pairs("params", &batch.params)?;
    pairs("tags", &batch.tags)
}

/// A metric, parameter or tag name: 1 to 250 bytes of letters, digits, `_ - . / space`, as MLflow,
/// with no empty, `.` or `..` part between slashes.
fn check_key(field: &str, key: &str) -> Result<(), ServerError> {
    let ok = !key.is_empty()
        && key.len() <= MAX_KEY_BYTES
        && key.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ' '))
        // As MLflow: a key must read the same as a normalised path (no `..`, `//`, or leading `/`).
        && !key.split('/').any(|part| part.is_empty() || part == "." || part == "..");
    if ok {
        Ok(())
    } else {
        Err(ServerError::InvalidInput(format!(
            "{field} {:?}: 1 to {MAX_KEY_BYTES} bytes of letters, digits, `_`, `-`, `.`, `/` or spaces, with no empty, `.` or `..` part between slashes",
            key.chars().take(80).collect::<String>()
        )))
    }
}

/// A server id from a path: a whole number from 1.
pub(super) fn parse_id(what: &str, text: &str) -> Result<i64, ServerError> {
    match text.parse::<i64>() {
        Ok(id) if id >= 1 => Ok(id),
        _ => Err(ServerError::InvalidInput(format!(
            "{what} id {:?}: expected a whole number from 1",
            text.chars().take(40).collect::<String>()
        ))),
    }
}
