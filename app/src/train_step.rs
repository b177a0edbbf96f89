//! Step 2, train: choose the target and a model, then train on a seeded, stratified 80/20 split.

use crate::Step;
use crate::{TrainedModel, Workbench};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::sync::Arc;
use tabml::{ModelKind, Table, Task, TrainConfig};

/// Sets the target and, if the current model cannot do the target's task, the first real model that
/// can (the dummy baseline is measured beside every model anyway).
pub(crate) fn choose_target(bench: Workbench, table: &Table, target: &str) {
    bench.target.set(target.to_owned());
    if let Some(task) = table.column(target).and_then(|c| Task::for_target(c).ok()) {
        let current = bench.model.get_untracked();
        if !current.supports(&task) {
            if let Some(kind) =
                ModelKind::ALL.into_iter().find(|k| *k != ModelKind::Dummy && k.supports(&task))
            {
                bench.model.set(kind);
            }
        }
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
        bench.data.with(|data| {
            data.as_ref().and_then(|d| {
                d.table.column(&target).map(Task::for_target).map(|t| t.map_err(|e| e.to_string()))
            })
        })
    });

    let train = move |_| {
        let Some(data) = bench.data.get_untracked() else { return };
        let config =
            TrainConfig { seed: bench.seed.get_untracked(), ..TrainConfig::new(bench.model.get_untracked()) };
        let target = bench.target.get_untracked();
        bench.training.set(true);
        bench.outcome.set(None);
        spawn_local(async move {
            // Give the browser a frame to show "Training…" before the work holds the main thread.
            next_frame().await;
            let started = now_millis();
            let outcome =
                tabml::train_with(&data.table, &target, &config, &mut tabml::Progress::none(), &now_millis)
                    .map(|report| TrainedModel { report: Arc::new(report), millis: now_millis() - started })
                    .map_err(|e| e.to_string());
            bench.outcome.set(Some(outcome));
            bench.training.set(false);
        });
    };

    view! {
        <Step id="train" number=2 title="Train" why="Choose the column to predict (the target) and a model. tabml holds back 20% of the rows as a test set, drawn at random but keeping each class's share (a stratified split), and trains only on the rest, so the score in step 3 is measured on rows the model has never seen. The same seed always gives the same split and the same model.">
            {move || match bench.data.get() {
                None => view! { <p class="hint">"Load a data set in step 1 first."</p> }.into_any(),
                Some(data) => {
                    let names: Vec<String> = data.table.columns.iter().map(|c| c.name.clone()).collect();
                    let table = data.table.clone();
                    view! {
                        <div class="controls">
                            <label>
                                "Target column (what to predict)"
                                <select id="target-select" on:change=move |ev| choose_target(bench, &table, &event_target_value(&ev))>
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
                                disabled=move || bench.training.get() || !matches!(task.get(), Some(Ok(_)))
                                on:click=train>
                                {move || if bench.training.get() { "Training…" } else { "Train" }}
                            </button>
                        </div>
                        <p class="hint" id="task-hint">{move || match task.get() {
                            Some(Ok(Task::Classification { classes })) => format!(
                                "Classification: predict one of {} classes ({}).", classes.len(), classes.join(", ")),
                            Some(Ok(Task::Regression)) => "Regression: predict a number.".to_owned(),
                            Some(Err(e)) => format!("This column cannot be a target: {e}."),
                            None => String::new(),
                        }}</p>
                        <p class="hint">{move || model_explanation(bench.model.get())}</p>
                    }.into_any()
                }
            }}
        </Step>
    }
}

/// Milliseconds from the page's time origin.
fn now_millis() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Resolves after the browser has had a chance to paint.
async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 30);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
