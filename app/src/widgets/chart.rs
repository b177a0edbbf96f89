//! Charts drawn with plotters on a `<canvas>`: recall per class, predicted against actual, ROC and
//! precision–recall curves, and the trials of a hyperparameter search.

use crate::worker::messages::ModelView;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_canvas::CanvasBackend;
use tabml::{Evaluation, Task};
use thiserror::Error;

/// A chart that could not be drawn.
#[derive(Debug, Error)]
pub enum ChartError {
    /// The canvas gave no 2D drawing context.
    #[error("the canvas has no 2D context")]
    NoContext,
    /// Plotters failed while drawing; its message says why.
    #[error("drawing the chart failed: {0}")]
    Drawing(String),
}

/// Plotters' errors carry the canvas's error type; the page only shows their message.
pub(super) fn drawing(error: impl std::fmt::Display) -> ChartError {
    ChartError::Drawing(error.to_string())
}

/// The canvas's drawing area, cleared to white.
fn area(canvas: &web_sys::HtmlCanvasElement) -> Result<Area<'static>, ChartError> {
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or(ChartError::NoContext)?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    Ok(root)
}

/// Draws the chart that fits the report's task onto `canvas`.
pub fn draw(canvas: &web_sys::HtmlCanvasElement, bundle: &ModelView) -> Result<(), ChartError> {
    let root = area(canvas)?;
    match (&bundle.evaluation, &bundle.task) {
        (Some(Evaluation::Classification(r)), Task::Classification { classes }) => {
            recall_bars(&root, classes, &r.confusion)
        }
        (Some(Evaluation::Regression(r)), _) => predicted_vs_actual(&root, &r.actual, &r.predicted),
        _ => Ok(()),
    }
    .map_err(drawing)?;
    root.present().map_err(drawing)
}

type Area<'a> = DrawingArea<CanvasBackend, plotters::coord::Shift>;
type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// One bar per true class: the share of its test rows predicted right.
fn recall_bars(root: &Area<'_>, classes: &[String], confusion: &[Vec<usize>]) -> DrawResult {
    let recall: Vec<f64> = confusion
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let total: usize = row.iter().sum();
            if total == 0 {
                0.0
            } else {
                100.0 * row[i] as f64 / total as f64
            }
        })
        .collect();
    // A segmented range over 0..=n-1 gives exactly one slot per class.
    let last = classes.len().saturating_sub(1);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d((0..last).into_segmented(), 0f64..112f64)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc("% of the class predicted right")
        .x_desc("true class")
        .y_labels(6)
        .y_label_formatter(&|v| if *v <= 100.0 { format!("{v:.0}%") } else { String::new() })
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => classes.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 13))
        .draw()?;
    chart.draw_series(
        Histogram::vertical(&chart)
            .style(RGBColor(36, 89, 199).filled())
            .margin(18)
            .data(recall.iter().enumerate().map(|(i, r)| (i, *r))),
    )?;
    let label_style =
        TextStyle::from(("sans-serif", 14).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
    chart.draw_series(recall.iter().enumerate().map(|(i, r)| {
        Text::new(format!("{r:.0}%"), (SegmentValue::CenterOf(i), r + 2.0), label_style.clone())
    }))?;
    Ok(())
}

/// Each test row as a point (actual, predicted), with the diagonal of perfect predictions.
fn predicted_vs_actual(root: &Area<'_>, actual: &[f64], predicted: &[f64]) -> DrawResult {
    let (lo, hi) = actual
        .iter()
        .chain(predicted)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let pad = ((hi - lo) * 0.05).max(1e-9);
    let range = (lo - pad)..(hi + pad);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(range.clone(), range.clone())?;
    chart
        .configure_mesh()
        .x_desc("actual")
        .y_desc("predicted")
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 13))
        .draw()?;
    chart
        .draw_series(LineSeries::new([(range.start, range.start), (range.end, range.end)], BLACK.mix(0.4)))?;
    chart.draw_series(
        actual
            .iter()
            .zip(predicted)
            .map(|(a, p)| Circle::new((*a, *p), 3, RGBColor(36, 89, 199).mix(0.6).filled())),
    )?;
    Ok(())
}

/// A search's trials in the order they ran: each trial's mean cross-validated score as a dot, and
/// the best score so far as a line.
pub fn draw_trials(
    canvas: &web_sys::HtmlCanvasElement,
    scores: &[f64],
    metric: &str,
) -> Result<(), ChartError> {
    let root = area(canvas)?;
    trials(&root, scores, metric).map_err(drawing)?;
    root.present().map_err(drawing)
}

fn trials(root: &Area<'_>, scores: &[f64], metric: &str) -> DrawResult {
    let finite: Vec<f64> = scores.iter().copied().filter(|s| s.is_finite()).collect();
    let (lo, hi) =
        finite.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.1).max(1e-3);
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(0.5f64..(scores.len().max(1) as f64 + 0.5), (lo - pad)..(hi + pad))?;
    chart
        .configure_mesh()
        .x_desc("trial")
        .y_desc(format!("mean cross-validated {metric}"))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 13))
        .draw()?;
    let mut best = f64::NEG_INFINITY;
    let best_so_far: Vec<(f64, f64)> = scores
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_finite())
        .map(|(i, s)| {
            best = best.max(*s);
            (i as f64 + 1.0, best)
        })
        .collect();
    chart.draw_series(LineSeries::new(best_so_far, RGBColor(200, 110, 0).stroke_width(2)))?;
    chart.draw_series(
        scores
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_finite())
            .map(|(i, s)| Circle::new((i as f64 + 1.0, *s), 4, RGBColor(36, 89, 199).filled())),
    )?;
    Ok(())
}

