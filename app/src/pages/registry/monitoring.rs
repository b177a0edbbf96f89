//! A model's "Over time" section on its page: a window (the last hour, day, week or 30 days, or a
//! range of dates) and a bucket size; charts of the window's series (`charts.rs`); the drift table
//! of the window's dashboard, as the Monitor step shows it; and the champion beside the challenger,
//! each version's dashboard of the window.
//!
//! The section asks again every 15 seconds while it is open and the tab is visible, with the last
//! answers' ETags (`http::Polled`): while nothing changed the server answers 304 and nothing is
//! redrawn. A relative window ends at the end of the current bucket, so its address (and its tag)
//! holds until the next bucket begins. Everything a learner wrote renders as text.

use super::charts::OverTimeCharts;
use super::model::metric_of;
use crate::account::Account;
use crate::http::{self, Polled};
use crate::widgets::drift::DriftTable;
use crate::widgets::health::percent;
use crate::widgets::{thousands, when};
use leptos::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tabml::api::{Dashboard, RunInfo, Series, Stage, VersionInfo};

/// How often the section asks again (ms).
const POLL_MS: f64 = 15_000.0;

/// The most buckets a chart draws (the server allows 10,000; more than this are thinner than a
/// pixel on a phone).
const MAX_CHART_BUCKETS: i64 = 1_500;

/// The longest window: a dashboard's (30 days).
const MAX_WINDOW_MS: i64 = 30 * DAY_MS;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// The bucket sizes offered, in seconds, with their names.
const STEPS: [(u64, &str); 7] = [
    (60, "a minute"),
    (300, "5 minutes"),
    (900, "15 minutes"),
    (3_600, "an hour"),
    (21_600, "6 hours"),
    (86_400, "a day"),
    (604_800, "a week"),
];

/// The window's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    Hour,
    Day,
    Week,
    Month,
    Custom,
}

impl Span {
    const ALL: [Span; 5] = [Span::Hour, Span::Day, Span::Week, Span::Month, Span::Custom];

    fn id(self) -> &'static str {
        match self {
            Span::Hour => "hour",
            Span::Day => "day",
            Span::Week => "week",
            Span::Month => "30days",
            Span::Custom => "custom",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Span::Hour => "the last hour",
            Span::Day => "the last day",
            Span::Week => "the last week",
            Span::Month => "the last 30 days",
            Span::Custom => "a range of dates",
        }
    }

    fn ms(self) -> Option<i64> {
        match self {
            Span::Hour => Some(HOUR_MS),
            Span::Day => Some(DAY_MS),
            Span::Week => Some(7 * DAY_MS),
            Span::Month => Some(30 * DAY_MS),
            Span::Custom => None,
        }
    }

    /// The bucket size a window starts with: 60 a minute apart, 24 an hour apart, 28 of 6 hours,
    /// 30 days.
    fn default_step(self) -> u64 {
        match self {
            Span::Hour => 60,
            Span::Day => 3_600,
            Span::Week => 21_600,
            Span::Month | Span::Custom => 86_400,
        }
    }
}

/// The bucket sizes that give between one and [`MAX_CHART_BUCKETS`] buckets over `span_ms`.
fn steps_for(span_ms: i64) -> Vec<(u64, &'static str)> {
    STEPS
        .into_iter()
        .filter(|(s, _)| {
            let step_ms = *s as i64 * 1000;
            step_ms <= span_ms.max(MINUTE_MS) && span_ms / step_ms <= MAX_CHART_BUCKETS
        })
        .collect()
}

/// The bucket size for a window of `span_ms` when `chosen` does not fit it (or a range's dates
/// changed): the smallest offered that gives at most 100 buckets.
fn fit_step(chosen: Option<u64>, span_ms: i64) -> u64 {
    let offered = steps_for(span_ms);
    if let Some(chosen) = chosen.filter(|c| offered.iter().any(|(s, _)| s == c)) {
        return chosen;
    }
    offered
        .iter()
        .find(|(s, _)| span_ms / (*s as i64 * 1000) <= 100)
        .or(offered.last())
        .map_or(86_400, |(s, _)| *s)
}

