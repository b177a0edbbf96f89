//! The Prepare step: how each column becomes model features, and how the rows are split into
//! training and test parts, with the counts per class before anything is trained.

use super::steps::{Step, StepId};
use crate::client;
use crate::state::Workbench;
use crate::widgets::{column_page, ColumnPager};
use crate::worker::messages::ColumnInfo;
use leptos::prelude::*;
use tabml::{ColumnKind, Imputation, NumericChoice, Scaling};

/// Test shares a learner can pick.
const TEST_SHARES: [f64; 5] = [0.1, 0.2, 0.25, 0.3, 0.4];

/// The prepare step.
#[component]
pub fn PrepareStep() -> impl IntoView {
    let bench = expect_context::<Workbench>();
    view! {
        <Step step=StepId::Prepare>
            {move || match bench.data.get() {
                None => view! { <p class="hint">{format!("Load a data set in {} first.", StepId::Data.named())}</p> }.into_any(),
                Some(data) => {
                    // Rebuilt when the target changes: the target is never a feature.
                    bench.target.track();
                    let columns = data.summary.columns.clone();
                    view! { <SplitView/><ColumnPrep columns/> }.into_any()
                }
            }}
        </Step>
    }
}

/// The test share and the resulting rows per class in each part.
#[component]
fn SplitView() -> impl IntoView {
    let bench = expect_context::<Workbench>();
    let preview = LocalResource::new(move || {
        let target = bench.target.get();
        let test_fraction = bench.test_fraction.get();
        let seed = bench.seed.get();
        bench.data.track();
        async move { client::preview_split(&target, test_fraction, seed).await }
    });
    view! {
        <h3>"Training and test rows"</h3>
        <div class="controls">
            <label>
                "Rows held back for testing"
                <select id="test-share" on:change=move |ev| {
                    if let Ok(share) = event_target_value(&ev).parse::<f64>() {
                        bench.test_fraction.set(share);
                    }
                }>
                    {TEST_SHARES.into_iter().map(|share| view! {
                        <option value=share.to_string() selected=move || bench.test_fraction.get() == share>{format!("{:.0}%", share * 100.0)}</option>
                    }).collect_view()}
                </select>
            </label>
        </div>
        {move || match preview.get() {
            None => view! { <p class="hint" role="status">"Counting…"</p> }.into_any(),
            Some(Err(message)) => view! { <p class="hint">{format!("No split yet: {message}")}</p> }.into_any(),
            Some(Ok(split)) => {
                let rows = split.classes.iter().enumerate().map(|(i, class)| {
                    let (train, test) = (split.train[i], split.test[i]);
                    let share = 100.0 * test as f64 / (train + test).max(1) as f64;
                    view! {
                        <tr>
                            <th scope="row">{class.clone()}</th>
                            <td class="num">{train}</td>
                            <td class="num">{test}</td>
                            <td class="num">{format!("{share:.1}%")}</td>
                        </tr>
                    }
                }).collect_view();
                let (train, test): (usize, usize) = (split.train.iter().sum(), split.test.iter().sum());
                view! {
                    <div class="table-scroll"><table id="split-table">
                        <thead><tr><th scope="col">"target value"</th><th scope="col">"training rows"</th><th scope="col">"test rows"</th><th scope="col">"share held back"</th></tr></thead>
                        <tbody>{rows}</tbody>
                        <tfoot><tr><th scope="row">"all"</th><td class="num">{train}</td><td class="num">{test}</td><td></td></tr></tfoot>
                    </table></div>
                    {(split.unlabelled > 0).then(|| view! {
                        <p class="hint">{format!("{} rows have no target value and are left out of both parts.", split.unlabelled)}</p>
                    })}
                }.into_any()
            }
        }}
    }
}

