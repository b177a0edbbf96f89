//! A mentor's override of one prediction, and a model's overrides listed.
//!
//! The mentor of the model's class (or an admin, or the mentor who owns a staff model) overrides a
//! prediction by its id with the right answer, typed as a label event's, and a reason; overriding it
//! again replaces the earlier answer (201 the first time, 200 after), and both stay in the audit
//! log. Those who may read the model's dashboard list its overrides, newest first, a page at a time.
//! Every input is bounded before storage sees it: the prediction id as an event's (1 to 128
//! characters), the label as an event's (4 KiB of JSON, not null), the reason 1 to 2,000 bytes.

use super::etag::{etag, not_modified, with_etag};
use super::events::{check_client_id, MAX_FIELD_BYTES};
use super::{blocking, check_text, page_limit, JsonBody, QueryParams};
use crate::auth::Caller;
use crate::error::ServerError;
use crate::storage::ChangesOf;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use tabml::api::{NewOverride, OverridePage, PredictionOverride};

/// The longest reason accepted, in bytes.
const MAX_REASON_BYTES: usize = 2000;

/// `POST /api/v1/models/{name}/predictions/{prediction_id}/override`.
pub(super) async fn override_post(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, prediction_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<NewOverride>,
) -> Result<(StatusCode, Json<PredictionOverride>), ServerError> {
    check_client_id("prediction_id", &prediction_id).map_err(ServerError::InvalidInput)?;
    let model = super::registry::access(&state, &name).await?;
    caller.require_class_mentor(&model, "overriding a prediction")?;
    check_text("reason", &body.reason, MAX_REASON_BYTES)?;
    if body.reason.trim().is_empty() {
        return Err(ServerError::InvalidInput("reason: say why the prediction is overridden".into()));
    }
    if body.label.is_null() {
        return Err(ServerError::InvalidInput("label: the right answer, not null".into()));
    }
    let label = body.label.to_string();
    if label.len() > MAX_FIELD_BYTES {
        return Err(ServerError::InvalidInput(format!(
            "label: at most {MAX_FIELD_BYTES} bytes of JSON (this is {})",
            label.len()
        )));
    }
    let actor = caller.0.id;
    let (stored, replaced) = blocking(&state, move |s| {
        s.override_prediction(model.id, &prediction_id, actor, &label, &body.reason)
    })
    .await?;
    let status = if replaced { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(stored)))
}

/// The query of `GET /api/v1/models/{name}/overrides`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OverrideQuery {
    /// Overrides per page: 1 to 100, default 20.
    limit: Option<u32>,
    /// Only those with an id below this (the previous page's `next_before`).
    before: Option<i64>,
}

/// `GET /api/v1/models/{name}/overrides`: newest first.
pub(super) async fn overrides_get(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(name): Path<String>,
    QueryParams(query): QueryParams<OverrideQuery>,
) -> Result<Response, ServerError> {
    let limit = page_limit(query.limit)?;
    let model = super::registry::access(&state, &name).await?;
    caller.require_member(&model, "reading the overrides")?;
    let changes = blocking(&state, move |s| s.changes(ChangesOf::Model(model.id))).await?;
    let tag = etag(&[&"overrides", &changes, &limit, &query.before]);
    if let Some(cached) = not_modified(&headers, &tag) {
        return Ok(cached);
    }
    // One more than the page, to tell whether another follows.
    let mut overrides = blocking(&state, move |s| s.overrides(model.id, limit + 1, query.before)).await?;
    let next_before = (overrides.len() > limit as usize).then(|| {
        overrides.truncate(limit as usize);
        overrides.last().map_or(0, |o| o.id)
    });
    Ok(with_etag(&tag, OverridePage { overrides, next_before }))
}
