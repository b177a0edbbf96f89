//! The Data step: pick a sample set, or open or drop a CSV file (`#drop-zone`, the same `open_file`;
//! up to 100 MB), then see its rows, the inferred types and the checks.
//!
//! Every row is shown in a virtually scrolled table (`RowsTable`: fixed 28 px rows, only a window
//! of 60 rows around the visible ones in the page, fetched from the worker with `Request::Rows` and
//! keyed by row index, so a moved window builds only its new rows). A data set wider than
//! `COLUMN_PAGE` columns is paged by `ColumnPager`, here and in the types and prepare tables. A
//! column's type can be changed to any type every value fits. The checks are the core's validation
//! report for the chosen target, shown up to 100 findings with a count of the rest.

use super::steps::{Step, StepId};
use crate::client::{self, WorkerError};
use crate::http::{self, SampleDataset};
use crate::state::{LoadedData, Workbench};
use crate::store::{self, DataSetup};
use crate::widgets::{column_page, ColumnPager, COLUMN_PAGE};
use crate::worker::messages::{ColumnInfo, DataSummary};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::sync::Arc;
use tabml::{ColumnKind, Severity, Task};

/// Files larger than this are refused before reading, so the tab never freezes on a huge upload.
const MAX_FILE_BYTES: f64 = 100.0 * 1024.0 * 1024.0;

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
                    if accept_csv(bench, load_error, &sample.title, bytes, Some(&sample.target)).await {
                        selected_sample.set(Some(sample.id.clone()));
                    }
                }
                Err(e) => load_error.set(Some(format!("Could not load the sample {}: {e}", sample.title))),
            }
            loading.set(false);
        });
    };

    // A file from the picker or dropped on the page.
    let open_file = move |file: web_sys::File, input: Option<web_sys::HtmlInputElement>| {
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
            match crate::files::read_file(&file).await {
                Ok(bytes) => {
                    if accept_csv(bench, load_error, &name, bytes, None).await {
                        selected_sample.set(None);
                    }
                }
                Err(e) => load_error.set(Some(e.to_string())),
            }
            loading.set(false);
            // Let the same file be picked again after it is fixed on disk.
            if let Some(input) = input {
                input.set_value("");
            }
        });
    };
    let on_file = move |ev: leptos::ev::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        if let Some(file) = input.files().and_then(|files| files.get(0)) {
            open_file(file, Some(input));
        }
    };
    let dragging = RwSignal::new(false);
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        match ev.data_transfer().and_then(|t| t.files()).and_then(|files| files.get(0)) {
            Some(file) => open_file(file, None),
            None => load_error.set(Some("Only files can be dropped here: drop a CSV file.".to_owned())),
        }
    };

    view! {
        <Step step=StepId::Data>
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
                        let meta = format!("{} rows · {}", crate::widgets::thousands(sample.rows), sample.task);
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
            <div id="drop-zone" class=move || if dragging.get() { "drop-zone dragging" } else { "drop-zone" }
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop>
                <label class="file-picker">
                    "…or open a CSV file: "
                    <input id="csv-file" type="file" accept=".csv,.tsv,.txt,text/csv" on:change=on_file/>
                </label>
                <span class="hint">" or drop one here"</span>
            </div>
            <KeptFiles load_error loading/>
            {move || load_error.get().map(|message| view! {
                <div class="error" role="alert" id="load-error"><strong>"This file could not be used. "</strong>{message}</div>
            })}
            {move || bench.data.get().map(|data| view! { <DataPreview data/> })}
        </Step>
    }
}

