//! `tabml score`.

use super::{load_bundle, load_table, write, CliError, Output};
use std::path::{Path, PathBuf};
use tabml::{Predictions, Table, Task};

/// What `tabml score` was asked.
#[derive(Debug, Clone, clap::Args)]
pub struct ScoreArgs {
    /// The model bundle.
    #[arg(long)]
    pub model: PathBuf,
    /// A CSV file with the model's input columns.
    #[arg(long)]
    pub data: PathBuf,
    /// Where to write the predictions (CSV).
    #[arg(long)]
    pub out: PathBuf,
}

/// `tabml score`: writes one prediction per row of `data` to `out`.
pub fn score(args: &ScoreArgs) -> Result<Output, CliError> {
    let ScoreArgs { model, data, out } = args;
    let bundle = load_bundle(model)?;
    let table = load_table(data)?;
    let predictions =
        bundle.score(&table).map_err(|source| CliError::Input { path: data.to_owned(), source })?;
    refuse_non_finite(&predictions, &bundle.task, &table, data)?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| CliError::Io { path: out.to_owned(), source: std::io::Error::other(e) };
    match (&predictions, &bundle.task) {
        (Predictions::Proba(proba), Task::Classification { classes }) => {
            let header: Vec<String> = std::iter::once("prediction".to_owned())
                .chain(classes.iter().map(|c| format!("proba_{c}")))
                .collect();
            writer.write_record(&header).map_err(io)?;
            for (row, label) in proba.iter().zip(predictions.labels()) {
                let record: Vec<String> = std::iter::once(classes[label].clone())
                    .chain(row.iter().map(|p| p.to_string()))
                    .collect();
                writer.write_record(&record).map_err(io)?;
            }
        }
        (Predictions::Values(values), _) => {
            writer.write_record(["prediction"]).map_err(io)?;
            for v in values {
                writer.write_record([v.to_string()]).map_err(io)?;
            }
        }
        _ => return Err(CliError::Argument("the bundle's predictions do not match its task".into())),
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| CliError::Io { path: out.to_owned(), source: std::io::Error::other(e.to_string()) })?;
    write(out, &bytes)?;
    Ok(format!(
        "Scored {} rows with {} ({}); wrote {}.\n",
        table.n_rows,
        bundle.model.label(),
        bundle.target,
        out.display()
    )
    .into())
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
