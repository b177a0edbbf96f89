//! The model registry: registered models in their classes, their versions (bundles kept as blobs
//! under server ids), and search. Aliases, stages, retirement and the audit log are in
//! `lifecycle.rs`.
//!
//! Beside each version, in `version_references`, is what monitoring compares its traffic with: the
//! training profile and the CBPE reference, read off the bundle once at upload (or, for versions
//! stored before, by migration step 6), so no dashboard or alert rule decodes a bundle. They are
//! `postcard`, as in the bundle's payload; a change to `DataProfile` or `CbpeReference` that changes
//! their encoding needs a migration step that reads them off the bundles again.

use super::{now_ms, Storage, StorageError};
use rusqlite::{params, OptionalExtension, Transaction};
use std::collections::BTreeMap;
use tabml::api::{ModelInfo, ModelPage, ModelPatch, NewModel, Stage, VersionInfo};
use tabml::drift::{CbpeReference, DataProfile};
use tabml::ModelBundle;

/// What permission checks need to know about a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelAccess {
    /// The server's id for the model.
    pub id: i64,
    /// Who registered it.
    pub owner_id: i64,
    /// Whether the owner is a mentor or an admin.
    pub owner_is_staff: bool,
    /// The class the model belongs to, by name (its members report on it).
    pub class: Option<String>,
    /// That class's mentor (who manages the class's models).
    pub class_mentor_id: Option<i64>,
    /// Whether that class lets owners promote their own models.
    pub owners_may_promote: bool,
}

/// A model of a class, as the class's overview lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassModel {
    /// The server's id for the model.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Who registered it.
    pub owner: String,
    /// The newest version in production.
    pub production_version: Option<u32>,
    /// The version the `champion` alias names.
    pub champion_version: Option<u32>,
}

/// A search of the registry.
#[derive(Debug, Clone, Default)]
pub struct ModelFilter {
    /// Part of the name or description.
    pub query: Option<String>,
    /// The owner's name.
    pub owner: Option<String>,
    /// A tag the model carries.
    pub tag: Option<String>,
    /// Models with a version in this stage.
    pub stage: Option<Stage>,
    /// At most this many on the page.
    pub limit: u32,
    /// Skip this many first.
    pub offset: u64,
}

/// Which version of a model to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSelector {
    /// By number.
    Number(u32),
    /// The version an alias names.
    Alias(String),
    /// The newest version in a stage.
    Stage(Stage),
}

/// A version's facts read off its bundle at upload.
#[derive(Debug, Clone)]
pub struct UploadFacts {
    /// SHA-256 of the bundle bytes.
    pub digest: String,
    /// Model family.
    pub kind: String,
    /// Target column.
    pub target: String,
    /// `classification` or `regression`.
    pub task: String,
    /// What monitoring compares the version's traffic with.
    pub reference: VersionReference,
}

/// What monitoring compares a version's traffic with, kept beside the version.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionReference {
    /// The training rows' profile (and the model's outputs on them), for drift.
    pub profile: DataProfile,
    /// CBPE's reference from the model's test rows (a classifier that kept some), for performance
    /// estimated without labels.
    pub cbpe: Option<CbpeReference>,
}

impl VersionReference {
    /// The reference a bundle carries.
    pub fn of(bundle: &ModelBundle) -> Self {
        Self {
            profile: bundle.profile.clone(),
            cbpe: bundle.evaluation.as_ref().and_then(CbpeReference::of_evaluation),
        }
    }
}

/// A bundle to send: its version and digest, and its bytes unless the client already has them.
#[derive(Debug, Clone)]
pub struct BundleBlob {
    /// The version it is.
    pub version: u32,
    /// Its SHA-256, the ETag.
    pub digest: String,
    /// The bytes; `None` when the client's `If-None-Match` named this digest.
    pub bytes: Option<Vec<u8>>,
}

const VERSION_COLUMNS: &str =
    "v.version, v.digest, v.size, v.kind, v.target, v.task, v.stage, u.name, v.created_at, v.retired_reason";

