//! `tabml score`: predictions for every row of a CSV file, from a bundle file or, with `--server`,
//! from a model of a server's registry.
//!
//! With `--server`, `--model` names a registered model and `--version`, `--alias` or `--stage` the
//! version. The bundle is kept in a cache (`$XDG_CACHE_HOME/tabml/models`, else
//! `~/.cache/tabml/models`) and asked for again with `If-None-Match`, so an unchanged model is not
//! downloaded twice. The predictions file gets a `prediction_id` column first; unless
//! `--no-report`, one prediction event per row and one profile of the batch go to the server
//! (`report.rs`), after the file is written, so a failed report loses no prediction.

use super::registry::{block_on, write_whole, VersionArgs};
use super::remote::{segment, Download, Remote, RemoteArgs};
use super::report::{now_ms, prediction_id, run_id, send_events};
use super::{load_bundle, load_table, read, write, CliError, Output};
use std::path::{Path, PathBuf};
use tabml::api::{EventKind, WireEvent};
use tabml::drift::{ColumnProfile, DataProfile, EXACT_VALUES};
use tabml::{ModelBundle, Predictions, Table, Task};

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
    let predictions =
        bundle.score(&table).map_err(|source| CliError::Input { path: data.to_owned(), source })?;
    refuse_non_finite(&predictions, &bundle.task, &table, data)?;
    write(out, &predictions_csv(&bundle, &predictions, None, out)?)?;
    Ok(format!(
        "Scored {} rows with {} ({}); wrote {}.\n",
        table.n_rows,
        bundle.model.label(),
        bundle.target,
        out.display()
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
        let predictions =
            bundle.score(&table).map_err(|source| CliError::Input { path: args.data.clone(), source })?;
        let millis = started.elapsed().as_secs_f64() * 1000.0;
        refuse_non_finite(&predictions, &bundle.task, &table, &args.data)?;
        let run = run_id()?;
        let ids: Vec<String> = (0..table.n_rows).map(|row| prediction_id(version, &run, row)).collect();
        write(&args.out, &predictions_csv(&bundle, &predictions, Some(&ids), &args.out)?)?;
        let scored = format!(
            "Scored {} rows with {} version {version} ({}, {}); wrote {}.",
            table.n_rows,
            args.model,
            bundle.target,
            if cached { "cached bundle, unchanged on the server" } else { "bundle downloaded" },
            args.out.display()
        );
        if args.no_report {
            return Ok(Output::from(format!("{scored} Nothing was reported (--no-report).")));
        }
        let latency = if table.n_rows == 0 { 0.0 } else { millis / table.n_rows as f64 };
        let events = events(&args.model, version, &run, &bundle, &table, &predictions, &ids, latency);
        let (accepted, duplicates) = send_events(&remote, events).await.map_err(|e| {
            CliError::Argument(format!("{scored} Reporting to {} failed: {e}", remote.server()))
        })?;
        Ok(Output::from(format!(
            "{scored} Reported {} predictions and a profile of the batch to {} ({} events stored, {duplicates} already there).",
            table.n_rows,
            remote.server(),
            accepted
        )))
    })
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

