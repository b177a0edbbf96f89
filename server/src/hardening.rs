//! What protects the server from misuse: rate limits per token and per peer address, security
//! headers with a content security policy that lets the app run WebAssembly, and error answers that
//! are JSON with a stable code even when a layer below the handlers (body limit, timeout, method
//! routing) produced them.
//!
//! The rate limiter keeps token buckets per peer address, per token, and per address on
//! `/api/v1/auth/*` with its own far smaller budget; past one, 429 with `Retry-After`. The content
//! security policy allows `script-src 'self' 'wasm-unsafe-eval'` plus the hash of the app's inline
//! start-up script, re-read when `index.html` changes.

use crate::error::{error_response, ServerError};
use crate::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

/// Token buckets: each key may make `per_minute` requests in a burst, refilled evenly over a minute.
pub struct RateLimiter {
    per_peer: u32,
    per_token: u32,
    buckets: Mutex<HashMap<Key, Bucket>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Peer(IpAddr),
    Token([u8; 16]),
    /// `/api/v1/auth/*` from one address: its own, far smaller budget, since each sign-in costs an
    /// argon2 run.
    AuthPeer(IpAddr),
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Buckets kept before full ones are forgotten.
const MAX_BUCKETS: usize = 50_000;

impl RateLimiter {
    /// Limits per minute for a peer address and for a token; 0 switches one off.
    pub fn new(per_peer: u32, per_token: u32) -> Self {
        Self { per_peer, per_token, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request from `key`'s bucket, or says in how many seconds one will be there.
    fn take(&self, key: Key, per_minute: u32) -> Result<(), u64> {
        if per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(per_minute);
        let per_second = capacity / 60.0;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_BUCKETS {
            buckets
                .retain(|_, b| b.tokens + now.duration_since(b.last).as_secs_f64() * per_second < capacity);
        }
        let bucket = buckets.entry(key).or_insert(Bucket { tokens: capacity, last: now });
        bucket.tokens =
            (bucket.tokens + now.duration_since(bucket.last).as_secs_f64() * per_second).min(capacity);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

/// Middleware: refuses with 429 and `Retry-After` once a peer address or a token is over its limit,
/// or an address over its sign-in limit (`auth_rate_per_peer`) on `/api/v1/auth/*`.
pub(crate) async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limiter = &state.limiter;
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        if let Err(retry_after) = limiter.take(Key::Peer(peer.ip()), limiter.per_peer) {
            tracing::warn!(peer = %peer.ip(), "rate limited (peer address)");
            return ServerError::RateLimited { who: "address", retry_after }.into_response();
        }
        if request.uri().path().starts_with("/api/v1/auth/") {
            let per_minute = state.config.auth_rate_per_peer;
            if let Err(retry_after) = limiter.take(Key::AuthPeer(peer.ip()), per_minute) {
                tracing::warn!(peer = %peer.ip(), "rate limited (sign-ins from one address)");
                return ServerError::RateLimited { who: "address's sign-ins", retry_after }.into_response();
            }
        }
    }
    let token = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(|v| {
        let digest = Sha256::digest(v.as_bytes());
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        key
    });
    if let Some(key) = token {
        if let Err(retry_after) = limiter.take(Key::Token(key), limiter.per_token) {
            tracing::warn!("rate limited (token)");
            return ServerError::RateLimited { who: "token", retry_after }.into_response();
        }
    }
    next.run(request).await
}

/// Middleware for `/api`: an error answer that is not JSON (from the body limit, the timeout, method
/// routing or a path that does not decode) becomes `{code, message}` like every other.
pub(crate) async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().chars().take(300).collect::<String>();
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_input",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            "this endpoint does not take that method (see /api/v1/openapi.json)".into()
        }
        StatusCode::REQUEST_TIMEOUT => "the request took too long and was stopped".into(),
        StatusCode::PAYLOAD_TOO_LARGE => {
            "the body is larger than the server accepts (see `tabml serve --max-body-bytes`)".into()
        }
        _ if text.is_empty() => status.canonical_reason().unwrap_or("error").to_owned(),
        _ => text,
    };
    let mut answer = error_response(status, code, message);
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = parts.headers.get(&name) {
            answer.headers_mut().insert(name, value.clone());
        }
    }
    answer
}

/// The content security policy: only this origin's scripts, plus the app's inline start-up script by
/// its hash, and WebAssembly compilation (`'wasm-unsafe-eval'`), which the app and its worker need.
/// The hashes are read from the built `index.html` and read again when it changes.
pub struct ContentSecurityPolicy {
    index: PathBuf,
    cached: Mutex<(Option<SystemTime>, HeaderValue)>,
}

impl ContentSecurityPolicy {
    /// The policy for the app built into `dist`.
    pub fn new(dist: &std::path::Path) -> Self {
        let index = dist.join("index.html");
        Self { cached: Mutex::new((None, policy(&[]))), index }
    }

    fn header(&self) -> HeaderValue {
        let modified = std::fs::metadata(&self.index).and_then(|m| m.modified()).ok();
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if cached.0 != modified {
            let html = std::fs::read_to_string(&self.index).unwrap_or_default();
            *cached = (modified, policy(&inline_script_hashes(&html)));
        }
        cached.1.clone()
    }
}

fn policy(script_hashes: &[String]) -> HeaderValue {
    let hashes: String = script_hashes.iter().map(|h| format!(" '{h}'")).collect();
    let text = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; connect-src 'self' blob:; worker-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}

/// `sha256-…` of every inline `<script>` in a page.
fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else { break };
        let tag = &after[..open_end];
        let body = &after[open_end + 1..];
        let Some(close) = body.find("</script>") else { break };
        if !tag.contains(" src=") {
            let digest = Sha256::digest(&body.as_bytes()[..close]);
            hashes.push(format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest)));
        }
        rest = &body[close..];
    }
    hashes
}

/// Middleware: security headers on every answer.
pub(crate) async fn security_headers(
    State(state): State<AppState>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, state.csp.header());
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_refuses_past_its_limit_and_says_when_to_retry() {
        let limiter = RateLimiter::new(3, 0);
        let key = Key::Peer(IpAddr::from([127, 0, 0, 1]));
        for _ in 0..3 {
            assert_eq!(limiter.take(key.clone(), 3), Ok(()));
        }
        // One request comes back every 20 seconds at 3 a minute.
        assert_eq!(limiter.take(key.clone(), 3), Err(20));
        assert_eq!(limiter.take(key, 0), Ok(()));
        // Sign-ins from the same address have a bucket of their own.
        let auth = Key::AuthPeer(IpAddr::from([127, 0, 0, 1]));
        assert_eq!(limiter.take(auth.clone(), 1), Ok(()));
        assert_eq!(limiter.take(auth, 1), Err(60));
    }

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = "<script type=\"module\">alert(1)</script><script src=\"/a.js\"></script>";
        let hashes = inline_script_hashes(html);
        // printf 'alert(1)' | openssl dgst -sha256 -binary | base64
        assert_eq!(hashes, ["sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI="]);
    }
}
