//! The app's pages. [`App`] lays out the header and footer every page shares and routes each
//! address to its page. Each page is a folder or file here, and no page imports another: what they
//! share lives in [`crate::state`] and [`crate::widgets`].

mod alerts;
mod classes;
mod not_found;
mod registry;
mod score;
mod sign_in;
mod storage;
pub mod workbench;

use crate::account::{role_name, Account};
use crate::outbox::{Outbox, OutboxBadge, OutboxFooter};
use crate::state::{persist, restore, Workbench};
use crate::store;
use crate::widgets::ServerStatus;
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

/// Every page: its address and the name the header's menu gives it.
pub const PAGES: [(&str, &str); 5] = [
    ("/", "Workbench"),
    ("/score", "Score"),
    ("/registry", "Registry"),
    ("/classes", "Classes"),
    ("/alerts", "Alerts"),
];

/// The whole app: the learner's work (kept across pages, read back from this browser on start),
/// the header with the menu of pages, the page at this address, and the footer.
#[component]
pub fn App() -> impl IntoView {
    let bench = Workbench::default();
    provide_context(bench);
    leptos::task::spawn_local(restore(bench));
    let account = Account::default();
    provide_context(account);
    let outbox = Outbox::default();
    provide_context(outbox);
    crate::offline::register();
    leptos::task::spawn_local(async move {
        account.restore().await;
        // Whatever an earlier visit left in the outbox goes now, and from now on as it comes.
        outbox.start(account);
    });
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
        <Router>
        <header class="top">
            <h1><A href="/">"tabml"</A></h1>
            <Menu/>
            <span class="tagline">
                "Train and check a small model on a table, right here in your browser. Nothing to install; your data stays in this browser."
            </span>
            <ServerStatus/>
            <OutboxBadge/>
            <AccountBadge/>
        </header>
        <crate::offline::NewRelease/>
        {move || bench.storage_error.get().map(|e| view! {
            <div class="error storage-error" role="alert" id="storage-error">"Your work could not be saved in this browser: " {e.to_string()} ". It still works in this tab until you close it."</div>
        })}
        <main data-restored=move || bench.restored.get().to_string() data-saving=move || bench.saving.get().to_string()>
            <Routes fallback=not_found::NotFound>
                <Route path=path!("/") view=workbench::WorkbenchPage/>
                <Route path=path!("/sign-in") view=sign_in::SignInPage/>
                <Route path=path!("/score") view=score::ScorePage/>
                <Route path=path!("/registry") view=registry::RegistryPage/>
                <Route path=path!("/registry/:name") view=registry::ModelPage/>
                <Route path=path!("/storage") view=storage::StoragePage/>
                <Route path=path!("/alerts") view=alerts::AlertsPage/>
                <Route path=path!("/classes") view=classes::ClassesPage/>
                <Route path=path!("/classes/:name") view=classes::ClassPage/>
            </Routes>
        </main>
        <footer>
            "tabml " {tabml::VERSION} " · training, scoring and evaluation run in WebAssembly in this tab · your card, data set and runs are kept in this browser (IndexedDB) "
            <A href="/storage" attr:id="storage-link">"What is kept here"</A> " "
            <button type="button" id="forget-work" class="small" on:click=forget>"Forget everything saved here"</button>
            <OutboxFooter/>
        </footer>
        </Router>
    }
}

/// The header's menu of pages, the current one marked (inside the router, which links need).
#[component]
fn Menu() -> impl IntoView {
    let links = PAGES
        .into_iter()
        .map(|(href, name)| view! { <A href=href exact=href == "/">{name}</A> })
        .collect_view();
    view! { <nav class="pages" aria-label="Pages">{links}</nav> }
}

/// Who is signed in, with a way out; or a link to sign in. A sign-in that expired sends the learner
/// to the sign-in page (their work in the tab stays as it was).
#[component]
fn AccountBadge() -> impl IntoView {
    let account = expect_context::<Account>();
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if account.notice.get().is_some() {
            navigate("/sign-in", Default::default());
        }
    });
    move || {
        match account.session.get() {
        Some(session) => view! {
            <span class="account" id="account">
                <A href="/sign-in" attr:id="account-name">{format!("{} · {}", session.user.name, role_name(session.user.role))}</A>
                <button type="button" class="small" id="header-sign-out" on:click=move |_| {
                    leptos::task::spawn_local(account.sign_out());
                }>"Sign out"</button>
            </span>
        }
        .into_any(),
        None => view! {
            <span class="account" id="account">
                <A href="/sign-in" attr:id="account-sign-in">"Sign in to share"</A>
            </span>
        }
        .into_any(),
    }
    }
}
