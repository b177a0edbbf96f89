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
        // Listen for the signals before the address is printed: a script that stops the server as
        // soon as it reads the address must get a clean shutdown, not the default exit.
        let shutdown = shutdown_signal().map_err(CliError::Runtime)?;
        // Printed on stdout, in this form, so scripts and tests can find the port when it was 0.
        println!("tabml listening on http://{addr}/");
        tracing::info!(db = %config.db.display(), dist = %config.dist.display(), "serving; press Ctrl-C to stop");
        server.run(shutdown).await?;
        tracing::info!("shut down cleanly");
        Ok(())
    })
}

/// A future that resolves on Ctrl-C (SIGINT), or SIGTERM where there is one. On Unix the handlers
/// are installed when this returns, so a signal that arrives before the future is first polled
/// still counts.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
    })
}

/// A future that resolves on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    })
}
