//! Deployment policies, alert rules and alerts, dashboard summaries with their drift, series over
//! time, class overviews, and predictions a mentor overrode.

use serde::{Deserialize, Serialize};

/// A version named directly or through an alias.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionRef {
    /// A version number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// An alias (followed each time a client fetches the policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

/// How clients route requests between versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Every request to `primary`.
    Single,
    /// `primary` answers; `secondary` also scores `percent` % of requests, unseen, for comparison.
    Shadow,
    /// `secondary` answers `percent` % of requests (a small share), `primary` the rest.
    Canary,
    /// `secondary` answers `percent` % of requests, `primary` the rest, to compare them.
    #[serde(rename = "ab")]
    AB,
    /// `primary` is live and `secondary` stands by; switching swaps them at once.
    BlueGreen,
}

/// `PUT /api/v1/models/{name}/policy`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentPolicy {
    /// The routing strategy.
    pub strategy: Strategy,
    /// The version that answers by default.
    pub primary: VersionRef,
    /// The other version (every strategy but `single`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary: Option<VersionRef>,
    /// The share of requests for `secondary`, 0 to 100 (shadow, canary, A/B).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<f64>,
    /// Why, for the audit log.
    #[serde(default)]
    pub reason: String,
}

/// `GET /api/v1/models/{name}/policy`: the policy and the versions it names now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyInfo {
    /// The policy as set.
    pub policy: DeploymentPolicy,
    /// The version `primary` names now.
    pub primary_version: u32,
    /// The version `secondary` names now.
    pub secondary_version: Option<u32>,
    /// Who set it.
    pub updated_by: String,
    /// When (Unix milliseconds).
    pub updated_at: i64,
}

/// What an alert rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertMetric {
    /// Predictions in the window.
    Volume,
    /// Share of predictions that failed.
    ErrorRate,
    /// 99th percentile of scoring latency (ms).
    LatencyP99Ms,
    /// Share of labelled predictions that were right.
    Accuracy,
    /// Accuracy estimated without labels (CBPE, as the dashboard's).
    EstimatedAccuracy,
    /// Share of columns drifted (the dashboard's drift: merged profiles, else the newest report).
    DriftShare,
}

/// `POST /api/v1/models/{name}/alert-rules`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAlertRule {
    /// A name for people.
    pub name: String,
    /// What it watches.
    pub metric: AlertMetric,
    /// Over the last this many minutes (1 to 43,200).
    pub window_minutes: u32,
    /// `above` or `below`.
    pub comparator: Comparator,
    /// The bar.
    pub threshold: f64,
    /// What should happen when it fires ("page the mentor", "roll back to champion", …).
    pub action: String,
}

/// Which side of the threshold fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    /// Fires when the value is above the threshold.
    Above,
    /// Fires when the value is below the threshold.
    Below,
}

/// A stored alert rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRule {
    /// The server's id for it.
    pub id: i64,
    /// The model it watches.
    pub model: String,
    /// The rule.
    #[serde(flatten)]
    pub rule: NewAlertRule,
    /// Who made it.
    pub created_by: String,
}

/// An alert: a rule fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The server's id for it.
    pub id: i64,
    /// The model.
    pub model: String,
    /// The rule that fired.
    pub rule_id: i64,
    /// The rule's name.
    pub rule: String,
    /// The value that crossed the threshold.
    pub value: f64,
    /// What should happen.
    pub action: String,
    /// A sentence saying what happened.
    pub message: String,
    /// When it fired (Unix milliseconds).
    pub fired_at: i64,
    /// Who acknowledged it, if anyone has.
    pub acknowledged_by: Option<String>,
    /// When.
    pub acknowledged_at: Option<i64>,
    /// Their note.
    pub note: Option<String>,
}

/// `POST /api/v1/alerts/{id}/ack`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertAck {
    /// What was done about it.
    #[serde(default)]
    pub note: String,
}

