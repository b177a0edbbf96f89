//! A window's figures, from what storage reads: its predictions, visited one at a time by
//! `Storage::scan_predictions` and counted into a [`Tally`], and the rest `Storage::window_events`
//! reads. A dashboard is one window's [`Figures`] with its outputs, drift report and freshness; a
//! series bucket (`series.rs`) is one [`Tally`] of the same scan, so the two never disagree.
//!
//! Estimated accuracy is CBPE as NannyML computes it (`tabml::drift::ExpectedConfusion`, the
//! core's `estimate_performance` one row at a time), each version's predictions calibrated with the
//! reference kept beside that version at upload. The predictions that count are those that did not
//! fail and sent as many class probabilities as the version's reference has classes. A window with
//! several versions gets their estimates weighted by those predictions (each version's share of the
//! estimated right answers: the accuracy expected over all of them, as realized accuracy pools
//! versions too). A version without a reference (a regressor, or a bundle without test rows) is left
//! out; with none, there is no estimate.
//!
//! Overrides are counted beside the labels, never as labels: a mentor overrides the predictions
//! that look wrong, so counting their answers as labels would pull realized accuracy down by the
//! choice of what was checked, not by how the model does. The override rate (predictions overridden
//! over predictions, by the prediction's time) says how often a person stepped in.

use crate::storage::{now_ms, PredictionFacts, Storage, StorageError, StoredReport, Window, WindowEvents};
use std::collections::{BTreeMap, HashMap};
use tabml::api::{ColumnDrift, Dashboard, DriftSource, DriftSummary};
use tabml::drift::{CbpeReference, ExpectedConfusion};

/// The CBPE reference of each version that has one.
pub(super) type References = HashMap<u32, CbpeReference>;

/// The summary of a model's events in `window`: of one version's predictions when `version` says
/// which (its drift, freshness and alerts stay the model's).
pub(super) fn summarize(
    storage: &Storage,
    model_id: i64,
    window: Window,
    version: Option<u32>,
) -> Result<Dashboard, StorageError> {
    let references = storage.cbpe_references(model_id)?;
    let events = storage.window_events(model_id, window)?;
    let mut tally = Tally::with_outputs(events.regression);
    storage.scan_predictions(model_id, window, window.from, |p| {
        if version.is_none_or(|v| v == p.version) {
            tally.add(p, &references);
        }
    })?;
    Ok(summary(tally, events, window, now_ms()))
}

/// Predictions counted one at a time: what a window's figures are computed from. It borrows the
/// CBPE references it calibrates with.
#[derive(Debug, Clone, Default)]
pub(super) struct Tally<'r> {
    /// Per version, in the order first seen.
    versions: Vec<VersionTally<'r>>,
    /// The index in `versions` of the version seen last (predictions come in runs of one version).
    last: usize,
    failed: u64,
    /// Every prediction's latency, in no order.
    latencies: Vec<f64>,
    /// Predictions that did not fail and have a label.
    labelled: u64,
    /// Of those, the ones whose output is their label.
    right: u64,
    /// Predictions a mentor overrode.
    overrides: u64,
    /// A dashboard's outputs (a series does not count them).
    outputs: Option<Outputs>,
}

/// One version's predictions in a [`Tally`].
#[derive(Debug, Clone)]
struct VersionTally<'r> {
    version: u32,
    volume: u64,
    /// Its CBPE reference and expected confusion matrix, when it has a reference.
    expected: Option<(&'r CbpeReference, ExpectedConfusion)>,
}

/// Labels counted by a scan before a map takes the rest.
const FEW_LABELS: usize = 32;

/// The outputs of a window's predictions that did not fail.
#[derive(Debug, Clone)]
enum Outputs {
    /// A classifier's: how often each label was predicted. A classifier has few labels, so the
    /// first [`FEW_LABELS`] are found by a scan (no hashing, a million times a series); any more
    /// go to the map.
    Counts(Vec<(String, u64)>, HashMap<String, u64>),
    /// A regressor's: each value that reads as a number.
    Values(Vec<f64>),
}

