//! A mentor's override of one prediction: who may make and read one, what it keeps, how a repeat
//! replaces it, the override rate of dashboards, series and class overviews against counts made
//! here, and the input refused.

use crate::harness::{now, Api, Send};
use crate::mentor::predictions;
use axum::http::Method;
use serde_json::{json, Value};

const HOUR: i64 = 3_600_000;

fn override_path(model: &str, prediction: &str) -> String {
    format!("/api/v1/models/{model}/predictions/{prediction}/override")
}

async fn overrule(api: &Api, token: &str, prediction: &str, body: Value) -> crate::harness::Reply {
    api.call(Method::POST, &override_path("iris", prediction), Some(token), Send::Json(body)).await
}

both_ways!(a_mentor_overrides_a_prediction_and_it_is_kept_listed_and_counted);
async fn a_mentor_overrides_a_prediction_and_it_is_kept_listed_and_counted(loopback: bool) {
    let api = Api::start(loopback).await;
    let api = &api;
    let (hopper, mia) = api.second_class().await;
    api.hand_out(&api.mentor, "iris").await;
    api.upload(&api.mentor, "iris", crate::harness::bundle(1, false)).await.expect(201);
    // Twelve predictions in the hour from t0 (a0 said setosa, a4 failed), half of them labelled.
    let t0 = (now() - 3 * HOUR) / HOUR * HOUR;
    let sent = predictions("a", 1, t0, 12);
    let mut events: Vec<Value> = sent.iter().map(|s| s.event("iris")).collect();
    events.extend(sent.iter().filter_map(|s| s.label_event("iris", t0 + HOUR)));
    api.events(&api.learner, events).await.expect(200);
    let (a0, a4) = (&sent[0], &sent[4]);
    assert_eq!((a0.output, a4.output), (Some("setosa"), None));

    let before = now();
    let first = overrule(api, &api.mentor, "p-a0", json!({"label": "versicolor", "reason": "petals"})).await;
    let first = first.expect(201);
    assert_eq!(
        first,
        json!({"id": first["id"], "model": "iris", "prediction_id": "p-a0", "version": 1, "predicted_at": a0.at,
               "output": "setosa", "label": "versicolor", "reason": "petals", "by": "grace", "at": first["at"]})
    );
    let at = first["at"].as_i64().unwrap();
    assert!(before <= at && at <= now());
    // An admin overrides a prediction that failed (no output), with a number as the answer.
    let failed = overrule(api, &api.admin, "p-a4", json!({"label": 2, "reason": "scored by hand"})).await;
    let failed = failed.expect(201);
    assert_eq!((&failed["output"], &failed["label"]), (&Value::Null, &json!(2)));
    // Overriding a0 again replaces the answer, under a new id (200, not 201).
    let again =
        overrule(api, &api.mentor, "p-a0", json!({"label": "virginica", "reason": "looked again"})).await;
    let again = again.expect(200);
    assert!(again["id"].as_i64() > failed["id"].as_i64());
    assert_eq!((&again["label"], &again["output"]), (&json!("virginica"), &json!("setosa")));

    // Listed newest first, a page at a time, for the class's members and admins.
    let list = api.get("/api/v1/models/iris/overrides", &api.learner).await.expect(200);
    assert_eq!(list, json!({"overrides": [again, failed], "next_before": null}));
    let page = api.get("/api/v1/models/iris/overrides?limit=1", &api.admin).await.expect(200);
    assert_eq!(page, json!({"overrides": [again], "next_before": again["id"]}));
    let next = format!("/api/v1/models/iris/overrides?limit=1&before={}", again["id"]);
    assert_eq!(
        api.get(&next, &api.mentor).await.expect(200),
        json!({"overrides": [failed], "next_before": null})
    );
    // Every override, the replaced one too, is in the audit log, saying what it replaced.
    let audit = api.get("/api/v1/models/iris/audit", &api.mentor).await.expect(200);
    let lines: Vec<(&str, &str, &str, &str)> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "override")
        .map(|e| {
            (
                e["subject"].as_str().unwrap(),
                e["from"].as_str().unwrap(),
                e["to"].as_str().unwrap(),
                e["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("prediction p-a0", "\"setosa\"", "\"versicolor\"", "petals"),
            ("prediction p-a4", "", "2", "scored by hand"),
            ("prediction p-a0", "\"versicolor\"", "\"virginica\"", "looked again"),
        ]
    );

    // Counted by the predictions' time: two of the twelve in t0's hour, none in the next. Accuracy
    // still comes from the labels only (overrides are not labels).
    let overridden = sent.iter().filter(|s| ["a0", "a4"].contains(&s.id.as_str())).count() as u64;
    let rate = overridden as f64 / sent.len() as f64;
    let labelled: Vec<_> = sent.iter().filter(|s| s.output.is_some() && s.label.is_some()).collect();
    let accuracy = labelled.iter().filter(|s| s.output == s.label).count() as f64 / labelled.len() as f64;
    let window = format!("from={t0}&to={}", t0 + HOUR);
    let dashboard =
        api.get(&format!("/api/v1/models/iris/dashboard?{window}"), &api.learner).await.expect(200);
    assert_eq!(
        (dashboard["overrides"].as_u64(), dashboard["override_rate"].as_f64()),
        (Some(overridden), Some(rate))
    );
    assert_eq!(dashboard["accuracy"].as_f64(), Some(accuracy));
    let path = format!("/api/v1/models/iris/series?from={t0}&to={}&step=3600", t0 + 2 * HOUR);
    let buckets = api.get(&path, &api.mentor).await.expect(200)["buckets"].clone();
    assert_eq!(
        (buckets[0]["overrides"].as_u64(), buckets[0]["override_rate"].as_f64()),
        (Some(overridden), Some(rate))
    );
    assert_eq!((&buckets[1]["overrides"], &buckets[1]["override_rate"]), (&Value::Null, &Value::Null));
    let later = format!("from={}&to={}", t0 + HOUR, t0 + 2 * HOUR);
    let empty = api.get(&format!("/api/v1/models/iris/dashboard?{later}"), &api.mentor).await.expect(200);
    assert_eq!((&empty["overrides"], &empty["override_rate"]), (&json!(0), &Value::Null));
    let overview = api.get("/api/v1/classes/ml-101/overview", &api.mentor).await.expect(200);
    let iris = &overview["models"][0];
    assert_eq!((iris["volume"].as_u64(), iris["overrides"].as_u64()), (Some(12), Some(overridden)));
    assert_eq!(iris["override_rate"].as_f64(), Some(rate));

    // Only the class's mentor and admins override; only the class's members and admins read them.
    let body = json!({"label": "setosa", "reason": "mine"});
    for token in [&api.learner, &api.other_learner, &hopper, &mia] {
        overrule(api, token, "p-a1", body.clone()).await.error(403, "forbidden");
    }
    for token in [&hopper, &mia] {
        api.get("/api/v1/models/iris/overrides", token).await.error(403, "forbidden");
    }
    let count = || async {
        api.get("/api/v1/models/iris/overrides", &api.admin).await.expect(200)["overrides"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count().await, 2, "nothing refused was kept");
}

both_ways!(an_override_of_an_unknown_prediction_or_with_hostile_input_is_refused);
async fn an_override_of_an_unknown_prediction_or_with_hostile_input_is_refused(loopback: bool) {
    let api = Api::start(loopback).await;
    let api = &api;
    api.hand_out(&api.mentor, "iris").await;
    api.hand_out(&api.mentor, "other").await;
    api.upload(&api.mentor, "iris", crate::harness::bundle(1, false)).await.expect(201);
    api.upload(&api.mentor, "other", crate::harness::bundle(1, false)).await.expect(201);
    let sent = predictions("a", 1, now() - HOUR, 2);
    let mut events: Vec<Value> = sent.iter().map(|s| s.event("iris")).collect();
    // A prediction of another model, and a label whose prediction was never sent.
    events.extend(predictions("b", 1, now() - HOUR, 1).iter().map(|s| s.event("other")));
    events.push(json!({"id": "l-ghost", "type": "label", "model": "iris", "version": 1, "at": now(),
                       "prediction_id": "p-ghost", "label": "setosa"}));
    api.events(&api.learner, events).await.expect(200);
    let fine = json!({"label": "setosa", "reason": "checked"});

    for unknown in ["p-nope", "p-b0", "p-ghost"] {
        let message =
            overrule(api, &api.mentor, unknown, fine.clone()).await.error(404, "prediction_not_found");
        assert_eq!(message, format!("the model has no prediction with id {unknown:?}"));
    }
    let path = override_path("nope", "p-a0");
    api.call(Method::POST, &path, Some(&api.mentor), Send::Json(fine.clone())).await.error(404, "not_found");

    let huge = "x".repeat(100_000);
    for (body, message) in [
        (json!({"label": "setosa", "reason": ""}), "reason: say why the prediction is overridden".to_owned()),
        (json!({"label": "setosa", "reason": " \n "}), "reason: say why the prediction is overridden".into()),
        (
            json!({"label": "setosa", "reason": "x".repeat(2001)}),
            "reason: at most 2000 bytes (this is 2001)".into(),
        ),
        (json!({"label": "setosa", "reason": huge}), "reason: at most 2000 bytes (this is 100000)".into()),
        (
            json!({"label": "setosa", "reason": "a\u{0}b"}),
            "reason: control characters are not allowed".into(),
        ),
        (json!({"label": null, "reason": "r"}), "label: the right answer, not null".into()),
        (
            json!({"label": "y".repeat(5000), "reason": "r"}),
            "label: at most 4096 bytes of JSON (this is 5002)".into(),
        ),
    ] {
        assert_eq!(overrule(api, &api.mentor, "p-a0", body).await.error(400, "invalid_input"), message);
    }
    let missing =
        overrule(api, &api.mentor, "p-a0", json!({"reason": "r"})).await.error(400, "invalid_input");
    assert!(missing.contains("missing field `label`"), "{missing}");
    let extra = json!({"label": "setosa", "reason": "r", "by": "ada"});
    let extra = overrule(api, &api.mentor, "p-a0", extra).await.error(400, "invalid_input");
    assert!(extra.contains("unknown field `by`"), "{extra}");
    let path = override_path("iris", "p-a0");
    let bad = Send::Bytes(b"{\"label\": ".to_vec(), "application/json");
    api.call(Method::POST, &path, Some(&api.mentor), bad).await.error(400, "malformed_json");
    let text = Send::Bytes(b"label=setosa".to_vec(), "text/plain");
    api.call(Method::POST, &path, Some(&api.mentor), text).await.error(415, "unsupported_media_type");
    let long = "p".repeat(129);
    let message = overrule(api, &api.mentor, &long, fine.clone()).await.error(400, "invalid_input");
    assert_eq!(message, "prediction_id: 1 to 128 characters, none of them control characters");
    for query in ["limit=0", "limit=101", "before=soon", "colour=red"] {
        let path = format!("/api/v1/models/iris/overrides?{query}");
        api.get(&path, &api.mentor).await.error(400, "invalid_input");
    }

    // Nothing refused was kept; a well-formed override still works.
    let list = api.get("/api/v1/models/iris/overrides", &api.mentor).await.expect(200);
    assert_eq!(list, json!({"overrides": [], "next_before": null}));
    overrule(api, &api.mentor, "p-a0", fine).await.expect(201);
}
