//! Reporting to a server what the command line scored: monitoring events sent in batches, each
//! batch retried with the same ids until the server acknowledges it, and `tabml label`, which sends
//! the true outcomes of earlier predictions.
//!
//! Every event carries an id made here, so a batch sent twice (its answer lost, the server
//! restarted) is stored once: the server lists the repeated ids as duplicates. A prediction's id
//! starts with its model version (`v3-…`, see `tabml::prediction_id`), so a labels file needs
//! nothing but `prediction_id,label`; a label's id is its prediction's, so sending a labels file
//! again stores nothing twice.

use super::remote::{segment, Remote, RemoteArgs};
use super::{load_table, CliError, Output};
use reqwest::Method;
use std::path::PathBuf;
use std::time::Duration;
use tabml::api::{EventAck, EventBatch, EventKind, VersionInfo, WireEvent};

/// Events per request: well under the server's 10,000 and its body limit for prediction events.
const BATCH_EVENTS: usize = 2_000;

/// How often a batch is tried before the command gives up (waiting 1, 2, 4, 8 s between).
const ATTEMPTS: u32 = 5;

/// A random hex id for one run of a command (what ties its events together).
pub(super) fn run_id() -> Result<String, CliError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| CliError::Argument(format!("no random numbers for ids: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Now, in Unix milliseconds.
pub(super) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Sends `events` in batches; returns how many the server stored now and how many it already had.
/// A batch that fails for a reason that may pass (no connection, 429, 5xx) is sent again with the
/// same ids; one the server refuses outright stops the run, saying how far it got.
pub(super) async fn send_events(remote: &Remote, events: Vec<WireEvent>) -> Result<(usize, usize), CliError> {
    let total = events.len();
    let (mut accepted, mut duplicates) = (0, 0);
    for chunk in events.chunks(BATCH_EVENTS) {
        let batch = EventBatch { events: chunk.to_vec() };
        let mut attempt = 0;
        let ack: EventAck = loop {
            attempt += 1;
            match remote.send_json(Method::POST, "/events", &batch, "sending events").await {
                Ok(ack) => break ack,
                Err(error) if attempt < ATTEMPTS && may_pass(&error) => {
                    tokio::time::sleep(Duration::from_secs(1 << (attempt - 1))).await;
                }
                Err(error) => {
                    return Err(CliError::Argument(format!(
                        "{error} (after {} of {total} events were acknowledged; sending again is safe: \
                         the server keeps each event once)",
                        accepted + duplicates
                    )))
                }
            }
        };
        accepted += ack.accepted.len();
        duplicates += ack.duplicates.len();
    }
    Ok((accepted, duplicates))
}

/// Whether a failed request may succeed if sent again.
fn may_pass(error: &CliError) -> bool {
    match error {
        CliError::Unreachable { .. } => true,
        CliError::Refused { status, .. } => *status == 429 || *status >= 500,
        _ => false,
    }
}

/// `tabml label`'s flags.
#[derive(Debug, clap::Args)]
pub struct LabelArgs {
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// The registered model's name.
    #[arg(long)]
    pub model: String,
    /// A CSV file with a prediction_id column (as `tabml score --server` wrote it) and a label column.
    #[arg(long)]
    pub data: PathBuf,
    /// The version the predictions were made with, for ids that do not start with it (v3-…).
    #[arg(long)]
    pub version: Option<u32>,
}

/// `tabml label`: one label event per row, naming the prediction it is the truth for.
pub fn label(args: &LabelArgs) -> Result<Output, CliError> {
    let table = load_table(&args.data)?;
    let column = |name: &str| {
        table
            .column(name)
            .ok_or_else(|| CliError::Argument(format!("{}: no column named {name:?}", args.data.display())))
    };
    let (ids, labels) = (column("prediction_id")?, column("label")?);
    let remote = args.remote.connect()?;
    super::registry::block_on(async {
        let mut tasks: std::collections::HashMap<u32, bool> = std::collections::HashMap::new();
        let at = now_ms();
        let mut events = Vec::with_capacity(table.n_rows);
        for row in 0..table.n_rows {
            let line = table.line_of(row);
            let (Some(id), Some(label)) = (ids.cell(row), labels.cell(row)) else {
                return Err(CliError::Argument(format!(
                    "{}: line {line}: a prediction_id and a label are both needed",
                    args.data.display()
                )));
            };
            let version = tabml::prediction_version(id).or(args.version).ok_or_else(|| {
                CliError::Argument(format!(
                    "{}: line {line}: {id:?} does not name its model version; pass --version",
                    args.data.display()
                ))
            })?;
            let classes = match tasks.get(&version) {
                Some(classes) => *classes,
                None => {
                    let path = format!("/models/{}/versions/{version}", segment(&args.model));
                    let info: VersionInfo =
                        remote.get(&path, &format!("looking up version {version}")).await?;
                    *tasks.entry(version).or_insert(info.task == "classification")
                }
            };
            // A class is compared with the prediction as text; a value as a number.
            let label = if classes {
                serde_json::Value::String(label.to_owned())
            } else {
                match label.trim().parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
                    Some(number) => serde_json::Value::Number(number),
                    None => {
                        return Err(CliError::Argument(format!(
                            "{}: line {line}: label {label:?} is not a number, and version {version} predicts numbers",
                            args.data.display()
                        )))
                    }
                }
            };
            events.push(WireEvent {
                // Named after its prediction: sending the same file again stores nothing twice.
                id: format!("label-{id}"),
                kind: EventKind::Label,
                model: args.model.clone(),
                version,
                at,
                prediction_id: Some(id.to_owned()),
                label: Some(label),
                ..WireEvent::default()
            });
        }
        let (accepted, duplicates) = send_events(&remote, events).await?;
        Ok(Output::from(format!(
            "Sent {accepted} labels for {} to {} ({duplicates} already there).",
            args.model,
            remote.server()
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_id_is_sixteen_hex_digits() {
        let run = run_id().unwrap();
        assert_eq!(run.len(), 16);
        assert!(run.chars().all(|c| c.is_ascii_hexdigit()), "{run}");
    }
}