/// What a window's predictions say: a dashboard's numbers, and a series bucket's.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Figures {
    pub volume: u64,
    pub error_rate: Option<f64>,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub labelled: u64,
    pub accuracy: Option<f64>,
    pub estimated_accuracy: Option<f64>,
    /// CBPE's band around the estimate: see [`band`].
    pub estimated_band: Option<(f64, f64)>,
    pub overrides: u64,
    pub override_rate: Option<f64>,
}

impl<'r> Tally<'r> {
    /// A tally that also counts outputs, as a dashboard shows them.
    pub(super) fn with_outputs(regression: bool) -> Self {
        let outputs = if regression {
            Outputs::Values(Vec::new())
        } else {
            Outputs::Counts(Vec::new(), HashMap::new())
        };
        Self { outputs: Some(outputs), ..Self::default() }
    }

    /// Counts one prediction.
    pub(super) fn add(&mut self, p: &PredictionFacts, references: &'r References) {
        let i = match self.versions.get(self.last) {
            Some(known) if known.version == p.version => self.last,
            _ => match self.versions.iter().position(|v| v.version == p.version) {
                Some(i) => i,
                None => {
                    let expected = references
                        .get(&p.version)
                        .and_then(|r| Some((r, ExpectedConfusion::new(r.classes())?)));
                    self.versions.push(VersionTally { version: p.version, volume: 0, expected });
                    self.versions.len() - 1
                }
            },
        };
        self.last = i;
        let version = &mut self.versions[i];
        version.volume += 1;
        if let Some(latency) = p.latency_ms {
            self.latencies.push(latency);
        }
        self.overrides += u64::from(p.overridden);
        if p.failed {
            self.failed += 1;
            return;
        }
        match (&mut self.outputs, p.output) {
            (Some(Outputs::Counts(few, more)), Some(output)) => {
                if let Some((_, n)) = few.iter_mut().find(|(label, _)| label == output) {
                    *n += 1;
                } else if few.len() < FEW_LABELS {
                    few.push((output.to_owned(), 1));
                } else if let Some(n) = more.get_mut(output) {
                    *n += 1;
                } else {
                    more.insert(output.to_owned(), 1);
                }
            }
            (Some(Outputs::Values(values)), Some(output)) => values.extend(output.parse::<f64>().ok()),
            _ => {}
        }
        if let Some(label) = p.label {
            self.labelled += 1;
            self.right += u64::from(p.output == Some(label));
        }
        if let (Some((reference, expected)), false) = (&mut version.expected, p.probabilities.is_empty()) {
            expected.add(p.probabilities, Some(reference));
        }
    }

    /// Predictions per version, by version.
    pub(super) fn volume_by_version(&self) -> BTreeMap<String, u64> {
        self.versions.iter().map(|v| (v.version.to_string(), v.volume)).collect()
    }

    /// Predictions per predicted label (the 20 most frequent, ties by label), or a regressor's
    /// histogram; empty when outputs were not counted. Takes them out of the tally.
    pub(super) fn predictions(&mut self) -> BTreeMap<String, u64> {
        match self.outputs.take() {
            Some(Outputs::Values(values)) => histogram(&values),
            Some(Outputs::Counts(few, more)) => {
                let mut counts: Vec<(String, u64)> = few.into_iter().chain(more).collect();
                counts.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                counts.into_iter().take(20).collect()
            }
            None => BTreeMap::new(),
        }
    }

