//! The app's pages. [`App`] lays out the header and footer every page shares and routes each
//! address to its page. Each page is a folder or file here, and no page imports another: what they
//! share lives in [`crate::state`] and [`crate::widgets`].

pub mod workbench;

use crate::state::{persist, restore, Workbench};
use crate::store;
use crate::widgets::ServerStatus;
use leptos::prelude::*;

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let bench = Workbench::default();
    provide_context(bench);
    leptos::task::spawn_local(restore(bench));
    // The card is saved as it is edited, once the saved one has been read back.
    Effect::new(move |_| {
        let card = bench.card.get();
        if bench.restored.get_untracked() {
            persist(bench, async move { store::save_card(&card).await });
        }
    });
    // So are the preparation, the test share and the seed.
    Effect::new(move |_| {
        let choices = store::Choices {
            prep: bench.prep.get(),
            test_fraction: bench.test_fraction.get(),
            seed: bench.seed.get(),
        };
        if bench.restored.get_untracked() {
            persist(bench, async move { store::save_choices(&choices).await });
        }
    });
    let forget = move |_| {
        leptos::task::spawn_local(async move {
            match store::clear().await {
                Ok(()) => {
                    if let Some(window) = web_sys::window() {
                        let _ = window.location().reload();
                    }
                }
                Err(e) => bench.storage_error.set(Some(e)),
            }
        })
    };
    view! {
        <header class="top">
            <h1>"tabml"</h1>
            <span class="tagline">
                "Train and check a small model on a table, right here in your browser. Nothing to install; your data stays in this browser."
            </span>
            <ServerStatus/>
        </header>
        {move || bench.storage_error.get().map(|e| view! {
            <div class="error storage-error" role="alert" id="storage-error">"Your work could not be saved in this browser: " {e} ". It still works in this tab until you close it."</div>
        })}
        <main data-restored=move || bench.restored.get().to_string() data-saving=move || bench.saving.get().to_string()>
            <workbench::WorkbenchPage/>
        </main>
        <footer>
            "tabml " {tabml::VERSION} " · training, scoring and evaluation run in WebAssembly in this tab · your card, data set and runs are kept in this browser (IndexedDB) "
            <button type="button" id="forget-work" class="small" on:click=forget>"Forget everything saved here"</button>
        </footer>
    }
}
