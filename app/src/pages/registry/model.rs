//! One registered model (`/registry/{name}`): what it is for, its versions (stage, aliases, test
//! metric beside the baseline from the run shared with it, who pushed it and when), the changes a
//! learner or mentor may make to them, its last day's health and alerts, what a mentor steers
//! (`oversight.rs`: policy, alert rules, overrides), and the audit log.
//!
//! A learner moves an alias with a reason and asks for promotion by moving a version to staging; a
//! mentor (or an admin) promotes to production, archives and retires, always with a reason. The
//! page offers every change and lets the server decide: a refusal (403 not allowed, 409 not possible
//! now) is shown in its words.

use super::oversight::{AlertRules, Overrides, PolicyPanel};
use crate::account::Account;
use crate::http;
use crate::widgets::alerts::AlertList;
use crate::widgets::health::{self, percent, Look};
use crate::widgets::{thousands, ticker, when};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use tabml::api::{AliasMove, AuditEntry, ModelInfo, Retirement, RunInfo, Stage, StageChange, VersionInfo};

/// Everything the page shows of a model.
#[derive(Clone)]
struct Detail {
    model: ModelInfo,
    versions: Vec<VersionInfo>,
    runs: Vec<RunInfo>,
    audit: Vec<AuditEntry>,
}

async fn detail(token: &str, name: &str) -> Result<Option<Detail>, http::HttpError> {
    let Some(model) = http::model(token, name).await? else { return Ok(None) };
    let versions = http::versions(token, name).await?;
    let runs = http::runs_of(token, name).await?.runs;
    let audit = http::audit(token, name).await?;
    Ok(Some(Detail { model, versions, runs, audit }))
}

/// A value of the audit log as a person reads it: a digest cut to its first 12 characters, a JSON
/// object (a policy, a rule) as `key value` pairs, anything else as it is.
fn short(value: &str) -> String {
    if value.len() > 24 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return format!("{}…", &value[..12]);
    }
    match serde_json::from_str::<serde_json::Value>(value) {
        Ok(serde_json::Value::Object(fields)) => fields
            .iter()
            .map(|(key, v)| format!("{}: {}", key.replace('_', " "), plain(v)))
            .collect::<Vec<_>>()
            .join(", "),
        _ => value.to_owned(),
    }
}

/// A JSON value without quotes or braces: `{"alias": "champion"}` → `champion`.
fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(fields) => fields.values().map(plain).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

/// The test metric a version's run recorded, beside the baseline's: accuracy for a classifier, R²
/// for a regressor. `None` when no shared run names the version.
pub(super) fn metric_of(runs: &[RunInfo], version: &VersionInfo) -> Option<String> {
    let key = if version.task == "classification" { "accuracy" } else { "r2" };
    let run =
        runs.iter().find(|r| r.tags.get("version").is_some_and(|v| *v == version.version.to_string()))?;
    let value = run.metrics.get(key)?;
    let baseline = run.metrics.get(&format!("baseline_{key}"));
    let name = if key == "r2" { "R²" } else { key };
    Some(match baseline {
        Some(b) => format!("{name} {value:.3} (baseline {b:.3})"),
        None => format!("{name} {value:.3}"),
    })
}

/// A change the panel can ask for.
#[derive(Clone, Copy, PartialEq)]
enum Change {
    Alias,
    AskPromotion,
    Promote,
    Archive,
    Retire,
}

impl Change {
    const ALL: [Change; 5] =
        [Change::Alias, Change::AskPromotion, Change::Promote, Change::Archive, Change::Retire];

    fn id(self) -> &'static str {
        match self {
            Change::Alias => "alias",
            Change::AskPromotion => "staging",
            Change::Promote => "production",
            Change::Archive => "archived",
            Change::Retire => "retire",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Change::Alias => "Point an alias at it",
            Change::AskPromotion => "Ask for promotion (move it to staging)",
            Change::Promote => "Promote it to production (mentors)",
            Change::Archive => "Archive it",
            Change::Retire => "Retire it: it can no longer be pulled (mentors and owner)",
        }
    }
}

/// The change form's state, kept by the page: the detail below it is drawn anew after each change,
/// and the learner's choices and the last answer must survive that.
#[derive(Clone, Copy)]
struct ChangeForm {
    /// The chosen version (`None`: the newest).
    version: RwSignal<Option<u32>>,
    change: RwSignal<Change>,
    alias: RwSignal<String>,
    reason: RwSignal<String>,
    /// What the last change did, or why it was refused.
    status: RwSignal<Option<Result<String, String>>>,
    busy: RwSignal<bool>,
}

