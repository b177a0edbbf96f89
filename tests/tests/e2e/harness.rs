//! What the API tests share: a server with an admin, a mentor and two learners, reached in process
//! or over loopback, typed replies, a trained bundle, and the `both_ways!` macro that runs a
//! scenario both ways.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request};
use serde_json::{json, Value};
use tabml::api::Role;
use tabml_server::{AppState, ServerConfig, Storage};
use tabml_tests::TestServer;
use tower::ServiceExt;

/// How requests reach the server.
pub(crate) enum Transport {
    InProcess(axum::Router),
    Loopback(reqwest::Client),
}

/// A server with an admin, a mentor and two learners (in a class that does not let owners
/// promote), and the way to call it.
pub(crate) struct Api {
    pub(crate) server: TestServer,
    pub(crate) transport: Transport,
    pub(crate) admin: String,
    pub(crate) mentor: String,
    pub(crate) learner: String,
    pub(crate) other_learner: String,
    /// The server's state, when it is called in process.
    pub(crate) state: Option<AppState>,
}

/// A body to send.
pub(crate) enum Send {
    None,
    Json(Value),
    Bytes(Vec<u8>, &'static str),
}

/// An answer.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("{} is not JSON ({e}): {}", self.status, String::from_utf8_lossy(&self.body))
        })
    }

    /// The stable code of an error answer, checking its shape on the way.
    pub(crate) fn code(&self) -> String {
        let body = self.json();
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
        assert_eq!(body.as_object().unwrap().len(), 2, "an error is exactly {{code, message}}: {body}");
        body["code"].as_str().unwrap().to_owned()
    }

    /// Asserts the status and returns the JSON body.
    pub(crate) fn expect(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", String::from_utf8_lossy(&self.body));
        if self.body.is_empty() {
            Value::Null
        } else {
            self.json()
        }
    }

    /// Asserts an error with this status and code; returns its message.
    pub(crate) fn error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status, status, "{}", String::from_utf8_lossy(&self.body));
        assert_eq!(self.code(), code, "{}", String::from_utf8_lossy(&self.body));
        self.json()["message"].as_str().unwrap().to_owned()
    }
}

pub(crate) const PASSWORD: &str = "correct horse battery";

impl Api {
    pub(crate) async fn start(loopback: bool) -> Self {
        Self::start_with(loopback, |_| {}).await
    }

    pub(crate) async fn start_with(loopback: bool, adjust: impl FnOnce(&mut ServerConfig) + Clone) -> Self {
        let dist = tempfile::tempdir().unwrap();
        let server = TestServer::start_with(dist.path(), adjust.clone()).await;
        let (transport, state) = if loopback {
            (Transport::Loopback(reqwest::Client::new()), None)
        } else {
            let mut config = ServerConfig { db: server.db.clone(), ..ServerConfig::default() };
            adjust(&mut config);
            let storage = Storage::open(&config.db, config.durability).unwrap();
            let state = AppState::new(storage, &config);
            (Transport::InProcess(tabml_server::app(state.clone())), Some(state))
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
            state,
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

    pub(crate) async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Send) -> Reply {
        self.call_with(method, path, token, body, &[]).await
    }

    pub(crate) async fn call_with(
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

    pub(crate) async fn login(&self, name: &str, password: &str) -> String {
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

    pub(crate) async fn sign_up(&self, name: &str, code: &str) -> String {
        let body = json!({"name": name, "password": PASSWORD, "join_code": code});
        let reply = self.call(Method::POST, "/api/v1/auth/signup", None, Send::Json(body)).await;
        reply.expect(201)["token"].as_str().unwrap().to_owned()
    }

    /// A second class, "ml-202", with its own mentor (hopper) and learner (mia): their tokens.
    pub(crate) async fn second_class(&self) -> (String, String) {
        self.server.create_user("hopper", Role::Mentor, PASSWORD);
        let hopper = self.login("hopper", PASSWORD).await;
        let class = self
            .call(Method::POST, "/api/v1/classes", Some(&hopper), Send::Json(json!({"name": "ml-202"})))
            .await;
        let mia = self.sign_up("mia", class.expect(201)["join_code"].as_str().unwrap()).await;
        (hopper, mia)
    }

    pub(crate) async fn register(&self, token: &str, name: &str) -> Value {
        let body = json!({"name": name, "description": "predicts the species", "tags": ["iris", "demo"]});
        self.call(Method::POST, "/api/v1/models", Some(token), Send::Json(body)).await.expect(201)
    }

    /// Registers a mentor's model in the class "ml-101", whose learners then report on it.
    pub(crate) async fn hand_out(&self, token: &str, name: &str) -> Value {
        let body = json!({"name": name, "description": "handed out", "tags": ["iris"], "class": "ml-101"});
        self.call(Method::POST, "/api/v1/models", Some(token), Send::Json(body)).await.expect(201)
    }

    pub(crate) async fn upload(&self, token: &str, name: &str, bundle: Vec<u8>) -> Reply {
        let path = format!("/api/v1/models/{name}/versions");
        self.call(Method::POST, &path, Some(token), Send::Bytes(bundle, "application/octet-stream")).await
    }

    pub(crate) async fn events(&self, token: &str, events: Vec<Value>) -> Reply {
        self.call(Method::POST, "/api/v1/events", Some(token), Send::Json(json!({ "events": events }))).await
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), Send::None).await
    }
}

/// A bundle trained on iris (`seed` varies it) or, with `regression`, on diabetes.
pub(crate) fn bundle(seed: u64, regression: bool) -> Vec<u8> {
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

/// Now, in Unix milliseconds.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A profile event about `model`'s `version`, carrying `profile` (a `DataProfile`, or hostile JSON).
pub(crate) fn profile_event(id: &str, model: &str, version: u32, profile: &Value) -> Value {
    json!({"id": id, "type": "profile", "model": model, "version": version, "at": now(), "profile": profile})
}

pub(crate) fn prediction(id: &str, model: &str) -> Value {
    json!({"id": id, "type": "prediction", "model": model, "version": 1, "at": now(),
           "prediction_id": format!("p-{id}"), "output": "setosa", "probabilities": [0.9, 0.05, 0.05], "latency_ms": 0.4})
}