/// A date `days_ago` days before today, as a date input writes it (`YYYY-MM-DD`, local).
fn day(days_ago: i64) -> String {
    let date = js_sys::Date::new(&(js_sys::Date::now() - (days_ago * DAY_MS) as f64).into());
    format!("{:04}-{:02}-{:02}", date.get_full_year(), date.get_month() + 1, date.get_date())
}

/// Local midnight of a `YYYY-MM-DD` date (as a date input gives it), in Unix ms.
fn midnight(date: &str) -> Option<i64> {
    let parsed = js_sys::Date::new(&format!("{date}T00:00").into()).get_time();
    (date.len() == 10 && parsed.is_finite()).then_some(parsed as i64)
}

/// The window asked for (Unix ms, `from` to `to`), or why not.
fn window(span: Span, step_s: u64, dates: (&str, &str), now: i64) -> Result<(i64, i64), String> {
    let step_ms = step_s as i64 * 1000;
    let (from, to) = match span.ms() {
        // Ends at the end of the current bucket, so the address holds until the next begins.
        Some(ms) => {
            let to = (now / step_ms + 1) * step_ms;
            (to - ms, to)
        }
        None => {
            let (Some(from), Some(last)) = (midnight(dates.0), midnight(dates.1)) else {
                return Err("Pick both dates of the range.".into());
            };
            (from, last + DAY_MS)
        }
    };
    if from >= to {
        return Err("The range's first day must come before its last.".into());
    }
    if to - from > MAX_WINDOW_MS {
        return Err("A range is at most 30 days long.".into());
    }
    Ok((from.max(0), to))
}

