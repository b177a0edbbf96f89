//! The batch commands of the `tabml` command line: `train`, `evaluate`, `score`, `drift` and
//! `bench`. They read files, call the core, and write bundles, predictions and reports (tables for
//! people, or JSON); the core does the rest. A [`BatchError`] names the file it concerns, and a
//! progress bar is drawn only on a terminal.

use serde_json::{json, Map, Value};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tabml::metrics::GroupReport;
use tabml::models::{self, Target};
use tabml::{
    parse_csv, ColumnKind, EvaluateOptions, Evaluation, EvaluationReport, ModelBundle, ModelKind, Params,
    Predictions, ProblemCard, Progress, SearchConfig, SearchMethod, Table, TabmlError, Task, TaskKind,
    TrainConfig, Trained,
};
use thiserror::Error;

/// A batch command that could not finish, saying which file and what is wrong.
#[derive(Debug, Error)]
pub enum BatchError {
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
    /// A prediction that is not a finite number: the row's values are beyond what the model handles.
    #[error("{path}: line {line}: the model's {output} is not a finite number (are the row's values far beyond the training data's?); nothing was written")]
    NotFinite { path: PathBuf, line: u64, output: String },
}

/// What `tabml train` was asked.
#[derive(Debug, Clone)]
pub struct TrainArgs {
    pub data: PathBuf,
    pub target: String,
    pub model: String,
    pub ignore: Vec<String>,
    pub params: Vec<String>,
    pub test_size: f64,
    pub seed: u64,
    pub search: Option<String>,
    pub trials: usize,
    pub cv: usize,
    pub task: Option<String>,
    pub types: Vec<String>,
    pub card: Option<PathBuf>,
    pub out: PathBuf,
    pub json: bool,
}

fn read(path: &Path) -> Result<Vec<u8>, BatchError> {
    std::fs::read(path).map_err(|source| BatchError::Io { path: path.to_owned(), source })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), BatchError> {
    std::fs::write(path, bytes).map_err(|source| BatchError::Io { path: path.to_owned(), source })
}

/// Reads a CSV file into a table; errors name the file and the line.
pub fn load_table(path: &Path) -> Result<Table, BatchError> {
    parse_csv(&read(path)?).map_err(|e| BatchError::Input { path: path.to_owned(), source: e.into() })
}

/// Reads a model bundle; errors name the file.
pub fn load_bundle(path: &Path) -> Result<ModelBundle, BatchError> {
    ModelBundle::decode(&read(path)?)
        .map_err(|e| BatchError::Input { path: path.to_owned(), source: e.into() })
}

fn clock() -> impl Fn() -> f64 {
    let start = Instant::now();
    move || start.elapsed().as_secs_f64() * 1000.0
}

/// A progress bar on standard error, drawn only when it is a terminal.
struct Bar {
    label: &'static str,
    shown: i64,
    tty: bool,
}

impl Bar {
    fn new(label: &'static str) -> Self {
        Self { label, shown: -1, tty: std::io::stderr().is_terminal() }
    }

    fn update(&mut self, done: f64) -> bool {
        let percent = (done * 100.0).floor() as i64;
        if self.tty && percent != self.shown {
            self.shown = percent;
            let filled = (percent / 4) as usize;
            eprint!(
                "\r{} [{}{}] {percent:>3}%",
                self.label,
                "#".repeat(filled),
                " ".repeat(25 - filled.min(25))
            );
            let _ = std::io::stderr().flush();
        }
        true
    }

    fn finish(&self) {
        if self.tty && self.shown >= 0 {
            eprintln!();
        }
    }
}

