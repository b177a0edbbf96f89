//! The one module that speaks HTTP: the server's API and the static sample data it serves.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tabml::api::{
    Alert, AlertAck, AlertRule, AliasMove, ApiError, AuditEntry, ClassInfo, DeploymentPolicy, EventAck,
    Health, LoginRequest, ModelInfo, ModelPage, NewAlertRule, NewModel, NewOverride, NewRun, OverridePage,
    PolicyInfo, PredictionOverride, Retirement, RunBatch, RunInfo, RunPage, SignupRequest, StageChange,
    TokenResponse, UserInfo, VersionInfo,
};
use thiserror::Error;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// A request that did not give us what we asked for.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum HttpError {
    /// The request never got an answer (offline, server down, blocked).
    #[error("could not reach {url}: {message}")]
    Network { url: String, message: String },
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    /// The answer was not what we expected.
    #[error("{url} sent something unexpected: {message}")]
    Decode { url: String, message: String },
    /// The server is busy (`429`): try again after `retry_after_secs` if it said.
    #[error("the server is busy: {message}")]
    Busy { url: String, retry_after_secs: Option<u64>, message: String },
    /// The server refused the request and said why (its stable code and its message).
    #[error("{message}")]
    Refused { url: String, status: u16, code: String, message: String },
}

impl HttpError {
    /// Whether the server said the token is unknown or expired (sign in again).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, HttpError::Refused { status: 401, .. } | HttpError::Status { status: 401, .. })
    }
}

/// One sample data set listed in `/data/datasets.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SampleDataset {
    /// A short stable id, like `iris`.
    pub id: String,
    /// The CSV file name under `/data/`.
    pub file: String,
    /// The name a learner sees.
    pub title: String,
    /// One or two sentences on what it is.
    pub description: String,
    /// The column to predict.
    pub target: String,
    /// `classification` or `regression`.
    pub task: String,
    /// Number of rows.
    pub rows: usize,
}

/// `GET /api/v1/health`.
pub async fn health() -> Result<Health, HttpError> {
    get_json("/api/v1/health").await
}

/// The list of sample data sets shipped with the app.
pub async fn sample_datasets() -> Result<Vec<SampleDataset>, HttpError> {
    get_json("/data/datasets.json").await
}

/// The bytes of a sample data set's CSV.
pub async fn sample_csv(dataset: &SampleDataset) -> Result<Vec<u8>, HttpError> {
    get_bytes(&format!("/data/{}", dataset.file)).await
}

/// `POST /api/v1/auth/login`: a token for this name and password.
pub async fn login(name: &str, password: &str) -> Result<TokenResponse, HttpError> {
    let body = LoginRequest { name: name.to_owned(), password: password.to_owned() };
    send_json("POST", "/api/v1/auth/login", Some(&body), None).await
}

/// `POST /api/v1/auth/signup`: a new learner in the class whose join code this is, signed in.
pub async fn signup(name: &str, password: &str, join_code: &str) -> Result<TokenResponse, HttpError> {
    let body = SignupRequest {
        name: name.to_owned(),
        password: password.to_owned(),
        join_code: join_code.to_owned(),
    };
    send_json("POST", "/api/v1/auth/signup", Some(&body), None).await
}

/// `GET /api/v1/me`: who the token belongs to (401 once it has expired).
pub async fn me(token: &str) -> Result<UserInfo, HttpError> {
    send_json::<(), _>("GET", "/api/v1/me", None, Some(token)).await
}

/// `POST /api/v1/auth/logout`: the token stops working.
pub async fn logout(token: &str) -> Result<(), HttpError> {
    send("POST", "/api/v1/auth/logout", None, Some(token)).await.map(drop)
}

