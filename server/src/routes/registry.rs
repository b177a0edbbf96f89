//! The registry routes: models, versions (bundle upload and download by number, alias or stage),
//! aliases, stages, retirement and the audit log.
//!
//! An uploaded bundle is decoded and checked before it is stored, and the server numbers the
//! version; what monitoring compares its traffic with (the training profile, the CBPE reference) is
//! read off it then and kept beside it. Downloads carry an ETag and answer `If-None-Match`.

use super::{
    blocking, body_bytes, check_name, check_text, page_limit, parse_version, require_content_type, JsonBody,
    QueryParams,
};
use crate::auth::Caller;
use crate::error::ServerError;
use crate::storage::{ModelAccess, ModelFilter, UploadFacts, VersionReference, VersionSelector};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use tabml::api::{
    AliasMove, AuditEntry, ModelInfo, ModelPage, ModelPatch, NewModel, Retirement, Stage, StageChange,
    VersionInfo,
};
use tabml::ModelBundle;
use tabml::Task;

/// The most tags a model may carry.
const MAX_TAGS: usize = 20;

/// The query of `GET /api/v1/models`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ModelQuery {
    /// Part of the name or description.
    q: Option<String>,
    /// The owner's name.
    owner: Option<String>,
    /// A tag.
    tag: Option<String>,
    /// A stage some version is in.
    stage: Option<String>,
    /// Page size (1 to 100, default 20).
    limit: Option<u32>,
    /// Where the page starts.
    offset: Option<u64>,
}

/// `GET /api/v1/models`: search, a page at a time.
pub(super) async fn models_get(
    State(state): State<AppState>,
    _caller: Caller,
    QueryParams(query): QueryParams<ModelQuery>,
) -> Result<Json<ModelPage>, ServerError> {
    let limit = page_limit(query.limit)?;
    let stage = query.stage.as_deref().map(parse_stage).transpose()?;
    for (field, text) in [("q", &query.q), ("owner", &query.owner), ("tag", &query.tag)] {
        if let Some(text) = text {
            check_text(field, text, 200)?;
        }
    }
    let filter = ModelFilter {
        query: query.q,
        owner: query.owner,
        tag: query.tag,
        stage,
        limit,
        offset: query.offset.unwrap_or(0),
    };
    Ok(Json(blocking(&state, move |s| s.search_models(&filter)).await?))
}

/// `POST /api/v1/models`: registers a model; the caller owns it.
pub(super) async fn models_post(
    State(state): State<AppState>,
    Caller(account): Caller,
    JsonBody(model): JsonBody<NewModel>,
) -> Result<(StatusCode, Json<ModelInfo>), ServerError> {
    check_name("model name", &model.name)?;
    check_text("description", &model.description, 4000)?;
    check_tags(&model.tags)?;
    check_card(model.card.as_ref())?;
    if let Some(class) = &model.class {
        check_name("class", class)?;
    }
    let info = blocking(&state, move |s| {
        let class_id = s.class_for_new_model(account.id, model.class.as_deref())?;
        s.create_model(account.id, class_id, &model)
    })
    .await?;
    tracing::info!(model = %info.name, owner = %info.owner, "model registered");
    Ok((StatusCode::CREATED, Json(info)))
}

/// `GET /api/v1/models/{name}`.
pub(super) async fn model_get(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<ModelInfo>, ServerError> {
    let model = access(&state, &name).await?;
    Ok(Json(blocking(&state, move |s| s.model(model.id)).await?))
}

/// `PATCH /api/v1/models/{name}`: changes its description, card or tags.
pub(super) async fn model_patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    JsonBody(patch): JsonBody<ModelPatch>,
) -> Result<Json<ModelInfo>, ServerError> {
    let model = access(&state, &name).await?;
    caller.require_manager(&model, "changing a model")?;
    if let Some(description) = &patch.description {
        check_text("description", description, 4000)?;
    }
    if let Some(tags) = &patch.tags {
        check_tags(tags)?;
    }
    check_card(patch.card.as_ref())?;
    let actor = caller.0.id;
    Ok(Json(blocking(&state, move |s| s.update_model(model.id, actor, &patch)).await?))
}

