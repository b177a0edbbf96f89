//! The sync server's API: accounts, the registry, monitoring events and the permission matrix. Each
//! scenario runs twice: against the router in process (`tower::ServiceExt::oneshot`) and against the
//! real server on a loopback socket (see `harness.rs`).

use crate::harness::{bundle, prediction, Api, Send, PASSWORD};
use axum::http::Method;
use serde_json::{json, Value};
use std::collections::BTreeSet;

both_ways!(accounts_and_classes);
async fn accounts_and_classes(loopback: bool) {
    let api = Api::start(loopback).await;
    // Wrong password and unknown name get the same answer.
    for (name, password) in [("ada", "wrong password"), ("nobody", PASSWORD)] {
        let body = json!({"name": name, "password": password});
        let reply = api.call(Method::POST, "/api/v1/auth/login", None, Send::Json(body)).await;
        assert_eq!(reply.error(401, "unauthorized"), "the name or the password is wrong");
    }
    let me = api.get("/api/v1/me", &api.learner).await.expect(200);
    assert_eq!(me, json!({"name": "lin", "role": "learner", "class": "ml-101"}));

    // Sign-up needs a real code, a free name and a long enough password.
    let signup = |name: &str, password: &str, code: &str| json!({"name": name, "password": password, "join_code": code});
    let reply = api
        .call(Method::POST, "/api/v1/auth/signup", None, Send::Json(signup("eve", PASSWORD, "AAAAA-AAAAA")))
        .await;
    reply.error(404, "not_found");
    let class = api
        .call(
            Method::POST,
            "/api/v1/classes",
            Some(&api.mentor),
            Send::Json(json!({"name": "ml-102", "owners_may_promote": true})),
        )
        .await
        .expect(201);
    let code = class["join_code"].as_str().unwrap();
    assert_eq!(code.len(), 11, "{code}");
    let reply =
        api.call(Method::POST, "/api/v1/auth/signup", None, Send::Json(signup("lin", PASSWORD, code))).await;
    reply.error(409, "conflict");
    let reply =
        api.call(Method::POST, "/api/v1/auth/signup", None, Send::Json(signup("eve", "short", code))).await;
    assert!(reply.error(400, "invalid_input").contains("at least 8 characters"));
    // A code is read without regard to case or dashes.
    let token = api.sign_up("eve", &code.to_lowercase().replace('-', "")).await;
    assert_eq!(api.get("/api/v1/me", &token).await.expect(200)["class"], "ml-102");

    let classes = api.get("/api/v1/classes", &api.mentor).await.expect(200);
    assert_eq!(classes[0]["name"], "ml-101");
    assert_eq!(classes[0]["learners"], 2);
    assert_eq!(classes[1]["learners"], 1);
    assert!(classes[0].get("join_code").is_none(), "the join code is shown once: {classes}");
    api.get("/api/v1/classes", &api.learner).await.error(403, "forbidden");
    let taken = api
        .call(Method::POST, "/api/v1/classes", Some(&api.admin), Send::Json(json!({"name": "ml-101"})))
        .await;
    taken.error(409, "conflict");

    // After sign-out the token is refused.
    api.call(Method::POST, "/api/v1/auth/logout", Some(&token), Send::None).await.expect(204);
    let reply = api.get("/api/v1/me", &token).await;
    reply.error(401, "unauthorized");
    assert_eq!(reply.headers["www-authenticate"], "Bearer");
    // The database keeps hashes only: neither the token nor the password appear in it.
    drop(api.transport);
    let raw = std::fs::read(&api.server.db).unwrap();
    let wal = std::fs::read(api.server.db.with_extension("db-wal")).unwrap_or_default();
    for secret in [api.learner.as_bytes(), PASSWORD.as_bytes()] {
        assert!(
            !raw.windows(secret.len()).any(|w| w == secret)
                && !wal.windows(secret.len()).any(|w| w == secret)
        );
    }
}