/// One prediction event per row and one profile of the batch (its inputs and the model's outputs).
#[allow(clippy::too_many_arguments)]
fn events(
    model: &str,
    version: u32,
    run: &str,
    bundle: &ModelBundle,
    table: &Table,
    predictions: &Predictions,
    ids: &[String],
    latency_ms: f64,
) -> Vec<WireEvent> {
    let at = now_ms();
    let event = |id: String, kind| WireEvent {
        id,
        kind,
        model: model.to_owned(),
        version,
        at,
        ..WireEvent::default()
    };
    let mut events: Vec<WireEvent> = match (predictions, &bundle.task) {
        (Predictions::Proba(proba), Task::Classification { classes }) => proba
            .iter()
            .zip(predictions.labels())
            .zip(ids)
            .map(|((p, label), id)| WireEvent {
                prediction_id: Some(id.clone()),
                output: Some(serde_json::Value::String(classes[label].clone())),
                probabilities: Some(p.clone()),
                latency_ms: Some(latency_ms),
                ..event(id.clone(), EventKind::Prediction)
            })
            .collect(),
        (Predictions::Values(values), _) => values
            .iter()
            .zip(ids)
            .map(|(v, id)| WireEvent {
                prediction_id: Some(id.clone()),
                output: serde_json::Number::from_f64(*v).map(serde_json::Value::Number),
                latency_ms: Some(latency_ms),
                ..event(id.clone(), EventKind::Prediction)
            })
            .collect(),
        _ => Vec::new(),
    };
    // The batch's profile, over the columns the training profile has, read as the model reads them:
    // a column read as another kind than in training is converted (a copy of it alone) first.
    let reference = bundle.profile.index();
    let columns = table
        .columns
        .iter()
        .filter_map(|column| {
            let numeric = reference.get(column.name.as_str())?.numbers.is_some();
            if numeric == (column.kind == tabml::ColumnKind::Numeric) {
                return Some(ColumnProfile::of_column(column, None, EXACT_VALUES));
            }
            let kind = if numeric { tabml::ColumnKind::Numeric } else { tabml::ColumnKind::Categorical };
            let mut one = Table { columns: vec![column.clone()], n_rows: table.n_rows, lines: Vec::new() };
            let converted = one.set_kind(&column.name, kind).map_or(column, |()| &one.columns[0]);
            Some(ColumnProfile::of_column(converted, None, EXACT_VALUES))
        })
        .collect();
    let mut profile = DataProfile { rows: table.n_rows as u64, columns, predictions: Vec::new() };
    profile.predictions =
        DataProfile::of_rows(&tabml::drift::prediction_table(&bundle.task, predictions), None).columns;
    if let Ok(profile) = serde_json::to_value(&profile) {
        events.push(WireEvent {
            profile: Some(profile),
            ..event(format!("profile-{run}"), EventKind::Profile)
        });
    }
    events
}

/// The predictions as CSV: `prediction_id` first when given, then `prediction` and, for a
/// classifier, one `proba_<class>` column per class.
fn predictions_csv(
    bundle: &ModelBundle,
    predictions: &Predictions,
    ids: Option<&[String]>,
    out: &Path,
) -> Result<Vec<u8>, CliError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| CliError::Io { path: out.to_owned(), source: std::io::Error::other(e) };
    let id_header = ids.map(|_| "prediction_id".to_owned());
    let id_of = |row: usize| ids.map(|ids| ids[row].clone());
    match (predictions, &bundle.task) {
        (Predictions::Proba(proba), Task::Classification { classes }) => {
            let header: Vec<String> = id_header
                .into_iter()
                .chain(std::iter::once("prediction".to_owned()))
                .chain(classes.iter().map(|c| format!("proba_{c}")))
                .collect();
            writer.write_record(&header).map_err(io)?;
            for (r, (row, label)) in proba.iter().zip(predictions.labels()).enumerate() {
                let record: Vec<String> = id_of(r)
                    .into_iter()
                    .chain(std::iter::once(classes[label].clone()))
                    .chain(row.iter().map(|p| p.to_string()))
                    .collect();
                writer.write_record(&record).map_err(io)?;
            }
        }
        (Predictions::Values(values), _) => {
            let header: Vec<String> =
                id_header.into_iter().chain(std::iter::once("prediction".to_owned())).collect();
            writer.write_record(&header).map_err(io)?;
            for (r, v) in values.iter().enumerate() {
                let record: Vec<String> =
                    id_of(r).into_iter().chain(std::iter::once(v.to_string())).collect();
                writer.write_record(&record).map_err(io)?;
            }
        }
        _ => return Err(CliError::Argument("the bundle's predictions do not match its task".into())),
    }
    writer
        .into_inner()
        .map_err(|e| CliError::Io { path: out.to_owned(), source: std::io::Error::other(e.to_string()) })
}

/// Refuses predictions with a value that is not a finite number, naming the first such row: a
/// file of NaN probabilities would pass for predictions downstream.
fn refuse_non_finite(
    predictions: &Predictions,
    task: &Task,
    table: &Table,
    data: &Path,
) -> Result<(), CliError> {
    let first = match (predictions, task) {
        (Predictions::Proba(proba), Task::Classification { classes }) => {
            proba.iter().enumerate().find_map(|(row, p)| {
                let k = p.iter().position(|v| !v.is_finite())?;
                Some((row, format!("probability of {:?}", classes.get(k).map_or("?", String::as_str))))
            })
        }
        (Predictions::Values(values), _) => {
            values.iter().position(|v| !v.is_finite()).map(|row| (row, "prediction".to_owned()))
        }
        _ => None,
    };
    match first {
        Some((row, output)) => {
            Err(CliError::NotFinite { path: data.to_owned(), line: table.line_of(row), output })
        }
        None => Ok(()),
    }
}
