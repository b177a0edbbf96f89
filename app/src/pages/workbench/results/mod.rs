//! The Evaluate step: the test score beside the baseline, the confusion matrix (or predicted against
//! actual), and a chart.
//!
//! For two classes, a threshold slider (with best-F1 and 80%-recall presets) recomputes precision,
//! recall, F1 and the confusion matrix from the test rows' probabilities, live, and marks the
//! threshold on the ROC and precision–recall curves. "Look deeper" asks the worker
//! (`Request::Explain`, by bundle digest) to measure the last model trained there on its test rows:
//! permutation importance, scores per group of a categorical column with the fairness gaps, and the
//! mean scoring time per row over whole batches (a browser's clock is too coarse for single rows).
//!
//! Below: the model card stored in the bundle, the bundle's size and SHA-256
//! (`#result-bundle[data-digest]`), a download link (a `Blob` object URL, revoked when the results
//! go away), and an opener for saved `.tabml` files, which the worker reads (`TrainedModel::open`;
//! `TrainedModel.source` says trained here or opened from a file). `share.rs`: the panel that shares
//! the shown model with the class's registry, with its run.

mod share;

use super::steps::{Step, StepId};
use crate::client::{self, WorkerError};
use crate::state::{ModelError, ModelSource, TrainedModel, Workbench};
use crate::widgets::chart;
use crate::worker::messages::Explanation;
use leptos::html::Canvas;
use leptos::prelude::*;

use tabml::{Evaluation, Task};

/// The results step.
#[component]
pub fn ResultsStep() -> impl IntoView {
    let bench = expect_context::<Workbench>();
    view! {
        <Step step=StepId::Evaluate>
            <BundleOpener/>
            {move || match bench.outcome.get() {
                None if bench.training.get() => view! { <p class="hint" role="status">"Training in the background in this tab; the page stays usable…"</p> }.into_any(),
                None => view! { <p class="hint">{format!("Train a model in {} to see how it does.", StepId::Train.named())}</p> }.into_any(),
                Some(Err(e)) => view! {
                    <div class="error" role="alert" id="train-error">{e.to_string()}</div>
                }.into_any(),
                Some(Ok(trained)) => view! { <Results trained/> }.into_any(),
            }}
        </Step>
    }
}

