//! The Train step: choose the target and a model, then train on the training rows of the split
//! chosen in the Prepare step (seeded and stratified).
//!
//! The chosen model's hyperparameters come from `ModelKind::params` (scikit-learn's names, defaults
//! and a line of help each) and are checked as typed with `ModelParams::resolve`, the core's own rules.
//! An optional search (grid, random, TPE; trials; folds) draws its trials as each finishes
//! (`Progress::with_trials` in the core, `ToPage::Trial` from the worker, `Workbench.trials`). A
//! progress bar and a Cancel button; below, the runs table (`runs.rs`).

mod runs;

use super::steps::{Step, StepId};
use crate::client;
use crate::state::{BundleFile, ModelError, ModelSource, RunRecord, TrainedModel, Workbench};
use crate::worker::messages::NotATarget;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::rc::Rc;
use std::sync::Arc;
use tabml::models::ParamKind;
use tabml::{ModelKind, SearchConfig, SearchMethod, Task, TrainConfig};

/// The chosen model's hyperparameters: scikit-learn's names and defaults, each with one line on
/// what it does. An empty box means the default.
#[component]
fn Hyperparameters(task: Task) -> impl IntoView {
    let bench = expect_context::<Workbench>();
    move || {
        let specs = bench.model.get().params(&task);
        if specs.is_empty() {
            return view! { <p class="hint">"This model has no hyperparameters to set."</p> }.into_any();
        }
        let rows = specs
            .iter()
            .map(|spec| {
                let name = spec.name;
                let id = format!("param-{name}");
                let value = move || {
                    bench.params.with(|p| p.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default())
                };
                let set = move |text: String| {
                    bench.params.update(|params| {
                        params.retain(|(n, _)| n != name);
                        if !text.trim().is_empty() {
                            params.push((name.to_owned(), text.trim().to_owned()));
                        }
                    })
                };
                let input = match spec.kind {
                    ParamKind::Choice(options) => view! {
                        <select id=id.clone() on:change=move |ev| set(event_target_value(&ev))>
                            <option value="" selected=move || value().is_empty()>{format!("default ({})", spec.default)}</option>
                            {options.iter().map(|o| view! { <option value=*o selected=move || value() == *o>{*o}</option> }).collect_view()}
                        </select>
                    }.into_any(),
                    ParamKind::Bool => view! {
                        <select id=id.clone() on:change=move |ev| set(event_target_value(&ev))>
                            <option value="" selected=move || value().is_empty()>{format!("default ({})", spec.default)}</option>
                            <option value="true" selected=move || value() == "true">"true"</option>
                            <option value="false" selected=move || value() == "false">"false"</option>
                        </select>
                    }.into_any(),
                    _ => view! {
                        <input id=id.clone() type="text" inputmode="decimal" placeholder=format!("default: {}", spec.default)
                            prop:value=value on:change=move |ev| set(event_target_value(&ev))/>
                    }.into_any(),
                };
                view! {
                    <div class="param">
                        <label for=id><code>{name}</code></label>
                        {input}
                        <small>{spec.help}</small>
                    </div>
                }
            })
            .collect_view();
        view! {
            <details class="params" open>
                <summary>"Hyperparameters (scikit-learn's names and defaults; leave a box empty for the default)"</summary>
                <div class="param-grid" id="params">{rows}</div>
            </details>
        }
        .into_any()
    }
}

/// The optional hyperparameter search: method, trial budget and folds.
#[component]
fn SearchControls() -> impl IntoView {
    let bench = expect_context::<Workbench>();
    let trials = RwSignal::new(20usize);
    let folds = RwSignal::new(5usize);
    let method = RwSignal::new(None::<SearchMethod>);
    // The workbench's search follows the three controls.
    Effect::new(move |_| {
        let config =
            method.get().map(|method| SearchConfig { method, trials: trials.get(), folds: folds.get() });
        bench.search.set(config);
    });
    let explanation = move || {
        match method.get() {
        None => "No search: the model is fitted once with the hyperparameters above.",
        Some(SearchMethod::Grid) => "Grid: every combination of a few values per hyperparameter (spread over the grid when there are more combinations than trials).",
        Some(SearchMethod::Random) => "Random: each trial draws every hyperparameter at random from its range.",
        Some(SearchMethod::Tpe) => "Model-based (TPE): a few random trials, then values that look like those of the best trials so far; it usually finds good values in fewer trials than random search.",
    }
    };
    let number = |signal: RwSignal<usize>, min: usize, max: usize| {
        move |ev: leptos::ev::Event| {
            if let Ok(n) = event_target_value(&ev).trim().parse::<usize>() {
                signal.set(n.clamp(min, max));
            }
        }
    };
    view! {
        <fieldset class="search">
            <legend>"Search for better hyperparameters (optional)"</legend>
            <label>
                "Method"
                <select id="search-method" on:change=move |ev| {
                    method.set(match event_target_value(&ev).as_str() {
                        "grid" => Some(SearchMethod::Grid),
                        "random" => Some(SearchMethod::Random),
                        "tpe" => Some(SearchMethod::Tpe),
                        _ => None,
                    })
                }>
                    <option value="none">"none"</option>
                    <option value="grid">"grid"</option>
                    <option value="random">"random"</option>
                    <option value="tpe">"model-based (TPE)"</option>
                </select>
            </label>
            <label>"Trials" <input id="search-trials" type="number" min="1" max="200" prop:value=move || trials.get().to_string() on:change=number(trials, 1, 200)/></label>
            <label>"Folds" <input id="search-folds" type="number" min="2" max="10" prop:value=move || folds.get().to_string() on:change=number(folds, 2, 10)/></label>
            <p class="hint">{explanation}" Each trial is scored by k-fold cross-validation on the training rows only: the test rows never help choose, so the final test score stays honest. Hyperparameters typed above stay fixed."</p>
        </fieldset>
    }
}

