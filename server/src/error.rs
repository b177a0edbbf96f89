//! The server's errors, and how each becomes a JSON answer with a stable code.

use crate::storage::StorageError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::net::SocketAddr;
use tabml::api::ApiError;
use thiserror::Error;

/// Everything that can go wrong in the server, at start-up or while answering a request.
#[derive(Debug, Error)]
pub enum ServerError {
    /// The database could not be opened, migrated or queried.
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
}

impl ServerError {
    /// The HTTP status and the stable code clients match on.
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ServerError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ServerError::Storage(_) => (StatusCode::INTERNAL_SERVER_ERROR, "storage_error"),
            ServerError::Bind { .. } | ServerError::Io(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        // A 5xx says little to the client; the detail goes to the log.
        let message = if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            "the server could not complete the request; the details are in its log".to_owned()
        } else {
            self.to_string()
        };
        (status, Json(ApiError { code: code.to_owned(), message })).into_response()
    }
}
