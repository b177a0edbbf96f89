//! Dashboards, series, class overviews and alert rules: what a model's events say, computed from
//! what storage reads.
//!
//! Storage visits a window's predictions one at a time, each with its label
//! (`Storage::scan_predictions`), and reads the rest (`Storage::window_events`, the profile events
//! of a window); this module makes them figures. `summary.rs`: a window's `Tally` and `Figures`
//! (volume per version, error rate, latency p50/p99 as numpy's percentiles, realized accuracy from
//! labels, accuracy estimated by CBPE with each version's kept reference), and a [`Dashboard`] of
//! them with the predicted labels or a histogram of values, freshness and the newest drift report a
//! client sent. `series.rs`: the same figures per bucket of a span, from one scan. `overview.rs`:
//! every model of a class, each row its dashboard of the last 24 hours. `merged.rs`: the
//! [`ProfileMerger`], drift merged from the profiles clients sent, which takes the report's place
//! (per window, or per bucket of a series). `alerts.rs`: alert rules evaluated on the same
//! summaries, firing and clearing alerts.

mod alerts;
mod merged;
mod overview;
mod series;
mod summary;

pub(crate) use alerts::evaluate_alerts;
pub use merged::{ProfileMerger, MAX_CONCURRENT_MERGES};
pub(crate) use overview::overview;
pub(crate) use series::series;
pub use series::{MAX_BUCKETS, MAX_SERIES_DAYS};

use crate::error::ServerError;
use crate::routes::blocking;
use crate::storage::Window;
use crate::AppState;
use tabml::api::Dashboard;

/// How a model did in `window` (one version's predictions only, when `version` says which), with its open alerts, and drift merged from profiles where clients
/// sent any (that is CPU work, done off the database connections).
pub(crate) async fn dashboard(
    state: &AppState,
    model_id: i64,
    window: Window,
    version: Option<u32>,
) -> Result<Dashboard, ServerError> {
    let mut dashboard = blocking(state, move |s| {
        let mut dashboard = summary::summarize(s, model_id, window, version)?;
        dashboard.open_alerts = s.alerts(Some(model_id), true, None)?;
        Ok(dashboard)
    })
    .await?;
    if let Some(drift) = state.merger.drift(state, model_id, window).await? {
        dashboard.drift = Some(drift);
    }
    Ok(dashboard)
}
