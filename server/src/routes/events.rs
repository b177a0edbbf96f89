//! `POST /api/v1/events`: monitoring events in batches, each stored once by its client-made id.

use super::{blocking, check_name, JsonBody};
use crate::auth::Caller;
use crate::error::ServerError;
use crate::storage::{ModelAccess, StoredEvent};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use std::collections::HashMap;
use tabml::api::{Event, EventAck, EventBatch, EventKind, Role};

/// The most events one batch may carry.
pub(crate) const MAX_EVENTS_PER_BATCH: usize = 10_000;

/// The latest client time accepted (the year 9999, in Unix milliseconds).
const MAX_TIME_MS: i64 = 253_402_300_799_999;

/// `POST /api/v1/events`: checks the whole batch first, then stores it in one transaction, so a
/// refused batch stores nothing. Sending a batch again is harmless: the answer lists its ids under
/// `duplicates`.
pub(super) async fn events_post(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(batch): JsonBody<EventBatch>,
) -> Result<Json<EventAck>, ServerError> {
    if batch.events.is_empty() {
        return Err(ServerError::InvalidInput("events: the batch is empty".into()));
    }
    if batch.events.len() > MAX_EVENTS_PER_BATCH {
        return Err(ServerError::InvalidInput(format!(
            "events: at most {MAX_EVENTS_PER_BATCH} per batch (got {})",
            batch.events.len()
        )));
    }
    let mut models: HashMap<String, ModelAccess> = HashMap::new();
    let mut stored = Vec::with_capacity(batch.events.len());
    for (i, event) in batch.events.iter().enumerate() {
        check_event(event).map_err(|message| ServerError::InvalidInput(format!("events[{i}]: {message}")))?;
        if !models.contains_key(&event.model) {
            let model = super::registry::access(&state, &event.model)
                .await
                .map_err(|e| ServerError::InvalidInput(format!("events[{i}]: {e}")))?;
            may_report(&caller, &model).map_err(|e| match e {
                ServerError::Forbidden(m) => ServerError::Forbidden(format!("events[{i}]: {m}")),
                other => other,
            })?;
            models.insert(event.model.clone(), model);
        }
        let body = serde_json::to_string(event).map_err(|e| ServerError::Internal(e.to_string()))?;
        stored.push(StoredEvent {
            client_id: event.id.clone(),
            kind: event.kind.as_str(),
            model_id: models[&event.model].id,
            version: event.version,
            at: event.at,
            prediction_id: event.prediction_id.clone(),
            body,
            latency_ms: event.latency_ms,
            failed: event.error.is_some(),
            value: event.output.as_ref().or(event.label.as_ref()).map(comparable),
            confidence: event.probabilities.as_ref().and_then(|p| p.iter().copied().reduce(f64::max)),
        });
    }
    let user = caller.0.id;
    let outcome = blocking(&state, move |s| s.ingest(user, &stored)).await?;
    // The events are stored and acknowledged whatever the rules say; a failing evaluation is logged.
    let touched: Vec<i64> = models.values().map(|m| m.id).collect();
    match blocking(&state, move |s| s.evaluate_rules(&touched, crate::storage::now_ms())).await {
        Ok(fired) => {
            for alert in fired {
                tracing::warn!(model = %alert.model, rule = %alert.rule, value = alert.value, "alert fired: {}", alert.message);
            }
        }
        Err(error) => tracing::error!(%error, "evaluating alert rules failed"),
    }
    tracing::debug!(
        accepted = outcome.accepted.len(),
        duplicates = outcome.duplicates.len(),
        "events stored"
    );
    Ok(Json(EventAck { accepted: outcome.accepted, duplicates: outcome.duplicates }))
}

/// A label or output as text that compares equal when the values are: numbers in their shortest
/// form (`1` and `1.0` are both `1`), strings as they are.
fn comparable(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |f| f.to_string()),
        other => other.to_string(),
    }
}

/// A learner reports on their own models and on models a mentor or an admin handed out.
fn may_report(caller: &Caller, model: &ModelAccess) -> Result<(), ServerError> {
    if caller.0.role != Role::Learner || caller.0.id == model.owner_id || model.owner_is_staff {
        Ok(())
    } else {
        Err(ServerError::Forbidden(
            "a learner sends events about their own models or those a mentor handed out".into(),
        ))
    }
}

/// What an event of each kind must carry, and sane values.
fn check_event(event: &Event) -> Result<(), String> {
    check_client_id("id", &event.id)?;
    check_name("model", &event.model).map_err(|e| e.to_string())?;
    if event.version == 0 {
        return Err("version: versions are numbered from 1".into());
    }
    if !(0..=MAX_TIME_MS).contains(&event.at) {
        return Err(format!("at {}: expected Unix milliseconds between 1970 and 9999", event.at));
    }
    let has = |present: bool, field: &str| {
        if present {
            Ok(())
        } else {
            Err(format!("a {} event needs `{field}`", event.kind.as_str()))
        }
    };
    let none = |present: bool, field: &str| {
        if present {
            Err(format!("a {} event has no `{field}`", event.kind.as_str()))
        } else {
            Ok(())
        }
    };
    match event.kind {
        EventKind::Prediction => {
            has(event.prediction_id.is_some(), "prediction_id")?;
            has(event.output.is_some() || event.error.is_some(), "output")?;
            none(event.label.is_some(), "label")?;
            if let Some(latency) = event.latency_ms {
                if !(0.0..=3.6e6).contains(&latency) {
                    return Err(format!("latency_ms {latency}: expected 0 to 3,600,000"));
                }
            }
            if let Some(p) = &event.probabilities {
                if p.iter().any(|x| !(0.0..=1.0).contains(x)) {
                    return Err("probabilities: each must be between 0 and 1".into());
                }
            }
        }
        EventKind::Label => {
            has(event.prediction_id.is_some(), "prediction_id")?;
            has(event.label.is_some(), "label")?;
            none(event.output.is_some(), "output")?;
        }
        EventKind::DriftReport => has(event.report.as_ref().is_some_and(|r| r.is_object()), "report")?,
        EventKind::Profile => {
            let Some(profile) = event.profile.as_ref().filter(|p| p.is_object()) else {
                return has(false, "profile");
            };
            let profile = <tabml::drift::DataProfile as serde::Deserialize>::deserialize(profile)
                .map_err(|e| format!("profile: not a tabml data profile ({e})"))?;
            profile.validate().map_err(|e| format!("profile: {e}"))?;
        }
    }
    if let Some(id) = &event.prediction_id {
        check_client_id("prediction_id", id)?;
    }
    Ok(())
}

/// A client-made id: 1 to 128 characters, none of them control characters.
fn check_client_id(field: &str, id: &str) -> Result<(), String> {
    if id.is_empty() || id.chars().count() > 128 || id.chars().any(char::is_control) {
        return Err(format!("{field}: 1 to 128 characters, none of them control characters"));
    }
    Ok(())
}
