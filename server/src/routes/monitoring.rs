//! Deployment policies, alert rules, alerts, dashboard summaries, series and class overviews.
//!
//! A policy is checked against its strategy (which need a second version and a share). A
//! dashboard, a series and a model's alerts are read by those who may report on the model (its
//! owner, the members and mentor of its class, admins; a dashboard by everyone when the server runs
//! with `--public-dashboards`), a class's overview by its mentor and admins; the alerts of every
//! model are listed as far as the caller may read them. A series' span and step are checked before
//! any other work.

use super::etag::{etag, minute, not_modified, with_etag};
use super::runs::parse_id;
use super::{blocking, check_name, check_text, JsonBody, QueryParams};
use crate::auth::{Caller, MaybeCaller};
use crate::error::ServerError;
use crate::storage::{now_ms, ChangesOf, Window};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use tabml::api::{
    Alert, AlertAck, AlertRule, DeploymentPolicy, NewAlertRule, PolicyInfo, Strategy, VersionRef,
};

/// The longest window a rule or a dashboard looks at: 30 days.
const MAX_WINDOW_MINUTES: u32 = 43_200;

/// `GET /api/v1/models/{name}/policy`: what clients fetch to route their requests.
pub(super) async fn policy_get(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<PolicyInfo>, ServerError> {
    let model = super::registry::access(&state, &name).await?;
    Ok(Json(blocking(&state, move |s| s.policy(model.id)).await?))
}

/// `PUT /api/v1/models/{name}/policy`: a mentor (or the owner where the class allows) sets it.
pub(super) async fn policy_put(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    JsonBody(policy): JsonBody<DeploymentPolicy>,
) -> Result<Json<PolicyInfo>, ServerError> {
    let model = super::registry::access(&state, &name).await?;
    caller.require_promoter(&model, "setting a deployment policy")?;
    check_policy(&policy)?;
    let actor = caller.0.id;
    Ok(Json(blocking(&state, move |s| s.set_policy(model.id, actor, &policy)).await?))
}

fn check_policy(policy: &DeploymentPolicy) -> Result<(), ServerError> {
    check_text("reason", &policy.reason, 2000)?;
    check_ref("primary", &policy.primary)?;
    if let Some(secondary) = &policy.secondary {
        check_ref("secondary", secondary)?;
    }
    let needs_share = matches!(policy.strategy, Strategy::Shadow | Strategy::Canary | Strategy::AB);
    match (policy.strategy, &policy.secondary, policy.percent) {
        (Strategy::Single, Some(_), _) | (Strategy::Single, _, Some(_)) => {
            Err(ServerError::InvalidInput("a single policy names only `primary`".into()))
        }
        (Strategy::Single, None, None) => Ok(()),
        (_, None, _) => Err(ServerError::InvalidInput("this strategy needs a `secondary` version".into())),
        (Strategy::BlueGreen, _, Some(_)) => {
            Err(ServerError::InvalidInput("blue-green switches all traffic at once: no `percent`".into()))
        }
        (_, _, None) if needs_share => {
            Err(ServerError::InvalidInput("this strategy needs `percent` (0 to 100)".into()))
        }
        (_, _, Some(p)) if !(0.0..=100.0).contains(&p) || !p.is_finite() => {
            Err(ServerError::InvalidInput(format!("percent {p}: expected 0 to 100")))
        }
        _ => Ok(()),
    }
}

fn check_ref(field: &str, reference: &VersionRef) -> Result<(), ServerError> {
    match (&reference.version, &reference.alias) {
        (Some(0), None) => {
            Err(ServerError::InvalidInput(format!("{field}.version: versions are numbered from 1")))
        }
        (Some(_), None) => Ok(()),
        (None, Some(alias)) => check_name(&format!("{field}.alias"), alias),
        _ => Err(ServerError::InvalidInput(format!("{field}: give either `version` or `alias`"))),
    }
}

/// `GET /api/v1/models/{name}/alert-rules`.
pub(super) async fn rules_get(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<AlertRule>>, ServerError> {
    let model = super::registry::access(&state, &name).await?;
    Ok(Json(blocking(&state, move |s| s.rules(model.id)).await?))
}

/// `POST /api/v1/models/{name}/alert-rules`.
pub(super) async fn rules_post(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    JsonBody(rule): JsonBody<NewAlertRule>,
) -> Result<(StatusCode, Json<AlertRule>), ServerError> {
    let model = super::registry::access(&state, &name).await?;
    caller.require_promoter(&model, "adding an alert rule")?;
    check_text("name", &rule.name, 200)?;
    check_text("action", &rule.action, 2000)?;
    if rule.name.trim().is_empty() || rule.action.trim().is_empty() {
        return Err(ServerError::InvalidInput(
            "name and action: say what the rule is and what should happen".into(),
        ));
    }
    if !(1..=MAX_WINDOW_MINUTES).contains(&rule.window_minutes) {
        return Err(ServerError::InvalidInput(format!(
            "window_minutes {}: expected 1 to {MAX_WINDOW_MINUTES}",
            rule.window_minutes
        )));
    }
    if !rule.threshold.is_finite() {
        return Err(ServerError::InvalidInput("threshold: must be a finite number".into()));
    }
    let actor = caller.0.id;
    Ok((StatusCode::CREATED, Json(blocking(&state, move |s| s.create_rule(model.id, actor, &rule)).await?)))
}

/// `DELETE /api/v1/models/{name}/alert-rules/{id}`.
pub(super) async fn rule_delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, id)): Path<(String, String)>,
) -> Result<StatusCode, ServerError> {
    let id = parse_id("alert rule", &id)?;
    let model = super::registry::access(&state, &name).await?;
    caller.require_promoter(&model, "deleting an alert rule")?;
    let actor = caller.0.id;
    blocking(&state, move |s| s.delete_rule(model.id, id, actor)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The query of `GET /api/v1/alerts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AlertQuery {
    /// Alerts of this model only.
    model: Option<String>,
    /// Only those not acknowledged (default true).
    open: Option<bool>,
}

/// `GET /api/v1/alerts`: newest first, of the models the caller may read (of one, when asked: 403
/// for a model the caller may not read).
pub(super) async fn alerts_get(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    QueryParams(query): QueryParams<AlertQuery>,
) -> Result<Response, ServerError> {
    let model = match &query.model {
        Some(name) => {
            let model = super::registry::access(&state, name).await?;
            caller.require_member(&model, "reading the alerts")?;
            Some(model.id)
        }
        None => None,
    };
    let open = query.open.unwrap_or(true);
    let viewer = caller.viewer();
    let changes = {
        let viewer = viewer.clone();
        blocking(&state, move |s| {
            s.changes(model.map_or(ChangesOf::Visible(viewer.as_ref()), ChangesOf::Model))
        })
        .await?
    };
    let tag = etag(&[&"alerts", &model, &open, &viewer, &changes]);
    if let Some(cached) = not_modified(&headers, &tag) {
        return Ok(cached);
    }
    let alerts: Vec<Alert> = blocking(&state, move |s| s.alerts(model, open, viewer.as_ref())).await?;
    Ok(with_etag(&tag, alerts))
}

/// `POST /api/v1/alerts/{id}/ack`: whoever may set the model's alert rules acknowledges its alerts.
pub(super) async fn alert_ack_post(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(ack): JsonBody<AlertAck>,
) -> Result<Json<Alert>, ServerError> {
    let id = parse_id("alert", &id)?;
    check_text("note", &ack.note, 2000)?;
    let model_id = blocking(&state, move |s| s.alert_model(id)).await?;
    let owner = blocking(&state, move |s| s.model_owner(model_id)).await?;
    caller.require_promoter(&owner, "acknowledging an alert")?;
    let actor = caller.0.id;
    Ok(Json(blocking(&state, move |s| s.acknowledge(id, actor, &ack.note)).await?))
}

/// The query of a dashboard.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DashboardQuery {
    /// The window's start (Unix milliseconds); default `to` minus 24 hours.
    from: Option<i64>,
    /// Its end (exclusive); default now.
    to: Option<i64>,
    /// Only this version's predictions (1 or more).
    version: Option<u32>,
}

/// `GET /api/v1/models/{name}/dashboard`: open to everyone when the server says dashboards are
/// public, else to those who may report on the model.
pub(super) async fn dashboard_get(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    headers: HeaderMap,
    Path(name): Path<String>,
    QueryParams(query): QueryParams<DashboardQuery>,
) -> Result<Response, ServerError> {
    if caller.is_none() && !state.config.public_dashboards {
        return Err(ServerError::Unauthorized(
            "dashboards need a bearer token on this server (see `tabml serve --public-dashboards`)".into(),
        ));
    }
    let to = query.to.unwrap_or_else(|| now_ms() + 1);
    let from = query.from.unwrap_or(to - 24 * 3_600_000);
    if from >= to || from < 0 || to - from > i64::from(MAX_WINDOW_MINUTES) * 60_000 {
        return Err(ServerError::InvalidInput(format!(
            "from {from} and to {to}: Unix milliseconds, from before to, at most 30 days apart"
        )));
    }
    if query.version == Some(0) {
        return Err(ServerError::InvalidInput("version 0: versions are numbered from 1".into()));
    }
    let model = super::registry::access(&state, &name).await?;
    if let (Some(caller), false) = (caller, state.config.public_dashboards) {
        Caller(caller).require_member(&model, "reading the dashboard")?;
    }
    // Freshness is relative to now: the tag holds for the minute.
    let changes = blocking(&state, move |s| s.changes(ChangesOf::Model(model.id))).await?;
    let tag = etag(&[&"dashboard", &changes, &query.from, &query.to, &query.version, &minute()]);
    if let Some(cached) = not_modified(&headers, &tag) {
        return Ok(cached);
    }
    let dashboard = crate::dashboard::dashboard(&state, model.id, Window { from, to }, query.version).await?;
    Ok(with_etag(&tag, dashboard))
}

/// The query of a series, each value read here so that a wrong one is named.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SeriesQuery {
    /// The span's start (Unix milliseconds); default `to` minus 24 hours.
    from: Option<String>,
    /// Its end (exclusive); default now.
    to: Option<String>,
    /// The bucket size in seconds; default 3,600.
    step: Option<String>,
    /// Only this version's predictions (1 or more).
    version: Option<String>,
}

/// A day in milliseconds.
const DAY_MS: i64 = 86_400_000;

/// A whole number from a query, or a 400 naming the parameter.
fn whole(field: &str, text: Option<&str>, what: &str) -> Result<Option<i64>, ServerError> {
    text.map(|text| {
        text.parse::<i64>().map_err(|_| {
            ServerError::InvalidInput(format!(
                "{field} {:?}: expected {what}, a whole number",
                text.chars().take(40).collect::<String>()
            ))
        })
    })
    .transpose()
}

/// A version from a query: 1 to `u32::MAX`, or a 400 naming it.
fn version_param(text: Option<&str>) -> Result<Option<u32>, ServerError> {
    whole("version", text, "a version number")?
        .map(|v| {
            u32::try_from(v).ok().filter(|&v| v > 0).ok_or_else(|| {
                ServerError::InvalidInput(format!(
                    "version {v}: versions are numbered from 1 to {}",
                    u32::MAX
                ))
            })
        })
        .transpose()
}

/// A series' span and step (milliseconds), checked: from before to, from 0 on, at most
/// `MAX_SERIES_DAYS` apart, a step of a second or more, at most `MAX_BUCKETS` buckets.
fn series_span(query: &SeriesQuery) -> Result<(Window, i64), ServerError> {
    use crate::dashboard::{MAX_BUCKETS, MAX_SERIES_DAYS};
    let to = whole("to", query.to.as_deref(), "Unix milliseconds")?.unwrap_or_else(|| now_ms() + 1);
    let from =
        whole("from", query.from.as_deref(), "Unix milliseconds")?.unwrap_or(to.saturating_sub(DAY_MS));
    let step = whole("step", query.step.as_deref(), "seconds")?.unwrap_or(3_600);
    if from < 0 {
        return Err(ServerError::InvalidInput(format!("from {from}: Unix milliseconds, 0 or later")));
    }
    if from >= to {
        return Err(ServerError::InvalidInput(format!("from {from} and to {to}: from must come before to")));
    }
    if to - from > MAX_SERIES_DAYS * DAY_MS {
        return Err(ServerError::InvalidInput(format!(
            "from {from} and to {to}: at most {MAX_SERIES_DAYS} days apart (these are {:.1} days apart)",
            (to - from) as f64 / DAY_MS as f64
        )));
    }
    if !(1..=MAX_SERIES_DAYS * DAY_MS / 1000).contains(&step) {
        return Err(ServerError::InvalidInput(format!(
            "step {step}: the bucket size in seconds, 1 to {} ({MAX_SERIES_DAYS} days)",
            MAX_SERIES_DAYS * DAY_MS / 1000
        )));
    }
    let step_ms = step * 1000;
    let buckets = (to - from + step_ms - 1) / step_ms;
    if buckets > MAX_BUCKETS {
        return Err(ServerError::InvalidInput(format!(
            "from, to and step: {buckets} buckets of {step} s; at most {MAX_BUCKETS} (take a longer step or a shorter span)"
        )));
    }
    Ok((Window { from, to }, step_ms))
}

/// `GET /api/v1/models/{name}/series`: the model's figures bucket by bucket, for whoever may report
/// on it. The span and step are checked before anything is read.
pub(super) async fn series_get(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(name): Path<String>,
    QueryParams(query): QueryParams<SeriesQuery>,
) -> Result<Response, ServerError> {
    let (window, step_ms) = series_span(&query)?;
    let version = version_param(query.version.as_deref())?;
    let model = super::registry::access(&state, &name).await?;
    caller.require_member(&model, "reading the series")?;
    // A span that ends now moves with the clock; one with an end given does not.
    let changes = blocking(&state, move |s| s.changes(ChangesOf::Model(model.id))).await?;
    let now = query.to.is_none().then(minute);
    let tag = etag(&[&"series", &changes, &query.from, &query.to, &step_ms, &version, &now]);
    if let Some(cached) = not_modified(&headers, &tag) {
        return Ok(cached);
    }
    Ok(with_etag(&tag, crate::dashboard::series(&state, model.id, window, step_ms, version).await?))
}

/// `GET /api/v1/classes/{name}/overview`: every model of the class and its last 24 hours, for the
/// class's mentor and admins.
pub(super) async fn class_overview_get(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(class): Path<String>,
) -> Result<Response, ServerError> {
    super::accounts::require_class_mentor(&state, &caller, &class, "a class's overview").await?;
    // Its models (one joining changes the list) and their counters; the last 24 hours move with
    // the clock.
    let changes = {
        let class = class.clone();
        blocking(&state, move |s| s.changes(ChangesOf::Class(&class))).await?
    };
    let tag = etag(&[&"overview", &class, &changes, &minute()]);
    if let Some(cached) = not_modified(&headers, &tag) {
        return Ok(cached);
    }
    Ok(with_etag(&tag, crate::dashboard::overview(&state, class).await?))
}
