//! The mentors' API: a model's series over time and a class's overview, each checked against
//! numbers computed here from the events sent (numpy's percentiles by a helper of our own, accuracy
//! from the labels, CBPE from the core's `estimate_performance` with the bundle's reference), and
//! the bounds a series puts on its span and step.

use crate::harness::{bundle, now, Api, Send};
use crate::monitoring::shifted_iris;
use axum::http::Method;
use serde_json::{json, Value};
use tabml::drift::{check_against_profile, estimate_performance, CbpeReference, DataProfile, DriftOptions};

pub(crate) const HOUR: i64 = 3_600_000;

/// `numpy.percentile(values, q)` with its default linear method, written out: the virtual index
/// (n − 1)·q/100, and `_lerp`, from the upper neighbour when the fraction is at least one half.
fn numpy_percentile(values: &[f64], q: f64) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * (q / 100.0);
    let lo = h.floor() as usize;
    let (a, b) = (sorted[lo], sorted[(lo + 1).min(n - 1)]);
    let t = h - lo as f64;
    Some(if t >= 0.5 { b - (b - a) * (1.0 - t) } else { a + (b - a) * t })
}

/// The CBPE reference a bundle's test rows give, as the server keeps it at upload.
pub(crate) fn reference(bundle: &[u8]) -> CbpeReference {
    let decoded = tabml::ModelBundle::decode(bundle).unwrap();
    CbpeReference::of_evaluation(decoded.evaluation.as_ref().unwrap()).unwrap()
}

/// Model "iris", handed out by the mentor, with versions 1 and 2 uploaded: version 1's bundle, and
/// both versions' CBPE references as the server keeps them.
pub(crate) async fn two_versions(api: &Api) -> (Vec<u8>, [(u32, CbpeReference); 2]) {
    api.hand_out(&api.mentor, "iris").await;
    let (v1, v2) = (bundle(1, false), bundle(2, false));
    api.upload(&api.mentor, "iris", v1.clone()).await.expect(201);
    api.upload(&api.mentor, "iris", v2.clone()).await.expect(201);
    let references = [(1, reference(&v1)), (2, reference(&v2))];
    (v1, references)
}

/// One prediction as a client sends it, and what the test expects of it.
#[derive(Clone)]
pub(crate) struct Sent {
    pub(crate) id: String,
    pub(crate) version: u32,
    pub(crate) at: i64,
    pub(crate) latency: f64,
    pub(crate) output: Option<&'static str>,
    pub(crate) probabilities: Vec<f64>,
    pub(crate) label: Option<&'static str>,
}

impl Sent {
    pub(crate) fn event(&self, model: &str) -> Value {
        let mut e = json!({"id": self.id, "type": "prediction", "model": model, "version": self.version,
                           "at": self.at, "prediction_id": format!("p-{}", self.id),
                           "probabilities": self.probabilities, "latency_ms": self.latency});
        match self.output {
            Some(output) => e["output"] = json!(output),
            None => e["error"] = json!("a column is missing"),
        }
        e
    }

    pub(crate) fn label_event(&self, model: &str, at: i64) -> Option<Value> {
        let label = self.label?;
        Some(json!({"id": format!("l-{}", self.id), "type": "label", "model": model, "version": self.version,
                    "at": at, "prediction_id": format!("p-{}", self.id), "label": label}))
    }
}

/// Predictions of a version spread over an hour from `start`, with latencies, outputs,
/// probabilities and labels that vary from one to the next; every fifth failed.
pub(crate) fn predictions(prefix: &str, version: u32, start: i64, n: usize) -> Vec<Sent> {
    const LABELS: [&str; 3] = ["setosa", "versicolor", "virginica"];
    (0..n)
        .map(|i| {
            let p = 0.2 + 0.7 * ((i * 7) % 11) as f64 / 10.0;
            let rest = 1.0 - p.min(0.9);
            Sent {
                id: format!("{prefix}{i}"),
                version,
                at: start + (i as i64 * 997) % HOUR,
                latency: ((i * 37) % 23) as f64 * 0.75 + 0.1,
                output: (i % 5 != 4).then_some(LABELS[i % 3]),
                probabilities: vec![p.min(0.9), rest * 0.6, rest * 0.4],
                label: (i % 2 == 0).then_some(LABELS[(i / 2) % 3]),
            }
        })
        .collect()
}

