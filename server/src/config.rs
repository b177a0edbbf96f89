//! The server's settings. `tabml serve` fills them from flags or `TABML_*` environment variables;
//! `tabml serve --help` documents each. [`ServerConfig::default`] is the same as no flag at all.

use crate::storage::Durability;
use clap::builder::TypedValueParser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything `tabml serve` can be told. clap reads it straight from the flags (each also from a
/// `TABML_*` variable), so the field docs are `tabml serve --help`; the seconds and days given on
/// the command line become durations of at least one second.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct ServerConfig {
    /// The address to listen on. Listen on 0.0.0.0 only behind TLS (a reverse proxy): tokens travel
    /// in headers.
    #[arg(long, env = "TABML_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// The SQLite database file (created if absent; WAL mode, so keep its -wal and -shm files beside it).
    #[arg(long, env = "TABML_DB", default_value = "tabml.db")]
    pub db: PathBuf,
    /// The folder with the built app (the output of `trunk build`).
    #[arg(long, env = "TABML_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// full: every acknowledged write is on disk and survives a power loss. normal: it survives a
    /// crash of tabml, but the last writes before a power loss may be lost (faster on slow disks).
    #[arg(long, env = "TABML_DURABILITY", value_parser = durability(), default_value = "full")]
    pub durability: Durability,
    /// The largest request body accepted, in bytes (a model bundle included); larger gets 413.
    #[arg(long, env = "TABML_MAX_BODY_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Seconds a request may take before it is answered 408.
    #[arg(
        long = "request-timeout-secs",
        value_name = "REQUEST_TIMEOUT_SECS",
        env = "TABML_REQUEST_TIMEOUT",
        default_value = "30",
        value_parser = seconds()
    )]
    pub request_timeout: Duration,
    /// API requests per minute allowed from one address (a burst of this many, then an even rate);
    /// beyond it, 429 with Retry-After. 0: no limit. A class behind one NAT shares an address.
    #[arg(long, env = "TABML_RATE_PER_PEER", default_value_t = 6000)]
    pub rate_per_peer: u32,
    /// API requests per minute allowed with one bearer token; 0: no limit.
    #[arg(long, env = "TABML_RATE_PER_TOKEN", default_value_t = 1200)]
    pub rate_per_token: u32,
    /// Sign-in and sign-up requests (/api/v1/auth/*) per minute allowed from one address, on top of
    /// --rate-per-peer: each costs a deliberately slow password hash. 0: no limit.
    #[arg(long, env = "TABML_AUTH_RATE_PER_PEER", default_value_t = 30)]
    pub auth_rate_per_peer: u32,
    /// An origin (scheme://host[:port]) whose pages may call the API from a browser (may repeat, or
    /// comma separated). None by default: only the app this server serves calls it.
    #[arg(long = "cors-origin", env = "TABML_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Let anyone read dashboard summaries without signing in.
    #[arg(long, env = "TABML_PUBLIC_DASHBOARDS")]
    pub public_dashboards: bool,
    /// Days a sign-in token keeps working.
    #[arg(
        long = "token-days",
        value_name = "TOKEN_DAYS",
        env = "TABML_TOKEN_DAYS",
        default_value = "30",
        value_parser = clap::value_parser!(u64).map(|days| Duration::from_secs(days.max(1) * 24 * 3600))
    )]
    pub token_lifetime: Duration,
    /// Seconds between checkpoints of the write-ahead log into the database file.
    #[arg(
        long = "checkpoint-secs",
        value_name = "CHECKPOINT_SECS",
        env = "TABML_CHECKPOINT_SECS",
        default_value = "60",
        value_parser = seconds()
    )]
    pub checkpoint_every: Duration,
    /// Seconds a client has to send a request's headers, and to start its next request on a kept-alive
    /// connection; a slower connection is closed.
    #[arg(
        long = "header-timeout-secs",
        value_name = "HEADER_TIMEOUT_SECS",
        env = "TABML_HEADER_TIMEOUT",
        default_value = "10",
        value_parser = seconds()
    )]
    pub header_timeout: Duration,
    /// Connections served at once; past it a new connection is closed at once (keep it under the
    /// process's open-file limit, `ulimit -n`).
    #[arg(
        long,
        env = "TABML_MAX_CONNECTIONS",
        default_value_t = 1024,
        value_parser = |text: &str| text.parse::<usize>().map(|n| n.max(1))
    )]
    pub max_connections: usize,
    /// Bytes of monitoring events one user may store per UTC day (a batch past it gets 429 with
    /// Retry-After until midnight UTC); 0: no quota.
    #[arg(long, env = "TABML_EVENT_BYTES_PER_DAY", default_value_t = 256 * 1024 * 1024)]
    pub event_bytes_per_day: u64,
}

/// A whole number of seconds, at least one.
fn seconds() -> impl TypedValueParser<Value = Duration> {
    clap::value_parser!(u64).map(|secs| Duration::from_secs(secs.max(1)))
}

/// `full` or `normal`.
fn durability() -> impl TypedValueParser<Value = Durability> {
    clap::builder::PossibleValuesParser::new(["full", "normal"]).map(|name| {
        if name == "normal" {
            Durability::Normal
        } else {
            Durability::Full
        }
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        config: ServerConfig,
    }

    #[test]
    fn no_flag_gives_the_default_and_seconds_become_durations() {
        // A TABML_* variable in the environment would change what no flag gives.
        if std::env::vars().any(|(name, _)| name.starts_with("TABML_")) {
            return;
        }
        assert_eq!(Serve::parse_from(["tabml"]).config, ServerConfig::default());
        let config = Serve::parse_from([
            "tabml",
            "--request-timeout-secs=0",
            "--token-days=2",
            "--checkpoint-secs=5",
            "--header-timeout-secs=7",
            "--max-connections=0",
            "--durability=normal",
        ])
        .config;
        assert_eq!(config.request_timeout, Duration::from_secs(1));
        assert_eq!(config.token_lifetime, Duration::from_secs(2 * 24 * 3600));
        assert_eq!(config.checkpoint_every, Duration::from_secs(5));
        assert_eq!(config.header_timeout, Duration::from_secs(7));
        assert_eq!(config.max_connections, 1);
        assert_eq!(config.durability, Durability::Normal);
    }
}