/// `GET /api/v1/models/{name}`; `None` when there is no such model.
pub async fn model(token: &str, name: &str) -> Result<Option<ModelInfo>, HttpError> {
    match send_json::<(), ModelInfo>("GET", &format!("/api/v1/models/{}", segment(name)), None, Some(token))
        .await
    {
        Ok(model) => Ok(Some(model)),
        Err(HttpError::Refused { status: 404, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `POST /api/v1/models`: registers a model name.
pub async fn register_model(token: &str, model: &NewModel) -> Result<ModelInfo, HttpError> {
    send_json("POST", "/api/v1/models", Some(model), Some(token)).await
}

/// `GET /api/v1/models/{name}/versions`.
pub async fn versions(token: &str, name: &str) -> Result<Vec<VersionInfo>, HttpError> {
    send_json::<(), _>("GET", &format!("/api/v1/models/{}/versions", segment(name)), None, Some(token)).await
}

/// `POST /api/v1/models/{name}/versions`: the bundle's bytes become the model's next version.
pub async fn upload_version(token: &str, name: &str, bundle: &[u8]) -> Result<VersionInfo, HttpError> {
    let url = format!("/api/v1/models/{}/versions", segment(name));
    let bytes = send("POST", &url, Some(Body::Bytes(bundle)), Some(token)).await?;
    serde_json::from_slice(&bytes).map_err(|e| HttpError::Decode { url, message: e.to_string() })
}

/// `POST /api/v1/runs`.
pub async fn new_run(token: &str, run: &NewRun) -> Result<RunInfo, HttpError> {
    send_json("POST", "/api/v1/runs", Some(run), Some(token)).await
}

/// `POST /api/v1/runs/{id}/log-batch`.
pub async fn log_batch(token: &str, run: i64, batch: &RunBatch) -> Result<(), HttpError> {
    let body = serde_json::to_string(batch)
        .map_err(|e| HttpError::Decode { url: "log-batch".into(), message: e.to_string() })?;
    send("POST", &format!("/api/v1/runs/{run}/log-batch"), Some(Body::Json(body)), Some(token))
        .await
        .map(drop)
}

/// `GET /api/v1/models?q=…&owner=…&offset=…&limit=…`: one page of the registry's search.
pub async fn models(
    token: &str,
    q: &str,
    owner: Option<&str>,
    offset: u64,
    limit: u32,
) -> Result<ModelPage, HttpError> {
    let mut url = format!("/api/v1/models?offset={offset}&limit={limit}");
    if !q.trim().is_empty() {
        url.push_str(&format!("&q={}", segment(q.trim())));
    }
    if let Some(owner) = owner {
        url.push_str(&format!("&owner={}", segment(owner)));
    }
    send_json::<(), _>("GET", &url, None, Some(token)).await
}

/// `GET /api/v1/models/{name}/audit`: who changed what, and why.
pub async fn audit(token: &str, name: &str) -> Result<Vec<AuditEntry>, HttpError> {
    send_json::<(), _>("GET", &format!("/api/v1/models/{}/audit", segment(name)), None, Some(token)).await
}

/// `PUT /api/v1/models/{name}/aliases/{alias}`: the alias names `change.version` from now on.
pub async fn move_alias(
    token: &str,
    name: &str,
    alias: &str,
    change: &AliasMove,
) -> Result<VersionInfo, HttpError> {
    let url = format!("/api/v1/models/{}/aliases/{}", segment(name), segment(alias));
    send_json("PUT", &url, Some(change), Some(token)).await
}

/// `PUT /api/v1/models/{name}/versions/{version}/stage`.
pub async fn change_stage(
    token: &str,
    name: &str,
    version: u32,
    change: &StageChange,
) -> Result<VersionInfo, HttpError> {
    let url = format!("/api/v1/models/{}/versions/{version}/stage", segment(name));
    send_json("PUT", &url, Some(change), Some(token)).await
}

/// `POST /api/v1/models/{name}/versions/{version}/retire`.
pub async fn retire(
    token: &str,
    name: &str,
    version: u32,
    why: &Retirement,
) -> Result<VersionInfo, HttpError> {
    let url = format!("/api/v1/models/{}/versions/{version}/retire", segment(name));
    send_json("POST", &url, Some(why), Some(token)).await
}

/// `GET /api/v1/runs?model=…`: the newest runs of a model (up to 100).
pub async fn runs_of(token: &str, model: &str) -> Result<RunPage, HttpError> {
    let url = format!("/api/v1/runs?model={}&limit=100", segment(model));
    send_json::<(), _>("GET", &url, None, Some(token)).await
}

/// `POST /api/v1/events`: a batch of monitoring events, as JSON already encoded (the worker builds
/// them). The answer says which ids were stored and which the server already had.
pub async fn send_events(token: &str, batch_json: String) -> Result<EventAck, HttpError> {
    let bytes = send("POST", "/api/v1/events", Some(Body::Json(batch_json)), Some(token)).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| HttpError::Decode { url: "/api/v1/events".into(), message: e.to_string() })
}

/// The address of a model's dashboard of the last 24 hours, for [`Polled::answer`].
pub fn last_day_url(name: &str) -> String {
    format!("/api/v1/models/{}/dashboard", segment(name))
}

/// The address of a model's dashboard of a window (`from` to `to`, Unix ms), of one version's
/// predictions when `version` says which: for [`Polled::refresh`].
pub fn dashboard_url(name: &str, from: i64, to: i64, version: Option<u32>) -> String {
    let version = version.map(|v| format!("&version={v}")).unwrap_or_default();
    format!("/api/v1/models/{}/dashboard?from={from}&to={to}{version}", segment(name))
}

/// The address of a model's series over `from` to `to` (Unix ms) in buckets of `step` seconds:
/// for [`Polled::refresh`].
pub fn series_url(name: &str, from: i64, to: i64, step: u64) -> String {
    format!("/api/v1/models/{}/series?from={from}&to={to}&step={step}", segment(name))
}

/// A GET asked again and again, with the last answer and its ETag kept: asking again sends
/// `If-None-Match`, and a 304 keeps the answer there is.
#[derive(Debug, Clone)]
pub struct Polled<T> {
    url: String,
    etag: Option<String>,
    /// The last answer (of `url`).
    pub last: Option<T>,
}

impl<T> Default for Polled<T> {
    fn default() -> Self {
        Self { url: String::new(), etag: None, last: None }
    }
}

impl<T: DeserializeOwned> Polled<T> {
    /// Asks `url` (another address than last time forgets the last answer). `Ok(false)`: unchanged
    /// (304), the last answer stands; `Ok(true)`: a new answer, in `last`.
    pub async fn refresh(&mut self, token: &str, url: &str) -> Result<bool, HttpError> {
        if self.url != url {
            *self = Self { url: url.to_owned(), ..Self::default() };
        }
        let etag = self.etag.as_deref().filter(|_| self.last.is_some());
        let response = fetch("GET", url, None, Some(token), etag).await?;
        if response.status() == 304 {
            return Ok(false);
        }
        let etag = response.headers().get("etag").ok().flatten();
        let bytes = answer(url, response).await?;
        let value = serde_json::from_slice(&bytes)
            .map_err(|e| HttpError::Decode { url: url.to_owned(), message: e.to_string() })?;
        (self.etag, self.last) = (etag, Some(value));
        Ok(true)
    }
}

impl<T: DeserializeOwned + Clone> Polled<T> {
    /// [`Polled::refresh`] on the copy a page keeps between rounds: the answer, new or kept (a 304
    /// costs the server no work and sends no body).
    pub async fn answer(
        kept: &std::rc::Rc<std::cell::RefCell<Self>>,
        token: &str,
        url: &str,
    ) -> Result<T, HttpError> {
        // Taken out for the request (no borrow is held across it) and put back whatever it gives.
        let mut polled = kept.take();
        let asked = polled.refresh(token, url).await;
        let answer = polled.last.clone();
        *kept.borrow_mut() = polled;
        asked?;
        answer.ok_or_else(|| HttpError::Decode { url: url.to_owned(), message: "no answer kept".into() })
    }
}

/// The address of the open alerts (of `model` only, if given), newest first: `GET /api/v1/alerts`,
/// for [`Polled::answer`].
pub fn alerts_url(model: Option<&str>) -> String {
    match model {
        Some(model) => format!("/api/v1/alerts?model={}", segment(model)),
        None => "/api/v1/alerts".to_owned(),
    }
}

/// The address of a class's overview (every model over the last 24 hours), for [`Polled::answer`].
pub fn class_overview_url(class: &str) -> String {
    format!("/api/v1/classes/{}/overview", segment(class))
}

/// `POST /api/v1/alerts/{id}/ack`: acknowledges an alert with a note on what was done.
pub async fn acknowledge(token: &str, id: i64, note: &str) -> Result<Alert, HttpError> {
    let body = AlertAck { note: note.to_owned() };
    send_json("POST", &format!("/api/v1/alerts/{id}/ack"), Some(&body), Some(token)).await
}

/// `GET /api/v1/models/{name}/policy`: how clients route between versions, or `None` when no
/// policy was set.
pub async fn policy(token: &str, name: &str) -> Result<Option<PolicyInfo>, HttpError> {
    let url = format!("/api/v1/models/{}/policy", segment(name));
    match send_json::<(), _>("GET", &url, None, Some(token)).await {
        Ok(info) => Ok(Some(info)),
        Err(HttpError::Refused { status: 404, code, .. }) if code == "not_found" => Ok(None),
        Err(e) => Err(e),
    }
}

/// `PUT /api/v1/models/{name}/policy`.
pub async fn set_policy(token: &str, name: &str, policy: &DeploymentPolicy) -> Result<PolicyInfo, HttpError> {
    send_json("PUT", &format!("/api/v1/models/{}/policy", segment(name)), Some(policy), Some(token)).await
}

/// `GET /api/v1/models/{name}/alert-rules`.
pub async fn alert_rules(token: &str, name: &str) -> Result<Vec<AlertRule>, HttpError> {
    send_json::<(), _>("GET", &format!("/api/v1/models/{}/alert-rules", segment(name)), None, Some(token))
        .await
}

/// `POST /api/v1/models/{name}/alert-rules`.
pub async fn add_alert_rule(token: &str, name: &str, rule: &NewAlertRule) -> Result<AlertRule, HttpError> {
    send_json("POST", &format!("/api/v1/models/{}/alert-rules", segment(name)), Some(rule), Some(token)).await
}

/// `DELETE /api/v1/models/{name}/alert-rules/{id}`.
pub async fn delete_alert_rule(token: &str, name: &str, id: i64) -> Result<(), HttpError> {
    let url = format!("/api/v1/models/{}/alert-rules/{id}", segment(name));
    send("DELETE", &url, None, Some(token)).await.map(|_| ())
}

/// `GET /api/v1/models/{name}/overrides`: the newest 100 overridden predictions.
pub async fn overrides(token: &str, name: &str) -> Result<OverridePage, HttpError> {
    let url = format!("/api/v1/models/{}/overrides?limit=100", segment(name));
    send_json::<(), _>("GET", &url, None, Some(token)).await
}

/// `POST /api/v1/models/{name}/predictions/{id}/override`: a mentor's answer for one prediction.
pub async fn override_prediction(
    token: &str,
    name: &str,
    prediction_id: &str,
    answer: &NewOverride,
) -> Result<PredictionOverride, HttpError> {
    let url = format!("/api/v1/models/{}/predictions/{}/override", segment(name), segment(prediction_id));
    send_json("POST", &url, Some(answer), Some(token)).await
}

/// `GET /api/v1/classes`: the classes a mentor runs (every class, for an admin).
pub async fn classes(token: &str) -> Result<Vec<ClassInfo>, HttpError> {
    send_json::<(), _>("GET", "/api/v1/classes", None, Some(token)).await
}

/// Which version of a registered model to pull.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Which {
    /// This version number.
    Version(u32),
    /// The version this alias names.
    Alias(String),
    /// The newest version in this stage.
    Stage(String),
}

impl Which {
    /// The bundle's address under `/api/v1/models/{name}/`.
    fn path(&self) -> String {
        match self {
            Which::Version(n) => format!("versions/{n}/bundle"),
            Which::Alias(a) => format!("aliases/{}/bundle", segment(a)),
            Which::Stage(s) => format!("stages/{}/bundle", segment(s)),
        }
    }

    /// As a learner reads it: "version 3", "alias champion", "stage production".
    pub fn describe(&self) -> String {
        match self {
            Which::Version(n) => format!("version {n}"),
            Which::Alias(a) => format!("alias {a}"),
            Which::Stage(s) => format!("stage {s}"),
        }
    }
}

/// What a pull brought.
pub enum Pulled {
    /// The bundle held (`have`) is still the one named: nothing was downloaded.
    Unchanged { version: u32, digest: String },
    /// A bundle, with the version it is and its digest (the server's ETag).
    Bundle { version: u32, digest: String, bytes: Vec<u8> },
}

/// `GET …/bundle` with `If-None-Match: "have"` when a bundle is already held, so an unchanged model
/// is never downloaded twice.
pub async fn pull(token: &str, name: &str, which: &Which, have: Option<&str>) -> Result<Pulled, HttpError> {
    let url = format!("/api/v1/models/{}/{}", segment(name), which.path());
    let network = |e: wasm_bindgen::JsValue| HttpError::Network { url: url.clone(), message: js_message(&e) };
    let window = web_sys::window().ok_or_else(|| network("no window".into()))?;
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    // The browser's own cache must not answer for the server: a moved alias must be seen.
    init.set_cache(web_sys::RequestCache::NoStore);
    let headers = web_sys::Headers::new().map_err(network)?;
    headers.set("Authorization", &format!("Bearer {token}")).map_err(network)?;
    if let Some(digest) = have {
        headers.set("If-None-Match", &format!("\"{digest}\"")).map_err(network)?;
    }
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(&url, &init).map_err(network)?;
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_request(&request)).await.map_err(network)?.unchecked_into();
    let header = |name: &str| response.headers().get(name).ok().flatten();
    let decode = |message: &str| HttpError::Decode { url: url.clone(), message: message.to_owned() };
    let version = header("x-tabml-version").and_then(|v| v.parse::<u32>().ok());
    let digest = header("etag").map(|e| e.trim().trim_start_matches("W/").trim_matches('"').to_owned());
    if response.status() == 304 {
        let version = version.ok_or_else(|| decode("a 304 without its version"))?;
        return Ok(Pulled::Unchanged {
            version,
            digest: digest.or(have.map(str::to_owned)).unwrap_or_default(),
        });
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(network)?).await.map_err(network)?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    if !response.ok() {
        return Err(refusal(&url, response.status(), &bytes));
    }
    let version = version.ok_or_else(|| decode("a bundle without its version (x-tabml-version)"))?;
    let digest = digest.ok_or_else(|| decode("a bundle without its digest (ETag)"))?;
    Ok(Pulled::Bundle { version, digest, bytes })
}

/// A path segment, percent-encoded so an odd name reaches the server's own checks.
fn segment(text: &str) -> String {
    String::from(js_sys::encode_uri_component(text))
}

/// What a request carries.
enum Body<'a> {
    Json(String),
    Bytes(&'a [u8]),
}

/// Sends `body` as JSON (if any) with the bearer `token` (if any) and reads the answer as JSON.
async fn send_json<B: Serialize, T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<&B>,
    token: Option<&str>,
) -> Result<T, HttpError> {
    let body = body
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| HttpError::Decode { url: url.to_owned(), message: e.to_string() })?;
    let bytes = send(method, url, body.map(Body::Json), token).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| HttpError::Decode { url: url.to_owned(), message: e.to_string() })
}

