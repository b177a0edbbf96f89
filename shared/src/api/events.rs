//! Monitoring events: what clients send about predictions, labels, drift reports and profiles.
//!
//! On the wire an event is one flat object: `id`, `type`, `model`, `version`, `at`, and the fields
//! its type needs. A batch arrives as [`WireEvent`]s, every such field optional, so that a server
//! can bound each event's size before any work in proportion to it; [`Event::try_from`] then checks
//! what the kind needs, once, and gives the typed [`Event`], whose [`EventBody`] carries a prediction,
//! a label, a drift report or a [`DataProfile`]. An `Event` serialises back to the same flat object.
//! Fields that only another kind reads are accepted and dropped, as they always were, except the two
//! a mix-up would make ambiguous: a prediction's `label` and a label's `output`.

use crate::drift::DataProfile;
use crate::error::EventError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `POST /api/v1/events`: a batch of monitoring events, as sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    /// The events, each with a client-made id.
    pub events: Vec<WireEvent>,
}

/// One monitoring event as sent: the flat object of the wire, every field a kind may need optional
/// and none checked yet. [`Event::try_from`] reads it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireEvent {
    /// The client's id for this event: 1 to 128 characters, no control characters.
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The registered model's name.
    pub model: String,
    /// Its version.
    pub version: u32,
    /// When it happened on the client (Unix milliseconds).
    pub at: i64,
    /// Prediction and label: the client's id for the prediction, which a label names later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction_id: Option<String>,
    /// Prediction: the predicted label (classification) or value (regression).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// Prediction: the probability of each class, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Vec<f64>>,
    /// Prediction: the input row, when the client's privacy setting allows sending it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Map<String, Value>>,
    /// Prediction: how long scoring took (milliseconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Prediction: why scoring failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Label: the true label or value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Value>,
    /// Drift report: the report the client computed, as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<Value>,
    /// Profile: a mergeable `tabml::drift::DataProfile` of a batch of inputs, as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Value>,
}

/// The kinds of event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// One scored row: needs `prediction_id` and `output` (or `error`).
    #[default]
    Prediction,
    /// The true outcome of an earlier prediction: needs `prediction_id` and `label`.
    Label,
    /// A drift report the client computed: needs `report`.
    DriftReport,
    /// A profile of a batch of inputs: needs `profile`.
    Profile,
}

impl EventKind {
    /// The kind's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Prediction => "prediction",
            EventKind::Label => "label",
            EventKind::DriftReport => "drift_report",
            EventKind::Profile => "profile",
        }
    }
}

/// One monitoring event, checked: what every event has, and its kind's body. `id` is made by the
/// client (a UUID, say) and makes sending twice harmless.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "WireEvent")]
pub struct Event {
    /// The client's id for this event.
    pub id: String,
    /// The registered model's name.
    pub model: String,
    /// Its version.
    pub version: u32,
    /// When it happened on the client (Unix milliseconds).
    pub at: i64,
    /// What happened, with what its kind carries.
    #[serde(flatten)]
    pub body: EventBody,
}

/// What an [`Event`] of each kind carries; on the wire, `type` names the kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    /// One scored row.
    Prediction(PredictionBody),
    /// The true outcome of an earlier prediction.
    Label(LabelBody),
    /// A drift report the client computed. Kept as the client sent it, any JSON object: reports
    /// from other tools, or partial ones, are accepted, and a dashboard reads what it can.
    DriftReport {
        /// The report.
        report: Map<String, Value>,
    },
    /// A profile of a batch of inputs, validated.
    Profile {
        /// The profile.
        profile: Box<DataProfile>,
    },
}

/// A prediction event's body: an output, or an error, or both.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictionBody {
    /// The client's id for the prediction, which a label names later.
    pub prediction_id: String,
    /// The predicted label (classification) or value (regression); absent when scoring failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// The probability of each class, each between 0 and 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Vec<f64>>,
    /// The input row, when the client's privacy setting allows sending it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub features: Option<Map<String, Value>>,
    /// How long scoring took: 0 to 3,600,000 milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Why scoring failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A label event's body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelBody {
    /// The prediction it is the outcome of.
    pub prediction_id: String,
    /// The true label or value.
    pub label: Value,
}

impl Event {
    /// The event's kind.
    pub fn kind(&self) -> EventKind {
        match self.body {
            EventBody::Prediction(_) => EventKind::Prediction,
            EventBody::Label(_) => EventKind::Label,
            EventBody::DriftReport { .. } => EventKind::DriftReport,
            EventBody::Profile { .. } => EventKind::Profile,
        }
    }
}

impl TryFrom<WireEvent> for Event {
    type Error = EventError;