/// What a bucket of these predictions should say: (volume, error rate, p50, p99, labelled,
/// accuracy, estimated accuracy), computed here.
pub(crate) type Expected = (u64, f64, f64, f64, u64, Option<f64>, Option<f64>);

pub(crate) fn expected(sent: &[&Sent], references: &[(u32, CbpeReference)]) -> Expected {
    let volume = sent.len() as u64;
    let failed = sent.iter().filter(|s| s.output.is_none()).count();
    let latencies: Vec<f64> = sent.iter().map(|s| s.latency).collect();
    let answered: Vec<&&Sent> = sent.iter().filter(|s| s.output.is_some()).collect();
    let labelled: Vec<&&&Sent> = answered.iter().filter(|s| s.label.is_some()).collect();
    let right = labelled.iter().filter(|s| s.label == s.output).count();
    // CBPE per version on the predictions that did not fail, weighted by how many each had.
    let (mut estimated, mut rows) = (0.0, 0usize);
    for (version, reference) in references {
        let probabilities: Vec<Vec<f64>> =
            answered.iter().filter(|s| s.version == *version).map(|s| s.probabilities.clone()).collect();
        if let Some(estimate) = estimate_performance(&probabilities, Some(reference)) {
            estimated += estimate.accuracy.value * estimate.rows as f64;
            rows += estimate.rows;
        }
    }
    (
        volume,
        failed as f64 / volume as f64,
        numpy_percentile(&latencies, 50.0).unwrap(),
        numpy_percentile(&latencies, 99.0).unwrap(),
        labelled.len() as u64,
        (!labelled.is_empty()).then(|| right as f64 / labelled.len() as f64),
        (rows > 0).then(|| estimated / rows as f64),
    )
}

pub(crate) fn figures(bucket: &Value) -> Expected {
    (
        bucket["volume"].as_u64().unwrap(),
        bucket["error_rate"].as_f64().unwrap(),
        bucket["latency_p50_ms"].as_f64().unwrap(),
        bucket["latency_p99_ms"].as_f64().unwrap(),
        bucket["labelled"].as_u64().unwrap(),
        bucket["accuracy"].as_f64(),
        bucket["estimated_accuracy"].as_f64(),
    )
}

