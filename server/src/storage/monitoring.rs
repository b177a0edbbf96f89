//! Deployment policies, alert rules and alerts.
//!
//! Policies are resolved to versions through aliases. Alerts are written as the dashboard module
//! decides (`server/src/dashboard/alerts.rs`): [`Storage::latest_alert`] tells it where a rule's
//! newest alert stands, and [`Storage::record_alerts`] fires and clears them in one transaction.

use super::registry::{audit, touch};
use super::{now_ms, Storage, StorageError};
use rusqlite::{params, Connection, OptionalExtension};
use tabml::api::{Alert, AlertRule, DeploymentPolicy, NewAlertRule, PolicyInfo, VersionRef};

impl Storage {
    /// Sets a model's deployment policy; every version it names must exist and not be retired.
    pub fn set_policy(
        &self,
        model_id: i64,
        actor_id: i64,
        policy: &DeploymentPolicy,
    ) -> Result<PolicyInfo, StorageError> {
        self.write(|tx| {
            resolve(tx, model_id, &policy.primary)?;
            if let Some(secondary) = &policy.secondary {
                resolve(tx, model_id, secondary)?;
            }
            let old: Option<String> = tx
                .query_row("SELECT policy FROM policies WHERE model_id = ?1", params![model_id], |r| r.get(0))
                .optional()?;
            let text = serde_json::to_string(policy).map_err(|e| StorageError::Conflict(e.to_string()))?;
            tx.execute(
                "INSERT INTO policies (model_id, policy, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (model_id) DO UPDATE SET policy = excluded.policy, updated_by = excluded.updated_by,
                 updated_at = excluded.updated_at",
                params![model_id, text, actor_id, now_ms()],
            )?;
            audit(tx, model_id, actor_id, "policy", "deployment policy", old.as_deref().unwrap_or(""), &text, &policy.reason)?;
            policy_info(tx, model_id)
        })
    }

    /// A model's deployment policy, with the versions it names now.
    pub fn policy(&self, model_id: i64) -> Result<PolicyInfo, StorageError> {
        self.read(|c| policy_info(c, model_id))
    }

    /// Adds an alert rule to a model.
    pub fn create_rule(
        &self,
        model_id: i64,
        actor_id: i64,
        rule: &NewAlertRule,
    ) -> Result<AlertRule, StorageError> {
        self.write(|tx| {
            let text = serde_json::to_string(rule).map_err(|e| StorageError::Conflict(e.to_string()))?;
            tx.execute(
                "INSERT INTO alert_rules (model_id, rule, created_by, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![model_id, text, actor_id, now_ms()],
            )?;
            let id = tx.last_insert_rowid();
            audit(tx, model_id, actor_id, "alert rule", &format!("rule {id}"), "", &text, "")?;
            rules(tx, model_id, Some(id))?
                .pop()
                .ok_or_else(|| StorageError::NotFound(format!("there is no alert rule {id}")))
        })
    }

    /// A model's alert rules.
    pub fn rules(&self, model_id: i64) -> Result<Vec<AlertRule>, StorageError> {
        self.read(|c| rules(c, model_id, None))
    }

    /// Removes an alert rule (its alerts stay listed).
    pub fn delete_rule(&self, model_id: i64, rule_id: i64, actor_id: i64) -> Result<(), StorageError> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE alert_rules SET deleted = 1 WHERE id = ?1 AND model_id = ?2 AND deleted = 0",
                params![rule_id, model_id],
            )?;
            if changed == 0 {
                return Err(StorageError::NotFound(format!("the model has no alert rule {rule_id}")));
            }
            audit(tx, model_id, actor_id, "alert rule", &format!("rule {rule_id}"), "", "deleted", "")
        })
    }

    /// Alerts, newest first: of one model or of all those `viewer` may see (`None`: every model's);
    /// only those not acknowledged when `open_only`.
    pub fn alerts(
        &self,
        model_id: Option<i64>,
        open_only: bool,
        viewer: Option<&Viewer>,
    ) -> Result<Vec<Alert>, StorageError> {
        self.read(|c| alerts(c, AlertFilter { model_id, open_only, id: None, viewer }))
    }

    /// The model an alert belongs to.
    pub fn alert_model(&self, alert_id: i64) -> Result<i64, StorageError> {
        self.read(|c| {
            c.query_row("SELECT model_id FROM alerts WHERE id = ?1", params![alert_id], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StorageError::NotFound(format!("there is no alert {alert_id}")))
        })
    }

    /// Marks an alert seen, with what was done.
    pub fn acknowledge(&self, alert_id: i64, actor_id: i64, note: &str) -> Result<Alert, StorageError> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE alerts SET acknowledged_by = ?2, acknowledged_at = ?3, note = ?4
                 WHERE id = ?1 AND acknowledged_at IS NULL",
                params![alert_id, actor_id, now_ms(), note],
            )?;
            if changed == 0 {
                return Err(StorageError::Conflict(format!(
                    "alert {alert_id} does not exist or was acknowledged already"
                )));
            }
            let model_id: i64 =
                tx.query_row("SELECT model_id FROM alerts WHERE id = ?1", params![alert_id], |r| r.get(0))?;
            touch(tx, model_id)?;
            alert(tx, alert_id)
        })
    }

    /// Where the newest alert of a rule stands, if it ever fired.
    pub fn latest_alert(&self, rule_id: i64) -> Result<Option<LatestAlert>, StorageError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT id, acknowledged_at, cleared_at FROM alerts WHERE rule_id = ?1 ORDER BY id DESC LIMIT 1",
                params![rule_id],
                |r| Ok(LatestAlert { id: r.get(0)?, acknowledged_at: r.get(1)?, cleared_at: r.get(2)? }),
            )
            .optional()?)
        })
    }

    /// Clears the alerts `cleared` and fires `fired`, at `now`, in one transaction. Returns the
    /// alerts fired.
    pub fn record_alerts(
        &self,
        cleared: &[i64],
        fired: &[NewAlert],
        now: i64,
    ) -> Result<Vec<Alert>, StorageError> {
        self.write(|tx| {
            for id in cleared {
                tx.execute("UPDATE alerts SET cleared_at = ?2 WHERE id = ?1", params![id, now])?;
                let model_id: i64 =
                    tx.query_row("SELECT model_id FROM alerts WHERE id = ?1", params![id], |r| r.get(0))?;
                touch(tx, model_id)?;
            }
            let mut alerts = Vec::with_capacity(fired.len());
            for a in fired {
                tx.execute(
                    "INSERT INTO alerts (rule_id, model_id, value, message, fired_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![a.rule_id, a.model_id, a.value, a.message, now],
                )?;
                alerts.push(alert(tx, tx.last_insert_rowid())?);
                touch(tx, a.model_id)?;
            }
            Ok(alerts)
        })
    }
}

