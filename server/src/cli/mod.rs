//! The `tabml` command line: [`Cli`] and its commands, one module each with its clap arguments
//! beside its code. `serve` runs the server (its flags are [`ServerConfig`]'s fields), `admin
//! create-user` makes an account, and the batch commands `train`, `evaluate`, `score`, `drift` and
//! `bench` read files, call the core, and write bundles, predictions and reports; the core does the
//! rest. This module holds what they share: the error, the output, file reading and tables.

mod admin;
mod bench;
mod bench_read;
mod drift;
mod evaluate;
mod load;
mod login;
mod progress;
mod registry;
mod remote;
mod report;
mod score;
mod serve;
mod train;

pub use admin::{create_user, CreateUserArgs};
pub use bench::{bench, BenchArgs};
pub use drift::{drift, drift_json, drift_options, DriftArgs};
pub use evaluate::{evaluate, EvaluateArgs};
pub use load::{load_table, load_table_on_one_thread};
pub use login::{login, LoginArgs};
pub use registry::{pull, push, PullArgs, PushArgs, VersionArgs};
pub use remote::RemoteArgs;
pub use report::{label, LabelArgs};
pub use score::{score, ScoreArgs};
pub use serve::serve;
pub use train::{train, TrainArgs};

use crate::{ServerConfig, ServerError, StorageError};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use tabml::{Evaluation, ModelBundle, TabmlError};
use thiserror::Error;

/// The `tabml` command line.
#[derive(Debug, clap::Parser)]
#[command(name = "tabml", version, about = "Small tabular models, from problem to monitoring")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands; each variant's doc is its help.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Run the server: the model registry API and the browser app.
    Serve(ServerConfig),
    /// Train a model on a CSV file and write its bundle.
    Train(TrainArgs),
    /// Measure a model bundle on a labelled CSV file.
    Evaluate(EvaluateArgs),
    /// Write predictions of a model bundle for every row of a CSV file.
    ///
    /// A row the model cannot read (a word where it was trained on numbers, say) gets an error
    /// column instead, naming line, column and value; the other rows are scored.
    ///
    /// With --server, --model names a model of that server's registry (and --version, --alias or
    /// --stage its version): the bundle is cached and fetched again only when it changed, a
    /// prediction_id column comes first, and each prediction and a profile of the batch are
    /// reported to the server (unless --no-report).
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
    /// Sign in to a server and keep the token in a file, for push, pull, score --server and label.
    ///
    /// Asks for the password without echo on a terminal; else reads one line of standard input.
    Login(LoginArgs),
    /// Upload a bundle to a server's registry as a new version of a model; prints the version.
    ///
    /// The token is read from TABML_TOKEN or --token-file. The model is registered if it is new. A
    /// bundle the model already holds is not uploaded twice: its version is printed.
    Push(PushArgs),
    /// Download a model's bundle from a server's registry, by version, alias or stage.
    ///
    /// The token is read from TABML_TOKEN or --token-file. When --out already holds the bundle the
    /// server names, nothing is downloaded.
    Pull(PullArgs),
    /// Send the true outcomes of earlier predictions: a CSV of prediction_id,label.
    ///
    /// The dashboard's realized accuracy compares them with what was predicted. Sending the same
    /// file again stores nothing twice.
    Label(LabelArgs),
    /// Look after the server's accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
}

/// `tabml admin`'s commands.
#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Make a user (the first admin, say). Asks for the password without echo on a terminal; else
    /// reads one line of standard input.
    CreateUser(CreateUserArgs),
}

/// A command that could not finish, saying which file and what is wrong.
#[derive(Debug, Error)]
pub enum CliError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The core refused the input.
    #[error("{path}: {source}")]
    Input { path: PathBuf, source: TabmlError },
    /// The core refused the request (a bad model, parameter, target, …).
    #[error(transparent)]
    Core(#[from] TabmlError),
    /// A command-line value that makes no sense.
    #[error("{0}")]
    Argument(String),
    /// No row of a file could be scored: `first` is the first problem (a cell that does not fit,
    /// an output that is not a finite number), `more` says how many others there are.
    #[error("{path}: {first}{more}; no row could be scored, so nothing was written")]
    NothingScored { path: PathBuf, first: String, more: String },
    /// The new user's password could not be read.
    #[error("reading the password from {from}")]
    Password { from: &'static str, source: std::io::Error },
    /// The async runtime could not start.
    #[error("starting the async runtime")]
    Runtime(#[source] std::io::Error),
    /// The server could not start or serve, or refused a value (a user name, a password).
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The database could not be opened or refused a write.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A command that talks to a server was given no token.
    #[error("no token: run tabml login --server URL --name NAME --token-file FILE, then pass --token-file FILE (or set TABML_TOKEN)")]
    NoToken,
    /// The server could not be reached (or the connection broke).
    #[error("could not reach {server}: {message}")]
    Unreachable { server: String, message: String },
    /// The server refused the request; its code and message say why.
    #[error("{server} refused {what}: {message} ({code}, HTTP {status})")]
    Refused { server: String, what: String, status: u16, code: String, message: String },
    /// The server answered with something this tabml cannot use.
    #[error("{server} answered {what} with something unexpected: {message}")]
    Unexpected { server: String, what: String, message: String },
}

/// What a command prints on standard output, and the status it exits with.
#[derive(Debug)]
pub struct Output {
    /// The report, the JSON object or the one-line summary (a final newline is added if missing).
    pub text: String,
    /// 0, or what the command's flags ask for (`drift --fail-on-drift`: 3 when the data drifted).
    pub status: ExitCode,
}

impl From<String> for Output {
    fn from(text: String) -> Self {
        Output { text, status: ExitCode::SUCCESS }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|source| CliError::Io { path: path.to_owned(), source })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes).map_err(|source| CliError::Io { path: path.to_owned(), source })
}

/// Reads a model bundle; errors name the file.
pub fn load_bundle(path: &Path) -> Result<ModelBundle, CliError> {
    ModelBundle::decode(&read(path)?).map_err(|e| CliError::Input { path: path.to_owned(), source: e.into() })
}

fn clock() -> impl Fn() -> f64 {
    let start = Instant::now();
    move || start.elapsed().as_secs_f64() * 1000.0
}

/// The headline metrics of an evaluation and of its baseline, as two JSON objects of numbers.
fn metrics_json(evaluation: &Evaluation) -> (Value, Value) {
    let table = evaluation.metric_table();
    let metrics = table.iter().map(|(name, model, _)| ((*name).to_owned(), json!(model))).collect();
    let baseline = table.iter().map(|(name, _, baseline)| ((*name).to_owned(), json!(baseline))).collect();
    (Value::Object(metrics), Value::Object(baseline))
}

fn table_text(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows.first().map_or(0, Vec::len))
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, w))| if c == 0 { format!("{cell:<w$}") } else { format!("{cell:>w$}") })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
            out.push('\n');
        }
    }
    out
}

fn metric_rows(evaluation: &Evaluation) -> String {
    let mut rows = vec![vec!["metric".to_owned(), "model".to_owned(), "baseline".to_owned()]];
    for (name, model, baseline) in evaluation.metric_table() {
        rows.push(vec![name.to_owned(), format!("{model:.4}"), format!("{baseline:.4}")]);
    }
    table_text(&rows)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        // clap's own checks: no clashing flags, defaults that parse, and so on.
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