impl ChangeForm {
    fn new() -> Self {
        Self {
            version: RwSignal::new(None),
            change: RwSignal::new(Change::Alias),
            alias: RwSignal::new("champion".to_owned()),
            reason: RwSignal::new(String::new()),
            status: RwSignal::new(None),
            busy: RwSignal::new(false),
        }
    }
}

/// The model page.
#[component]
pub fn ModelPage() -> impl IntoView {
    let account = expect_context::<Account>();
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let refresh = RwSignal::new(0u32);
    let form = ChangeForm::new();
    let found = LocalResource::new(move || {
        let (name, token, _) = (name(), account.session.get().map(|s| s.token), refresh.get());
        async move {
            match token {
                Some(token) => Some(detail(&token, &name).await.map_err(|e| account.words(e))),
                None => None,
            }
        }
    });
    let body = move || {
        found.get().flatten().map(|answer| match answer {
            Err(message) => view! { <div class="error" role="alert" id="model-error">{message}</div> }.into_any(),
            Ok(None) => view! {
                <p class="hint" id="model-missing">{format!("There is no model called {} in the registry.", name())}" "<A href="/registry">"Back to the registry"</A></p>
            }
            .into_any(),
            Ok(Some(detail)) => view! { <ModelDetail detail refresh form/> }.into_any(),
        })
    };
    view! {
        <section class="step" id="model" aria-labelledby="model-title">
            <h2 id="model-title">{name}</h2>
            <p class="hint"><A href="/registry">"← All models"</A></p>
            {move || match account.session.get() {
                None => view! { <p class="hint">"The registry is on the server. "<A href="/sign-in">"Sign in"</A>" to see it."</p> }.into_any(),
                Some(_) => view! { <Transition fallback=|| view! { <p class="hint">"Loading…"</p> }>{body}</Transition> }.into_any(),
            }}
        </section>
    }
}

/// The model's card, versions, changes and audit log.
#[component]
fn ModelDetail(detail: Detail, refresh: RwSignal<u32>, form: ChangeForm) -> impl IntoView {
    let Detail { model, versions, runs, audit } = detail;
    // Bumped by a change made below (policy, rules, overrides), so the audit log shows it.
    let changed = RwSignal::new(0u32);
    let name = model.name.clone();
    let rows = versions
        .iter()
        .rev()
        .map(|v| {
            let stage = v.stage.as_str();
            let score = format!("/score?model={}&version={}", js_sys::encode_uri_component(&v.model), v.version);
            view! {
                <tr class=format!("stage-{stage}") data-version=v.version>
                    <td class="num">{format!("v{}", v.version)}</td>
                    <td class=if v.retired.is_some() { "wrap" } else { "" }>{match &v.retired {
                        Some(why) => view! { <span class="stage archived">"retired"</span>" "{why.clone()} }.into_any(),
                        None => view! { <span class=format!("stage {stage}")>{stage}</span> }.into_any(),
                    }}</td>
                    <td>{v.aliases.join(", ")}</td>
                    <td>{v.kind.clone()}</td>
                    <td>{metric_of(&runs, v).unwrap_or_else(|| "no run shared".into())}</td>
                    <td>{v.created_by.clone()}</td>
                    <td>{when(v.created_at)}</td>
                    <td title=v.digest.clone()><code>{v.digest.chars().take(12).collect::<String>()}</code></td>
                    <td>{v.retired.is_none().then(|| view! { <A href=score.clone()>"Score"</A> })}</td>
                </tr>
            }
        })
        .collect_view();
    let regression = versions.last().is_some_and(|v| v.task == "regression");
    let version_numbers: Vec<u32> =
        versions.iter().filter(|v| v.retired.is_none()).map(|v| v.version).collect();
    view! {
        <p class="why" id="model-description">{model.description.clone()}</p>
        <p class="hint">{format!("Registered by {}{}, {}.", model.owner,
            model.class.as_ref().map(|c| format!(" in class {c}")).unwrap_or_else(|| " (staff only)".into()),
            when(model.created_at))}</p>
        <h3>"Versions"</h3>
        {if versions.is_empty() {
            view! { <p class="hint">"No version has been pushed yet."</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll">
                    <table id="model-versions">
                        <thead><tr><th>"Version"</th><th>"Stage"</th><th>"Aliases"</th><th>"Family"</th><th>"Test metric"</th><th>"Pushed by"</th><th>"When"</th><th>"Digest"</th><th></th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }.into_any()
        }}
        <h3>"How it is doing (last 24 hours)"</h3>
        <Health name=name.clone()/>
        <super::monitoring::OverTime name=name.clone() versions=versions.clone() runs=runs.clone()/>
        <h3>"Open alerts"</h3>
        <AlertList model=Some(name.clone())/>
        {(!version_numbers.is_empty()).then(|| view! { <ChangePanel name=name.clone() versions=version_numbers refresh form/> })}
        <PolicyPanel name=name.clone() changed/>
        <AlertRules name=name.clone() changed/>
        <Overrides name=name.clone() regression changed/>
        <h3>"Audit log"</h3>
        <p class="hint">"Every change to this model, newest first, with the reason given."</p>
        <AuditLog name=name.clone() first=audit changed/>
    }
}