/// `tabml train`: trains, writes the bundle, prints the run.
pub fn train(args: &TrainArgs) -> Result<String, BatchError> {
    let mut table = load_table(&args.data)?;
    for text in &args.types {
        let (column, kind) = text.split_once('=').ok_or_else(|| {
            BatchError::Argument(format!("--type {text:?}: expected COLUMN=KIND, e.g. zip_code=categorical"))
        })?;
        let kind = ColumnKind::from_label(kind.trim()).ok_or_else(|| {
            BatchError::Argument(format!(
                "--type {text:?}: the kind must be one of numeric, categorical, boolean, datetime, text"
            ))
        })?;
        table
            .set_kind(column.trim(), kind)
            .map_err(|source| BatchError::Input { path: args.data.clone(), source })?;
    }
    let card = match &args.card {
        Some(path) => serde_json::from_slice::<ProblemCard>(&read(path)?).map_err(|e| {
            BatchError::Argument(format!(
                "{}: not a problem card ({e}); expected a JSON object with target_outcome, serves, decision, costly_errors, success_metric, constraints and risks",
                path.display()
            ))
        })?,
        None => ProblemCard::default(),
    };
    let model = ModelKind::from_name(&args.model)?;
    let mut params = Vec::new();
    for text in &args.params {
        let (name, value) = text.split_once('=').ok_or_else(|| {
            BatchError::Argument(format!("--param {text:?}: expected NAME=VALUE, e.g. C=0.5"))
        })?;
        params.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    if !(0.0..1.0).contains(&args.test_size) {
        return Err(BatchError::Argument(format!(
            "--test-size {}: expected a share in [0, 1), e.g. 0.2 (0 trains on every row)",
            args.test_size
        )));
    }
    for column in &args.ignore {
        if table.column(column).is_none() {
            return Err(BatchError::Input {
                path: args.data.clone(),
                source: TabmlError::UnknownColumn(column.clone()),
            });
        }
    }
    let task = match args.task.as_deref() {
        None => None,
        Some("classification") => Some(TaskKind::Classification),
        Some("regression") => Some(TaskKind::Regression),
        Some(other) => {
            return Err(BatchError::Argument(format!(
                "--task {other:?}: expected classification or regression"
            )))
        }
    };
    let search = match &args.search {
        None => None,
        Some(method) => Some(SearchConfig {
            method: SearchMethod::from_name(method)?,
            trials: args.trials,
            folds: args.cv,
        }),
    };
    let mut config = TrainConfig::new(model);
    config.params = params;
    config.test_fraction = args.test_size;
    config.seed = args.seed;
    config.prep.ignore = args.ignore.clone();
    config.task = task;
    config.search = search;
    config.card = card;
    if args.target.is_empty() || table.column(&args.target).is_none() {
        return Err(BatchError::Input {
            path: args.data.clone(),
            source: TabmlError::UnknownColumn(args.target.clone()),
        });
    }

    let mut bar = Bar::new("training");
    let mut update = |done: f64| bar.update(done);
    let trained = tabml::train_with(&table, &args.target, &config, &mut Progress::new(&mut update), &clock())
        .map_err(|source| match source {
            TabmlError::Csv(_) | TabmlError::UnknownColumn(_) => {
                BatchError::Input { path: args.data.clone(), source }
            }
            other => BatchError::Core(other),
        })?;
    bar.finish();
    let bytes = trained.bundle.encode();
    write(&args.out, &bytes)?;
    Ok(if args.json {
        train_json(&trained, &args.out, bytes.len()).to_string()
    } else {
        train_text(&trained, &args.out, bytes.len())
    })
}

fn params_json(params: &Params) -> Value {
    let mut map = Map::new();
    for (name, value) in &params.values {
        let v = match value {
            tabml::models::ParamValue::Int(i) => json!(i),
            tabml::models::ParamValue::Float(f) => json!(f),
            tabml::models::ParamValue::Text(t) => json!(t),
            tabml::models::ParamValue::Bool(b) => json!(b),
            tabml::models::ParamValue::None => Value::Null,
        };
        map.insert(name.clone(), v);
    }
    Value::Object(map)
}

/// The headline metrics of an evaluation and of its baseline, as two JSON objects of numbers.
fn metrics_json(evaluation: &Evaluation) -> (Value, Value) {
    let table = evaluation.metric_table();
    let metrics = table.iter().map(|(name, model, _)| ((*name).to_owned(), json!(model))).collect();
    let baseline = table.iter().map(|(name, _, baseline)| ((*name).to_owned(), json!(baseline))).collect();
    (Value::Object(metrics), Value::Object(baseline))
}

fn train_json(trained: &Trained, out: &Path, size: usize) -> Value {
    let b = &trained.bundle;
    let (metrics, baseline) = b.evaluation.as_ref().map(metrics_json).unwrap_or((json!({}), json!({})));
    let search = trained.run.search.as_ref().map(|s| {
        json!({
            "method": s.method,
            "metric": s.metric,
            "folds": s.folds,
            "best": s.best,
            "best_score": s.trials[s.best].score,
            "trials": s.trials.iter().map(|t| json!({
                "params": t.params.iter().map(|(n, v)| (n.clone(), json!(v))).collect::<Map<_, _>>(),
                "score": t.score,
                "fold_scores": t.fold_scores,
            })).collect::<Vec<_>>(),
        })
    });
    let d = trained.run.durations;
    json!({
        "bundle": out.display().to_string(),
        "bytes": size,
        "digest": b.digest(),
        "model": b.model.name(),
        "task": b.task.label(),
        "classes": b.task.classes(),
        "target": b.target,
        "params": params_json(&b.params),
        "seed": b.training.seed,
        "n_train": b.training.n_train,
        "n_test": b.training.n_test,
        "n_unlabelled": b.training.n_unlabelled,
        "fingerprints": b.training.fingerprints,
        "features": b.feature_names.len(),
        "skipped_columns": b.prep.skipped.iter().map(|s| json!({"column": s.column, "reason": s.reason})).collect::<Vec<_>>(),
        "metrics": metrics,
        "baseline": baseline,
        "search": search,
        "estimator": b.estimator.summary(),
        "durations_ms": {"prepare": d.prepare_ms, "search": d.search_ms, "fit": d.fit_ms, "evaluate": d.evaluate_ms, "total": d.total_ms},
    })
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

fn train_text(trained: &Trained, out: &Path, size: usize) -> String {
    let b = &trained.bundle;
    let mut text = format!(
        "Trained {} ({}) to predict {:?} ({}).\n  params: {}\n  rows: {} train, {} test, {} without a label\n  model: {}\n",
        b.model.label(),
        b.model.name(),
        b.target,
        b.task.label(),
        b.params.describe(),
        b.training.n_train,
        b.training.n_test,
        b.training.n_unlabelled,
        b.estimator.summary(),
    );
    if let Some(search) = &trained.run.search {
        let best = &search.trials[search.best];
        text.push_str(&format!(
            "  search: {:?}, {} trials, {}-fold CV; best mean {} {:.4} with {}\n",
            search.method,
            search.trials.len(),
            search.folds,
            search.metric,
            best.score,
            best.params.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join(", ")
        ));
    }
    match &b.evaluation {
        Some(evaluation) => {
            text.push_str("\nTest metrics beside the dummy baseline:\n");
            text.push_str(&metric_rows(evaluation));
        }
        None => text.push_str(
            "\nEvery row trained (--test-size 0): no test metrics. Use `tabml evaluate` on held-out data.\n",
        ),
    }
    text.push_str(&format!(
        "\nWrote {} ({:.1} KB, sha256 {}) in {:.0} ms.\n",
        out.display(),
        size as f64 / 1024.0,
        &b.digest()[..16],
        trained.run.durations.total_ms
    ));
    text
}

/// `tabml evaluate`: measures a bundle on a labelled file.
pub fn evaluate(
    model: &Path,
    data: &Path,
    group: Option<&str>,
    json_out: bool,
) -> Result<String, BatchError> {
    let bundle = load_bundle(model)?;
    let table = load_table(data)?;
    let options =
        EvaluateOptions { group: group.map(str::to_owned), importance_repeats: 3, latency_rows: 1000 };
    let report = tabml::evaluate(&bundle, &table, &options, &clock())
        .map_err(|source| BatchError::Input { path: data.to_owned(), source })?;
    Ok(if json_out {
        evaluate_json(&bundle, &report, group).to_string()
    } else {
        evaluate_text(&bundle, &report, group)
    })
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

/// `tabml score`: writes one prediction per row of `data` to `out`.
pub fn score(model: &Path, data: &Path, out: &Path) -> Result<String, BatchError> {
    let bundle = load_bundle(model)?;
    let table = load_table(data)?;
    let predictions =
        bundle.score(&table).map_err(|source| BatchError::Input { path: data.to_owned(), source })?;
    refuse_non_finite(&predictions, &bundle.task, &table, data)?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| BatchError::Io { path: out.to_owned(), source: std::io::Error::other(e) };
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
        _ => return Err(BatchError::Argument("the bundle's predictions do not match its task".into())),
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| BatchError::Io { path: out.to_owned(), source: std::io::Error::other(e.to_string()) })?;
    write(out, &bytes)?;
    Ok(format!(
        "Scored {} rows with {} ({}); wrote {}.\n",
        table.n_rows,
        bundle.model.label(),
        bundle.target,
        out.display()
    ))
}

/// Refuses predictions with a value that is not a finite number, naming the first such row: a
/// file of NaN probabilities would pass for predictions downstream.
fn refuse_non_finite(
    predictions: &Predictions,
    task: &Task,
    table: &Table,
    data: &Path,
) -> Result<(), BatchError> {
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
            Err(BatchError::NotFinite { path: data.to_owned(), line: table.line_of(row), output })
        }
        None => Ok(()),
    }
}