/// Measures more of the model on its test rows, on request (it takes a while for big models): the
/// permutation importance of every input column, scores per group of a chosen column with the gaps
/// between groups, and latency per row.
#[component]
fn Explain(digest: String, classifier: bool) -> impl IntoView {
    let bench = expect_context::<Workbench>();
    let group = RwSignal::new(String::new());
    let working = RwSignal::new(false);
    let result = RwSignal::new(None::<Result<Explanation, WorkerError>>);
    let group_choices: Vec<String> = bench.data.with_untracked(|d| {
        d.as_ref()
            .map(|d| {
                d.summary
                    .columns
                    .iter()
                    .filter(|c| matches!(c.kind, tabml::ColumnKind::Categorical | tabml::ColumnKind::Boolean))
                    .map(|c| c.name.clone())
                    .collect()
            })
            .unwrap_or_default()
    });
    let measure = move |_| {
        let digest = digest.clone();
        let group = Some(group.get_untracked()).filter(|g| !g.is_empty());
        working.set(true);
        leptos::task::spawn_local(async move {
            result.set(Some(client::explain(&digest, group).await));
            working.set(false);
        });
    };
    view! {
        <h3>"Look deeper"</h3>
        <p class="hint">"Which columns the model leans on (shuffle one column's values and see how much the test score drops), whether it works as well for every group of people or things in a column, and how fast it scores one row. Measured on the test rows."</p>
        <div class="controls">
            {classifier.then(|| view! {
                <label>
                    "Compare groups of"
                    <select id="group-select" on:change=move |ev| group.set(event_target_value(&ev))>
                        <option value="">"(no groups)"</option>
                        {group_choices.into_iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                    </select>
                </label>
            })}
            <button type="button" id="explain-button" disabled=move || working.get() on:click=measure>
                {move || if working.get() { "Measuring…" } else { "Measure" }}
            </button>
        </div>
        {move || result.get().map(|r| match r {
            Err(e) => view! { <div class="error" role="alert" id="explain-error">{e.to_string()}</div> }.into_any(),
            Ok(e) => view! { <ExplanationView e/> }.into_any(),
        })}
    }
}

#[component]
fn ExplanationView(e: Explanation) -> impl IntoView {
    let top = e.importance.first().map_or(0.0, |i| i.importance.mean).max(1e-12);
    let importance = e
        .importance
        .iter()
        .map(|c| {
            let width = format!("width: {:.0}%", (c.importance.mean / top).clamp(0.0, 1.0) * 100.0);
            view! {
                <tr>
                    <th scope="row">{c.column.clone()}</th>
                    <td class="num">{format!("{:.4}", c.importance.mean)}</td>
                    <td class="num">{format!("± {:.4}", c.importance.std)}</td>
                    <td class="bar-cell"><span class="bar" style=width></span></td>
                </tr>
            }
        })
        .collect_view();
    let groups = e.groups.map(|g| {
        let rows = g
            .groups
            .iter()
            .map(|s| view! {
                <tr>
                    <th scope="row">{s.group.clone()}</th>
                    <td class="num">{s.count}</td>
                    <td class="num">{format!("{:.3}", s.accuracy)}</td>
                    <td class="num">{format!("{:.3}", s.selection_rate)}</td>
                    <td class="num">{s.true_positive_rate.map_or("—".to_owned(), |r| format!("{r:.3}"))}</td>
                </tr>
            })
            .collect_view();
        view! {
            <h4>"Per group"</h4>
            <div class="table-scroll"><table id="group-table">
                <thead><tr><th scope="col">"group"</th><th scope="col">"test rows"</th><th scope="col">"accuracy"</th><th scope="col">"called positive"</th><th scope="col">"recall of positives"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table></div>
            <p class="hint" id="group-gaps">{format!(
                "Gaps between groups: demographic parity difference {:.3} (how differently often groups are called positive), equal opportunity difference {:.3} (how differently well their positive rows are found), accuracy gap {:.3}. Near 0 is even; a large gap is worth explaining before the model is used.",
                g.demographic_parity_difference, g.equal_opportunity_difference, g.accuracy_gap
            )}</p>
        }
    });
    let latency = format!(
        "Scoring takes {:.1} µs per row on average in this browser, from the raw cells to the prediction (timed over whole batches of the test rows).",
        e.micros_per_row
    );
    view! {
        <h4>"Permutation importance"</h4>
        <p class="hint">{format!("Drop of the test score when a column is shuffled, mean ± spread over 3 shuffles, on {} test rows. Near 0: the model barely uses it.", e.n_rows)}</p>
        <div class="table-scroll"><table id="importance-table">
            <thead><tr><th scope="col">"column"</th><th scope="col">"score drop"</th><th scope="col">"spread"</th><th scope="col"></th></tr></thead>
            <tbody>{importance}</tbody>
        </table></div>
        {groups}
        <p class="hint" id="latency">{latency}</p>
    }
}

/// Opens a `.tabml` bundle file and shows it as if just trained.
#[component]
fn BundleOpener() -> impl IntoView {
    let bench = expect_context::<Workbench>();
    let on_file = move |ev: leptos::ev::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
        let name = file.name();
        leptos::task::spawn_local(async move {
            let outcome = match crate::files::read_file(&file).await {
                Ok(bytes) => {
                    let source = ModelSource::File { name: name.clone() };
                    TrainedModel::open(&name, bytes, source).await.map_err(ModelError::Opening)
                }
                Err(e) => Err(ModelError::Reading(e)),
            };
            bench.outcome.set(Some(outcome));
            input.set_value("");
        });
    };
    view! {
        <label class="file-picker">
            "Open a saved model bundle (.tabml): "
            <input id="bundle-file" type="file" accept=".tabml,application/octet-stream" on:change=on_file/>
        </label>
    }
}