/// The data sets kept in this browser, each to open again or forget.
#[component]
fn KeptFiles(load_error: RwSignal<Option<String>>, loading: RwSignal<bool>) -> impl IntoView {
    let bench = expect_context::<Workbench>();
    // Listed again once a data set's saving or forgetting is done.
    let files = LocalResource::new(move || {
        bench.kept.track();
        store::kept_files()
    });
    let open = move |name: String| {
        loading.set(true);
        spawn_local(async move {
            match store::kept_file(&name).await {
                Ok(Some(bytes)) => {
                    accept_csv(bench, load_error, &name, bytes, None).await;
                }
                Ok(None) => load_error.set(Some(format!("{name} is no longer kept in this browser."))),
                Err(e) => load_error.set(Some(e.to_string())),
            }
            loading.set(false);
        });
    };
    let forget = move |name: String| {
        crate::state::persist(bench, async move {
            store::forget_file(&name).await?;
            bench.kept.update(|n| *n += 1);
            Ok(())
        });
    };
    move || {
        let Some(Ok(files)) = files.get() else { return None };
        if files.is_empty() {
            return None;
        }
        let current = bench.setup.with(|s| s.name.clone());
        let rows = files
            .into_iter()
            .map(|file| {
                let (open_name, forget_name) = (file.name.clone(), file.name.clone());
                let is_current = file.name == current && bench.data.with(Option::is_some);
                let size = match file.bytes {
                    n if n < 1024 => format!("{n} bytes"),
                    n if n < 1024 * 1024 => format!("{:.1} KB", n as f64 / 1024.0),
                    n => format!("{:.1} MB", n as f64 / 1_048_576.0),
                };
                view! {
                    <li data-file=file.name.clone()>
                        <span class="kept-name">{file.name.clone()}</span>
                        <span class="hint">{format!(" {size}")}{is_current.then_some(" · loaded now")}</span>
                        <button type="button" class="small kept-open" disabled=move || loading.get() || is_current
                            aria-label=format!("open {}", file.name)
                            on:click=move |_| open(open_name.clone())>"Open"</button>
                        <button type="button" class="small kept-forget" aria-label=format!("forget {}", file.name)
                            on:click=move |_| forget(forget_name.clone())>"Forget"</button>
                    </li>
                }
            })
            .collect_view();
        Some(view! {
            <div class="kept-files">
                <h3>"Kept in this browser"</h3>
                <p class="hint">"Every data set you open is kept here, on this computer only, to open again without finding the file."</p>
                <ul id="kept-files">{rows}</ul>
            </div>
        })
    }
}

/// Has the worker parse `bytes`; on success replaces the loaded data and picks a target, on failure
/// keeps what was loaded before and shows the error. Returns whether it was accepted.
async fn accept_csv(
    bench: Workbench,
    load_error: RwSignal<Option<String>>,
    name: &str,
    bytes: Vec<u8>,
    suggested_target: Option<&str>,
) -> bool {
    let kept = bytes.clone();
    match client::load(name, bytes).await {
        Ok(summary) => {
            let target = suggested_target
                .filter(|t| summary.column(t).is_some())
                .map(str::to_owned)
                .unwrap_or_else(|| summary.columns.last().map(|c| c.name.clone()).unwrap_or_default());
            bench.setup.set(DataSetup { name: name.to_owned(), kinds: Vec::new(), target: target.clone() });
            let setup = bench.setup.get_untracked();
            crate::state::persist(bench, async move {
                store::save_data(&setup, &kept).await?;
                bench.kept.update(|n| *n += 1);
                Ok(())
            });
            crate::state::choose_target(bench, &summary, &target);
            bench.data.set(Some(LoadedData { summary: Arc::new(summary) }));
            bench.outcome.set(None);
            bench.prep.set(tabml::PrepConfig::default());
            load_error.set(None);
            true
        }
        // The worker's refusal names the file and where in it; it keeps the data set it had.
        Err(WorkerError::Refused(message)) => {
            let kept = bench.data.with_untracked(|d| {
                d.as_ref().map(|d| format!("\n{} stays loaded.", d.summary.name)).unwrap_or_default()
            });
            load_error.set(Some(format!("{message}{kept}")));
            false
        }
        Err(other) => {
            load_error.set(Some(format!("{name}: {other}")));
            false
        }
    }
}

/// The first rows and one line per column.
#[component]
fn DataPreview(data: LoadedData) -> impl IntoView {
    let summary = data.summary.clone();
    // The rows table and the types table show the same page of a wide data set's columns.
    let first_column = RwSignal::new(0usize);
    view! {
        <p class="summary" id="data-summary" data-parse-ms=summary.parse_millis.to_string()>
            <strong>{summary.name.clone()}</strong>
            {format!(": {} rows × {} columns. Scroll through every row:", crate::widgets::thousands(summary.n_rows), crate::widgets::thousands(summary.columns.len()))}
        </p>
        <ColumnPager id="data-pager" total=summary.columns.len() first=first_column/>
        <RowsTable summary=summary.clone() first_column/>
        <h3>"Columns and their types"</h3>
        <p class="hint">"tabml guesses each column's type from its values. Change it where the guess is wrong: a code such as a postcode or a class number is a category, not a quantity. Only the types every value fits are offered."</p>
        <ColumnsTable summary first_column/>
        <ValidationFindings/>
    }
}

