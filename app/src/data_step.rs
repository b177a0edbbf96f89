//! Step 1, data: pick a sample set or open a CSV, then see its first rows and the inferred types.

use crate::http::{self, SampleDataset};
use crate::Step;
use crate::{LoadedData, Workbench};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::sync::Arc;
use tabml::{parse_csv, validate, Severity, Table, Task, ValidationOptions};
use wasm_bindgen_futures::JsFuture;

/// Files larger than this are refused before reading, so the tab never freezes on a huge upload.
const MAX_FILE_BYTES: f64 = 100.0 * 1024.0 * 1024.0;
/// Rows shown in the preview.
const PREVIEW_ROWS: usize = 8;

/// The data step.
#[component]
pub fn DataStep() -> impl IntoView {
    let bench = expect_context::<Workbench>();
    let samples = LocalResource::new(http::sample_datasets);
    let load_error = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    let selected_sample = RwSignal::new(None::<String>);

    let load_sample = move |sample: SampleDataset| {
        loading.set(true);
        spawn_local(async move {
            match http::sample_csv(&sample).await {
                Ok(bytes) => {
                    if accept_csv(bench, load_error, &sample.title, &bytes, Some(&sample.target)) {
                        selected_sample.set(Some(sample.id.clone()));
                    }
                }
                Err(e) => load_error.set(Some(format!("Could not load the sample {}: {e}", sample.title))),
            }
            loading.set(false);
        });
    };

    let on_file = move |ev: leptos::ev::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
        let name = file.name();
        if file.size() > MAX_FILE_BYTES {
            load_error.set(Some(format!(
                "{name} is {:.0} MB; this version opens CSV files up to {:.0} MB.",
                file.size() / 1_048_576.0,
                MAX_FILE_BYTES / 1_048_576.0
            )));
            return;
        }
        loading.set(true);
        spawn_local(async move {
            match JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => {
                    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                    if accept_csv(bench, load_error, &name, &bytes, None) {
                        selected_sample.set(None);
                    }
                }
                Err(e) => load_error.set(Some(format!("Could not read {name}: {}", http::js_message(&e)))),
            }
            loading.set(false);
            // Let the same file be picked again after it is fixed on disk.
            input.set_value("");
        });
    };

    view! {
        <Step id="data" number=1 title="Data" why="A model can only learn what the data shows. Pick a sample data set or open a CSV file of your own, then check that each column has the right type: numbers that should be categories (or the reverse) are a common, silent mistake.">
            <div class="datasets" role="group" aria-label="Sample data sets">
                {move || match samples.get() {
                    None => view! { <span class="hint">"Loading the sample data sets…"</span> }.into_any(),
                    Some(Err(e)) => view! {
                        <span class="hint">"Sample data sets are unavailable (" {e.to_string()} "); you can still open a CSV file."</span>
                    }.into_any(),
                    Some(Ok(list)) => list.into_iter().map(|sample| {
                        let id = sample.id.clone();
                        let pressed = move || selected_sample.get().as_deref() == Some(id.as_str());
                        let title = sample.title.clone();
                        let description = sample.description.clone();
                        let meta = format!("{} rows · {}", sample.rows, sample.task);
                        view! {
                            <button
                                type="button"
                                data-dataset=sample.id.clone()
                                aria-pressed=move || pressed().to_string()
                                disabled=move || loading.get()
                                on:click=move |_| load_sample(sample.clone())
                            >
                                <strong>{title}</strong>
                                <small class="meta">{meta}</small>
                                <small>{description}</small>
                            </button>
                        }
                    }).collect_view().into_any(),
                }}
            </div>
            <label class="file-picker">
                "…or open a CSV file: "
                <input id="csv-file" type="file" accept=".csv,.tsv,.txt,text/csv" on:change=on_file/>
            </label>
            {move || load_error.get().map(|message| view! {
                <div class="error" role="alert" id="load-error"><strong>"This file could not be used. "</strong>{message}</div>
            })}
            {move || bench.data.get().map(|data| view! { <DataPreview data/> })}
        </Step>
    }
}

/// Parses `bytes`; on success replaces the loaded data and picks a target, on failure keeps what was
/// loaded before and shows the error. Returns whether it was accepted.
fn accept_csv(
    bench: Workbench,
    load_error: RwSignal<Option<String>>,
    name: &str,
    bytes: &[u8],
    suggested_target: Option<&str>,
) -> bool {
    match parse_csv(bytes) {
        Ok(table) => {
            let target = suggested_target
                .filter(|t| table.column(t).is_some())
                .map(str::to_owned)
                .unwrap_or_else(|| table.columns.last().map(|c| c.name.clone()).unwrap_or_default());
            crate::train_step::choose_target(bench, &table, &target);
            bench.data.set(Some(LoadedData { name: name.to_owned(), table: Arc::new(table) }));
            bench.outcome.set(None);
            load_error.set(None);
            true
        }
        Err(e) => {
            let kept = bench.data.with_untracked(|d| {
                d.as_ref().map(|d| format!("\n{} stays loaded.", d.name)).unwrap_or_default()
            });
            load_error.set(Some(format!("{name}: {e}{kept}")));
            false
        }
    }
}