#[component]
fn Results(trained: TrainedModel) -> impl IntoView {
    let report = trained.view.clone();
    let bytes = &trained.file.bytes;
    let download = crate::files::download_link(
        bytes,
        &format!("{}-{}.tabml", file_stem(&report.target), report.model.name()),
        "application/octet-stream",
    );
    let digest = trained.file.digest.clone();
    let canvas = NodeRef::<Canvas>::new();
    {
        let report = report.clone();
        Effect::new(move |_| {
            if let Some(element) = canvas.get() {
                if let Err(e) = chart::draw(&element, &report) {
                    leptos::logging::warn!("drawing the chart failed: {e}");
                }
            }
        });
    }
    let (provenance, millis) = match &trained.source {
        ModelSource::Trained { millis, stages: Some(s) } => (
            format!(
                "in {millis:.0} ms in this tab ({:.0} ms preparing, {}{:.0} ms fitting, {:.0} ms testing and profiling)",
                s.prepare_ms,
                if s.search_ms > 0.0 { format!("{:.0} ms searching, ", s.search_ms) } else { String::new() },
                s.fit_ms,
                s.evaluate_ms
            ),
            millis.to_string(),
        ),
        ModelSource::Trained { millis, stages: None } => (format!("in {millis:.0} ms in this tab"), millis.to_string()),
        ModelSource::File { name } => (format!("opened from the bundle file {name:?}"), String::new()),
    };
    let stages = match &trained.source {
        ModelSource::Trained { stages, .. } => stages.as_ref(),
        ModelSource::File { .. } => None,
    };
    let stage = |pick: fn(&tabml::Durations) -> f64| stages.map(|s| pick(s).to_string()).unwrap_or_default();
    let (prepare_ms, fit_ms, evaluate_ms) =
        (stage(|s| s.prepare_ms), stage(|s| s.fit_ms), stage(|s| s.evaluate_ms));
    let context = format!(
        "{} predicting {:?}: trained on {} rows, tested on {} held-back rows (seed {}), {provenance}. Data fingerprint {}…{}",
        capitalise(report.model.label()),
        report.target,
        report.training.n_train,
        report.training.n_test,
        report.training.seed,
        &report.training.fingerprints.data[..19],
        if report.training.n_unlabelled > 0 {
            format!(" {} rows with no target value were left out.", report.training.n_unlabelled)
        } else {
            String::new()
        }
    );
    let body = match (&report.evaluation, &report.task) {
        (Some(Evaluation::Classification(r)), Task::Classification { classes }) => {
            let (accuracy, baseline_accuracy) = (&r.metrics.accuracy, &r.baseline.accuracy);
            let (balanced_accuracy, f1_macro, confusion) =
                (&r.metrics.balanced_accuracy, &r.metrics.f1_macro, &r.confusion);
            let log_loss = r.metrics.log_loss;
            let baseline_log_loss = r.baseline.log_loss;
            let auc = r.metrics.roc_auc.map(|auc| view! {
                <Metric label="ROC AUC" id="result-roc-auc" value=auc shown=format!("{auc:.3}") note=if classes.len() == 2 { "chance a random positive row is ranked above a random negative one; 0.5 is guessing" } else { "each class against the rest, averaged: how well the model ranks rows of a class first; 0.5 is guessing" }/>
            });
            let beats = accuracy - baseline_accuracy;
            let verdict = if beats > 0.02 {
                (
                    "verdict good",
                    format!("The model beats the baseline by {:.1} percentage points.", beats * 100.0),
                )
            } else {
                ("verdict bad", "The model does not clearly beat the baseline: look again at the features and the target.".to_owned())
            };
            view! {
                <div class="metrics">
                    <Metric label="test accuracy" id="result-accuracy" value=*accuracy shown=percent(*accuracy) note="share of test rows predicted right" headline=true/>
                    <Metric label="baseline accuracy" id="result-baseline" value=*baseline_accuracy shown=percent(*baseline_accuracy) note="always guessing the most common class"/>
                    <Metric label="balanced accuracy" id="result-balanced-accuracy" value=*balanced_accuracy shown=percent(*balanced_accuracy) note="mean hit rate per class; a guesser gets 1 ÷ classes"/>
                    <Metric label="macro F1" id="result-f1-macro" value=*f1_macro shown=format!("{f1_macro:.3}") note="precision and recall, averaged over classes"/>
                    {auc}
                    <Metric label="log loss" id="result-log-loss" value=log_loss shown=format!("{log_loss:.3}") note=format!("how sure the model was of the right class; lower is better (baseline {baseline_log_loss:.3})")/>
                </div>
                <p class=verdict.0>{verdict.1}</p>
                {r.curves.clone().map(|curves| view! {
                    <ThresholdSlider classes=classes.clone() truth=r.truth.clone() proba=r.proba.clone() curves/>
                })}
                <div class="two-col">
                    <div>
                        <h3>{if classes.len() == 2 { "Confusion matrix (most probable class)" } else { "Confusion matrix" }}</h3>
                        <p class="hint">"Rows are the true class, columns the predicted one. The diagonal (bold, green) counts right answers; everything else is a mistake, and where it sits says which classes get mixed up."</p>
                        <ConfusionTable classes=classes.clone() confusion=confusion.clone()/>
                    </div>
                    <div>
                        <h3>"Right answers per class"</h3>
                        <canvas node_ref=canvas class="chart" id="result-chart" width="520" height="320"
                            role="img" aria-label="Bar chart: the share of each true class the model predicted right (recall)"></canvas>
                    </div>
                </div>
            }.into_any()
        }
        (Some(Evaluation::Regression(r)), _) => {
            let (rmse, mae, r2, baseline_rmse) =
                (&r.metrics.rmse, &r.metrics.mae, &r.metrics.r2, &r.baseline.rmse);
            let verdict = if rmse < &(baseline_rmse * 0.95) {
                (
                    "verdict good",
                    format!(
                        "The model's error is {:.0}% below the baseline's.",
                        100.0 * (1.0 - rmse / baseline_rmse)
                    ),
                )
            } else {
                (
                    "verdict bad",
                    "The model's error is not clearly below the baseline's: look again at the features."
                        .to_owned(),
                )
            };
            view! {
                <div class="metrics">
                    <Metric label="R² on test rows" id="result-r2" value=*r2 shown=format!("{r2:.3}") note="1 is perfect; 0 is no better than the mean" headline=true/>
                    <Metric label="RMSE" id="result-rmse" value=*rmse shown=format!("{rmse:.3}") note="typical error, in the target's units"/>
                    <Metric label="baseline RMSE" value=*baseline_rmse shown=format!("{baseline_rmse:.3}") note="always predicting the training mean"/>
                    <Metric label="MAE" value=*mae shown=format!("{mae:.3}") note="mean absolute error"/>
                </div>
                <p class=verdict.0>{verdict.1}</p>
                <h3>"Predicted against actual"</h3>
                <canvas node_ref=canvas class="chart" id="result-chart" width="520" height="360"
                    role="img" aria-label="Scatter plot of predicted against actual values; points on the diagonal are perfect predictions"></canvas>
            }.into_any()
        }
        _ => view! { <p class="error">"The report does not match its task."</p> }.into_any(),
    };
    let used = report.feature_names.len();
    let skipped = report.skipped.clone();
    let bundle_note = format!(
        "Model bundle: {:.1} KB ({}). Its SHA-256 is {}…; the same data, model and seed give the same bundle, byte for byte, here and on the tabml command line.",
        bytes.len() as f64 / 1024.0,
        report.estimator,
        &digest[..16]
    );
    view! {
        <p class="summary" id="result-context" data-millis=millis data-prepare-ms=prepare_ms data-fit-ms=fit_ms data-evaluate-ms=evaluate_ms>{context}</p>
        {body}
        <h3>"Features"</h3>
        <p class="hint">{format!(
            "{} input columns became {} features (numbers standardised, categories one-hot encoded, dates split into year, month, day, weekday and hour; all learned from the training rows only).",
            report.inputs, used
        )}</p>
        <p class="hint" id="result-bundle" data-digest=digest.clone() data-bytes=bytes.len().to_string() data-model=report.model.name()>{bundle_note}</p>
        {download.map(|(url, name)| view! {
            <p><a id="download-bundle" class="button-link" href=url download=name.clone()>{format!("Download the model ({name})")}</a>
            <span class="hint">" It holds everything needed to score new rows and to check them for drift. Open it again with \"Open a saved model bundle\" at the top of this step, or use it with the tabml command line."</span></p>
        })}
        <share::Share trained=trained.clone()/>
        <Explain digest=digest.clone() classifier=matches!(report.task, Task::Classification { .. })/>
        <details class="model-card" id="result-card">
            <summary>{format!("Model card (the problem card stored in this bundle{})", if report.card.missing_fields().is_empty() { "" } else { "; incomplete" })}</summary>
            <dl>
                {report.card.fields().into_iter().map(|(label, value)| {
                    let value = if value.trim().is_empty() { "(not filled in)".to_owned() } else { value.to_owned() };
                    view! { <dt>{label}</dt><dd>{value}</dd> }
                }).collect_view()}
            </dl>
        </details>
        {(!skipped.is_empty()).then(|| view! {
            <ul class="skipped">
                {skipped.into_iter().map(|s| view! { <li><strong>{s.column}</strong>" left out: "{s.reason}</li> }).collect_view()}
            </ul>
        })}
    }
}