/// The two versions set side by side: those the `champion` and `challenger` aliases name, else the
/// newest in production and the newest in staging.
fn pair(versions: &[VersionInfo]) -> Option<[(&'static str, VersionInfo); 2]> {
    let aliased = |alias: &str| versions.iter().find(|v| v.aliases.iter().any(|a| a == alias)).cloned();
    let staged =
        |stage: Stage| versions.iter().rev().find(|v| v.stage == stage && v.retired.is_none()).cloned();
    match (aliased("champion"), aliased("challenger")) {
        (Some(a), Some(b)) => Some([("champion", a), ("challenger", b)]),
        _ => match (staged(Stage::Production), staged(Stage::Staging)) {
            (Some(a), Some(b)) => Some([("in production", a), ("in staging", b)]),
            _ => None,
        },
    }
}

/// What the section shows, as the server last answered.
#[derive(Clone, Default)]
struct Answers {
    series: Option<Series>,
    dashboard: Option<Dashboard>,
    pair: Vec<Option<Dashboard>>,
}

/// The "Over time" section of a model's page.
#[component]
pub fn OverTime(name: String, versions: Vec<VersionInfo>, runs: Vec<RunInfo>) -> impl IntoView {
    let account = expect_context::<Account>();
    let span = RwSignal::new(Span::Day);
    let step = RwSignal::new(Span::Day.default_step());
    let dates = RwSignal::new((String::new(), String::new()));
    let answers = RwSignal::new(Answers::default());
    let trouble = RwSignal::new(None::<String>);
    // Bumped when the window or bucket changes: the loop asks at once instead of waiting.
    let asked = RwSignal::new(0u32);
    let compared = pair(&versions);
    let pair_versions: Vec<u32> = compared.iter().flatten().map(|(_, v)| v.version).collect();

    let alive = Arc::new(AtomicBool::new(true));
    {
        let alive = alive.clone();
        on_cleanup(move || alive.store(false, Ordering::Relaxed));
    }
    leptos::task::spawn_local(poll(
        name,
        pair_versions,
        PollSignals { span, step, dates, answers, trouble, asked },
        account,
        alive,
    ));

    let choose_span = move |ev: leptos::ev::Event| {
        let chosen = Span::ALL.into_iter().find(|s| s.id() == event_target_value(&ev)).unwrap_or(Span::Day);
        span.set(chosen);
        step.set(chosen.default_step());
        // A range starts as the last seven days, which the mentor then moves.
        if chosen == Span::Custom && dates.with_untracked(|d| d.0.is_empty() && d.1.is_empty()) {
            dates.set((day(6), day(0)));
            step.set(21_600);
        }
        asked.update(|n| *n += 1);
    };
    let spans = Span::ALL
        .into_iter()
        .map(|s| view! { <option value=s.id() selected=move || span.get() == s>{s.label()}</option> })
        .collect_view();
    let offered = move || {
        let dates = dates.get();
        let ms = span.get().ms().unwrap_or_else(|| {
            window(Span::Custom, 86_400, (&dates.0, &dates.1), 0).map_or(DAY_MS, |(f, t)| t - f)
        });
        steps_for(ms)
            .into_iter()
            .map(|(s, label)| view! { <option value=s.to_string() selected=move || step.get() == s>{label}</option> })
            .collect_view()
    };
    let date_input = move |id: &'static str, label: &'static str, first: bool| {
        view! {
            <label for=id>{label}</label>
            <input type="date" id=id
                prop:value=move || dates.with(|d| if first { d.0.clone() } else { d.1.clone() })
                on:change=move |ev| {
                    let value = event_target_value(&ev);
                    dates.update(|d| if first { d.0 = value } else { d.1 = value });
                    asked.update(|n| *n += 1);
                }/>
        }
    };
    let summary = move || {
        answers.with(|a| {
            a.dashboard.as_ref().map(|d| {
                format!(
                    "{} predictions from {} to {}{}.",
                    thousands(d.volume as usize),
                    when(d.from),
                    when(d.to),
                    d.last_event_at.map(|at| format!("; the newest event {}", when(at))).unwrap_or_default()
                )
            })
        })
    };
    view! {
        <section class="over-time" id="over-time" aria-labelledby="over-time-title">
            <h3 id="over-time-title">"Over time"</h3>
            <div class="window-choice">
                <label for="over-time-span">"Window"</label>
                <select id="over-time-span" on:change=choose_span>{spans}</select>
                <label for="over-time-step">"Buckets of"</label>
                <select id="over-time-step" on:change=move |ev| {
                    if let Ok(s) = event_target_value(&ev).parse() { step.set(s); asked.update(|n| *n += 1); }
                }>{offered}</select>
                {move || (span.get() == Span::Custom).then(|| view! {
                    <span class="dates">{date_input("over-time-from", "From", true)}{date_input("over-time-to", "to", false)}</span>
                })}
            </div>
            <p class="hint" id="over-time-volume" aria-live="polite">{summary}</p>
            {move || trouble.get().map(|why| view! { <div class="error" role="alert" id="over-time-error">{why}</div> })}
            <OverTimeCharts series=Signal::derive(move || answers.with(|a| a.series.clone()))/>
            <h3>"Drift by column in this window"</h3>
            {move || drift_view(answers.with(|a| a.dashboard.clone()))}
            <h3>"Champion and challenger"</h3>
            {match compared {
                None => view! { <p class="hint" id="champion-none">"Name a champion and a challenger (aliases), or put one version in production and another in staging, to compare them here."</p> }.into_any(),
                Some(pair) => view! { <ChampionTable pair answers runs/> }.into_any(),
            }}
        </section>
    }
}

/// The signals the polling loop reads and writes.
#[derive(Clone, Copy)]
struct PollSignals {
    span: RwSignal<Span>,
    step: RwSignal<u64>,
    dates: RwSignal<(String, String)>,
    answers: RwSignal<Answers>,
    trouble: RwSignal<Option<String>>,
    asked: RwSignal<u32>,
}

/// Asks for the window's series and dashboards now, then every [`POLL_MS`] while the tab is
/// visible, and at once when the window or bucket changes; stops when the section goes away.
async fn poll(name: String, versions: Vec<u32>, s: PollSignals, account: Account, alive: Arc<AtomicBool>) {
    let mut series = Polled::<Series>::default();
    let mut dashboard = Polled::<Dashboard>::default();
    let mut pair: Vec<Polled<Dashboard>> = versions.iter().map(|_| Polled::default()).collect();
    while alive.load(Ordering::Relaxed) {
        let Some(seen) = s.asked.try_get_untracked() else { return };
        let visible = web_sys::window()
            .and_then(|w| w.document())
            .is_none_or(|d| d.visibility_state() != web_sys::VisibilityState::Hidden);
        if let (true, Some(token)) = (visible, account.token()) {
            let (Some(span), Some(step), Some(dates)) =
                (s.span.try_get_untracked(), s.step.try_get_untracked(), s.dates.try_get_untracked())
            else {
                return;
            };
            match window(span, step, (&dates.0, &dates.1), js_sys::Date::now() as i64) {
                Err(why) => {
                    s.trouble.try_set(Some(why));
                }
                Ok((from, to)) => {
                    // A bucket size that does not fit the window (a range made longer) gives way.
                    let step = fit_step(Some(step), to - from);
                    if s.step.try_get_untracked() != Some(step) {
                        s.step.try_set(step);
                    }
                    let mut changed = false;
                    let mut result = series.refresh(&token, &http::series_url(&name, from, to, step)).await;
                    changed |= *result.as_ref().unwrap_or(&false);
                    let asked = http::dashboard_url(&name, from, to, None);
                    result = result.and(dashboard.refresh(&token, &asked).await.inspect(|c| changed |= c));
                    for (polled, version) in pair.iter_mut().zip(&versions) {
                        let url = http::dashboard_url(&name, from, to, Some(*version));
                        result = result.and(polled.refresh(&token, &url).await.inspect(|c| changed |= c));
                    }
                    if !alive.load(Ordering::Relaxed) {
                        return;
                    }
                    s.trouble.try_set(result.err().map(|e| account.words(e)));
                    if changed {
                        s.answers.try_set(Answers {
                            series: series.last.clone(),
                            dashboard: dashboard.last.clone(),
                            pair: pair.iter().map(|p| p.last.clone()).collect(),
                        });
                    }
                }
            }
        }
        // Wait for the next round, or for a new window.
        let mut waited = 0.0;
        while waited < POLL_MS && s.asked.try_get_untracked() == Some(seen) && alive.load(Ordering::Relaxed) {
            crate::outbox::pause(250.0).await;
            waited += 250.0;
        }
    }
}

/// The window's drift table, from its dashboard: the core's verdict per column where the server
/// merged profiles; from a report, as much as it says.
fn drift_view(dashboard: Option<Dashboard>) -> AnyView {
    let Some(drift) = dashboard.and_then(|d| d.drift) else {
        return view! { <p class="hint" id="over-time-drift-none">"No drift profile or report was sent in this window."</p> }.into_any();
    };
    let columns: Vec<tabml::drift::ColumnDrift> = drift.columns.iter().filter_map(|c| c.verdict()).collect();
    let source = match drift.source {
        tabml::api::DriftSource::Profiles => {
            let profiles = if drift.batches == 1 { "profile" } else { "profiles" };
            format!(
                "Merged from {} {profiles} ({} rows) of version {}, the newest {}.",
                drift.batches,
                thousands(drift.rows as usize),
                drift.version,
                when(drift.at)
            )
        }
        tabml::api::DriftSource::Report => {
            format!("From the newest drift report of version {}, {}.", drift.version, when(drift.at))
        }
    };
    let verdict = format!(
        "{} of the columns drifted{}.",
        percent(Some(drift.drifted_share)),
        if drift.dataset_drift { ": the data set drifted" } else { "" }
    );
    let missing = drift.columns.len() - columns.len();
    view! {
        <p class="hint" id="over-time-drift-source">{source}" "{verdict}</p>
        {(missing > 0).then(|| view! { <p class="hint">{format!("{missing} columns came without their test's detail (a report from an older client).")}</p> })}
        {(!columns.is_empty()).then(|| view! { <DriftTable id="over-time-drift" caption="Each column's test in this window" columns/> })}
    }
    .into_any()
}

/// The champion beside the challenger: what each is, and each one's figures in the window.
#[component]
fn ChampionTable(
    pair: [(&'static str, VersionInfo); 2],
    answers: RwSignal<Answers>,
    runs: Vec<RunInfo>,
) -> impl IntoView {
    let heads = pair
        .iter()
        .map(|(role, v)| view! { <th scope="col" data-version=v.version>{format!("{role}: v{}", v.version)}</th> })
        .collect_view();
    let fixed = |label: &'static str, cell: &dyn Fn(&VersionInfo) -> String| {
        let cells = pair.iter().map(|(_, v)| view! { <td>{cell(v)}</td> }).collect_view();
        view! { <tr><th scope="row">{label}</th>{cells}</tr> }
    };
    let stage = fixed("Stage", &|v| v.stage.as_str().to_owned());
    let metric = fixed("Test metric", &|v| metric_of(&runs, v).unwrap_or_else(|| "—".into()));
    let figure = move |id: &'static str, label: &'static str, show: fn(&Dashboard) -> String| {
        let cells = move || {
            answers.with(|a| {
                (0..2)
                    .map(|i| {
                        let text =
                            a.pair.get(i).and_then(|d| d.as_ref()).map_or_else(|| "…".to_owned(), show);
                        view! { <td class="num" data-figure=id>{text}</td> }
                    })
                    .collect_view()
            })
        };
        view! { <tr><th scope="row">{label}</th>{cells}</tr> }
    };
    view! {
        <div class="table-scroll">
            <table id="champion-table">
                <caption>"Each version's own predictions in this window"</caption>
                <thead><tr><th scope="col"></th>{heads}</tr></thead>
                <tbody>
                    {stage}
                    {metric}
                    {figure("volume", "Predictions", |d| thousands(d.volume as usize))}
                    {figure("accuracy", "Accuracy (from labels)", |d| percent(d.accuracy))}
                    {figure("estimated", "Estimated accuracy (band)", |d| match (d.estimated_accuracy, d.estimated_accuracy_lower, d.estimated_accuracy_upper) {
                        (Some(v), Some(lo), Some(hi)) => format!("{} ({}–{})", percent(Some(v)), percent(Some(lo)), percent(Some(hi))),
                        (v, _, _) => percent(v),
                    })}
                    {figure("errors", "Failed predictions", |d| percent(d.error_rate))}
                    {figure("latency", "Latency p99", |d| d.latency_p99_ms.map_or_else(|| "—".into(), |l| format!("{l:.2} ms")))}
                </tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buckets_offered_keep_a_chart_under_its_cap_and_the_default_among_them() {
        for span in [Span::Hour, Span::Day, Span::Week, Span::Month] {
            let ms = span.ms().unwrap();
            let offered = steps_for(ms);
            assert!(offered.iter().any(|(s, _)| *s == span.default_step()), "{span:?}");
            assert!(offered.iter().all(|(s, _)| ms / (*s as i64 * 1000) <= MAX_CHART_BUCKETS));
        }
        assert!(steps_for(30 * DAY_MS).iter().all(|(s, _)| *s >= 3_600));
        // A minute does not fit 30 days: the smallest step giving at most 100 buckets does.
        assert_eq!(fit_step(Some(60), 30 * DAY_MS), 86_400);
        assert_eq!(fit_step(Some(3_600), 30 * DAY_MS), 3_600);
        assert_eq!(fit_step(None, DAY_MS), 900);
        assert_eq!(fit_step(None, 7 * DAY_MS), 21_600);
    }
}
