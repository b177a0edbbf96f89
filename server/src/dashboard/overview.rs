//! A class at a glance: every model of the class with its versions in production and as champion,
//! and the last 24 hours of its dashboard (volume, accuracy realized and estimated, drift share,
//! latency p99, error rate, open alerts, last event). Each row is the model's dashboard over that
//! window, so the two always agree.

use crate::error::ServerError;
use crate::routes::blocking;
use crate::storage::{now_ms, Window};
use crate::AppState;
use tabml::api::{ClassOverview, ModelHealth};

/// The window an overview looks at: the last 24 hours.
const OVERVIEW_MS: i64 = 24 * 3_600_000;

/// The overview of the class called `class`, its models by name.
pub(crate) async fn overview(state: &AppState, class: String) -> Result<ClassOverview, ServerError> {
    let name = class.clone();
    let models = blocking(state, move |s| s.class_models(&name)).await?;
    let now = now_ms();
    let window = Window { from: now - OVERVIEW_MS, to: now + 1 };
    let mut rows = Vec::with_capacity(models.len());
    for model in models {
        let dashboard = super::dashboard(state, model.id, window, None).await?;
        rows.push(ModelHealth {
            name: model.name,
            owner: model.owner,
            production_version: model.production_version,
            champion_version: model.champion_version,
            last_event_at: dashboard.last_event_at,
            volume: dashboard.volume,
            accuracy: dashboard.accuracy,
            estimated_accuracy: dashboard.estimated_accuracy,
            drift_share: dashboard.drift.map(|d| d.drifted_share),
            latency_p99_ms: dashboard.latency_p99_ms,
            error_rate: dashboard.error_rate,
            overrides: dashboard.overrides,
            override_rate: dashboard.override_rate,
            open_alerts: dashboard.open_alerts.len() as u64,
        });
    }
    Ok(ClassOverview { class, models: rows })
}
