//! What a mentor steers on a model's page: the deployment policy (how clients route between two
//! versions), the alert rules (what is watched, and what should happen when it fires), and
//! overrides (a mentor's answer for one prediction, by its id, with a reason, counted as the
//! override rate beside the model's figures).
//!
//! Each part shows what is set to anyone in the class and offers the change to everyone; the server
//! decides who may (a mentor, an admin, or an owner where the class allows), and a refusal is shown
//! in its words.

use crate::account::Account;
use crate::http;
use crate::widgets::when;
use leptos::prelude::*;
use tabml::api::{
    AlertMetric, AlertRule, Comparator, DeploymentPolicy, NewAlertRule, NewOverride, PolicyInfo, Strategy,
    VersionRef,
};

/// The strategies, with their wire name and a sentence each.
const STRATEGIES: [(Strategy, &str, &str); 5] = [
    (Strategy::Single, "single", "One version answers every request."),
    (
        Strategy::Shadow,
        "shadow",
        "The primary answers; the secondary also scores a share of requests, unseen, to compare.",
    ),
    (Strategy::Canary, "canary", "The secondary answers a small share of requests, the primary the rest."),
    (
        Strategy::AB,
        "ab",
        "A/B: the secondary answers a share of requests, the primary the rest, to compare them.",
    ),
    (
        Strategy::BlueGreen,
        "blue_green",
        "Blue-green: the primary is live and the secondary stands by; switching swaps them at once.",
    ),
];

/// The metrics a rule can watch, with their wire name and how a mentor reads them.
const METRICS: [(AlertMetric, &str, &str); 6] = [
    (AlertMetric::Volume, "volume", "predictions"),
    (AlertMetric::ErrorRate, "error_rate", "share of failed predictions"),
    (AlertMetric::LatencyP99Ms, "latency_p99_ms", "latency p99 (ms)"),
    (AlertMetric::Accuracy, "accuracy", "accuracy from labels"),
    (AlertMetric::EstimatedAccuracy, "estimated_accuracy", "estimated accuracy (no labels)"),
    (AlertMetric::DriftShare, "drift_share", "share of columns drifted"),
];

fn metric_words(metric: AlertMetric) -> &'static str {
    METRICS.iter().find(|m| m.0 == metric).map_or("", |m| m.2)
}

/// A version reference as typed: a number is a version, anything else an alias.
fn reference(text: &str) -> Option<VersionRef> {
    let text = text.trim().trim_start_matches(['v', 'V']);
    if text.is_empty() {
        return None;
    }
    Some(match text.parse::<u32>() {
        Ok(version) => VersionRef { version: Some(version), alias: None },
        Err(_) => VersionRef { version: None, alias: Some(text.to_owned()) },
    })
}

/// `champion (v3)` or `v3`.
fn named(reference: &VersionRef, resolved: Option<u32>) -> String {
    match (&reference.alias, resolved) {
        (Some(alias), Some(v)) => format!("{alias} (v{v})"),
        (Some(alias), None) => alias.clone(),
        (None, v) => v.or(reference.version).map_or_else(String::new, |v| format!("v{v}")),
    }
}

/// The policy in one sentence.
fn policy_sentence(info: &PolicyInfo) -> String {
    let p = &info.policy;
    let primary = named(&p.primary, Some(info.primary_version));
    let secondary = p.secondary.as_ref().map(|s| named(s, info.secondary_version)).unwrap_or_default();
    let percent = p.percent.map_or_else(String::new, |x| format!("{x}%"));
    match p.strategy {
        Strategy::Single => format!("Single: {primary} answers every request."),
        Strategy::Shadow => {
            format!("Shadow: {primary} answers; {secondary} also scores {percent} of requests, unseen.")
        }
        Strategy::Canary => format!("Canary: {secondary} answers {percent} of requests, {primary} the rest."),
        Strategy::AB => format!("A/B: {secondary} answers {percent} of requests, {primary} the rest."),
        Strategy::BlueGreen => format!("Blue-green: {primary} is live, {secondary} stands by."),
    }
}

/// The answer of the last change, shown under a form.
fn outcome(id: &'static str, status: RwSignal<Option<Result<String, String>>>) -> impl IntoView {
    move || {
        status.get().map(|s| match s {
            Ok(done) => view! { <p class="verdict good" id=format!("{id}-done")>{done}</p> }.into_any(),
            Err(why) => {
                view! { <div class="error" role="alert" id=format!("{id}-error")>{why}</div> }.into_any()
            }
        })
    }
}

