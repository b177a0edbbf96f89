//! Conditional GETs of what the mentors' pages poll: each answer carries an ETag, the same request
//! with `If-None-Match` is 304 while nothing changed, and a new event changes the tag.

use crate::harness::{now, prediction, Api, Reply, Send};
use axum::http::Method;
use serde_json::json;

async fn get(api: &Api, path: &str, token: &str, etag: Option<&str>) -> Reply {
    let extra: Vec<(&str, &str)> = etag.map(|tag| ("if-none-match", tag)).into_iter().collect();
    api.call_with(Method::GET, path, Some(token), Send::None, &extra).await
}

fn etag(reply: &Reply) -> String {
    let tag = reply.headers.get("etag").unwrap_or_else(|| panic!("no ETag: {}", reply.status));
    tag.to_str().unwrap().to_owned()
}

both_ways!(an_unchanged_answer_is_304_and_a_new_event_changes_the_etag);
async fn an_unchanged_answer_is_304_and_a_new_event_changes_the_etag(loopback: bool) {
    let api = Api::start(loopback).await;
    let api = &api;
    let (hopper, _) = api.second_class().await;
    api.hand_out(&api.mentor, "iris").await;
    api.upload(&api.mentor, "iris", crate::harness::bundle(1, false)).await.expect(201);
    let rule = json!({"name": "any", "metric": "volume", "window_minutes": 60, "comparator": "above",
                      "threshold": 0, "action": "look"});
    api.call(Method::POST, "/api/v1/models/iris/alert-rules", Some(&api.mentor), Send::Json(rule))
        .await
        .expect(201);
    api.events(&api.learner, vec![prediction("e1", "iris")]).await.expect(200);
    api.call(
        Method::POST,
        "/api/v1/models/iris/predictions/p-e1/override",
        Some(&api.mentor),
        Send::Json(json!({"label": "versicolor", "reason": "checked"})),
    )
    .await
    .expect(201);
    // Answers relative to now keep their tag for the rest of the minute: start early in one.
    let into_minute = now() % 60_000;
    if into_minute > 45_000 {
        tokio::time::sleep(std::time::Duration::from_millis((60_000 - into_minute + 50) as u64)).await;
    }
    let span = format!("from={}&to={}&step=600", now() - 3_600_000, now() + 60_000);
    let paths = [
        "/api/v1/models/iris/dashboard".to_owned(),
        "/api/v1/models/iris/dashboard?from=0&to=1".to_owned(),
        "/api/v1/models/iris/series".to_owned(),
        format!("/api/v1/models/iris/series?{span}"),
        "/api/v1/classes/ml-101/overview".to_owned(),
        "/api/v1/alerts".to_owned(),
        "/api/v1/alerts?model=iris&open=false".to_owned(),
        "/api/v1/models/iris/overrides".to_owned(),
        "/api/v1/models/iris/overrides?limit=1".to_owned(),
    ];
    let mut tags = Vec::new();
    for path in &paths {
        let first = get(api, path, &api.mentor, None).await;
        let body = first.expect(200);
        let tag = etag(&first);
        assert!(tag.starts_with("W/\""), "{path}: {tag}");
        assert_eq!(first.headers.get("cache-control").unwrap(), "private, no-cache");
        // The same request with the tag: 304, no body, the same tag.
        let again = get(api, path, &api.mentor, Some(&tag)).await;
        assert_eq!((again.status, again.body.len()), (304, 0), "{path}");
        assert_eq!(etag(&again), tag, "{path}");
        // Another tag gets the answer (the same figures; a window relative to now has moved on).
        let other = get(api, path, &api.mentor, Some("W/\"other\"")).await.expect(200);
        for figure in ["volume", "overrides", "0"] {
            assert_eq!(other.get(figure), body.get(figure), "{path}");
        }
        // Access comes first: another class's mentor holding the tag is refused, not told 304.
        if !path.starts_with("/api/v1/alerts?model") && path != "/api/v1/alerts" {
            assert_eq!(get(api, path, &hopper, Some(&tag)).await.status, 403, "{path}");
        }
        tags.push(tag);
    }
    // Different queries have different tags.
    assert_ne!(tags[0], tags[1]);
    assert_ne!(tags[7], tags[8]);

    // A new event changes every tag, and the answer comes again.
    api.events(&api.learner, vec![prediction("e2", "iris")]).await.expect(200);
    for (path, tag) in paths.iter().zip(&tags) {
        let after = get(api, path, &api.mentor, Some(tag)).await;
        assert_eq!(after.status, 200, "{path}");
        assert_ne!(&etag(&after), tag, "{path}");
    }
    // So does acknowledging an alert, for the alerts list.
    let list = get(api, "/api/v1/alerts", &api.mentor, None).await;
    let (tag, alert) = (etag(&list), list.expect(200)[0]["id"].clone());
    let ack = Send::Json(json!({"note": "seen"}));
    api.call(Method::POST, &format!("/api/v1/alerts/{alert}/ack"), Some(&api.mentor), ack).await.expect(200);
    assert_eq!(get(api, "/api/v1/alerts", &api.mentor, Some(&tag)).await.status, 200);
}