    /// The figures of the predictions counted (latencies are reordered on the way). A regressor has
    /// no accuracy.
    pub(super) fn figures(&mut self, regression: bool) -> Figures {
        let volume: u64 = self.versions.iter().map(|v| v.volume).sum();
        // Versions' estimates weighted by the predictions each estimated (see the module doc), in
        // version order.
        self.versions.sort_unstable_by_key(|v| v.version);
        self.last = 0;
        let (mut right, mut rows) = (0.0, 0usize);
        let mut estimates = Vec::new();
        for (reference, expected) in self.versions.iter().filter_map(|v| v.expected.as_ref()) {
            if let Some(estimate) = expected.estimate(Some(reference)) {
                right += estimate.accuracy.value * estimate.rows as f64;
                rows += estimate.rows;
                estimates.push(estimate);
            }
        }
        let estimated_accuracy = (rows > 0 && !regression).then(|| right / rows as f64);
        Figures {
            volume,
            error_rate: (volume > 0).then(|| self.failed as f64 / volume as f64),
            latency_p50_ms: tabml::metrics::percentile_unsorted(&mut self.latencies, 50.0),
            latency_p99_ms: tabml::metrics::percentile_unsorted(&mut self.latencies, 99.0),
            labelled: self.labelled,
            accuracy: (self.labelled > 0 && !regression).then(|| self.right as f64 / self.labelled as f64),
            estimated_accuracy,
            estimated_band: estimated_accuracy.map(|value| band(value, &estimates, rows)),
            overrides: self.overrides,
            override_rate: (volume > 0).then(|| self.overrides as f64 / volume as f64),
        }
    }
}

/// CBPE's band around the estimated accuracy `value` of these versions' estimates (`rows` in all):
/// one version's is the core's (`tabml::drift::estimate_performance`: value ± 3 sampling errors,
/// clipped to 0–1); several versions' is around the weighted value, with their sampling errors
/// weighted as the values are (wᵢ = rowsᵢ / rows) and combined as independent ones, √Σ wᵢ² σᵢ².
/// Without a sampling error (a reference without one), the band is the value alone, as the core's.
fn band(value: f64, estimates: &[tabml::drift::PerformanceEstimate], rows: usize) -> (f64, f64) {
    if let [one] = estimates {
        return (one.accuracy.lower, one.accuracy.upper);
    }
    let variance: f64 =
        estimates.iter().map(|e| (e.rows as f64 / rows as f64 * e.accuracy.sampling_error).powi(2)).sum();
    let error = variance.sqrt();
    if error.is_finite() {
        ((value - 3.0 * error).max(0.0), (value + 3.0 * error).min(1.0))
    } else {
        (value, value)
    }
}