/// The deployment policy: the one set, and a form to set another.
#[component]
pub fn PolicyPanel(name: String, changed: RwSignal<u32>) -> impl IntoView {
    let account = expect_context::<Account>();
    let refresh = RwSignal::new(0u32);
    let model = name.clone();
    let current = LocalResource::new(move || {
        let (model, token) = (model.clone(), account.token());
        refresh.track();
        async move { Some(http::policy(&token?, &model).await.map_err(|e| account.words(e))) }
    });
    let strategy = RwSignal::new("canary".to_owned());
    let primary = RwSignal::new("champion".to_owned());
    let secondary = RwSignal::new("challenger".to_owned());
    let percent = RwSignal::new("10".to_owned());
    let reason = RwSignal::new(String::new());
    let status = RwSignal::new(None::<Result<String, String>>);
    let save = move |_| {
        let Some(token) = account.token() else { return };
        let chosen =
            STRATEGIES.iter().find(|s| s.1 == strategy.get_untracked()).map_or(Strategy::Single, |s| s.0);
        let Some(first) = reference(&primary.get_untracked()) else {
            return status.set(Some(Err("Say which version answers: a number or an alias.".into())));
        };
        let two = chosen != Strategy::Single;
        let second = if two { reference(&secondary.get_untracked()) } else { None };
        if two && second.is_none() {
            return status
                .set(Some(Err("This strategy needs a second version: a number or an alias.".into())));
        }
        let share = match (chosen, percent.get_untracked().trim().parse::<f64>()) {
            (Strategy::Single | Strategy::BlueGreen, _) => None,
            (_, Ok(p)) if (0.0..=100.0).contains(&p) => Some(p),
            _ => return status.set(Some(Err("The share is a number from 0 to 100.".into()))),
        };
        let policy = DeploymentPolicy {
            strategy: chosen,
            primary: first,
            secondary: second,
            percent: share,
            reason: reason.get_untracked(),
        };
        let name = name.clone();
        leptos::task::spawn_local(async move {
            status.set(Some(match http::set_policy(&token, &name, &policy).await {
                Ok(info) => {
                    refresh.update(|r| *r += 1);
                    changed.update(|c| *c += 1);
                    Ok(format!("Set. {}", policy_sentence(&info)))
                }
                Err(e) => Err(account.words(e)),
            }));
        });
    };
    let options = STRATEGIES
        .iter()
        .map(|(_, id, _)| view! { <option value=*id selected=move || strategy.get() == *id>{*id}</option> })
        .collect_view();
    view! {
        <h3>"Deployment policy"</h3>
        <p class="hint">"How the clients that pull this model share requests between two versions."</p>
        {move || current.get().flatten().map(|answer| match answer {
            Err(why) => view! { <div class="error" role="alert">{why}</div> }.into_any(),
            Ok(None) => view! { <p id="policy-current">"No policy set: clients pull the version they name."</p> }.into_any(),
            Ok(Some(info)) => view! {
                <p id="policy-current" data-strategy=format!("{:?}", info.policy.strategy)><strong>{policy_sentence(&info)}</strong></p>
                <p class="hint">{format!("Set by {} {}{}", info.updated_by, when(info.updated_at),
                    if info.policy.reason.is_empty() { ".".to_owned() } else { format!(": {}", info.policy.reason) })}</p>
            }.into_any(),
        })}
        <details class="form-details" id="policy-form">
            <summary>"Set a policy (mentors)"</summary>
            <div class="controls">
                <label>"Strategy"<select id="policy-strategy" on:change=move |ev| strategy.set(event_target_value(&ev))>{options}</select></label>
                <label>"Primary (version or alias)"<input type="text" id="policy-primary" prop:value=primary on:input=move |ev| primary.set(event_target_value(&ev))/></label>
                <label>"Secondary"<input type="text" id="policy-secondary" prop:value=secondary on:input=move |ev| secondary.set(event_target_value(&ev))/></label>
                <label>"Share for the secondary (%)"<input id="policy-percent" type="number" min="0" max="100" prop:value=percent on:input=move |ev| percent.set(event_target_value(&ev))/></label>
            </div>
            <p class="hint">{move || STRATEGIES.iter().find(|s| s.1 == strategy.get()).map_or("", |s| s.2)}</p>
            <div class="controls">
                <label class="grow">"Why (kept in the audit log)"<input type="text" id="policy-reason" prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev))/></label>
                <button type="button" class="primary" id="policy-save" on:click=save>"Set the policy"</button>
            </div>
            {outcome("policy", status)}
        </details>
    }
}

