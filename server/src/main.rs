//! `tabml`: the command line. `tabml serve` runs the server; later subcommands run batch jobs on the
//! same core the browser app uses.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use tabml_server::{Server, ServerConfig};

#[derive(Parser)]
#[command(name = "tabml", version, about = "Small tabular models, from problem to monitoring")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: the model registry API and the browser app.
    Serve(ServeArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "TABML_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The SQLite database file (created if absent).
    #[arg(long, env = "TABML_DB", default_value = "tabml.db")]
    db: PathBuf,
    /// The folder with the built app (the output of `trunk build`).
    #[arg(long, env = "TABML_DIST", default_value = "dist")]
    dist: PathBuf,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Serve(args) => serve(ServerConfig { addr: args.addr, db: args.db, dist: args.dist }),
    }
}

fn serve(config: ServerConfig) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let server = Server::bind(&config).await?;
        let addr = server.local_addr()?;
        // Printed on stdout, in this form, so scripts and tests can find the port when it was 0.
        println!("tabml listening on http://{addr}/");
        tracing::info!(db = %config.db.display(), dist = %config.dist.display(), "serving; press Ctrl-C to stop");
        server.run(shutdown_signal()).await?;
        tracing::info!("shut down cleanly");
        Ok(ExitCode::SUCCESS)
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
