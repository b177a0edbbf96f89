//! The Problem step: the problem card, written before touching data, and stored in every model
//! trained in this tab as its model card.

use super::steps::{Step, StepId};
use crate::state::Workbench;
use leptos::prelude::*;
use tabml::ProblemCard;

/// What each field asks, as a placeholder when it is empty.
const PROMPTS: [&str; 7] = [
    "What exactly will the model predict, in plain words?",
    "Whose work or life do the predictions affect?",
    "What will someone do differently because of a prediction?",
    "Which is worse here: a false alarm or a miss? How much worse?",
    "Which number, and what value of it, makes the model good enough to use?",
    "Limits: data you may not use, speed, explanations owed to people…",
    "What could go wrong for people if the model is wrong or misused?",
];

/// The problem step.
#[component]
pub fn ProblemStep() -> impl IntoView {
    let bench = expect_context::<Workbench>();
    let fields = ProblemCard::default().fields().map(|(label, _)| label);
    let inputs = fields
        .into_iter()
        .enumerate()
        .map(|(i, label)| {
            let id = format!("card-{}", label.replace(' ', "-"));
            let value = move || bench.card.with(|card| card.fields()[i].1.to_owned());
            let label_for = id.clone();
            view! {
                <label class="card-field" for=label_for>
                    <span>{label}</span>
                    <textarea id=id rows="2" placeholder=PROMPTS[i]
                        prop:value=value
                        on:input=move |ev| {
                            let text = event_target_value(&ev);
                            bench.card.update(|card| *field_mut(card, i) = text);
                        }></textarea>
                </label>
            }
        })
        .collect_view();
    let missing = move || bench.card.with(ProblemCard::missing_fields);
    view! {
        <Step step=StepId::Problem>
            <div class="controls">
                <button type="button" id="card-example" on:click=move |_| bench.card.set(ProblemCard::learner_support_example())>
                    "Use the worked example (learner support)"
                </button>
                <button type="button" id="card-clear" on:click=move |_| bench.card.set(ProblemCard::default())>
                    "Start from an empty card"
                </button>
            </div>
            <div class="card-grid">{inputs}</div>
            {move || {
                let missing = missing();
                if missing.is_empty() {
                    view! { <p class="verdict good" id="card-complete">"The card is complete; it will be stored with every model you train."</p> }.into_any()
                } else {
                    view! {
                        <div class="card-missing" id="card-missing">
                            <p class="hint">"Still empty (you can train anyway, but the model card will say so):"</p>
                            <ul>{missing.into_iter().map(|m| view! { <li><strong>{m.field}</strong>": "{m.why}</li> }).collect_view()}</ul>
                        </div>
                    }.into_any()
                }
            }}
        </Step>
    }
}

/// The card's field at position `i` of [`ProblemCard::fields`].
fn field_mut(card: &mut ProblemCard, i: usize) -> &mut String {
    match i {
        0 => &mut card.target_outcome,
        1 => &mut card.serves,
        2 => &mut card.decision,
        3 => &mut card.costly_errors,
        4 => &mut card.success_metric,
        5 => &mut card.constraints,
        _ => &mut card.risks,
    }
}
