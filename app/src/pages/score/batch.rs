//! A file of rows: scored in the worker with progress and cancel; a row that does not fit the
//! schema is named by line and column and the others are still scored. The predictions download
//! as CSV (`prediction_id`, the key column if chosen, the prediction, each class's probability, and
//! why a row was not scored), and the scored rows are checked for drift against the training rows.
//! For a registered version, the prediction events, a profile of the batch and its drift report
//! are queued for the server in the outbox (the input rows only if the learner allows it), and
//! a later CSV of `prediction_id,label` queues the labels: the header's badge counts what is still to
//! send, and the outbox sends it when it can (`outbox.rs`).

use super::Scoring;
use crate::account::Account;
use crate::client;
use crate::files::{download_link, picked, read_file};
use crate::outbox::Outbox;
use crate::widgets::drift::DriftTable;
use crate::widgets::thousands;
use crate::worker::messages::{FileScore, LabelsRead, ReportTo};
use leptos::prelude::*;
use tabml::drift::DriftReport;

/// Where reporting is.
#[derive(Clone, PartialEq)]
enum Reporting {
    Off,
    /// This many events are in the outbox (on disk), to be sent.
    Queued(usize),
    /// They could not even be queued.
    Failed(String),
}

/// A random id for one scored file: its predictions' ids start with it.
fn run_id() -> String {
    (0..4).map(|_| format!("{:04x}", (js_sys::Math::random() * 65536.0) as u32 & 0xffff)).collect()
}

