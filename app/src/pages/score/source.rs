//! Choosing the Score page's model: the workbench's, a `.tabml` file, or a registered model pulled
//! by name and alias, stage or version.
//!
//! A pulled bundle is kept in this browser by its digest (`store.rs`) and asked for again with
//! `If-None-Match`, so an unchanged model is never downloaded twice; with the server out of reach,
//! the kept copy is used and the page says so. The digest the server gave (its ETag) is checked
//! against the bytes, and again against what the worker read.

use super::{Fetched, Origin, Scoring};
use crate::account::Account;
use crate::client;
use crate::http::{self, HttpError, Pulled, Which};
use crate::state::Workbench;
use crate::store::{self, PulledRef};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// What choosing is doing.
#[derive(Clone, PartialEq)]
enum Status {
    Idle,
    Working(String),
    Failed(String),
}

/// The model chooser.
#[component]
pub fn ChooseModel(scoring: RwSignal<Option<Scoring>>) -> impl IntoView {
    let bench = expect_context::<Workbench>();
    let account = expect_context::<Account>();
    let status = RwSignal::new(Status::Idle);
    // A warning beside a model that was chosen (a kept copy used while the server is away).
    let note = RwSignal::new(None::<String>);
    let query = use_query_map();
    let name = RwSignal::new(query.read_untracked().get("model").unwrap_or_default());
    let (which_kind, which_value) = {
        let q = query.read_untracked();
        match (q.get("version"), q.get("stage"), q.get("alias")) {
            (Some(v), _, _) => (RwSignal::new("version".to_owned()), RwSignal::new(v)),
            (_, Some(s), _) => (RwSignal::new("stage".to_owned()), RwSignal::new(s)),
            (_, _, Some(a)) => (RwSignal::new("alias".to_owned()), RwSignal::new(a)),
            _ => (RwSignal::new("alias".to_owned()), RwSignal::new("champion".to_owned())),
        }
    };
    // Hand the bytes to the worker; the page shows what it read.
    let take = move |label: String, bytes: Vec<u8>, origin: Origin, expected: Option<String>| {
        status.set(Status::Working(format!("Reading {label}…")));
        if !matches!(origin, Origin::Registry { .. }) {
            note.set(None);
        }
        leptos::task::spawn_local(async move {
            match client::score_with(&label, bytes).await {
                Ok(setup) if expected.as_ref().is_some_and(|d| *d != setup.digest) => {
                    status.set(Status::Failed(format!(
                        "{label}: the bundle's digest is not the one the server named; it was not used."
                    )))
                }
                Ok(setup) => {
                    status.set(Status::Idle);
                    scoring.set(Some(Scoring { setup, origin }));
                }
                Err(e) => status.set(Status::Failed(e.to_string())),
            }
        });
    };
    let from_workbench = move |_| {
        if let Some(Ok(trained)) = bench.outcome.get_untracked() {
            let bytes = trained.file.bytes.clone();
            take("the workbench's model".into(), bytes, Origin::Workbench, Some(trained.file.digest.clone()));
        }
    };
    let from_file = move |ev: web_sys::Event| {
        let Some(file) = crate::files::picked(&ev) else { return };
        leptos::task::spawn_local(async move {
            match crate::files::read_file(&file).await {
                Ok(bytes) => take(file.name(), bytes, Origin::File(file.name()), None),
                Err(e) => status.set(Status::Failed(e.to_string())),
            }
        });
    };
    let pull_now = move || {
        let Some(token) = account.token() else {
            status.set(Status::Failed("Sign in to pull a model from the registry.".into()));
            return;
        };
        let model = name.get_untracked().trim().to_owned();
        let value = which_value.get_untracked().trim().to_owned();
        let which = match which_kind.get_untracked().as_str() {
            "version" => match value.parse() {
                Ok(n) => Which::Version(n),
                Err(_) => return status.set(Status::Failed(format!("version: {value:?} is not a number"))),
            },
            "stage" => Which::Stage(value),
            _ => Which::Alias(value),
        };
        if model.is_empty() {
            return status.set(Status::Failed("Name the registered model to pull.".into()));
        }
        status.set(Status::Working(format!("Pulling {model} {}…", which.describe())));
        leptos::task::spawn_local(async move {
            match pull(&token, &model, &which).await {
                Ok((pulled, bytes, fetched, warning)) => {
                    let origin = Origin::Registry {
                        model: model.clone(),
                        version: pulled.version,
                        which: which.describe(),
                        fetched,
                    };
                    note.set(warning);
                    take(format!("{model} version {}", pulled.version), bytes, origin, Some(pulled.digest));
                }
                Err(e) => status.set(Status::Failed(account.words(e))),
            }
        });
    };
    // Arriving from a link (`?model=…`), pull at once, once signed in.
    if !name.get_untracked().is_empty() {
        let pulled = StoredValue::new(false);
        Effect::new(move |_| {
            if account.restored.get() && account.session.get().is_some() && !pulled.get_value() {
                pulled.set_value(true);
                pull_now();
            }
        });
    }
    let has_workbench_model = move || matches!(bench.outcome.get(), Some(Ok(_)));
    view! {
        <div class="choose-model">
            <div class="source">
                <h3>"From your class's registry"</h3>
                {move || account.session.get().is_none().then(|| view! {
                    <p class="hint">"Sign in to pull the models your class shared."</p>
                })}
                <div class="controls">
                    <label>"Registered model"
                        <input id="pull-name" type="text" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                    </label>
                    <label>"Which version"
                        <select id="pull-which" prop:value=which_kind on:change=move |ev| which_kind.set(event_target_value(&ev))>
                            <option value="alias">"alias"</option>
                            <option value="stage">"stage"</option>
                            <option value="version">"version number"</option>
                        </select>
                    </label>
                    <label>{move || match which_kind.get().as_str() { "stage" => "Stage", "version" => "Number", _ => "Alias" }}
                        <input id="pull-value" type="text" prop:value=which_value on:input=move |ev| which_value.set(event_target_value(&ev))/>
                    </label>
                    <button type="button" class="primary" id="pull-button" on:click=move |_| pull_now()
                        disabled=move || account.session.get().is_none() || matches!(status.get(), Status::Working(_))>"Pull"</button>
                </div>
            </div>
            <div class="source">
                <h3>"Or"</h3>
                <div class="controls">
                    <button type="button" id="score-workbench" on:click=from_workbench disabled=move || !has_workbench_model()>
                        "Use the model on the workbench"</button>
                    <label>"Open a model file (.tabml)"
                        <input id="score-bundle-file" type="file" accept=".tabml,application/octet-stream" on:change=from_file/>
                    </label>
                </div>
            </div>
        </div>
        {move || match status.get() {
            Status::Idle => None,
            Status::Working(what) => Some(view! { <p class="hint" role="status">{what}</p> }.into_any()),
            Status::Failed(why) => Some(view! { <div class="error" role="alert" id="score-source-error">{why}</div> }.into_any()),
        }}
        {move || note.get().map(|n| view! { <p class="verdict bad" id="score-note">{n}</p> })}
        {move || scoring.get().map(|s| {
            let view = &s.setup.view;
            let task = match &view.task {
                tabml::Task::Classification { classes } => format!("classifies {} into {}", view.target, classes.join(", ")),
                tabml::Task::Regression => format!("predicts {}", view.target),
            };
            view! {
                <p class="verdict good" id="score-model" data-digest=s.setup.digest.clone()
                    data-version=s.origin.registered().map(|(_, v)| v.to_string())>
                    {format!("Scoring with {}: a {} that {task}, from {} input columns.", s.origin.describe(), view.model.label(), view.inputs)}
                </p>
            }
        })}
    }
}