/// One request to the server's API; an error status becomes [`HttpError::Refused`] with the
/// server's own code and message.
async fn send(
    method: &str,
    url: &str,
    body: Option<Body<'_>>,
    token: Option<&str>,
) -> Result<Vec<u8>, HttpError> {
    let response = fetch(method, url, body, token, None).await?;
    answer(url, response).await
}

/// One request to the server's API (with `If-None-Match: etag`, when given), its response as it came.
async fn fetch(
    method: &str,
    url: &str,
    body: Option<Body<'_>>,
    token: Option<&str>,
    etag: Option<&str>,
) -> Result<web_sys::Response, HttpError> {
    let network =
        |e: wasm_bindgen::JsValue| HttpError::Network { url: url.to_owned(), message: js_message(&e) };
    let window = web_sys::window().ok_or_else(|| network("no window".into()))?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(network)?;
    if let Some(token) = token {
        headers.set("Authorization", &format!("Bearer {token}")).map_err(network)?;
    }
    if let Some(etag) = etag {
        headers.set("If-None-Match", etag).map_err(network)?;
    }
    match &body {
        Some(Body::Json(text)) => {
            headers.set("Content-Type", "application/json").map_err(network)?;
            init.set_body(&wasm_bindgen::JsValue::from_str(text));
        }
        Some(Body::Bytes(bytes)) => {
            headers.set("Content-Type", "application/octet-stream").map_err(network)?;
            init.set_body(&js_sys::Uint8Array::from(*bytes));
        }
        None => {}
    }
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(network)?;
    Ok(JsFuture::from(window.fetch_with_request(&request)).await.map_err(network)?.unchecked_into())
}

