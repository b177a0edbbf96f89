//! The charts of a model's series ("Over time" on its page): volume per version, failed
//! predictions, latency p50 and p99, realized accuracy beside CBPE's estimate and its band, the
//! share of columns drifted, and the predictions per class. Each has a title, axis names, a legend,
//! an aria-label saying what it shows in numbers, and says in words when there is nothing to draw.

use crate::widgets::thousands;
use crate::widgets::timeline::{self, Band, Line, TimeAxis};
use leptos::prelude::*;
use std::collections::BTreeMap;
use tabml::api::{Series, SeriesBucket};

/// Classes drawn one by one in the predictions chart; the rest are drawn together as "other".
const MAX_CLASSES: usize = 7;

/// What one chart draws, from a series.
#[derive(Clone, Copy)]
enum Kind {
    Volume,
    Errors,
    Latency,
    Accuracy,
    Drift,
    Predictions,
}

impl Kind {
    const ALL: [Kind; 6] =
        [Kind::Volume, Kind::Errors, Kind::Latency, Kind::Accuracy, Kind::Drift, Kind::Predictions];

    fn id(self) -> &'static str {
        match self {
            Kind::Volume => "chart-volume",
            Kind::Errors => "chart-errors",
            Kind::Latency => "chart-latency",
            Kind::Accuracy => "chart-accuracy",
            Kind::Drift => "chart-drift",
            Kind::Predictions => "chart-predictions",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Kind::Volume => "Predictions per version",
            Kind::Errors => "Failed predictions",
            Kind::Latency => "Latency, median and 99th percentile",
            Kind::Accuracy => "Accuracy: from labels, and estimated without them",
            Kind::Drift => "Share of columns drifted",
            Kind::Predictions => "Predictions per class",
        }
    }

    /// Why there is nothing to draw, when there is not.
    fn empty(self, s: &Series) -> Option<&'static str> {
        let b = &s.buckets;
        if b.iter().all(|b| b.volume == 0) && !matches!(self, Kind::Drift) {
            return Some("No predictions in this window.");
        }
        match self {
            Kind::Latency if b.iter().all(|b| b.latency_p50_ms.is_none()) => {
                Some("No prediction in this window reported its latency.")
            }
            Kind::Accuracy if b.iter().all(|b| b.accuracy.is_none() && b.estimated_accuracy.is_none()) => {
                Some("No labels came in for this window's predictions, and none sent class probabilities to estimate from.")
            }
            Kind::Drift if b.iter().all(|b| b.drift_share.is_none()) => {
                Some("No drift profile or report was sent in this window.")
            }
            Kind::Predictions if b.iter().all(|b| b.predictions.is_empty()) => {
                Some("Every prediction in this window failed.")
            }
            _ => None,
        }
    }
}

/// Layers of a stacked chart: each key's count per bucket, the biggest `keep` keys by total (in
/// their natural order) and the rest as "other". Keys that read as numbers sort as numbers.
fn layers(
    buckets: &[SeriesBucket],
    of: fn(&SeriesBucket) -> &BTreeMap<String, u64>,
    name: fn(&str) -> String,
    keep: usize,
) -> Vec<(String, Vec<f64>)> {
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for b in buckets {
        for (k, n) in of(b) {
            *totals.entry(k).or_insert(0) += n;
        }
    }
    let mut biggest: Vec<(&str, u64)> = totals.into_iter().collect();
    biggest.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let (kept, rest) = biggest.split_at(biggest.len().min(keep));
    let mut kept: Vec<&str> = kept.iter().map(|(k, _)| *k).collect();
    kept.sort_by(|a, b| match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    });
    let count = |k: &str| buckets.iter().map(|b| of(b).get(k).copied().unwrap_or(0) as f64).collect();
    let mut out: Vec<(String, Vec<f64>)> = kept.iter().map(|k| (name(k), count(k))).collect();
    if !rest.is_empty() {
        let others: Vec<&str> = rest.iter().map(|(k, _)| *k).collect();
        out.push((
            "other".into(),
            buckets
                .iter()
                .map(|b| others.iter().map(|k| of(b).get(*k).copied().unwrap_or(0) as f64).sum())
                .collect(),
        ));
    }
    out
}

