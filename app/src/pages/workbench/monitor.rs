//! The Monitor step: drift checks and performance estimates on data the model has not seen. The
//! learner injects a change into a copy of the test rows (or opens a file of new rows) and watches
//! each statistic respond; a slider sets how many rows are checked.
//!
//! The worker's side is `monitor.rs`. Before any model is trained, a CSV file of newer rows can be
//! compared with the loaded data set (`Request::DriftFile`, `drift::check_tables`); the verdict
//! carries the worker's times (`#drift-verdict[data-check-ms][data-parse-ms]`), which
//! `browser-bench` reads.

use super::steps::{Step, StepId};
use crate::client;
use crate::files::PickedFileError;
use crate::state::{ModelSource, Workbench};
use crate::widgets::drift::DriftTable;
use crate::widgets::thousands;
use crate::worker::messages::{Current, MonitorView, Shift, ShiftColumn};
use leptos::prelude::*;
use std::sync::Arc;

/// The Monitor step.
#[component]
pub fn MonitorStep() -> impl IntoView {
    let bench = expect_context::<Workbench>();
    view! {
        <Step step=StepId::Monitor>
            {move || match bench.outcome.get() {
                Some(Ok(trained)) if matches!(trained.source, ModelSource::Trained { stages: Some(_), .. }) => {
                    let test_rows = trained.view.training.n_test;
                    view! { <Monitor digest=trained.file.digest.clone() test_rows/> }.into_any()
                }
                _ => view! {
                    <p class="hint" id="monitor-hint">"Train a model in " {StepId::Train.named()} " (with some rows held back for testing); then change a copy of its test rows here and watch the drift checks respond."</p>
                    {move || bench.data.get().map(|d| view! { <FileDrift reference=d.summary.name.clone()/> })}
                }.into_any(),
            }}
        </Step>
    }
}

/// Which change to inject.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    None,
    Mean,
    Scale,
    Mix,
    Flip,
}

impl Kind {
    fn parse(text: &str) -> Self {
        match text {
            "mean" => Kind::Mean,
            "scale" => Kind::Scale,
            "mix" => Kind::Mix,
            "flip" => Kind::Flip,
            _ => Kind::None,
        }
    }

    /// The slider's range, step and starting value for this change.
    fn amount(self) -> (f64, f64, f64, f64) {
        match self {
            Kind::Mean => (-2.0, 2.0, 0.1, 0.5),
            Kind::Scale => (0.25, 3.0, 0.05, 1.5),
            Kind::Mix | Kind::Flip => (0.0, 1.0, 0.05, 0.3),
            Kind::None => (0.0, 1.0, 1.0, 0.0),
        }
    }

    fn describe(self, amount: f64) -> String {
        match self {
            Kind::Mean => format!("{amount:+.1} standard deviations"),
            Kind::Scale => format!("× {amount:.2} spread"),
            Kind::Mix => format!("{:.0}% of rows set to the value", amount * 100.0),
            Kind::Flip => format!("{:.0}% of labels changed", amount * 100.0),
            Kind::None => String::new(),
        }
    }
}