impl Storage {
    /// Registers a model owned by `owner_id` in class `class_id` (none: staff only).
    pub fn create_model(
        &self,
        owner_id: i64,
        class_id: Option<i64>,
        model: &NewModel,
    ) -> Result<ModelInfo, StorageError> {
        self.write(|tx| {
            let taken: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM models WHERE name = ?1)", params![model.name], |r| r.get(0))?;
            if taken {
                return Err(StorageError::Conflict(format!("a model called {:?} is already registered", model.name)));
            }
            let card = model.card.as_ref().map(|c| c.to_string());
            tx.execute(
                "INSERT INTO models (name, description, card, tags, owner_id, created_at, class_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![model.name, model.description, card, json(&model.tags), owner_id, now_ms(), class_id],
            )?;
            let id = tx.last_insert_rowid();
            audit(tx, id, owner_id, "register", &model.name, "", "", "")?;
            model_info(tx, id)
        })
    }

    /// The id and owner of the model called `name`.
    pub fn model_access(&self, name: &str) -> Result<ModelAccess, StorageError> {
        self.read(|c| access_where(c, "m.name = ?1", &name)?.ok_or_else(|| no_model(name)))
    }

    /// The id and owner of the model with this id.
    pub fn model_owner(&self, model_id: i64) -> Result<ModelAccess, StorageError> {
        self.read(|c| {
            access_where(c, "m.id = ?1", &model_id)?
                .ok_or_else(|| StorageError::NotFound(format!("no model with id {model_id}")))
        })
    }

    /// The class a new model goes into: the learner's own; for staff, the class they name, which a
    /// mentor must teach (an admin may name any).
    pub fn class_for_new_model(
        &self,
        owner_id: i64,
        named: Option<&str>,
    ) -> Result<Option<i64>, StorageError> {
        self.read(|c| {
            let (role, own_class): (String, Option<i64>) =
                c.query_row("SELECT role, class_id FROM users WHERE id = ?1", params![owner_id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            let Some(named) = named else {
                return Ok(if role == "learner" { own_class } else { None });
            };
            if role == "learner" {
                return Err(StorageError::Forbidden(
                    "class: a learner's models go into their own class; leave `class` out".into(),
                ));
            }
            let (class_id, mentor_id): (i64, i64) = c
                .query_row("SELECT id, mentor_id FROM classes WHERE name = ?1", params![named], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?
                .ok_or_else(|| StorageError::NotFound(format!("there is no class called {named:?}")))?;
            if role == "mentor" && mentor_id != owner_id {
                return Err(StorageError::Forbidden(format!("class {named:?}: you do not teach it")));
            }
            Ok(Some(class_id))
        })
    }

    /// The models of the class called `class`, by name.
    pub fn class_models(&self, class: &str) -> Result<Vec<ClassModel>, StorageError> {
        self.read(|c| {
            let class_id: i64 = c
                .query_row("SELECT id FROM classes WHERE name = ?1", params![class], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StorageError::NotFound(format!("no class called {class:?}")))?;
            let mut statement = c.prepare_cached(
                "SELECT m.id, m.name, u.name,
                        (SELECT MAX(v.version) FROM versions v WHERE v.model_id = m.id AND v.stage = 'production'),
                        (SELECT a.version FROM aliases a WHERE a.model_id = m.id AND a.alias = 'champion')
                 FROM models m JOIN users u ON u.id = m.owner_id WHERE m.class_id = ?1 ORDER BY m.name",
            )?;
            let models = statement.query_map(params![class_id], |r| {
                Ok(ClassModel {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    owner: r.get(2)?,
                    production_version: r.get(3)?,
                    champion_version: r.get(4)?,
                })
            })?;
            Ok(models.collect::<Result<_, _>>()?)
        })
    }

    /// Whether the model has this version (retired or not).
    pub fn has_version(&self, model_id: i64, version: u32) -> Result<bool, StorageError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM versions WHERE model_id = ?1 AND version = ?2)",
                params![model_id, version],
                |r| r.get(0),
            )?)
        })
    }

    /// The registered model with this id.
    pub fn model(&self, model_id: i64) -> Result<ModelInfo, StorageError> {
        self.read(|c| model_info(c, model_id))
    }

    /// Changes a model's description, card or tags.
    pub fn update_model(
        &self,
        model_id: i64,
        actor_id: i64,
        patch: &ModelPatch,
    ) -> Result<ModelInfo, StorageError> {
        self.write(|tx| {
            if let Some(description) = &patch.description {
                tx.execute(
                    "UPDATE models SET description = ?2 WHERE id = ?1",
                    params![model_id, description],
                )?;
            }
            if let Some(card) = &patch.card {
                tx.execute("UPDATE models SET card = ?2 WHERE id = ?1", params![model_id, card.to_string()])?;
            }
            if let Some(tags) = &patch.tags {
                let old: String =
                    tx.query_row("SELECT tags FROM models WHERE id = ?1", params![model_id], |r| r.get(0))?;
                tx.execute("UPDATE models SET tags = ?2 WHERE id = ?1", params![model_id, json(tags)])?;
                audit(tx, model_id, actor_id, "tags", "tags", &old, &json(tags), "")?;
            }
            if patch.description.is_some() || patch.card.is_some() {
                audit(tx, model_id, actor_id, "describe", "description and card", "", "", "")?;
            }
            model_info(tx, model_id)
        })
    }

    /// One page of the registered models matching `filter`, by name.
    pub fn search_models(&self, filter: &ModelFilter) -> Result<ModelPage, StorageError> {
        self.read(|c| {
            let condition = "(?1 IS NULL OR instr(lower(m.name), lower(?1)) > 0 OR instr(lower(m.description), lower(?1)) > 0)
                AND (?2 IS NULL OR o.name = ?2)
                AND (?3 IS NULL OR EXISTS (SELECT 1 FROM json_each(m.tags) t WHERE t.value = ?3))
                AND (?4 IS NULL OR EXISTS (SELECT 1 FROM versions v WHERE v.model_id = m.id AND v.stage = ?4))";
            let stage = filter.stage.map(Stage::as_str);
            let args = params![filter.query, filter.owner, filter.tag, stage];
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM models m JOIN users o ON o.id = m.owner_id WHERE {condition}"),
                args,
                |r| r.get(0),
            )?;
            let mut statement = c.prepare(&format!(
                "SELECT m.id FROM models m JOIN users o ON o.id = m.owner_id WHERE {condition}
                 ORDER BY m.name LIMIT ?5 OFFSET ?6"
            ))?;
            let ids = statement
                .query_map(params![filter.query, filter.owner, filter.tag, stage, filter.limit, filter.offset as i64], |r| {
                    r.get::<_, i64>(0)
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let models = ids.into_iter().map(|id| model_info(c, id)).collect::<Result<Vec<_>, _>>()?;
            let next_offset = super::next_offset(filter.offset, models.len(), total);
            Ok(ModelPage { models, total: total as u64, next_offset })
        })
    }

    /// Stores a new version of a model: the next number, its bundle as a blob. Refuses a bundle that
    /// predicts another target or task than the model's earlier versions.
    pub fn add_version(
        &self,
        model_id: i64,
        actor_id: i64,
        facts: &UploadFacts,
        bytes: &[u8],
    ) -> Result<VersionInfo, StorageError> {
        self.write(|tx| {
            let first: Option<(String, String)> = tx
                .query_row(
                    "SELECT target, task FROM versions WHERE model_id = ?1 ORDER BY version LIMIT 1",
                    params![model_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((target, task)) = first {
                if target != facts.target || task != facts.task {
                    return Err(StorageError::Conflict(format!(
                        "this model's versions predict {target:?} ({task}); the bundle predicts {:?} ({}); register it under a new name",
                        facts.target, facts.task
                    )));
                }
            }
            let version: u32 = tx.query_row(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM versions WHERE model_id = ?1",
                params![model_id],
                |r| r.get(0),
            )?;
            tx.execute("INSERT INTO blobs (data) VALUES (?1)", params![bytes])?;
            let blob = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO versions (model_id, version, blob_id, digest, size, kind, target, task, created_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    model_id, version, blob, facts.digest, bytes.len() as i64, facts.kind, facts.target,
                    facts.task, actor_id, now_ms()
                ],
            )?;
            insert_reference(tx, model_id, version, &facts.reference)?;
            audit(tx, model_id, actor_id, "upload", &format!("version {version}"), "", &facts.digest, "")?;
            version_info(tx, model_id, version)
        })
    }

    /// What monitoring compares a version's traffic with (`None`: no such version, or its bundle
    /// had none this build can read).
    pub fn version_reference(
        &self,
        model_id: i64,
        version: u32,
    ) -> Result<Option<VersionReference>, StorageError> {
        let row: Option<(Vec<u8>, Option<Vec<u8>>)> = self.read(|c| {
            Ok(c.query_row(
                "SELECT profile, cbpe FROM version_references WHERE model_id = ?1 AND version = ?2",
                params![model_id, version],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
        })?;
        Ok(row.and_then(|(profile, cbpe)| {
            Some(VersionReference {
                profile: postcard::from_bytes(&profile).ok()?,
                cbpe: cbpe.and_then(|cbpe| postcard::from_bytes(&cbpe).ok()),
            })
        }))
    }

    /// Every version of a model, oldest first.
    pub fn versions(&self, model_id: i64) -> Result<Vec<VersionInfo>, StorageError> {
        self.read(|c| {
            let numbers = c
                .prepare("SELECT version FROM versions WHERE model_id = ?1 ORDER BY version")?
                .query_map(params![model_id], |r| r.get::<_, u32>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            numbers.into_iter().map(|n| version_info(c, model_id, n)).collect()
        })
    }

    /// One version's facts.
    pub fn version(&self, model_id: i64, version: u32) -> Result<VersionInfo, StorageError> {
        self.read(|c| version_info(c, model_id, version))
    }

    /// A version's bundle; without the bytes when `if_none_match` is its digest.
    pub fn bundle(
        &self,
        model_id: i64,
        selector: &VersionSelector,
        if_none_match: Option<&str>,
    ) -> Result<BundleBlob, StorageError> {
        self.read(|c| {
            let found: Option<(u32, String, i64)> = match selector {
                VersionSelector::Number(n) => c
                    .query_row(
                        "SELECT version, digest, blob_id FROM versions WHERE model_id = ?1 AND version = ?2",
                        params![model_id, n],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?,
                VersionSelector::Alias(alias) => c
                    .query_row(
                        "SELECT v.version, v.digest, v.blob_id FROM aliases a
                         JOIN versions v ON v.model_id = a.model_id AND v.version = a.version
                         WHERE a.model_id = ?1 AND a.alias = ?2",
                        params![model_id, alias],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?,
                VersionSelector::Stage(stage) => c
                    .query_row(
                        "SELECT version, digest, blob_id FROM versions WHERE model_id = ?1 AND stage = ?2
                         ORDER BY version DESC LIMIT 1",
                        params![model_id, stage.as_str()],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?,
            };
            let (version, digest, blob) = found.ok_or_else(|| {
                StorageError::NotFound(match selector {
                    VersionSelector::Number(n) => format!("the model has no version {n}"),
                    VersionSelector::Alias(a) => format!("the model has no alias {a:?}"),
                    VersionSelector::Stage(s) => format!("the model has no version in stage {}", s.as_str()),
                })
            })?;
            let bytes = if if_none_match == Some(digest.as_str()) {
                None
            } else {
                Some(c.query_row("SELECT data FROM blobs WHERE id = ?1", params![blob], |r| r.get(0))?)
            };
            Ok(BundleBlob { version, digest, bytes })
        })
    }
}

fn access_where(
    c: &rusqlite::Connection,
    condition: &str,
    key: &dyn rusqlite::ToSql,
) -> Result<Option<ModelAccess>, StorageError> {
    Ok(c.query_row(
        &format!(
            "SELECT m.id, m.owner_id, u.role != 'learner', c.name, c.mentor_id, COALESCE(c.owners_may_promote, 0)
             FROM models m JOIN users u ON u.id = m.owner_id LEFT JOIN classes c ON c.id = m.class_id WHERE {condition}"
        ),
        [key],
        |r| {
            Ok(ModelAccess {
                id: r.get(0)?,
                owner_id: r.get(1)?,
                owner_is_staff: r.get(2)?,
                class: r.get(3)?,
                class_mentor_id: r.get(4)?,
                owners_may_promote: r.get(5)?,
            })
        },
    )
    .optional()?)
}

fn no_model(name: &str) -> StorageError {
    StorageError::NotFound(format!("no model called {name:?} is registered"))
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

/// Bumps a model's change counter (see [`Storage::changes`]), in the caller's transaction.
pub(super) fn touch(tx: &Transaction, model_id: i64) -> Result<(), StorageError> {
    tx.prepare_cached("UPDATE models SET changes = changes + 1 WHERE id = ?1")?.execute(params![model_id])?;
    Ok(())
}

/// Writes a line of the model's audit log, and bumps its change counter: every change to a model
/// is audited, so every such change is counted.
#[allow(clippy::too_many_arguments)]
pub(super) fn audit(
    tx: &Transaction,
    model_id: i64,
    actor_id: i64,
    action: &str,
    subject: &str,
    from: &str,
    to: &str,
    reason: &str,
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO audit (model_id, actor_id, at, action, subject, from_value, to_value, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![model_id, actor_id, now_ms(), action, subject, from, to, reason],
    )?;
    touch(tx, model_id)
}

fn model_info(c: &rusqlite::Connection, model_id: i64) -> Result<ModelInfo, StorageError> {
    type Row = (String, String, Option<String>, String, String, i64, Option<String>);
    let (name, description, card, tags, owner, created_at, class): Row = c
        .query_row(
            "SELECT m.name, m.description, m.card, m.tags, u.name, m.created_at, c.name
             FROM models m JOIN users u ON u.id = m.owner_id LEFT JOIN classes c ON c.id = m.class_id WHERE m.id = ?1",
            params![model_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
        )
        .optional()?
        .ok_or_else(|| StorageError::NotFound(format!("no model with id {model_id}")))?;
    let latest_version: u32 = c.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM versions WHERE model_id = ?1",
        params![model_id],
        |r| r.get(0),
    )?;
    let aliases = c
        .prepare_cached("SELECT alias, version FROM aliases WHERE model_id = ?1")?
        .query_map(params![model_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    Ok(ModelInfo {
        name,
        description,
        card: card.and_then(|c| serde_json::from_str(&c).ok()),
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        owner,
        class,
        created_at,
        latest_version,
        aliases,
    })
}

pub(super) fn version_info(
    c: &rusqlite::Connection,
    model_id: i64,
    version: u32,
) -> Result<VersionInfo, StorageError> {
    let model: String =
        c.query_row("SELECT name FROM models WHERE id = ?1", params![model_id], |r| r.get(0))?;
    let info = c
        .query_row(
            &format!(
                "SELECT {VERSION_COLUMNS} FROM versions v JOIN users u ON u.id = v.created_by
                 WHERE v.model_id = ?1 AND v.version = ?2"
            ),
            params![model_id, version],
            |r| {
                let stage: String = r.get(6)?;
                Ok(VersionInfo {
                    model: model.clone(),
                    version: r.get(0)?,
                    digest: r.get(1)?,
                    size: r.get::<_, i64>(2)? as u64,
                    kind: r.get(3)?,
                    target: r.get(4)?,
                    task: r.get(5)?,
                    stage: Stage::parse(&stage).unwrap_or(Stage::None),
                    aliases: Vec::new(),
                    created_by: r.get(7)?,
                    created_at: r.get(8)?,
                    retired: r.get(9)?,
                })
            },
        )
        .optional()?
        .ok_or_else(|| StorageError::NotFound(format!("model {model:?} has no version {version}")))?;
    let aliases = c
        .prepare_cached("SELECT alias FROM aliases WHERE model_id = ?1 AND version = ?2 ORDER BY alias")?
        .query_map(params![model_id, version], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(VersionInfo { aliases, ..info })
}

/// Keeps a version's reference beside it.
pub(super) fn insert_reference(
    tx: &Transaction,
    model_id: i64,
    version: u32,
    reference: &VersionReference,
) -> rusqlite::Result<()> {
    fn encode<T: serde::Serialize>(value: &T) -> rusqlite::Result<Vec<u8>> {
        postcard::to_allocvec(value)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.to_string().into()))
    }
    let profile = encode(&reference.profile)?;
    let cbpe = reference.cbpe.as_ref().map(encode).transpose()?;
    tx.execute(
        "INSERT INTO version_references (model_id, version, profile, cbpe) VALUES (?1, ?2, ?3, ?4)",
        params![model_id, version, profile, cbpe],
    )?;
    Ok(())
}
