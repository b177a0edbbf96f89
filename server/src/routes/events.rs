//! `POST /api/v1/events`: monitoring events in batches, each stored once by its client-made id.
//!
//! The whole batch is checked before one transaction stores it: sizes first (64 KiB a prediction or
//! label, 1 MiB a profile or drift report), then that each version exists and that the sender may
//! report on its model. Then the alert rules of the models touched are evaluated, their drift-share
//! windows merged by the `ProfileMerger` first.

use super::{blocking, check_name, JsonBody};
use crate::auth::Caller;
use crate::error::ServerError;
use crate::storage::{ModelAccess, StoredEvent};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use std::collections::{HashMap, HashSet};
use tabml::api::{Event, EventAck, EventBatch, EventKind};

/// The most events one batch may carry.
pub(crate) const MAX_EVENTS_PER_BATCH: usize = 10_000;

/// The most JSON one prediction or label event may take.
pub(crate) const MAX_EVENT_BYTES: usize = 64 * 1024;

/// The most JSON one profile or drift report event may take (a profile keeps up to 1,000 exact
/// values per column, so a wide model's is large).
pub(crate) const MAX_PROFILE_EVENT_BYTES: usize = 1024 * 1024;

/// The most one label, output or error message may take, as JSON.
const MAX_FIELD_BYTES: usize = 4 * 1024;

/// The most classes a prediction's probabilities may list.
const MAX_CLASSES: usize = 1_000;

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
    let mut versions: HashSet<(i64, u32)> = HashSet::new();
    let mut stored = Vec::with_capacity(batch.events.len());
    for (i, event) in batch.events.iter().enumerate() {
        // The size first: checking a profile is work in proportion to it.
        let body = serde_json::to_string(event).map_err(|e| ServerError::Internal(e.to_string()))?;
        let most = match event.kind {
            EventKind::Profile | EventKind::DriftReport => MAX_PROFILE_EVENT_BYTES,
            EventKind::Prediction | EventKind::Label => MAX_EVENT_BYTES,
        };
        if body.len() > most {
            return Err(ServerError::InvalidInput(format!(
                "events[{i}]: a {} event is at most {most} bytes of JSON (this one is {})",
                event.kind.as_str(),
                body.len()
            )));
        }
        check_event(event).map_err(|message| ServerError::InvalidInput(format!("events[{i}]: {message}")))?;
        if !models.contains_key(&event.model) {
            let model = super::registry::access(&state, &event.model)
                .await
                .map_err(|e| ServerError::InvalidInput(format!("events[{i}]: {e}")))?;
            caller.require_member(&model, "sending events").map_err(|e| match e {
                ServerError::Forbidden(m) => ServerError::Forbidden(format!("events[{i}]: {m}")),
                other => other,
            })?;
            models.insert(event.model.clone(), model);
        }
        let model_id = models[&event.model].id;
        if !versions.contains(&(model_id, event.version)) {
            // An event about a version nobody uploaded would name a bundle the dashboard cannot find.
            let version = event.version;
            if !blocking(&state, move |s| s.has_version(model_id, version)).await? {
                return Err(ServerError::InvalidInput(format!(
                    "events[{i}]: the model {:?} has no version {version}",
                    event.model
                )));
            }
            versions.insert((model_id, version));
        }
        stored.push(StoredEvent {
            client_id: event.id.clone(),
            kind: event.kind.as_str(),
            model_id,
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
    let (user, quota) = (caller.0.id, state.config.event_bytes_per_day);
    let outcome = blocking(&state, move |s| s.ingest(user, &stored, quota)).await?;
    // The events are stored and acknowledged whatever the rules say; a failing evaluation is logged.
    super::monitoring::evaluate_alerts(&state, models.values().map(|m| m.id).collect()).await;
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
    for (field, value) in [("output", &event.output), ("label", &event.label)] {
        if let Some(value) = value {
            let size = value.to_string().len();
            if size > MAX_FIELD_BYTES {
                return Err(format!("{field}: at most {MAX_FIELD_BYTES} bytes of JSON (this is {size})"));
            }
        }
    }
    if event.error.as_ref().is_some_and(|e| e.len() > MAX_FIELD_BYTES) {
        return Err(format!("error: at most {MAX_FIELD_BYTES} bytes"));
    }
    if event.probabilities.as_ref().is_some_and(|p| p.len() > MAX_CLASSES) {
        return Err(format!("probabilities: at most {MAX_CLASSES} classes"));
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
