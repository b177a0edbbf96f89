//! The sync server's API: accounts, the registry, monitoring events, the permission matrix, bad
//! input and the hardening layers. Each scenario runs twice: against the router in process
//! (`tower::ServiceExt::oneshot`) and against the real server on a loopback socket.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use tabml::api::Role;
use tabml_server::{AppState, ServerConfig, Storage};
use tabml_tests::TestServer;
use tower::ServiceExt;

/// How requests reach the server.
enum Transport {
    InProcess(axum::Router),
    Loopback(reqwest::Client),
}

/// A server with an admin, a mentor and two learners (in a class that does not let owners
/// promote), and the way to call it.
struct Api {
    server: TestServer,
    transport: Transport,
    admin: String,
    mentor: String,
    learner: String,
    other_learner: String,
}

/// A body to send.
enum Send {
    None,
    Json(Value),
    Bytes(Vec<u8>, &'static str),
}

/// An answer.
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("{} is not JSON ({e}): {}", self.status, String::from_utf8_lossy(&self.body))
        })
    }

    /// The stable code of an error answer, checking its shape on the way.
    fn code(&self) -> String {
        let body = self.json();
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
        assert_eq!(body.as_object().unwrap().len(), 2, "an error is exactly {{code, message}}: {body}");
        body["code"].as_str().unwrap().to_owned()
    }

    /// Asserts the status and returns the JSON body.
    fn expect(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", String::from_utf8_lossy(&self.body));
        if self.body.is_empty() {
            Value::Null
        } else {
            self.json()
        }
    }

    /// Asserts an error with this status and code; returns its message.
    fn error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status, status, "{}", String::from_utf8_lossy(&self.body));
        assert_eq!(self.code(), code, "{}", String::from_utf8_lossy(&self.body));
        self.json()["message"].as_str().unwrap().to_owned()
    }
}

const PASSWORD: &str = "correct horse battery";

impl Api {
    async fn start(loopback: bool) -> Self {
        Self::start_with(loopback, |_| {}).await
    }

    async fn start_with(loopback: bool, adjust: impl FnOnce(&mut ServerConfig) + Clone) -> Self {
        let dist = tempfile::tempdir().unwrap();
        let server = TestServer::start_with(dist.path(), adjust.clone()).await;
        let transport = if loopback {
            Transport::Loopback(reqwest::Client::new())
        } else {
            let mut config = ServerConfig { db: server.db.clone(), ..ServerConfig::default() };
            adjust(&mut config);
            let storage = Storage::open(&config.db, config.durability).unwrap();
            Transport::InProcess(tabml_server::app(AppState::new(storage, &config)))
        };
        server.create_user("ada", Role::Admin, PASSWORD);
        server.create_user("grace", Role::Mentor, PASSWORD);
        let mut api = Api {
            server,
            transport,
            admin: String::new(),
            mentor: String::new(),
            learner: String::new(),
            other_learner: String::new(),
        };
        api.admin = api.login("ada", PASSWORD).await;
        api.mentor = api.login("grace", PASSWORD).await;
        let class = api
            .call(Method::POST, "/api/v1/classes", Some(&api.mentor), Send::Json(json!({"name": "ml-101"})))
            .await;
        let code = class.expect(201)["join_code"].as_str().unwrap().to_owned();
        api.learner = api.sign_up("lin", &code).await;
        api.other_learner = api.sign_up("otto", &code).await;
        api
    }

