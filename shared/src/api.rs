//! The wire types of the server's HTTP API (`/api/v1`), shared by the server, the app and the tests.

use serde::{Deserialize, Serialize};

/// `GET /api/v1/health`: is the server up, which version, and can it reach its database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `"ok"` when every part works, `"degraded"` otherwise.
    pub status: String,
    /// The server's version (the `tabml` library version it was built with).
    pub version: String,
    /// The state of the database.
    pub database: DatabaseHealth,
}

/// The database part of [`Health`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseHealth {
    /// `"ok"` when a query just succeeded, `"error"` otherwise.
    pub status: String,
    /// The storage engine, such as `"sqlite"`.
    pub engine: String,
    /// The schema version the database has been migrated to.
    pub schema_version: u32,
}

/// The body of every error answer: a stable machine-readable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// A stable identifier such as `"not_found"`; clients match on this, never on the message.
    pub code: String,
    /// What went wrong, in a sentence.
    pub message: String,
}

/// A user's role: what they may change on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Trains, registers and monitors their own models.
    Learner,
    /// Runs a class: promotes to production, sets deployment policies and alert rules.
    Mentor,
    /// Everything, including making users.
    Admin,
}

impl Role {
    /// The role's name on the wire and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Learner => "learner",
            Role::Mentor => "mentor",
            Role::Admin => "admin",
        }
    }

    /// The role named `text`, if any.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "learner" => Some(Role::Learner),
            "mentor" => Some(Role::Mentor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The user's name.
    pub name: String,
    /// The user's password.
    pub password: String,
}

/// `POST /api/v1/auth/signup`: a learner joins a class with the code its mentor gave out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// The new user's name.
    pub name: String,
    /// Their password (at least 8 characters).
    pub password: String,
    /// The class's join code.
    pub join_code: String,
}

/// The answer to a sign-in or sign-up: a bearer token, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer TOKEN`.
    pub token: String,
    /// When the token stops working (Unix milliseconds).
    pub expires_at: i64,
    /// Who signed in.
    pub user: UserInfo,
}

/// A user as others see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// The user's name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// The class they belong to, if any.
    pub class: Option<String>,
}

/// `POST /api/v1/classes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewClass {
    /// The class's name.
    pub name: String,
    /// Whether a learner may promote their own models to production and set their policies and
    /// alert rules (otherwise only a mentor may).
    #[serde(default)]
    pub owners_may_promote: bool,
}

/// A class, as its mentor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassInfo {
    /// The class's name.
    pub name: String,
    /// The mentor who made it.
    pub mentor: String,
    /// See [`NewClass::owners_may_promote`].
    pub owners_may_promote: bool,
    /// The code learners sign up with; present only in the answer that made the class.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub join_code: Option<String>,
    /// How many learners have joined.
    pub learners: u64,
}

/// `POST /api/v1/models`: registers a model name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewModel {
    /// Letters, digits, `-`, `_` and `.`; 1 to 64 characters, not starting with `.`.
    pub name: String,
    /// What the model is for.
    #[serde(default)]
    pub description: String,
    /// The problem card (stage 1), as the app writes it.
    #[serde(default)]
    pub card: Option<serde_json::Value>,
    /// Free labels to search by.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The class it belongs to: a learner's model is in their own class (leave this out); a mentor
    /// names one of their classes to hand the model out to it, or leaves it out to keep it to staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
}

/// `PATCH /api/v1/models/{name}`: changes the fields given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPatch {
    /// A new description.
    #[serde(default)]
    pub description: Option<String>,
    /// A new problem card.
    #[serde(default)]
    pub card: Option<serde_json::Value>,
    /// New tags (replacing the old).
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

/// A registered model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Its problem card.
    pub card: Option<serde_json::Value>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Who registered it.
    pub owner: String,
    /// The class it belongs to: its members report on it, its mentor manages it (none: staff only).
    pub class: Option<String>,
    /// When (Unix milliseconds).
    pub created_at: i64,
    /// The newest version's number (0 before the first upload).
    pub latest_version: u32,
    /// Alias → version.
    pub aliases: std::collections::BTreeMap<String, u32>,
}

/// `GET /api/v1/models`: one page of the search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelPage {
    /// The models on this page, by name.
    pub models: Vec<ModelInfo>,
    /// How many models match in all.
    pub total: u64,
    /// Where the next page starts, if there is one.
    pub next_offset: Option<u64>,
}

/// A version's stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Just uploaded.
    None,
    /// Being tried.
    Staging,
    /// Serving.
    Production,
    /// Kept for the record.
    Archived,
}

impl Stage {
    /// The stage's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::None => "none",
            Stage::Staging => "staging",
            Stage::Production => "production",
            Stage::Archived => "archived",
        }
    }

    /// The stage named `text`, if any.
    pub fn parse(text: &str) -> Option<Stage> {
        match text {
            "none" => Some(Stage::None),
            "staging" => Some(Stage::Staging),
            "production" => Some(Stage::Production),
            "archived" => Some(Stage::Archived),
            _ => None,
        }
    }
}

/// One version of a registered model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// The model's name.
    pub model: String,
    /// The number the server gave it (1, 2, …).
    pub version: u32,
    /// The bundle's SHA-256 (also its ETag).
    pub digest: String,
    /// The bundle's size in bytes.
    pub size: u64,
    /// The model family (`logreg`, `forest`, …).
    pub kind: String,
    /// The column it predicts.
    pub target: String,
    /// `classification` or `regression`.
    pub task: String,
    /// Its stage.
    pub stage: Stage,
    /// The aliases pointing at it.
    pub aliases: Vec<String>,
    /// Who uploaded it.
    pub created_by: String,
    /// When (Unix milliseconds).
    pub created_at: i64,
    /// Why it was retired, if it was.
    pub retired: Option<String>,
}

/// `PUT /api/v1/models/{name}/aliases/{alias}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AliasMove {
    /// The version the alias should name.
    pub version: u32,
    /// Why, for the audit log.
    pub reason: String,
}

/// `PUT /api/v1/models/{name}/versions/{n}/stage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageChange {
    /// The new stage.
    pub stage: Stage,
    /// Why, for the audit log.
    pub reason: String,
}

/// `POST /api/v1/models/{name}/versions/{n}/retire`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retirement {
    /// Why the version is retired; kept in the registry.
    pub reason: String,
}

/// One entry of a model's audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Who made the change.
    pub actor: String,
    /// When (Unix milliseconds).
    pub at: i64,
    /// `register`, `upload`, `alias`, `stage`, `retire`, `policy`, …
    pub action: String,
    /// What changed: an alias name, a version, …
    pub subject: String,
    /// The value before (empty when there was none).
    pub from: String,
    /// The value after.
    pub to: String,
    /// The reason given.
    pub reason: String,
}

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
    /// Mean top-class probability: accuracy expected if the probabilities are calibrated.
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
    /// Mean top-class probability (the accuracy to expect if the probabilities are calibrated).
    pub estimated_accuracy: Option<f64>,
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

/// One column of a [`DriftSummary`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDrift {
    /// The column.
    pub column: String,
    /// The test.
    pub test: String,
    /// Its statistic.
    pub statistic: f64,
    /// Whether it drifted.
    pub drift: bool,
}
