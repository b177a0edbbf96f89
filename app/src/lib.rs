//! The tabml browser app: a learner walks a model's life in the tab.
//!
//! State lives in [`Workbench`], a struct of signals handed to every step by context. Only
//! [`http`] speaks HTTP. Parsing, validation and training run in a Web Worker ([`worker`], driven
//! from the page by [`background`] over the messages of [`protocol`]), so the page never freezes.
//!
//! [`Step`] is the numbered section every stage uses: its heading and the sentence on why the stage
//! matters. On start, `restore` reads the saved work back (the card, the runs with the last one
//! shown, the data set replayed into the worker) and marks `<main data-restored>`. `read_file`
//! gives the bytes of a picked or dropped file.

pub mod background;
mod chart;
mod data_step;
pub mod engine;
pub mod http;
pub mod monitor;
mod monitor_step;
mod prepare_step;
mod problem_step;
pub mod protocol;
mod results_step;
mod runs;
pub mod store;
mod train_step;
pub mod worker;

use leptos::prelude::*;
use protocol::{ModelView, Reply, Request};
use std::sync::Arc;
use tabml::{ModelKind, ProblemCard};

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
    pub storage_error: RwSignal<Option<String>>,
    /// Bumped whenever the data sets kept in the browser change (once the change is saved).
    pub kept: RwSignal<u32>,
    /// The last training's outcome: a report, or the error message to show.
    pub outcome: RwSignal<Option<Result<TrainedModel, String>>>,
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
    pub(crate) async fn open(name: &str, bytes: Vec<u8>, source: ModelSource) -> Result<Self, String> {
        match background::request(Request::Open { name: name.to_owned() }, Some(bytes.clone()), None).await {
            Ok((Reply::Opened { digest, view }, _)) => {
                Ok(Self { view: Arc::from(view), file: Arc::new(BundleFile { bytes, digest }), source })
            }
            Ok((Reply::Failed(message), _)) | Err(message) => Err(message),
            Ok((other, _)) => Err(format!("unexpected answer {other:?}")),
        }
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

impl Workbench {
    fn new() -> Self {
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

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let bench = Workbench::new();
    provide_context(bench);
    leptos::task::spawn_local(restore(bench));
    // The card is saved as it is edited, once the saved one has been read back.
    Effect::new(move |_| {
        let card = bench.card.get();
        if bench.restored.get_untracked() {
            persist(bench, async move { store::save_card(&card).await });
        }
    });
    // So are the preparation, the test share and the seed.
    Effect::new(move |_| {
        let choices = store::Choices {
            prep: bench.prep.get(),
            test_fraction: bench.test_fraction.get(),
            seed: bench.seed.get(),
        };
        if bench.restored.get_untracked() {
            persist(bench, async move { store::save_choices(&choices).await });
        }
    });
    let forget = move |_| {
        leptos::task::spawn_local(async move {
            match store::clear().await {
                Ok(()) => {
                    if let Some(window) = web_sys::window() {
                        let _ = window.location().reload();
                    }
                }
                Err(e) => bench.storage_error.set(Some(e)),
            }
        })
    };
    view! {
        <header class="top">
            <h1>"tabml"</h1>
            <span class="tagline">
                "Train and check a small model on a table, right here in your browser. Nothing to install; your data stays in this browser."
            </span>
            <ServerStatus/>
        </header>
        {move || bench.storage_error.get().map(|e| view! {
            <div class="error storage-error" role="alert" id="storage-error">"Your work could not be saved in this browser: " {e} ". It still works in this tab until you close it."</div>
        })}
        <main data-restored=move || bench.restored.get().to_string() data-saving=move || bench.saving.get().to_string()>
            <problem_step::ProblemStep/>
            <data_step::DataStep/>
            <prepare_step::PrepareStep/>
            <train_step::TrainStep/>
            <results_step::ResultsStep/>
            <monitor_step::MonitorStep/>
        </main>
        <footer>
            "tabml " {tabml::VERSION} " · training, scoring and evaluation run in WebAssembly in this tab · your card, data set and runs are kept in this browser (IndexedDB) "
            <button type="button" id="forget-work" class="small" on:click=forget>"Forget everything saved here"</button>
        </footer>
    }
}

/// Saves in the background; a failure is shown at the top, and the work in the tab carries on.
pub(crate) fn persist(
    bench: Workbench,
    work: impl std::future::Future<Output = Result<(), String>> + 'static,
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
async fn restore(bench: Workbench) {
    match store::load_card().await {
        Ok(Some(card)) => bench.card.set(card),
        Ok(None) => {}
        Err(e) => bench.storage_error.set(Some(e)),
    }
    if let Ok(saved) = store::load_runs().await {
        // The worker reads the bundles back; one that no longer opens is left out.
        let mut records = Vec::with_capacity(saved.len());
        for run in saved {
            let source = ModelSource::Trained { millis: run.millis, stages: None };
            let name = format!("saved run #{}", run.number);
            if let Ok(model) = TrainedModel::open(&name, run.bundle, source).await {
                records.push(RunRecord { number: run.number, data: run.data, model });
            }
        }
        if let Some(last) = records.last() {
            bench.outcome.set(Some(Ok(last.model.clone())));
        }
        bench.runs.set(records);
    }
    if let Ok(Some((setup, bytes))) = store::load_data().await {
        data_step::restore_data(bench, setup, bytes).await;
        // After the data set, whose loading starts from the default preparation.
        if let Ok(Some(choices)) = store::load_choices().await {
            bench.prep.set(choices.prep);
            bench.test_fraction.set(choices.test_fraction);
            bench.seed.set(choices.seed);
        }
    }
    bench.restored.set(true);
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

/// Columns shown at once in the tables with a row per column (or a column per column); a wider data
/// set is paged, so that 10,000 columns never become 10,000 rows of controls in the page.
pub const COLUMN_PAGE: usize = 50;

/// Previous and next buttons over `total` columns shown [`COLUMN_PAGE`] at a time from `first`;
/// nothing when they all fit.
#[component]
pub fn ColumnPager(
    /// The element id.
    id: &'static str,
    /// Columns in all.
    total: usize,
    /// The index of the first column shown.
    first: RwSignal<usize>,
) -> impl IntoView {
    (total > COLUMN_PAGE).then(|| {
        let last = move || (first.get() + COLUMN_PAGE).min(total);
        let at_end = move || last() >= total;
        view! {
            <div class="pager" id=id role="group" aria-label="Which columns are shown">
                <button type="button" class="small pager-previous" disabled=move || first.get() == 0
                    on:click=move |_| first.update(|f| *f = f.saturating_sub(COLUMN_PAGE))>"◀ Previous columns"</button>
                <span class="pager-status" aria-live="polite">{move || format!(
                    "Columns {}–{} of {}, shown {COLUMN_PAGE} at a time",
                    thousands(first.get() + 1), thousands(last()), thousands(total)
                )}</span>
                <button type="button" class="small pager-next" disabled=at_end
                    on:click=move |_| first.update(|f| *f = (*f + COLUMN_PAGE).min(total.saturating_sub(1)))>"Next columns ▶"</button>
            </div>
        }
    })
}

/// The indices of the columns shown from `first`, out of `total`: one page, cut at the end.
pub fn column_page(first: usize, total: usize) -> std::ops::Range<usize> {
    let from = first.min(total);
    from..(from + COLUMN_PAGE).min(total)
}

/// `n` with a comma between each group of three digits: 100000 → "100,000".
pub fn thousands(n: usize) -> String {
    tabml::thousands(n as u64)
}

/// The bytes of a file the learner picked or dropped; the error names it.
pub(crate) async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
        Ok(buffer) => Ok(js_sys::Uint8Array::new(&buffer).to_vec()),
        Err(e) => Err(format!("Could not read {}: {}", file.name(), http::js_message(&e))),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_groups_digits_in_threes() {
        for (n, text) in
            [(0, "0"), (999, "999"), (1_000, "1,000"), (10_002, "10,002"), (1_234_567, "1,234,567")]
        {
            assert_eq!(super::thousands(n), text);
        }
    }
}
