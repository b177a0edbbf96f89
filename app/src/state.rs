//! The learner's work in this tab, shared by every page through leptos's context: [`Workbench`],
//! a struct of signals, and the models it shows. [`persist`] saves in the background and
//! [`restore`] reads the saved work back on start.

use crate::client::{self, WorkerError};
use crate::files::FileError;
use crate::store::{self, DataSetup, StoreError};
use crate::worker::messages::{DataSummary, ModelView};
use leptos::prelude::*;
use std::sync::Arc;
use tabml::{ModelKind, ProblemCard};
use thiserror::Error;

/// Why there is no model to show: what the learner tried, and why it did not work.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ModelError {
    /// Training failed (or was cancelled).
    #[error("Training failed. {0}")]
    Training(WorkerError),
    /// A file did not open as a model.
    #[error("This file could not be opened as a model. {0}")]
    Opening(WorkerError),
    /// A picked file could not be read at all.
    #[error("{0}")]
    Reading(FileError),
}

/// A data set the learner has loaded: the worker holds the table; the page holds its summary.
#[derive(Clone, PartialEq)]
pub struct LoadedData {
    /// Columns, types, counts and the first rows.
    pub summary: Arc<DataSummary>,
}

/// The learner's work in this tab, shared by every step.
#[derive(Clone, Copy)]
pub struct Workbench {
    /// The problem card, stored in every model trained.
    pub card: RwSignal<ProblemCard>,
    /// The loaded data set, if any.
    pub data: RwSignal<Option<LoadedData>>,
    /// The column to predict.
    pub target: RwSignal<String>,
    /// The model family to train.
    pub model: RwSignal<ModelKind>,
    /// Hyperparameters the learner changed from their defaults (scikit-learn names, text values).
    pub params: RwSignal<Vec<(String, String)>>,
    /// The hyperparameter search to run before the final fit, if any.
    pub search: RwSignal<Option<tabml::SearchConfig>>,
    /// The trials of the current (or last) search, as they finish.
    pub trials: RwSignal<Vec<tabml::Trial>>,
    /// How columns become features (fill-ins, scaling, bins, columns left out).
    pub prep: RwSignal<tabml::PrepConfig>,
    /// The share of rows held back for testing.
    pub test_fraction: RwSignal<f64>,
    /// The seed for the split and the model.
    pub seed: RwSignal<u64>,
    /// True while a model trains.
    pub training: RwSignal<bool>,
    /// How far the current training is, in `[0, 1]`.
    pub progress: RwSignal<f64>,
    /// Every model trained in this tab, oldest first.
    pub runs: RwSignal<Vec<RunRecord>>,
    /// The run numbers ticked for comparison.
    pub compare: RwSignal<Vec<usize>>,
    /// How the loaded data set was set up (name, type changes, target), as saved for a reload.
    pub setup: RwSignal<store::DataSetup>,
    /// Whether the saved work has been read back (saving waits for it, so as not to overwrite it).
    pub restored: RwSignal<bool>,
    /// Saves in flight (shown on `<main data-saving>`, so tests and tools can wait for them).
    pub saving: RwSignal<usize>,
    /// Why saving in the browser failed, if it did.
    pub storage_error: RwSignal<Option<StoreError>>,
    /// Bumped whenever the data sets kept in the browser change (once the change is saved).
    pub kept: RwSignal<u32>,
    /// The last training's outcome: a report, or the error message to show.
    pub outcome: RwSignal<Option<Result<TrainedModel, ModelError>>>,
}

/// A model to show: trained in this tab, or opened from a bundle file.
#[derive(Clone, PartialEq)]
pub struct TrainedModel {
    /// What the page shows of its bundle (the worker decodes bundles; the page never does).
    pub view: Arc<ModelView>,
    /// Its encoded bytes (the `.tabml` file) and their SHA-256, kept so the page never encodes or
    /// hashes a large bundle again.
    pub file: Arc<BundleFile>,
    /// Where it came from.
    pub source: ModelSource,
}

/// One training in this tab.
#[derive(Clone, PartialEq)]
pub struct RunRecord {
    /// 1, 2, … in the order trained.
    pub number: usize,
    /// The data set's name.
    pub data: String,
    /// The model.
    pub model: TrainedModel,
}

/// A bundle's bytes and digest.
#[derive(Debug, PartialEq)]
pub struct BundleFile {
    /// The `.tabml` bytes.
    pub bytes: Vec<u8>,
    /// `ModelBundle::digest` of them, as the worker computed it.
    pub digest: String,
}

impl TrainedModel {
    /// Asks the worker to read `bytes` as a bundle (`name` says where they came from, for
    /// messages) and returns the model to show.
    pub(crate) async fn open(name: &str, bytes: Vec<u8>, source: ModelSource) -> Result<Self, WorkerError> {
        let (digest, view) = client::open(name, bytes.clone()).await?;
        Ok(Self { view: Arc::new(view), file: Arc::new(BundleFile { bytes, digest }), source })
    }
}

