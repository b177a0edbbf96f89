//! The one module that speaks HTTP: the server's API and the static sample data it serves.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use tabml::api::Health;
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
