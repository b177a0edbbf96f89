//! Deployment policies, alert rules and alerts, and the dashboard summary of a model's events in a
//! time window (which alert rules read too).
//!
//! Policies are resolved to versions through aliases. A rule fires when its metric crosses the
//! threshold over its window, and again only once that alert was acknowledged and the metric came
//! back; each rule is evaluated on its own. `summarize`, the dashboard of a window: volume per
//! version, predicted labels or a histogram of values, error rate, latency p50/p99 as numpy's
//! percentiles, realized accuracy from labels joined by prediction id, mean top probability,
//! freshness, and the newest drift report a client sent. `profile_batches` lists the profile events
//! a window's drift merges (the newest 1,000, of the newest version that sent any) for
//! `merged_drift.rs`.

use super::registry::audit;
use super::{now_ms, Storage, StorageError};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use tabml::api::{
    Alert, AlertMetric, AlertRule, ColumnDrift, Comparator, Dashboard, DeploymentPolicy, DriftSource,
    DriftSummary, NewAlertRule, PolicyInfo, VersionRef,
};

/// A time window, in Unix milliseconds: `from` inclusive, `to` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start.
    pub from: i64,
    /// End.
    pub to: i64,
}

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

    /// Alerts, newest first: of one model or of all; only those not acknowledged when `open_only`.
    pub fn alerts(&self, model_id: Option<i64>, open_only: bool) -> Result<Vec<Alert>, StorageError> {
        self.read(|c| alerts(c, AlertFilter { model_id, open_only, id: None }))
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
            alert(tx, alert_id)
        })
    }

    /// How a model did in a window. Its drift is the newest drift report a client sent; the caller
    /// puts drift merged from profiles in its place (that is CPU work, done off this connection).
    pub fn dashboard(&self, model_id: i64, window: Window) -> Result<Dashboard, StorageError> {
        self.read(|c| {
            let mut summary = summarize(c, model_id, window)?;
            summary.open_alerts =
                alerts(c, AlertFilter { model_id: Some(model_id), open_only: true, id: None })?;
            Ok(summary)
        })
    }

    /// The windows (in minutes) of these models' drift-share rules, whose drift the caller merges
    /// before [`Storage::evaluate_rules`].
    pub fn drift_rule_windows(&self, model_ids: &[i64]) -> Result<Vec<(i64, u32)>, StorageError> {
        self.read(|c| {
            let mut windows = Vec::new();
            for &model_id in model_ids {
                for rule in rules(c, model_id, None)? {
                    if rule.rule.metric == AlertMetric::DriftShare
                        && !windows.contains(&(model_id, rule.rule.window_minutes))
                    {
                        windows.push((model_id, rule.rule.window_minutes));
                    }
                }
            }
            Ok(windows)
        })
    }

    /// Evaluates the alert rules of these models at `now`. A rule whose metric crosses its threshold
    /// fires an alert; it fires again only after that alert was acknowledged and the metric came
    /// back (so a lasting problem is one alert, not one per batch). `merged` is the drift merged
    /// from profiles per model and window (minutes), where there was any. Each rule is evaluated on
    /// its own: one that fails is logged and the others still fire. Returns the alerts fired.
    pub fn evaluate_rules(
        &self,
        model_ids: &[i64],
        now: i64,
        merged: &HashMap<(i64, u32), DriftSummary>,
    ) -> Result<Vec<Alert>, StorageError> {
        let mut pending = Vec::new();
        let mut cleared = Vec::new();
        self.read(|c| {
            for &model_id in model_ids {
                // Rules over the same window read the same summary: make it once.
                let mut summaries: HashMap<u32, Dashboard> = HashMap::new();
                let rules = match rules(c, model_id, None) {
                    Ok(rules) => rules,
                    Err(error) => {
                        tracing::error!(model_id, %error, "reading alert rules failed");
                        continue;
                    }
                };
                for rule in rules {
                    let minutes = rule.rule.window_minutes;
                    let outcome = (|| {
                        let latest: Option<(i64, Option<i64>, Option<i64>)> = c
                            .query_row(
                                "SELECT id, acknowledged_at, cleared_at FROM alerts WHERE rule_id = ?1 ORDER BY id DESC LIMIT 1",
                                params![rule.id],
                                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                            )
                            .optional()?;
                        let summary = match summaries.entry(minutes) {
                            Entry::Occupied(known) => known.into_mut(),
                            Entry::Vacant(slot) => {
                                let window = Window { from: now - i64::from(minutes) * 60_000, to: now + 1 };
                                let mut summary = summarize(c, model_id, window)?;
                                if let Some(drift) = merged.get(&(model_id, minutes)) {
                                    summary.drift = Some(drift.clone());
                                }
                                slot.insert(summary)
                            }
                        };
                        Ok::<_, StorageError>((latest, metric_value(summary, rule.rule.metric)))
                    })();
                    let (latest, value) = match outcome {
                        Ok(outcome) => outcome,
                        Err(error) => {
                            tracing::error!(rule = rule.id, %error, "evaluating an alert rule failed; the others go on");
                            continue;
                        }
                    };
                    let fires = value.is_some_and(|value| match rule.rule.comparator {
                        Comparator::Above => value > rule.rule.threshold,
                        Comparator::Below => value < rule.rule.threshold,
                    });
                    match (latest, fires, value) {
                        (None, true, Some(value)) | (Some((_, Some(_), Some(_))), true, Some(value)) => {
                            pending.push((model_id, rule, value))
                        }
                        (Some((id, _, None)), false, _) => cleared.push(id),
                        _ => {}
                    }
                }
            }
            Ok(())
        })?;
        if pending.is_empty() && cleared.is_empty() {
            return Ok(Vec::new());
        }
        self.write(|tx| {
            for id in &cleared {
                tx.execute("UPDATE alerts SET cleared_at = ?2 WHERE id = ?1", params![id, now])?;
            }
            let mut fired = Vec::new();
            for (model_id, rule, value) in &pending {
                let r = &rule.rule;
                let side = match r.comparator {
                    Comparator::Above => "above",
                    Comparator::Below => "below",
                };
                let message = format!(
                    "{}: {} was {} over the last {} minutes, {side} the threshold {}. What should happen: {}",
                    r.name,
                    metric_name(r.metric),
                    round(*value),
                    r.window_minutes,
                    r.threshold,
                    r.action
                );
                tx.execute(
                    "INSERT INTO alerts (rule_id, model_id, value, message, fired_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![rule.id, model_id, value, message, now],
                )?;
                fired.push(alert(tx, tx.last_insert_rowid())?);
            }
            Ok(fired)
        })
    }
}