/// `GET /api/v1/models/{name}/versions`.
pub(super) async fn versions_get(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<VersionInfo>>, ServerError> {
    let model = access(&state, &name).await?;
    Ok(Json(blocking(&state, move |s| s.versions(model.id)).await?))
}

/// `POST /api/v1/models/{name}/versions`: the body is a model bundle; the server numbers it.
pub(super) async fn versions_post(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, [(header::HeaderName, String); 1], Json<VersionInfo>), ServerError> {
    let model = access(&state, &name).await?;
    caller.require_manager(&model, "uploading a version")?;
    require_content_type(&headers, "application/octet-stream", "the bundle's bytes")?;
    let bytes = body_bytes(body, "the bundle")?;
    let facts = tokio::task::spawn_blocking({
        let bytes = bytes.clone();
        move || bundle_facts(&bytes)
    })
    .await
    .map_err(|e| ServerError::Internal(e.to_string()))??;
    let actor = caller.0.id;
    let info = blocking(&state, move |s| s.add_version(model.id, actor, &facts, &bytes)).await?;
    tracing::info!(model = %info.model, version = info.version, size = info.size, "version uploaded");
    let location = format!("/api/v1/models/{}/versions/{}", info.model, info.version);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(info)))
}

/// `GET /api/v1/models/{name}/versions/{version}`.
pub(super) async fn version_get(
    State(state): State<AppState>,
    _caller: Caller,
    Path((name, version)): Path<(String, String)>,
) -> Result<Json<VersionInfo>, ServerError> {
    let version = parse_version(&version)?;
    let model = access(&state, &name).await?;
    Ok(Json(blocking(&state, move |s| s.version(model.id, version)).await?))
}

/// `GET /api/v1/models/{name}/versions/{version}/bundle`.
pub(super) async fn version_bundle_get(
    State(state): State<AppState>,
    _caller: Caller,
    Path((name, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    let version = parse_version(&version)?;
    send_bundle(&state, &name, VersionSelector::Number(version), &headers).await
}

/// `GET /api/v1/models/{name}/aliases/{alias}/bundle`.
pub(super) async fn alias_bundle_get(
    State(state): State<AppState>,
    _caller: Caller,
    Path((name, alias)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    check_name("alias", &alias)?;
    send_bundle(&state, &name, VersionSelector::Alias(alias), &headers).await
}

/// `GET /api/v1/models/{name}/stages/{stage}/bundle`: the newest version in the stage.
pub(super) async fn stage_bundle_get(
    State(state): State<AppState>,
    _caller: Caller,
    Path((name, stage)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    let stage = parse_stage(&stage)?;
    send_bundle(&state, &name, VersionSelector::Stage(stage), &headers).await
}

/// `PUT /api/v1/models/{name}/aliases/{alias}`: points the alias at a version.
pub(super) async fn alias_put(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, alias)): Path<(String, String)>,
    JsonBody(change): JsonBody<AliasMove>,
) -> Result<Json<VersionInfo>, ServerError> {
    check_name("alias", &alias)?;
    if alias.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ServerError::InvalidInput(format!(
            "alias {alias:?}: a number would be read as a version; use a word"
        )));
    }
    check_reason(&change.reason)?;
    if change.version == 0 {
        return Err(ServerError::InvalidInput("version 0: versions are numbered from 1".into()));
    }
    let model = access(&state, &name).await?;
    caller.require_manager(&model, "moving an alias")?;
    let (actor, authority) = (caller.0.id, caller.authority(&model));
    let info = blocking(&state, move |s| {
        s.move_alias(model.id, actor, &alias, change.version, &change.reason, authority)
    })
    .await?;
    Ok(Json(info))
}

/// `PUT /api/v1/models/{name}/versions/{version}/stage`: moves a version to a stage. Into or out of
/// production needs a mentor (or the owner, where their class allows it).
pub(super) async fn version_stage_put(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    JsonBody(change): JsonBody<StageChange>,
) -> Result<Json<VersionInfo>, ServerError> {
    let version = parse_version(&version)?;
    check_reason(&change.reason)?;
    let model = access(&state, &name).await?;
    let current = blocking(&state, move |s| s.version(model.id, version)).await?;
    if change.stage == Stage::Production || current.stage == Stage::Production {
        caller.require_promoter(&model, "moving a version into or out of production")?;
    } else {
        caller.require_manager(&model, "changing a version's stage")?;
    }
    let actor = caller.0.id;
    Ok(Json(
        blocking(&state, move |s| s.set_stage(model.id, actor, version, change.stage, &change.reason))
            .await?,
    ))
}