    async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Send) -> Reply {
        self.call_with(method, path, token, body, &[]).await
    }

    async fn call_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Send,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut headers = vec![];
        if let Some(token) = token {
            headers.push(("authorization".to_owned(), format!("Bearer {token}")));
        }
        let bytes = match body {
            Send::None => Vec::new(),
            Send::Json(value) => {
                headers.push(("content-type".into(), "application/json".into()));
                serde_json::to_vec(&value).unwrap()
            }
            Send::Bytes(bytes, content_type) => {
                if !content_type.is_empty() {
                    headers.push(("content-type".into(), content_type.into()));
                }
                bytes
            }
        };
        headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        match &self.transport {
            Transport::InProcess(router) => {
                let mut request = Request::builder().method(method).uri(path);
                for (k, v) in &headers {
                    request = request.header(k, v);
                }
                let response =
                    router.clone().oneshot(request.body(Body::from(bytes)).unwrap()).await.unwrap();
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec();
                Reply { status, headers, body }
            }
            Transport::Loopback(client) => {
                let method = reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap();
                let mut request = client.request(method, self.server.url(path)).body(bytes);
                for (k, v) in &headers {
                    request = request.header(k, v);
                }
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let mut map = HeaderMap::new();
                for (k, v) in response.headers() {
                    map.insert(
                        axum::http::HeaderName::from_bytes(k.as_str().as_bytes()).unwrap(),
                        v.to_str().unwrap().parse().unwrap(),
                    );
                }
                let body = response.bytes().await.unwrap().to_vec();
                Reply { status, headers: map, body }
            }
        }
    }

    async fn login(&self, name: &str, password: &str) -> String {
        let reply = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Send::Json(json!({"name": name, "password": password})),
            )
            .await;
        reply.expect(200)["token"].as_str().unwrap().to_owned()
    }

    async fn sign_up(&self, name: &str, code: &str) -> String {
        let body = json!({"name": name, "password": PASSWORD, "join_code": code});
        let reply = self.call(Method::POST, "/api/v1/auth/signup", None, Send::Json(body)).await;
        reply.expect(201)["token"].as_str().unwrap().to_owned()
    }

    async fn register(&self, token: &str, name: &str) -> Value {
        let body = json!({"name": name, "description": "predicts the species", "tags": ["iris", "demo"]});
        self.call(Method::POST, "/api/v1/models", Some(token), Send::Json(body)).await.expect(201)
    }

    async fn upload(&self, token: &str, name: &str, bundle: Vec<u8>) -> Reply {
        let path = format!("/api/v1/models/{name}/versions");
        self.call(Method::POST, &path, Some(token), Send::Bytes(bundle, "application/octet-stream")).await
    }

    async fn events(&self, token: &str, events: Vec<Value>) -> Reply {
        self.call(Method::POST, "/api/v1/events", Some(token), Send::Json(json!({ "events": events }))).await
    }

    async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), Send::None).await
    }
}

/// A bundle trained on iris (`seed` varies it) or, with `regression`, on diabetes.
fn bundle(seed: u64, regression: bool) -> Vec<u8> {
    let (file, target) = if regression { ("diabetes.csv", "progression") } else { ("iris.csv", "species") };
    let csv = std::fs::read(tabml_tests::workspace_root().join("public/data").join(file)).unwrap();
    let table = tabml::parse_csv(&csv).unwrap();
    let mut config = tabml::TrainConfig::new(tabml::ModelKind::Dummy);
    config.seed = seed;
    tabml::train(&table, target, &config).unwrap().bundle.encode()
}

/// Runs a scenario in process and over loopback.
macro_rules! both_ways {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn in_process() {
                super::$name(false).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn over_loopback() {
                super::$name(true).await
            }
        }
    };
}

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

/// Now, in Unix milliseconds.
fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

fn prediction(id: &str, model: &str) -> Value {
    json!({"id": id, "type": "prediction", "model": model, "version": 1, "at": now(),
           "prediction_id": format!("p-{id}"), "output": "setosa", "probabilities": [0.9, 0.05, 0.05], "latency_ms": 0.4})
}

