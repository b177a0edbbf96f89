//! What the model page's "over time" part reads, checked against numbers computed here from the
//! events sent: each bucket's volume per version and predicted labels, CBPE's band around the
//! estimated accuracy (the core's `estimate_performance` per version, combined as the API
//! documents), one version's figures alone (`version=`), the whole verdict of each column drifted
//! from merged profiles, and the bounds and ETags of the new parameter.

use crate::harness::{now, Api, Reply, Send};
use crate::mentor::{expected, figures, predictions, two_versions, Expected, Sent, HOUR};
use crate::monitoring::shifted_iris;
use axum::http::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tabml::drift::{check_profiles, estimate_performance, CbpeReference, DataProfile, DriftOptions};

/// Predictions per version and per predicted label (of those that did not fail), counted here.
fn counts(sent: &[&Sent]) -> (Value, Value) {
    let (mut versions, mut labels) = (BTreeMap::new(), BTreeMap::new());
    for s in sent {
        *versions.entry(s.version.to_string()).or_insert(0u64) += 1;
        if let Some(output) = s.output {
            *labels.entry(output.to_owned()).or_insert(0u64) += 1;
        }
    }
    (json!(versions), json!(labels))
}

/// CBPE's band of these predictions: one version's as the core gives it; several versions' around
/// the weighted value, ± 3 √Σ (nᵢ/n · σᵢ)², clipped to 0–1.
fn band(sent: &[&Sent], references: &[(u32, CbpeReference)]) -> (f64, f64) {
    let estimates: Vec<_> = references
        .iter()
        .filter_map(|(version, reference)| {
            let rows: Vec<Vec<f64>> = sent
                .iter()
                .filter(|s| s.version == *version && s.output.is_some())
                .map(|s| s.probabilities.clone())
                .collect();
            estimate_performance(&rows, Some(reference))
        })
        .collect();
    if let [one] = estimates.as_slice() {
        return (one.accuracy.lower, one.accuracy.upper);
    }
    let rows: usize = estimates.iter().map(|e| e.rows).sum();
    let value: f64 = estimates.iter().map(|e| e.accuracy.value * e.rows as f64).sum::<f64>() / rows as f64;
    let error = estimates
        .iter()
        .map(|e| (e.rows as f64 / rows as f64 * e.accuracy.sampling_error).powi(2))
        .sum::<f64>()
        .sqrt();
    ((value - 3.0 * error).max(0.0), (value + 3.0 * error).min(1.0))
}

/// Figures as they read after a trip through JSON text (serde_json reads some floats one unit in
/// the last place off, as it reads the server's answer).
fn via_json(e: Expected) -> Expected {
    let text = json!({"volume": e.0, "error_rate": e.1, "latency_p50_ms": e.2, "latency_p99_ms": e.3,
                      "labelled": e.4, "accuracy": e.5, "estimated_accuracy": e.6})
    .to_string();
    figures(&serde_json::from_str(&text).unwrap())
}

/// A value as it reads after a trip through JSON text.
fn reread(value: impl Into<Value>) -> Value {
    serde_json::from_str(&value.into().to_string()).unwrap()
}

fn band_of(figures: &Value) -> (f64, f64) {
    (
        figures["estimated_accuracy_lower"].as_f64().unwrap(),
        figures["estimated_accuracy_upper"].as_f64().unwrap(),
    )
}

