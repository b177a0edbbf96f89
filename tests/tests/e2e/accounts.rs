//! Accounts under attack (issue 15): names unique without regard to case, weak passwords refused,
//! join codes that expire and can be rotated or revoked, answers with secrets never cached, and the
//! per-address budget of sign-ins.

use crate::harness::{Api, Reply, Send, PASSWORD};
use axum::http::Method;
use serde_json::json;
use tabml::api::Role;

fn signup(name: &str, password: &str, code: &str) -> Send {
    Send::Json(json!({"name": name, "password": password, "join_code": code}))
}

fn login(name: &str, password: &str) -> Send {
    Send::Json(json!({"name": name, "password": password}))
}

/// Asserts that an answer carrying a secret tells every cache not to keep it.
fn assert_not_cached(reply: &Reply, what: &str) {
    assert_eq!(reply.headers.get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "{what}");
    assert_eq!(reply.headers.get("pragma").map(|v| v.to_str().unwrap()), Some("no-cache"), "{what}");
}

async fn new_class(api: &Api, name: &str, days: Option<u32>) -> serde_json::Value {
    let body = match days {
        Some(days) => json!({"name": name, "join_code_days": days}),
        None => json!({"name": name}),
    };
    let reply = api.call(Method::POST, "/api/v1/classes", Some(&api.mentor), Send::Json(body)).await;
    assert_not_cached(&reply, "a new class's join code");
    reply.expect(201)
}

both_ways!(names_are_one_account_whatever_their_case);
async fn names_are_one_account_whatever_their_case(loopback: bool) {
    let api = Api::start(loopback).await;
    let code = new_class(&api, "ml-201", None).await["join_code"].as_str().unwrap().to_owned();
    api.sign_up("Eve", &code).await;
    let reply = api.call(Method::POST, "/api/v1/auth/signup", None, signup("eve", PASSWORD, &code)).await;
    assert!(reply.error(409, "conflict").contains("differing only in case"));
    // Sign-in reads the name in any case, and the account keeps the spelling it was made with.
    for name in ["eve", "EVE", "Eve"] {
        let token = api.login(name, PASSWORD).await;
        assert_eq!(api.get("/api/v1/me", &token).await.expect(200)["name"], "Eve");
    }
    // Sign-up follows the same rule for names as everything else.
    for name in ["", "ev\nil", "a/b", &"x".repeat(65)] {
        let reply = api.call(Method::POST, "/api/v1/auth/signup", None, signup(name, PASSWORD, &code)).await;
        reply.error(400, "invalid_input");
    }
}

both_ways!(weak_and_oversized_passwords_are_refused);
async fn weak_and_oversized_passwords_are_refused(loopback: bool) {
    let api = Api::start(loopback).await;
    let code = new_class(&api, "ml-202", None).await["join_code"].as_str().unwrap().to_owned();
    for (name, password, says) in [
        ("mia", "        ", "not only spaces"),
        ("mia", "password", "most common passwords"),
        ("mia", "Password1", "most common passwords"),
        ("mia", "12345678", "most common passwords"),
        ("marguerite", "Marguerite", "not your name"),
        ("mia", &"x".repeat(1025), "at most 1,024 bytes"),
    ] {
        let reply = api.call(Method::POST, "/api/v1/auth/signup", None, signup(name, password, &code)).await;
        let message = reply.error(400, "invalid_input");
        assert!(message.contains(says), "{password:?}: {message}");
    }
    // Sign-in refuses an oversized password before any hashing, with the same message.
    let reply = api.call(Method::POST, "/api/v1/auth/login", None, login("ada", &"x".repeat(4096))).await;
    assert!(reply.error(400, "invalid_input").contains("at most 1,024 bytes"));
}

both_ways!(answers_that_carry_a_token_or_a_join_code_are_never_cached);
async fn answers_that_carry_a_token_or_a_join_code_are_never_cached(loopback: bool) {
    let api = Api::start(loopback).await;
    let reply = api.call(Method::POST, "/api/v1/auth/login", None, login("ada", PASSWORD)).await;
    assert_not_cached(&reply, "a sign-in");
    reply.expect(200);
    let code = new_class(&api, "ml-203", None).await["join_code"].as_str().unwrap().to_owned();
    let reply = api.call(Method::POST, "/api/v1/auth/signup", None, signup("noor", PASSWORD, &code)).await;
    assert_not_cached(&reply, "a sign-up");
    reply.expect(201);
    let path = "/api/v1/classes/ml-203/join-code";
    let reply = api.call(Method::POST, path, Some(&api.mentor), Send::None).await;
    assert_not_cached(&reply, "a rotated join code");
    reply.expect(200);
}

