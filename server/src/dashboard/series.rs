//! A model's figures over time: one bucket per step from the series' start, each a dashboard's
//! [`Figures`] of the bucket's predictions, with its drift.
//!
//! The predictions are read in one scan of the span's blocks, each counted into its bucket's
//! [`Tally`] by arithmetic on its time (the scan is in no time order, and needs none). Each bucket's
//! drift share is a dashboard's: from the profiles sent in it, merged by the [`ProfileMerger`]
//! (cached per bucket; at most the newest `MAX_MERGED_PROFILES` of the span), else the newest drift
//! report sent in it. A bucket without predictions has volume 0 and no other figure.
//!
//! The route bounds the work before any: at most [`MAX_BUCKETS`] buckets over at most
//! [`MAX_SERIES_DAYS`] days.
//!
//! [`ProfileMerger`]: super::ProfileMerger

use super::summary::{Figures, References, Tally};
use crate::error::ServerError;
use crate::routes::blocking;
use crate::storage::{Storage, StorageError, Window};
use crate::AppState;
use tabml::api::{Series, SeriesBucket};

/// The most buckets one series may have.
pub const MAX_BUCKETS: i64 = 10_000;

/// The longest span one series may cover, in days.
pub const MAX_SERIES_DAYS: i64 = 400;

/// A model's series over `window` in buckets of `step_ms` (checked by the caller: at most
/// [`MAX_BUCKETS`] of them).
pub(crate) async fn series(
    state: &AppState,
    model_id: i64,
    window: Window,
    step_ms: i64,
) -> Result<Series, ServerError> {
    let buckets: Vec<Window> = (0..)
        .map(|i| window.from + i * step_ms)
        .take_while(|&from| from < window.to)
        .map(|from| Window { from, to: from.saturating_add(step_ms).min(window.to) })
        .collect();
    let (model, mut figures, shares) = {
        let buckets = buckets.clone();
        blocking(state, move |s| {
            let (model, figures) = figures_by_bucket(s, model_id, window, step_ms, buckets.len())?;
            Ok((model, figures, s.drift_report_shares(model_id, &buckets)?))
        })
        .await?
    };
    let merged = state.merger.drift_by_bucket(state, model_id, buckets.clone()).await?;
    let buckets = buckets
        .iter()
        .zip(figures.iter_mut())
        .zip(merged.into_iter().zip(shares))
        .map(|((bucket, f), (merged, report))| {
            let computed = f.volume > 0;
            SeriesBucket {
                from: bucket.from,
                volume: f.volume,
                error_rate: f.error_rate,
                latency_p50_ms: f.latency_p50_ms,
                latency_p99_ms: f.latency_p99_ms,
                labelled: computed.then_some(f.labelled),
                accuracy: f.accuracy,
                estimated_accuracy: f.estimated_accuracy,
                drift_share: merged.map(|d| d.drifted_share).or(report),
            }
        })
        .collect();
    Ok(Series { model, from: window.from, to: window.to, step: (step_ms / 1000) as u64, buckets })
}

/// The model's name and each bucket's figures, from one scan of the window's predictions.
fn figures_by_bucket(
    storage: &Storage,
    model_id: i64,
    window: Window,
    step_ms: i64,
    count: usize,
) -> Result<(String, Vec<Figures>), StorageError> {
    let references: References = storage.cbpe_references(model_id)?;
    let events = storage.window_events(model_id, window)?;
    let mut tallies = vec![Tally::default(); count];
    storage.scan_predictions(model_id, window, |p| {
        // The scan keeps to the window, so the bucket is in range.
        let i = ((p.at - window.from) / step_ms) as usize;
        if let Some(tally) = tallies.get_mut(i) {
            tally.add(p, &references);
        }
    })?;
    let figures = tallies.iter_mut().map(|t| t.figures(events.regression, &references)).collect();
    Ok((events.model, figures))
}
