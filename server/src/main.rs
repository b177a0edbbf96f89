//! `tabml`: the command line. `tabml serve` runs the server; `train`, `evaluate`, `score`, `drift` and
//! `bench` run batch jobs on the same core the browser app uses.
//!
//! `run` returns `anyhow::Result<ExitCode>`, printed with each cause once; this is the only file
//! that uses `anyhow`. `serve` prints `tabml listening on http://ADDR/` on standard output, so
//! scripts and tests find a port picked with `:0`. `admin create-user` reads the password from
//! standard input and applies the sign-up rules.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tabml::api::Role;
use tabml_server::cli::{self, BenchArgs, DriftArgs, EvaluateArgs, ScoreArgs, TrainArgs};
use tabml_server::storage::NewUser;
use tabml_server::{Durability, Server, ServerConfig, Storage};

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
    /// Train a model on a CSV file and write its bundle.
    Train(TrainArgs),
    /// Measure a model bundle on a labelled CSV file.
    Evaluate(EvaluateArgs),
    /// Write predictions of a model bundle for every row of a CSV file.
    Score(ScoreArgs),
    /// Check a CSV file for drift against a reference CSV file or a model's training data.
    ///
    /// Each column gets the test Evidently's DataDriftPreset would choose (Kolmogorov-Smirnov,
    /// chi-square or z-test up to 1,000 reference rows; normed Wasserstein or Jensen-Shannon above),
    /// and the data set drifts when at least half its columns do. Exit status: 0 whatever the
    /// verdict; with --fail-on-drift, 3 when the data set drifted. 1 means an error.
    Drift(DriftArgs),
    /// Time tabml on the benchmark files (see scripts/bench.sh) and print JSON.
    Bench(BenchArgs),
    /// Look after the server's accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
}

