//! Tracked runs, as MLflow tracks them: params, metrics, tags, and comparison.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/runs`: starts tracking a training run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRun {
    /// A name for people.
    #[serde(default)]
    pub name: String,
    /// The registered model the run trains, if any.
    #[serde(default)]
    pub model: Option<String>,
}

/// One metric value at a step, as MLflow's `log_batch` takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricPoint {
    /// The metric's name.
    pub key: String,
    /// Its value.
    pub value: f64,
    /// The step (epoch, trial, …); 0 by default.
    #[serde(default)]
    pub step: i64,
    /// When (Unix milliseconds); the server's clock by default.
    #[serde(default)]
    pub timestamp: Option<i64>,
}

/// A parameter or tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyValue {
    /// The name.
    pub key: String,
    /// The value.
    pub value: String,
}

/// `POST /api/v1/runs/{id}/log-batch`: at most 1,000 metrics, 100 params and 100 tags, 1 MB in all,
/// as MLflow's `log-batch`. A parameter, once logged, keeps its value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunBatch {
    /// Metric values.
    #[serde(default)]
    pub metrics: Vec<MetricPoint>,
    /// Parameters.
    #[serde(default)]
    pub params: Vec<KeyValue>,
    /// Tags (a later value replaces an earlier one).
    #[serde(default)]
    pub tags: Vec<KeyValue>,
}

/// A tracked run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The server's id for it.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Who runs it.
    pub owner: String,
    /// The registered model, if any.
    pub model: Option<String>,
    /// When it started (Unix milliseconds).
    pub created_at: i64,
    /// Parameters.
    pub params: std::collections::BTreeMap<String, String>,
    /// Each metric's latest value (by step, then time).
    pub metrics: std::collections::BTreeMap<String, f64>,
    /// Tags.
    pub tags: std::collections::BTreeMap<String, String>,
}

/// `GET /api/v1/runs`: one page of runs, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunPage {
    /// The runs.
    pub runs: Vec<RunInfo>,
    /// How many match in all.
    pub total: u64,
    /// Where the next page starts, if there is one.
    pub next_offset: Option<u64>,
}

/// `GET /api/v1/runs/compare?ids=…`: each parameter and metric side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunComparison {
    /// The runs compared, in the order asked.
    pub runs: Vec<i64>,
    /// Parameter → its value in each run (null where a run lacks it).
    pub params: std::collections::BTreeMap<String, Vec<Option<String>>>,
    /// Metric → its latest value in each run.
    pub metrics: std::collections::BTreeMap<String, Vec<Option<f64>>>,
}
