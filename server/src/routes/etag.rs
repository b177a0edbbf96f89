//! Conditional GETs for the answers mentors' pages poll: a weak ETag known before the answer is
//! computed, and 304 when the client already has it.
//!
//! The tag hashes what the answer depends on: the server's version, the route and its query, the
//! change counters of the models it reads (`Storage::changes`, bumped in the same transaction as
//! every write that can change it), and, for an answer relative to now (the last 24 hours, a
//! freshness), the current minute: such an answer is reused for at most the rest of its minute.
//! The tag is weak (`W/"…"`) for that reason. Access is checked before the tag, so a 304 tells a
//! caller nothing they may not read.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A weak ETag of these parts (each written with `Debug`, so strings are quoted and cannot run
/// into each other).
pub(super) fn etag(parts: &[&dyn std::fmt::Debug]) -> String {
    let mut hash = Sha256::new();
    hash.update(tabml::VERSION.as_bytes());
    for part in parts {
        hash.update(format!("{part:?}\u{1f}").as_bytes());
    }
    format!("W/\"{}\"", tabml::hex(&hash.finalize()[..16]))
}

/// The current minute since the Unix epoch, for a tag of an answer relative to now.
pub(super) fn minute() -> i64 {
    crate::storage::now_ms().div_euclid(60_000)
}

/// Whether the request's `If-None-Match` names `etag` (weakly compared) or is `*`.
pub(super) fn fresh(headers: &HeaderMap, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let wanted = bare(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == "*" || bare(tag) == wanted)
}

/// 304 with the tag, when the client has the answer; else `None`.
pub(super) fn not_modified(headers: &HeaderMap, etag: &str) -> Option<Response> {
    fresh(headers, etag).then(|| tagged(etag, StatusCode::NOT_MODIFIED.into_response()))
}

/// The answer as JSON, with its tag; clients revalidate before reusing it.
pub(super) fn with_etag<T: Serialize>(etag: &str, body: T) -> Response {
    tagged(etag, Json(body).into_response())
}

fn tagged(etag: &str, mut response: Response) -> Response {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_matches_itself_weak_or_strong_in_a_list_and_nothing_else() {
        let tag = etag(&[&"dashboard", &1i64, &Some(5i64)]);
        assert!(tag.starts_with("W/\"") && tag.len() == 2 + 1 + 32 + 1, "{tag}");
        assert_ne!(tag, etag(&[&"dashboard", &1i64, &Some(6i64)]));
        assert_ne!(etag(&[&"ab", &"c"]), etag(&[&"a", &"bc"]));
        let mut headers = HeaderMap::new();
        assert!(!fresh(&headers, &tag));
        let strong = tag.trim_start_matches("W/").to_owned();
        for sent in [tag.clone(), strong, format!("W/\"other\", {tag}"), "*".into()] {
            headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(&sent).unwrap());
            assert!(fresh(&headers, &tag), "{sent}");
        }
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("W/\"other\""));
        assert!(!fresh(&headers, &tag));
    }
}
