//! The wire types of the server's HTTP API (`/api/v1`), shared by the server, the app and the tests,
//! one module per resource as `server/src/routes/` has them; every type is re-exported here.

mod accounts;
mod events;
mod monitoring;
mod registry;
mod runs;

pub use accounts::*;
pub use events::*;
pub use monitoring::*;
pub use registry::*;
pub use runs::*;

use serde::{Deserialize, Serialize};

/// `GET /api/v1/health`: is the server up, which version, and can it reach its database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `"ok"` when every part works, `"degraded"` otherwise.
    pub status: String,
    /// The server's version (the `tabml` library version it was built with).
    pub version: String,
    /// The state of the database.
    pub database: DatabaseHealth,
}

/// The database part of [`Health`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseHealth {
    /// `"ok"` when a query just succeeded, `"error"` otherwise.
    pub status: String,
    /// The storage engine, such as `"sqlite"`.
    pub engine: String,
    /// The schema version the database has been migrated to.
    pub schema_version: u32,
}

/// The body of every error answer: a stable machine-readable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// A stable identifier such as `"not_found"`; clients match on this, never on the message.
    pub code: String,
    /// What went wrong, in a sentence.
    pub message: String,
}
