//! `tabml bench`.

use super::{load_table, load_table_on_one_thread, CliError, Output};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tabml::models::{self, Target};
use tabml::{ModelKind, ModelParams, Progress, TabmlError, Task};

/// What `tabml bench` was asked.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// The folder with classif_100k.csv and parse_1m.csv (and, for the drift check,
    /// drift_reference.csv and drift_current.csv, and drift_hc_reference.csv and drift_hc_current.csv).
    #[arg(long)]
    pub data: PathBuf,
    /// Time only the drift check.
    #[arg(long)]
    pub drift_only: bool,
    /// Time only reading this file of the folder, and report the process's peak memory.
    #[arg(long, conflicts_with = "drift_only")]
    pub read: Option<PathBuf>,
}

/// `tabml bench`: times tabml on the benchmark files `scripts/bench/make_data.py` writes, in the JSON
/// shape `scripts/bench/report.py` compares with scikit-learn's; with `--drift-only`, only the drift
/// check.
pub fn bench(args: &BenchArgs) -> Result<Output, CliError> {
    let text = match &args.read {
        Some(file) => super::bench_read::bench_read(&args.data.join(file))?,
        None if args.drift_only => bench_drift_only(&args.data)?,
        None => bench_all(&args.data)?,
    };
    Ok(text.into())
}

fn bench_all(data_dir: &Path) -> Result<String, CliError> {
    let classif_path = data_dir.join("classif_100k.csv");
    let table = load_table(&classif_path)?;
    let n = table.n_rows;
    let n_train = n * 4 / 5;
    let train_rows: Vec<usize> = (0..n_train).collect();
    let test_rows: Vec<usize> = (n_train..n).collect();
    let label = table.column("label").ok_or_else(|| CliError::Input {
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
        let params = ModelParams::resolve(kind, &task, &[])?;
        let mut best_fit = f64::INFINITY;
        let mut estimator = None;
        for _ in 0..fit_runs {
            let start = Instant::now();
            let fitted = models::fit(&params, &x_train, target, 0, &mut Progress::none())?;
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

    // From the file, as pandas.read_csv(path) is timed, on one thread as pandas reads (`--read`
    // times the two halves too).
    let parse_path = data_dir.join("parse_1m.csv");
    let mut best_parse = f64::INFINITY;
    for _ in 0..3 {
        let start = Instant::now();
        let parsed = load_table_on_one_thread(&parse_path)?;
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
    bench_drift_pairs(data_dir, &mut doc)?;
    Ok(doc.to_string())
}

/// `tabml bench --drift-only`: the drift timings alone, in `bench`'s JSON shape.
fn bench_drift_only(data_dir: &Path) -> Result<String, CliError> {
    let mut doc = json!({
        "tool": "tabml",
        "versions": {"tabml": tabml::VERSION},
        "timings": {},
    });
    if !bench_drift_pairs(data_dir, &mut doc)? {
        return Err(CliError::Argument(format!(
            "{}: no drift_reference.csv and drift_current.csv (nor drift_hc_reference.csv and drift_hc_current.csv)",
            data_dir.display()
        )));
    }
    Ok(doc.to_string())
}

/// The drift benchmark pairs (`scripts/bench/make_drift_data.py`): each file name's stem, which is
/// also its keys' prefix, and the key of its drifted-column count.
const DRIFT_PAIRS: [(&str, &str); 2] =
    [("drift", "drifted_columns"), ("drift_hc", "drift_hc_drifted_columns")];

/// Times each drift pair present in `data_dir` into `doc`: `timings.<stem>_read`, `_check` and
/// `_total`, and the drifted columns. Returns whether any pair was there.
fn bench_drift_pairs(data_dir: &Path, doc: &mut Value) -> Result<bool, CliError> {
    let mut any = false;
    for (stem, drifted_key) in DRIFT_PAIRS {
        if let Some(times) = bench_drift(data_dir, stem)? {
            doc["timings"][format!("{stem}_read")] = json!(times.read);
            doc["timings"][format!("{stem}_check")] = json!(times.check);
            doc["timings"][format!("{stem}_total")] = json!(times.total);
            doc[drifted_key] = json!(times.drifted);
            any = true;
        }
    }
    Ok(any)
}

/// One drift pair's timings, in seconds.
struct DriftTimes {
    /// Reading both files, one after the other, once.
    read: f64,
    /// The check alone, best of 3.
    check: f64,
    /// What `tabml drift --json` does, best of 3: both files read at once (two threads), the check,
    /// and the JSON report.
    total: f64,
    /// Columns that drifted.
    drifted: usize,
}

/// Times the drift check of the pair `<stem>_reference.csv`, `<stem>_current.csv`, when present.
fn bench_drift(data_dir: &Path, stem: &str) -> Result<Option<DriftTimes>, CliError> {
    let ref_path = data_dir.join(format!("{stem}_reference.csv"));
    let cur_path = data_dir.join(format!("{stem}_current.csv"));
    if !ref_path.exists() || !cur_path.exists() {
        return Ok(None);
    }
    let options = tabml::drift::DriftOptions::default();
    let check = |reference: &tabml::Table, current: &tabml::Table| {
        tabml::drift::check_tables(reference, current, &options)
            .map_err(|e| CliError::Input { path: cur_path.clone(), source: e.into() })
    };
    // One thread per file, as `tabml drift` reads them (and as pandas does).
    let start = Instant::now();
    let reference = load_table_on_one_thread(&ref_path)?;
    let current = load_table_on_one_thread(&cur_path)?;
    let read = start.elapsed().as_secs_f64();
    let (mut best, mut drifted) = (f64::INFINITY, 0);
    for _ in 0..3 {
        let start = Instant::now();
        let report = check(&reference, &current)?;
        best = best.min(start.elapsed().as_secs_f64());
        drifted = report.columns.iter().filter(|c| c.drift).count();
    }
    drop((reference, current));
    let mut total = f64::INFINITY;
    for _ in 0..3 {
        let start = Instant::now();
        let (current, reference) = super::drift::load_pair(&cur_path, &ref_path)?;
        let text = super::drift::drift_json(&check(&reference, &current)?).to_string();
        total = total.min(start.elapsed().as_secs_f64());
        std::hint::black_box(text);
    }
    Ok(Some(DriftTimes { read, check: best, total, drifted }))
}
