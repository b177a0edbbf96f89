//! The server's settings. `tabml serve` fills them from flags or `TABML_*` environment variables;
//! `tabml serve --help` documents each.

use crate::storage::Durability;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything `tabml serve` can be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The socket address to listen on.
    pub addr: SocketAddr,
    /// The SQLite database file; created if absent.
    pub db: PathBuf,
    /// The folder holding the built app (`trunk build` output).
    pub dist: PathBuf,
    /// Whether a commit is synced to disk before it is acknowledged.
    pub durability: Durability,
    /// The largest request body accepted (bytes); larger gets 413. Also caps a model bundle.
    pub max_body_bytes: usize,
    /// A request that takes longer is answered 408.
    pub request_timeout: Duration,
    /// API requests allowed per minute from one peer address (0: no limit).
    pub rate_per_peer: u32,
    /// API requests allowed per minute with one token (0: no limit).
    pub rate_per_token: u32,
    /// Requests to `/api/v1/auth/*` (sign-in, sign-up) allowed per minute from one peer address
    /// (0: no limit); each can cost an argon2 run.
    pub auth_rate_per_peer: u32,
    /// Origins (such as `https://class.example.org`) whose pages may call the API; none by default.
    pub cors_origins: Vec<String>,
    /// Whether dashboard summaries can be read without signing in.
    pub public_dashboards: bool,
    /// How long a sign-in token works.
    pub token_lifetime: Duration,
    /// How often the write-ahead log is checkpointed into the database file.
    pub checkpoint_every: Duration,
    /// A connection that takes longer to send a request's headers, or sits idle longer between
    /// requests, is closed (so trickling clients cannot hold connections open).
    pub header_timeout: Duration,
    /// Connections served at once; more are closed as soon as they are accepted.
    pub max_connections: usize,
    /// Bytes of monitoring events one user may store per UTC day (0: no quota).
    pub event_bytes_per_day: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            db: PathBuf::from("tabml.db"),
            dist: PathBuf::from("dist"),
            durability: Durability::Full,
            max_body_bytes: 32 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            rate_per_peer: 6000,
            rate_per_token: 1200,
            auth_rate_per_peer: 30,
            cors_origins: Vec::new(),
            public_dashboards: false,
            token_lifetime: Duration::from_secs(30 * 24 * 3600),
            checkpoint_every: Duration::from_secs(60),
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
            event_bytes_per_day: 256 * 1024 * 1024,
        }
    }
}
