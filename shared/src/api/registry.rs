//! The model registry: models, versions and their stages, aliases, retirement and the audit log.

use serde::{Deserialize, Serialize};

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