impl Storage {
    /// The change counters (model id, counter) of the models asked for: one model, the models of a
    /// class (by name), or those `viewer` may see (`None`: every model), by id. A counter grows in
    /// the transaction of every write that can change what the model's dashboard, series, alerts,
    /// overrides or class overview say, so equal counters mean equal answers (for the same query
    /// and, where it depends on the clock, the same minute).
    pub fn changes(&self, of: ChangesOf<'_>) -> Result<Vec<(i64, i64)>, StorageError> {
        self.read(|c| {
            let (model, class, all, viewer, learner_class) = match of {
                ChangesOf::Model(id) => (Some(id), None, false, None, None),
                ChangesOf::Class(name) => (None, Some(name), false, None, None),
                ChangesOf::Visible(None) => (None, None, true, None, None),
                ChangesOf::Visible(Some(v)) => (None, None, false, Some(v.user_id), v.learner_class.as_deref()),
            };
            let mut statement = c.prepare_cached(
                "SELECT m.id, m.changes FROM models m
                 WHERE m.id = ?1 OR m.class_id = (SELECT id FROM classes WHERE name = ?2) OR ?3
                    OR m.owner_id = ?4 OR EXISTS (SELECT 1 FROM classes c WHERE c.id = m.class_id AND c.mentor_id = ?4)
                    OR (?5 IS NOT NULL AND m.class_id = (SELECT id FROM classes WHERE name = ?5))
                 ORDER BY m.id",
            )?;
            let rows = statement.query_map(params![model, class, all, viewer, learner_class], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}

/// Whose change counters [`Storage::changes`] reads.
#[derive(Debug, Clone, Copy)]
pub enum ChangesOf<'a> {
    /// One model's.
    Model(i64),
    /// The models of the class of this name.
    Class(&'a str),
    /// The models a viewer may see (`None`: an admin, every model).
    Visible(Option<&'a Viewer>),
}

/// Where a rule's newest alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatestAlert {
    /// The alert.
    pub id: i64,
    /// When it was acknowledged, if it was.
    pub acknowledged_at: Option<i64>,
    /// When its metric came back, if it did.
    pub cleared_at: Option<i64>,
}

/// Someone other than an admin, as far as the models they may see go: those they own, those of the
/// classes they teach, and (a learner) those of their own class, as `require_member` has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// The user.
    pub user_id: i64,
    /// A learner's class, by name (`None` for a mentor, or a learner in no class).
    pub learner_class: Option<String>,
}

/// An alert to fire.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    /// The rule that fired.
    pub rule_id: i64,
    /// Its model.
    pub model_id: i64,
    /// The metric's value.
    pub value: f64,
    /// What happened and what should happen, for people.
    pub message: String,
}

/// The version a reference names now.
fn resolve(c: &Connection, model_id: i64, reference: &VersionRef) -> Result<u32, StorageError> {
    let version = match (&reference.version, &reference.alias) {
        (Some(v), None) => *v,
        (None, Some(alias)) => c
            .query_row(
                "SELECT version FROM aliases WHERE model_id = ?1 AND alias = ?2",
                params![model_id, alias],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StorageError::NotFound(format!("the model has no alias {alias:?}")))?,
        _ => {
            return Err(StorageError::Conflict("name a version by `version` or by `alias`, not both".into()))
        }
    };
    let retired: Option<Option<String>> = c
        .query_row(
            "SELECT retired_reason FROM versions WHERE model_id = ?1 AND version = ?2",
            params![model_id, version],
            |r| r.get(0),
        )
        .optional()?;
    match retired {
        None => Err(StorageError::NotFound(format!("the model has no version {version}"))),
        Some(Some(why)) => Err(StorageError::Conflict(format!("version {version} is retired ({why})"))),
        Some(None) => Ok(version),
    }
}

fn policy_info(c: &Connection, model_id: i64) -> Result<PolicyInfo, StorageError> {
    let (text, updated_by, updated_at): (String, String, i64) = c
        .query_row(
            "SELECT p.policy, u.name, p.updated_at FROM policies p JOIN users u ON u.id = p.updated_by WHERE p.model_id = ?1",
            params![model_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| StorageError::NotFound("the model has no deployment policy yet".into()))?;
    let policy: DeploymentPolicy = serde_json::from_str(&text)
        .map_err(|e| StorageError::Conflict(format!("a stored policy does not read: {e}")))?;
    let primary_version = resolve(c, model_id, &policy.primary)?;
    let secondary_version = policy.secondary.as_ref().map(|s| resolve(c, model_id, s)).transpose()?;
    Ok(PolicyInfo { policy, primary_version, secondary_version, updated_by, updated_at })
}

/// A model's live alert rules (only rule `id`, when given).
fn rules(c: &Connection, model_id: i64, id: Option<i64>) -> Result<Vec<AlertRule>, StorageError> {
    let mut statement = c.prepare_cached(
        "SELECT r.id, m.name, r.rule, u.name FROM alert_rules r JOIN models m ON m.id = r.model_id
         JOIN users u ON u.id = r.created_by WHERE r.model_id = ?1 AND r.deleted = 0 AND (?2 IS NULL OR r.id = ?2)
         ORDER BY r.id",
    )?;
    let rows = statement
        .query_map(params![model_id, id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get(3)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, model, rule, created_by)| {
            let rule = serde_json::from_str(&rule)
                .map_err(|e| StorageError::Conflict(format!("stored alert rule {id} does not read: {e}")))?;
            Ok(AlertRule { id, model, rule, created_by })
        })
        .collect()
}

/// Which alerts to list.
#[derive(Clone, Copy, Default)]
struct AlertFilter<'a> {
    model_id: Option<i64>,
    open_only: bool,
    id: Option<i64>,
    /// Only of the models this viewer may see (`None`: of every model).
    viewer: Option<&'a Viewer>,
}

/// The one alert with this id.
fn alert(c: &Connection, id: i64) -> Result<Alert, StorageError> {
    alerts(c, AlertFilter { id: Some(id), ..AlertFilter::default() })?
        .pop()
        .ok_or_else(|| StorageError::NotFound(format!("there is no alert {id}")))
}

fn alerts(c: &Connection, filter: AlertFilter) -> Result<Vec<Alert>, StorageError> {
    let mut statement = c.prepare_cached(
        "SELECT a.id, m.name, a.rule_id, r.rule, a.value, a.message, a.fired_at, u.name, a.acknowledged_at, a.note
         FROM alerts a JOIN models m ON m.id = a.model_id JOIN alert_rules r ON r.id = a.rule_id
         LEFT JOIN users u ON u.id = a.acknowledged_by
         WHERE (?1 IS NULL OR a.model_id = ?1) AND (?2 = 0 OR a.acknowledged_at IS NULL) AND (?3 IS NULL OR a.id = ?3)
           AND (?4 IS NULL OR m.owner_id = ?4
                OR EXISTS (SELECT 1 FROM classes c WHERE c.id = m.class_id AND c.mentor_id = ?4)
                OR (?5 IS NOT NULL AND m.class_id = (SELECT id FROM classes WHERE name = ?5)))
         ORDER BY a.id DESC LIMIT 500",
    )?;
    let (viewer, class) = match filter.viewer {
        Some(v) => (Some(v.user_id), v.learner_class.as_deref()),
        None => (None, None),
    };
    let rows =
        statement.query_map(params![filter.model_id, filter.open_only, filter.id, viewer, class], |r| {
            let rule: String = r.get(3)?;
            let rule: Option<NewAlertRule> = serde_json::from_str(&rule).ok();
            Ok(Alert {
                id: r.get(0)?,
                model: r.get(1)?,
                rule_id: r.get(2)?,
                rule: rule.as_ref().map(|x| x.name.clone()).unwrap_or_default(),
                action: rule.map(|x| x.action).unwrap_or_default(),
                value: r.get(4)?,
                message: r.get(5)?,
                fired_at: r.get(6)?,
                acknowledged_by: r.get(7)?,
                acknowledged_at: r.get(8)?,
                note: r.get(9)?,
            })
        })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