/// `tabml bench`: times tabml on the benchmark files `scripts/bench/make_data.py` writes, in the JSON
/// shape `scripts/bench/report.py` compares with scikit-learn's.
pub fn bench(data_dir: &Path) -> Result<String, BatchError> {
    let classif_path = data_dir.join("classif_100k.csv");
    let table = load_table(&classif_path)?;
    let n = table.n_rows;
    let n_train = n * 4 / 5;
    let train_rows: Vec<usize> = (0..n_train).collect();
    let test_rows: Vec<usize> = (n_train..n).collect();
    let label = table.column("label").ok_or_else(|| BatchError::Input {
        path: classif_path.clone(),
        source: TabmlError::UnknownColumn("label".into()),
    })?;
    let task = Task::for_target(label)?;
    let classes = task.classes().to_vec();
    let label_of = |r: usize| -> usize {
        let cell = label.cell(r).unwrap_or_default();
        classes.iter().position(|c| c == cell).unwrap_or(0)
    };
    let plan = tabml::FeaturePlan::fit(&table, "label", &train_rows);
    let x_train = plan.transform_matrix(&table, &train_rows);
    let x_test = plan.transform_matrix(&table, &test_rows);
    let y_train: Vec<usize> = train_rows.iter().map(|&r| label_of(r)).collect();
    let y_test: Vec<usize> = test_rows.iter().map(|&r| label_of(r)).collect();
    let target = Target::Classes { labels: &y_train, n_classes: classes.len() };

    let mut timings = Map::new();
    let mut latency = Map::new();
    let mut accuracy = Map::new();
    for (name, kind, fit_runs, row_repeats) in [
        ("logreg", ModelKind::LogisticRegression, 3, 1000),
        ("tree", ModelKind::DecisionTree, 3, 1000),
        ("forest", ModelKind::RandomForest, 1, 200),
    ] {
        let params = Params::resolve(kind, &task, &[])?;
        let mut best_fit = f64::INFINITY;
        let mut estimator = None;
        for _ in 0..fit_runs {
            let start = Instant::now();
            let fitted = models::fit(kind, &params, &x_train, target, 0, &mut Progress::none())?;
            best_fit = best_fit.min(start.elapsed().as_secs_f64());
            estimator = Some(fitted);
        }
        let estimator = estimator.expect("at least one fit");
        let mut best_predict = f64::INFINITY;
        let mut proba = Vec::new();
        for _ in 0..3 {
            let start = Instant::now();
            proba = estimator.predict_proba_flat(&x_test, classes.len());
            best_predict = best_predict.min(start.elapsed().as_secs_f64());
        }
        let predicted: Vec<usize> =
            proba.chunks_exact(classes.len()).map(|p| usize::from(p.len() > 1 && p[1] > p[0])).collect();
        accuracy.insert(format!("{name}_accuracy"), json!(tabml::metrics::accuracy(&y_test, &predicted)));
        timings.insert(format!("{name}_fit"), json!(best_fit));
        timings.insert(format!("{name}_predict"), json!(best_predict));

        let row: Vec<f64> = x_test.row(0).to_vec();
        let mut scratch = models::Scratch::default();
        let mut out = vec![0.0; classes.len()];
        let mut times: Vec<f64> = (0..row_repeats)
            .map(|_| {
                let start = Instant::now();
                estimator.proba_row(std::hint::black_box(&row), &mut scratch, &mut out);
                std::hint::black_box(&out);
                start.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        times.sort_by(f64::total_cmp);
        latency.insert(format!("{name}_row_us"), json!(tabml::metrics::percentile_sorted(&times, 50.0)));
        latency.insert(format!("{name}_row_p99_us"), json!(tabml::metrics::percentile_sorted(&times, 99.0)));
    }

    let parse_path = data_dir.join("parse_1m.csv");
    let bytes = read(&parse_path)?;
    let mut best_parse = f64::INFINITY;
    for _ in 0..3 {
        let start = Instant::now();
        let parsed = parse_csv(&bytes)
            .map_err(|e| BatchError::Input { path: parse_path.clone(), source: e.into() })?;
        best_parse = best_parse.min(start.elapsed().as_secs_f64());
        std::hint::black_box(parsed.n_rows);
    }
    timings.insert("csv_parse".into(), json!(best_parse));
    let mut doc = json!({
        "tool": "tabml",
        "versions": {"tabml": tabml::VERSION},
        "timings": timings,
        "latency_us": latency,
        "accuracy": accuracy,
    });
    if let Some((read, check, drifted)) = bench_drift(data_dir)? {
        doc["timings"]["drift_read"] = json!(read);
        doc["timings"]["drift_check"] = json!(check);
        doc["drifted_columns"] = json!(drifted);
    }
    Ok(doc.to_string())
}

/// `tabml bench --drift-only`: the drift timings alone, in `bench`'s JSON shape.
pub fn bench_drift_only(data_dir: &Path) -> Result<String, BatchError> {
    let (read, check, drifted) = bench_drift(data_dir)?.ok_or_else(|| {
        BatchError::Argument(format!("{}: no drift_reference.csv and drift_current.csv", data_dir.display()))
    })?;
    Ok(json!({
        "tool": "tabml",
        "versions": {"tabml": tabml::VERSION},
        "timings": {"drift_read": read, "drift_check": check},
        "drifted_columns": drifted,
    })
    .to_string())
}

/// Times the drift check of the benchmark pair (`scripts/bench/make_drift_data.py`), when present:
/// reading both files, and the check itself (best of 3). Returns the seconds and the drifted columns.
fn bench_drift(data_dir: &Path) -> Result<Option<(f64, f64, usize)>, BatchError> {
    let (ref_path, cur_path) = (data_dir.join("drift_reference.csv"), data_dir.join("drift_current.csv"));
    if !ref_path.exists() || !cur_path.exists() {
        return Ok(None);
    }
    let start = Instant::now();
    let reference = load_table(&ref_path)?;
    let current = load_table(&cur_path)?;
    let read = start.elapsed().as_secs_f64();
    let options = tabml::drift::DriftOptions::default();
    let mut best = f64::INFINITY;
    let mut drifted = 0;
    for _ in 0..3 {
        let start = Instant::now();
        let report = tabml::drift::check_tables(&reference, &current, &options)
            .map_err(|e| BatchError::Input { path: cur_path.clone(), source: e.into() })?;
        best = best.min(start.elapsed().as_secs_f64());
        drifted = report.columns.iter().filter(|c| c.drift).count();
    }
    Ok(Some((read, best, drifted)))
}

/// What `tabml drift` was asked.
#[derive(Debug, Clone, Default)]
pub struct DriftArgs {
    /// A reference CSV file (or `model`).
    pub reference: Option<PathBuf>,
    /// A model bundle whose training profile is the reference.
    pub model: Option<PathBuf>,
    /// The current CSV file.
    pub current: PathBuf,
    /// `COLUMN=TEST` or `COLUMN=TEST:THRESHOLD`.
    pub column_tests: Vec<String>,
    /// `COLUMN=THRESHOLD`.
    pub thresholds: Vec<String>,
    /// Columns left out.
    pub ignore: Vec<String>,
    /// The share of drifted columns at which the data set drifts.
    pub drift_share: f64,
    /// Print one JSON object.
    pub json: bool,
}

fn split_assignment<'a>(flag: &str, text: &'a str) -> Result<(&'a str, &'a str), BatchError> {
    text.rsplit_once('=')
        .filter(|(column, value)| !column.is_empty() && !value.is_empty())
        .ok_or_else(|| BatchError::Argument(format!("{flag} {text:?}: expected COLUMN=VALUE")))
}

fn parse_threshold(flag: &str, text: &str) -> Result<f64, BatchError> {
    text.parse::<f64>()
        .ok()
        .filter(|t| t.is_finite() && *t >= 0.0)
        .ok_or_else(|| BatchError::Argument(format!("{flag}: threshold {text:?} is not a number at least 0")))
}

/// The options `tabml drift`'s flags ask for.
pub fn drift_options(args: &DriftArgs) -> Result<tabml::drift::DriftOptions, BatchError> {
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
            BatchError::Argument(format!(
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

/// `tabml drift`: checks a current file against a reference file or a model's training profile.
/// Returns the report as text (or JSON) and whether the data set drifted.
pub fn drift(args: &DriftArgs) -> Result<(String, bool), BatchError> {
    let options = drift_options(args)?;
    let current = load_table(&args.current)?;
    let (report, reference_name) = match (&args.reference, &args.model) {
        (Some(path), None) => {
            let reference = load_table(path)?;
            let report = tabml::drift::check_tables(&reference, &current, &options)
                .map_err(|e| BatchError::Input { path: args.current.clone(), source: e.into() })?;
            (report, path.display().to_string())
        }
        (None, Some(path)) => {
            let bundle = load_bundle(path)?;
            let report = tabml::drift::check_model(&bundle, &current, &options)
                .map_err(|e| BatchError::Input { path: args.current.clone(), source: e.into() })?;
            (report, format!("the training data of {}", path.display()))
        }
        _ => return Err(BatchError::Argument("give exactly one of --reference and --model".into())),
    };
    let text = if args.json {
        drift_json(&report).to_string()
    } else {
        drift_text(&report, &reference_name, &args.current.display().to_string())
    };
    Ok((text, report.dataset_drift))
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