/// The search's trials, drawn as they finish.
#[component]
fn SearchChart(
    /// The target's task (the train step's own).
    task: Memo<Option<Result<Task, NotATarget>>>,
) -> impl IntoView {
    let bench = expect_context::<Workbench>();
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    // The search maximises accuracy for a classifier and R² for a regressor.
    let metric = move || if matches!(task.get(), Some(Ok(Task::Regression))) { "R²" } else { "accuracy" };
    Effect::new(move |_| {
        let scores: Vec<f64> = bench.trials.with(|t| t.iter().map(|t| t.score).collect());
        if let Some(element) = canvas.get() {
            if let Err(e) = crate::widgets::chart::draw_trials(&element, &scores, metric()) {
                leptos::logging::warn!("drawing the trials failed: {e}");
            }
        }
    });
    let best = move || {
        bench.trials.with(|trials| {
            // The first of equal scores, as the search itself picks.
            let (i, best) =
                trials
                    .iter()
                    .enumerate()
                    .reduce(|best, next| if next.1.score > best.1.score { next } else { best })?;
            let params: Vec<String> = best.params.iter().map(|(n, v)| format!("{n}={v}")).collect();
            Some(format!(
                "Best so far: trial {} of {}, score {:.4} with {}.",
                i + 1,
                trials.len(),
                best.score,
                params.join(", ")
            ))
        })
    };
    view! {
        <div class="search-chart" class:hidden=move || bench.trials.with(Vec::is_empty)>
            <canvas node_ref=canvas id="trials-chart" width="520" height="260" role="img"
                aria-label="Each search trial's cross-validated score (dots) and the best so far (line)"></canvas>
            <p class="hint" id="search-best" data-trials=move || bench.trials.with(Vec::len).to_string()>{best}</p>
        </div>
    }
}

/// What each model does, in one line a learner can read.
fn model_explanation(kind: ModelKind) -> &'static str {
    kind.explanation()
}