/// The metric's name as the API spells it.
pub fn metric_name(metric: AlertMetric) -> &'static str {
    match metric {
        AlertMetric::Volume => "volume",
        AlertMetric::ErrorRate => "error_rate",
        AlertMetric::LatencyP99Ms => "latency_p99_ms",
        AlertMetric::Accuracy => "accuracy",
        AlertMetric::EstimatedAccuracy => "estimated_accuracy",
        AlertMetric::DriftShare => "drift_share",
    }
}

fn round(value: f64) -> f64 {
    (value * 1e4).round() / 1e4
}

fn metric_value(summary: &Dashboard, metric: AlertMetric) -> Option<f64> {
    match metric {
        AlertMetric::Volume => Some(summary.volume as f64),
        AlertMetric::ErrorRate => summary.error_rate,
        AlertMetric::LatencyP99Ms => summary.latency_p99_ms,
        AlertMetric::Accuracy => summary.accuracy,
        AlertMetric::EstimatedAccuracy => summary.estimated_accuracy,
        AlertMetric::DriftShare => summary.drift.as_ref().map(|d| d.drifted_share),
    }
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
struct AlertFilter {
    model_id: Option<i64>,
    open_only: bool,
    id: Option<i64>,
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
         ORDER BY a.id DESC LIMIT 500",
    )?;
    let rows = statement.query_map(params![filter.model_id, filter.open_only, filter.id], |r| {
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

/// Everything a dashboard shows but its open alerts, with the newest drift report for drift.
fn summarize(c: &Connection, model_id: i64, window: Window) -> Result<Dashboard, StorageError> {
    let model: String =
        c.query_row("SELECT name FROM models WHERE id = ?1", params![model_id], |r| r.get(0))?;
    let w = params![model_id, window.from, window.to];
    let in_window = "model_id = ?1 AND kind = 'prediction' AND at >= ?2 AND at < ?3";
    let volume_by_version: BTreeMap<String, u64> = c
        .prepare_cached(&format!("SELECT version, COUNT(*) FROM events WHERE {in_window} GROUP BY version"))?
        .query_map(w, |r| Ok((r.get::<_, i64>(0)?.to_string(), r.get::<_, i64>(1)? as u64)))?
        .collect::<Result<_, _>>()?;
    let volume: u64 = volume_by_version.values().sum();
    let (failed, confidence): (i64, Option<f64>) = c.query_row(
        &format!("SELECT COALESCE(SUM(failed), 0), AVG(confidence) FROM events WHERE {in_window}"),
        w,
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let latencies: Vec<f64> = c
        .prepare_cached(&format!(
            "SELECT latency_ms FROM events WHERE {in_window} AND latency_ms IS NOT NULL ORDER BY latency_ms"
        ))?
        .query_map(w, |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let task: Option<String> = c
        .query_row(
            "SELECT task FROM versions WHERE model_id = ?1 ORDER BY version DESC LIMIT 1",
            params![model_id],
            |r| r.get(0),
        )
        .optional()?;
    let regression = task.as_deref() == Some("regression");
    let predictions = if regression {
        let values: Vec<f64> = c
            .prepare_cached(&format!("SELECT value FROM events WHERE {in_window} AND failed = 0"))?
            .query_map(w, |r| r.get::<_, Option<String>>(0))?
            .filter_map(|v| v.ok().flatten().and_then(|v| v.parse().ok()))
            .collect();
        histogram(&values)
    } else {
        c.prepare_cached(&format!(
            "SELECT value, COUNT(*) FROM events WHERE {in_window} AND failed = 0 AND value IS NOT NULL
             GROUP BY value ORDER BY 2 DESC, 1 LIMIT 20"
        ))?
        .query_map(w, |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?
        .collect::<Result<_, _>>()?
    };
    let (labelled, right): (i64, i64) = c.query_row(
        "SELECT COUNT(*), COALESCE(SUM(p.value = l.value), 0) FROM events p
         JOIN events l ON l.model_id = p.model_id AND l.prediction_id = p.prediction_id AND l.kind = 'label'
         WHERE p.model_id = ?1 AND p.kind = 'prediction' AND p.at >= ?2 AND p.at < ?3 AND p.failed = 0",
        w,
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let drift = c
        .query_row(
            "SELECT version, at, body FROM events
             WHERE model_id = ?1 AND kind = 'drift_report' AND at >= ?2 AND at < ?3
             ORDER BY at DESC, seq DESC LIMIT 1",
            w,
            |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, String>(2)?)),
        )
        .optional()?
        .and_then(|(version, at, body)| drift_summary(version, at, &body));
    let last_event_at: Option<i64> =
        c.query_row("SELECT MAX(at) FROM events WHERE model_id = ?1 AND kind IN ('prediction', 'label', 'drift_report', 'profile')", params![model_id], |r| r.get(0))?;
    Ok(Dashboard {
        model,
        from: window.from,
        to: window.to,
        volume,
        volume_by_version,
        predictions,
        error_rate: (volume > 0).then(|| failed as f64 / volume as f64),
        latency_p50_ms: tabml::metrics::percentile_sorted(&latencies, 50.0),
        latency_p99_ms: tabml::metrics::percentile_sorted(&latencies, 99.0),
        accuracy: (labelled > 0 && !regression).then(|| right as f64 / labelled as f64),
        labelled: labelled as u64,
        estimated_accuracy: confidence,
        drift,
        last_event_at,
        freshness_seconds: last_event_at.map(|at| (now_ms() - at) as f64 / 1000.0),
        open_alerts: Vec::new(),
    })
}

/// Profiles merged per dashboard at most: the newest this many in the window.
pub const MAX_MERGED_PROFILES: u32 = 1_000;

/// The profile events a window's drift merges: those of the newest version that sent any, the
/// newest [`MAX_MERGED_PROFILES`] of them, in the order they were stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileBatches {
    /// The version they profile.
    pub version: u32,
    /// Each event's storage sequence number and client time, by sequence number.
    pub events: Vec<(i64, i64)>,
}

impl Storage {
    /// Which profile events a window's drift merges (`None` when no profile came in the window).
    pub fn profile_batches(
        &self,
        model_id: i64,
        window: Window,
    ) -> Result<Option<ProfileBatches>, StorageError> {
        self.read(|c| {
            let version: Option<u32> = c.query_row(
                "SELECT MAX(version) FROM events WHERE model_id = ?1 AND kind = 'profile' AND at >= ?2 AND at < ?3",
                params![model_id, window.from, window.to],
                |r| r.get(0),
            )?;
            let Some(version) = version else { return Ok(None) };
            let mut events = c
                .prepare_cached(
                    "SELECT seq, at FROM events WHERE model_id = ?1 AND version = ?2 AND kind = 'profile' AND at >= ?3 AND at < ?4
                     ORDER BY at DESC, seq DESC LIMIT ?5",
                )?
                .query_map(params![model_id, version, window.from, window.to, MAX_MERGED_PROFILES], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            events.sort_unstable();
            Ok(Some(ProfileBatches { version, events }))
        })
    }

    /// The stored bodies (event JSON) of these events, in the same order.
    pub fn event_bodies(&self, seqs: &[i64]) -> Result<Vec<String>, StorageError> {
        self.read(|c| {
            let mut statement = c.prepare_cached("SELECT body FROM events WHERE seq = ?1")?;
            seqs.iter().map(|seq| Ok(statement.query_row(params![seq], |r| r.get(0))?)).collect()
        })
    }

    /// A version's bundle bytes, if the model has that version.
    pub fn version_bundle(&self, model_id: i64, version: u32) -> Result<Option<Vec<u8>>, StorageError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT b.data FROM versions v JOIN blobs b ON b.id = v.blob_id WHERE v.model_id = ?1 AND v.version = ?2",
                params![model_id, version],
                |r| r.get(0),
            )
            .optional()?)
        })
    }
}

