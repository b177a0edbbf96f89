//! `tabml score`: predictions for every row of a CSV file, from a bundle file or, with `--server`,
//! from a model of a server's registry. The core scores row by row (`tabml::ScoredBatch`): a row
//! with a cell that does not fit the model gets an `error` column instead of outputs, and the
//! summary names the first few by line and column; a file of which no row fits is refused, and
//! nothing is written.
//!
//! With `--server`, `--model` names a registered model and `--version`, `--alias` or `--stage` the
//! version. The bundle is kept in a cache (`$XDG_CACHE_HOME/tabml/models`, else
//! `~/.cache/tabml/models`) and asked for again with `If-None-Match`, so an unchanged model is not
//! downloaded twice. The predictions file gets a `prediction_id` column first; unless
//! `--no-report`, one prediction event per row (its error, for a row not scored) and one profile of
//! the scored rows go to the server (`report.rs`), after the file is written, so a failed report
//! loses no prediction.

use super::registry::{block_on, write_whole, VersionArgs};
use super::remote::{segment, Download, Remote, RemoteArgs};
use super::report::{now_ms, run_id, send_events};
use super::{load_bundle, load_table, read, write, CliError, Output};
use std::path::{Path, PathBuf};
use tabml::{prediction_id, EventContext, ModelBundle, ScoredBatch, Table};

/// What `tabml score` was asked.
#[derive(Debug, Clone, clap::Args)]
pub struct ScoreArgs {
    /// The model bundle; with --server, the registered model's name.
    #[arg(long)]
    pub model: String,
    /// A CSV file with the model's input columns.
    #[arg(long)]
    pub data: PathBuf,
    /// Where to write the predictions (CSV).
    #[arg(long)]
    pub out: PathBuf,
    /// Score with a model from this server's registry (its address, such as http://127.0.0.1:8080),
    /// and report what was scored to it. The token is read from TABML_TOKEN or --token-file.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// With --server: a file holding the token.
    #[arg(long, value_name = "FILE", requires = "server")]
    pub token_file: Option<PathBuf>,
    /// With --server: the version to score with.
    #[arg(long, requires = "server", conflicts_with_all = ["alias", "stage"])]
    pub version: Option<u32>,
    /// With --server: the version an alias names (such as champion).
    #[arg(long, requires = "server", conflicts_with = "stage")]
    pub alias: Option<String>,
    /// With --server: the newest version in a stage (staging or production).
    #[arg(long, requires = "server")]
    pub stage: Option<String>,
    /// With --server: send nothing back (no prediction events, no profile).
    #[arg(long, requires = "server")]
    pub no_report: bool,
}

/// `tabml score`: writes one prediction per row of `data` to `out`.
pub fn score(args: &ScoreArgs) -> Result<Output, CliError> {
    match &args.server {
        None => score_file(args),
        Some(server) => score_remote(args, server),
    }
}

fn score_file(args: &ScoreArgs) -> Result<Output, CliError> {
    let (data, out) = (&args.data, &args.out);
    let bundle = load_bundle(Path::new(&args.model))?;
    let table = load_table(data)?;
    let batch = score_rows(&bundle, &table, data)?;
    write(out, &batch.to_csv(&table, None, None))?;
    Ok(format!(
        "Scored {} with {} ({}); wrote {}.{}\n",
        rows_scored(&batch),
        bundle.model.label(),
        bundle.target,
        out.display(),
        unscored_note(&batch)
    )
    .into())
}

fn score_remote(args: &ScoreArgs, server: &str) -> Result<Output, CliError> {
    let which = VersionArgs { version: args.version, alias: args.alias.clone(), stage: args.stage.clone() };
    if which.version.is_none() && which.alias.is_none() && which.stage.is_none() {
        return Err(CliError::Argument(
            "with --server, name the version to score with: --version N, --alias A or --stage S".into(),
        ));
    }
    let remote = RemoteArgs {
        server: server.to_owned(),
        token_file: args.token_file.clone(),
        token_env: std::env::var("TABML_TOKEN").ok(),
    }
    .connect()?;
    // The data first: a file that does not read costs no download.
    let table = load_table(&args.data)?;
    block_on(async {
        let (bundle, version, cached) = fetch(&remote, &args.model, &which).await?;
        let started = std::time::Instant::now();
        let batch = score_rows(&bundle, &table, &args.data)?;
        let millis = started.elapsed().as_secs_f64() * 1000.0;
        let run = run_id()?;
        let ids: Vec<String> = (0..table.n_rows).map(|row| prediction_id(version, &run, row)).collect();
        write(&args.out, &batch.to_csv(&table, Some(&ids), None))?;
        let scored = format!(
            "Scored {} with {} version {version} ({}, {}); wrote {}.",
            rows_scored(&batch),
            args.model,
            bundle.target,
            if cached { "cached bundle, unchanged on the server" } else { "bundle downloaded" },
            args.out.display()
        );
        let note = unscored_note(&batch);
        if args.no_report {
            return Ok(Output::from(format!("{scored} Nothing was reported (--no-report).{note}")));
        }
        let context = EventContext {
            model: &args.model,
            version,
            run: &run,
            at_ms: now_ms(),
            latency_ms: if batch.scored() == 0 { 0.0 } else { millis / batch.scored() as f64 },
            include_inputs: false,
        };
        let events = batch.events(&table, &ids, &context);
        let (accepted, duplicates) = send_events(&remote, events).await.map_err(|e| {
            CliError::Argument(format!("{scored} Reporting to {} failed: {e}", remote.server()))
        })?;
        let failed = match batch.unscored() {
            0 => String::new(),
            n => format!(", {n} rows that could not be scored"),
        };
        Ok(Output::from(format!(
            "{scored} Reported {} predictions{failed} and a profile of the batch to {} ({} events stored, {duplicates} already there).{note}",
            batch.scored(),
            remote.server(),
            accepted
        )))
    })
}

