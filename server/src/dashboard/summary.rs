//! A window's summary: everything a dashboard shows but its open alerts, computed from the counts
//! and rows `Storage::window_events` reads. Its drift is the newest drift report a client sent;
//! the caller puts drift merged from profiles in its place.

use crate::storage::{now_ms, Outputs, Storage, StorageError, StoredReport, Window, WindowEvents};
use std::collections::BTreeMap;
use tabml::api::{ColumnDrift, Dashboard, DriftSource, DriftSummary};

/// The summary of a model's events in `window`.
pub(super) fn summarize(storage: &Storage, model_id: i64, window: Window) -> Result<Dashboard, StorageError> {
    Ok(summary(storage.window_events(model_id, window)?, window, now_ms()))
}

/// The summary of what a window's events hold, at `now` (for freshness).
fn summary(events: WindowEvents, window: Window, now: i64) -> Dashboard {
    let volume: u64 = events.volume_by_version.iter().map(|(_, n)| n).sum();
    let predictions = match events.outputs {
        Outputs::Values(values) => {
            histogram(&values.iter().filter_map(|v| v.parse().ok()).collect::<Vec<f64>>())
        }
        Outputs::Counts(counts) => counts.into_iter().collect(),
    };
    let latencies = &events.latencies;
    Dashboard {
        model: events.model,
        from: window.from,
        to: window.to,
        volume,
        volume_by_version: events.volume_by_version.iter().map(|(v, n)| (v.to_string(), *n)).collect(),
        predictions,
        error_rate: (volume > 0).then(|| events.failed as f64 / volume as f64),
        latency_p50_ms: tabml::metrics::percentile_sorted(latencies, 50.0),
        latency_p99_ms: tabml::metrics::percentile_sorted(latencies, 99.0),
        accuracy: (events.labelled > 0 && !events.regression)
            .then(|| events.right as f64 / events.labelled as f64),
        labelled: events.labelled,
        estimated_accuracy: events.mean_confidence,
        drift: events.drift_report.as_ref().and_then(drift_summary),
        last_event_at: events.last_event_at,
        freshness_seconds: events.last_event_at.map(|at| (now - at) as f64 / 1000.0),
        open_alerts: Vec::new(),
    }
}

/// The parts of a stored drift report event a dashboard shows. Reports are any JSON object a client
/// sent, so each part is read if it is there and of the expected type.
fn drift_summary(stored: &StoredReport) -> Option<DriftSummary> {
    let event: serde_json::Value = serde_json::from_str(&stored.body).ok()?;
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
        version: stored.version,
        at: stored.at,
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

/// Rounded to four decimals, for people.
pub(super) fn round(value: f64) -> f64 {
    (value * 1e4).round() / 1e4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(outputs: Outputs, regression: bool) -> WindowEvents {
        WindowEvents {
            model: "m".into(),
            regression,
            volume_by_version: vec![(1, 3), (2, 1)],
            failed: 1,
            mean_confidence: Some(0.75),
            latencies: (1..=10).map(f64::from).collect(),
            outputs,
            labelled: 4,
            right: 3,
            drift_report: Some(StoredReport {
                version: 2,
                at: 5,
                body: r#"{"report": {"dataset_drift": true, "drifted_share": 0.5,
                          "columns": [{"column": "a", "drift": true}, {"test": "ks"}]}}"#
                    .into(),
            }),
            last_event_at: Some(1_000),
        }
    }

    #[test]
    fn a_classifier_window_is_counted_and_its_report_read_where_it_can_be() {
        let counts = Outputs::Counts(vec![("b".into(), 2), ("a".into(), 1)]);
        let d = summary(events(counts, false), Window { from: 0, to: 10 }, 3_000);
        assert_eq!((d.volume, d.error_rate, d.accuracy), (4, Some(0.25), Some(0.75)));
        assert_eq!(d.volume_by_version, BTreeMap::from([("1".into(), 3), ("2".into(), 1)]));
        assert_eq!(d.predictions, BTreeMap::from([("a".into(), 1), ("b".into(), 2)]));
        // numpy.percentile([1..10], 50) = 5.5.
        assert_eq!(d.latency_p50_ms, Some(5.5));
        assert_eq!(d.freshness_seconds, Some(2.0));
        let drift = d.drift.unwrap();
        assert_eq!((drift.version, drift.at, drift.drifted_share, drift.columns.len()), (2, 5, 0.5, 1));
    }

    #[test]
    fn a_regressor_window_is_a_histogram_and_has_no_accuracy() {
        let values = Outputs::Values(["0", "1", "10", "oops"].map(String::from).to_vec());
        let d = summary(events(values, true), Window { from: 0, to: 10 }, 3_000);
        assert_eq!(d.accuracy, None);
        assert_eq!(
            d.predictions,
            BTreeMap::from([("00 [0, 1]".into(), 1), ("01 [1, 2]".into(), 1), ("09 [9, 10]".into(), 1)])
        );
    }
}