#[component]
fn Monitor(digest: String, test_rows: usize) -> impl IntoView {
    let kind = RwSignal::new(Kind::None);
    let column = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let amount = RwSignal::new(0.0);
    let rows = RwSignal::new(test_rows.max(10));
    let columns = RwSignal::new(Vec::<ShiftColumn>::new());
    let result = RwSignal::new(None::<Result<Arc<MonitorView>, PickedFileError>>);
    let file = RwSignal::new(None::<(String, Vec<u8>)>);
    let working = RwSignal::new(false);
    // Answers can come back out of order; only the latest request's is shown.
    let latest = RwSignal::new(0u64);
    let max_rows = (test_rows * 3).clamp(200, 5000);

    let shift = move || -> Shift {
        let (c, a) = (column.get(), amount.get());
        match kind.get() {
            Kind::Mean if !c.is_empty() => Shift::Mean { column: c, sds: a },
            Kind::Scale if !c.is_empty() => Shift::Scale { column: c, factor: a },
            Kind::Mix if !c.is_empty() && !value.get().is_empty() => {
                Shift::Mix { column: c, value: value.get(), share: a }
            }
            Kind::Flip => Shift::LabelFlip { share: a },
            _ => Shift::None,
        }
    };
    Effect::new(move |_| {
        let (current, payload) = match file.get() {
            Some((name, bytes)) => (Current::File { name }, Some(bytes)),
            None => (Current::TestCopy { shift: shift(), rows: rows.get(), seed: 7 }, None),
        };
        let digest = digest.clone();
        let ticket = latest.get_untracked() + 1;
        latest.set(ticket);
        working.set(true);
        leptos::task::spawn_local(async move {
            let answer = client::monitor(&digest, current, payload).await;
            if latest.get_untracked() != ticket {
                return;
            }
            working.set(false);
            result.set(Some(match answer {
                Ok(view) => {
                    if columns.with_untracked(Vec::is_empty) {
                        columns.set(view.columns.clone());
                    }
                    Ok(Arc::new(view))
                }
                Err(e) => Err(e.into()),
            }));
        });
    });
    let choose_kind = move |ev| {
        let k = Kind::parse(&event_target_value(&ev));
        let (_, _, _, start) = k.amount();
        let pick = columns.with_untracked(|cs| {
            cs.iter()
                .find(|c| match k {
                    Kind::Mean | Kind::Scale => c.numeric,
                    Kind::Mix => !c.numeric && c.values.len() >= 2,
                    _ => false,
                })
                .cloned()
        });
        column.set(pick.as_ref().map(|c| c.name.clone()).unwrap_or_default());
        value.set(pick.and_then(|c| c.values.get(1).cloned()).unwrap_or_default());
        amount.set(start);
        kind.set(k);
    };
    let choose_column = move |ev| {
        let name = event_target_value(&ev);
        let first_other = columns
            .with_untracked(|cs| cs.iter().find(|c| c.name == name).and_then(|c| c.values.get(1).cloned()));
        value.set(first_other.unwrap_or_default());
        column.set(name);
    };
    let open_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(picked) = input.files().and_then(|f| f.get(0)) else { return };
        let name = picked.name();
        leptos::task::spawn_local(async move {
            match crate::files::read_file(&picked).await {
                Ok(bytes) => file.set(Some((name, bytes))),
                Err(e) => result.set(Some(Err(e.into()))),
            }
        });
    };
    let column_choices = move || {
        let k = kind.get();
        columns.get().into_iter().filter(move |c| match k {
            Kind::Mean | Kind::Scale => c.numeric,
            Kind::Mix => !c.numeric && c.values.len() >= 2,
            _ => false,
        })
    };
    view! {
        <div class="monitor-controls">
            <fieldset disabled=move || file.get().is_some()>
                <legend>"Change a copy of the test rows"</legend>
                <div class="controls">
                    <label>"Change"
                        <select id="shift-kind" on:change=choose_kind>
                            <option value="none">"nothing (the test rows as they are)"</option>
                            <option value="mean">"mean shift of a number column"</option>
                            <option value="scale">"scale change of a number column"</option>
                            <option value="mix">"category mix of a column"</option>
                            <option value="flip">"label flip (the truth changes, the inputs do not)"</option>
                        </select>
                    </label>
                    {move || matches!(kind.get(), Kind::Mean | Kind::Scale | Kind::Mix).then(|| view! {
                        <label>"Column"
                            <select id="shift-column" on:change=choose_column prop:value=move || column.get()>
                                {column_choices().map(|c| view! { <option value=c.name.clone()>{c.name.clone()}</option> }).collect_view()}
                            </select>
                        </label>
                    })}
                    {move || (kind.get() == Kind::Mix).then(|| {
                        let values = columns.get().into_iter().find(|c| c.name == column.get()).map(|c| c.values).unwrap_or_default();
                        view! {
                            <label>"to the value"
                                <select id="shift-value" on:change=move |ev| value.set(event_target_value(&ev)) prop:value=move || value.get()>
                                    {values.into_iter().map(|v| view! { <option value=v.clone()>{v.clone()}</option> }).collect_view()}
                                </select>
                            </label>
                        }
                    })}
                    {move || (kind.get() != Kind::None).then(|| {
                        let (min, max, step, _) = kind.get().amount();
                        view! {
                            <label>"How much"
                                <input type="range" id="shift-amount" min=min max=max step=step
                                    prop:value=move || amount.get().to_string()
                                    on:input=move |ev| amount.set(event_target_value(&ev).parse().unwrap_or(0.0))/>
                                <output for="shift-amount">{move || kind.get().describe(amount.get())}</output>
                            </label>
                        }
                    })}
                </div>
                <div class="controls">
                    <label>"Rows checked"
                        <input type="range" id="sample-size" min="10" max=max_rows step="10"
                            prop:value=move || rows.get().to_string()
                            on:input=move |ev| rows.set(event_target_value(&ev).parse().unwrap_or(10))/>
                        <output for="sample-size" id="sample-size-value">{move || format!("n = {} rows", thousands(rows.get()))}</output>
                    </label>
                    <span class="hint">{format!("drawn from the {} test rows (with repeats when more are asked for)", thousands(test_rows))}</span>
                </div>
            </fieldset>
            <div class="controls">
                <label>"Or check a CSV file of new rows against this model "
                    <input type="file" id="monitor-file" accept=".csv,text/csv" on:change=open_file/>
                </label>
                {move || file.get().map(|(name, _)| view! {
                    <span>"Checking " <strong>{name}</strong> " "
                        <button type="button" class="small" id="monitor-file-clear" on:click=move |_| file.set(None)>"back to the test rows"</button>
                    </span>
                })}
            </div>
        </div>
        <div id="monitor-result" aria-live="polite" aria-busy=move || working.get().to_string()>
            {move || result.get().map(|r| match r {
                Err(e) => view! { <div class="error" role="alert" id="monitor-error">{e.to_string()}</div> }.into_any(),
                Ok(view) => view! { <MonitorReport view/> }.into_any(),
            })}
        </div>
    }
}