/// The file panel.
#[component]
pub fn FileOfRows(scoring: Scoring) -> impl IntoView {
    let account = expect_context::<Account>();
    let digest = StoredValue::new(scoring.setup.digest.clone());
    let registered = scoring.origin.registered().map(|(m, v)| (m.to_owned(), v));
    let classification = matches!(scoring.setup.view.task, tabml::Task::Classification { .. });
    let report = RwSignal::new(registered.is_some());
    let inputs = RwSignal::new(false);
    let progress = RwSignal::new(None::<f64>);
    let scored = RwSignal::new(None::<Result<FileScore, String>>);
    let csv = RwSignal::new(None::<Vec<u8>>);
    let reporting = RwSignal::new(Reporting::Off);
    let labels = RwSignal::new(None::<Result<(LabelsRead, Reporting), String>>);
    let outbox = expect_context::<Outbox>();
    let target = registered.clone();
    let send = move |events: Vec<(String, String)>| {
        let count = events.len();
        leptos::task::spawn_local(async move {
            reporting.set(match outbox.add(account, events).await {
                Ok(()) => Reporting::Queued(count),
                Err(e) => Reporting::Failed(e.to_string()),
            });
        });
    };
    let on_file = move |ev: web_sys::Event| {
        let Some(file) = picked(&ev) else { return };
        let report_to = (report.get_untracked() && account.token().is_some())
            .then(|| target.clone())
            .flatten()
            .map(|(model, version)| ReportTo {
                model,
                version,
                at_ms: js_sys::Date::now() as i64,
                include_inputs: inputs.get_untracked(),
            });
        scored.set(None);
        csv.set(None);
        reporting.set(Reporting::Off);
        progress.set(Some(0.0));
        leptos::task::spawn_local(async move {
            let bytes = match read_file(&file).await {
                Ok(bytes) => bytes,
                Err(e) => {
                    progress.set(None);
                    return scored.set(Some(Err(e.to_string())));
                }
            };
            let on_progress = std::rc::Rc::new(move |f: f64| progress.set(Some(f)));
            let answer = client::score_file(
                &digest.get_value(),
                &file.name(),
                bytes,
                &run_id(),
                report_to,
                on_progress,
            )
            .await;
            progress.set(None);
            match answer {
                Ok((summary, bytes)) => {
                    let events = summary.events.clone();
                    csv.set(Some(bytes));
                    scored.set(Some(Ok(summary)));
                    if !events.is_empty() {
                        send(events);
                    }
                }
                Err(e) => scored.set(Some(Err(e.to_string()))),
            }
        });
    };
    let on_key = move |ev: web_sys::Event| {
        let value = event_target_value(&ev);
        let key = (!value.is_empty()).then_some(value);
        leptos::task::spawn_local(async move {
            if let Ok(bytes) = client::predictions_csv(&digest.get_value(), key.clone()).await {
                csv.set(Some(bytes));
                scored.update(|s| {
                    if let Some(Ok(summary)) = s {
                        summary.key = key;
                    }
                });
            }
        });
    };
    let label_target = registered.clone();
    let on_labels = move |ev: web_sys::Event| {
        let (Some(file), Some((model, version))) = (picked(&ev), label_target.clone()) else { return };
        labels.set(None);
        leptos::task::spawn_local(async move {
            let read = match read_file(&file).await {
                Ok(bytes) => client::labels(
                    &file.name(),
                    bytes,
                    &model,
                    version,
                    classification,
                    js_sys::Date::now() as i64,
                )
                .await
                .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            let read = match read {
                Ok(read) => read,
                Err(why) => return labels.set(Some(Err(why))),
            };
            let state = match outbox.add(account, read.events.clone()).await {
                Ok(()) => Reporting::Queued(read.events.len()),
                Err(e) => Reporting::Failed(e.to_string()),
            };
            labels.set(Some(Ok((read, state))));
        });
    };
    let model_name = scoring.setup.view.target.clone();
    view! {
        <p class="why">"Score every row of a CSV file with the same columns as the training data (others are ignored, and may be copied into the predictions as a key). A row that does not fit is named by its line and column, and the others are still scored."</p>
        {match registered.clone() {
            Some((model, version)) => view! {
                <div class="controls reporting">
                    <label class="check"><input type="checkbox" id="report-events" prop:checked=report
                        on:change=move |ev| report.set(event_target_checked(&ev))/>
                        {format!(" Report what is scored to the server, as {model} version {version}")}</label>
                    <label class="check"><input type="checkbox" id="report-inputs" prop:checked=inputs disabled=move || !report.get()
                        on:change=move |ev| inputs.set(event_target_checked(&ev))/>
                        " Include each input row (otherwise only the predictions and a summary of the inputs are sent)"</label>
                </div>
            }.into_any(),
            None => view! { <p class="hint">"Predictions from a model that is not pulled from the registry stay in this tab: nothing is reported."</p> }.into_any(),
        }}
        <div class="controls">
            <label>"CSV file to score"
                <input id="score-file" type="file" accept=".csv,text/csv" on:change=on_file disabled=move || progress.get().is_some()/>
            </label>
            {move || progress.get().map(|p| view! {
                <span class="progress-line"><progress id="score-progress" max="1" value=p></progress>
                    <button type="button" id="score-cancel" on:click=move |_| client::cancel()>"Cancel"</button></span>
            })}
        </div>
        {move || scored.get().map(|answer| match answer {
            Err(why) => view! { <div class="error" role="alert" id="score-file-error">{why}</div> }.into_any(),
            Ok(summary) => view! { <FileSummary summary csv on_key stem=model_name.clone()/> }.into_any(),
        })}
        {move || match reporting.get() {
            Reporting::Off => None,
            Reporting::Queued(count) => Some(view! {
                <p class="verdict good" id="report-queued" data-events=count>{format!(
                    "{} events (one per row, a profile of the file and its drift report) are kept in this browser and sent to the server as soon as it can be reached; the header counts what is still to send.",
                    thousands(count))}</p>
            }.into_any()),
            Reporting::Failed(why) => Some(view! {
                <div class="error" role="alert" id="report-error">{format!("The events could not be kept for sending: {why}. The predictions file is complete.")}</div>
            }.into_any()),
        }}
        {registered.is_some().then(|| view! {
            <h3>"Labels, once you know them"</h3>
            <p class="hint">"When the true outcomes are known, send a CSV with the columns prediction_id and label: the server matches each to its prediction and your mentor's dashboard shows the accuracy realized."</p>
            <div class="controls">
                <label>"Labels file (prediction_id,label)"
                    <input id="labels-file" type="file" accept=".csv,text/csv" on:change=on_labels/>
                </label>
            </div>
            {move || labels.get().map(|answer| match answer {
                Err(why) => view! { <div class="error" role="alert" id="labels-error">{why}</div> }.into_any(),
                Ok((read, state)) => view! { <LabelsSummary read state/> }.into_any(),
            })}
        })}
    }
}

/// What a scored file gave, with the download.
#[component]
fn FileSummary(
    summary: FileScore,
    csv: RwSignal<Option<Vec<u8>>>,
    on_key: impl Fn(web_sys::Event) + 'static,
    stem: String,
) -> impl IntoView {
    let problems = summary.problems.iter().map(|p| view! { <li>{p.clone()}</li> }).collect_view();
    let more = summary.problem_count.saturating_sub(summary.problems.len());
    let counts = summary
        .counts
        .iter()
        .map(|(class, n)| format!("{class}: {}", thousands(*n)))
        .collect::<Vec<_>>()
        .join(" · ");
    let keys = summary
        .key_columns
        .iter()
        .map(|k| view! { <option value=k.clone() selected=summary.key.as_ref() == Some(k)>{k.clone()}</option> })
        .collect_view();
    let file = format!(
        "predictions-{}.csv",
        stem.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect::<String>()
    );
    view! {
        <p class=if summary.unscored == 0 { "verdict good" } else { "verdict bad" } id="score-summary"
            data-rows=summary.rows data-scored=summary.scored
            data-score-ms=format!("{:.3}", summary.score_millis) data-total-ms=format!("{:.3}", summary.millis)>
            {format!("Scored {} of {} rows of {} in {:.0} ms{}.", thousands(summary.scored), thousands(summary.rows), summary.name,
                summary.millis, if summary.unscored > 0 { format!("; {} could not be scored", thousands(summary.unscored)) } else { String::new() })}
        </p>
        {(!counts.is_empty()).then(|| view! { <p class="hint" id="score-counts">{format!("Predicted: {counts}.")}</p> })}
        {(summary.problem_count > 0).then(|| view! {
            <ul class="problems" id="score-problems">{problems}
                {(more > 0).then(|| view! { <li>{format!("…and {} more (each is in the predictions file's error column).", thousands(more))}</li> })}
            </ul>
        })}
        <FileDrift drift=summary.drift.clone()/>
        <div class="controls">
            <label>"Copy a key column into the predictions"
                <select id="score-key" on:change=on_key>
                    <option value="" selected=summary.key.is_none()>"(none)"</option>
                    {keys}
                </select>
            </label>
            {move || csv.get().and_then(|bytes| download_link(&bytes, &file, "text/csv")).map(|(url, name)| view! {
                <a class="button-link" id="score-download" href=url download=name>"Download the predictions (CSV)"</a>
            })}
        </div>
    }
}

/// The file's scored rows against the model's training rows: the verdict, then each column.
#[component]
fn FileDrift(drift: Option<Result<DriftReport, String>>) -> impl IntoView {
    let report = match drift? {
        Err(why) => {
            return Some(
                view! { <p class="hint" id="score-drift">{format!("Not checked for drift: {why}.")}</p> }
                    .into_any(),
            )
        }
        Ok(report) => report,
    };
    let drifted: Vec<&str> = report.columns.iter().filter(|c| c.drift).map(|c| c.column.as_str()).collect();
    let verdict = format!(
        "Against the model's {} training rows: {}{} of {} columns drifted{}.",
        thousands(report.reference_rows as usize),
        if report.dataset_drift { "this file has drifted. " } else { "no data drift. " },
        drifted.len(),
        report.columns.len(),
        if drifted.is_empty() { String::new() } else { format!(" ({})", drifted.join(", ")) },
    );
    let columns = report.columns.clone();
    let outputs = report.predictions.clone();
    Some(
        view! {
            <p class=if report.dataset_drift { "verdict bad" } else { "verdict good" } id="score-drift"
                data-drifted=drifted.len()>{verdict}</p>
            <details class="drift-details">
                <summary>"Each column, and the model's outputs, against training"</summary>
                <DriftTable id="score-drift-table" caption="Each column: this file's scored rows against the training rows" columns/>
                {(!outputs.is_empty()).then(|| view! {
                    <DriftTable id="score-output-drift-table" caption="The model's outputs on this file against its outputs on its training rows" columns=outputs/>
                })}
            </details>
        }
        .into_any(),
    )
}

/// What a labels file gave, and whether it reached the server.
#[component]
fn LabelsSummary(read: LabelsRead, state: Reporting) -> impl IntoView {
    let problems = read.problems.iter().map(|p| view! { <li>{p.clone()}</li> }).collect_view();
    let sent = match state {
        Reporting::Queued(count) => view! {
            <p class="verdict good" id="labels-queued" data-events=count>{format!(
                "{} labels from {} are kept in this browser and sent to the server as soon as it can be reached.",
                thousands(read.labels), read.name)}</p>
        }
        .into_any(),
        Reporting::Failed(why) => view! {
            <div class="error" role="alert" id="labels-error">{format!("The labels could not be kept for sending: {why}")}</div>
        }
        .into_any(),
        Reporting::Off => view! { <p class="hint" role="status">"Keeping the labels…"</p> }.into_any(),
    };
    view! {
        {sent}
        {(read.problem_count > 0).then(|| view! {
            <p class="verdict bad">{format!("{} rows of {} made no label:", thousands(read.problem_count), thousands(read.rows))}</p>
            <ul class="problems" id="labels-problems">{problems}</ul>
        })}
    }
}