/// A response's body when its status is a success; else the server's refusal, in its words.
async fn answer(url: &str, response: web_sys::Response) -> Result<Vec<u8>, HttpError> {
    let network =
        |e: wasm_bindgen::JsValue| HttpError::Network { url: url.to_owned(), message: js_message(&e) };
    let buffer = JsFuture::from(response.array_buffer().map_err(network)?).await.map_err(network)?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    if response.ok() {
        return Ok(bytes);
    }
    if response.status() == 429 {
        let retry_after_secs =
            response.headers().get("retry-after").ok().flatten().and_then(|v| v.trim().parse().ok());
        let message = serde_json::from_slice::<ApiError>(&bytes)
            .map(|e| e.message)
            .unwrap_or_else(|_| "too many requests".into());
        return Err(HttpError::Busy { url: url.to_owned(), retry_after_secs, message });
    }
    Err(refusal(url, response.status(), &bytes))
}

/// An error answer: the server's code and message when it sent them.
fn refusal(url: &str, status: u16, bytes: &[u8]) -> HttpError {
    match serde_json::from_slice::<ApiError>(bytes) {
        Ok(error) => {
            HttpError::Refused { url: url.to_owned(), status, code: error.code, message: error.message }
        }
        Err(_) => HttpError::Status { url: url.to_owned(), status },
    }
}

async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, HttpError> {
    let bytes = get_bytes(url).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| HttpError::Decode { url: url.to_owned(), message: e.to_string() })
}

async fn get_bytes(url: &str) -> Result<Vec<u8>, HttpError> {
    let network =
        |e: wasm_bindgen::JsValue| HttpError::Network { url: url.to_owned(), message: js_message(&e) };
    let window = web_sys::window().ok_or_else(|| network("no window".into()))?;
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str(url)).await.map_err(network)?.unchecked_into();
    if !response.ok() {
        return Err(HttpError::Status { url: url.to_owned(), status: response.status() });
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(network)?).await.map_err(network)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The message of a JavaScript error value, or its string form.
pub(crate) fn js_message(value: &wasm_bindgen::JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}
