//! Where the server listens, where its database lives, and where the built app is.

use std::net::SocketAddr;
use std::path::PathBuf;

/// The server's settings; the command line fills them from flags or `TABML_*` environment variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The socket address to listen on.
    pub addr: SocketAddr,
    /// The SQLite database file; created if absent.
    pub db: PathBuf,
    /// The folder holding the built app (`trunk build` output).
    pub dist: PathBuf,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            db: PathBuf::from("tabml.db"),
            dist: PathBuf::from("dist"),
        }
    }
}