both_ways!(join_codes_expire_and_their_mentor_rotates_or_revokes_them);
async fn join_codes_expire_and_their_mentor_rotates_or_revokes_them(loopback: bool) {
    let api = Api::start(loopback).await;
    let class = new_class(&api, "ml-204", Some(3)).await;
    let first = class["join_code"].as_str().unwrap().to_owned();
    let now = crate::harness::now();
    let expires = class["join_code_expires_at"].as_i64().unwrap();
    assert!((expires - now - 3 * 86_400_000).abs() < 60_000, "{class}");
    assert_eq!(class["join_code_revoked"], false);
    // Fourteen days when the mentor does not say; 0 or more than a year is refused.
    let default = new_class(&api, "ml-205", None).await;
    let days = (default["join_code_expires_at"].as_i64().unwrap() - now) as f64 / 86_400_000.0;
    assert!((days - 14.0).abs() < 0.01, "{default}");
    for days in [0, 366] {
        let body = Send::Json(json!({"name": "ml-206", "join_code_days": days}));
        let reply = api.call(Method::POST, "/api/v1/classes", Some(&api.mentor), body).await;
        assert!(reply.error(400, "invalid_input").contains("join_code_days"));
    }
    // Rotating shows a new code once; the old one stops working.
    let path = "/api/v1/classes/ml-204/join-code";
    let rotated =
        api.call(Method::POST, path, Some(&api.mentor), Send::Json(json!({"join_code_days": 1}))).await;
    let rotated = rotated.expect(200);
    let second = rotated["join_code"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    let reply = api.call(Method::POST, "/api/v1/auth/signup", None, signup("ola", PASSWORD, &first)).await;
    reply.error(404, "not_found");
    api.sign_up("ola", &second).await;
    let listed = api.get("/api/v1/classes", &api.mentor).await.expect(200);
    let listed = listed.as_array().unwrap().iter().find(|c| c["name"] == "ml-204").unwrap().clone();
    assert!(listed.get("join_code").is_none(), "the code is shown once: {listed}");
    assert_eq!(listed["join_code_expires_at"], rotated["join_code_expires_at"]);

    // Revoking closes sign-up until the next rotation.
    let revoked = api.call(Method::DELETE, path, Some(&api.mentor), Send::None).await.expect(200);
    assert_eq!(revoked["join_code_revoked"], true);
    assert!(revoked.get("join_code").is_none());
    let reply = api.call(Method::POST, "/api/v1/auth/signup", None, signup("pia", PASSWORD, &second)).await;
    assert!(reply.error(410, "join_code_closed").contains("revoked"));
    let third = api.call(Method::POST, path, Some(&api.admin), Send::None).await.expect(200);
    api.sign_up("pia", third["join_code"].as_str().unwrap()).await;

    // An expired code is refused the same way.
    let storage = tabml_server::Storage::open(&api.server.db, tabml_server::Durability::Full).unwrap();
    storage.rotate_join_code("ml-204", &tabml_server::auth::join_code_hash("OLDOLD-CODE"), now - 1).unwrap();
    let reply =
        api.call(Method::POST, "/api/v1/auth/signup", None, signup("quinn", PASSWORD, "oldol-dcode")).await;
    assert!(reply.error(410, "join_code_closed").contains("expired"));

    // Only the class's own mentor or an admin may rotate or revoke.
    api.server.create_user("hopper", Role::Mentor, PASSWORD);
    let other = api.login("hopper", PASSWORD).await;
    for method in [Method::POST, Method::DELETE] {
        let reply = api.call(method.clone(), path, Some(&other), Send::None).await;
        assert!(reply.error(403, "forbidden").contains("the class's own mentor"));
        api.call(method.clone(), path, Some(&api.learner), Send::None).await.error(403, "forbidden");
        let missing = "/api/v1/classes/no-such-class/join-code";
        api.call(method, missing, Some(&api.admin), Send::None).await.error(404, "not_found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_from_one_address_have_a_far_smaller_budget() {
    // The setup signs in twice and signs up twice: four of the six.
    let api = Api::start_with(true, |c| c.auth_rate_per_peer = 6).await;
    for _ in 0..2 {
        api.login("ada", PASSWORD).await;
    }
    let reply = api.call(Method::POST, "/api/v1/auth/login", None, login("ada", PASSWORD)).await;
    assert!(reply.error(429, "rate_limited").contains("sign-ins"));
    assert!(reply.headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    let reply = api.call(Method::POST, "/api/v1/auth/signup", None, signup("zed", PASSWORD, "x")).await;
    reply.error(429, "rate_limited");
    // The rest of the API still answers that address.
    api.get("/api/v1/me", &api.learner).await.expect(200);
    api.call(Method::GET, "/api/v1/health", None, Send::None).await.expect(200);
}
