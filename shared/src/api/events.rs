//! Monitoring events: what clients send about predictions, labels, drift reports and profiles.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/events`: a batch of monitoring events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    /// The events, each with a client-made id.
    pub events: Vec<Event>,
}

/// One monitoring event. `id` is made by the client (a UUID, say) and makes sending twice harmless.
/// Which other fields an event needs depends on its `type` (see [`EventKind`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
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
    pub output: Option<serde_json::Value>,
    /// Prediction: the probability of each class, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Vec<f64>>,
    /// Prediction: the input row, when the client's privacy setting allows sending it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<serde_json::Map<String, serde_json::Value>>,
    /// Prediction: how long scoring took (milliseconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Prediction: why scoring failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Label: the true label or value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<serde_json::Value>,
    /// Drift report: `tabml::drift::DriftReport` as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<serde_json::Value>,
    /// Profile: a mergeable `tabml::drift::DataProfile` of a batch of inputs, as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<serde_json::Value>,
}

/// The kinds of [`Event`].
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

/// The answer to an [`EventBatch`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventAck {
    /// The ids stored now.
    pub accepted: Vec<String>,
    /// The ids stored before (by an earlier send, or earlier in this batch).
    pub duplicates: Vec<String>,
}