/// `GET /api/v1/models/{name}/dashboard`: how a model is doing in a time window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// The model.
    pub model: String,
    /// The window's start (Unix milliseconds, inclusive).
    pub from: i64,
    /// Its end (exclusive).
    pub to: i64,
    /// Predictions in the window.
    pub volume: u64,
    /// Predictions per version.
    pub volume_by_version: std::collections::BTreeMap<String, u64>,
    /// Predictions per predicted label (the 20 most frequent; for numbers, per decile edge).
    pub predictions: std::collections::BTreeMap<String, u64>,
    /// Share of predictions that failed.
    pub error_rate: Option<f64>,
    /// Latency percentiles (ms).
    pub latency_p50_ms: Option<f64>,
    /// 99th percentile.
    pub latency_p99_ms: Option<f64>,
    /// Share of labelled predictions that were right (classification).
    pub accuracy: Option<f64>,
    /// How many predictions have labels.
    pub labelled: u64,
    /// Accuracy estimated without labels: CBPE as NannyML computes it, each version's predictions
    /// calibrated with the reference its test rows gave at upload; versions weighted by the
    /// predictions each estimated. `None` without probabilities from a version with a reference.
    pub estimated_accuracy: Option<f64>,
    /// The low end of the band the realized accuracy should fall within (see
    /// [`SeriesBucket::estimated_accuracy_lower`]); `None` with no estimate.
    #[serde(default)]
    pub estimated_accuracy_lower: Option<f64>,
    /// The band's high end.
    #[serde(default)]
    pub estimated_accuracy_upper: Option<f64>,
    /// Predictions in the window a mentor overrode (by prediction id).
    #[serde(default)]
    pub overrides: u64,
    /// `overrides` over `volume` (`None` when the volume is 0).
    #[serde(default)]
    pub override_rate: Option<f64>,
    /// Drift in the window: from the merged profiles of the newest version that sent any, else
    /// from the newest drift report.
    pub drift: Option<DriftSummary>,
    /// The newest event's time, and how old it is (seconds).
    pub last_event_at: Option<i64>,
    /// Age of the newest event when the summary was made.
    pub freshness_seconds: Option<f64>,
    /// Alerts not yet acknowledged.
    pub open_alerts: Vec<Alert>,
}

/// The drift a dashboard shows for its window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftSummary {
    /// Where the verdicts come from.
    pub source: DriftSource,
    /// The version checked.
    pub version: u32,
    /// When the newest profile or the report was made (Unix milliseconds).
    pub at: i64,
    /// Profiles merged (0 for a report).
    pub batches: u64,
    /// Rows checked (from a report, its current rows; 0 when it does not say).
    pub rows: u64,
    /// Whether the data set drifted.
    pub dataset_drift: bool,
    /// Share of columns drifted.
    pub drifted_share: f64,
    /// Each column's verdict.
    pub columns: Vec<ColumnDrift>,
}

/// Where a [`DriftSummary`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftSource {
    /// The server merged the profiles clients sent in the window (no raw rows) and checked them
    /// against the version's training profile, which its bundle carries.
    Profiles,
    /// The newest drift report a client computed and sent (when no profile came in the window).
    Report,
}

/// One column of a [`DriftSummary`]. From merged profiles, the whole verdict the core computed
/// (`tabml::drift::ColumnDrift`); from a stored report, what the report says (the fields it lacks
/// stay empty or `None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDrift {
    /// The column.
    pub column: String,
    /// The test (`ks`, `chisquare`, `psi`…).
    pub test: String,
    /// The number held against the threshold: the p-value for tests that have one, else the
    /// statistic (a distance). From a report, its `statistic`.
    pub statistic: f64,
    /// Whether it drifted.
    pub drift: bool,
    /// How the column was treated.
    #[serde(default)]
    pub kind: Option<crate::drift::DriftKind>,
    /// Why this test.
    #[serde(default)]
    pub reason: String,
    /// The test's own statistic (KS's D, chi-square's χ², z, or the distance); `None` when
    /// infinite or not known.
    #[serde(default)]
    pub test_statistic: Option<f64>,
    /// The p-value, for tests that have one.
    #[serde(default)]
    pub p_value: Option<f64>,
    /// The threshold the p-value (or the distance) was held against.
    #[serde(default)]
    pub threshold: Option<f64>,
    /// Both sides binned, for a plot.
    #[serde(default)]
    pub distribution: Option<crate::drift::Distribution>,
}

impl ColumnDrift {
    /// The core's verdict back, when every part of it is here (from merged profiles; a stored
    /// report's columns may lack some).
    pub fn verdict(&self) -> Option<crate::drift::ColumnDrift> {
        Some(crate::drift::ColumnDrift {
            column: self.column.clone(),
            kind: self.kind?,
            test: crate::drift::DriftTest::from_name(&self.test)?,
            reason: self.reason.clone(),
            statistic: self.test_statistic.unwrap_or(f64::INFINITY),
            p_value: self.p_value,
            threshold: self.threshold?,
            drift: self.drift,
            reference_rows: 0,
            current_rows: 0,
            distinct: None,
            distribution: self.distribution.clone()?,
        })
    }
}

/// `GET /api/v1/models/{name}/series`: how a model did over time, one bucket per step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The model.
    pub model: String,
    /// The span's start (Unix milliseconds, inclusive): the first bucket's start.
    pub from: i64,
    /// Its end (exclusive); the last bucket ends here, however short that makes it.
    pub to: i64,
    /// The bucket size, in seconds.
    pub step: u64,
    /// Every bucket from `from`, empty ones included.
    pub buckets: Vec<SeriesBucket>,
}

