//! `tabml`: the command line. `tabml serve` runs the server; `train`, `evaluate`, `score`, `drift` and
//! `bench` run batch jobs on the same core the browser app uses.
//!
//! `run` returns `anyhow::Result<ExitCode>`, printed with each cause once; this is the only file
//! that uses `anyhow`. `serve` prints `tabml listening on http://ADDR/` on standard output, so
//! scripts and tests find a port picked with `:0`. `admin create-user` reads the password from
//! standard input and applies the sign-up rules.

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use tabml_server::cli::{self, BenchArgs, CreateUserArgs, DriftArgs, EvaluateArgs, ScoreArgs, TrainArgs};
use tabml_server::ServerConfig;

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
    CreateUser(CreateUserArgs),
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
        Command::Admin(AdminCommand::CreateUser(args)) => Some(cli::create_user(args)?),
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
