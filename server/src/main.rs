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
use std::path::PathBuf;
use std::process::ExitCode;
use tabml::api::Role;
use tabml_server::cli::{self, BenchArgs, DriftArgs, EvaluateArgs, ScoreArgs, TrainArgs};
use tabml_server::storage::NewUser;
use tabml_server::{Durability, ServerConfig, Storage};

#[derive(Parser)]
#[command(name = "tabml", version, about = "Small tabular models, from problem to monitoring")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: the model registry API and the browser app.
    Serve(ServerConfig),
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
    match cli.command {
        Command::Serve(config) => cli::serve(config)?,
        _ => unreachable!("batch commands returned above"),
    }
    Ok(ExitCode::SUCCESS)
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