/// The ROC curve (left) and the precision–recall curve (right) of a two-class model, with the
/// point of the chosen threshold marked on both. `point` is (false positive rate, recall,
/// precision); `positive_share` is the PR curve of a model that guesses.
pub fn draw_curves(
    canvas: &web_sys::HtmlCanvasElement,
    curves: &tabml::BinaryCurves,
    point: (f64, f64, f64),
    positive_share: f64,
) -> Result<(), ChartError> {
    let root = area(canvas)?;
    let (left, right) = root.split_horizontally(root.dim_in_pixel().0 / 2);
    let (fpr, recall, precision) = point;
    if let Some(roc) = &curves.roc {
        let line: Vec<(f64, f64)> = roc.fpr.iter().copied().zip(roc.tpr.iter().copied()).collect();
        curve(
            &left,
            "ROC",
            "false positive rate",
            "recall (true positive rate)",
            &line,
            (0.0, 0.0),
            (1.0, 1.0),
            (fpr, recall),
        )
        .map_err(drawing)?;
    }
    if let Some(pr) = &curves.pr {
        let line: Vec<(f64, f64)> = pr.recall.iter().copied().zip(pr.precision.iter().copied()).collect();
        let share = positive_share.clamp(0.0, 1.0);
        curve(
            &right,
            "precision–recall",
            "recall",
            "precision",
            &line,
            (0.0, share),
            (1.0, share),
            (recall, precision),
        )
        .map_err(drawing)?;
    }
    root.present().map_err(drawing)
}

/// One curve in the unit square, a dashed guessing line from `from` to `to`, and a marked point.
#[allow(clippy::too_many_arguments)]
fn curve(
    area: &Area<'_>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    line: &[(f64, f64)],
    from: (f64, f64),
    to: (f64, f64),
    marked: (f64, f64),
) -> DrawResult {
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 15))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .build_cartesian_2d(0f64..1f64, 0f64..1.02f64)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(6)
        .y_labels(6)
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 12))
        .draw()?;
    chart.draw_series(DashedLineSeries::new([from, to], 6, 4, BLACK.mix(0.4).into()))?;
    chart.draw_series(LineSeries::new(line.iter().copied(), RGBColor(36, 89, 199).stroke_width(2)))?;
    chart.draw_series(std::iter::once(Circle::new(marked, 6, RGBColor(200, 110, 0).filled())))?;
    Ok(())
}

/// Draws the features that moved one prediction most onto `canvas`: one horizontal bar per input
/// column (at most 10, largest first), to the right when it pushed the explained score up, to the
/// left when down.
pub fn draw_contributions(
    canvas: &web_sys::HtmlCanvasElement,
    explanation: &tabml::RowExplanation,
) -> Result<(), ChartError> {
    let root = area(canvas)?;
    contribution_bars(&root, explanation).map_err(drawing)?;
    root.present().map_err(drawing)
}

fn contribution_bars(root: &Area<'_>, explanation: &tabml::RowExplanation) -> DrawResult {
    let shown: Vec<&tabml::Contribution> = explanation.contributions.iter().take(10).collect();
    let n = shown.len().max(1);
    let reach = shown.iter().map(|c| c.amount.abs()).fold(0.0, f64::max).max(1e-9) * 1.15;
    // Largest at the top: row i of `shown` sits in slot n − 1 − i.
    let slot = |i: usize| n - 1 - i;
    let what = match &explanation.explained {
        Some(class) => format!("pushes the score of {class} up (right) or down (left)"),
        None => "pushes the prediction up (right) or down (left)".to_owned(),
    };
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(150)
        .build_cartesian_2d(-reach..reach, (0..n - 1).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc(what)
        .x_labels(7)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(s) => {
                shown.get(n - 1 - *s).map(|c| c.column.chars().take(20).collect()).unwrap_or_default()
            }
            _ => String::new(),
        })
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 13))
        .draw()?;
    let (up, down) = (RGBColor(36, 89, 199), RGBColor(214, 110, 20));
    chart.draw_series(shown.iter().enumerate().map(|(i, c)| {
        let colour = if c.amount >= 0.0 { up } else { down };
        let mut bar = Rectangle::new(
            [(0.0, SegmentValue::Exact(slot(i))), (c.amount, SegmentValue::Exact(slot(i) + 1))],
            colour.filled(),
        );
        bar.set_margin(4, 4, 0, 0);
        bar
    }))?;
    chart.draw_series(LineSeries::new(
        [(0.0, SegmentValue::Exact(0)), (0.0, SegmentValue::Exact(n))],
        BLACK.mix(0.5),
    ))?;
    Ok(())
}
