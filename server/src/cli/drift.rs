//! `tabml drift`.

use super::progress::Bar;
use super::{load_bundle, load_table, load_table_on_one_thread, table_text, CliError, Output};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::ExitCode;

/// What `tabml drift` was asked.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(group(clap::ArgGroup::new("against").required(true).args(["reference", "model"])))]
pub struct DriftArgs {
    /// The reference CSV file (the data the model learned from, say).
    #[arg(long)]
    pub reference: Option<PathBuf>,
    /// A model bundle: its training data's profile is the reference, and its predictions on the
    /// current file are checked against its predictions on its training rows.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// The CSV file to check.
    #[arg(long)]
    pub current: PathBuf,
    /// Print one JSON object: {"dataset_drift", "drifted_share", "columns": [{"column", "type",
    /// "test", "statistic", "p_value", "threshold", "drift"}]}.
    #[arg(long)]
    pub json: bool,
    /// Use this test for a column, as COLUMN=TEST or COLUMN=TEST:THRESHOLD (may repeat). Tests:
    /// ks, chisquare, z, wasserstein, jensenshannon, psi, kl_div, hellinger.
    #[arg(long = "column-test")]
    pub column_tests: Vec<String>,
    /// Use this threshold for a column's test, as COLUMN=THRESHOLD (may repeat).
    #[arg(long = "threshold")]
    pub thresholds: Vec<String>,
    /// Columns not to check (comma separated; may repeat).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// The share of drifted columns at which the data set drifts.
    #[arg(long, default_value_t = 0.5)]
    pub drift_share: f64,
    /// Exit with status 3 when the data set drifted.
    #[arg(long)]
    pub fail_on_drift: bool,
}

fn split_assignment<'a>(flag: &str, text: &'a str) -> Result<(&'a str, &'a str), CliError> {
    text.rsplit_once('=')
        .filter(|(column, value)| !column.is_empty() && !value.is_empty())
        .ok_or_else(|| CliError::Argument(format!("{flag} {text:?}: expected COLUMN=VALUE")))
}

fn parse_threshold(flag: &str, text: &str) -> Result<f64, CliError> {
    text.parse::<f64>()
        .ok()
        .filter(|t| t.is_finite() && *t >= 0.0)
        .ok_or_else(|| CliError::Argument(format!("{flag}: threshold {text:?} is not a number at least 0")))
}

/// The options `tabml drift`'s flags ask for.
pub fn drift_options(args: &DriftArgs) -> Result<tabml::drift::DriftOptions, CliError> {
    use tabml::drift::{DriftOptions, DriftTest};
    let mut options = DriftOptions {
        drift_share: args.drift_share,
        ignore: args.ignore.iter().filter(|c| !c.is_empty()).cloned().collect(),
        now: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok().map(|d| d.as_secs_f64()),
        ..DriftOptions::default()
    };
    for text in &args.column_tests {
        let (column, spec) = split_assignment("--column-test", text)?;
        let (name, threshold) = match spec.split_once(':') {
            Some((name, t)) => (name, Some(parse_threshold("--column-test", t)?)),
            None => (spec, None),
        };
        let test = DriftTest::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = DriftTest::ALL.iter().map(|t| t.name()).collect();
            CliError::Argument(format!(
                "--column-test {text:?}: no test {name:?}; pick one of {}",
                known.join(", ")
            ))
        })?;
        options.tests.insert(column.to_owned(), test);
        if let Some(t) = threshold {
            options.thresholds.insert(column.to_owned(), t);
        }
    }
    for text in &args.thresholds {
        let (column, value) = split_assignment("--threshold", text)?;
        options.thresholds.insert(column.to_owned(), parse_threshold("--threshold", value)?);
    }
    Ok(options)
}

/// Reads the current and the reference file at once, one thread each (reading is most of a check's
/// time, and each file's own split into halves would only add work); the current file's error
/// comes first when both fail.
pub(super) fn load_pair(
    current_path: &std::path::Path,
    reference_path: &std::path::Path,
) -> Result<(tabml::Table, tabml::Table), CliError> {
    let (current, reference) = std::thread::scope(|scope| {
        let reference = scope.spawn(|| load_table_on_one_thread(reference_path));
        (load_table_on_one_thread(current_path), reference.join())
    });
    let reference = reference.unwrap_or_else(|_| {
        Err(CliError::Argument(format!(
            "{}: reading the file stopped unexpectedly",
            reference_path.display()
        )))
    });
    Ok((current?, reference?))
}

