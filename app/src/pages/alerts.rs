//! The Alerts page (`/alerts`): every open alert of the models the signed-in person may see, newest
//! first, with its evidence and its rule's action, acknowledged with a note; asked again every 15
//! seconds, so a mentor never reloads to see a new one.

use crate::account::Account;
use crate::widgets::alerts::AlertList;
use leptos::prelude::*;
use leptos_router::components::A;

/// The Alerts page.
#[component]
pub fn AlertsPage() -> impl IntoView {
    let account = expect_context::<Account>();
    view! {
        <section class="step" id="alerts-page" aria-labelledby="alerts-title">
            <h2 id="alerts-title">"Alerts"</h2>
            <p class="why">"An alert fires when a model's rule is crossed: too few predictions, too many failures, accuracy falling, columns drifting. Each says what happened and what its rule asks you to do; acknowledge it with what you did. This page looks again every 15 seconds."</p>
            {move || match account.session.get() {
                None => view! { <p class="hint">"Alerts are on the server. "<A href="/sign-in">"Sign in"</A>" to see them."</p> }.into_any(),
                Some(_) => view! { <AlertList model=None/> }.into_any(),
            }}
        </section>
    }
}
