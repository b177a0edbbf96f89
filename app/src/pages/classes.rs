//! The mentor's classes (`/classes`) and a class's overview (`/classes/{name}`): every model of the
//! class's learners in one table, with its production and champion versions, its last activity and
//! its health over the last 24 hours (volume, realized and estimated accuracy, drift, latency p99,
//! failures, freshness, open alerts), each figure with a colour and a word, sortable, worst first.
//! The overview asks again every 15 seconds.

use crate::account::Account;
use crate::http;
use crate::widgets::health::{self, Look};
use crate::widgets::{thousands, ticker, when};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use tabml::api::{ClassOverview, ModelHealth};

/// The classes the signed-in mentor runs (every class, for an admin).
#[component]
pub fn ClassesPage() -> impl IntoView {
    let account = expect_context::<Account>();
    let found = LocalResource::new(move || {
        let token = account.session.get().map(|s| s.token);
        async move { Some(http::classes(&token?).await.map_err(|e| account.words(e))) }
    });
    let list = move || {
        found.get().flatten().map(|answer| match answer {
            Err(why) => view! { <div class="error" role="alert" id="classes-error">{why}</div> }.into_any(),
            Ok(classes) if classes.is_empty() => {
                view! { <p class="hint" id="classes-none">"You run no class yet."</p> }.into_any()
            }
            Ok(classes) => {
                let items = classes
                    .into_iter()
                    .map(|c| {
                        let href = format!("/classes/{}", js_sys::encode_uri_component(&c.name));
                        view! { <li><A href=href>{c.name.clone()}</A>{format!(" — {} learners", c.learners)}</li> }
                    })
                    .collect_view();
                view! { <ul id="classes-list">{items}</ul> }.into_any()
            }
        })
    };
    view! {
        <section class="step" id="classes" aria-labelledby="classes-title">
            <h2 id="classes-title">"Classes"</h2>
            <p class="why">"The classes you run. Open one to see every model its learners shared and how each is doing."</p>
            {move || match account.session.get() {
                None => view! { <p class="hint">"For mentors. "<A href="/sign-in">"Sign in"</A>" to see your classes."</p> }.into_any(),
                Some(_) => view! { <Transition fallback=|| view! { <p class="hint">"Loading…"</p> }>{list}</Transition> }.into_any(),
            }}
        </section>
    }
}

/// How the overview is sorted.
#[derive(Clone, Copy, PartialEq)]
enum SortBy {
    Worst,
    Name,
    Volume,
    Accuracy,
    Drift,
    LastEvent,
}

/// How bad a model looks, for sorting worst first: open alerts, then each figure's look.
fn badness(m: &ModelHealth) -> u32 {
    let looks = [
        health::accuracy(m.accuracy),
        health::accuracy(m.estimated_accuracy),
        health::drift(m.drift_share),
        health::errors(m.error_rate),
        health::overrides(m.override_rate),
        health::freshness(m.last_event_at, js_sys::Date::now() as i64),
    ];
    m.open_alerts as u32 * 100 + looks.iter().map(|l| l.rank()).sum::<u32>()
}

