//! `POST /api/v1/events`: monitoring events in batches, each stored once by its client-made id.
//!
//! The whole batch is checked before one transaction stores it. Each event's size comes first (64
//! KiB a prediction or label, 1 MiB a profile or drift report, as compact JSON), so no profile is
//! read or validated before it is bounded; then what its kind needs, which reads it into a typed
//! `Event` (a profile is parsed and validated here, once); then that each version exists and that
//! the sender may report on its model. Storage keeps the typed event as JSON. Then the alert rules
//! of the models touched are evaluated, their drift-share windows merged by the `ProfileMerger`
//! first.

use super::{blocking, check_name, JsonBody};
use crate::auth::Caller;
use crate::error::ServerError;
use crate::storage::{ModelAccess, StoredEvent};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use std::collections::{HashMap, HashSet};
use tabml::api::{Event, EventAck, EventBatch, EventBody, EventKind, WireEvent};

/// The most events one batch may carry.
pub(crate) const MAX_EVENTS_PER_BATCH: usize = 10_000;

/// The most JSON one prediction or label event may take.
pub(crate) const MAX_EVENT_BYTES: usize = 64 * 1024;

/// The most JSON one profile or drift report event may take (a profile keeps up to 1,000 exact
/// values per column, so a wide model's is large).
pub(crate) const MAX_PROFILE_EVENT_BYTES: usize = 1024 * 1024;

/// The most one label, output or error message may take, as JSON.
pub(super) const MAX_FIELD_BYTES: usize = 4 * 1024;

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
    for (i, sent) in batch.events.into_iter().enumerate() {
        // The size first: reading a profile is work in proportion to it.
        let size = json_len(&sent)?;
        let most = match sent.kind {
            EventKind::Profile | EventKind::DriftReport => MAX_PROFILE_EVENT_BYTES,
            EventKind::Prediction | EventKind::Label => MAX_EVENT_BYTES,
        };
        if size > most {
            return Err(ServerError::InvalidInput(format!(
                "events[{i}]: a {} event is at most {most} bytes of JSON (this one is {size})",
                sent.kind.as_str(),
            )));
        }
        let event = check_event(sent)
            .map_err(|message| ServerError::InvalidInput(format!("events[{i}]: {message}")))?;
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
        stored.push(stored_event(event, model_id)?);
    }
    let (user, quota) = (caller.0.id, state.config.event_bytes_per_day);
    let outcome = blocking(&state, move |s| s.ingest(user, &stored, quota)).await?;
    // The events are stored and acknowledged whatever the rules say; a failing evaluation is logged.
    crate::dashboard::evaluate_alerts(&state, models.values().map(|m| m.id).collect()).await;
    tracing::debug!(
        accepted = outcome.accepted.len(),
        duplicates = outcome.duplicates.len(),
        "events stored"
    );
    Ok(Json(EventAck { accepted: outcome.accepted, duplicates: outcome.duplicates }))
}

/// The event as storage keeps it: the whole event as JSON, and what the summaries read in columns.
fn stored_event(event: Event, model_id: i64) -> Result<StoredEvent, ServerError> {
    let body = serde_json::to_string(&event).map_err(|e| ServerError::Internal(e.to_string()))?;
    let mut stored = StoredEvent {
        kind: event.kind().as_str(),
        client_id: event.id,
        model_id,
        version: event.version,
        at: event.at,
        prediction_id: None,
        body,
        latency_ms: None,
        failed: false,
        value: None,
        confidence: None,
        probabilities: None,
    };
    match event.body {
        EventBody::Prediction(p) => {
            stored.prediction_id = Some(p.prediction_id);
            stored.latency_ms = p.latency_ms;
            stored.failed = p.error.is_some();
            stored.value = p.output.as_ref().map(comparable);
            stored.confidence = p.probabilities.as_ref().and_then(|p| p.iter().copied().reduce(f64::max));
            stored.probabilities = p.probabilities;
        }
        EventBody::Label(l) => {
            stored.prediction_id = Some(l.prediction_id);
            stored.value = Some(comparable(&l.label));
        }
        EventBody::DriftReport { .. } | EventBody::Profile { .. } => {}
    }
    Ok(stored)
}

/// How many bytes `value` takes as compact JSON, counted without writing them anywhere.
fn json_len(value: &impl serde::Serialize) -> Result<usize, ServerError> {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).map_err(|e| ServerError::Internal(e.to_string()))?;
    Ok(count.0)
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

/// Checks an event as sent and reads it into a typed [`Event`]: the fields every event has, then
/// what its kind needs ([`Event::try_from`]), then the caps on each field. The caps hold for every
/// field sent, those the kind does not read (and drops) included, and are reported after what the
/// kind needs, as they always were.
fn check_event(sent: WireEvent) -> Result<Event, String> {
    check_client_id("id", &sent.id)?;
    check_name("model", &sent.model).map_err(|e| e.to_string())?;
    if sent.version == 0 {
        return Err("version: versions are numbered from 1".into());
    }
    if !(0..=MAX_TIME_MS).contains(&sent.at) {
        return Err(format!("at {}: expected Unix milliseconds between 1970 and 9999", sent.at));
    }
    let capped = check_caps(&sent);
    let event = Event::try_from(sent).map_err(|e| e.to_string())?;
    capped.map(|()| event)
}

/// The caps on a sent event's fields: ids, the size of labels, outputs and errors, classes.
fn check_caps(sent: &WireEvent) -> Result<(), String> {
    if let Some(id) = &sent.prediction_id {
        check_client_id("prediction_id", id)?;
    }
    for (field, value) in [("output", &sent.output), ("label", &sent.label)] {
        if let Some(value) = value {
            let size = value.to_string().len();
            if size > MAX_FIELD_BYTES {
                return Err(format!("{field}: at most {MAX_FIELD_BYTES} bytes of JSON (this is {size})"));
            }
        }
    }
    if sent.error.as_ref().is_some_and(|e| e.len() > MAX_FIELD_BYTES) {
        return Err(format!("error: at most {MAX_FIELD_BYTES} bytes"));
    }
    if sent.probabilities.as_ref().is_some_and(|p| p.len() > MAX_CLASSES) {
        return Err(format!("probabilities: at most {MAX_CLASSES} classes"));
    }
    Ok(())
}

/// A client-made id: 1 to 128 characters, none of them control characters.
pub(super) fn check_client_id(field: &str, id: &str) -> Result<(), String> {
    if id.is_empty() || id.chars().count() > 128 || id.chars().any(char::is_control) {
        return Err(format!("{field}: 1 to 128 characters, none of them control characters"));
    }
    Ok(())
}