/// The parts of a stored drift report event a dashboard shows.
fn drift_summary(version: u32, at: i64, body: &str) -> Option<DriftSummary> {
    let event: serde_json::Value = serde_json::from_str(body).ok()?;
    let report = event.get("report")?;
    let columns = report
        .get("columns")
        .and_then(|c| c.as_array())
        .map(|columns| {
            columns
                .iter()
                .filter_map(|c| {
                    Some(ColumnDrift {
                        column: c.get("column")?.as_str()?.to_owned(),
                        test: c.get("test").and_then(|t| t.as_str()).unwrap_or_default().to_owned(),
                        statistic: c.get("statistic").and_then(|s| s.as_f64()).unwrap_or(f64::NAN),
                        drift: c.get("drift")?.as_bool()?,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Some(DriftSummary {
        source: DriftSource::Report,
        version,
        at,
        batches: 0,
        rows: report.get("current_rows").and_then(|r| r.as_u64()).unwrap_or(0),
        dataset_drift: report.get("dataset_drift")?.as_bool()?,
        drifted_share: report.get("drifted_share")?.as_f64()?,
        columns,
    })
}

/// Ten equal-width bins over the values, labelled by their ranges.
fn histogram(values: &[f64]) -> BTreeMap<String, u64> {
    let mut bins = BTreeMap::new();
    let (Some(min), Some(max)) =
        (values.iter().copied().reduce(f64::min), values.iter().copied().reduce(f64::max))
    else {
        return bins;
    };
    let width = (max - min) / 10.0;
    for &v in values {
        let i = if width > 0.0 { (((v - min) / width) as usize).min(9) } else { 0 };
        let (lo, hi) = (min + width * i as f64, min + width * (i + 1) as f64);
        *bins.entry(format!("{:02} [{}, {}]", i, round(lo), round(hi))).or_insert(0) += 1;
    }
    bins
}