/// Every setting of `tabml serve`; each also reads a `TABML_*` environment variable.
#[derive(clap::Args)]
struct ServeArgs {
    /// The address to listen on. Listen on 0.0.0.0 only behind TLS (a reverse proxy): tokens travel
    /// in headers.
    #[arg(long, env = "TABML_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The SQLite database file (created if absent; WAL mode, so keep its -wal and -shm files beside it).
    #[arg(long, env = "TABML_DB", default_value = "tabml.db")]
    db: PathBuf,
    /// The folder with the built app (the output of `trunk build`).
    #[arg(long, env = "TABML_DIST", default_value = "dist")]
    dist: PathBuf,
    /// full: every acknowledged write is on disk and survives a power loss. normal: it survives a
    /// crash of tabml, but the last writes before a power loss may be lost (faster on slow disks).
    #[arg(long, env = "TABML_DURABILITY", value_enum, default_value_t = DurabilityArg::Full)]
    durability: DurabilityArg,
    /// The largest request body accepted, in bytes (a model bundle included); larger gets 413.
    #[arg(long, env = "TABML_MAX_BODY_BYTES", default_value_t = 32 * 1024 * 1024)]
    max_body_bytes: usize,
    /// Seconds a request may take before it is answered 408.
    #[arg(long, env = "TABML_REQUEST_TIMEOUT", default_value_t = 30)]
    request_timeout_secs: u64,
    /// API requests per minute allowed from one address (a burst of this many, then an even rate);
    /// beyond it, 429 with Retry-After. 0: no limit. A class behind one NAT shares an address.
    #[arg(long, env = "TABML_RATE_PER_PEER", default_value_t = 6000)]
    rate_per_peer: u32,
    /// API requests per minute allowed with one bearer token; 0: no limit.
    #[arg(long, env = "TABML_RATE_PER_TOKEN", default_value_t = 1200)]
    rate_per_token: u32,
    /// Sign-in and sign-up requests (/api/v1/auth/*) per minute allowed from one address, on top of
    /// --rate-per-peer: each costs a deliberately slow password hash. 0: no limit.
    #[arg(long, env = "TABML_AUTH_RATE_PER_PEER", default_value_t = 30)]
    auth_rate_per_peer: u32,
    /// An origin (scheme://host[:port]) whose pages may call the API from a browser (may repeat, or
    /// comma separated). None by default: only the app this server serves calls it.
    #[arg(long = "cors-origin", env = "TABML_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    /// Let anyone read dashboard summaries without signing in.
    #[arg(long, env = "TABML_PUBLIC_DASHBOARDS")]
    public_dashboards: bool,
    /// Days a sign-in token keeps working.
    #[arg(long, env = "TABML_TOKEN_DAYS", default_value_t = 30)]
    token_days: u64,
    /// Seconds between checkpoints of the write-ahead log into the database file.
    #[arg(long, env = "TABML_CHECKPOINT_SECS", default_value_t = 60)]
    checkpoint_secs: u64,
    /// Seconds a client has to send a request's headers, and to start its next request on a kept-alive
    /// connection; a slower connection is closed.
    #[arg(long, env = "TABML_HEADER_TIMEOUT", default_value_t = 10)]
    header_timeout_secs: u64,
    /// Connections served at once; past it a new connection is closed at once (keep it under the
    /// process's open-file limit, `ulimit -n`).
    #[arg(long, env = "TABML_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// Bytes of monitoring events one user may store per UTC day (a batch past it gets 429 with
    /// Retry-After until midnight UTC); 0: no quota.
    #[arg(long, env = "TABML_EVENT_BYTES_PER_DAY", default_value_t = 256 * 1024 * 1024)]
    event_bytes_per_day: u64,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DurabilityArg {
    Full,
    Normal,
}

impl ServeArgs {
    fn config(self) -> ServerConfig {
        ServerConfig {
            addr: self.addr,
            db: self.db,
            dist: self.dist,
            durability: match self.durability {
                DurabilityArg::Full => Durability::Full,
                DurabilityArg::Normal => Durability::Normal,
            },
            max_body_bytes: self.max_body_bytes,
            request_timeout: Duration::from_secs(self.request_timeout_secs.max(1)),
            rate_per_peer: self.rate_per_peer,
            rate_per_token: self.rate_per_token,
            auth_rate_per_peer: self.auth_rate_per_peer,
            cors_origins: self.cors_origins,
            public_dashboards: self.public_dashboards,
            token_lifetime: Duration::from_secs(self.token_days.max(1) * 24 * 3600),
            checkpoint_every: Duration::from_secs(self.checkpoint_secs.max(1)),
            header_timeout: Duration::from_secs(self.header_timeout_secs.max(1)),
            max_connections: self.max_connections.max(1),
            event_bytes_per_day: self.event_bytes_per_day,
        }
    }
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Make a user (the first admin, say). Asks for the password without echo on a terminal; else
    /// reads one line of standard input.
    CreateUser(CreateUserCli),
}

#[derive(clap::Args)]
struct CreateUserCli {
    /// The server's database file.
    #[arg(long, env = "TABML_DB", default_value = "tabml.db")]
    db: PathBuf,
    /// The user's name.
    #[arg(long)]
    name: String,
    /// learner, mentor or admin.
    #[arg(long)]
    role: String,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", report(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each once: many of our messages already end with their cause (so
/// that the log, which shows only the outer message, has it), and anyhow's `{:#}` would print it
/// again (`line 3: X: X`).
fn report(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    text
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let output = match &cli.command {
        Command::Serve(_) => None,
        Command::Admin(AdminCommand::CreateUser(a)) => {
            println!("{}", create_user(a)?);
            return Ok(ExitCode::SUCCESS);
        }
        Command::Train(args) => Some(cli::train(args)?),
        Command::Evaluate(args) => Some(cli::evaluate(args)?),
        Command::Score(args) => Some(cli::score(args)?),
        Command::Bench(args) => Some(cli::bench(args)?),
        Command::Drift(args) => Some(cli::drift(args)?),
    };
    if let Some(output) = output {
        print!("{}", output.text);
        if !output.text.ends_with('\n') {
            println!();
        }
        return Ok(output.status);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Serve(args) => serve(args.config()),
        _ => unreachable!("batch commands returned above"),
    }
}

fn create_user(args: &CreateUserCli) -> anyhow::Result<String> {
    let role = Role::parse(&args.role)
        .with_context(|| format!("--role {:?}: expected learner, mentor or admin", args.role))?;
    // The same rules as sign-up: a name with a newline would forge log lines.
    tabml_server::auth::check_user_name(&args.name)?;
    let password = read_password(&args.name)?;
    tabml_server::auth::check_new_password(&args.name, &password)?;
    let hash = tabml_server::auth::hash_password(&password)?;
    let storage = Storage::open(&args.db, Durability::Full)?;
    let user = storage.create_user(&NewUser { name: &args.name, role, password_hash: &hash })?;
    Ok(format!("created {} {:?} in {}", user.role.as_str(), user.name, args.db.display()))
}

/// The new user's password: typed without echo (twice, since a typo cannot be seen) when standard
/// input is a terminal, else one line of it, so scripts can pipe it in.
fn read_password(name: &str) -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        let mut password = String::new();
        std::io::stdin().read_line(&mut password).context("reading the password from standard input")?;
        return Ok(password.trim_end_matches(['\n', '\r']).to_owned());
    }
    let ask = |prompt: &str| -> anyhow::Result<String> {
        // On stderr, so that stdout keeps only the result line.
        eprint!("{prompt}");
        std::io::stderr().flush()?;
        rpassword::read_password().context("reading the password from the terminal")
    };
    let password = ask(&format!("password for {name}: "))?;
    if ask("again: ")? != password {
        anyhow::bail!("the two passwords differ; nothing was created");
    }
    Ok(password)
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
