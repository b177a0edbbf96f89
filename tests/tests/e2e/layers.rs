//! What guards every endpoint: bad input refused with a clear error that changes nothing, security
//! headers, rate limits, CORS and request time-outs.

use crate::harness::{bundle, prediction, Api, Send, Transport, PASSWORD};
use axum::http::Method;
use serde_json::json;
use tabml_server::{AppState, ServerConfig, Storage};

both_ways!(bad_input_gets_a_clear_error_and_changes_nothing);
async fn bad_input_gets_a_clear_error_and_changes_nothing(loopback: bool) {
    let api = Api::start_with(loopback, |c| c.max_body_bytes = 256 * 1024).await;
    api.register(&api.learner, "iris").await;
    api.upload(&api.learner, "iris", bundle(1, false)).await.expect(201);
    let before = api.get("/api/v1/models/iris/audit", &api.learner).await.body;

    for name in [
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2f",
        "%252e%252e",
        "%2Fetc%2Fpasswd",
        "a%00b",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        ".hidden",
        "a%20b",
    ] {
        for path in [
            format!("/api/v1/models/{name}"),
            format!("/api/v1/models/{name}/versions/1/bundle"),
            format!("/api/v1/models/iris/aliases/{name}/bundle"),
        ] {
            let reply = api.get(&path, &api.learner).await;
            assert_eq!(reply.status, 400, "{path}: {}", String::from_utf8_lossy(&reply.body));
            let code = reply.code();
            assert!(code == "invalid_input" || code == "bad_request", "{path}: {code}");
        }
    }
    for name in ["../x", "/etc/passwd", "a\u{0}b", "<script>alert(1)</script>", "", &"x".repeat(65)] {
        let reply = api
            .call(Method::POST, "/api/v1/models", Some(&api.learner), Send::Json(json!({"name": name})))
            .await;
        reply.error(400, "invalid_input");
    }
    let post =
        |body: Send| api.call(Method::PUT, "/api/v1/models/iris/aliases/champion", Some(&api.learner), body);
    post(Send::Bytes(b"{\"version\": 1,".to_vec(), "application/json")).await.error(400, "malformed_json");
    post(Send::Bytes(b"{\"version\": 1, \"reason\": \"r\"}".to_vec(), "text/plain"))
        .await
        .error(415, "unsupported_media_type");
    let unknown = post(Send::Json(json!({"version": 1, "reason": "r", "force": true}))).await;
    assert!(unknown.error(400, "invalid_input").contains("unknown field `force`"));
    for version in [json!(-1), json!(1e30), json!(4294967296u64), json!("1"), json!(0)] {
        post(Send::Json(json!({"version": version, "reason": "r"}))).await.error(400, "invalid_input");
    }
    for version in ["-1", "0", "99999999999", "1.5", "one"] {
        api.get(&format!("/api/v1/models/iris/versions/{version}/bundle"), &api.learner)
            .await
            .error(400, "invalid_input");
    }
    let mut event = prediction("e1", "iris");
    for (field, value) in [
        ("at", json!(-5)),
        ("at", json!(1e300)),
        ("version", json!(-1)),
        ("latency_ms", json!(-3)),
        ("id", json!("")),
        ("id", json!("a\u{0}b")),
        ("colour", json!("red")),
    ] {
        let original = event.clone();
        event[field] = value;
        api.call(Method::POST, "/api/v1/events", Some(&api.learner), Send::Json(json!({"events": [event]})))
            .await
            .error(400, "invalid_input");
        event = original;
    }
    // Bodies over the limit: 413 as JSON, for JSON and for bundles.
    let big = vec![b' '; 300 * 1024];
    post(Send::Bytes(big.clone(), "application/json")).await.error(413, "payload_too_large");
    api.call(
        Method::POST,
        "/api/v1/models/iris/versions",
        Some(&api.learner),
        Send::Bytes(big, "application/octet-stream"),
    )
    .await
    .error(413, "payload_too_large");
    // Unknown paths and methods.
    api.get("/api/v1/nothing/here", &api.learner).await.error(404, "not_found");
    api.call(Method::DELETE, "/api/v1/models", Some(&api.learner), Send::None)
        .await
        .error(405, "method_not_allowed");

    // Nothing changed.
    assert_eq!(api.get("/api/v1/models/iris/audit", &api.learner).await.body, before);
    assert_eq!(api.get("/api/v1/models", &api.learner).await.expect(200)["total"], 1);
    assert_eq!(
        api.call(
            Method::POST,
            "/api/v1/events",
            Some(&api.learner),
            Send::Json(json!({"events": [prediction("e1", "iris")]}))
        )
        .await
        .expect(200)["accepted"],
        json!(["e1"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_carry_security_headers_and_a_policy_that_lets_webassembly_run() {
    let api = Api::start(true).await;
    for path in ["/api/v1/health", "/", "/api/v1/nothing"] {
        let reply = api.call(Method::GET, path, None, Send::None).await;
        let csp = reply.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(!csp.contains("'unsafe-eval'") || csp.contains("'wasm-unsafe-eval'"));
        assert_eq!(reply.headers["x-content-type-options"], "nosniff");
        assert_eq!(reply.headers["x-frame-options"], "DENY");
        assert_eq!(reply.headers["referrer-policy"], "no-referrer");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_requests_get_429_with_retry_after() {
    // Per token, in process.
    let api = Api::start_with(false, |c| c.rate_per_token = 3).await;
    for _ in 0..3 {
        api.get("/api/v1/me", &api.learner).await.expect(200);
    }
    let reply = api.get("/api/v1/me", &api.learner).await;
    assert!(reply.error(429, "rate_limited").contains("token"));
    assert_eq!(reply.headers["retry-after"], "20");
    // Another token still works.
    api.get("/api/v1/me", &api.mentor).await.expect(200);

    // Per peer address, over loopback (the setup makes 5 requests: two sign-ins, a class, two sign-ups).
    let api = Api::start_with(true, |c| c.rate_per_peer = 8).await;
    for _ in 0..3 {
        api.call(Method::GET, "/api/v1/health", None, Send::None).await.expect(200);
    }
    let reply = api.call(Method::GET, "/api/v1/health", None, Send::None).await;
    assert!(reply.error(429, "rate_limited").contains("address"));
    assert!(reply.headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_answers_only_the_allowed_origins() {
    let api = Api::start_with(true, |c| c.cors_origins = vec!["http://class.example".into()]).await;
    for (origin, allowed) in [("http://class.example", true), ("http://evil.example", false)] {
        let reply = api
            .call_with(
                Method::OPTIONS,
                "/api/v1/models",
                None,
                Send::None,
                &[
                    ("origin", origin),
                    ("access-control-request-method", "POST"),
                    ("access-control-request-headers", "authorization"),
                ],
            )
            .await;
        let header = reply.headers.get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header.as_deref(), allowed.then_some(origin), "{origin}");
    }
    // Without the setting, no CORS headers at all.
    let api = Api::start(true).await;
    let reply = api
        .call_with(Method::GET, "/api/v1/health", None, Send::None, &[("origin", "http://class.example")])
        .await;
    assert!(reply.headers.get("access-control-allow-origin").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_takes_too_long_gets_408_as_json() {
    // Hashing a password takes far longer than a millisecond.
    let api = Api::start(false).await;
    let mut config = ServerConfig {
        db: api.server.db.clone(),
        request_timeout: std::time::Duration::from_millis(1),
        ..ServerConfig::default()
    };
    config.rate_per_peer = 0;
    let router =
        tabml_server::app(AppState::new(Storage::open(&config.db, config.durability).unwrap(), &config));
    let slow = Api { transport: Transport::InProcess(router), ..api };
    let reply = slow
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Send::Json(json!({"name": "ada", "password": PASSWORD})),
        )
        .await;
    reply.error(408, "timeout");
}