both_ways!(a_series_is_a_dashboard_per_bucket_with_empty_buckets_included);
async fn a_series_is_a_dashboard_per_bucket_with_empty_buckets_included(loopback: bool) {
    let api = Api::start(loopback).await;
    let api = &api;
    let (v1, references) = two_versions(api).await;

    // Four buckets of an hour from t0, the last one half an hour long: the first holds version 1's
    // predictions, the second nothing, the third both versions', the fourth nothing.
    let t0 = (now() - 5 * HOUR) / HOUR * HOUR;
    let first = predictions("a", 1, t0, 12);
    let mut third = predictions("b", 1, t0 + 2 * HOUR, 7);
    third.extend(predictions("c", 2, t0 + 2 * HOUR, 5));
    // Outside the span on either side: not counted.
    let outside = [predictions("z", 1, t0 - HOUR, 3), predictions("y", 1, t0 + 4 * HOUR, 3)].concat();
    let mut events: Vec<Value> =
        first.iter().chain(&third).chain(&outside).map(|s| s.event("iris")).collect();
    // Labels arrive after the span.
    events.extend(first.iter().chain(&third).filter_map(|s| s.label_event("iris", t0 + 5 * HOUR)));
    // Two drift reports in the first hour (the newer counts), one in the third, which the profile
    // sent there overrides.
    let report = |id: &str, at: i64, share: f64| {
        json!({"id": id, "type": "drift_report", "model": "iris", "version": 1, "at": at,
               "report": {"dataset_drift": share > 0.5, "drifted_share": share}})
    };
    events.push(report("d1", t0 + 100, 0.9));
    events.push(report("d2", t0 + 200, 0.25));
    events.push(report("d3", t0 + 2 * HOUR + 5, 0.75));
    let current = shifted_iris(1.5);
    events
        .push(json!({"id": "f1", "type": "profile", "model": "iris", "version": 1, "at": t0 + 2 * HOUR + 10,
                       "profile": DataProfile::of_rows(&current, None)}));
    api.events(&api.learner, events).await.expect(200);

    let to = t0 + 3 * HOUR + HOUR / 2;
    let series =
        api.get(&format!("/api/v1/models/iris/series?from={t0}&to={to}&step=3600"), &api.learner).await;
    let series = series.expect(200);
    assert_eq!(
        (series["model"].as_str(), series["from"].as_i64(), series["to"].as_i64(), series["step"].as_u64()),
        (Some("iris"), Some(t0), Some(to), Some(3600))
    );
    let buckets = series["buckets"].as_array().unwrap();
    let starts: Vec<i64> = buckets.iter().map(|b| b["from"].as_i64().unwrap()).collect();
    assert_eq!(starts, [t0, t0 + HOUR, t0 + 2 * HOUR, t0 + 3 * HOUR]);
    assert_eq!(figures(&buckets[0]), expected(&first.iter().collect::<Vec<_>>(), &references));
    assert_eq!(figures(&buckets[2]), expected(&third.iter().collect::<Vec<_>>(), &references));
    // The numbers are what they should be, not only equal: a few by hand.
    assert_eq!(figures(&buckets[0]).0, 12);
    assert_eq!(figures(&buckets[0]).4, 5, "six of twelve labelled, one of them failed");
    assert!(figures(&buckets[2]).6.unwrap() > 0.0);
    assert_eq!(buckets[0]["drift_share"], 0.25);
    let trained = tabml::ModelBundle::decode(&v1).unwrap();
    let drift = check_against_profile(&trained.profile, &current, &DriftOptions::default()).unwrap();
    assert_eq!(buckets[2]["drift_share"].as_f64(), Some(drift.drifted_share));
    for empty in [&buckets[1], &buckets[3]] {
        assert_eq!(
            empty,
            &json!({"from": empty["from"], "volume": 0, "volume_by_version": {}, "predictions": {},
                    "error_rate": null, "latency_p50_ms": null, "latency_p99_ms": null, "labelled": null,
                    "accuracy": null, "estimated_accuracy": null, "estimated_accuracy_lower": null,
                    "estimated_accuracy_upper": null, "overrides": null, "override_rate": null,
                    "drift_share": null})
        );
    }

    // One bucket over the whole span is that span's dashboard.
    let whole =
        api.get(&format!("/api/v1/models/iris/series?from={t0}&to={to}&step=86400"), &api.mentor).await;
    let whole = whole.expect(200)["buckets"][0].clone();
    let dashboard = api.get(&format!("/api/v1/models/iris/dashboard?from={t0}&to={to}"), &api.mentor).await;
    let dashboard = dashboard.expect(200);
    for figure in [
        "volume",
        "error_rate",
        "latency_p50_ms",
        "latency_p99_ms",
        "labelled",
        "accuracy",
        "estimated_accuracy",
        "overrides",
        "override_rate",
    ] {
        assert_eq!(whole[figure], dashboard[figure], "{figure}");
    }
}

