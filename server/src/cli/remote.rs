//! Talking to a `tabml serve` from the command line: the `--server` and token flags every remote
//! command shares ([`RemoteArgs`]), and [`Remote`], a small client over the registry API.
//!
//! The token comes from `TABML_TOKEN` or `--token-file` (a file holding it, as `POST
//! /api/v1/auth/login` returns it); it is sent as `Authorization: Bearer`. Every failure names the
//! server and what was being done: a server that cannot be reached, or one that refused (its stable
//! `code` and message), or an answer this tabml cannot read.

use super::CliError;
use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;
use tabml::api::ApiError;

/// The flags of every command that talks to a server.
#[derive(Debug, Clone, clap::Args)]
pub struct RemoteArgs {
    /// The server's address, such as http://127.0.0.1:8080.
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// A file holding the token (its first line). Without it, the token is read from TABML_TOKEN.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// The token, from the environment only (never a flag, so it stays out of shell history).
    #[arg(skip = std::env::var("TABML_TOKEN").ok())]
    pub token_env: Option<String>,
}

/// How long one request may take before it counts as failed: a bundle upload or a batch of events
/// on a slow link fits well within it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// A client of one server, with its token.
pub struct Remote {
    base: String,
    token: String,
    client: reqwest::Client,
}

/// A downloaded bundle, or word that the one the client has is current.
pub enum Download {
    /// The bundle's bytes, the version they are and the digest the server gave (its ETag).
    Bytes { bytes: Vec<u8>, version: u32, digest: String },
    /// `304 Not Modified`: the digest the client sent is still what the selector names.
    Unchanged { version: u32 },
}

impl RemoteArgs {
    /// The token: the first line of `--token-file`, else `TABML_TOKEN`.
    fn token(&self) -> Result<String, CliError> {
        let token = match &self.token_file {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|source| CliError::Io { path: path.clone(), source })?
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned(),
            None => self.token_env.clone().unwrap_or_default().trim().to_owned(),
        };
        if token.is_empty() {
            return Err(CliError::NoToken);
        }
        Ok(token)
    }

    /// A client for this server and token.
    pub fn connect(&self) -> Result<Remote, CliError> {
        let remote = anonymous(&self.server)?;
        Ok(Remote { token: self.token()?, ..remote })
    }
}

/// A client of `server` with no token yet (for signing in).
pub fn anonymous(server: &str) -> Result<Remote, CliError> {
    let base = server.trim_end_matches('/').to_owned();
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(CliError::Argument(format!(
            "--server {server:?} is not an address: write it as http://HOST:PORT"
        )));
    }
    let client = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("tabml/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| CliError::Unreachable { server: base.clone(), message: e.to_string() })?;
    Ok(Remote { base, token: String::new(), client })
}

impl Remote {
    /// The server's address, for messages.
    pub fn server(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.client.request(method, format!("{}/api/v1{path}", self.base));
        if self.token.is_empty() {
            return request;
        }
        request.header(AUTHORIZATION, format!("Bearer {}", self.token))
    }