/// The bundle `which` names of `model`: this browser's copy when the server says it is current
/// (or cannot be reached: then the fourth part says so), else downloaded, checked and kept.
async fn pull(
    token: &str,
    model: &str,
    which: &Which,
) -> Result<(PulledRef, Vec<u8>, Fetched, Option<String>), HttpError> {
    let describe = which.describe();
    let kept = store::pulled(model, &describe).await.ok().flatten();
    let have = kept.as_ref().map(|(p, _)| p.digest.clone());
    match http::pull(token, model, which, have.as_deref()).await {
        Ok(Pulled::Unchanged { version, digest }) => match kept {
            Some((pulled, bytes)) if pulled.digest == digest => {
                Ok((PulledRef { version, ..pulled }, bytes, Fetched::Unchanged, None))
            }
            _ => Err(HttpError::Decode {
                url: model.into(),
                message: "304 for a bundle this browser does not hold".into(),
            }),
        },
        Ok(Pulled::Bundle { version, digest, bytes }) => {
            if tabml::ModelBundle::digest_of(&bytes) != digest {
                return Err(HttpError::Decode {
                    url: model.into(),
                    message: "the downloaded bundle does not match its digest (damaged on the way?)".into(),
                });
            }
            let pulled = PulledRef { model: model.to_owned(), which: describe, version, digest };
            // A copy that cannot be kept costs a download next time, nothing more.
            let _ = store::save_pulled(&pulled, &bytes).await;
            // A pulled model must keep scoring offline: ask the browser not to clear it.
            store::ask_to_persist().await;
            Ok((pulled, bytes, Fetched::Downloaded, None))
        }
        Err(HttpError::Network { .. }) if kept.is_some() => {
            let (pulled, bytes) = kept.expect("checked");
            let note = format!(
                "The server cannot be reached: scoring with this browser's copy of {model} version {} ({}). It may have moved since.",
                pulled.version, pulled.which
            );
            Ok((pulled, bytes, Fetched::Kept, Some(note)))
        }
        Err(e) => Err(e),
    }
}