/// The audit log: as the page found it, then read again after each change made on the page.
#[component]
fn AuditLog(name: String, first: Vec<AuditEntry>, changed: RwSignal<u32>) -> impl IntoView {
    let account = expect_context::<Account>();
    let entries = RwSignal::new(first);
    Effect::new(move |seen: Option<u32>| {
        let now = changed.get();
        if seen.is_some_and(|s| s != now) {
            if let Some(token) = account.token() {
                let name = name.clone();
                leptos::task::spawn_local(async move {
                    if let Ok(fresh) = http::audit(&token, &name).await {
                        entries.set(fresh);
                    }
                });
            }
        }
        now
    });
    let row = |e: AuditEntry| {
        let change = match (e.from.is_empty(), e.to.is_empty()) {
            (true, true) => String::new(),
            (true, false) => short(&e.to),
            _ => format!("{} → {}", short(&e.from), short(&e.to)),
        };
        view! {
            <tr>
                <td>{when(e.at)}</td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                <td>{e.subject}</td>
                <td class="wrap">{change}</td>
                <td class="wrap">{e.reason}</td>
            </tr>
        }
    };
    view! {
        <div class="table-scroll">
            <table id="model-audit">
                <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Of"</th><th>"Change"</th><th>"Reason"</th></tr></thead>
                <tbody>{move || entries.get().into_iter().rev().map(row).collect_view()}</tbody>
            </table>
        </div>
    }
}

/// The form for a change: which version, what to do, and why.
#[component]
fn ChangePanel(name: String, versions: Vec<u32>, refresh: RwSignal<u32>, form: ChangeForm) -> impl IntoView {
    let account = expect_context::<Account>();
    let ChangeForm { change, alias, reason, status, busy, .. } = form;
    let newest = versions.last().copied().unwrap_or(1);
    let offered = versions.clone();
    let version =
        Signal::derive(move || form.version.get().filter(|v| offered.contains(v)).unwrap_or(newest));
    let apply = move |_| {
        let Some(token) = account.token() else { return };
        let why = reason.get_untracked().trim().to_owned();
        if why.is_empty() {
            status.set(Some(Err("Say why: the reason goes into the audit log.".into())));
            return;
        }
        let (name, n, what, alias) =
            (name.clone(), version.get_untracked(), change.get_untracked(), alias.get_untracked());
        busy.set(true);
        leptos::task::spawn_local(async move {
            let stage = |stage| StageChange { stage, reason: why.clone() };
            let answer = match what {
                Change::Alias => http::move_alias(
                    &token,
                    &name,
                    alias.trim(),
                    &AliasMove { version: n, reason: why.clone() },
                )
                .await
                .map(|_| format!("{} now names version {n}.", alias.trim())),
                Change::AskPromotion => http::change_stage(&token, &name, n, &stage(Stage::Staging))
                    .await
                    .map(|_| format!("Version {n} is in staging: your mentor can now promote it.")),
                Change::Promote => http::change_stage(&token, &name, n, &stage(Stage::Production))
                    .await
                    .map(|_| format!("Version {n} is in production.")),
                Change::Archive => http::change_stage(&token, &name, n, &stage(Stage::Archived))
                    .await
                    .map(|_| format!("Version {n} is archived.")),
                Change::Retire => http::retire(&token, &name, n, &Retirement { reason: why.clone() })
                    .await
                    .map(|_| format!("Version {n} is retired.")),
            };
            busy.set(false);
            match answer {
                Ok(done) => {
                    reason.set(String::new());
                    status.set(Some(Ok(done)));
                    refresh.update(|r| *r += 1);
                }
                Err(e) => status.set(Some(Err(account.words(e)))),
            }
        });
    };
    let options = versions
        .iter()
        .rev()
        .map(|v| view! { <option value=v.to_string()>{format!("v{v}")}</option> })
        .collect_view();
    let changes =
        Change::ALL.into_iter().map(|c| view! { <option value=c.id()>{c.label()}</option> }).collect_view();
    view! {
        <h3>"Change"</h3>
        <div class="controls" id="model-change">
            <label>"Version"
                <select id="change-version" prop:value=move || version.get().to_string()
                    on:change=move |ev| if let Ok(v) = event_target_value(&ev).parse() { form.version.set(Some(v)) }>{options}</select>
            </label>
            <label>"What to do"
                <select id="change-what" prop:value=move || change.get().id()
                    on:change=move |ev| {
                        let id = event_target_value(&ev);
                        if let Some(c) = Change::ALL.into_iter().find(|c| c.id() == id) { change.set(c) }
                    }>{changes}</select>
            </label>
            {move || (change.get() == Change::Alias).then(|| view! {
                <label>"Alias"
                    <input id="change-alias" type="text" prop:value=alias on:input=move |ev| alias.set(event_target_value(&ev))/>
                </label>
            })}
            <label class="grow">"Why (kept in the audit log)"
                <input id="change-reason" type="text" prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev))/>
            </label>
            <button type="button" class="primary" id="change-apply" disabled=busy on:click=apply>"Apply"</button>
        </div>
        {move || status.get().map(|s| match s {
            Ok(done) => view! { <p class="verdict good" id="change-done">{done}</p> }.into_any(),
            Err(why) => view! { <div class="error" role="alert" id="change-error">{why}</div> }.into_any(),
        })}
    }
}