both_ways!(a_series_refuses_a_span_or_step_it_would_not_answer_before_any_work);
async fn a_series_refuses_a_span_or_step_it_would_not_answer_before_any_work(loopback: bool) {
    let api = Api::start(loopback).await;
    api.register(&api.learner, "iris").await;
    let day = 24 * HOUR;
    let t = 1_700_000_000_000i64;
    for (query, message) in [
        (
            format!("from={t}&to={}&step=0", t + day),
            "step 0: the bucket size in seconds, 1 to 34560000 (400 days)",
        ),
        (
            format!("from={t}&to={}&step=-5", t + day),
            "step -5: the bucket size in seconds, 1 to 34560000 (400 days)",
        ),
        (format!("from={}&to={t}", t + 1), &format!("from {} and to {t}: from must come before to", t + 1)),
        (format!("from={t}&to={t}"), &format!("from {t} and to {t}: from must come before to")),
        (
            format!("from={t}&to={}&step=86400", t + 401 * day),
            &format!(
                "from {t} and to {}: at most 400 days apart (these are 401.0 days apart)",
                t + 401 * day
            ),
        ),
        (
            format!("from={t}&to={}&step=60", t + 30 * day),
            "from, to and step: 43200 buckets of 60 s; at most 10000 (take a longer step or a shorter span)",
        ),
        ("from=-1&to=5".into(), "from -1: Unix milliseconds, 0 or later"),
        ("from=yesterday".into(), "from \"yesterday\": expected Unix milliseconds, a whole number"),
        (format!("from={t}&to=1e15"), "to \"1e15\": expected Unix milliseconds, a whole number"),
        ("step=1.5".into(), "step \"1.5\": expected seconds, a whole number"),
        (
            "step=99999999999999999999".into(),
            "step \"99999999999999999999\": expected seconds, a whole number",
        ),
        ("step=3600000000".into(), "step 3600000000: the bucket size in seconds, 1 to 34560000 (400 days)"),
    ] {
        let reply = api.get(&format!("/api/v1/models/iris/series?{query}"), &api.learner).await;
        assert_eq!(reply.error(400, "invalid_input"), message, "{query}");
    }
    let reply = api.get("/api/v1/models/iris/series?colour=red", &api.learner).await;
    assert!(reply.error(400, "invalid_input").contains("unknown field `colour`"));
    // The span is checked before the model is looked up.
    api.get("/api/v1/models/nope/series?step=0", &api.learner).await.error(400, "invalid_input");
    api.get("/api/v1/models/nope/series", &api.learner).await.error(404, "not_found");
    // The largest span and bucket count allowed are answered.
    let most = format!("from={t}&to={}&step=3456", t + 400 * day);
    let series = api.get(&format!("/api/v1/models/iris/series?{most}"), &api.learner).await.expect(200);
    assert_eq!(series["buckets"].as_array().unwrap().len(), 10_000);
}