both_ways!(registry_lifecycle);
async fn registry_lifecycle(loopback: bool) {
    let api = Api::start(loopback).await;
    let model = api.register(&api.learner, "iris-species").await;
    assert_eq!(model["owner"], "lin");
    assert_eq!(model["latest_version"], 0);
    api.call(Method::POST, "/api/v1/models", Some(&api.learner), Send::Json(json!({"name": "iris-species"})))
        .await
        .error(409, "conflict");

    // Versions are numbered by the server.
    let (v1, v2) = (bundle(1, false), bundle(2, false));
    let first = api.upload(&api.learner, "iris-species", v1.clone()).await;
    assert_eq!(first.headers["location"], "/api/v1/models/iris-species/versions/1");
    let first = first.expect(201);
    assert_eq!(
        (first["version"].as_u64(), first["kind"].as_str(), first["task"].as_str()),
        (Some(1), Some("dummy"), Some("classification"))
    );
    assert_eq!(first["digest"], tabml::ModelBundle::digest_of(&v1));
    assert_eq!(api.upload(&api.learner, "iris-species", v2.clone()).await.expect(201)["version"], 2);

    // Not a bundle, a bundle of another target, and the wrong content type change nothing.
    let reply = api.upload(&api.learner, "iris-species", b"species,petal\nsetosa,1.4\n".to_vec()).await;
    assert!(reply.error(400, "invalid_bundle").contains("not a tabml model bundle"));
    let mut corrupt = v1.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 1;
    api.upload(&api.learner, "iris-species", corrupt).await.error(400, "invalid_bundle");
    let reply = api.upload(&api.learner, "iris-species", bundle(1, true)).await;
    assert!(reply.error(409, "conflict").contains("progression"));
    let reply = api
        .call(
            Method::POST,
            "/api/v1/models/iris-species/versions",
            Some(&api.learner),
            Send::Bytes(v1.clone(), "application/json"),
        )
        .await;
    reply.error(415, "unsupported_media_type");
    assert_eq!(
        api.get("/api/v1/models/iris-species/versions", &api.learner)
            .await
            .expect(200)
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Download by number, with an ETag that saves a second download.
    let download = api.get("/api/v1/models/iris-species/versions/1/bundle", &api.other_learner).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.body, v1);
    let etag = download.headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", tabml::ModelBundle::digest_of(&v1)));
    let again = api
        .call_with(
            Method::GET,
            "/api/v1/models/iris-species/versions/1/bundle",
            Some(&api.learner),
            Send::None,
            &[("if-none-match", &etag)],
        )
        .await;
    assert_eq!((again.status, again.body.len()), (304, 0));
    api.get("/api/v1/models/iris-species/versions/3/bundle", &api.learner).await.error(404, "not_found");

    // Aliases, with the reason in the audit log.
    let moved = api
        .call(
            Method::PUT,
            "/api/v1/models/iris-species/aliases/champion",
            Some(&api.learner),
            Send::Json(json!({"version": 2, "reason": "better on the test rows"})),
        )
        .await
        .expect(200);
    assert_eq!(moved["aliases"], json!(["champion"]));
    let by_alias = api.get("/api/v1/models/iris-species/aliases/champion/bundle", &api.learner).await;
    assert_eq!((by_alias.status, &by_alias.body), (200, &v2));
    assert_eq!(by_alias.headers["x-tabml-version"], "2");
    api.get("/api/v1/models/iris-species/aliases/challenger/bundle", &api.learner)
        .await
        .error(404, "not_found");
    api.call(
        Method::PUT,
        "/api/v1/models/iris-species/aliases/champion",
        Some(&api.learner),
        Send::Json(json!({"version": 9, "reason": ""})),
    )
    .await
    .error(404, "not_found");

    // Stages: the owner may stage, but production needs the mentor in this class.
    let stage = |stage: &str| Send::Json(json!({"stage": stage, "reason": "passed review"}));
    let staged = api
        .call(
            Method::PUT,
            "/api/v1/models/iris-species/versions/2/stage",
            Some(&api.learner),
            stage("staging"),
        )
        .await
        .expect(200);
    assert_eq!(staged["stage"], "staging");
    let refused = api
        .call(
            Method::PUT,
            "/api/v1/models/iris-species/versions/2/stage",
            Some(&api.learner),
            stage("production"),
        )
        .await;
    assert!(refused.error(403, "forbidden").contains("your class does not let owners promote"));
    api.call(
        Method::PUT,
        "/api/v1/models/iris-species/versions/2/stage",
        Some(&api.mentor),
        stage("production"),
    )
    .await
    .expect(200);
    let by_stage = api.get("/api/v1/models/iris-species/stages/production/bundle", &api.learner).await;
    assert_eq!((by_stage.status, &by_stage.body), (200, &v2));
    api.get("/api/v1/models/iris-species/stages/staging/bundle", &api.learner).await.error(404, "not_found");

    // Retiring keeps the reason and frees the alias; a retired version cannot be named again.
    let retire = |reason: &str| Send::Json(json!({"reason": reason}));
    api.call(
        Method::POST,
        "/api/v1/models/iris-species/versions/2/retire",
        Some(&api.learner),
        retire("leaks the label"),
    )
    .await
    .error(403, "forbidden");
    let retired = api
        .call(
            Method::POST,
            "/api/v1/models/iris-species/versions/2/retire",
            Some(&api.mentor),
            retire("leaks the label"),
        )
        .await
        .expect(200);
    assert_eq!(
        (retired["stage"].as_str(), retired["retired"].as_str()),
        (Some("archived"), Some("leaks the label"))
    );
    assert_eq!(retired["aliases"], json!([]));
    api.call(
        Method::PUT,
        "/api/v1/models/iris-species/aliases/champion",
        Some(&api.learner),
        Send::Json(json!({"version": 2, "reason": "undo"})),
    )
    .await
    .error(409, "conflict");
    api.call(Method::POST, "/api/v1/models/iris-species/versions/1/retire", Some(&api.learner), retire(" "))
        .await
        .error(400, "invalid_input");

    let audit = api.get("/api/v1/models/iris-species/audit", &api.other_learner).await.expect(200);
    let lines: Vec<String> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {}->{} {}",
                e["actor"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["subject"].as_str().unwrap(),
                e["from"].as_str().unwrap(),
                e["to"].as_str().unwrap(),
                e["reason"].as_str().unwrap()
            )
        })
        .collect();
    let d1 = tabml::ModelBundle::digest_of(&v1);
    let d2 = tabml::ModelBundle::digest_of(&v2);
    assert_eq!(
        lines,
        [
            "lin register iris-species -> ".to_owned(),
            format!("lin upload version 1 ->{d1} "),
            format!("lin upload version 2 ->{d2} "),
            "lin alias champion ->2 better on the test rows".into(),
            "lin stage version 2 none->staging passed review".into(),
            "grace stage version 2 staging->production passed review".into(),
            "grace alias champion 2-> leaks the label".into(),
            "grace retire version 2 production->archived leaks the label".into(),
        ]
    );

    // Search: by text, owner, tag and stage, a page at a time.
    api.register(&api.mentor, "wine-quality").await;
    let body = json!({"name": "churn", "description": "who leaves", "tags": ["telco"]});
    api.call(Method::POST, "/api/v1/models", Some(&api.other_learner), Send::Json(body)).await.expect(201);
    let names = |page: &Value| {
        page["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let page = api.get("/api/v1/models?limit=2", &api.learner).await.expect(200);
    assert_eq!(
        (names(&page), page["total"].as_u64(), page["next_offset"].as_u64()),
        (vec!["churn".to_owned(), "iris-species".into()], Some(3), Some(2))
    );
    let page = api.get("/api/v1/models?limit=2&offset=2", &api.learner).await.expect(200);
    assert_eq!((names(&page), page["next_offset"].clone()), (vec!["wine-quality".to_owned()], Value::Null));
    assert_eq!(names(&api.get("/api/v1/models?q=LEAVES", &api.learner).await.expect(200)), ["churn"]);
    assert_eq!(
        names(&api.get("/api/v1/models?owner=grace", &api.learner).await.expect(200)),
        ["wine-quality"]
    );
    assert_eq!(
        names(&api.get("/api/v1/models?tag=iris", &api.learner).await.expect(200)),
        ["iris-species", "wine-quality"]
    );
    assert_eq!(
        names(&api.get("/api/v1/models?stage=archived", &api.learner).await.expect(200)),
        ["iris-species"]
    );
    api.get("/api/v1/models?limit=0", &api.learner).await.error(400, "invalid_input");
    api.get("/api/v1/models?stage=gold", &api.learner).await.error(400, "invalid_input");
    api.get("/api/v1/models?colour=red", &api.learner).await.error(400, "invalid_input");

    // The owner describes the model; another learner may not.
    let patch = Send::Json(json!({"description": "species from petals", "tags": ["iris"]}));
    api.call(Method::PATCH, "/api/v1/models/iris-species", Some(&api.other_learner), patch)
        .await
        .error(403, "forbidden");
    let patch =
        Send::Json(json!({"description": "species from petals", "card": {"target_outcome": "species"}}));
    let patched =
        api.call(Method::PATCH, "/api/v1/models/iris-species", Some(&api.learner), patch).await.expect(200);
    assert_eq!(
        (patched["description"].as_str(), patched["card"]["target_outcome"].as_str()),
        (Some("species from petals"), Some("species"))
    );
}

both_ways!(events_are_stored_once);
async fn events_are_stored_once(loopback: bool) {
    let api = Api::start(loopback).await;
    api.register(&api.learner, "mine").await;
    api.upload(&api.learner, "mine", bundle(1, false)).await.expect(201);
    api.hand_out(&api.mentor, "handed-out").await;
    api.upload(&api.mentor, "handed-out", bundle(1, false)).await.expect(201);
    api.register(&api.other_learner, "theirs").await;
    api.upload(&api.other_learner, "theirs", bundle(1, false)).await.expect(201);
    // A mentor's model kept outside every class: learners do not report on it.
    api.register(&api.mentor, "staff-only").await;
    api.upload(&api.mentor, "staff-only", bundle(1, false)).await.expect(201);

    let label = json!({"id": "e3", "type": "label", "model": "mine", "version": 1, "at": 1_763_900_100_000i64, "prediction_id": "p-e1", "label": "setosa"});
    let batch = vec![prediction("e1", "mine"), prediction("e2", "handed-out"), label];
    let ack = api.events(&api.learner, batch.clone()).await.expect(200);
    assert_eq!(ack, json!({"accepted": ["e1", "e2", "e3"], "duplicates": []}));
    // The same batch again, and a batch repeating an id: stored once.
    assert_eq!(
        api.events(&api.learner, batch).await.expect(200),
        json!({"accepted": [], "duplicates": ["e1", "e2", "e3"]})
    );
    let ack = api
        .events(
            &api.learner,
            vec![prediction("e4", "mine"), prediction("e4", "mine"), prediction("e1", "mine")],
        )
        .await
        .expect(200);
    assert_eq!(ack, json!({"accepted": ["e4"], "duplicates": ["e4", "e1"]}));
    // Ids belong to their sender: another learner's e1 is a new event.
    assert_eq!(
        api.events(&api.other_learner, vec![prediction("e1", "theirs")]).await.expect(200)["accepted"],
        json!(["e1"])
    );

    // A batch with one bad event is refused whole, saying which, and stores nothing.
    let mut bad = prediction("e6", "mine");
    bad.as_object_mut().unwrap().remove("output");
    let reply = api.events(&api.learner, vec![prediction("e5", "mine"), bad]).await;
    assert_eq!(reply.error(400, "invalid_input"), "events[1]: a prediction event needs `output`");
    let reply =
        api.events(&api.learner, vec![prediction("e5", "mine"), prediction("e7", "staff-only")]).await;
    assert!(reply.error(403, "forbidden").starts_with("events[1]: "));
    let reply = api.events(&api.learner, vec![prediction("e5", "nope")]).await;
    assert!(reply.error(400, "invalid_input").contains("no model called \"nope\""));
    assert_eq!(
        api.events(&api.learner, vec![prediction("e5", "mine")]).await.expect(200)["accepted"],
        json!(["e5"])
    );
    api.events(&api.learner, vec![]).await.error(400, "invalid_input");

    let drift = json!({"id": "d1", "type": "drift_report", "model": "mine", "version": 1, "at": 1, "report": {"dataset_drift": false}});
    let profile = json!({"id": "f1", "type": "profile", "model": "mine", "version": 1, "at": 1, "profile": {"rows": 0, "columns": [], "predictions": []}});
    assert_eq!(
        api.events(&api.learner, vec![drift, profile]).await.expect(200)["accepted"],
        json!(["d1", "f1"])
    );
}

/// Every operation of the OpenAPI document, with path parameters filled in.
fn operations() -> Vec<(Method, String, String, String)> {
    let doc: Value = serde_json::from_str(tabml_server::OPENAPI).unwrap();
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let concrete = path
                .replace("{name}", "theirs")
                .replace("{version}", "1")
                .replace("{alias}", "champion")
                .replace("{stage}", "none")
                .replace("{prediction_id}", "p-first")
                .replace("{id}", "1");
            let access = op["x-tabml-access"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no x-tabml-access"))
                .to_owned();
            all.push((method.to_uppercase().parse().unwrap(), concrete, access, path.clone()));
        }
    }
    all
}

