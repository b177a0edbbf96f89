//! Sharing the shown model with the class: its bundle becomes a new version of a registered model
//! (made, with a description from the problem card, if the name is new), and its run goes to the
//! server's runs with its hyperparameters, test metrics, data fingerprints and seed, tagged with
//! the version and digest. A bundle the model already holds is not uploaded again. Signed out, the
//! panel says how to sign in; a refusal (403, 409, a bad name) shows the server's words.

use crate::account::Account;
use crate::http::{self, HttpError};
use crate::state::TrainedModel;
use leptos::prelude::*;
use leptos_router::components::A;
use tabml::api::{KeyValue, MetricPoint, NewModel, NewRun, RunBatch};

/// Where a share is.
#[derive(Clone, PartialEq)]
enum Status {
    Idle,
    Working,
    Done(String),
    Refused(String),
}

/// A registry name for the model: letters, digits, `.`, `_` and `-`, from its target and family.
fn default_name(trained: &TrainedModel) -> String {
    let raw = format!("{}-{}", trained.view.target, trained.view.model.name());
    let name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    name.trim_start_matches(['.', '-', '_']).chars().take(64).collect()
}

/// The share panel of the Evaluate step.
#[component]
pub fn Share(trained: TrainedModel) -> impl IntoView {
    let account = expect_context::<Account>();
    let name = RwSignal::new(default_name(&trained));
    let status = RwSignal::new(Status::Idle);
    // The learner's registered models, offered as names to share into.
    let mine = LocalResource::new(move || {
        let session = account.session.get();
        async move {
            let session = session?;
            let page = http::models(&session.token, "", Some(&session.user.name), 0, 100).await.ok()?;
            Some(page.models.into_iter().map(|m| m.name).collect::<Vec<_>>())
        }
    });
    let share = move |_| {
        let Some(session) = account.session.get_untracked() else { return };
        let (trained, name) = (trained.clone(), name.get_untracked().trim().to_owned());
        status.set(Status::Working);
        leptos::task::spawn_local(async move {
            match publish(&session.token, &name, &trained).await {
                Ok(message) => status.set(Status::Done(message)),
                Err(e) if e.is_unauthorized() => {
                    status.set(Status::Idle);
                    account.expired().await;
                }
                Err(HttpError::Refused { message, .. }) => status.set(Status::Refused(message)),
                Err(e) => status.set(Status::Refused(e.to_string())),
            }
        });
    };
    view! {
        <div class="share" id="share">
            <h3>"Share with your class"</h3>
            {move || match account.session.get() {
                None => view! {
                    <p class="hint">"Put this model in your class's registry, where your mentor and classmates can pull it. "
                        <A href="/sign-in" attr:id="share-sign-in">"Sign in to share"</A> "."</p>
                }.into_any(),
                Some(_) => view! {
                    <div class="controls">
                        <label>"Registered model name "
                            <input id="share-name" type="text" list="share-models" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                        </label>
                        <datalist id="share-models">
                            {move || mine.get().flatten().unwrap_or_default().into_iter().map(|m| view! { <option value=m/> }).collect_view()}
                        </datalist>
                        <button type="button" id="share-button" disabled=move || status.get() == Status::Working on:click=share.clone()>"Share as a new version"</button>
                    </div>
                    <p class="hint">"Type a new name, or pick one of your registered models from the list to add a version to it. The bundle becomes the model's next version (a new name is registered, described by your problem card), and this run goes to the server's runs with its hyperparameters, test metrics, data fingerprints and seed."</p>
                }.into_any(),
            }}
            {move || match status.get() {
                Status::Idle => None,
                Status::Working => Some(view! { <p class="hint" role="status">"Sharing…"</p> }.into_any()),
                Status::Done(message) => Some(view! { <p class="verdict good" id="share-done">{message}</p> }.into_any()),
                Status::Refused(message) => Some(view! { <div class="error" role="alert" id="share-error">{message}</div> }.into_any()),
            }}
        </div>
    }
}

/// Registers `name` if new, uploads the bundle unless the model holds it already, and records the
/// run. Returns what to tell the learner.
async fn publish(token: &str, name: &str, trained: &TrainedModel) -> Result<String, HttpError> {
    let view = &trained.view;
    if http::model(token, name).await?.is_none() {
        let description = if view.card.target_outcome.trim().is_empty() {
            format!("predicts {}", view.target)
        } else {
            view.card.target_outcome.trim().to_owned()
        };
        let new = NewModel {
            name: name.to_owned(),
            description,
            card: serde_json::to_value(&view.card).ok(),
            tags: Vec::new(),
            class: None,
        };
        http::register_model(token, &new).await?;
    }
    let digest = &trained.file.digest;
    let held = http::versions(token, name).await?.into_iter().find(|v| &v.digest == digest);
    let (version, fresh) = match held {
        Some(v) => (v.version, false),
        None => (http::upload_version(token, name, &trained.file.bytes).await?.version, true),
    };
    if !fresh {
        return Ok(format!("{name} already holds this model as version {version}; nothing was uploaded."));
    }
    let run = http::new_run(
        token,
        &NewRun { name: format!("{name} version {version}"), model: Some(name.to_owned()) },
    )
    .await?;
    let training = &view.training;
    let kv = |key: &str, value: String| KeyValue { key: key.to_owned(), value };
    let mut params: Vec<KeyValue> = view.params.pairs().into_iter().map(|(k, v)| kv(&k, v)).collect();
    params.push(kv("model", view.model.name().to_owned()));
    params.push(kv("seed", training.seed.to_string()));
    params.push(kv("test_fraction", training.test_fraction.to_string()));
    let metrics = view
        .evaluation
        .as_ref()
        .map(|e| {
            e.metric_pairs()
                .into_iter()
                .filter(|(_, value)| value.is_finite())
                .map(|(key, value)| MetricPoint { key, value, step: 0, timestamp: None })
                .collect()
        })
        .unwrap_or_default();
    let tags = vec![
        kv("version", version.to_string()),
        kv("digest", digest.clone()),
        kv("tabml_version", view.tabml_version.clone()),
        kv("fingerprint_data", training.fingerprints.data.clone()),
        kv("fingerprint_train", training.fingerprints.train.clone()),
        kv("fingerprint_test", training.fingerprints.test.clone()),
    ];
    http::log_batch(token, run.id, &RunBatch { metrics, params, tags }).await?;
    Ok(format!("Shared as {name} version {version}, with its run (#{}).", run.id))
}