both_ways!(a_class_overview_is_each_models_last_day_for_its_mentor);
async fn a_class_overview_is_each_models_last_day_for_its_mentor(loopback: bool) {
    let api = Api::start(loopback).await;
    let api = &api;
    let (hopper, mia) = api.second_class().await;
    // In ml-101: "iris", handed out by grace with version 2 in production and 1 as champion, and
    // lin's "mine" with no traffic. In ml-202: mia's "other".
    api.hand_out(&api.mentor, "iris").await;
    let (v1, v2) = (bundle(1, false), bundle(2, false));
    api.upload(&api.mentor, "iris", v1.clone()).await.expect(201);
    api.upload(&api.mentor, "iris", v2.clone()).await.expect(201);
    let put = |path: &str, body: Value| {
        let path = format!("/api/v1/models/iris/{path}");
        async move { api.call(Method::PUT, &path, Some(&api.mentor), Send::Json(body)).await.expect(200) }
    };
    put("versions/2/stage", json!({"stage": "production", "reason": "r"})).await;
    put("aliases/champion", json!({"version": 1, "reason": "r"})).await;
    api.register(&api.learner, "mine").await;
    api.register(&mia, "other").await;
    let rule = json!({"name": "slow", "metric": "latency_p99_ms", "window_minutes": 180, "comparator": "above",
                      "threshold": 1.0, "action": "look"});
    api.call(Method::POST, "/api/v1/models/iris/alert-rules", Some(&api.mentor), Send::Json(rule))
        .await
        .expect(201);

    // Traffic in the last day from both versions, and older traffic that the overview leaves out.
    let recent =
        [predictions("a", 1, now() - 2 * HOUR, 9), predictions("b", 2, now() - 2 * HOUR, 6)].concat();
    let old = predictions("o", 2, now() - 30 * HOUR, 4);
    let mut events: Vec<Value> = recent.iter().chain(&old).map(|s| s.event("iris")).collect();
    events.extend(recent.iter().filter_map(|s| s.label_event("iris", now())));
    api.events(&api.learner, events).await.expect(200);

    let overview = api.get("/api/v1/classes/ml-101/overview", &api.mentor).await.expect(200);
    assert_eq!(overview["class"], "ml-101");
    let models = overview["models"].as_array().unwrap();
    assert_eq!(models.iter().map(|m| m["name"].as_str().unwrap()).collect::<Vec<_>>(), ["iris", "mine"]);
    let iris = &models[0];
    let references = [(1, reference(&v1)), (2, reference(&v2))];
    let (volume, error_rate, _, p99, _, accuracy, estimated) =
        expected(&recent.iter().collect::<Vec<_>>(), &references);
    assert_eq!(
        (iris["owner"].as_str(), iris["production_version"].as_u64(), iris["champion_version"].as_u64()),
        (Some("grace"), Some(2), Some(1))
    );
    assert_eq!(iris["volume"].as_u64(), Some(volume));
    assert_eq!(iris["error_rate"].as_f64(), Some(error_rate));
    assert_eq!(iris["latency_p99_ms"].as_f64(), Some(p99));
    assert_eq!(iris["accuracy"].as_f64(), accuracy);
    assert_eq!(iris["estimated_accuracy"].as_f64(), estimated);
    assert_eq!(iris["drift_share"], Value::Null);
    assert_eq!(iris["open_alerts"], 1, "the latency rule fired");
    // The newest event is a label, sent after every prediction.
    let last = iris["last_event_at"].as_i64().unwrap();
    assert!(recent.iter().all(|s| s.at < last) && last <= now(), "{last}");
    assert_eq!(
        models[1],
        json!({"name": "mine", "owner": "lin", "production_version": null, "champion_version": null,
               "last_event_at": null, "volume": 0, "accuracy": null, "estimated_accuracy": null,
               "drift_share": null, "latency_p99_ms": null, "error_rate": null, "overrides": 0,
               "override_rate": null, "open_alerts": 0})
    );

    // An admin sees it too; learners, even of the class, and another class's mentor do not.
    assert_eq!(api.get("/api/v1/classes/ml-101/overview", &api.admin).await.expect(200), overview);
    for token in [&api.learner, &mia, &hopper] {
        api.get("/api/v1/classes/ml-101/overview", token).await.error(403, "forbidden");
    }
    let theirs = api.get("/api/v1/classes/ml-202/overview", &hopper).await.expect(200);
    assert_eq!(theirs["models"][0]["name"], "other");
    api.get("/api/v1/classes/nope/overview", &api.admin).await.error(404, "not_found");
    // Nor do they read a series, a dashboard or the alerts of this class's models, or acknowledge
    // one; their own list of alerts leaves this class's out.
    for token in [&hopper, &mia] {
        for path in ["series", "dashboard"] {
            api.get(&format!("/api/v1/models/iris/{path}"), token).await.error(403, "forbidden");
        }
        api.get("/api/v1/alerts?model=iris", token).await.error(403, "forbidden");
        assert_eq!(api.get("/api/v1/alerts", token).await.expect(200), json!([]));
    }
    let alert = api.get("/api/v1/alerts?model=iris", &api.mentor).await.expect(200)[0]["id"].clone();
    let ack = format!("/api/v1/alerts/{alert}/ack");
    let note = Send::Json(json!({"note": "not mine"}));
    api.call(Method::POST, &ack, Some(&hopper), note).await.error(403, "forbidden");
    assert_eq!(api.get("/api/v1/alerts", &api.learner).await.expect(200)[0]["id"], alert);
}
