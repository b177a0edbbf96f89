//! `tabml serve`: runs the server until Ctrl-C or SIGTERM, then lets requests in flight finish.
//!
//! Its flags are [`ServerConfig`]'s fields (`config.rs`), each also read from a `TABML_*` variable.
//! It prints `tabml listening on http://ADDR/` on standard output, so scripts and tests find a port
//! picked with `:0`; the log goes to standard error (`RUST_LOG` filters it).

use super::CliError;
use crate::{Server, ServerConfig};

/// `tabml serve`: binds, prints the address, and serves until a shutdown signal.
pub fn serve(config: ServerConfig) -> Result<(), CliError> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().map_err(CliError::Runtime)?;
    runtime.block_on(async {
        let server = Server::bind(&config).await?;
        let addr = server.local_addr()?;
        // Printed on stdout, in this form, so scripts and tests can find the port when it was 0.
        println!("tabml listening on http://{addr}/");
        tracing::info!(db = %config.db.display(), dist = %config.dist.display(), "serving; press Ctrl-C to stop");
        server.run(shutdown_signal()).await?;
        tracing::info!("shut down cleanly");
        Ok(())
    })
}

/// Resolves on Ctrl-C, or on SIGTERM where there is one.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