/// Without a model: a CSV file of new rows against the loaded data set.
#[component]
fn FileDrift(reference: String) -> impl IntoView {
    let result = RwSignal::new(None::<Result<Arc<MonitorView>, PickedFileError>>);
    let working = RwSignal::new(false);
    let open = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(picked) = input.files().and_then(|f| f.get(0)) else { return };
        let name = picked.name();
        working.set(true);
        leptos::task::spawn_local(async move {
            let answer = match crate::files::read_file(&picked).await {
                Ok(bytes) => {
                    client::drift_file(&name, bytes).await.map(Arc::new).map_err(PickedFileError::from)
                }
                Err(e) => Err(e.into()),
            };
            working.set(false);
            result.set(Some(answer));
        });
    };
    view! {
        <div class="controls">
            <label>{format!("Or compare a CSV file of newer rows with the loaded data set ({reference}), no model needed ")}
                <input type="file" id="drift-file" accept=".csv,text/csv" on:change=open/>
            </label>
            {move || working.get().then(|| view! { <span role="status">"Checking in the background…"</span> })}
        </div>
        <div id="monitor-result" aria-live="polite">
            {move || result.get().map(|r| match r {
                Err(e) => view! { <div class="error" role="alert" id="monitor-error">{e.to_string()}</div> }.into_any(),
                Ok(view) => view! { <MonitorReport view/> }.into_any(),
            })}
        </div>
    }
}

#[component]
fn MonitorReport(view: Arc<MonitorView>) -> impl IntoView {
    let report = &view.report;
    let drifted = report.columns.iter().filter(|c| c.drift).count();
    let verdict = format!(
        "{}: {drifted} of {} columns drifted ({:.0}%); the data set counts as drifted from {:.0}%. {} rows checked against {} {}.",
        if report.dataset_drift { "The data has drifted" } else { "No data drift" },
        report.columns.len(),
        report.drifted_share * 100.0,
        report.drift_share * 100.0,
        thousands(view.rows),
        thousands(report.reference_rows as usize),
        if view.test_rows == 0 { "reference rows" } else { "training rows of the model" },
    );
    let performance = view.estimated.as_ref().map(|e| {
        let realized = view.realized.map(|(accuracy, _)| view! {
            <p id="realized-accuracy">"Realized accuracy on these rows' own labels: " <strong>{format!("{accuracy:.3}")}</strong>
                {(accuracy < e.accuracy.lower || accuracy > e.accuracy.upper).then_some(" — outside the band: the model's confidence no longer matches the truth (a label flip, or a change in what the inputs mean), which no drift check of the inputs can see.")}
            </p>
        });
        view! {
            <div class="performance" id="performance">
                <p id="estimated-accuracy">"Estimated accuracy, from the model's calibrated probabilities alone (no labels needed): "
                    <strong>{format!("{:.3}", e.accuracy.value)}</strong>
                    {format!(" (the realized value should fall within {:.3}–{:.3}); estimated F1 {:.3}.", e.accuracy.lower, e.accuracy.upper, e.f1.value)}
                </p>
                {realized}
            </div>
        }
    });
    let by_chance = view.rows < 200 && report.columns.iter().any(|c| c.drift && !c.test.has_p_value());
    let checks = report.checks.iter().map(|c| view! { <li>{c.to_string()}</li> }).collect_view();
    let has_checks = !report.checks.is_empty();
    view! {
        <p id="drift-verdict" class=if report.dataset_drift { "verdict bad" } else { "verdict good" }
            data-check-ms=view.check_millis.to_string() data-parse-ms=view.parse_millis.to_string()>{verdict}</p>
        <p class="hint">{format!("Checked in {:.0} ms in this tab.", view.check_millis)}</p>
        {by_chance.then(|| view! {
            <p class="hint" id="small-sample-note">{format!("Only {} rows: with more than 1,000 training rows the checks are distances, which have no p-value to allow for a small sample, so chance alone makes them large. Move the slider up and watch them shrink.", view.rows)}</p>
        })}
        {performance}
        <DriftTable id="drift-table" caption="Each column: the checked rows against the reference rows" columns=report.columns.clone()/>
        {(!report.predictions.is_empty()).then(|| view! {
            <DriftTable id="prediction-drift-table" caption="The model's outputs on the checked rows against its outputs on its training rows" columns=report.predictions.clone()/>
        })}
        {(!view.ignored.is_empty()).then(|| view! {
            <p class="hint" id="monitor-ignored">"Not compared, because the model does not use them: " {view.ignored.join(", ")} "."</p>
        })}
        {has_checks.then(|| view! { <h3>"Data checks"</h3><ul id="data-checks">{checks}</ul> })}
    }
}
