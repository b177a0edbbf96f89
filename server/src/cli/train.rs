//! `tabml train`.

use super::progress::Bar;
use super::{clock, load_table, metric_rows, metrics_json, read, write, CliError, Output};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use tabml::{
    ColumnKind, ModelKind, Params, ProblemCard, Progress, SearchConfig, SearchMethod, TabmlError, TaskKind,
    TrainConfig, Trained,
};

/// What `tabml train` was asked: its flags, checked by [`train`] (a bad value exits 1 with a
/// message naming the flag, as every other refusal does).
#[derive(Debug, Clone, clap::Args)]
pub struct TrainArgs {
    /// The CSV file to learn from.
    #[arg(long)]
    pub data: PathBuf,
    /// The column to predict.
    #[arg(long)]
    pub target: String,
    /// dummy, logreg, linreg, ridge, lasso, elasticnet, tree, forest, knn or gnb.
    #[arg(long)]
    pub model: String,
    /// Columns to leave out (comma separated; may repeat).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// A hyperparameter with scikit-learn's name, as NAME=VALUE (may repeat).
    #[arg(long = "param")]
    pub params: Vec<String>,
    /// The share of labelled rows held back for testing; 0 trains on every row.
    #[arg(long, default_value_t = 0.2)]
    pub test_size: f64,
    /// Seeds the split, the search and the model.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Tune hyperparameters first by cross-validation: grid, random or tpe.
    #[arg(long)]
    pub search: Option<String>,
    /// Candidates a search tries.
    #[arg(long, default_value_t = 20)]
    pub trials: usize,
    /// Cross-validation folds of a search.
    #[arg(long, default_value_t = 5)]
    pub cv: usize,
    /// Force classification or regression instead of reading it off the target.
    #[arg(long)]
    pub task: Option<String>,
    /// Override an inferred column type, as COLUMN=KIND (numeric, categorical, boolean, datetime,
    /// text; may repeat).
    #[arg(long = "type")]
    pub types: Vec<String>,
    /// A problem card (JSON: target_outcome, serves, decision, costly_errors, success_metric,
    /// constraints, risks) to store with the model.
    #[arg(long)]
    pub card: Option<PathBuf>,
    /// Where to write the model bundle.
    #[arg(long)]
    pub out: PathBuf,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// `tabml train`: trains, writes the bundle, prints the run.
pub fn train(args: &TrainArgs) -> Result<Output, CliError> {
    let mut table = load_table(&args.data)?;
    for text in &args.types {
        let (column, kind) = text.split_once('=').ok_or_else(|| {
            CliError::Argument(format!("--type {text:?}: expected COLUMN=KIND, e.g. zip_code=categorical"))
        })?;
        let kind = ColumnKind::from_label(kind.trim()).ok_or_else(|| {
            CliError::Argument(format!(
                "--type {text:?}: the kind must be one of numeric, categorical, boolean, datetime, text"
            ))
        })?;
        table
            .set_kind(column.trim(), kind)
            .map_err(|source| CliError::Input { path: args.data.clone(), source })?;
    }
    let card = match &args.card {
        Some(path) => serde_json::from_slice::<ProblemCard>(&read(path)?).map_err(|e| {
            CliError::Argument(format!(
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
            CliError::Argument(format!("--param {text:?}: expected NAME=VALUE, e.g. C=0.5"))
        })?;
        params.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    if !(0.0..1.0).contains(&args.test_size) {
        return Err(CliError::Argument(format!(
            "--test-size {}: expected a share in [0, 1), e.g. 0.2 (0 trains on every row)",
            args.test_size
        )));
    }
    for column in &args.ignore {
        if table.column(column).is_none() {
            return Err(CliError::Input {
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
            return Err(CliError::Argument(format!(
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
        return Err(CliError::Input {
            path: args.data.clone(),
            source: TabmlError::UnknownColumn(args.target.clone()),
        });
    }

    let bar = Bar::new("training");
    let mut update = |done: f64| bar.update(done);
    let (mut trials, mut best) = (0, f64::NEG_INFINITY);
    let mut on_trial = |trial: &tabml::Trial| {
        trials += 1;
        best = best.max(trial.score);
        bar.message(format!("training: {trials} trials, best {best:.4}"));
    };
    let mut progress = Progress::with_trials(&mut update, &mut on_trial);
    let trained =
        tabml::train_with(&table, &args.target, &config, &mut progress, &clock()).map_err(|source| {
            match source {
                TabmlError::Csv(_) | TabmlError::UnknownColumn(_) => {
                    CliError::Input { path: args.data.clone(), source }
                }
                other => CliError::Core(other),
            }
        })?;
    drop(bar);
    let bytes = trained.bundle.encode();
    write(&args.out, &bytes)?;
    Ok(if args.json {
        train_json(&trained, &args.out, bytes.len()).to_string()
    } else {
        train_text(&trained, &args.out, bytes.len())
    }
    .into())
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