/// The train step.
#[component]
pub fn TrainStep() -> impl IntoView {
    let bench = expect_context::<Workbench>();
    let task = Memo::new(move |_| {
        let target = bench.target.get();
        bench
            .data
            .with(|data| data.as_ref().and_then(|d| d.summary.column(&target).map(|c| c.as_target.clone())))
    });

    // Hyperparameters are checked as they are typed, with the same rules the core applies.
    let params_error = move || {
        let task = task.get().and_then(Result::ok)?;
        tabml::ModelParams::resolve(bench.model.get(), &task, &bench.params.get())
            .err()
            .map(|e| e.to_string())
    };

    let train = move |_| {
        if bench.data.with_untracked(Option::is_none) {
            return;
        }
        let config = TrainConfig {
            seed: bench.seed.get_untracked(),
            params: bench.params.get_untracked(),
            search: bench.search.get_untracked(),
            prep: bench.prep.get_untracked(),
            test_fraction: bench.test_fraction.get_untracked(),
            card: bench.card.get_untracked(),
            ..TrainConfig::new(bench.model.get_untracked())
        };
        let target = bench.target.get_untracked();
        bench.training.set(true);
        bench.progress.set(0.0);
        bench.trials.set(Vec::new());
        bench.outcome.set(None);
        spawn_local(async move {
            let on_progress: client::OnProgress = Rc::new(move |fraction| bench.progress.set(fraction));
            let on_trial: client::OnTrial = Rc::new(move |trial| bench.trials.update(|t| t.push(trial)));
            let outcome =
                client::train(&target, config, on_progress, on_trial).await.map(|trained| TrainedModel {
                    view: Arc::new(trained.view),
                    file: Arc::new(BundleFile { bytes: trained.bundle, digest: trained.digest }),
                    source: ModelSource::Trained { millis: trained.millis, stages: Some(trained.stages) },
                });
            if let Ok(model) = &outcome {
                let data = bench
                    .data
                    .with_untracked(|d| d.as_ref().map(|d| d.summary.name.clone()).unwrap_or_default());
                let number = bench.runs.with_untracked(|runs| runs.last().map_or(1, |r| r.number + 1));
                if let ModelSource::Trained { millis, .. } = model.source {
                    let run = crate::store::StoredRun {
                        number,
                        data: data.clone(),
                        millis,
                        digest: model.file.digest.clone(),
                        bundle: Vec::new(),
                        view: None,
                    };
                    let (file, view) = (model.file.clone(), model.view.clone());
                    crate::state::persist(bench, async move {
                        crate::store::save_run(&run, &file.bytes, &view).await
                    });
                }
                bench.runs.update(|runs| runs.push(RunRecord { number, data, model: model.clone() }));
            }
            bench.outcome.set(Some(outcome.map_err(ModelError::Training)));
            bench.training.set(false);
        });
    };

    view! {
        <Step step=StepId::Train>
            {move || match bench.data.get() {
                None => view! { <p class="hint">{format!("Load a data set in {} first.", StepId::Data.named())}</p> }.into_any(),
                Some(data) => {
                    let names: Vec<String> = data.summary.columns.iter().map(|c| c.name.clone()).collect();
                    let summary = data.summary.clone();
                    view! {
                        <div class="controls">
                            <label>
                                "Target column (what to predict)"
                                <select id="target-select" on:change=move |ev| crate::state::choose_target(bench, &summary, &event_target_value(&ev))>
                                    {names.into_iter().map(|name| {
                                        let selected = { let name = name.clone(); move || bench.target.get() == name };
                                        view! { <option value=name.clone() prop:selected=selected>{name.clone()}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                            <label>
                                "Model"
                                <select id="model-select" on:change=move |ev| {
                                    let value = event_target_value(&ev);
                                    if let Some(kind) = ModelKind::ALL.into_iter().find(|k| k.label() == value) {
                                        bench.model.set(kind);
                                        bench.params.set(Vec::new());
                                    }
                                }>
                                    {move || {
                                        let task = task.get().and_then(Result::ok);
                                        ModelKind::ALL.into_iter()
                                            .filter(|k| task.as_ref().is_none_or(|t| k.supports(t)))
                                            .map(|k| view! { <option value=k.label() prop:selected=move || bench.model.get() == k>{k.label()}</option> })
                                            .collect_view()
                                    }}
                                </select>
                            </label>
                            <label>
                                "Seed"
                                <input id="seed-input" type="number" min="0" step="1"
                                    prop:value=move || bench.seed.get().to_string()
                                    on:change=move |ev| {
                                        if let Ok(seed) = event_target_value(&ev).trim().parse::<u64>() {
                                            bench.seed.set(seed);
                                        }
                                    }/>
                            </label>
                            <button id="train-button" class="primary" type="button"
                                disabled=move || bench.training.get() || !matches!(task.get(), Some(Ok(_))) || params_error().is_some()
                                on:click=train>
                                {move || if bench.training.get() { "Training…" } else { "Train" }}
                            </button>
                            <Show when=move || bench.training.get()>
                                <span class="progress-line" role="status">
                                    <label for="train-progress">"Progress"</label>
                                    <progress id="train-progress" max="1" prop:value=move || bench.progress.get()>
                                        {move || format!("{:.0}%", bench.progress.get() * 100.0)}
                                    </progress>
                                    {move || format!(" {:.0}%", bench.progress.get() * 100.0)}
                                    <button id="cancel-button" type="button" on:click=move |_| client::cancel()>"Cancel"</button>
                                </span>
                            </Show>
                        </div>
                        <p class="hint" id="task-hint">{move || match task.get() {
                            Some(Ok(Task::Classification { classes })) => format!(
                                "Classification: predict one of {} classes ({}).", classes.len(), classes.join(", ")),
                            Some(Ok(Task::Regression)) => "Regression: predict a number.".to_owned(),
                            Some(Err(e)) => format!("This column cannot be a target: {e}."),
                            None => String::new(),
                        }}</p>
                        <p class="hint">{move || model_explanation(bench.model.get())}</p>
                        {move || task.get().and_then(Result::ok).map(|task| view! { <Hyperparameters task/> })}
                        {move || params_error().map(|message| view! { <div class="error" role="alert" id="params-error">{message}</div> })}
                        <SearchControls/>
                        <SearchChart task/>
                        <runs::RunsTable/>
                    }.into_any()
                }
            }}
        </Step>
    }
}
