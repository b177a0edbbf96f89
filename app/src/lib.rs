//! The tabml browser app: a learner walks a model's life in the tab.
//!
//! State lives in [`Workbench`], a struct of signals handed to every step by context. Only
//! [`http`] speaks HTTP. Parsing, validation and training run in a Web Worker ([`worker`], driven
//! from the page by [`background`] over the messages of [`protocol`]), so the page never freezes.

pub mod background;
mod chart;
mod data_step;
pub mod http;
mod problem_step;
pub mod protocol;
mod results_step;
mod runs;
mod train_step;
pub mod worker;

use leptos::prelude::*;
use std::sync::Arc;
use tabml::{ModelBundle, ModelKind, ProblemCard};

/// A data set the learner has loaded: the worker holds the table; the page holds its summary.
#[derive(Clone, PartialEq)]
pub struct LoadedData {
    /// Columns, types, counts and the first rows.
    pub summary: Arc<protocol::DataSummary>,
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
    /// The last training's outcome: a report, or the error message to show.
    pub outcome: RwSignal<Option<Result<TrainedModel, String>>>,
}

/// A model to show: trained in this tab, or opened from a bundle file.
#[derive(Clone, PartialEq)]
pub struct TrainedModel {
    /// The bundle (for a training in this tab, the one the core produced).
    pub bundle: Arc<ModelBundle>,
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

/// Where a shown model came from.
#[derive(Clone, PartialEq)]
pub enum ModelSource {
    /// Trained in this tab's worker, in this many milliseconds.
    Trained { millis: f64 },
    /// Opened from a bundle file with this name.
    File { name: String },
}

impl Workbench {
    fn new() -> Self {
        Self {
            card: RwSignal::new(ProblemCard::learner_support_example()),
            data: RwSignal::new(None),
            target: RwSignal::new(String::new()),
            model: RwSignal::new(ModelKind::LogisticRegression),
            params: RwSignal::new(Vec::new()),
            seed: RwSignal::new(42),
            training: RwSignal::new(false),
            progress: RwSignal::new(0.0),
            runs: RwSignal::new(Vec::new()),
            compare: RwSignal::new(Vec::new()),
            outcome: RwSignal::new(None),
        }
    }
}

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    provide_context(Workbench::new());
    view! {
        <header class="top">
            <h1>"tabml"</h1>
            <span class="tagline">
                "Train and check a small model on a table, right here in your browser. Nothing to install; your data stays in this tab."
            </span>
            <ServerStatus/>
        </header>
        <main>
            <problem_step::ProblemStep/>
            <data_step::DataStep/>
            <train_step::TrainStep/>
            <results_step::ResultsStep/>
        </main>
        <footer>"tabml " {tabml::VERSION} " · training, scoring and evaluation run in WebAssembly in this tab"</footer>
    }
}

/// One numbered stage of the lifecycle, opening with what it is for and the mistake it guards against.
#[component]
pub fn Step(
    /// A short id: the section is `#step-{id}`.
    id: &'static str,
    /// The stage's position on the page.
    number: u8,
    /// The heading.
    title: &'static str,
    /// One or two sentences on why this stage matters.
    why: &'static str,
    /// The stage's controls and results.
    children: Children,
) -> impl IntoView {
    let title_id = format!("step-{id}-title");
    let labelled_by = title_id.clone();
    view! {
        <section class="step" id=format!("step-{id}") aria-labelledby=labelled_by>
            <h2 id=title_id><span class="num">{number}</span>{title}</h2>
            <p class="why">{why}</p>
            {children()}
        </section>
    }
}

/// A badge saying whether the shared registry server answers. Everything on the page works without it.
#[component]
fn ServerStatus() -> impl IntoView {
    let health = LocalResource::new(http::health);
    move || {
        match health.get() {
        None => view! { <span class="server-status">"checking the server…"</span> }.into_any(),
        Some(Ok(h)) if h.status == "ok" => view! {
            <span class="server-status ok" title="The shared model registry answers">
                "registry server v" {h.version} " connected"
            </span>
        }
        .into_any(),
        Some(_) => view! {
            <span class="server-status offline" title="Sharing needs the server; everything else works offline">
                "registry server offline — working locally"
            </span>
        }
        .into_any(),
    }
    }
}