/// The summary of a window: its predictions' figures and outputs, its newest drift report, and how
/// fresh its newest event is at `now`.
fn summary(mut tally: Tally, events: WindowEvents, window: Window, now: i64) -> Dashboard {
    let figures = tally.figures(events.regression);
    let predictions = tally.predictions();
    Dashboard {
        model: events.model,
        from: window.from,
        to: window.to,
        volume: figures.volume,
        volume_by_version: tally.volume_by_version(),
        predictions,
        error_rate: figures.error_rate,
        latency_p50_ms: figures.latency_p50_ms,
        latency_p99_ms: figures.latency_p99_ms,
        accuracy: figures.accuracy,
        labelled: figures.labelled,
        estimated_accuracy: figures.estimated_accuracy,
        estimated_accuracy_lower: figures.estimated_band.map(|b| b.0),
        estimated_accuracy_upper: figures.estimated_band.map(|b| b.1),
        overrides: figures.overrides,
        override_rate: figures.override_rate,
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
                        kind: part(c, "kind"),
                        reason: part(c, "reason").unwrap_or_default(),
                        test_statistic: part(c, "statistic"),
                        p_value: part(c, "p_value"),
                        threshold: part(c, "threshold"),
                        distribution: part(c, "distribution"),
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

/// A part of a report's column a client may have left out or written otherwise: `None` then.
fn part<T: serde::de::DeserializeOwned>(column: &serde_json::Value, name: &str) -> Option<T> {
    column.get(name).and_then(|v| T::deserialize(v).ok())
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

    fn prediction<'a>(
        version: u32,
        latency: f64,
        output: &'a str,
        label: Option<&'a str>,
    ) -> PredictionFacts<'a> {
        PredictionFacts {
            at: 0,
            version,
            failed: false,
            latency_ms: Some(latency),
            output: Some(output),
            probabilities: &[],
            label,
            overridden: false,
        }
    }

    fn events(regression: bool) -> WindowEvents {
        WindowEvents {
            model: "m".into(),
            regression,
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
        let mut tally = Tally::with_outputs(false);
        let none = References::new();
        // Latencies 1 to 10: three predictions of version 1, one failed of version 2, the rest of 1.
        for (i, (output, label)) in
            [("b", Some("b")), ("b", Some("a")), ("a", Some("a")), ("a", Some("a"))].into_iter().enumerate()
        {
            tally.add(&prediction(1, i as f64 + 1.0, output, label), &none);
        }
        tally.add(
            &PredictionFacts { failed: true, output: None, overridden: true, ..prediction(2, 5.0, "", None) },
            &none,
        );
        for latency in 6..=10 {
            tally.add(&prediction(1, f64::from(latency), "b", None), &none);
        }
        let d = summary(tally, events(false), Window { from: 0, to: 10 }, 3_000);
        assert_eq!((d.volume, d.error_rate, d.labelled, d.accuracy), (10, Some(0.1), 4, Some(0.75)));
        assert_eq!(d.volume_by_version, BTreeMap::from([("1".into(), 9), ("2".into(), 1)]));
        assert_eq!((d.overrides, d.override_rate), (1, Some(0.1)));
        assert_eq!(d.predictions, BTreeMap::from([("a".into(), 2), ("b".into(), 7)]));
        // numpy.percentile([1..10], 50) = 5.5; no reference, no estimate.
        assert_eq!((d.latency_p50_ms, d.estimated_accuracy), (Some(5.5), None));
        assert_eq!(d.freshness_seconds, Some(2.0));
        let drift = d.drift.unwrap();
        assert_eq!((drift.version, drift.at, drift.drifted_share, drift.columns.len()), (2, 5, 0.5, 1));
    }

    #[test]
    fn a_regressor_window_is_a_histogram_and_has_no_accuracy() {
        let none = References::new();
        let mut tally = Tally::with_outputs(true);
        for output in ["0", "1", "10", "oops"] {
            tally.add(&prediction(1, 1.0, output, Some(output)), &none);
        }
        let d = summary(tally, events(true), Window { from: 0, to: 10 }, 3_000);
        assert_eq!(d.accuracy, None);
        assert_eq!(
            d.predictions,
            BTreeMap::from([("00 [0, 1]".into(), 1), ("01 [1, 2]".into(), 1), ("09 [9, 10]".into(), 1)])
        );
    }

    #[test]
    fn versions_estimates_are_weighted_by_the_predictions_each_estimated() {
        let p: Vec<Vec<f64>> =
            (0..40).map(|i| vec![1.0 - f64::from(i) / 40.0, f64::from(i) / 40.0]).collect();
        let truth: Vec<usize> = (0..40).map(|i| usize::from(i % 3 == 0)).collect();
        let references = References::from([
            (1, CbpeReference::fit(&p, &truth, true).unwrap()),
            (2, CbpeReference::fit(&p, &truth.iter().map(|t| 1 - t).collect::<Vec<_>>(), true).unwrap()),
        ]);
        let mut tally = Tally::default();
        let (ones, twos) = (&p[..30], &p[30..]);
        for (version, rows) in [(1, ones), (2, twos)] {
            for row in rows {
                tally.add(
                    &PredictionFacts { probabilities: row, ..prediction(version, 1.0, "x", None) },
                    &references,
                );
            }
        }
        // A row of three classes fits neither reference, and a version without one counts nothing.
        tally.add(
            &PredictionFacts { probabilities: &[0.2, 0.3, 0.5], ..prediction(1, 1.0, "x", None) },
            &references,
        );
        tally.add(
            &PredictionFacts { probabilities: &[0.2, 0.8], ..prediction(3, 1.0, "x", None) },
            &references,
        );
        let one = tabml::drift::estimate_performance(ones, references.get(&1)).unwrap().accuracy.value;
        let two = tabml::drift::estimate_performance(twos, references.get(&2)).unwrap().accuracy.value;
        let figures = tally.figures(false);
        assert_eq!(figures.estimated_accuracy, Some((one * 30.0 + two * 10.0) / 40.0));
        assert_eq!(figures.volume, 42);
    }
}