/// `tabml drift`: checks a current file against a reference file or a model's training profile.
/// Prints the report as text (or JSON); exits 3 when the data set drifted and `--fail-on-drift`
/// asks for it.
pub fn drift(args: &DriftArgs) -> Result<Output, CliError> {
    let options = drift_options(args)?;
    // Reading and checking large files takes a while, and the check reports no share done.
    let spinner = Bar::spinner("checking drift");
    let (report, reference_name) = match (&args.reference, &args.model) {
        (Some(path), None) => {
            let (current, reference) = load_pair(&args.current, path)?;
            let report = tabml::drift::check_tables(&reference, &current, &options)
                .map_err(|e| CliError::Input { path: args.current.clone(), source: e.into() })?;
            (report, path.display().to_string())
        }
        (None, Some(path)) => {
            let current = load_table(&args.current)?;
            let bundle = load_bundle(path)?;
            let report = tabml::drift::check_model(&bundle, &current, &options)
                .map_err(|e| CliError::Input { path: args.current.clone(), source: e.into() })?;
            (report, format!("the training data of {}", path.display()))
        }
        _ => return Err(CliError::Argument("give exactly one of --reference and --model".into())),
    };
    drop(spinner);
    let text = if args.json {
        drift_json(&report).to_string()
    } else {
        drift_text(&report, &reference_name, &args.current.display().to_string())
    };
    let status =
        if report.dataset_drift && args.fail_on_drift { ExitCode::from(3) } else { ExitCode::SUCCESS };
    Ok(Output { text, status })
}

fn column_drift_json(c: &tabml::drift::ColumnDrift) -> Value {
    json!({
        "column": c.column,
        "type": c.kind.name(),
        "test": c.test.name(),
        // An infinite chi-square (a value the reference never had) has no JSON number.
        "statistic": if c.statistic.is_finite() { json!(c.statistic) } else { Value::Null },
        "p_value": c.p_value,
        "threshold": c.threshold,
        "drift": c.drift,
    })
}

/// The fixed JSON shape of `tabml drift --json`; against a model, also `predictions`, the same
/// for the model's outputs.
pub fn drift_json(report: &tabml::drift::DriftReport) -> Value {
    let mut out = json!({
        "dataset_drift": report.dataset_drift,
        "drifted_share": report.drifted_share,
        "columns": report.columns.iter().map(column_drift_json).collect::<Vec<_>>(),
    });
    if !report.predictions.is_empty() {
        out["predictions"] = report.predictions.iter().map(column_drift_json).collect();
    }
    out
}

fn short(v: f64) -> String {
    if !v.is_finite() {
        "∞".to_owned()
    } else if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e5) {
        format!("{v:.2e}")
    } else {
        format!("{v:.4}")
    }
}

fn drift_rows(columns: &[tabml::drift::ColumnDrift]) -> String {
    let mut rows = vec![["column", "type", "test", "statistic", "p-value", "threshold", "drift"]
        .map(String::from)
        .to_vec()];
    for c in columns {
        rows.push(vec![
            c.column.clone(),
            c.kind.name().to_owned(),
            c.test.name().to_owned(),
            short(c.statistic),
            c.p_value.map_or("–".to_owned(), short),
            format!("{}{}", if c.test.has_p_value() { "p " } else { "≥ " }, c.threshold),
            if c.drift { "DRIFT".to_owned() } else { "no".to_owned() },
        ]);
    }
    table_text(&rows)
}

fn drift_text(report: &tabml::drift::DriftReport, reference: &str, current: &str) -> String {
    let mut out = format!(
        "Drift of {current} ({} rows) against {reference} ({} rows)\n\n",
        report.current_rows, report.reference_rows
    );
    out.push_str(&drift_rows(&report.columns));
    let drifted = report.columns.iter().filter(|c| c.drift).count();
    out.push_str(&format!(
        "\nData set: {} — {drifted} of {} columns drifted ({:.0}%); the data set drifts at {:.0}% or more.\n",
        if report.dataset_drift { "DRIFTED" } else { "no drift" },
        report.columns.len(),
        report.drifted_share * 100.0,
        report.drift_share * 100.0
    ));
    if !report.predictions.is_empty() {
        out.push_str("\nThe model's outputs against its outputs on its training rows:\n\n");
        out.push_str(&drift_rows(&report.predictions));
    }
    if !report.checks.is_empty() {
        out.push_str("\nData checks:\n");
        for check in &report.checks {
            out.push_str(&format!("- {check}\n"));
        }
    }
    out.push_str("\nWhy each test:\n");
    for c in report.columns.iter().chain(&report.predictions) {
        out.push_str(&format!("- {}: {}, {}\n", c.column, c.test.label(), c.reason));
    }
    out
}