/// Where a shown model came from.
#[derive(Clone, PartialEq)]
pub enum ModelSource {
    /// Trained in this tab's worker, in this many milliseconds; `stages` says where they went
    /// (known for a training since the page loaded, not for one read back from the store).
    Trained { millis: f64, stages: Option<tabml::Durations> },
    /// Opened from a bundle file with this name.
    File { name: String },
}

impl Default for Workbench {
    /// A fresh tab: the worked example's card, nothing loaded, logistic regression, seed 42.
    fn default() -> Self {
        Self {
            card: RwSignal::new(ProblemCard::learner_support_example()),
            data: RwSignal::new(None),
            target: RwSignal::new(String::new()),
            model: RwSignal::new(ModelKind::LogisticRegression),
            params: RwSignal::new(Vec::new()),
            search: RwSignal::new(None),
            trials: RwSignal::new(Vec::new()),
            prep: RwSignal::new(tabml::PrepConfig::default()),
            test_fraction: RwSignal::new(0.2),
            seed: RwSignal::new(42),
            training: RwSignal::new(false),
            progress: RwSignal::new(0.0),
            runs: RwSignal::new(Vec::new()),
            compare: RwSignal::new(Vec::new()),
            setup: RwSignal::new(store::DataSetup::default()),
            restored: RwSignal::new(false),
            saving: RwSignal::new(0),
            storage_error: RwSignal::new(None),
            kept: RwSignal::new(0),
            outcome: RwSignal::new(None),
        }
    }
}

/// Saves in the background; a failure is shown at the top, and the work in the tab carries on.
pub(crate) fn persist(
    bench: Workbench,
    work: impl std::future::Future<Output = Result<(), StoreError>> + 'static,
) {
    bench.saving.update(|n| *n += 1);
    leptos::task::spawn_local(async move {
        if let Err(e) = work.await {
            bench.storage_error.set(Some(e));
        }
        bench.saving.update(|n| *n -= 1);
    });
}

/// Reads back what was saved in this browser: the card, the runs (the last one shown), and the data
/// set with its type changes, target, preparation, test share and seed.
pub async fn restore(bench: Workbench) {
    match store::load_card().await {
        Ok(Some(card)) => bench.card.set(card),
        Ok(None) => {}
        Err(e) => bench.storage_error.set(Some(e)),
    }
    if let Ok(saved) = store::load_runs().await {
        // Each run's view was saved beside its bundle. Only a run saved before views were kept
        // has the worker read its bundle back; one that no longer opens is left out.
        let mut records = Vec::with_capacity(saved.len());
        for run in saved {
            let source = ModelSource::Trained { millis: run.millis, stages: None };
            let model = match run.view {
                Some(view) => Ok(TrainedModel {
                    view: Arc::new(view),
                    file: Arc::new(BundleFile { bytes: run.bundle, digest: run.digest }),
                    source,
                }),
                None => TrainedModel::open(&format!("saved run #{}", run.number), run.bundle, source).await,
            };
            if let Ok(model) = model {
                records.push(RunRecord { number: run.number, data: run.data, model });
            }
        }
        if let Some(last) = records.last() {
            bench.outcome.set(Some(Ok(last.model.clone())));
        }
        bench.runs.set(records);
    }
    if let Ok(Some((setup, bytes))) = store::load_data().await {
        restore_data(bench, setup, bytes).await;
        // After the data set, whose loading starts from the default preparation.
        if let Ok(Some(choices)) = store::load_choices().await {
            bench.prep.set(choices.prep);
            bench.test_fraction.set(choices.test_fraction);
            bench.seed.set(choices.seed);
        }
    }
    bench.restored.set(true);
}

/// Loads a saved data set into the worker again, with its type changes and target (after a reload).
/// A file that no longer loads is left out quietly: the learner can open it again.
async fn restore_data(bench: Workbench, setup: DataSetup, bytes: Vec<u8>) {
    let Ok(mut summary) = client::load(&setup.name, bytes).await else { return };
    for (column, kind) in &setup.kinds {
        if let Ok(changed) = client::set_kind(column, *kind).await {
            summary = changed;
        }
    }
    let target = if summary.column(&setup.target).is_some() {
        setup.target.clone()
    } else {
        summary.columns.last().map(|c| c.name.clone()).unwrap_or_default()
    };
    bench.setup.set(setup);
    choose_target(bench, &summary, &target);
    bench.data.set(Some(LoadedData { summary: Arc::new(summary) }));
}

/// Sets the target and, if the current model cannot do the target's task, the first real model that
/// can (the dummy baseline is measured beside every model anyway).
pub fn choose_target(bench: Workbench, summary: &DataSummary, target: &str) {
    bench.target.set(target.to_owned());
    if bench.setup.with_untracked(|s| s.target != target) {
        bench.setup.update(|s| s.target = target.to_owned());
        let setup = bench.setup.get_untracked();
        persist(bench, async move { store::save_setup(&setup).await });
    }
    if let Some(task) = summary.column(target).and_then(|c| c.as_target.clone().ok()) {
        let current = bench.model.get_untracked();
        if !current.supports(&task) {
            if let Some(kind) =
                ModelKind::ALL.into_iter().find(|k| *k != ModelKind::Dummy && k.supports(&task))
            {
                bench.model.set(kind);
                bench.params.set(Vec::new());
            }
        }
    }
}