/// The alert rules, with a form to add one and a button to delete each.
#[component]
pub fn AlertRules(name: String, changed: RwSignal<u32>) -> impl IntoView {
    let account = expect_context::<Account>();
    let refresh = RwSignal::new(0u32);
    let model = name.clone();
    let rules = LocalResource::new(move || {
        let (model, token) = (model.clone(), account.token());
        refresh.track();
        async move { Some(http::alert_rules(&token?, &model).await.map_err(|e| account.words(e))) }
    });
    let status = RwSignal::new(None::<Result<String, String>>);
    let (rule_name, metric, comparator) = (
        RwSignal::new(String::new()),
        RwSignal::new("drift_share".to_owned()),
        RwSignal::new("above".to_owned()),
    );
    let (threshold, minutes, action) =
        (RwSignal::new("0.5".to_owned()), RwSignal::new("60".to_owned()), RwSignal::new(String::new()));
    let model = StoredValue::new(name);
    let add = move |_| {
        let Some(token) = account.token() else { return };
        let Some(&(watched, _, _)) = METRICS.iter().find(|m| m.1 == metric.get_untracked()) else { return };
        let (Ok(bar), Ok(window)) =
            (threshold.get_untracked().trim().parse::<f64>(), minutes.get_untracked().trim().parse::<u32>())
        else {
            return status.set(Some(Err(
                "The threshold is a number and the window a whole number of minutes.".into(),
            )));
        };
        let rule = NewAlertRule {
            name: rule_name.get_untracked(),
            metric: watched,
            window_minutes: window,
            comparator: if comparator.get_untracked() == "below" {
                Comparator::Below
            } else {
                Comparator::Above
            },
            threshold: bar,
            action: action.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            status.set(Some(match http::add_alert_rule(&token, &model.get_value(), &rule).await {
                Ok(made) => {
                    refresh.update(|r| *r += 1);
                    changed.update(|c| *c += 1);
                    Ok(format!("Added the rule {}.", made.rule.name))
                }
                Err(e) => Err(account.words(e)),
            }));
        });
    };
    let delete = move |id: i64| {
        let Some(token) = account.token() else { return };
        leptos::task::spawn_local(async move {
            status.set(Some(match http::delete_alert_rule(&token, &model.get_value(), id).await {
                Ok(()) => {
                    refresh.update(|r| *r += 1);
                    changed.update(|c| *c += 1);
                    Ok("Deleted the rule.".into())
                }
                Err(e) => Err(account.words(e)),
            }));
        });
    };
    let row = move |r: AlertRule| {
        let id = r.id;
        let side = if r.rule.comparator == Comparator::Below { "below" } else { "above" };
        view! {
            <tr data-rule=r.id>
                <td>{r.rule.name.clone()}</td>
                <td class="wrap">{format!("{} {side} {} over the last {} minutes", metric_words(r.rule.metric), r.rule.threshold, r.rule.window_minutes)}</td>
                <td class="wrap">{r.rule.action.clone()}</td>
                <td>{r.created_by.clone()}</td>
                <td><button type="button" class="small" on:click=move |_| delete(id)>"Delete"</button></td>
            </tr>
        }
    };
    let choices = METRICS
        .iter()
        .map(|(_, id, words)| view! { <option value=*id selected=*id == "drift_share">{*words}</option> })
        .collect_view();
    view! {
        <h3>"Alert rules"</h3>
        {move || rules.get().flatten().map(|answer| match answer {
            Err(why) => view! { <div class="error" role="alert">{why}</div> }.into_any(),
            Ok(list) if list.is_empty() => view! { <p class="hint" id="rules-none">"No rules: nothing fires an alert for this model."</p> }.into_any(),
            Ok(list) => view! {
                <div class="table-scroll"><table class="runs" id="alert-rules">
                    <thead><tr><th scope="col">"rule"</th><th scope="col">"fires when"</th><th scope="col">"what should happen"</th><th scope="col">"by"</th><th scope="col"></th></tr></thead>
                    <tbody>{list.into_iter().map(row).collect_view()}</tbody>
                </table></div>
            }.into_any(),
        })}
        <details class="form-details" id="rule-form">
            <summary>"Add a rule (mentors)"</summary>
            <div class="controls">
                <label>"Name"<input type="text" id="rule-name" prop:value=rule_name on:input=move |ev| rule_name.set(event_target_value(&ev))/></label>
                <label>"Watch"<select id="rule-metric" on:change=move |ev| metric.set(event_target_value(&ev))>{choices}</select></label>
                <label>"Fires when"<select id="rule-comparator" on:change=move |ev| comparator.set(event_target_value(&ev))>
                    <option value="above">"above"</option><option value="below">"below"</option></select></label>
                <label>"Threshold"<input type="text" id="rule-threshold" prop:value=threshold on:input=move |ev| threshold.set(event_target_value(&ev))/></label>
                <label>"Over the last (minutes)"<input id="rule-window" type="number" min="1" max="43200" prop:value=minutes on:input=move |ev| minutes.set(event_target_value(&ev))/></label>
            </div>
            <div class="controls">
                <label class="grow">"What should happen when it fires"<input type="text" id="rule-action" prop:value=action on:input=move |ev| action.set(event_target_value(&ev))/></label>
                <button type="button" class="primary" id="rule-add" on:click=add>"Add the rule"</button>
            </div>
        </details>
        {outcome("rule", status)}
    }
}

