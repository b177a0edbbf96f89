//! What an address that names no page shows: which address, and the way back.

use super::PAGES;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

/// The page for an unknown address.
#[component]
pub fn NotFound() -> impl IntoView {
    let path = use_location().pathname;
    let pages =
        PAGES.into_iter().map(|(href, name)| view! { <li><A href=href>{name}</A></li> }).collect_view();
    view! {
        <section class="step" id="not-found" aria-labelledby="not-found-title">
            <h2 id="not-found-title">"No page here"</h2>
            <p>"tabml has no page at " <code id="not-found-path">{move || path.get()}</code> ". Nothing you did was lost: your work is kept in this browser. The pages are:"</p>
            <ul>{pages}</ul>
        </section>
    }
}