    /// Sends `request`; a transport failure or an answer outside `ok` (and 2xx) is an error naming
    /// `what` was being done.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
        ok: &[StatusCode],
    ) -> Result<reqwest::Response, CliError> {
        let response = request.send().await.map_err(|e| CliError::Unreachable {
            server: self.base.clone(),
            message: format!("{what}: {}", transport_message(&e)),
        })?;
        let status = response.status();
        if status.is_success() || ok.contains(&status) {
            return Ok(response);
        }
        let body = response.bytes().await.unwrap_or_default();
        let (code, message) = match serde_json::from_slice::<ApiError>(&body) {
            Ok(error) => (error.code, error.message),
            Err(_) => ("http_error".to_owned(), String::from_utf8_lossy(&body).chars().take(200).collect()),
        };
        Err(CliError::Refused {
            server: self.base.clone(),
            what: what.to_owned(),
            status: status.as_u16(),
            code,
            message,
        })
    }

    async fn json<T: DeserializeOwned>(
        &self,
        response: reqwest::Response,
        what: &str,
    ) -> Result<T, CliError> {
        let bytes = response.bytes().await.map_err(|e| CliError::Unreachable {
            server: self.base.clone(),
            message: format!("{what}: {}", transport_message(&e)),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| self.unexpected(what, e))
    }

    fn unexpected(&self, what: &str, message: impl std::fmt::Display) -> CliError {
        CliError::Unexpected {
            server: self.base.clone(),
            what: what.to_owned(),
            message: message.to_string(),
        }
    }

    /// `GET path` as JSON; `None` when the server says 404.
    pub async fn get_optional<T: DeserializeOwned>(
        &self,
        path: &str,
        what: &str,
    ) -> Result<Option<T>, CliError> {
        let response = self.send(self.request(Method::GET, path), what, &[StatusCode::NOT_FOUND]).await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        self.json(response, what).await.map(Some)
    }

    /// `GET path` as JSON.
    pub async fn get<T: DeserializeOwned>(&self, path: &str, what: &str) -> Result<T, CliError> {
        let response = self.send(self.request(Method::GET, path), what, &[]).await?;
        self.json(response, what).await
    }

    /// `method path` with a JSON body, answered with JSON.
    pub async fn send_json<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
        what: &str,
    ) -> Result<T, CliError> {
        let response = self.send(self.request(method, path).json(body), what, &[]).await?;
        self.json(response, what).await
    }

    /// `POST path` with raw bytes, answered with JSON.
    pub async fn post_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        bytes: Vec<u8>,
        what: &str,
    ) -> Result<T, CliError> {
        let request =
            self.request(Method::POST, path).header(CONTENT_TYPE, "application/octet-stream").body(bytes);
        let response = self.send(request, what, &[]).await?;
        self.json(response, what).await
    }

    /// Downloads the bundle at `path`. With `have` (the digest of a bundle the client already
    /// holds) the server answers 304 when it is still current. The bytes are checked against the
    /// ETag the server sent, so a truncated or altered download is refused.
    pub async fn download(&self, path: &str, have: Option<&str>, what: &str) -> Result<Download, CliError> {
        let mut request = self.request(Method::GET, path);
        if let Some(digest) = have {
            request = request.header(IF_NONE_MATCH, format!("\"{digest}\""));
        }
        let response = self.send(request, what, &[StatusCode::NOT_MODIFIED]).await?;
        let headers = response.headers().clone();
        let version = header_text(&headers, "x-tabml-version")
            .and_then(|v| v.parse::<u32>().ok())
            .ok_or_else(|| self.unexpected(what, "no x-tabml-version header"))?;
        if response.status() == StatusCode::NOT_MODIFIED {
            return Ok(Download::Unchanged { version });
        }
        let digest = header_text(&headers, ETAG.as_str())
            .map(|v| v.trim_start_matches("W/").trim_matches('"').to_owned())
            .ok_or_else(|| self.unexpected(what, "no ETag header"))?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| CliError::Unreachable {
                server: self.base.clone(),
                message: format!("{what}: {}", transport_message(&e)),
            })?
            .to_vec();
        let got = tabml::ModelBundle::digest_of(&bytes);
        if got != digest {
            return Err(self.unexpected(
                what,
                format!("the bytes received hash to {got}, not to the {digest} the server announced"),
            ));
        }
        Ok(Download::Bytes { bytes, version, digest })
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// reqwest's error and its causes in one line ("error sending request: connection refused").
fn transport_message(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut next = std::error::Error::source(error);
    while let Some(cause) = next {
        let line = cause.to_string();
        if !text.contains(&line) {
            text = format!("{text}: {line}");
        }
        next = cause.source();
    }
    text
}

/// A path segment as the API expects it: a model name, an alias or a stage, percent-encoded so an
/// odd name reaches the server's own checks instead of changing the path.
pub fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(super::segment("iris-v1.2_x~"), "iris-v1.2_x~");
        assert_eq!(super::segment("a/b c<"), "a%2Fb%20c%3C");
        assert_eq!(super::segment("é"), "%C3%A9");
    }
}
