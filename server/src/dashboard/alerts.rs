//! Alert rules, evaluated on the summaries dashboards show.
//!
//! A rule fires when its metric crosses the threshold over its window, and again only once that
//! alert was acknowledged and the metric came back (so a lasting problem is one alert, not one per
//! batch); an alert whose metric came back is cleared. Each rule is evaluated on its own: one that
//! fails is logged and the others still fire. Drift-share rules read drift merged from profiles
//! where clients sent any, merged before the evaluation starts.

use super::summary::{round, summarize};
use crate::routes::blocking;
use crate::storage::{now_ms, NewAlert, Storage, StorageError, Window};
use crate::AppState;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use tabml::api::{Alert, AlertMetric, AlertRule, Comparator, Dashboard, DriftSummary};

/// Evaluates the alert rules of these models now, merging profiles first for drift-share rules.
/// Failures are logged: the events that prompted the evaluation are stored whatever it says.
pub(crate) async fn evaluate_alerts(state: &AppState, model_ids: Vec<i64>) {
    let now = now_ms();
    let windows = {
        let model_ids = model_ids.clone();
        blocking(state, move |s| drift_rule_windows(s, &model_ids)).await
    };
    let mut merged = HashMap::new();
    for (model_id, minutes) in windows.unwrap_or_else(|error| {
        tracing::error!(%error, "reading drift rules failed");
        Vec::new()
    }) {
        let window = Window { from: now - i64::from(minutes) * 60_000, to: now + 1 };
        match state.merger.drift(state, model_id, window).await {
            Ok(Some(drift)) => {
                merged.insert((model_id, minutes), drift);
            }
            Ok(None) => {}
            Err(error) => tracing::error!(model_id, %error, "merging profiles for a drift rule failed"),
        }
    }
    match blocking(state, move |s| evaluate(s, &model_ids, now, &merged)).await {
        Ok(fired) => {
            for alert in fired {
                tracing::warn!(model = %alert.model, rule = %alert.rule, value = alert.value, "alert fired: {}", alert.message);
            }
        }
        Err(error) => tracing::error!(%error, "evaluating alert rules failed"),
    }
}

/// The windows (in minutes) of these models' drift-share rules, whose drift is merged first.
fn drift_rule_windows(storage: &Storage, model_ids: &[i64]) -> Result<Vec<(i64, u32)>, StorageError> {
    let mut windows = Vec::new();
    for &model_id in model_ids {
        for rule in storage.rules(model_id)? {
            if rule.rule.metric == AlertMetric::DriftShare
                && !windows.contains(&(model_id, rule.rule.window_minutes))
            {
                windows.push((model_id, rule.rule.window_minutes));
            }
        }
    }
    Ok(windows)
}

/// Evaluates the alert rules of these models at `now`; `merged` is the drift merged from profiles
/// per model and window (minutes), where there was any. Returns the alerts fired.
fn evaluate(
    storage: &Storage,
    model_ids: &[i64],
    now: i64,
    merged: &HashMap<(i64, u32), DriftSummary>,
) -> Result<Vec<Alert>, StorageError> {
    let mut fired = Vec::new();
    let mut cleared = Vec::new();
    for &model_id in model_ids {
        // Rules over the same window read the same summary: make it once.
        let mut summaries: HashMap<u32, Dashboard> = HashMap::new();
        let rules = match storage.rules(model_id) {
            Ok(rules) => rules,
            Err(error) => {
                tracing::error!(model_id, %error, "reading alert rules failed");
                continue;
            }
        };
        for rule in rules {
            let minutes = rule.rule.window_minutes;
            let outcome = (|| {
                let latest = storage.latest_alert(rule.id)?;
                let summary = match summaries.entry(minutes) {
                    Entry::Occupied(known) => known.into_mut(),
                    Entry::Vacant(slot) => {
                        let window = Window { from: now - i64::from(minutes) * 60_000, to: now + 1 };
                        let mut summary = summarize(storage, model_id, window, None)?;
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
            match (latest, value) {
                // Never fired, or the last alert was seen and its metric came back: fire.
                (None, Some(value)) if fires => fired.push(new_alert(model_id, &rule, value)),
                (Some(last), Some(value))
                    if fires && last.acknowledged_at.is_some() && last.cleared_at.is_some() =>
                {
                    fired.push(new_alert(model_id, &rule, value))
                }
                (Some(last), _) if !fires && last.cleared_at.is_none() => cleared.push(last.id),
                _ => {}
            }
        }
    }
    if fired.is_empty() && cleared.is_empty() {
        return Ok(Vec::new());
    }
    storage.record_alerts(&cleared, &fired, now)
}

/// The alert `rule` fires at `value`, saying what happened and what should happen.
fn new_alert(model_id: i64, rule: &AlertRule, value: f64) -> NewAlert {
    let r = &rule.rule;
    let side = match r.comparator {
        Comparator::Above => "above",
        Comparator::Below => "below",
    };
    let message = format!(
        "{}: {} was {} over the last {} minutes, {side} the threshold {}. What should happen: {}",
        r.name,
        metric_name(r.metric),
        round(value),
        r.window_minutes,
        r.threshold,
        r.action
    );
    NewAlert { rule_id: rule.id, model_id, value, message }
}

/// The metric's name as the API spells it.
fn metric_name(metric: AlertMetric) -> &'static str {
    match metric {
        AlertMetric::Volume => "volume",
        AlertMetric::ErrorRate => "error_rate",
        AlertMetric::LatencyP99Ms => "latency_p99_ms",
        AlertMetric::Accuracy => "accuracy",
        AlertMetric::EstimatedAccuracy => "estimated_accuracy",
        AlertMetric::DriftShare => "drift_share",
    }
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