/// Scores each row of `table` (read from `data`) that fits the model; refuses a file of which no
/// row does, naming the first problem, so that nothing is written.
fn score_rows(bundle: &ModelBundle, table: &Table, data: &Path) -> Result<ScoredBatch, CliError> {
    let batch =
        bundle.score_batch(table).map_err(|source| CliError::Input { path: data.to_owned(), source })?;
    match batch.problems().first() {
        Some(first) if batch.scored() == 0 => Err(CliError::NothingScored {
            path: data.to_owned(),
            first: first.message.clone(),
            more: match batch.problem_count() - 1 {
                0 => String::new(),
                n => format!(" (and {n} more problems)"),
            },
        }),
        _ => Ok(batch),
    }
}

/// `150 rows`, or `148 of 150 rows` when some were not scored.
fn rows_scored(batch: &ScoredBatch) -> String {
    match batch.unscored() {
        0 => format!("{} rows", batch.len()),
        _ => format!("{} of {} rows", batch.scored(), batch.len()),
    }
}

/// The problems shown on the terminal; the predictions file has them all.
const SHOWN_PROBLEMS: usize = 5;

/// For a batch with rows not scored, the lines that say how many and name the first problems.
fn unscored_note(batch: &ScoredBatch) -> String {
    let unscored = batch.unscored();
    if unscored == 0 {
        return String::new();
    }
    let rows = if unscored == 1 { "1 row".to_owned() } else { format!("{unscored} rows") };
    let mut note = format!("\n{rows} could not be scored (the error column says why):");
    for problem in batch.problems().iter().take(SHOWN_PROBLEMS) {
        note.push_str(&format!("\n  {problem}"));
    }
    if let Some(more) = batch.problem_count().checked_sub(SHOWN_PROBLEMS).filter(|n| *n > 0) {
        note.push_str(&format!("\n  and {more} more problems"));
    }
    note
}

/// The bundle the flags name and its version, through the cache: downloaded only when the cached
/// one is not it (the third part says whether the cached one was used).
async fn fetch(
    remote: &Remote,
    model: &str,
    which: &VersionArgs,
) -> Result<(ModelBundle, u32, bool), CliError> {
    let cached = cache_path(remote.server(), model, which);
    let have = read(&cached).ok().and_then(|bytes| ModelBundle::decode(&bytes).ok().map(|b| (bytes, b)));
    let digest = have.as_ref().map(|(bytes, _)| ModelBundle::digest_of(bytes));
    let what = format!("downloading {model} {}", which.describe());
    match remote.download(&which.bundle_path(model), digest.as_deref(), &what).await? {
        Download::Unchanged { version } => match have {
            Some((_, bundle)) => Ok((bundle, version, true)),
            None => Err(CliError::Unexpected {
                server: remote.server().to_owned(),
                what,
                message: "304 Not Modified, though nothing was cached".into(),
            }),
        },
        Download::Bytes { bytes, version, .. } => {
            let bundle = ModelBundle::decode(&bytes).map_err(|e| CliError::Unexpected {
                server: remote.server().to_owned(),
                what,
                message: format!("the bundle does not decode: {e}"),
            })?;
            if let Some(folder) = cached.parent() {
                // A cache that cannot be written only costs a download next time.
                if std::fs::create_dir_all(folder).is_ok() {
                    let _ = write_whole(&cached, &bytes);
                }
            }
            Ok((bundle, version, false))
        }
    }
}

/// Where the bundle of `model` named by `which` on `server` is cached.
fn cache_path(server: &str, model: &str, which: &VersionArgs) -> PathBuf {
    let root = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    let server = segment(server.split("://").nth(1).unwrap_or(server));
    let which = segment(&which.describe().replace(' ', "-"));
    root.join("tabml").join("models").join(server).join(segment(model)).join(format!("{which}.tabml"))
}
