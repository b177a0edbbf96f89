//! Every training in this tab is a run: a table of them, and a side-by-side comparison of the runs
//! the learner ticks (metrics by run, then hyperparameters).

use crate::state::{ModelSource, RunRecord, Workbench};
use leptos::prelude::*;

/// The runs table, newest first.
#[component]
pub fn RunsTable() -> impl IntoView {
    let bench = expect_context::<Workbench>();
    move || {
        let runs = bench.runs.get();
        if runs.is_empty() {
            return view! { <p class="hint" id="runs-empty">"Each model you train here becomes a run, listed here to compare."</p> }.into_any();
        }
        let rows = runs
            .iter()
            .rev()
            .map(|record| {
                let number = record.number;
                let bundle = record.model.view.clone();
                let (metric, model_value, baseline) = headline(record);
                let millis = match record.model.source {
                    ModelSource::Trained { millis, .. } => format!("{millis:.0} ms"),
                    ModelSource::File { .. } => "—".to_owned(),
                };
                let shown = record.model.clone();
                let ticked = move || bench.compare.with(|c| c.contains(&number));
                view! {
                    <tr data-run=number.to_string()>
                        <th scope="row">{format!("#{number}")}</th>
                        <td>{record.data.clone()}</td>
                        <td>{bundle.model.label()}</td>
                        <td class="params-cell">{changed_params(record)}</td>
                        <td class="num">{format!("{metric} {model_value:.3}")}<small>{format!(" (baseline {baseline:.3})")}</small></td>
                        <td class="num">{bundle.training.seed}</td>
                        <td class="num">{millis}</td>
                        <td>
                            <button type="button" class="small" on:click=move |_| bench.outcome.set(Some(Ok(shown.clone())))>"Show"</button>
                            <label class="compare-tick">
                                <input type="checkbox" prop:checked=ticked on:change=move |_| {
                                    bench.compare.update(|c| if c.contains(&number) { c.retain(|n| *n != number) } else { c.push(number) })
                                }/>
                                " compare"
                            </label>
                        </td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <h3>"Runs"</h3>
            <div class="table-scroll">
                <table id="runs">
                    <thead><tr>
                        <th scope="col">"run"</th><th scope="col">"data"</th><th scope="col">"model"</th>
                        <th scope="col">"changed hyperparameters"</th><th scope="col">"test score"</th>
                        <th scope="col">"seed"</th><th scope="col">"time"</th><th scope="col"></th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <Compare/>
        }
        .into_any()
    }
}

/// The ticked runs side by side.
#[component]
fn Compare() -> impl IntoView {
    let bench = expect_context::<Workbench>();
    move || {
        let ticked = bench.compare.get();
        let runs: Vec<RunRecord> =
            bench.runs.with(|runs| runs.iter().filter(|r| ticked.contains(&r.number)).cloned().collect());
        if runs.len() < 2 {
            return view! { <p class="hint">"Tick two or more runs to compare them side by side."</p> }
                .into_any();
        }
        let header = runs
            .iter()
            .map(|r| view! { <th scope="col">{format!("#{} {}", r.number, r.model.view.model.name())}</th> })
            .collect_view();
        // Metric rows: every metric any run has, the best value marked in words and weight.
        let tables: Vec<Vec<(&'static str, f64, f64)>> = runs
            .iter()
            .map(|r| r.model.view.evaluation.as_ref().map(|e| e.metric_table()).unwrap_or_default())
            .collect();
        let mut names: Vec<&'static str> = Vec::new();
        for table in &tables {
            for (name, _, _) in table {
                if !names.contains(name) {
                    names.push(name);
                }
            }
        }
        let metric_rows = names
            .into_iter()
            .map(|name| {
                let values: Vec<Option<f64>> = tables
                    .iter()
                    .map(|t| t.iter().find(|(n, _, _)| *n == name).map(|(_, v, _)| *v))
                    .collect();
                let lower_is_better = matches!(name, "log_loss" | "rmse" | "mae" | "mape");
                let best = values.iter().flatten().copied().fold(None, |best: Option<f64>, v| match best {
                    Some(b) if (lower_is_better && b <= v) || (!lower_is_better && b >= v) => Some(b),
                    _ => Some(v),
                });
                let cells = values
                    .into_iter()
                    .map(|v| match v {
                        Some(v) if Some(v) == best => {
                            view! { <td class="num best">{format!("{v:.4}")}<small>" best"</small></td> }
                                .into_any()
                        }
                        Some(v) => view! { <td class="num">{format!("{v:.4}")}</td> }.into_any(),
                        None => view! { <td class="num">"—"</td> }.into_any(),
                    })
                    .collect_view();
                let direction = if lower_is_better { " (lower is better)" } else { "" };
                view! { <tr><th scope="row">{name}<small>{direction}</small></th>{cells}</tr> }
            })
            .collect_view();
        // Hyperparameter rows: the union of names, "—" where a model has no such parameter.
        let params: Vec<Vec<(String, String)>> = runs.iter().map(|r| r.model.view.params.pairs()).collect();
        let mut param_names: Vec<String> = Vec::new();
        for list in &params {
            for (name, _) in list {
                if !param_names.contains(name) {
                    param_names.push(name.clone());
                }
            }
        }
        let param_rows = param_names
            .into_iter()
            .map(|name| {
                let cells = params
                    .iter()
                    .map(|list| {
                        let value = list
                            .iter()
                            .find(|(n, _)| *n == name)
                            .map_or("—".to_owned(), |(_, v)| v.clone());
                        view! { <td class="num">{value}</td> }
                    })
                    .collect_view();
                view! { <tr><th scope="row"><code>{name}</code></th>{cells}</tr> }
            })
            .collect_view();
        view! {
            <h3>"Compare"</h3>
            <p class="hint">"Test metrics of the ticked runs on their own held-back rows (compare runs on the same data and seed for a fair race), then their hyperparameters."</p>
            <div class="table-scroll">
                <table id="compare">
                    <thead><tr><th scope="col">"metric"</th>{header}</tr></thead>
                    <tbody>{metric_rows}{param_rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    }
}

/// The run's leading test metric, its value and the baseline's.
fn headline(record: &RunRecord) -> (&'static str, f64, f64) {
    record
        .model
        .view
        .evaluation
        .as_ref()
        .and_then(|e| e.metric_table().into_iter().find(|(n, _, _)| matches!(*n, "accuracy" | "r2")))
        .unwrap_or(("no test rows", f64::NAN, f64::NAN))
}

/// The hyperparameters that differ from the model's defaults, as `name=value`.
fn changed_params(record: &RunRecord) -> String {
    let bundle = &record.model.view;
    let defaults = tabml::ModelParams::resolve(bundle.model, &bundle.task, &[])
        .map(|p| p.record().pairs())
        .unwrap_or_default();
    let changed: Vec<String> = bundle
        .params
        .pairs()
        .into_iter()
        .filter(|pair| !defaults.contains(pair))
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    if changed.is_empty() {
        "defaults".to_owned()
    } else {
        changed.join(", ")
    }
}
