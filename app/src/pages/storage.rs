//! What this browser keeps (`/storage`): how much the app stores and how much the browser allows,
//! per kind (data sets, runs, pulled models, events waiting for the server), with a way to free
//! each; and whether the browser keeps it for good or may clear it when space runs low, with a way
//! to ask it to keep it (`navigator.storage.persist`).

use crate::outbox::Outbox;
use crate::store::{self, outbox};
use crate::widgets::thousands;
use leptos::prelude::*;

/// Bytes as a learner reads them.
fn size(bytes: f64) -> String {
    match bytes {
        b if b >= 1e9 => format!("{:.1} GB", b / 1e9),
        b if b >= 1e6 => format!("{:.1} MB", b / 1e6),
        b if b >= 1e3 => format!("{:.0} kB", b / 1e3),
        b => format!("{b:.0} bytes"),
    }
}

/// Everything the page shows.
#[derive(Clone, Default)]
struct Kept {
    /// What the browser says the site uses and may use, in bytes.
    estimate: Option<(f64, f64)>,
    persisted: bool,
    files: (usize, usize),
    runs: (usize, usize),
    pulled: (usize, usize),
}

async fn kept() -> Kept {
    let (estimate, persisted) = (store::estimate().await, store::persisted().await);
    let files = store::kept_files().await.unwrap_or_default();
    let runs = store::load_runs().await.unwrap_or_default();
    let pulled = store::pulled_all().await.unwrap_or_default();
    Kept {
        estimate,
        persisted,
        files: (files.len(), files.iter().map(|f| f.bytes).sum()),
        runs: (runs.len(), runs.iter().map(|r| r.bundle.len()).sum()),
        pulled: (pulled.len(), pulled.iter().map(|(_, n)| n).sum()),
    }
}

/// The storage page.
#[component]
pub fn StoragePage() -> impl IntoView {
    let outbox = expect_context::<Outbox>();
    let refresh = RwSignal::new(0u32);
    let found = LocalResource::new(move || {
        refresh.track();
        kept()
    });
    let done = RwSignal::new(None::<String>);
    let free = move |what: &'static str| {
        leptos::task::spawn_local(async move {
            let answer = match what {
                "files" => store::forget_files().await,
                "runs" => store::forget_runs().await,
                "pulled" => store::forget_pulled().await,
                _ => outbox::clear_waiting().await,
            };
            outbox.refresh().await;
            done.set(Some(match answer {
                Ok(()) => "Freed. What the tab has open stays until the page is reloaded.".into(),
                Err(e) => format!("Could not free it: {e}"),
            }));
            refresh.update(|r| *r += 1);
        });
    };
    let persist = move |_| {
        leptos::task::spawn_local(async move {
            let kept = store::ask_to_persist().await;
            done.set(Some(if kept {
                "The browser will keep this site's storage until you clear it.".into()
            } else {
                "The browser did not agree (it decides by how much you use the site); your work is still saved.".into()
            }));
            refresh.update(|r| *r += 1);
        });
    };
    let rows = move || {
        found.get().map(|kept| {
            let counts = outbox.counts.get();
            let row = |id: &'static str, kind: &'static str, what: String, freed: &'static str, empty: bool| {
                view! {
                    <tr id=format!("kept-{id}")>
                        <th scope="row">{kind}</th>
                        <td>{what}</td>
                        <td><button type="button" class="small" id=format!("free-{id}") disabled=empty
                            on:click=move |_| free(id)>{freed}</button></td>
                    </tr>
                }
            };
            view! {
                <p class="hint" id="storage-estimate">{match kept.estimate {
                    Some((usage, quota)) => format!("This site uses {} (the app's own files for offline use included) of the {} the browser allows it.", size(usage), size(quota)),
                    None => "This browser does not say how much it allows.".into(),
                }}</p>
                <p class=if kept.persisted { "verdict good" } else { "verdict bad" } id="storage-persisted">
                    {if kept.persisted {
                        "The browser keeps this storage until you clear it."
                    } else {
                        "The browser may clear this storage when the disk runs low. "
                    }}
                    {(!kept.persisted).then(|| view! { <button type="button" class="small" id="storage-persist" on:click=persist>"Ask it to keep it"</button> })}
                </p>
                <table id="storage-kinds">
                    <tbody>
                        {row("files", "Data sets", format!("{} files, {}", kept.files.0, size(kept.files.1 as f64)), "Forget them", kept.files.0 == 0)}
                        {row("runs", "Runs", format!("{} runs, {} of model bundles", kept.runs.0, size(kept.runs.1 as f64)), "Forget them", kept.runs.0 == 0)}
                        {row("pulled", "Pulled models", format!("{} models, {}", kept.pulled.0, size(kept.pulled.1 as f64)), "Forget them", kept.pulled.0 == 0)}
                        {row("events", "Events to send", format!("{} waiting, {} refused", thousands(counts.waiting as usize), thousands(counts.parked as usize)), "Drop them unsent", counts.waiting == 0)}
                    </tbody>
                </table>
            }
        })
    };
    view! {
        <section class="step" id="storage" aria-labelledby="storage-title">
            <h2 id="storage-title">"Kept in this browser"</h2>
            <p class="why">"tabml keeps your work in this browser, not on a server: the data sets you opened, every run with its model, the models you pulled from your class's registry, and monitoring events until the server has them. Here is how much each takes, and a way to free it."</p>
            <Transition fallback=|| view! { <p class="hint">"Measuring…"</p> }>{rows}</Transition>
            {move || done.get().map(|d| view! { <p class="hint" role="status" id="storage-done">{d}</p> })}
        </section>
    }
}
