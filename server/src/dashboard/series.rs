//! A model's figures over time: one bucket per step from the series' start, each a dashboard's
//! [`Figures`] of the bucket's predictions, with its drift.
//!
//! The predictions are read in one pass over the span's blocks, each counted into its bucket's
//! [`Tally`] by arithmetic on its time (the scan is not in time order, and needs none): two scans
//! of the span's halves, split at a bucket, run at once on two read connections. Each bucket's
//! drift share is a dashboard's: from the profiles sent in it, merged by the [`ProfileMerger`]
//! (cached per bucket; at most the newest `MAX_MERGED_PROFILES` of the span), else the newest drift
//! report sent in it. A bucket without predictions has volume 0 and no other figure.
//!
//! Each bucket also counts its predictions per version and per predicted label (a regressor's: a
//! histogram of the bucket's values, as a dashboard's), and carries CBPE's band around its
//! estimate. With a version named, only that version's predictions count.
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
use std::collections::BTreeMap;
use tabml::api::{Series, SeriesBucket};

/// The most buckets one series may have.
pub const MAX_BUCKETS: i64 = 10_000;

/// The longest span one series may cover, in days.
pub const MAX_SERIES_DAYS: i64 = 400;

/// A model's series over `window` in buckets of `step_ms` (checked by the caller: at most
/// [`MAX_BUCKETS`] of them); of one version's predictions when `version` says which (drift stays
/// the model's).
pub(crate) async fn series(
    state: &AppState,
    model_id: i64,
    window: Window,
    step_ms: i64,
    version: Option<u32>,
) -> Result<Series, ServerError> {
    let buckets: Vec<Window> = (0..)
        .map(|i| window.from + i * step_ms)
        .take_while(|&from| from < window.to)
        .map(|from| Window { from, to: from.saturating_add(step_ms).min(window.to) })
        .collect();
    let (events, shares) = {
        let buckets = buckets.clone();
        blocking(state, move |s| {
            Ok((s.window_events(model_id, window)?, s.drift_report_shares(model_id, &buckets)?))
        })
        .await?
    };
    // The span is read in two halves split at a bucket, on two read connections at once: each
    // bucket's predictions are visited in the same order either way (labels since the span's
    // start), so its figures are the same to the bit, in about half the time on two cores.
    let half = buckets.len().div_ceil(2);
    let regression = events.regression;
    let read = |part: Window, count: usize| {
        let scan = Scan { model_id, part, labels_since: window.from, step_ms, count, regression, version };
        blocking(state, move |s| figures_by_bucket(s, scan))
    };
    let (mut figures, later) = match buckets.get(half) {
        Some(middle) => {
            let (first, second) =
                (Window { to: middle.from, ..window }, Window { from: middle.from, ..window });
            let (earlier, later) = tokio::join!(read(first, half), read(second, buckets.len() - half));
            (earlier?, later?)
        }
        None => (read(window, buckets.len()).await?, Vec::new()),
    };
    figures.extend(later);
    let merged = state.merger.drift_by_bucket(state, model_id, buckets.clone()).await?;
    let buckets = buckets
        .iter()
        .zip(figures)
        .zip(merged.into_iter().zip(shares))
        .map(|((bucket, (f, volume_by_version, predictions)), (merged, report))| SeriesBucket {
            from: bucket.from,
            volume: f.volume,
            volume_by_version,
            predictions,
            error_rate: f.error_rate,
            latency_p50_ms: f.latency_p50_ms,
            latency_p99_ms: f.latency_p99_ms,
            labelled: (f.volume > 0).then_some(f.labelled),
            accuracy: f.accuracy,
            estimated_accuracy: f.estimated_accuracy,
            estimated_accuracy_lower: f.estimated_band.map(|b| b.0),
            estimated_accuracy_upper: f.estimated_band.map(|b| b.1),
            overrides: (f.volume > 0).then_some(f.overrides),
            override_rate: f.override_rate,
            drift_share: merged.map(|d| d.drifted_share).or(report),
        })
        .collect();
    Ok(Series {
        model: events.model,
        from: window.from,
        to: window.to,
        step: (step_ms / 1000) as u64,
        buckets,
    })
}

/// One half of a series' scan: `count` buckets of `step_ms` from `part`'s start, with labels since
/// `labels_since`, of one version's predictions when `version` says which.
#[derive(Debug, Clone, Copy)]
struct Scan {
    model_id: i64,
    part: Window,
    labels_since: i64,
    step_ms: i64,
    count: usize,
    regression: bool,
    version: Option<u32>,
}

/// A bucket's figures, its volume per version and its predictions per label.
type BucketFigures = (Figures, BTreeMap<String, u64>, BTreeMap<String, u64>);

/// The figures of a [`Scan`]'s buckets, from one scan of its predictions.
fn figures_by_bucket(storage: &Storage, scan: Scan) -> Result<Vec<BucketFigures>, StorageError> {
    let Scan { model_id, part, labels_since, step_ms, count, regression, version } = scan;
    let references: References = storage.cbpe_references(model_id)?;
    let mut tallies = vec![Tally::with_outputs(regression); count];
    // A block's predictions mostly come in time order: the bucket of the last one is usually the
    // next's.
    let (mut bucket, mut start, mut end) = (0usize, i64::MAX, i64::MIN);
    storage.scan_predictions(model_id, part, labels_since, |p| {
        if version.is_some_and(|v| v != p.version) {
            return;
        }
        if p.at < start || p.at >= end {
            bucket = ((p.at - part.from) / step_ms) as usize;
            start = part.from + bucket as i64 * step_ms;
            end = start + step_ms;
        }
        // The scan keeps to the part, so the bucket is in range.
        if let Some(tally) = tallies.get_mut(bucket) {
            tally.add(p, &references);
        }
    })?;
    Ok(tallies
        .iter_mut()
        .map(|t| {
            let figures = t.figures(regression);
            (figures, t.volume_by_version(), t.predictions())
        })
        .collect())
}