/// Per column: what it becomes, and for numbers the fill-in, scaling and binning.
#[component]
fn ColumnPrep(columns: Vec<ColumnInfo>) -> impl IntoView {
    let bench = expect_context::<Workbench>();
    let target = bench.target.get_untracked();
    let columns: Vec<ColumnInfo> = columns.into_iter().filter(|c| c.name != target).collect();
    let total = columns.len();
    let first = RwSignal::new(0usize);
    let rows = move || {
        columns[column_page(first.get(), columns.len())]
        .iter()
        .map(|c| {
            let name = c.name.clone();
            let used = {
                let name = name.clone();
                move || bench.prep.with(|p| !p.ignore.contains(&name))
            };
            let toggle = {
                let name = name.clone();
                move |_| {
                    bench.prep.update(|p| {
                        if p.ignore.contains(&name) {
                            p.ignore.retain(|n| *n != name);
                        } else {
                            p.ignore.push(name.clone());
                        }
                    })
                }
            };
            let becomes = match c.kind {
                ColumnKind::Numeric => "a number",
                ColumnKind::Boolean => "0 or 1 (a gap takes the most frequent value)",
                ColumnKind::Categorical => "one 0/1 feature per category seen in training (a new category: all 0)",
                ColumnKind::Datetime => "year, month, day, weekday and hour, standardised",
                ColumnKind::Text => "left out: free text or an identifier cannot be learned from",
            };
            let controls = (c.kind == ColumnKind::Numeric).then(|| view! { <NumericControls name=name.clone()/> });
            let label = format!("use {name} as a feature");
            view! {
                <tr data-column=name.clone()>
                    <th scope="row">{name.clone()}</th>
                    <td><input type="checkbox" class="use-column" aria-label=label prop:checked=used on:change=toggle disabled=c.kind == ColumnKind::Text/></td>
                    <td class="becomes">{becomes}</td>
                    <td>{controls}</td>
                </tr>
            }
        })
        .collect_view()
    };
    view! {
        <h3>"From columns to features"</h3>
        <p class="hint">{format!("The target {target:?} is what the model predicts, so it is not a feature. Untick a column to leave it out (an identifier, or a value only known after the outcome).")}</p>
        <ColumnPager id="prep-pager" total first/>
        <div class="table-scroll"><table id="prep-table">
            <thead><tr><th scope="col">"column"</th><th scope="col">"use"</th><th scope="col">"becomes"</th><th scope="col">"numbers: fill gaps with · scale · bins"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table></div>
    }
}

/// Fill-in, scaling and binning of one numeric column.
#[component]
fn NumericControls(name: String) -> impl IntoView {
    let bench = expect_context::<Workbench>();
    let current = {
        let name = name.clone();
        Memo::new(move |_| {
            bench.prep.with(|p| p.columns.iter().find(|(n, _)| *n == name).map_or(p.numeric, |(_, c)| *c))
        })
    };
    let set = move |name: String, change: &dyn Fn(&mut NumericChoice)| {
        bench.prep.update(|p| {
            let mut choice = p.columns.iter().find(|(n, _)| *n == name).map_or(p.numeric, |(_, c)| *c);
            change(&mut choice);
            p.columns.retain(|(n, _)| *n != name);
            p.columns.push((name, choice));
        })
    };
    // Each select shows one part of the choice as a word and writes it back.
    let imputation = |c: &NumericChoice| match c.imputation {
        Imputation::Median => "median",
        Imputation::MostFrequent => "most_frequent",
        _ => "mean",
    };
    let scaling = |c: &NumericChoice| match c.scaling {
        Scaling::MinMax => "min_max",
        Scaling::None => "none",
        Scaling::Standard => "standard",
    };
    let bins = |c: &NumericChoice| match c.bins {
        Some(4) => "4",
        Some(10) => "10",
        _ => "none",
    };
    let (n1, n2, n3) = (name.clone(), name.clone(), name.clone());
    view! {
        <span class="numeric-controls">
            <ChoiceSelect label=format!("fill gaps in {name}") current=Signal::derive(move || imputation(&current.get()))
                options=&[("mean", "mean"), ("median", "median"), ("most_frequent", "most frequent")]
                on_pick=move |v: String| {
                    let imputation = match v.as_str() {
                        "median" => Imputation::Median,
                        "most_frequent" => Imputation::MostFrequent,
                        _ => Imputation::Mean,
                    };
                    set(n1.clone(), &|c| c.imputation = imputation)
                }/>
            <ChoiceSelect label=format!("scale {name}") current=Signal::derive(move || scaling(&current.get()))
                options=&[("standard", "standardise"), ("min_max", "0 to 1"), ("none", "as is")]
                on_pick=move |v: String| {
                    let scaling = match v.as_str() {
                        "min_max" => Scaling::MinMax,
                        "none" => Scaling::None,
                        _ => Scaling::Standard,
                    };
                    set(n2.clone(), &|c| c.scaling = scaling)
                }/>
            <ChoiceSelect label=format!("bins for {name}") current=Signal::derive(move || bins(&current.get()))
                options=&[("none", "no bins"), ("4", "4 bins"), ("10", "10 bins")]
                on_pick=move |v: String| set(n3.clone(), &|c| c.bins = v.parse::<usize>().ok())/>
        </span>
    }
}

/// A labelled select of fixed options, showing `current` and reporting the value picked.
#[component]
fn ChoiceSelect(
    label: String,
    current: Signal<&'static str>,
    options: &'static [(&'static str, &'static str)],
    on_pick: impl Fn(String) + 'static,
) -> impl IntoView {
    view! {
        <select aria-label=label on:change=move |ev| on_pick(event_target_value(&ev))>
            {options.iter().map(|&(value, text)| view! {
                <option value=value selected=move || current.get() == value>{text}</option>
            }).collect_view()}
        </select>
    }
}
