//! A version's life after upload: aliases that point at it, the stage it is in, retirement, and the
//! audit log that records each change. What changes what serves production is checked here, in the
//! changing transaction, against the deployment policy and the stages stored.

use super::registry::{audit, version_info};
use super::{Storage, StorageError};
use rusqlite::{params, OptionalExtension};
use tabml::api::{AuditEntry, DeploymentPolicy, Stage, VersionInfo, VersionRef};

/// How far a caller's say over a model goes, as the routes decided it from their role, ownership and
/// class. Storage checks what depends on stored state (which versions a policy serves, which are in
/// production) inside the same transaction as the change, so no change slips in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// The owner (or staff) may change the model, but not what serves production.
    Manager,
    /// May also change what serves production: a mentor, an admin, or an owner whose class allows it.
    Promoter,
}

impl Storage {
    /// Points `alias` at `version` (creating the alias if new), with the reason in the audit log.
    pub fn move_alias(
        &self,
        model_id: i64,
        actor_id: i64,
        alias: &str,
        version: u32,
        reason: &str,
        authority: Authority,
    ) -> Result<VersionInfo, StorageError> {
        self.write(|tx| {
            live_version(tx, model_id, version, "an alias cannot name it")?;
            let old: Option<u32> = tx
                .query_row(
                    "SELECT version FROM aliases WHERE model_id = ?1 AND alias = ?2",
                    params![model_id, alias],
                    |r| r.get(0),
                )
                .optional()?;
            if authority == Authority::Manager {
                // A policy that follows this alias would serve whatever it is moved to.
                if policy_refs(tx, model_id)?.iter().any(|r| r.alias.as_deref() == Some(alias)) {
                    return Err(StorageError::Forbidden(format!(
                        "the deployment policy follows the alias {alias:?}: moving it needs a mentor"
                    )));
                }
                if let Some(old) = old {
                    if version_info(tx, model_id, old)?.stage == Stage::Production {
                        return Err(StorageError::Forbidden(format!(
                            "the alias {alias:?} names version {old}, which is in production: moving it needs a mentor"
                        )));
                    }
                }
            }
            tx.execute(
                "INSERT INTO aliases (model_id, alias, version) VALUES (?1, ?2, ?3)
                 ON CONFLICT (model_id, alias) DO UPDATE SET version = excluded.version",
                params![model_id, alias, version],
            )?;
            let from = old.map(|v| v.to_string()).unwrap_or_default();
            audit(tx, model_id, actor_id, "alias", alias, &from, &version.to_string(), reason)?;
            version_info(tx, model_id, version)
        })
    }

    /// Moves a version to `stage`, with the reason in the audit log.
    pub fn set_stage(
        &self,
        model_id: i64,
        actor_id: i64,
        version: u32,
        stage: Stage,
        reason: &str,
    ) -> Result<VersionInfo, StorageError> {
        self.write(|tx| {
            let info = live_version(tx, model_id, version, "its stage stays archived")?;
            tx.execute(
                "UPDATE versions SET stage = ?3 WHERE model_id = ?1 AND version = ?2",
                params![model_id, version, stage.as_str()],
            )?;
            let subject = format!("version {version}");
            audit(tx, model_id, actor_id, "stage", &subject, info.stage.as_str(), stage.as_str(), reason)?;
            version_info(tx, model_id, version)
        })
    }

    /// Retires a version: archived, no alias names it any more, and the reason is kept.
    pub fn retire(
        &self,
        model_id: i64,
        actor_id: i64,
        version: u32,
        reason: &str,
        authority: Authority,
    ) -> Result<VersionInfo, StorageError> {
        self.write(|tx| {
            let info = version_info(tx, model_id, version)?;
            if info.retired.is_some() {
                return Err(StorageError::Conflict(format!("version {version} is already retired")));
            }
            if info.stage == Stage::Production && authority == Authority::Manager {
                return Err(StorageError::Forbidden(format!(
                    "version {version} is in production: retiring it needs a mentor"
                )));
            }
            // Every client fetching the policy would be refused once it named a retired version.
            let served = policy_refs(tx, model_id)?.into_iter().any(|r| match (r.version, r.alias) {
                (Some(v), _) => v == version,
                (None, Some(alias)) => info.aliases.contains(&alias),
                (None, None) => false,
            });
            if served {
                return Err(match authority {
                    Authority::Manager => StorageError::Forbidden(format!(
                        "the deployment policy serves version {version}: retiring it needs a mentor, who changes the policy first"
                    )),
                    Authority::Promoter => StorageError::Conflict(format!(
                        "the deployment policy serves version {version}: change the policy first"
                    )),
                });
            }
            for alias in &info.aliases {
                tx.execute("DELETE FROM aliases WHERE model_id = ?1 AND alias = ?2", params![model_id, alias])?;
                audit(tx, model_id, actor_id, "alias", alias, &version.to_string(), "", reason)?;
            }
            tx.execute(
                "UPDATE versions SET stage = 'archived', retired_reason = ?3 WHERE model_id = ?1 AND version = ?2",
                params![model_id, version, reason],
            )?;
            let subject = format!("version {version}");
            audit(tx, model_id, actor_id, "retire", &subject, info.stage.as_str(), "archived", reason)?;
            version_info(tx, model_id, version)
        })
    }

    /// A model's audit log, oldest first.
    pub fn audit_log(&self, model_id: i64) -> Result<Vec<AuditEntry>, StorageError> {
        self.read(|c| {
            let mut statement = c.prepare(
                "SELECT u.name, a.at, a.action, a.subject, a.from_value, a.to_value, a.reason
                 FROM audit a JOIN users u ON u.id = a.actor_id WHERE a.model_id = ?1 ORDER BY a.id",
            )?;
            let rows = statement.query_map(params![model_id], |r| {
                Ok(AuditEntry {
                    actor: r.get(0)?,
                    at: r.get(1)?,
                    action: r.get(2)?,
                    subject: r.get(3)?,
                    from: r.get(4)?,
                    to: r.get(5)?,
                    reason: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}

/// A version that is not retired; a retired one is a conflict, with `consequence` said.
fn live_version(
    c: &rusqlite::Connection,
    model_id: i64,
    version: u32,
    consequence: &str,
) -> Result<VersionInfo, StorageError> {
    let info = version_info(c, model_id, version)?;
    match &info.retired {
        Some(why) => {
            Err(StorageError::Conflict(format!("version {version} is retired ({why}); {consequence}")))
        }
        None => Ok(info),
    }
}

/// The versions and aliases a model's deployment policy names (none without a policy).
fn policy_refs(c: &rusqlite::Connection, model_id: i64) -> Result<Vec<VersionRef>, StorageError> {
    let text: Option<String> = c
        .query_row("SELECT policy FROM policies WHERE model_id = ?1", params![model_id], |r| r.get(0))
        .optional()?;
    let Some(text) = text else { return Ok(Vec::new()) };
    let policy: DeploymentPolicy = serde_json::from_str(&text)
        .map_err(|e| StorageError::Conflict(format!("the stored deployment policy does not read: {e}")))?;
    Ok(std::iter::once(policy.primary).chain(policy.secondary).collect())
}