/// `POST /api/v1/models/{name}/versions/{version}/retire`.
pub(super) async fn version_retire_post(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    JsonBody(retirement): JsonBody<Retirement>,
) -> Result<Json<VersionInfo>, ServerError> {
    let version = parse_version(&version)?;
    check_reason(&retirement.reason)?;
    if retirement.reason.trim().is_empty() {
        return Err(ServerError::InvalidInput("reason: say why the version is retired".into()));
    }
    let model = access(&state, &name).await?;
    caller.require_manager(&model, "retiring a version")?;
    // Whether it is in production or served by the policy is checked in the retiring transaction.
    let (actor, authority) = (caller.0.id, caller.authority(&model));
    Ok(Json(
        blocking(&state, move |s| s.retire(model.id, actor, version, &retirement.reason, authority)).await?,
    ))
}

/// `GET /api/v1/models/{name}/audit`: every change, oldest first.
pub(super) async fn audit_get(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<AuditEntry>>, ServerError> {
    let model = access(&state, &name).await?;
    Ok(Json(blocking(&state, move |s| s.audit_log(model.id)).await?))
}

/// The model called `name` (checked first, so no odd name reaches the database).
pub(super) async fn access(state: &AppState, name: &str) -> Result<ModelAccess, ServerError> {
    check_name("model name", name)?;
    let name = name.to_owned();
    blocking(state, move |s| s.model_access(&name)).await
}

async fn send_bundle(
    state: &AppState,
    name: &str,
    selector: VersionSelector,
    headers: &HeaderMap,
) -> Result<Response, ServerError> {
    let model = access(state, name).await?;
    // The ETag is the bundle's digest, quoted; a client that has it gets 304 and no bytes.
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"').to_owned());
    let blob = blocking(state, move |s| s.bundle(model.id, &selector, if_none_match.as_deref())).await?;
    let etag = HeaderValue::from_str(&format!("\"{}\"", blob.digest))
        .map_err(|e| ServerError::Internal(format!("a stored digest is not a header value: {e}")))?;
    let version = HeaderValue::from(blob.version);
    let mut response = match blob.bytes {
        None => StatusCode::NOT_MODIFIED.into_response(),
        Some(bytes) => {
            ([(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"))], bytes)
                .into_response()
        }
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, etag);
    h.insert("x-tabml-version", version);
    // Aliases and stages move: a cache must ask again each time (cheaply, with If-None-Match).
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// Reads what the registry needs off a bundle, refusing what is not a usable bundle.
fn bundle_facts(bytes: &[u8]) -> Result<UploadFacts, ServerError> {
    let bundle = ModelBundle::decode(bytes).map_err(|e| ServerError::InvalidBundle(e.to_string()))?;
    if bundle.schema.is_empty() {
        return Err(ServerError::InvalidBundle("its schema lists no input columns".into()));
    }
    if bundle.target.is_empty() || bundle.schema.iter().any(|c| c.name == bundle.target) {
        return Err(ServerError::InvalidBundle(format!(
            "its target {:?} is missing or is also one of its inputs",
            bundle.target
        )));
    }
    let task = match bundle.task {
        Task::Classification { .. } => "classification",
        Task::Regression => "regression",
    };
    Ok(UploadFacts {
        digest: ModelBundle::digest_of(bytes),
        kind: bundle.model.name().to_owned(),
        reference: VersionReference::of(&bundle),
        target: bundle.target,
        task: task.to_owned(),
    })
}

fn parse_stage(text: &str) -> Result<Stage, ServerError> {
    Stage::parse(text).ok_or_else(|| {
        ServerError::InvalidInput(format!(
            "stage {:?}: expected none, staging, production or archived",
            text.chars().take(40).collect::<String>()
        ))
    })
}

fn check_reason(reason: &str) -> Result<(), ServerError> {
    check_text("reason", reason, 2000)
}

fn check_tags(tags: &[String]) -> Result<(), ServerError> {
    if tags.len() > MAX_TAGS {
        return Err(ServerError::InvalidInput(format!("tags: at most {MAX_TAGS} (got {})", tags.len())));
    }
    tags.iter().try_for_each(|t| check_name("tag", t))
}

fn check_card(card: Option<&serde_json::Value>) -> Result<(), ServerError> {
    match card {
        Some(card) if !card.is_object() => {
            Err(ServerError::InvalidInput("card: expected a JSON object".into()))
        }
        Some(card) if card.to_string().len() > 64 * 1024 => {
            Err(ServerError::InvalidInput("card: at most 64 KiB of JSON".into()))
        }
        _ => Ok(()),
    }
}