/// Height of one row of the scrolling table, in CSS pixels (fixed, so a scroll offset is a row).
const ROW_HEIGHT: f64 = 28.0;
/// Rows fetched around the visible ones.
const ROW_WINDOW: usize = 60;

/// The rows on the page: the index of the first, the index of the first column, and their cells.
type RowWindow = (usize, usize, Vec<Vec<Option<String>>>);

/// Every row of the data set in a scrolling table that stays smooth at any size: only a window of
/// rows around the visible ones, in one page of columns, exists in the page, fetched from the
/// worker as the learner scrolls, with empty space standing in for the rest.
#[component]
fn RowsTable(summary: Arc<DataSummary>, first_column: RwSignal<usize>) -> impl IntoView {
    let n_rows = summary.n_rows;
    let n_all_columns = summary.columns.len();
    let first_visible = RwSignal::new(0usize);
    // The summary's first rows to start.
    let initial: Vec<Vec<Option<String>>> =
        summary.preview.iter().map(|row| row.iter().take(COLUMN_PAGE).cloned().collect()).collect();
    let window = RwSignal::new((0usize, 0usize, initial) as RowWindow);
    let wanted = RwSignal::new((0usize, 0usize));
    Effect::new(move |_| {
        let first = first_visible.get();
        let column = first_column.get();
        let (start, shown_column, len) = window.with_untracked(|(s, c, rows)| (*s, *c, rows.len()));
        let visible_end = (first + 20).min(n_rows);
        if column == shown_column && first >= start && visible_end <= start + len {
            return;
        }
        let from = first.saturating_sub(ROW_WINDOW / 3);
        wanted.set((from, column));
        let page = column_page(column, n_all_columns);
        let columns = (page.start, page.end);
        spawn_local(async move {
            if let Ok(rows) = client::rows(from, ROW_WINDOW, columns).await {
                // A later scroll may have asked for other rows meanwhile; keep only the newest.
                if wanted.get_untracked() == (from, column) {
                    window.set((from, column, rows));
                }
            }
        });
    });
    let header = move || {
        let from = first_column.get();
        summary.columns[column_page(from, n_all_columns)]
            .iter()
            .map(|c| view! { <th scope="col">{c.name.clone()}</th> })
            .collect_view()
    };
    // Rows are keyed by their index and column page, so that a window moved by 20 rows makes 20
    // new rows and keeps the other 40 as they are.
    let rows = move || {
        window.with(|(start, column, rows)| {
            rows.iter().enumerate().map(|(i, row)| ((start + i, *column), row.clone())).collect::<Vec<_>>()
        })
    };
    let n_columns = move || window.with(|(_, _, rows)| rows.first().map_or(1, Vec::len) + 1);
    let above = move || window.with(|(start, _, _)| format!("height: {}px", *start as f64 * ROW_HEIGHT));
    let below = move || {
        window.with(|(start, _, rows)| {
            format!("height: {}px", n_rows.saturating_sub(start + rows.len()) as f64 * ROW_HEIGHT)
        })
    };
    let body = view! {
        <tr class="spacer" aria-hidden="true"><td colspan=n_columns style=above></td></tr>
        <For each=rows key=|(key, _)| *key children=move |((index, _), row)| {
            let cells = row
                .into_iter()
                .map(|cell| match cell {
                    Some(v) => view! { <td>{v}</td> }.into_any(),
                    None => view! { <td class="missing">"missing"</td> }.into_any(),
                })
                .collect_view();
            view! { <tr data-row=index.to_string()><th scope="row" class="row-number">{index + 1}</th>{cells}</tr> }
        }/>
        <tr class="spacer" aria-hidden="true"><td colspan=n_columns style=below></td></tr>
    };
    view! {
        <div class="rows-scroll" id="rows-scroll" tabindex="0" role="region" aria-label="The data set's rows, scrollable"
            on:scroll=move |ev| {
                let element = event_target::<web_sys::Element>(&ev);
                first_visible.set((f64::from(element.scroll_top()) / ROW_HEIGHT).floor() as usize);
            }>
            <table id="preview">
                <thead><tr><th scope="col" class="row-number">"row"</th>{header}</tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}

/// Name, type (changeable), missing values and distinct values of every column.
#[component]
fn ColumnsTable(summary: Arc<DataSummary>, first_column: RwSignal<usize>) -> impl IntoView {
    let bench = expect_context::<Workbench>();
    let kind_error = RwSignal::new(None::<String>);
    let n_rows = summary.n_rows;
    let rows = move || {
        summary.columns[column_page(first_column.get(), summary.columns.len())]
            .iter()
            .map(|c| {
                let missing_text = if c.missing == 0 {
                    "none".to_owned()
                } else {
                    format!("{} ({:.1}%)", c.missing, 100.0 * c.missing as f64 / n_rows as f64)
                };
                let name = c.name.clone();
                let current = c.kind;
                let options = c
                    .possible_kinds
                    .iter()
                    .map(|&k| view! { <option value=k.label() selected=k == current>{k.label()}</option> })
                    .collect_view();
                let label = format!("type of {}", c.name);
                view! {
                    <tr data-column=c.name.clone()>
                        <th scope="row">{c.name.clone()}</th>
                        <td>
                            <select class="kind-select" aria-label=label on:change=move |ev| {
                                if let Some(kind) = ColumnKind::from_label(&event_target_value(&ev)) {
                                    change_kind(bench, kind_error, name.clone(), kind);
                                }
                            }>{options}</select>
                        </td>
                        <td class="num">{missing_text}</td>
                        <td class="num">{c.distinct}</td>
                        {target_hint(c)}
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        {move || kind_error.get().map(|message| view! { <div class="error" role="alert" id="kind-error">{message}</div> })}
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

/// Asks the worker to retype a column; the new summary replaces the old, and any trained result
/// (made with the old types) is cleared.
fn change_kind(bench: Workbench, kind_error: RwSignal<Option<String>>, column: String, kind: ColumnKind) {
    spawn_local(async move {
        match client::set_kind(&column, kind).await {
            Ok(summary) => {
                bench.setup.update(|setup| setup.kinds.push((column, kind)));
                let setup = bench.setup.get_untracked();
                crate::state::persist(bench, async move { store::save_setup(&setup).await });
                kind_error.set(None);
                bench.outcome.set(None);
                bench.data.set(Some(LoadedData { summary: Arc::new(summary) }));
            }
            Err(e) => kind_error.set(Some(e.to_string())),
        }
    });
}

/// What predicting this column would be, as a table cell (with the reason when it cannot be a target).
fn target_hint(column: &ColumnInfo) -> impl IntoView {
    match &column.as_target {
        Ok(Task::Classification { classes }) => {
            view! { <td>{format!("classification, {} classes", classes.len())}</td> }.into_any()
        }
        Ok(Task::Regression) => view! { <td>"regression"</td> }.into_any(),
        Err(message) => {
            view! { <td class="not-target">"not usable: " <small>{message.to_string()}</small></td> }
                .into_any()
        }
    }
}

/// Findings listed at most (a wide data set can have one per column).
const MAX_FINDINGS: usize = 100;

/// The validation report for the loaded data and the chosen target, worst findings first.
#[component]
fn ValidationFindings() -> impl IntoView {
    let bench = expect_context::<Workbench>();
    // The preview (and so this) is rebuilt whenever the data set or a column's type changes.
    let report = LocalResource::new(move || {
        let target = bench.target.get();
        async move { client::validate(&target).await }
    });
    view! {
        <h3>"Checks"</h3>
        <p class="hint">"What in this data could mislead a model (or you), and what to do about it. The checks follow the target chosen in " {StepId::Train.named()} "."</p>
        {move || {
            let findings = match report.get() {
                None => return view! { <p class="hint" role="status">"Checking the data…"</p> }.into_any(),
                Some(Err(message)) => return view! { <div class="error" role="alert">{message.to_string()}</div> }.into_any(),
                Some(Ok(findings)) => findings,
            };
            if findings.is_empty() {
                return view! { <p class="verdict good" id="validation-clean">"No problems found."</p> }.into_any();
            }
            let more = findings.len().saturating_sub(MAX_FINDINGS);
            view! {
                <ul class="findings" id="validation-findings">
                    {findings.into_iter().take(MAX_FINDINGS).map(|f| {
                        let (class, label) = match f.severity {
                            Severity::Problem => ("finding problem", "problem"),
                            Severity::Warning => ("finding warning", "warning"),
                            Severity::Info => ("finding info", "note"),
                        };
                        view! {
                            <li class=class data-column=f.column.unwrap_or_default()>
                                <span class="severity">{label}</span>
                                <span class="message">{f.message}</span>
                                <span class="advice">{f.advice}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                {(more > 0).then(|| view! {
                    <p class="hint" id="more-findings">{format!(
                        "…and {} more findings, not listed: the {MAX_FINDINGS} above come first because they matter most. Fix those and check again.",
                        crate::widgets::thousands(more)
                    )}</p>
                })}
            }.into_any()
        }}
    }
}