/// The model's last 24 hours from its dashboard, asked again every 15 seconds (a 304 while nothing
/// changed): each figure with a
/// word saying how it looks.
#[component]
fn Health(name: String) -> impl IntoView {
    let account = expect_context::<Account>();
    let tick = ticker(15_000);
    let kept = std::rc::Rc::new(std::cell::RefCell::new(http::Polled::<tabml::api::Dashboard>::default()));
    let found = LocalResource::new(move || {
        let (url, token, kept) = (http::last_day_url(&name), account.token(), kept.clone());
        tick.track();
        async move { Some(http::Polled::answer(&kept, &token?, &url).await.map_err(|e| account.words(e))) }
    });
    move || {
        found.get().flatten().map(|answer| match answer {
            Err(why) => view! { <div class="error" role="alert">{why}</div> }.into_any(),
            Ok(d) => {
                let card = |id: &'static str, label: &'static str, value: String, look: Look| view! {
                    <div class=format!("metric health {}", look.class()) id=format!("health-{id}")>
                        <div class="label">{label}</div>
                        <div class="value">{value}</div>
                        <div class="note">{look.word()}</div>
                    </div>
                };
                let drift = d.drift.as_ref().map(|x| x.drifted_share);
                let volume_look = if d.volume == 0 { Look::Quiet("no traffic") } else { Look::Good("scored") };
                view! {
                    <div class="metrics" id="model-health">
                        {card("volume", "Predictions", thousands(d.volume as usize), volume_look)}
                        {card("accuracy", "Accuracy (from labels)", percent(d.accuracy), health::accuracy(d.accuracy))}
                        {card("estimated", "Estimated accuracy (no labels)", percent(d.estimated_accuracy), health::accuracy(d.estimated_accuracy))}
                        {card("drift", "Columns drifted", percent(drift), health::drift(drift))}
                        {card("errors", "Failed predictions", percent(d.error_rate), health::errors(d.error_rate))}
                        {card("overrides", "Overridden by a mentor", percent(d.override_rate), health::overrides(d.override_rate))}
                        {card("latency", "Latency p99", d.latency_p99_ms.map_or_else(|| "—".into(), |l| format!("{l:.2} ms")), Look::Quiet("per row"))}
                    </div>
                    <p class="hint">{d.last_event_at.map_or_else(|| "Nothing reported yet.".to_owned(), |at| format!("Last event {}.", when(at)))}</p>
                }
                .into_any()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn an_audit_value_reads_as_words() {
        assert_eq!(short(&"ab12".repeat(16)), "ab12ab12ab12…");
        assert_eq!(
            short(r#"{"strategy":"canary","primary":{"alias":"champion"},"percent":10.0}"#),
            "percent: 10.0, primary: champion, strategy: canary"
        );
        assert_eq!(short("\"versicolor\" → x"), "\"versicolor\" → x");
    }
}