both_ways!(buckets_count_versions_and_labels_carry_the_band_and_one_version_reads_alone);
async fn buckets_count_versions_and_labels_carry_the_band_and_one_version_reads_alone(loopback: bool) {
    let api = Api::start(loopback).await;
    let api = &api;
    let (v1, references) = two_versions(api).await;
    // Two buckets of an hour: version 1 alone, then both versions.
    let t0 = (now() - 4 * HOUR) / HOUR * HOUR;
    let first = predictions("a", 1, t0, 14);
    let second = [predictions("b", 1, t0 + HOUR, 9), predictions("c", 2, t0 + HOUR, 11)].concat();
    let current = shifted_iris(1.5);
    let profile = DataProfile::of_rows(&current, None);
    let mut events: Vec<Value> = first.iter().chain(&second).map(|s| s.event("iris")).collect();
    events.extend(first.iter().chain(&second).filter_map(|s| s.label_event("iris", t0 + 3 * HOUR)));
    events.push(json!({"id": "f1", "type": "profile", "model": "iris", "version": 1, "at": t0 + HOUR + 10,
                       "profile": profile}));
    api.events(&api.learner, events).await.expect(200);

    let to = t0 + 2 * HOUR;
    let path = format!("/api/v1/models/iris/series?from={t0}&to={to}&step=3600");
    let series = api.get(&path, &api.mentor).await.expect(200);
    let buckets = series["buckets"].as_array().unwrap();
    for (bucket, sent) in buckets.iter().zip([first.iter().collect::<Vec<_>>(), second.iter().collect()]) {
        let (versions, labels) = counts(&sent);
        assert_eq!((&bucket["volume_by_version"], &bucket["predictions"]), (&versions, &labels));
        assert_eq!(band_of(bucket), band(&sent, &references));
        let (lower, upper) = band_of(bucket);
        let value = bucket["estimated_accuracy"].as_f64().unwrap();
        assert!(lower < value && value < upper, "{lower} {value} {upper}");
    }
    assert_eq!(buckets[1]["volume_by_version"], json!({"1": 9, "2": 11}));

    // The dashboard of the same span has the same band.
    let dashboard = api.get(&format!("/api/v1/models/iris/dashboard?from={t0}&to={to}"), &api.mentor).await;
    let dashboard = dashboard.expect(200);
    let all: Vec<&Sent> = first.iter().chain(&second).collect();
    assert_eq!(band_of(&dashboard), band(&all, &references));

    // One version alone: its figures only, in the series and the dashboard.
    let twos: Vec<&Sent> = second.iter().filter(|s| s.version == 2).collect();
    let only = api.get(&format!("{path}&version=2"), &api.mentor).await.expect(200);
    assert_eq!(only["buckets"][0]["volume"], 0);
    assert_eq!(figures(&only["buckets"][1]), via_json(expected(&twos, &references)));
    assert_eq!(band_of(&only["buckets"][1]), band(&twos, &references));
    let path2 = format!("/api/v1/models/iris/dashboard?from={t0}&to={to}&version=2");
    let dashboard2 = api.get(&path2, &api.mentor).await.expect(200);
    assert_eq!(figures(&dashboard2), via_json(expected(&twos, &references)));
    assert_eq!(dashboard2["volume_by_version"], json!({"2": 11}));
    let ones: Vec<&Sent> = all.iter().copied().filter(|s| s.version == 1).collect();
    let path1 = format!("/api/v1/models/iris/dashboard?from={t0}&to={to}&version=1");
    let dashboard1 = api.get(&path1, &api.mentor).await.expect(200);
    assert_eq!(figures(&dashboard1), via_json(expected(&ones, &references)));

    // The drift merged from the profile carries each column's whole verdict, as the core gives it.
    let trained = tabml::ModelBundle::decode(&v1).unwrap();
    let options = DriftOptions { now: Some(now() as f64 / 1000.0), ..DriftOptions::default() };
    let report = check_profiles(&trained.profile, &profile, &options).unwrap();
    let columns = dashboard["drift"]["columns"].as_array().unwrap();
    assert_eq!(columns.len(), report.columns.len());
    for (ours, theirs) in columns.iter().zip(&report.columns) {
        let ours: tabml::api::ColumnDrift = serde_json::from_value(ours.clone()).unwrap();
        let verdict = ours.verdict().expect("a whole verdict");
        assert_eq!(
            (&verdict.column, verdict.kind, verdict.test, &verdict.reason, verdict.threshold, verdict.drift),
            (&theirs.column, theirs.kind, theirs.test, &theirs.reason, theirs.threshold, theirs.drift)
        );
        let numbers =
            json!([theirs.p_value, Some(theirs.statistic).filter(|s| s.is_finite()), theirs.value()]);
        assert_eq!(json!([verdict.p_value, ours.test_statistic, ours.statistic]), reread(numbers));
        let distribution = serde_json::to_value(&theirs.distribution).unwrap();
        assert_eq!(serde_json::to_value(&verdict.distribution).unwrap(), reread(distribution));
    }
    assert!(columns.iter().any(|c| c["drift"] == true));
}

both_ways!(the_version_parameter_is_bounded_and_part_of_the_etag);
async fn the_version_parameter_is_bounded_and_part_of_the_etag(loopback: bool) {
    let api = Api::start(loopback).await;
    let api = &api;
    api.register(&api.learner, "iris").await;
    for bad in ["0", "-1", "4294967296", "two", "1.5", "99999999999999999999"] {
        let series = api.get(&format!("/api/v1/models/iris/series?version={bad}"), &api.learner).await;
        series.error(400, "invalid_input");
        let dashboard = api.get(&format!("/api/v1/models/iris/dashboard?version={bad}"), &api.learner).await;
        dashboard.error(400, "invalid_input");
    }
    // The version is checked before the model is looked up.
    api.get("/api/v1/models/nope/series?version=0", &api.learner).await.error(400, "invalid_input");
    let get = |path: String, tag: Option<String>| async move {
        let extra: Vec<(&str, &str)> = tag.iter().map(|t| ("if-none-match", t.as_str())).collect();
        api.call_with(Method::GET, &path, Some(&api.learner), Send::None, &extra).await
    };
    let tag = |reply: &Reply| reply.headers.get("etag").unwrap().to_str().unwrap().to_owned();
    let span = "from=0&to=3600000&step=600";
    for (one, two) in [
        (
            format!("/api/v1/models/iris/series?{span}&version=1"),
            format!("/api/v1/models/iris/series?{span}&version=2"),
        ),
        (
            "/api/v1/models/iris/dashboard?from=0&to=1&version=1".to_owned(),
            "/api/v1/models/iris/dashboard?from=0&to=1&version=2".to_owned(),
        ),
    ] {
        let first = get(one.clone(), None).await;
        let etag = tag(&first);
        first.expect(200);
        assert_eq!(get(one, Some(etag.clone())).await.status, 304);
        let other = get(two, Some(etag.clone())).await;
        assert_ne!(tag(&other), etag);
        other.expect(200);
    }
}