/// Two classes: a slider for the probability above which a row is called positive, with precision,
/// recall, F1 and the confusion matrix following it live.
#[component]
fn ThresholdSlider(
    classes: Vec<String>,
    truth: Vec<usize>,
    proba: Vec<Vec<f64>>,
    curves: tabml::BinaryCurves,
) -> impl IntoView {
    let positive = curves.positive;
    let negative = 1 - positive;
    let threshold = RwSignal::new(0.5);
    let scores: Vec<f64> = proba.iter().map(|p| p.get(positive).copied().unwrap_or(0.0)).collect();
    let counts = Memo::new(move |_| {
        let t = threshold.get();
        // confusion[true][predicted] in class order, as the table shows it.
        let mut confusion = vec![vec![0usize; 2]; 2];
        for (&truth, &score) in truth.iter().zip(&scores) {
            let predicted = if score >= t { positive } else { negative };
            confusion[truth.min(1)][predicted] += 1;
        }
        confusion
    });
    let scores_at = move || {
        let c = counts.get();
        let (tp, fp, fn_) = (c[positive][positive], c[negative][positive], c[positive][negative]);
        let precision = if tp + fp == 0 { 0.0 } else { tp as f64 / (tp + fp) as f64 };
        let recall = if tp + fn_ == 0 { 0.0 } else { tp as f64 / (tp + fn_) as f64 };
        let f1 =
            if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        (precision, recall, f1)
    };
    let positive_name = classes[positive].clone();
    let curves_canvas = NodeRef::<Canvas>::new();
    {
        let curves = curves.clone();
        Effect::new(move |_| {
            let c = counts.get();
            let (precision, recall, _) = scores_at();
            let (fp, tn) = (c[negative][positive], c[negative][negative]);
            let fpr = if fp + tn == 0 { 0.0 } else { fp as f64 / (fp + tn) as f64 };
            let positives = c[positive].iter().sum::<usize>() as f64;
            let total = c.iter().flatten().sum::<usize>().max(1) as f64;
            if let Some(element) = curves_canvas.get() {
                if let Err(e) =
                    chart::draw_curves(&element, &curves, (fpr, recall, precision), positives / total)
                {
                    leptos::logging::warn!("drawing the curves failed: {e}");
                }
            }
        });
    }
    let presets = [
        Some(("0.5 (the default)", 0.5)),
        curves.best_f1_threshold.map(|(t, _)| ("best F1", t)),
        curves.threshold_for_80_recall.map(|t| ("80% recall", t)),
    ];
    view! {
        <h3>"Choose the threshold"</h3>
        <p class="hint">{format!(
            "A row is called {positive_name:?} when the model gives it at least this probability. Lower it to catch more {positive_name:?} rows (higher recall) at the price of more false alarms (lower precision); which way to lean depends on which mistake is costly in the problem card."
        )}</p>
        <div class="threshold">
            <label for="threshold-slider">{move || format!("threshold {:.2}", threshold.get())}</label>
            <input id="threshold-slider" type="range" min="0" max="1" step="0.01"
                prop:value=move || threshold.get().to_string()
                on:input=move |ev| {
                    if let Ok(value) = event_target_value(&ev).parse::<f64>() {
                        threshold.set(value);
                    }
                }/>
            {presets.into_iter().flatten().map(|(label, t)| view! {
                <button type="button" class="preset" on:click=move |_| threshold.set(t)>{format!("{label}: {t:.2}")}</button>
            }).collect_view()}
        </div>
        <div class="metrics">
            <Metric label="precision" id="threshold-precision" value=0.0 shown=String::new() note="of the rows called positive, the share that are" dynamic=Signal::derive(move || scores_at().0)/>
            <Metric label="recall" id="threshold-recall" value=0.0 shown=String::new() note="of the positive rows, the share caught" dynamic=Signal::derive(move || scores_at().1)/>
            <Metric label="F1" id="threshold-f1" value=0.0 shown=String::new() note="precision and recall together" dynamic=Signal::derive(move || scores_at().2)/>
        </div>
        <canvas node_ref=curves_canvas class="chart" id="curves-chart" width="760" height="320" role="img"
            aria-label="ROC curve and precision-recall curve of the model on the test rows; the dot marks the chosen threshold"></canvas>
        <p class="hint">"Left: the ROC curve, recall against false alarms over every threshold; the dashed diagonal is guessing. Right: precision against recall; the dashed line is the share of positive rows, what guessing gets. The orange dot is the threshold above."</p>
        <p class="hint">{move || format!("The test rows at threshold {:.2} (rows: true class; columns: predicted):", threshold.get())}</p>
        <div id="threshold-confusion">
            {move || view! { <ConfusionTable classes=classes.clone() confusion=counts.get() id="threshold-matrix"/> }}
        </div>
    }
}

