//! The registry (`/registry`): the models of the learner's class, searched by name or description
//! and listed a page at a time; `model.rs` shows one model (`/registry/{name}`): its versions with
//! their test metrics beside the baseline, aliases and stages, who pushed each, the changes a
//! learner or mentor may make, and the audit log; `oversight.rs` what a mentor steers there (the
//! deployment policy, alert rules, overridden predictions).

mod charts;
mod model;
mod monitoring;
mod oversight;

pub use model::ModelPage;

use crate::account::Account;
use crate::http;
use leptos::prelude::*;
use leptos_router::components::A;

/// Models per page of the list.
const PAGE: u32 = 20;

/// The registry's list of models.
#[component]
pub fn RegistryPage() -> impl IntoView {
    let account = expect_context::<Account>();
    let query = RwSignal::new(String::new());
    let offset = RwSignal::new(0u64);
    let page = LocalResource::new(move || {
        let (q, offset, token) = (query.get(), offset.get(), account.session.get().map(|s| s.token));
        async move {
            match token {
                Some(token) => {
                    Some(http::models(&token, &q, None, offset, PAGE).await.map_err(|e| account.words(e)))
                }
                None => None,
            }
        }
    });
    let rows = move || {
        page.get().flatten().map(|answer| match answer {
            Err(message) => view! { <div class="error" role="alert" id="registry-error">{message}</div> }.into_any(),
            Ok(found) if found.models.is_empty() => view! {
                <p class="hint" id="registry-empty">{if query.get_untracked().trim().is_empty() {
                    "No model is registered yet. Train one on the workbench and share it from its Evaluate step."
                } else {
                    "No model matches this search."
                }}</p>
            }
            .into_any(),
            Ok(found) => {
                let first = offset.get_untracked() + 1;
                let last = offset.get_untracked() + found.models.len() as u64;
                let next = found.next_offset;
                let models = found
                    .models
                    .into_iter()
                    .map(|m| {
                        let aliases = m.aliases.iter().map(|(a, v)| format!("{a} → v{v}")).collect::<Vec<_>>().join(", ");
                        view! {
                            <tr>
                                <td><A href=format!("/registry/{}", js_sys::encode_uri_component(&m.name))>{m.name.clone()}</A></td>
                                <td class="wrap">{m.description.clone()}</td>
                                <td>{m.owner.clone()}</td>
                                <td>{m.class.clone().unwrap_or_else(|| "staff".into())}</td>
                                <td class="num">{if m.latest_version == 0 { "none yet".to_owned() } else { format!("v{}", m.latest_version) }}</td>
                                <td>{aliases}</td>
                            </tr>
                        }
                    })
                    .collect_view();
                view! {
                    <p class="hint" id="registry-count">{format!("Models {first}–{last} of {}.", found.total)}</p>
                    <div class="table-scroll">
                        <table id="registry-models">
                            <thead><tr><th>"Model"</th><th>"What it is for"</th><th>"Owner"</th><th>"Class"</th><th>"Newest"</th><th>"Aliases"</th></tr></thead>
                            <tbody>{models}</tbody>
                        </table>
                    </div>
                    <div class="controls pager">
                        <button type="button" id="registry-previous" disabled=move || offset.get() == 0
                            on:click=move |_| offset.update(|o| *o = o.saturating_sub(PAGE as u64))>"← Previous"</button>
                        <button type="button" id="registry-next" disabled=next.is_none()
                            on:click=move |_| if let Some(n) = next { offset.set(n) }>"Next →"</button>
                    </div>
                }
                .into_any()
            }
        })
    };
    view! {
        <section class="step" id="registry" aria-labelledby="registry-title">
            <h2 id="registry-title">"Registry"</h2>
            <p class="why">"The models your class has shared. Each model keeps every version pushed to it; an alias such as "<code>"champion"</code>" names the version people should use, and a stage says where a version is in its life: tried in staging, serving in production, or archived."</p>
            {move || match account.session.get() {
                None => view! {
                    <p class="hint" id="registry-signed-out">"The registry is on the server, for your class. "
                        <A href="/sign-in">"Sign in"</A>" to see it."</p>
                }.into_any(),
                Some(_) => view! {
                    <div class="controls">
                        <label>"Search by name or description"
                            <input id="registry-search" type="search" prop:value=query
                                on:input=move |ev| { query.set(event_target_value(&ev)); offset.set(0); }/>
                        </label>
                    </div>
                    <Transition fallback=|| view! { <p class="hint">"Loading…"</p> }>{rows}</Transition>
                }.into_any(),
            }}
        </section>
    }
}
