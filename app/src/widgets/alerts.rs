//! Open alerts, newest first, asked again every 15 seconds (with the last answer's ETag, so an
//! unchanged list costs a 304): each with what fired, the evidence (the
//! value against the rule), what the rule says to do, and a way to acknowledge it with a note on
//! what was done. Used by the Alerts page (every model) and a model's page (that model).

use super::{ticker, when};
use crate::account::Account;
use crate::http;
use leptos::prelude::*;
use leptos_router::components::A;
use tabml::api::Alert;

/// The open alerts of `model` (every model the caller may see, when `None`).
#[component]
pub fn AlertList(model: Option<String>) -> impl IntoView {
    let account = expect_context::<Account>();
    let tick = ticker(15_000);
    let acked = RwSignal::new(0u32);
    let kept = std::rc::Rc::new(std::cell::RefCell::new(http::Polled::<Vec<Alert>>::default()));
    let found = LocalResource::new(move || {
        let (url, token, kept) = (http::alerts_url(model.as_deref()), account.token(), kept.clone());
        tick.track();
        acked.track();
        async move {
            let token = token?;
            Some(http::Polled::answer(&kept, &token, &url).await.map_err(|e| account.words(e)))
        }
    });
    move || {
        found.get().flatten().map(|answer| match answer {
            Err(why) => view! { <div class="error" role="alert" id="alerts-error">{why}</div> }.into_any(),
            Ok(alerts) if alerts.is_empty() => {
                view! { <p class="verdict good" id="alerts-none">"No open alert."</p> }.into_any()
            }
            Ok(alerts) => {
                let rows = alerts.into_iter().map(|alert| view! { <AlertRow alert acked/> }).collect_view();
                view! {
                    <div class="table-scroll">
                        <table id="alerts">
                            <thead><tr><th>"Fired"</th><th>"Model"</th><th>"What happened, and what to do"</th><th>"Acknowledge"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }
                .into_any()
            }
        })
    }
}

/// One alert, with its acknowledgement form.
#[component]
fn AlertRow(alert: Alert, acked: RwSignal<u32>) -> impl IntoView {
    let account = expect_context::<Account>();
    let note = RwSignal::new(String::new());
    let refused = RwSignal::new(None::<String>);
    let id = alert.id;
    let acknowledge = move |_| {
        let Some(token) = account.token() else { return };
        let text = note.get_untracked().trim().to_owned();
        if text.is_empty() {
            refused.set(Some("Say what was done about it.".into()));
            return;
        }
        leptos::task::spawn_local(async move {
            match http::acknowledge(&token, id, &text).await {
                Ok(_) => acked.update(|a| *a += 1),
                Err(e) => refused.set(Some(account.words(e))),
            }
        });
    };
    let model = alert.model.clone();
    view! {
        <tr data-alert=id>
            <td>{when(alert.fired_at)}</td>
            <td><A href=format!("/registry/{}", js_sys::encode_uri_component(&model))>{model.clone()}</A></td>
            <td class="wrap">{alert.message.clone()}</td>
            <td>
                <input type="text" class="ack-note" placeholder="What was done" prop:value=note
                    on:input=move |ev| note.set(event_target_value(&ev))/>
                " "
                <button type="button" class="small ack" on:click=acknowledge>"Acknowledge"</button>
                {move || refused.get().map(|why| view! { <div class="error" role="alert">{why}</div> })}
            </td>
        </tr>
    }
}