/// A class's overview.
#[component]
pub fn ClassPage() -> impl IntoView {
    let account = expect_context::<Account>();
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let tick = ticker(15_000);
    let sort = RwSignal::new(SortBy::Worst);
    let kept = std::rc::Rc::new(std::cell::RefCell::new(http::Polled::<ClassOverview>::default()));
    let found = LocalResource::new(move || {
        let (url, token, kept) =
            (http::class_overview_url(&name()), account.session.get().map(|s| s.token), kept.clone());
        tick.track();
        async move { Some(http::Polled::answer(&kept, &token?, &url).await.map_err(|e| account.words(e))) }
    });
    let header = move |by: SortBy, label: &'static str| {
        view! {
            <th><button type="button" class="sort" aria-pressed=move || (sort.get() == by).to_string()
                on:click=move |_| sort.set(by)>{label}</button></th>
        }
    };
    let table = move || {
        found.get().flatten().map(|answer| match answer {
            Err(why) => view! { <div class="error" role="alert" id="class-error">{why}</div> }.into_any(),
            Ok(overview) if overview.models.is_empty() => {
                view! { <p class="hint" id="class-empty">"No model in this class yet."</p> }.into_any()
            }
            Ok(overview) => {
                let mut models = overview.models;
                match sort.get() {
                    SortBy::Worst => models.sort_by_key(|m| std::cmp::Reverse(badness(m))),
                    SortBy::Name => models.sort_by(|a, b| a.name.cmp(&b.name)),
                    SortBy::Volume => models.sort_by_key(|m| std::cmp::Reverse(m.volume)),
                    SortBy::Accuracy => models.sort_by(|a, b| a.accuracy.unwrap_or(2.0).total_cmp(&b.accuracy.unwrap_or(2.0))),
                    SortBy::Drift => models.sort_by(|a, b| b.drift_share.unwrap_or(-1.0).total_cmp(&a.drift_share.unwrap_or(-1.0))),
                    SortBy::LastEvent => models.sort_by_key(|m| std::cmp::Reverse(m.last_event_at)),
                }
                let now = js_sys::Date::now() as i64;
                let rows = models.into_iter().map(|m| view! { <ModelRow m now/> }).collect_view();
                view! {
                    <div class="table-scroll">
                        <table id="class-models">
                            <thead><tr>
                                {header(SortBy::Name, "Model")}<th>"Owner"</th><th>"Production"</th><th>"Champion"</th>
                                {header(SortBy::Volume, "Predictions")}{header(SortBy::Accuracy, "Accuracy")}<th>"Estimated"</th>
                                {header(SortBy::Drift, "Drift")}<th>"Latency p99"</th><th>"Failed"</th><th>"Overridden"</th>
                                {header(SortBy::LastEvent, "Last activity")}{header(SortBy::Worst, "Alerts")}
                            </tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }
                .into_any()
            }
        })
    };
    view! {
        <section class="step" id="class" aria-labelledby="class-title">
            <h2 id="class-title">{move || format!("Class {}", name())}</h2>
            <p class="why">"Every model your learners shared, and how each did over the last 24 hours. The worst come first: open alerts, then low accuracy, drift, failures, overridden predictions, silence. Click a column's name to sort by it. This page looks again every 15 seconds."</p>
            <p class="hint"><A href="/classes">"← All classes"</A>" · "<A href="/alerts">"Open alerts"</A></p>
            <Transition fallback=|| view! { <p class="hint">"Loading…"</p> }>{table}</Transition>
        </section>
    }
}

/// A figure's cell: its value, and a word with the colour of how it looks.
fn cell(value: String, look: Look) -> impl IntoView {
    view! { <td class=format!("look {}", look.class())>{value}" "<span class="word">{look.word()}</span></td> }
}

/// One model of the overview.
#[component]
fn ModelRow(m: ModelHealth, now: i64) -> impl IntoView {
    let version = |v: Option<u32>| v.map_or_else(|| "—".into(), |v| format!("v{v}"));
    let href = format!("/registry/{}", js_sys::encode_uri_component(&m.name));
    let alerts = if m.open_alerts == 0 { Look::Good("none") } else { Look::Bad("open") };
    let name = m.name.clone();
    view! {
        <tr data-model=m.name.clone()>
            <td><A href=href>{name}</A></td>
            <td>{m.owner.clone()}</td>
            <td>{version(m.production_version)}</td>
            <td>{version(m.champion_version)}</td>
            {cell(thousands(m.volume as usize), if m.volume == 0 { Look::Quiet("none") } else { Look::Good("scored") })}
            {cell(health::percent(m.accuracy), health::accuracy(m.accuracy))}
            {cell(health::percent(m.estimated_accuracy), health::accuracy(m.estimated_accuracy))}
            {cell(health::percent(m.drift_share), health::drift(m.drift_share))}
            {cell(m.latency_p99_ms.map_or_else(|| "—".into(), |l| format!("{l:.2} ms")), Look::Quiet(""))}
            {cell(health::percent(m.error_rate), health::errors(m.error_rate))}
            {cell(health::percent(m.override_rate), health::overrides(m.override_rate))}
            {cell(m.last_event_at.map_or_else(|| "never".into(), when), health::freshness(m.last_event_at, now))}
            {cell(m.open_alerts.to_string(), alerts)}
        </tr>
    }
}