/// A plausible body for an operation, so that an allowed call gets past its checks.
fn body_for(method: &Method, template: &str) -> Send {
    let json = match (method.as_str(), template) {
        (_, "/api/v1/auth/login") => json!({"name": "ada", "password": PASSWORD}),
        (_, "/api/v1/auth/signup") => json!({"name": "x", "password": PASSWORD, "join_code": "none"}),
        (_, "/api/v1/classes") => json!({"name": format!("c{}", rand_suffix())}),
        ("POST", "/api/v1/models") => json!({"name": format!("m{}", rand_suffix())}),
        (_, "/api/v1/models/{name}") => json!({"description": "d"}),
        (_, "/api/v1/models/{name}/versions") => {
            return Send::Bytes(bundle(1, false), "application/octet-stream")
        }
        (_, "/api/v1/models/{name}/versions/{version}/stage") => {
            json!({"stage": "production", "reason": "r"})
        }
        (_, "/api/v1/models/{name}/versions/{version}/retire") => json!({"reason": "r"}),
        (_, "/api/v1/models/{name}/aliases/{alias}") => json!({"version": 1, "reason": "r"}),
        (_, "/api/v1/events") => json!({"events": [prediction(&format!("e{}", rand_suffix()), "theirs")]}),
        ("POST", "/api/v1/runs") => json!({"name": "r"}),
        (_, "/api/v1/runs/{id}/log-batch") => json!({"metrics": [{"key": "accuracy", "value": 0.9}]}),
        (_, "/api/v1/models/{name}/policy") => json!({"strategy": "single", "primary": {"version": 1}}),
        ("POST", "/api/v1/models/{name}/alert-rules") => {
            json!({"name": "n", "metric": "volume", "window_minutes": 60,
                                                               "comparator": "above", "threshold": 1e9, "action": "a"})
        }
        (_, "/api/v1/alerts/{id}/ack") => json!({"note": "seen"}),
        (_, "/api/v1/models/{name}/predictions/{prediction_id}/override") => {
            json!({"label": "versicolor", "reason": "checked by hand"})
        }
        _ => return Send::None,
    };
    Send::Json(json)
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_without_a_token_and_forbids_roles_it_does_not_allow() {
    let api = Api::start(false).await;
    // "theirs" belongs to otto, a learner; lin is the learner who does not own it (both are in
    // grace's class ml-101). Run 1 is otto's; alert rule 1 watches "theirs" and has fired alert 1.
    // Class "theirs" is grace's (a mentor). hopper is the mentor of another class, ml-202, and mia a
    // learner in it.
    let (hopper, mia) = api.second_class().await;
    let class = Send::Json(json!({"name": "theirs"}));
    api.call(Method::POST, "/api/v1/classes", Some(&api.mentor), class).await.expect(201);
    api.register(&api.other_learner, "theirs").await;
    api.upload(&api.other_learner, "theirs", bundle(1, false)).await.expect(201);
    api.call(Method::POST, "/api/v1/runs", Some(&api.other_learner), Send::Json(json!({"name": "r"})))
        .await
        .expect(201);
    let rule = json!({"name": "any", "metric": "volume", "window_minutes": 60, "comparator": "above", "threshold": 0, "action": "look"});
    let policy = json!({"strategy": "single", "primary": {"version": 1}});
    api.call(Method::PUT, "/api/v1/models/theirs/policy", Some(&api.mentor), Send::Json(policy))
        .await
        .expect(200);
    // Three rules, so that each role has its own to delete.
    for _ in 0..3 {
        api.call(
            Method::POST,
            "/api/v1/models/theirs/alert-rules",
            Some(&api.mentor),
            Send::Json(rule.clone()),
        )
        .await
        .expect(201);
    }
    api.events(&api.other_learner, vec![prediction("first", "theirs")]).await.expect(200);
    assert_eq!(api.get("/api/v1/alerts", &api.learner).await.expect(200).as_array().unwrap().len(), 3);
    for (method, path, access, template) in operations() {
        let anonymous = api.call(method.clone(), &path, None, body_for(&method, &template)).await;
        if access == "public" {
            assert_ne!(anonymous.status, 401, "{method} {path} is public");
        } else {
            assert_eq!(anonymous.status, 401, "{method} {path} without a token");
            assert_eq!(anonymous.code(), "unauthorized");
        }
        for (index, (role, name, token)) in [
            ("learner", "lin", &api.learner),
            ("mentor", "grace", &api.mentor),
            ("admin", "ada", &api.admin),
            ("other class's mentor", "hopper", &hopper),
            ("other class's learner", "mia", &mia),
        ]
        .into_iter()
        .enumerate()
        {
            let path = match template.strip_suffix("/alert-rules/{id}") {
                Some(_) => format!("/api/v1/models/theirs/alert-rules/{}", index + 1),
                None => path.clone(),
            };
            // Signing out would end the token the rest of the walk uses: sign out a fresh one.
            let token = if template == "/api/v1/auth/logout" {
                api.login(name, PASSWORD).await
            } else {
                token.clone()
            };
            let reply = api.call(method.clone(), &path, Some(&token), body_for(&method, &template)).await;
            let outsider = role.starts_with("other class's");
            let learner = role.ends_with("learner");
            let forbidden = match access.as_str() {
                "public" | "signed-in" => false,
                "mentor" => learner,
                "owner" | "promoter" | "class-mentor" | "model-mentor" => learner || outsider,
                // lin is in the class of otto's model, so lin reports on it too.
                // The dashboard is a reporter's unless the server runs with --public-dashboards.
                "reporter" | "dashboard" => outsider,
                "run-owner" => role != "admin",
                other => panic!("unknown access {other}"),
            };
            if forbidden {
                assert_eq!(
                    reply.status,
                    403,
                    "{method} {path} as a {role}: {}",
                    String::from_utf8_lossy(&reply.body)
                );
                assert_eq!(reply.code(), "forbidden");
            } else {
                assert!(
                    ![401, 403, 404, 405].contains(&reply.status)
                        || (reply.status == 404 && access == "public"),
                    "{method} {path} as a {role} is allowed, got {}: {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
            }
        }
    }
    // Alerts are listed as far as the caller may read their models: another class's mentor and
    // learner see none of this class's, and may not ask for them by model.
    for token in [&hopper, &mia] {
        assert_eq!(api.get("/api/v1/alerts?open=false", token).await.expect(200), json!([]));
        api.get("/api/v1/alerts?model=theirs", token).await.error(403, "forbidden");
    }
    for token in [&api.learner, &api.mentor, &api.admin] {
        let alerts = api.get("/api/v1/alerts?open=false&model=theirs", token).await.expect(200);
        assert_eq!(alerts.as_array().unwrap().len(), 3);
    }
    // The owner of a learner's model may not promote it where the class does not allow it.
    let reply = api
        .call(
            Method::PUT,
            "/api/v1/models/theirs/versions/1/stage",
            Some(&api.other_learner),
            body_for(&Method::PUT, "/api/v1/models/{name}/versions/{version}/stage"),
        )
        .await;
    reply.error(403, "forbidden");
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes_the_server_has() {
    let doc: Value = serde_json::from_str(tabml_server::OPENAPI).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let documented: BTreeSet<String> =
        operations().into_iter().map(|(m, _, _, p)| format!("{m} {p}")).collect();
    // The routes as the router declares them (server/src/routes/mod.rs, one `.route` per path).
    let source =
        std::fs::read_to_string(tabml_tests::workspace_root().join("server/src/routes/mod.rs")).unwrap();
    let mut routed = BTreeSet::new();
    for line in source.lines().map(str::trim).filter(|l| l.starts_with(".route(\"")) {
        let path = line.split('"').nth(1).unwrap();
        for method in ["get", "post", "put", "patch", "delete"] {
            if line.contains(&format!("{method}(")) {
                routed.insert(format!("{} /api/v1{path}", method.to_uppercase()));
            }
        }
    }
    assert_eq!(documented, routed, "openapi.json and the router disagree");
    // Every documented schema reference resolves.
    let text = tabml_server::OPENAPI;
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(doc["components"]["schemas"].get(name).is_some(), "{name} is referenced but not defined");
    }
    // And the server serves it.
    let api = Api::start(false).await;
    let served = api.call(Method::GET, "/api/v1/openapi.json", None, Send::None).await.expect(200);
    assert_eq!(served, doc);
}