/// The first rows and one line per column.
#[component]
fn DataPreview(data: LoadedData) -> impl IntoView {
    let table = data.table.clone();
    let n_rows = table.n_rows.min(PREVIEW_ROWS);
    let header = table.columns.iter().map(|c| view! { <th scope="col">{c.name.clone()}</th> }).collect_view();
    let rows = (0..n_rows)
        .map(|r| {
            let cells = table
                .columns
                .iter()
                .map(|c| match c.cell(r) {
                    Some(v) => view! { <td>{v.to_owned()}</td> }.into_any(),
                    None => view! { <td class="missing">"missing"</td> }.into_any(),
                })
                .collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    view! {
        <p class="summary" id="data-summary">
            <strong>{data.name.clone()}</strong>
            {format!(": {} rows × {} columns. The first {} rows:", table.n_rows, table.columns.len(), n_rows)}
        </p>
        <div class="table-scroll"><table id="preview"><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table></div>
        <h3>"Columns and their inferred types"</h3>
        <ColumnsTable table=table.clone()/>
        <ValidationFindings table/>
    }
}

/// Name, type, missing values and distinct values of every column.
#[component]
fn ColumnsTable(table: Arc<Table>) -> impl IntoView {
    let rows = table
        .columns
        .iter()
        .map(|c| {
            let distinct = c.value_counts().len();
            let missing = c.missing_count();
            let missing_text = if missing == 0 {
                "none".to_owned()
            } else {
                format!("{missing} ({:.1}%)", 100.0 * missing as f64 / table.n_rows as f64)
            };
            view! {
                <tr data-column=c.name.clone()>
                    <th scope="row">{c.name.clone()}</th>
                    <td><span class="kind">{c.kind.label()}</span></td>
                    <td class="num">{missing_text}</td>
                    <td class="num">{distinct}</td>
                    {target_hint(c)}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table id="columns">
                <thead><tr>
                    <th scope="col">"column"</th><th scope="col">"type"</th><th scope="col">"missing"</th>
                    <th scope="col">"distinct values"</th><th scope="col">"as a target"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// What predicting this column would be, as a table cell (with the reason when it cannot be a target).
fn target_hint(column: &tabml::Column) -> impl IntoView {
    match Task::for_target(column) {
        Ok(Task::Classification { classes }) => {
            view! { <td>{format!("classification, {} classes", classes.len())}</td> }.into_any()
        }
        Ok(Task::Regression) => view! { <td>"regression"</td> }.into_any(),
        Err(e) => view! { <td title=e.to_string()>"not usable: " {short_reason(&e)}</td> }.into_any(),
    }
}

fn short_reason(error: &tabml::TabmlError) -> &'static str {
    match error {
        tabml::TabmlError::TooManyClasses { .. } => "too many different values",
        tabml::TabmlError::SingleClass { .. } => "only one value",
        tabml::TabmlError::EmptyTarget(_) => "no values",
        _ => "see the tooltip",
    }
}

/// The validation report for the loaded data and the chosen target, worst findings first.
#[component]
fn ValidationFindings(table: Arc<Table>) -> impl IntoView {
    let bench = expect_context::<Workbench>();
    let report = Memo::new(move |_| {
        let options = ValidationOptions { target: Some(bench.target.get()), ..Default::default() };
        validate(&table, &options)
    });
    view! {
        <h3>"Checks"</h3>
        <p class="hint">"What in this data could mislead a model (or you), and what to do about it. The checks follow the target chosen in step 2."</p>
        {move || {
            let findings = report.get().findings;
            if findings.is_empty() {
                return view! { <p class="verdict good" id="validation-clean">"No problems found."</p> }.into_any();
            }
            view! {
                <ul class="findings" id="validation-findings">
                    {findings.into_iter().map(|f| {
                        let (class, label) = match f.severity() {
                            Severity::Problem => ("finding problem", "problem"),
                            Severity::Warning => ("finding warning", "warning"),
                            Severity::Info => ("finding info", "note"),
                        };
                        view! {
                            <li class=class data-column=f.column().unwrap_or_default().to_owned()>
                                <span class="severity">{label}</span>
                                <span class="message">{f.message()}</span>
                                <span class="advice">{f.advice()}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}