both_ways!(events_are_stored_once);
async fn events_are_stored_once(loopback: bool) {
    let api = Api::start(loopback).await;
    api.register(&api.learner, "mine").await;
    api.upload(&api.learner, "mine", bundle(1, false)).await.expect(201);
    api.register(&api.mentor, "handed-out").await;
    api.register(&api.other_learner, "theirs").await;

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
    let reply = api.events(&api.learner, vec![prediction("e5", "mine"), prediction("e7", "theirs")]).await;
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

/// Iris with `shift` added to every sepal length, as a table.
fn shifted_iris(shift: f64) -> tabml::Table {
    let csv = std::fs::read_to_string(tabml_tests::workspace_root().join("public/data/iris.csv")).unwrap();
    let mut lines = csv.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for line in lines.filter(|l| !l.is_empty()) {
        let (first, rest) = line.split_once(',').unwrap();
        out += &format!("{},{rest}\n", first.parse::<f64>().unwrap() + shift);
    }
    tabml::parse_csv(out.as_bytes()).unwrap()
}

fn profile_event(id: &str, profile: &tabml::drift::DataProfile) -> Value {
    json!({"id": id, "type": "profile", "model": "iris", "version": 1, "at": now(), "profile": profile})
}

both_ways!(profiles_merge_into_the_dashboards_drift);
async fn profiles_merge_into_the_dashboards_drift(loopback: bool) {
    use tabml::drift::{check_against_profile, DataProfile, DriftOptions};
    let api = Api::start(loopback).await;
    let api = &api;
    api.register(&api.mentor, "iris").await;
    let bytes = bundle(1, false);
    api.upload(&api.mentor, "iris", bytes.clone()).await.expect(201);
    let trained = tabml::ModelBundle::decode(&bytes).unwrap();
    let rule = json!({"name": "drift", "metric": "drift_share", "window_minutes": 60, "comparator": "above",
                      "threshold": 0.1, "action": "look at the sepal measurements"});
    api.call(Method::POST, "/api/v1/models/iris/alert-rules", Some(&api.mentor), Send::Json(rule))
        .await
        .expect(201);

    // Three clients each profile part of the rows, sepal lengths shifted by 1.5; no raw row is sent.
    let current = shifted_iris(1.5);
    let parts = [0..40, 40..100, 100..150];
    let events: Vec<Value> = parts
        .iter()
        .enumerate()
        .map(|(i, rows)| {
            let rows: Vec<usize> = rows.clone().collect();
            profile_event(&format!("f{i}"), &DataProfile::of_rows(&current, Some(&rows)))
        })
        .collect();
    for event in events {
        api.events(&api.learner, vec![event]).await.expect(200);
    }
    // A batch whose sepal lengths are words cannot merge with the others: it is left out.
    let words = tabml::parse_csv(b"sepal_length,sepal_width\nlong,3.1\nshort,2.9\n").unwrap();
    api.events(&api.learner, vec![profile_event("f-words", &DataProfile::of_rows(&words, None))])
        .await
        .expect(200);

    // The merged verdicts are those of the whole shifted table against the bundle's profile.
    let dashboard = api.get("/api/v1/models/iris/dashboard", &api.learner).await.expect(200);
    let drift = &dashboard["drift"];
    assert_eq!(drift["source"], "profiles", "{drift}");
    assert_eq!(
        (drift["version"].as_u64(), drift["batches"].as_u64(), drift["rows"].as_u64()),
        (Some(1), Some(3), Some(150))
    );
    let expected = check_against_profile(&trained.profile, &current, &DriftOptions::default()).unwrap();
    assert_eq!(drift["dataset_drift"], expected.dataset_drift);
    assert_eq!(drift["drifted_share"].as_f64().unwrap(), expected.drifted_share);
    let columns = drift["columns"].as_array().unwrap();
    assert_eq!(columns.len(), expected.columns.len());
    for (ours, theirs) in columns.iter().zip(&expected.columns) {
        assert_eq!(ours["column"], theirs.column.as_str());
        assert_eq!(ours["test"], theirs.test.name());
        assert_eq!(ours["drift"], theirs.drift, "{ours}");
        assert!(
            (ours["statistic"].as_f64().unwrap() - theirs.value()).abs()
                <= 1e-12 * theirs.value().abs().max(1.0)
        );
    }
    let sepal = columns.iter().find(|c| c["column"] == "sepal_length").unwrap();
    assert_eq!((sepal["test"].as_str(), sepal["drift"].as_bool()), (Some("ks"), Some(true)));
    let width = columns.iter().find(|c| c["column"] == "sepal_width").unwrap();
    assert_eq!(width["drift"], false);
    // The drift rule read the same merged drift as the profiles arrived, and fired once.
    let alerts = api.get("/api/v1/alerts?model=iris", &api.learner).await.expect(200);
    assert_eq!(alerts.as_array().unwrap().len(), 1, "{alerts}");
    assert_eq!(alerts[0]["rule"], "drift");
    assert!(alerts[0]["value"].as_f64().unwrap() > 0.1);

    // A profile no profiling could make is refused, and says where.
    let mut bad = serde_json::to_value(DataProfile::of_rows(&current, None)).unwrap();
    bad["columns"][1]["missing"] = json!(1000);
    let reply = api.events(&api.learner, vec![json!({"id": "f-bad", "type": "profile", "model": "iris", "version": 1, "at": now(), "profile": bad})]).await;
    assert_eq!(
        reply.error(400, "invalid_input"),
        "events[0]: profile: column `sepal_width`: 150 rows with 1000 missing, in a profile of 150 rows"
    );
    let reply = api.events(&api.learner, vec![json!({"id": "f-bad", "type": "profile", "model": "iris", "version": 1, "at": now(), "profile": {"rows": "many"}})]).await;
    assert!(reply.error(400, "invalid_input").starts_with("events[0]: profile: not a tabml data profile ("));
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
    // "theirs" belongs to otto, a learner; lin is the learner who does not own it. Run 1 is otto's;
    // alert rule 1 watches "theirs" and has fired alert 1.
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
        for (index, (role, name, token)) in
            [("learner", "lin", &api.learner), ("mentor", "grace", &api.mentor), ("admin", "ada", &api.admin)]
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
            let forbidden = match access.as_str() {
                "public" | "signed-in" | "dashboard" => false,
                "owner" | "promoter" | "mentor" | "reporter" => role == "learner",
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

both_ways!(runs_are_logged_in_batches_with_mlflows_limits);
async fn runs_are_logged_in_batches_with_mlflows_limits(loopback: bool) {
    let api = Api::start(loopback).await;
    let api = &api;
    api.register(&api.learner, "iris").await;
    let start = |name: &str, model: Option<&str>| Send::Json(json!({"name": name, "model": model}));
    let run = api
        .call(Method::POST, "/api/v1/runs", Some(&api.learner), start("forest-1", Some("iris")))
        .await
        .expect(201);
    let id = run["id"].as_i64().unwrap();
    assert_eq!((run["owner"].as_str(), run["model"].as_str()), (Some("lin"), Some("iris")));
    let log = |token: &str, id: i64, body: Value| {
        let token = token.to_owned();
        async move {
            let path = format!("/api/v1/runs/{id}/log-batch");
            api.call(Method::POST, &path, Some(&token), Send::Json(body)).await
        }
    };
    let batch = json!({
        "params": [{"key": "n_estimators", "value": "100"}],
        "tags": [{"key": "data", "value": "iris.csv"}],
        "metrics": [{"key": "accuracy", "value": 0.8, "step": 0}, {"key": "accuracy", "value": 0.93, "step": 1},
                    {"key": "log loss", "value": 0.2}]
    });
    let logged = log(&api.learner, id, batch).await.expect(200);
    assert_eq!(logged["metrics"], json!({"accuracy": 0.93, "log loss": 0.2}));
    assert_eq!(logged["params"], json!({"n_estimators": "100"}));
    // A parameter keeps its first value; the whole batch is then refused.
    let clash = json!({"params": [{"key": "n_estimators", "value": "200"}], "metrics": [{"key": "accuracy", "value": 0.1, "step": 9}]});
    assert!(log(&api.learner, id, clash).await.error(409, "conflict").contains("keeps its first value"));
    assert_eq!(
        api.get(&format!("/api/v1/runs/{id}"), &api.learner).await.expect(200)["metrics"]["accuracy"],
        0.93
    );
    // MLflow's limits.
    let metrics: Vec<Value> = (0..1001).map(|i| json!({"key": "m", "value": i, "step": i})).collect();
    let reply = log(&api.learner, id, json!({ "metrics": metrics })).await;
    assert!(reply.error(400, "invalid_input").contains("at most 1000"));
    let params: Vec<Value> = (0..101).map(|i| json!({"key": format!("p{i}"), "value": "v"})).collect();
    log(&api.learner, id, json!({ "params": params })).await.error(400, "invalid_input");
    // 100 params and 100 tags of long values: within the counts, over 1 MB.
    let long = |prefix: &str| -> Vec<Value> {
        (0..100).map(|i| json!({"key": format!("{prefix}{i}"), "value": "x".repeat(5500)})).collect()
    };
    log(&api.learner, id, json!({ "params": long("p"), "tags": long("t") }))
        .await
        .error(413, "payload_too_large");
    log(&api.learner, id, json!({"metrics": [{"key": "../x", "value": 1}]}))
        .await
        .error(400, "invalid_input");
    log(&api.other_learner, id, json!({"metrics": []})).await.error(403, "forbidden");
    log(&api.learner, 999, json!({"metrics": []})).await.error(404, "not_found");

    // Search and compare.
    let second = api
        .call(Method::POST, "/api/v1/runs", Some(&api.learner), start("logreg-1", Some("iris")))
        .await
        .expect(201);
    let second_id = second["id"].as_i64().unwrap();
    log(
        &api.learner,
        second_id,
        json!({"params": [{"key": "C", "value": "1.0"}], "metrics": [{"key": "accuracy", "value": 0.9}]}),
    )
    .await
    .expect(200);
    api.call(Method::POST, "/api/v1/runs", Some(&api.other_learner), start("other", None)).await.expect(201);
    let page = api.get("/api/v1/runs?model=iris", &api.mentor).await.expect(200);
    assert_eq!((page["total"].as_u64(), page["runs"][0]["name"].as_str()), (Some(2), Some("logreg-1")));
    assert_eq!(api.get("/api/v1/runs?owner=otto", &api.mentor).await.expect(200)["total"], 1);
    let compared =
        api.get(&format!("/api/v1/runs/compare?ids={id},{second_id}"), &api.mentor).await.expect(200);
    assert_eq!(compared["metrics"]["accuracy"], json!([0.93, 0.9]));
    assert_eq!(compared["params"], json!({"C": [null, "1.0"], "n_estimators": ["100", null]}));
    api.get("/api/v1/runs/compare?ids=1,x", &api.mentor).await.error(400, "invalid_input");
}

both_ways!(deployment_policies_route_between_versions_clients_can_fetch);
async fn deployment_policies_route_between_versions_clients_can_fetch(loopback: bool) {
    let api = Api::start(loopback).await;
    let api = &api;
    api.register(&api.learner, "iris").await;
    for seed in 1..=3 {
        api.upload(&api.learner, "iris", bundle(seed, false)).await.expect(201);
    }
    let alias = |alias: &str, version: u32| {
        let path = format!("/api/v1/models/iris/aliases/{alias}");
        async move {
            api.call(
                Method::PUT,
                &path,
                Some(&api.learner),
                Send::Json(json!({"version": version, "reason": "r"})),
            )
            .await
            .expect(200)
        }
    };
    alias("champion", 1).await;
    alias("challenger", 2).await;
    api.get("/api/v1/models/iris/policy", &api.learner).await.error(404, "not_found");
    let put = |token: &str, policy: Value| {
        let token = token.to_owned();
        async move { api.call(Method::PUT, "/api/v1/models/iris/policy", Some(&token), Send::Json(policy)).await }
    };
    let canary = json!({"strategy": "canary", "primary": {"alias": "champion"}, "secondary": {"alias": "challenger"},
                        "percent": 10.0, "reason": "try the challenger on a tenth"});
    put(&api.learner, canary.clone()).await.error(403, "forbidden");
    let info = put(&api.mentor, canary.clone()).await.expect(200);
    assert_eq!((info["primary_version"].as_u64(), info["secondary_version"].as_u64()), (Some(1), Some(2)));
    // Clients fetching the policy follow the aliases as they move.
    alias("challenger", 3).await;
    let info = api.get("/api/v1/models/iris/policy", &api.other_learner).await.expect(200);
    assert_eq!(
        (info["policy"].clone(), info["secondary_version"].as_u64(), info["updated_by"].as_str()),
        (canary, Some(3), Some("grace"))
    );
    for bad in [
        json!({"strategy": "single", "primary": {"version": 1}, "secondary": {"version": 2}}),
        json!({"strategy": "canary", "primary": {"version": 1}, "secondary": {"version": 2}}),
        json!({"strategy": "ab", "primary": {"version": 1}, "secondary": {"version": 2}, "percent": 150}),
        json!({"strategy": "shadow", "primary": {"version": 1}, "percent": 100}),
        json!({"strategy": "blue_green", "primary": {"version": 1}, "secondary": {"version": 2}, "percent": 5}),
        json!({"strategy": "single", "primary": {"version": 1, "alias": "champion"}}),
        json!({"strategy": "rainbow", "primary": {"version": 1}}),
    ] {
        put(&api.mentor, bad).await.error(400, "invalid_input");
    }
    put(&api.mentor, json!({"strategy": "single", "primary": {"alias": "gold"}}))
        .await
        .error(404, "not_found");
    put(&api.mentor, json!({"strategy": "single", "primary": {"version": 7}})).await.error(404, "not_found");
    let blue_green = json!({"strategy": "blue_green", "primary": {"version": 3}, "secondary": {"version": 2}, "reason": "switch"});
    assert_eq!(put(&api.mentor, blue_green).await.expect(200)["primary_version"], 3);
    let audit = api.get("/api/v1/models/iris/audit", &api.learner).await.expect(200);
    let policy_changes: Vec<&Value> =
        audit.as_array().unwrap().iter().filter(|e| e["action"] == "policy").collect();
    assert_eq!(policy_changes.len(), 2);
    assert_eq!(policy_changes[1]["reason"], "switch");
}

both_ways!(alert_rules_fire_as_events_arrive_and_dashboards_summarize);
async fn alert_rules_fire_as_events_arrive_and_dashboards_summarize(loopback: bool) {
    let api = Api::start(loopback).await;
    let api = &api;
    api.register(&api.mentor, "iris").await;
    api.upload(&api.mentor, "iris", bundle(1, false)).await.expect(201);
    let rule = |name: &str, metric: &str, comparator: &str, threshold: f64| {
        Send::Json(json!({"name": name, "metric": metric, "window_minutes": 60, "comparator": comparator,
                          "threshold": threshold, "action": "tell the mentor and roll back to champion"}))
    };
    api.call(
        Method::POST,
        "/api/v1/models/iris/alert-rules",
        Some(&api.learner),
        rule("errors", "error_rate", "above", 0.2),
    )
    .await
    .error(403, "forbidden");
    let errors = api
        .call(
            Method::POST,
            "/api/v1/models/iris/alert-rules",
            Some(&api.mentor),
            rule("errors", "error_rate", "above", 0.2),
        )
        .await
        .expect(201);
    api.call(
        Method::POST,
        "/api/v1/models/iris/alert-rules",
        Some(&api.mentor),
        rule("accuracy", "accuracy", "below", 0.8),
    )
    .await
    .expect(201);
    let bad = Send::Json(
        json!({"name": "x", "metric": "accuracy", "window_minutes": 0, "comparator": "below", "threshold": 1, "action": "a"}),
    );
    api.call(Method::POST, "/api/v1/models/iris/alert-rules", Some(&api.mentor), bad)
        .await
        .error(400, "invalid_input");

    // Ten predictions, three of them failed: the error rate (0.3) crosses 0.2 as they arrive.
    let labels = ["setosa", "versicolor", "virginica"];
    let events: Vec<Value> = (0..10)
        .map(|i| {
            let mut e = prediction(&format!("p{i}"), "iris");
            e["latency_ms"] = json!(i + 1);
            e["output"] = json!(labels[i % 3]);
            e["probabilities"] = json!([0.6, 0.3, 0.1]);
            if i >= 7 {
                e.as_object_mut().unwrap().remove("output");
                e["error"] = json!("a missing column");
            }
            e
        })
        .collect();
    api.events(&api.learner, events).await.expect(200);
    let open = api.get("/api/v1/alerts?model=iris", &api.learner).await.expect(200);
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    assert_eq!(open[0]["rule"], "errors");
    assert_eq!(open[0]["value"], 0.3);
    assert_eq!(
        open[0]["message"],
        "errors: error_rate was 0.3 over the last 60 minutes, above the threshold 0.2. What should happen: tell the mentor and roll back to champion"
    );
    let alert = open[0]["id"].as_i64().unwrap();
    let ack = |token: &str| {
        let token = token.to_owned();
        async move {
            api.call(
                Method::POST,
                &format!("/api/v1/alerts/{alert}/ack"),
                Some(&token),
                Send::Json(json!({"note": "fixed the client"})),
            )
            .await
        }
    };
    ack(&api.learner).await.error(403, "forbidden");
    assert_eq!(ack(&api.mentor).await.expect(200)["acknowledged_by"], "grace");
    ack(&api.mentor).await.error(409, "conflict");
    assert_eq!(api.get("/api/v1/alerts", &api.learner).await.expect(200), json!([]));
    assert_eq!(
        api.get("/api/v1/alerts?open=false", &api.learner).await.expect(200)[0]["note"],
        "fixed the client"
    );

    // Labels for the seven that answered: five right, so accuracy 5/7 falls below 0.8.
    let truth = |i: usize| if i < 5 { labels[i % 3] } else { "versicolor" };
    let label_events: Vec<Value> = (0..7)
        .map(|i| json!({"id": format!("l{i}"), "type": "label", "model": "iris", "version": 1, "at": now(), "prediction_id": format!("p-p{i}"), "label": truth(i)}))
        .collect();
    api.events(&api.learner, label_events).await.expect(200);
    let report = json!({"dataset_drift": true, "drifted_share": 0.5, "columns": [
        {"column": "petal_length", "type": "num", "test": "ks", "statistic": 0.4, "p_value": 0.001, "threshold": 0.05, "drift": true},
        {"column": "sepal_width", "type": "num", "test": "ks", "statistic": 0.05, "p_value": 0.8, "threshold": 0.05, "drift": false}]});
    api.events(&api.learner, vec![json!({"id": "d1", "type": "drift_report", "model": "iris", "version": 1, "at": now(), "report": report})]).await.expect(200);

    let dashboard = api.get("/api/v1/models/iris/dashboard", &api.learner).await.expect(200);
    assert_eq!(dashboard["volume"], 10);
    assert_eq!(dashboard["volume_by_version"], json!({"1": 10}));
    assert_eq!(dashboard["predictions"], json!({"setosa": 3, "versicolor": 2, "virginica": 2}));
    assert_eq!(dashboard["error_rate"], 0.3);
    // numpy.percentile([1..10], 50) = 5.5 and (…, 99) = 9.91.
    assert_eq!(dashboard["latency_p50_ms"], 5.5);
    assert!((dashboard["latency_p99_ms"].as_f64().unwrap() - 9.91).abs() < 1e-12);
    assert_eq!(dashboard["labelled"], 7);
    assert!((dashboard["accuracy"].as_f64().unwrap() - 5.0 / 7.0).abs() < 1e-12);
    assert!((dashboard["estimated_accuracy"].as_f64().unwrap() - 0.6).abs() < 1e-12);
    assert_eq!(dashboard["drift"]["drifted_share"], 0.5);
    assert_eq!(
        (dashboard["drift"]["source"].as_str(), dashboard["drift"]["batches"].as_u64()),
        (Some("report"), Some(0))
    );
    assert_eq!(
        dashboard["drift"]["columns"][0],
        json!({"column": "petal_length", "test": "ks", "statistic": 0.4, "drift": true})
    );
    assert!(dashboard["freshness_seconds"].as_f64().unwrap() < 60.0);
    let open: Vec<&str> =
        dashboard["open_alerts"].as_array().unwrap().iter().map(|a| a["rule"].as_str().unwrap()).collect();
    assert_eq!(open, ["accuracy"]);
    // A window before any event is empty.
    let empty = api.get("/api/v1/models/iris/dashboard?from=0&to=1000", &api.learner).await.expect(200);
    assert_eq!(
        (empty["volume"].as_u64(), empty["error_rate"].clone(), empty["accuracy"].clone()),
        (Some(0), Value::Null, Value::Null)
    );
    api.get("/api/v1/models/iris/dashboard?from=10&to=5", &api.learner).await.error(400, "invalid_input");
    // Dashboards need a token unless the server makes them public.
    api.call(Method::GET, "/api/v1/models/iris/dashboard", None, Send::None).await.error(401, "unauthorized");
    // Deleting a rule keeps its alerts.
    let errors_id = errors["id"].as_i64().unwrap();
    api.call(
        Method::DELETE,
        &format!("/api/v1/models/iris/alert-rules/{errors_id}"),
        Some(&api.mentor),
        Send::None,
    )
    .await
    .expect(204);
    assert_eq!(
        api.get("/api/v1/models/iris/alert-rules", &api.learner).await.expect(200).as_array().unwrap().len(),
        1
    );
    assert_eq!(
        api.get("/api/v1/alerts?open=false", &api.learner).await.expect(200).as_array().unwrap().len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_dashboards_are_readable_without_signing_in() {
    let api = Api::start_with(true, |c| c.public_dashboards = true).await;
    api.register(&api.learner, "iris").await;
    api.events(&api.learner, vec![prediction("p1", "iris")]).await.expect(200);
    let dashboard =
        api.call(Method::GET, "/api/v1/models/iris/dashboard", None, Send::None).await.expect(200);
    assert_eq!(dashboard["volume"], 1);
    // Everything else still needs a token.
    api.call(Method::GET, "/api/v1/models/iris", None, Send::None).await.error(401, "unauthorized");
}