#[component]
fn ConfusionTable(
    classes: Vec<String>,
    confusion: Vec<Vec<usize>>,
    /// The table's `id`.
    #[prop(default = "confusion-matrix")]
    id: &'static str,
) -> impl IntoView {
    let header = classes.iter().map(|c| view! { <th scope="col">{c.clone()}</th> }).collect_view();
    let rows = confusion
        .iter()
        .enumerate()
        .map(|(t, row)| {
            let cells = row
                .iter()
                .enumerate()
                .map(|(p, &count)| {
                    let class = if t == p {
                        "hit"
                    } else if count > 0 {
                        "miss-some"
                    } else {
                        ""
                    };
                    view! { <td class=class>{count}</td> }
                })
                .collect_view();
            view! { <tr><th scope="row">{classes[t].clone()}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="confusion" id=id>
                <thead><tr><th scope="col">"true ↓ / predicted →"</th>{header}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// A file name part from free text: letters, digits, `-` and `_` only.
fn file_stem(text: &str) -> String {
    let stem: String =
        text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).take(60).collect();
    if stem.is_empty() {
        "model".to_owned()
    } else {
        stem
    }
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// One measure on a card: its name, the value as shown, the exact value for tools, and a note.
#[component]
fn Metric(
    /// What the number is.
    label: &'static str,
    /// The exact value, kept in `data-value` for tests and tools.
    value: f64,
    /// The value as a learner reads it.
    shown: String,
    /// One line on what it means.
    #[prop(into)]
    note: String,
    /// The `id` of the value element.
    #[prop(optional)]
    id: &'static str,
    /// Whether this is the measure to lead with.
    #[prop(optional)]
    headline: bool,
    /// A value that changes (a share, shown with three decimals); overrides `value` and `shown`.
    #[prop(optional)]
    dynamic: Option<Signal<f64>>,
) -> impl IntoView {
    let value_text = move || dynamic.map_or(value, |d| d.get()).to_string();
    let shown = move || match dynamic {
        Some(d) => format!("{:.3}", d.get()),
        None => shown.clone(),
    };
    view! {
        <div class=if headline { "metric headline" } else { "metric" }>
            <div class="label">{label}</div>
            <div class="value" id=(!id.is_empty()).then_some(id) data-value=value_text>{shown}</div>
            <div class="note">{note}</div>
        </div>
    }
}