/// A share for people: "12.5%".
fn share(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// The mean of the values there are, or "none".
fn mean(values: impl Iterator<Item = Option<f64>>, show: fn(f64) -> String) -> String {
    let present: Vec<f64> = values.flatten().collect();
    if present.is_empty() {
        "none".into()
    } else {
        show(present.iter().sum::<f64>() / present.len() as f64)
    }
}

/// What a chart shows, in words, for its aria-label.
fn described(kind: Kind, s: &Series, drawn: &[(String, Vec<f64>)]) -> String {
    let b = &s.buckets;
    let buckets = format!("{} buckets of {} seconds", b.len(), s.step);
    let totals = || {
        drawn
            .iter()
            .map(|(n, v)| format!("{n}: {}", thousands(v.iter().sum::<f64>() as usize)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match kind {
        Kind::Volume => format!("Stacked bars of predictions per version in {buckets}; {} in all; {}.", thousands(b.iter().map(|b| b.volume as usize).sum()), totals()),
        Kind::Predictions => format!("Stacked bars of predictions per predicted class in {buckets}; {}.", totals()),
        Kind::Errors => format!("A line of the share of predictions that failed in {buckets}; mean of the buckets {}.", mean(b.iter().map(|b| b.error_rate), share)),
        Kind::Latency => format!("Lines of the median and 99th percentile latency in {buckets}; means of the buckets {} and {}.", mean(b.iter().map(|b| b.latency_p50_ms), |v| format!("{v:.2} ms")), mean(b.iter().map(|b| b.latency_p99_ms), |v| format!("{v:.2} ms"))),
        Kind::Accuracy => format!("Lines of accuracy from labels and of accuracy estimated by CBPE with its band shaded, in {buckets}; means of the buckets {} from labels and {} estimated.", mean(b.iter().map(|b| b.accuracy), share), mean(b.iter().map(|b| b.estimated_accuracy), share)),
        Kind::Drift => format!("A line of the share of columns drifted in {buckets}; mean of the buckets with a check {}.", mean(b.iter().map(|b| b.drift_share), share)),
    }
}

/// Draws one chart of `s` on `canvas`; returns the layers a stacked chart drew (for its label).
fn draw(kind: Kind, canvas: &web_sys::HtmlCanvasElement, s: &Series) -> Vec<(String, Vec<f64>)> {
    let axis = TimeAxis { starts: s.buckets.iter().map(|b| b.from).collect(), step_ms: s.step as i64 * 1000 };
    let b = &s.buckets;
    let line = |name, colour, f: fn(&SeriesBucket) -> Option<f64>| Line {
        name,
        colour,
        values: b.iter().map(f).collect(),
    };
    let mut stacked = Vec::new();
    let drawn = match kind {
        Kind::Volume | Kind::Predictions => {
            stacked = match kind {
                Kind::Volume => layers(b, |b| &b.volume_by_version, |v| format!("v{v}"), MAX_CLASSES),
                _ => layers(b, |b| &b.predictions, str::to_owned, MAX_CLASSES),
            };
            let y = if matches!(kind, Kind::Volume) { "predictions" } else { "predictions of the class" };
            timeline::draw_stacked(canvas, &axis, &stacked, y)
        }
        Kind::Errors => timeline::draw_lines(
            canvas,
            &axis,
            &[line("failed", 4, |b| b.error_rate)],
            None,
            "share failed",
            true,
        ),
        Kind::Latency => timeline::draw_lines(
            canvas,
            &axis,
            &[line("p50", 0, |b| b.latency_p50_ms), line("p99", 1, |b| b.latency_p99_ms)],
            None,
            "milliseconds",
            false,
        ),
        Kind::Accuracy => {
            let band: Vec<Option<(f64, f64)>> =
                b.iter().map(|b| b.estimated_accuracy_lower.zip(b.estimated_accuracy_upper)).collect();
            timeline::draw_lines(
                canvas,
                &axis,
                &[
                    line("from labels", 2, |b| b.accuracy),
                    line("estimated (CBPE)", 0, |b| b.estimated_accuracy),
                ],
                Some(Band { name: "estimate's band", ends: &band }),
                "accuracy",
                true,
            )
        }
        Kind::Drift => timeline::draw_lines(
            canvas,
            &axis,
            &[line("columns drifted", 3, |b| b.drift_share)],
            None,
            "share drifted",
            true,
        ),
    };
    if let Err(e) = drawn {
        leptos::logging::warn!("drawing {} failed: {e}", kind.id());
    }
    stacked
}

/// One chart: its title, the canvas (hidden, with the reason in words, when there is nothing to
/// draw).
#[component]
fn TimeChart(kind: Kind, series: Signal<Option<Series>>, width: ReadSignal<i32>) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let label = RwSignal::new(String::new());
    let empty = Memo::new(move |_| series.with(|s| s.as_ref().and_then(|s| kind.empty(s))));
    Effect::new(move |_| {
        width.track();
        let (Some(element), None, Some(s)) = (canvas.get(), empty.get(), series.get()) else { return };
        // Drawn once the canvas is laid out, at its displayed width.
        leptos::task::spawn_local(async move {
            crate::outbox::pause(0.0).await;
            let stacked = draw(kind, &element, &s);
            label.try_set(described(kind, &s, &stacked));
        });
    });
    let title_id = format!("{}-title", kind.id());
    view! {
        <figure class="time-chart" id=format!("{}-figure", kind.id())>
            <figcaption id=title_id.clone()>{kind.title()}</figcaption>
            <canvas node_ref=canvas class="chart time" id=kind.id() width="640" height="240" role="img"
                aria-label=move || label.get() aria-describedby=title_id
                style:display=move || if empty.get().is_some() || series.with(Option::is_none) { "none" } else { "block" }></canvas>
            {move || empty.get().map(|why| view! { <p class="hint chart-empty">{why}</p> })}
            {move || series.with(Option::is_none).then(|| view! { <p class="hint">"Loading…"</p> })}
        </figure>
    }
}

/// Every chart of the window's series.
#[component]
pub fn OverTimeCharts(series: Signal<Option<Series>>) -> impl IntoView {
    // Redrawn at the new width when the window's width changes (a phone turned, a window resized).
    let inner = || {
        web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|w| w.as_f64()).unwrap_or(0.0) as i32
    };
    let (width, set_width) = signal(inner());
    let resized = window_event_listener(leptos::ev::resize, move |_| {
        let now = inner();
        if width.get_untracked() != now {
            set_width.set(now);
        }
    });
    on_cleanup(move || resized.remove());
    let charts = Kind::ALL.into_iter().map(|kind| view! { <TimeChart kind series width/> }).collect_view();
    view! { <div class="time-charts">{charts}</div> }
}