/// One bucket of a [`Series`]: a [`Dashboard`]'s figures over `step` seconds from `from`. A bucket
/// without predictions has volume 0 and every other figure `None`, its drift share aside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesBucket {
    /// The bucket's start (Unix milliseconds, inclusive).
    pub from: i64,
    /// Predictions in the bucket.
    pub volume: u64,
    /// Predictions per version (empty when the volume is 0).
    #[serde(default)]
    pub volume_by_version: std::collections::BTreeMap<String, u64>,
    /// Predictions per predicted label, as [`Dashboard::predictions`] counts them over the bucket.
    #[serde(default)]
    pub predictions: std::collections::BTreeMap<String, u64>,
    /// Share of predictions that failed.
    pub error_rate: Option<f64>,
    /// Latency percentiles (ms), as `numpy.percentile` computes them.
    pub latency_p50_ms: Option<f64>,
    /// 99th percentile.
    pub latency_p99_ms: Option<f64>,
    /// Predictions that did not fail and have a label.
    pub labelled: Option<u64>,
    /// Share of labelled predictions that were right (classification).
    pub accuracy: Option<f64>,
    /// Accuracy estimated without labels (CBPE, as [`Dashboard::estimated_accuracy`]).
    pub estimated_accuracy: Option<f64>,
    /// The low end of the band the realized accuracy should fall within: CBPE's, value ± 3 sampling
    /// errors of the version's reference (clipped to 0–1) as `tabml::drift::estimate_performance`
    /// gives it; over several versions, around the weighted estimate with the weighted errors
    /// combined (the square root of Σ wᵢ² σᵢ²). The value alone when a version's reference has no
    /// sampling error. `None` with no estimate.
    #[serde(default)]
    pub estimated_accuracy_lower: Option<f64>,
    /// The band's high end.
    #[serde(default)]
    pub estimated_accuracy_upper: Option<f64>,
    /// Predictions in the bucket a mentor overrode (`None` when the volume is 0).
    #[serde(default)]
    pub overrides: Option<u64>,
    /// `overrides` over `volume` (`None` when the volume is 0).
    #[serde(default)]
    pub override_rate: Option<f64>,
    /// Share of columns drifted: of the profiles sent in the bucket, merged, else of the newest
    /// drift report sent in it.
    pub drift_share: Option<f64>,
}

/// `GET /api/v1/classes/{name}/overview`: every model of a class and how it did in the last 24
/// hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassOverview {
    /// The class's name.
    pub class: String,
    /// Its models, by name.
    pub models: Vec<ModelHealth>,
}

/// One model of a [`ClassOverview`]: its [`Dashboard`] of the last 24 hours, at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelHealth {
    /// The model.
    pub name: String,
    /// Who registered it.
    pub owner: String,
    /// The newest version in production.
    pub production_version: Option<u32>,
    /// The version the `champion` alias names.
    pub champion_version: Option<u32>,
    /// When its newest event of any kind happened (Unix milliseconds, at any time).
    pub last_event_at: Option<i64>,
    /// Predictions in the last 24 hours.
    pub volume: u64,
    /// Share of labelled predictions that were right.
    pub accuracy: Option<f64>,
    /// Accuracy estimated without labels (CBPE).
    pub estimated_accuracy: Option<f64>,
    /// Share of columns drifted.
    pub drift_share: Option<f64>,
    /// 99th percentile of scoring latency (ms).
    pub latency_p99_ms: Option<f64>,
    /// Share of predictions that failed.
    pub error_rate: Option<f64>,
    /// Predictions in the last 24 hours a mentor overrode.
    #[serde(default)]
    pub overrides: u64,
    /// `overrides` over `volume` (`None` when the volume is 0).
    #[serde(default)]
    pub override_rate: Option<f64>,
    /// Alerts not yet acknowledged.
    pub open_alerts: u64,
}

/// `POST /api/v1/models/{name}/predictions/{prediction_id}/override`: a mentor's answer in place of
/// the model's, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOverride {
    /// The right output, as a label event carries it (a class's name, a number…; not null).
    pub label: serde_json::Value,
    /// Why (required, at most 2,000 bytes).
    pub reason: String,
}

/// A prediction a mentor overrode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionOverride {
    /// The server's id for the override (a newer override of the same prediction gets a new one).
    pub id: i64,
    /// The model.
    pub model: String,
    /// The prediction overridden.
    pub prediction_id: String,
    /// The version that made it.
    pub version: u32,
    /// When it was made (the client's time, Unix milliseconds).
    pub predicted_at: i64,
    /// The model's output (`None` when scoring failed).
    pub output: Option<serde_json::Value>,
    /// The mentor's answer.
    pub label: serde_json::Value,
    /// Why.
    pub reason: String,
    /// Who overrode it.
    pub by: String,
    /// When (the server's time, Unix milliseconds).
    pub at: i64,
}

/// `GET /api/v1/models/{name}/overrides`: one page, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverridePage {
    /// The overrides.
    pub overrides: Vec<PredictionOverride>,
    /// Pass as `before` for the next page, if there is one.
    pub next_before: Option<i64>,
}