    /// Checks that the event carries what its kind needs (and for a prediction, sane latency and
    /// probabilities; for a profile, one profiling could have made), and types it. Work in proportion
    /// to the event's size happens here, so bound the size first.
    fn try_from(sent: WireEvent) -> Result<Self, EventError> {
        let kind = sent.kind;
        let needs = |field: &'static str| EventError::Missing { kind: kind.as_str(), field };
        let refuse = |present: bool, field: &'static str| {
            if present {
                Err(EventError::Unexpected { kind: kind.as_str(), field })
            } else {
                Ok(())
            }
        };
        let body = match kind {
            EventKind::Prediction => {
                let prediction_id = sent.prediction_id.ok_or_else(|| needs("prediction_id"))?;
                if sent.output.is_none() && sent.error.is_none() {
                    return Err(needs("output"));
                }
                refuse(sent.label.is_some(), "label")?;
                if let Some(latency) = sent.latency_ms.filter(|l| !(0.0..=3.6e6).contains(l)) {
                    return Err(EventError::Latency(latency));
                }
                if sent.probabilities.as_ref().is_some_and(|p| p.iter().any(|x| !(0.0..=1.0).contains(x))) {
                    return Err(EventError::Probabilities);
                }
                EventBody::Prediction(PredictionBody {
                    prediction_id,
                    output: sent.output,
                    probabilities: sent.probabilities,
                    features: sent.features,
                    latency_ms: sent.latency_ms,
                    error: sent.error,
                })
            }
            EventKind::Label => {
                let prediction_id = sent.prediction_id.ok_or_else(|| needs("prediction_id"))?;
                let label = sent.label.ok_or_else(|| needs("label"))?;
                refuse(sent.output.is_some(), "output")?;
                EventBody::Label(LabelBody { prediction_id, label })
            }
            EventKind::DriftReport => match sent.report {
                Some(Value::Object(report)) => EventBody::DriftReport { report },
                _ => return Err(needs("report")),
            },
            EventKind::Profile => {
                let Some(profile) = sent.profile.filter(Value::is_object) else {
                    return Err(needs("profile"));
                };
                let profile =
                    DataProfile::deserialize(&profile).map_err(|e| EventError::NotAProfile(e.to_string()))?;
                profile.validate()?;
                EventBody::Profile { profile: Box::new(profile) }
            }
        };
        Ok(Event { id: sent.id, model: sent.model, version: sent.version, at: sent.at, body })
    }
}

/// The answer to an [`EventBatch`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventAck {
    /// The ids stored now.
    pub accepted: Vec<String>,
    /// The ids stored before (by an earlier send, or earlier in this batch).
    pub duplicates: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: Value) -> Result<Event, String> {
        let sent: WireEvent = serde_json::from_value(value).map_err(|e| e.to_string())?;
        Event::try_from(sent).map_err(|e| e.to_string())
    }

    #[test]
    fn each_kind_reads_and_writes_the_same_flat_object() {
        let profile = json!({"rows": 0, "columns": [], "predictions": []});
        for sent in [
            json!({"id": "p1", "type": "prediction", "model": "iris", "version": 1, "at": 5,
                   "prediction_id": "x", "output": "setosa", "probabilities": [0.9, 0.1],
                   "features": {"a": 1}, "latency_ms": 0.5}),
            json!({"id": "p2", "type": "prediction", "model": "iris", "version": 1, "at": 5,
                   "prediction_id": "y", "error": "no column a"}),
            json!({"id": "l1", "type": "label", "model": "iris", "version": 2, "at": 6,
                   "prediction_id": "x", "label": 1.5}),
            json!({"id": "d1", "type": "drift_report", "model": "iris", "version": 1, "at": 7,
                   "report": {"dataset_drift": false}}),
            json!({"id": "f1", "type": "profile", "model": "iris", "version": 1, "at": 8, "profile": profile}),
        ] {
            let event = read(sent.clone()).unwrap();
            assert_eq!(serde_json::to_value(&event).unwrap(), sent);
            assert_eq!(event.kind().as_str(), sent["type"]);
            assert_eq!(serde_json::from_value::<Event>(sent).unwrap(), event);
        }
    }

    #[test]
    fn what_a_kind_needs_is_checked_and_what_it_does_not_read_is_dropped() {
        let base = |kind: &str| json!({"id": "e", "type": kind, "model": "m", "version": 1, "at": 0});
        let with = |kind: &str, extra: Value| {
            let mut event = base(kind);
            event.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            event
        };
        let cases = [
            (base("prediction"), "a prediction event needs `prediction_id`"),
            (with("prediction", json!({"prediction_id": "x"})), "a prediction event needs `output`"),
            (
                with("prediction", json!({"prediction_id": "x", "output": 1, "label": 1})),
                "a prediction event has no `label`",
            ),
            (
                with("prediction", json!({"prediction_id": "x", "output": 1, "latency_ms": -1.0})),
                "latency_ms -1: expected 0 to 3,600,000",
            ),
            (
                with("prediction", json!({"prediction_id": "x", "output": 1, "probabilities": [1.5]})),
                "probabilities: each must be between 0 and 1",
            ),
            (with("label", json!({"prediction_id": "x"})), "a label event needs `label`"),
            (
                with("label", json!({"prediction_id": "x", "label": 1, "output": 1})),
                "a label event has no `output`",
            ),
            (with("drift_report", json!({"report": [1]})), "a drift_report event needs `report`"),
            (base("profile"), "a profile event needs `profile`"),
        ];
        for (sent, message) in cases {
            assert_eq!(read(sent).unwrap_err(), message);
        }
        let message = read(with("profile", json!({"profile": {"rows": "many"}}))).unwrap_err();
        assert!(message.starts_with("profile: not a tabml data profile ("), "{message}");
        let event =
            read(with("label", json!({"prediction_id": "x", "label": 1, "latency_ms": 2.0}))).unwrap();
        assert_eq!(event.body, EventBody::Label(LabelBody { prediction_id: "x".into(), label: json!(1) }));
        let unknown = read(with("label", json!({"prediction_id": "x", "label": 1, "colour": "red"})));
        assert!(unknown.unwrap_err().starts_with("unknown field `colour`"));
    }
}