/// A mentor's answer for one prediction, and the answers given so far.
#[component]
pub fn Overrides(name: String, regression: bool, changed: RwSignal<u32>) -> impl IntoView {
    let account = expect_context::<Account>();
    let refresh = RwSignal::new(0u32);
    let model = StoredValue::new(name);
    let listed = LocalResource::new(move || {
        let token = account.token();
        refresh.track();
        async move { Some(http::overrides(&token?, &model.get_value()).await.map_err(|e| account.words(e))) }
    });
    let (prediction, answer, reason) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let status = RwSignal::new(None::<Result<String, String>>);
    let send = move |_| {
        let Some(token) = account.token() else { return };
        let id = prediction.get_untracked().trim().to_owned();
        let text = answer.get_untracked().trim().to_owned();
        if id.is_empty() || text.is_empty() {
            return status.set(Some(Err("Give the prediction's id and the right answer.".into())));
        }
        let label = if regression {
            match text.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
                Some(n) => serde_json::Value::Number(n),
                None => {
                    return status.set(Some(Err(format!(
                        "\"{text}\" is not a number, and this model predicts numbers."
                    ))))
                }
            }
        } else {
            serde_json::Value::String(text)
        };
        let body = NewOverride { label, reason: reason.get_untracked() };
        leptos::task::spawn_local(async move {
            status.set(Some(match http::override_prediction(&token, &model.get_value(), &id, &body).await {
                Ok(done) => {
                    refresh.update(|r| *r += 1);
                    changed.update(|c| *c += 1);
                    Ok(format!(
                        "Prediction {} of v{} is now {}.",
                        done.prediction_id,
                        done.version,
                        shown(&done.label)
                    ))
                }
                Err(e) => Err(account.words(e)),
            }));
        });
    };
    view! {
        <h3>"Overridden predictions"</h3>
        <p class="hint">"When a prediction is wrong and matters, a mentor gives the right answer with a reason. The prediction's id is the first column (prediction_id) of the predictions file a learner downloads. The share of predictions overridden is counted beside the model's figures."</p>
        <details class="form-details" id="override-form">
            <summary>"Override a prediction (mentors)"</summary>
            <div class="controls">
                <label>"Prediction id"<input type="text" id="override-id" prop:value=prediction on:input=move |ev| prediction.set(event_target_value(&ev))/></label>
                <label>"The right answer"<input type="text" id="override-label" prop:value=answer on:input=move |ev| answer.set(event_target_value(&ev))/></label>
            </div>
            <div class="controls">
                <label class="grow">"Why"<input type="text" id="override-reason" prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev))/></label>
                <button type="button" class="primary" id="override-send" on:click=send>"Override"</button>
            </div>
        </details>
        {outcome("override", status)}
        {move || listed.get().flatten().map(|answer| match answer {
            Err(why) => view! { <div class="error" role="alert">{why}</div> }.into_any(),
            Ok(page) if page.overrides.is_empty() => view! { <p class="hint" id="overrides-none">"No prediction overridden yet."</p> }.into_any(),
            Ok(page) => view! {
                <div class="table-scroll"><table class="runs" id="overrides">
                    <thead><tr><th scope="col">"when"</th><th scope="col">"prediction"</th><th scope="col">"the model said"</th><th scope="col">"the mentor says"</th><th scope="col">"why"</th><th scope="col">"by"</th></tr></thead>
                    <tbody>{page.overrides.into_iter().map(|o| view! {
                        <tr data-prediction=o.prediction_id.clone()>
                            <td>{when(o.at)}</td>
                            <td><code>{o.prediction_id.clone()}</code>{format!(" (v{})", o.version)}</td>
                            <td>{o.output.as_ref().map_or_else(|| "no prediction (failed)".to_owned(), shown)}</td>
                            <td><strong>{shown(&o.label)}</strong></td>
                            <td class="wrap">{o.reason.clone()}</td>
                            <td>{o.by.clone()}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table></div>
            }.into_any(),
        })}
    }
}

/// A label or output as text: a string without its quotes.
fn shown(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_a_version_and_anything_else_an_alias() {
        assert_eq!(reference(" v3 "), Some(VersionRef { version: Some(3), alias: None }));
        assert_eq!(reference("champion"), Some(VersionRef { version: None, alias: Some("champion".into()) }));
        assert_eq!(reference("  "), None);
    }
}
