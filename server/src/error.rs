//! The server's errors, and how each becomes a JSON answer with a stable code.
//!
//! The codes (the `code` field of every error body) are part of the API: clients match on them,
//! never on the message. `openapi.json` lists them.
//!
//! A 401 carries `WWW-Authenticate: Bearer`, a 429 `Retry-After`. The detail of a 5xx goes to the
//! log, not to the client.

use crate::storage::StorageError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::net::SocketAddr;
use tabml::api::ApiError;
use thiserror::Error;

/// Everything that can go wrong in the server, at start-up or while answering a request.
#[derive(Debug, Error)]
pub enum ServerError {
    /// The database could not be opened, migrated or queried; or it refused the request.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    /// Serving failed.
    #[error("server I/O error: {0}")]
    Io(std::io::Error),
    /// No API route matches the path.
    #[error("no API endpoint at {0}")]
    NotFound(String),
    /// The request needs a valid bearer token and had none.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller's role or ownership does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// A value in the request is not acceptable; says which and why.
    #[error("{0}")]
    InvalidInput(String),
    /// The uploaded body is not a tabml model bundle.
    #[error("the body is not a tabml model bundle: {0}")]
    InvalidBundle(String),
    /// The body is larger than the server accepts.
    #[error("{0}")]
    TooLarge(String),
    /// The request body is not JSON, or not the JSON this endpoint takes.
    #[error("{message}")]
    BadJson { status: StatusCode, code: &'static str, message: String },
    /// Too many requests from this token or address; try again after `retry_after` seconds.
    #[error("too many requests from this {who}; try again in {retry_after} s")]
    RateLimited { who: &'static str, retry_after: u64 },
    /// The server is doing as much of this work as it takes at once; try again after `retry_after`
    /// seconds.
    #[error("the server is busy {what}; try again in {retry_after} s")]
    Busy { what: &'static str, retry_after: u64 },
    /// Password hashing or another internal step failed.
    #[error("{0}")]
    Internal(String),
}

impl ServerError {
    /// The HTTP status and the stable code clients match on.
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ServerError::NotFound(_) | ServerError::Storage(StorageError::NotFound(_)) => {
                (StatusCode::NOT_FOUND, "not_found")
            }
            ServerError::Storage(StorageError::UnknownPrediction(_)) => {
                (StatusCode::NOT_FOUND, "prediction_not_found")
            }
            ServerError::Storage(StorageError::Conflict(_)) => (StatusCode::CONFLICT, "conflict"),
            ServerError::Storage(StorageError::JoinCodeClosed(_)) => (StatusCode::GONE, "join_code_closed"),
            ServerError::Storage(StorageError::Forbidden(_)) => (StatusCode::FORBIDDEN, "forbidden"),
            ServerError::Storage(StorageError::QuotaExceeded { .. }) => {
                (StatusCode::TOO_MANY_REQUESTS, "quota_exceeded")
            }
            ServerError::Storage(_) => (StatusCode::INTERNAL_SERVER_ERROR, "storage_error"),
            ServerError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ServerError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ServerError::InvalidInput(_) => (StatusCode::BAD_REQUEST, "invalid_input"),
            ServerError::InvalidBundle(_) => (StatusCode::BAD_REQUEST, "invalid_bundle"),
            ServerError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ServerError::BadJson { status, code, .. } => (*status, code),
            ServerError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ServerError::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            ServerError::Bind { .. } | ServerError::Io(_) | ServerError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

/// An error body with this status, code and message.
pub(crate) fn error_response(status: StatusCode, code: &str, message: String) -> Response {
    (status, Json(ApiError { code: code.to_owned(), message })).into_response()
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        // A 5xx says little to the client; the detail goes to the log. Busy is the exception: it
        // says what to do.
        let message = if status.is_server_error() && !matches!(self, ServerError::Busy { .. }) {
            tracing::error!(error = %self, "request failed");
            "the server could not complete the request; the details are in its log".to_owned()
        } else {
            self.to_string()
        };
        let mut response = error_response(status, code, message);
        match self {
            ServerError::Unauthorized(_) => {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ServerError::RateLimited { retry_after, .. }
            | ServerError::Busy { retry_after, .. }
            | ServerError::Storage(StorageError::QuotaExceeded { retry_after, .. }) => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            _ => {}
        }
        response
    }
}
