//! One row: a form made from the model's schema (numbers with the training range as a hint,
//! categories and booleans as a choice of the training values, dates and text as text), scored in
//! the worker on every change, with the prediction, each class's probability, and a chart of the
//! input columns that moved this prediction most.
//!
//! Every change is timed from the input event to the drawn chart, and the time is shown (and kept
//! on `#row-result[data-latency-ms]` for the benchmark). A reply to an older change is dropped.

use super::Scoring;
use crate::client;
use crate::worker::messages::{FieldKind, FormField, RowScore};
use leptos::html::Canvas;
use leptos::prelude::*;

/// Milliseconds by the page's clock.
fn now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// The one-row form and its prediction.
#[component]
pub fn OneRow(scoring: Scoring) -> impl IntoView {
    let digest = scoring.setup.digest.clone();
    let form = scoring.setup.form.clone();
    let cells = RwSignal::new(form.iter().map(|f| (f.name.clone(), f.typical.clone())).collect::<Vec<_>>());
    let result = RwSignal::new(None::<Result<RowScore, String>>);
    let latency = RwSignal::new(None::<f64>);
    let started = StoredValue::new(now());
    let asked = StoredValue::new(0u64);
    let canvas = NodeRef::<Canvas>::new();
    // Score on every change; only the newest answer is shown.
    Effect::new(move |_| {
        let cells = cells.get();
        let digest = digest.clone();
        let ticket = asked.get_value() + 1;
        asked.set_value(ticket);
        leptos::task::spawn_local(async move {
            let answer = client::score_row(&digest, cells).await.map_err(|e| e.to_string());
            if asked.get_value() == ticket {
                result.set(Some(answer));
            }
        });
    });
    // Draw the chart once the answer is on the page, and time the whole change.
    Effect::new(move |_| {
        let Some(Ok(score)) = result.get() else { return };
        if let (Some(canvas), Some(explanation)) = (canvas.get(), score.explanation.as_ref()) {
            if let Err(e) = crate::widgets::chart::draw_contributions(&canvas, explanation) {
                web_sys::console::error_1(&e.to_string().into());
            }
        }
        latency.set(Some(now() - started.get_value()));
    });
    let set_cell = move |name: String, value: String| {
        started.set_value(now());
        cells.update(|cells| {
            if let Some(cell) = cells.iter_mut().find(|(n, _)| *n == name) {
                cell.1 = value;
            }
        });
    };
    let fields = form.into_iter().map(|field| view! { <Field field set_cell/> }).collect_view();
    view! {
        <p class="why">"Change any value: the prediction follows at once. Each field starts at a typical value from the training rows."</p>
        <div class="score-row">
            <form class="row-form" id="row-form" on:submit=|ev| ev.prevent_default()>{fields}</form>
            <div class="row-result" id="row-result" data-latency-ms=move || latency.get().map(|l| format!("{l:.2}"))>
                {move || match result.get() {
                    None => view! { <p class="hint">"Scoring…"</p> }.into_any(),
                    Some(Err(why)) => view! { <div class="error" role="alert" id="row-error">{why}</div> }.into_any(),
                    Some(Ok(score)) => view! { <Prediction score/> }.into_any(),
                }}
                <canvas node_ref=canvas class="chart" id="row-contributions" width="520" height="300"
                    style=move || if matches!(result.get(), Some(Ok(RowScore { explanation: Some(_), .. }))) { "" } else { "display: none" }
                    aria-label="The input columns that moved this prediction most"></canvas>
                {move || latency.get().map(|l| view! { <p class="hint" id="row-latency">{format!("Scored and drawn {l:.1} ms after the change.")}</p> })}
            </div>
        </div>
    }
}

/// One field of the form.
#[component]
fn Field(field: FormField, set_cell: impl Fn(String, String) + Copy + 'static) -> impl IntoView {
    let FormField { name, kind, hint, typical, .. } = field;
    let id = format!(
        "field-{}",
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' }).collect::<String>()
    );
    let on_name = name.clone();
    let on_input = move |ev: web_sys::Event| set_cell(on_name.clone(), event_target_value(&ev));
    let input = match kind {
        FieldKind::Number { min, max, step } => {
            let step = if step > 0.0 { step.to_string() } else { "any".into() };
            view! {
                <input id=id.clone() type="number" step=step value=typical data-column=name.clone()
                    min=min.is_finite().then(|| min.to_string()) max=max.is_finite().then(|| max.to_string())
                    on:input=on_input/>
            }
            .into_any()
        }
        FieldKind::Choice(choices) => {
            let options = choices
                .into_iter()
                .map(|c| view! { <option value=c.clone() selected=c == typical>{c.clone()}</option> })
                .collect_view();
            view! {
                <select id=id.clone() data-column=name.clone() on:change=on_input>
                    {options}
                    <option value="">"(missing)"</option>
                </select>
            }
            .into_any()
        }
        FieldKind::Text => view! {
            <input id=id.clone() type="text" value=typical data-column=name.clone() on:input=on_input/>
        }
        .into_any(),
    };
    view! {
        <label class="field" for=id.clone()>
            <span class="name">{name}</span>
            {input}
            <span class="hint">{hint}</span>
        </label>
    }
}

/// The prediction, the probabilities, and what the chart shows.
#[component]
fn Prediction(score: RowScore) -> impl IntoView {
    let Some(prediction) = score.prediction.clone() else {
        return view! {
            <div class="error" role="alert" id="row-problem">
                {score.problem.unwrap_or_else(|| "This row could not be scored.".into())}
            </div>
        }
        .into_any();
    };
    let probabilities = score
        .probabilities
        .iter()
        .map(|(class, p)| {
            let width = format!("width: {:.0}%", (p * 100.0).clamp(0.0, 100.0));
            view! {
                <tr data-class=class.clone()>
                    <th scope="row">{class.clone()}</th>
                    <td class="num">{format!("{:.1}%", p * 100.0)}</td>
                    <td class="bar-cell"><span class="bar" style=width></span></td>
                </tr>
            }
        })
        .collect_view();
    let method = score.explanation.as_ref().map(|e| {
        let top = e.contributions.first().map(|c| c.column.clone()).unwrap_or_default();
        view! {
            <h4>"What moved it"</h4>
            <p class="hint" id="row-method" data-top=top>{e.method.explanation()}</p>
        }
    });
    view! {
        <p class="prediction" id="row-prediction" data-prediction=prediction.clone()>
            <span class="label">"Prediction"</span> <strong>{prediction.clone()}</strong>
        </p>
        {(!score.probabilities.is_empty()).then(|| view! {
            <table id="row-probabilities"><tbody>{probabilities}</tbody></table>
        })}
        {method}
    }
    .into_any()
}
