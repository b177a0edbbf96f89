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
use tabml::api::{EventAck, EventBatch, VersionInfo, WireEvent};

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
    let path = args.data.display();
    let read = tabml::read_labels(&table, args.version).map_err(|e| match e {
        tabml::TabmlError::UnknownColumn(name) => {
            CliError::Argument(format!("{path}: no column named {name:?}"))
        }
        other => CliError::Input { path: args.data.clone(), source: other },
    })?;
    // A labels file is sent whole or not at all: a row that names no prediction is a mistake to fix.
    if let Some(first) = read.problems.first() {
        let hint = if first.contains("does not name its model version") { "; pass --version" } else { "" };
        return Err(CliError::Argument(format!("{path}: {first}{hint}")));
    }
    let remote = args.remote.connect()?;
    super::registry::block_on(async {
        let mut tasks: std::collections::HashMap<u32, bool> = std::collections::HashMap::new();
        let at = now_ms();
        let mut events = Vec::with_capacity(read.labels.len());
        for row in &read.labels {
            let classification = match tasks.get(&row.version) {
                Some(classification) => *classification,
                None => {
                    let path = format!("/models/{}/versions/{}", segment(&args.model), row.version);
                    let info: VersionInfo =
                        remote.get(&path, &format!("looking up version {}", row.version)).await?;
                    *tasks.entry(row.version).or_insert(info.task == "classification")
                }
            };
            let event = tabml::label_event(&args.model, row, classification, at)
                .map_err(|why| CliError::Argument(format!("{path}: {why}")))?;
            events.push(event);
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
