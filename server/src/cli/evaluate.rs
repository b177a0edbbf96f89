//! `tabml evaluate`.

use super::{clock, load_bundle, load_table, metric_rows, metrics_json, table_text, CliError, Output};
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use tabml::metrics::GroupReport;
use tabml::{EvaluateOptions, Evaluation, EvaluationReport, ModelBundle};

/// What `tabml evaluate` was asked.
#[derive(Debug, Clone, clap::Args)]
pub struct EvaluateArgs {
    /// The model bundle.
    #[arg(long)]
    pub model: PathBuf,
    /// A CSV file with the model's input columns and its target column.
    #[arg(long)]
    pub data: PathBuf,
    /// Report metrics per value of this column, with the fairness gaps.
    #[arg(long)]
    pub group: Option<String>,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// `tabml evaluate`: measures a bundle on a labelled file.
pub fn evaluate(args: &EvaluateArgs) -> Result<Output, CliError> {
    let bundle = load_bundle(&args.model)?;
    let table = load_table(&args.data)?;
    let group = args.group.as_deref();
    let options =
        EvaluateOptions { group: group.map(str::to_owned), importance_repeats: 3, latency_rows: 1000 };
    let report = tabml::evaluate(&bundle, &table, &options, &clock())
        .map_err(|source| CliError::Input { path: args.data.clone(), source })?;
    Ok(if args.json {
        evaluate_json(&bundle, &report, group).to_string()
    } else {
        evaluate_text(&bundle, &report, group)
    }
    .into())
}

fn groups_json(column: &str, groups: &GroupReport) -> Value {
    json!({
        "column": column,
        "by_value": groups.groups.iter().map(|g| (g.group.clone(), json!({
            "count": g.count,
            "accuracy": g.accuracy,
            "selection_rate": g.selection_rate,
            "true_positive_rate": g.true_positive_rate,
        }))).collect::<Map<_, _>>(),
        "demographic_parity_difference": groups.demographic_parity_difference,
        "equal_opportunity_difference": groups.equal_opportunity_difference,
        "accuracy_gap": groups.accuracy_gap,
    })
}

fn evaluate_json(bundle: &ModelBundle, report: &EvaluationReport, group: Option<&str>) -> Value {
    let (metrics, baseline) = metrics_json(&report.evaluation);
    let mut out = json!({
        "model": bundle.model.name(),
        "task": bundle.task.label(),
        "n_rows": report.n_rows,
        "n_unlabelled": report.n_unlabelled,
        "metrics": metrics,
        "baseline": baseline,
        "importance": report.importance.iter().map(|i| json!({"column": i.column, "mean": i.importance.mean, "std": i.importance.std})).collect::<Vec<_>>(),
        "latency_us": report.latency.map(|l| json!({"p50": l.p50_us, "p99": l.p99_us, "rows": l.rows})),
    });
    if let Evaluation::Classification(r) = &report.evaluation {
        out["confusion"] = json!(r.confusion);
        out["classes"] = json!(bundle.task.classes());
        if let Some(curves) = &r.curves {
            out["best_f1_threshold"] = json!(curves.best_f1_threshold.map(|(t, _)| t));
            out["threshold_for_80_recall"] = json!(curves.threshold_for_80_recall);
        }
    }
    if let (Some(groups), Some(column)) = (&report.groups, group) {
        out["groups"] = groups_json(column, groups);
    }
    out
}

fn evaluate_text(bundle: &ModelBundle, report: &EvaluationReport, group: Option<&str>) -> String {
    let mut text = format!(
        "{} ({}) on {} labelled rows ({} without a label skipped):\n\n",
        bundle.model.label(),
        bundle.model.name(),
        report.n_rows,
        report.n_unlabelled
    );
    text.push_str(&metric_rows(&report.evaluation));
    if let Evaluation::Classification(r) = &report.evaluation {
        let classes = bundle.task.classes();
        text.push_str("\nConfusion matrix (rows: true class, columns: predicted):\n");
        let mut rows =
            vec![std::iter::once("true \\ predicted".to_owned()).chain(classes.iter().cloned()).collect()];
        for (c, row) in r.confusion.iter().enumerate() {
            rows.push(std::iter::once(classes[c].clone()).chain(row.iter().map(|n| n.to_string())).collect());
        }
        text.push_str(&table_text(&rows));
        if let Some(curves) = &r.curves {
            if let Some((t, f1)) = curves.best_f1_threshold {
                text.push_str(&format!(
                    "\nBest F1 {f1:.4} at a {:?} probability threshold of {t:.4}.\n",
                    classes[curves.positive]
                ));
            }
            if let Some(t) = curves.threshold_for_80_recall {
                text.push_str(&format!(
                    "80% recall of {:?} needs a threshold of {t:.4} or lower.\n",
                    classes[curves.positive]
                ));
            }
        }
    }
    if let (Some(groups), Some(column)) = (&report.groups, group) {
        text.push_str(&format!("\nBy {column:?}:\n"));
        let mut rows = vec![vec![
            "group".to_owned(),
            "rows".to_owned(),
            "accuracy".to_owned(),
            "selection rate".to_owned(),
            "true positive rate".to_owned(),
        ]];
        for g in &groups.groups {
            rows.push(vec![
                g.group.clone(),
                g.count.to_string(),
                format!("{:.4}", g.accuracy),
                format!("{:.4}", g.selection_rate),
                g.true_positive_rate.map_or("n/a".to_owned(), |v| format!("{v:.4}")),
            ]);
        }
        text.push_str(&table_text(&rows));
        text.push_str(&format!(
            "demographic parity difference {:.4}, equal opportunity difference {:.4}\n",
            groups.demographic_parity_difference, groups.equal_opportunity_difference
        ));
    }
    if !report.importance.is_empty() {
        text.push_str("\nPermutation importance (drop in score when the column is shuffled):\n");
        let mut rows = vec![vec!["column".to_owned(), "mean drop".to_owned(), "std".to_owned()]];
        for i in &report.importance {
            rows.push(vec![
                i.column.clone(),
                format!("{:.4}", i.importance.mean),
                format!("{:.4}", i.importance.std),
            ]);
        }
        text.push_str(&table_text(&rows));
    }
    if let Some(l) = report.latency {
        text.push_str(&format!(
            "\nLatency per row (raw cells to prediction): p50 {:.1} µs, p99 {:.1} µs over {} rows.\n",
            l.p50_us, l.p99_us, l.rows
        ));
    }
    text
}
