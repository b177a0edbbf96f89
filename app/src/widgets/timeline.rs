//! Charts over time drawn with plotters on a `<canvas>`, for a model's series: stacked bars (volume
//! per version, predictions per class) and lines, with a shaded band where one is given (estimated
//! accuracy between its low and high ends). The x axis is time, one slot per bucket, labelled in the
//! browser's time zone; the canvas is drawn at its displayed width, so a chart fits a phone.

use super::chart::{drawing, ChartError};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;

/// Colours of layers and lines, in order (blue, orange, green, purple, red, teal, brown, grey).
const PALETTE: [RGBColor; 8] = [
    RGBColor(36, 89, 199),
    RGBColor(214, 120, 0),
    RGBColor(35, 140, 80),
    RGBColor(128, 70, 170),
    RGBColor(196, 50, 50),
    RGBColor(0, 140, 150),
    RGBColor(140, 90, 50),
    RGBColor(110, 110, 110),
];

/// The colour of the `i`th layer or line (as a CSS colour, for a legend in the page).
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The buckets' place in time: each bucket's start (Unix ms) and their common length.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeAxis {
    /// Each bucket's start, in order.
    pub starts: Vec<i64>,
    /// A bucket's length (ms).
    pub step_ms: i64,
}

impl TimeAxis {
    fn range(&self) -> std::ops::Range<f64> {
        let first = self.starts.first().copied().unwrap_or(0) as f64;
        let last = self.starts.last().copied().unwrap_or(0) as f64 + self.step_ms.max(1) as f64;
        first..last
    }

    /// A time label: the clock for a span of a day and a half or less, else the date (and the hour,
    /// for buckets shorter than a day).
    fn label(&self, ms: f64) -> String {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
        let span = self.range().end - self.range().start;
        let clock = format!("{:02}:{:02}", date.get_hours(), date.get_minutes());
        let day = format!("{}/{}", date.get_date(), date.get_month() + 1);
        if span <= 36.0 * 3_600_000.0 {
            clock
        } else if self.step_ms < 86_400_000 && span <= 8.0 * 86_400_000.0 {
            format!("{day} {clock}")
        } else {
            day
        }
    }
}

/// One line of a chart: its name, a value per bucket (`None`: no value there), its colour's index.
pub struct Line<'a> {
    pub name: &'a str,
    pub values: Vec<Option<f64>>,
    pub colour: usize,
}

/// A shaded band: its name, and its low and high end per bucket (`None`: no band there).
pub struct Band<'a> {
    pub name: &'a str,
    pub ends: &'a [Option<(f64, f64)>],
}

/// The canvas's drawing area at its displayed width (at least 280 px), cleared to white.
fn area(
    canvas: &web_sys::HtmlCanvasElement,
) -> Result<DrawingArea<CanvasBackend, plotters::coord::Shift>, ChartError> {
    let width = canvas.client_width().max(280) as u32;
    if canvas.width() != width {
        canvas.set_width(width);
    }
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or(ChartError::NoContext)?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    Ok(root)
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Stacked bars, one per bucket: each layer (name, value per bucket) on the ones before it, with a
/// legend.
pub fn draw_stacked(
    canvas: &web_sys::HtmlCanvasElement,
    axis: &TimeAxis,
    layers: &[(String, Vec<f64>)],
    y_desc: &str,
) -> Result<(), ChartError> {
    let root = area(canvas)?;
    stacked(&root, axis, layers, y_desc).map_err(drawing)?;
    root.present().map_err(drawing)
}

fn stacked(
    root: &DrawingArea<CanvasBackend, plotters::coord::Shift>,
    axis: &TimeAxis,
    layers: &[(String, Vec<f64>)],
    y_desc: &str,
) -> DrawResult {
    let totals: Vec<f64> = (0..axis.starts.len())
        .map(|i| layers.iter().map(|(_, v)| v.get(i).copied().unwrap_or(0.0)).sum())
        .collect();
    let top = totals.iter().copied().fold(0.0, f64::max).max(1.0) * 1.15;
    let width = root.dim_in_pixel().0;
    let mut chart = ChartBuilder::on(root)
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(axis.range(), 0f64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels((width / 110).max(2) as usize)
        .y_labels(5)
        .x_label_formatter(&|v| axis.label(*v))
        .y_label_formatter(&|v| if v.fract() == 0.0 { format!("{v:.0}") } else { String::new() })
        .x_desc("time")
        .y_desc(y_desc)
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 12))
        .draw()?;
    let gap = axis.step_ms as f64 * 0.1;
    let mut base = vec![0.0; axis.starts.len()];
    for (k, (name, values)) in layers.iter().enumerate() {
        let fill = colour(k).filled();
        let bars: Vec<Rectangle<(f64, f64)>> = axis
            .starts
            .iter()
            .enumerate()
            .filter_map(|(i, &start)| {
                let v = values.get(i).copied().unwrap_or(0.0);
                let (x0, y0) = (start as f64 + gap, base[i]);
                base[i] += v;
                (v > 0.0).then(|| {
                    Rectangle::new([(x0, y0), (start as f64 + axis.step_ms as f64 - gap, base[i])], fill)
                })
            })
            .collect();
        chart
            .draw_series(bars)?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour(k).filled()));
    }
    legend(&mut chart)
}

/// Lines, one point per bucket with a value (a run of them joined), over a shaded band where
/// `band` gives one (its low and high end per bucket), with a legend. `percent`: values are
/// shares, drawn from 0 % to 100 %.
pub fn draw_lines(
    canvas: &web_sys::HtmlCanvasElement,
    axis: &TimeAxis,
    lines: &[Line<'_>],
    band: Option<Band<'_>>,
    y_desc: &str,
    percent: bool,
) -> Result<(), ChartError> {
    let root = area(canvas)?;
    drawn_lines(&root, axis, lines, band, y_desc, percent).map_err(drawing)?;
    root.present().map_err(drawing)
}

fn drawn_lines(
    root: &DrawingArea<CanvasBackend, plotters::coord::Shift>,
    axis: &TimeAxis,
    lines: &[Line<'_>],
    band: Option<Band<'_>>,
    y_desc: &str,
    percent: bool,
) -> DrawResult {
    let y = if percent {
        0.0..1.05
    } else {
        let top = lines.iter().flat_map(|l| l.values.iter().flatten()).copied().fold(0.0, f64::max);
        0.0..(top * 1.2).max(1e-3)
    };
    let width = root.dim_in_pixel().0;
    let top = y.end;
    let mut chart = ChartBuilder::on(root)
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(axis.range(), y)?;
    chart
        .configure_mesh()
        .x_labels((width / 110).max(2) as usize)
        .y_labels(5)
        .x_label_formatter(&|v| axis.label(*v))
        .y_label_formatter(&|v| if percent { format!("{:.0}%", v * 100.0) } else { number(*v, top) })
        .x_desc("time")
        .y_desc(y_desc)
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 12))
        .light_line_style(RGBColor(238, 238, 238))
        .draw()?;
    let middle = |i: usize| axis.starts[i] as f64 + axis.step_ms as f64 / 2.0;
    if let Some(Band { name, ends: band }) = band {
        let shade = RGBColor(36, 89, 199).mix(0.18);
        for run in runs(band) {
            let mut outline: Vec<(f64, f64)> = run.iter().map(|&(i, (_, hi))| (middle(i), hi)).collect();
            outline.extend(run.iter().rev().map(|&(i, (lo, _))| (middle(i), lo)));
            // A run of one bucket is drawn as a short bar across it.
            if let [(i, (lo, hi))] = run.as_slice() {
                let half = axis.step_ms as f64 * 0.3;
                let m = middle(*i);
                outline = vec![(m - half, *hi), (m + half, *hi), (m + half, *lo), (m - half, *lo)];
            }
            chart.draw_series(std::iter::once(Polygon::new(outline, shade.filled())))?;
        }
        chart
            .draw_series(std::iter::empty::<Polygon<(f64, f64)>>())?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], shade.filled()));
    }
    for line in lines {
        let c = colour(line.colour);
        for run in runs(&line.values) {
            let points: Vec<(f64, f64)> = run.iter().map(|&(i, v)| (middle(i), v)).collect();
            chart.draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))?;
            // A bucket alone is a bigger dot, so it is seen.
            let r = if points.len() == 1 { 4 } else { 2 };
            chart.draw_series(points.into_iter().map(|p| Circle::new(p, r, c.filled())))?;
        }
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label(line.name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], c.stroke_width(2)));
    }
    legend(&mut chart)
}

/// A value on the y axis, with as many decimals as the axis's size needs (all labels alike).
fn number(v: f64, top: f64) -> String {
    match top {
        t if t >= 10.0 => format!("{v:.0}"),
        t if t >= 1.0 => format!("{v:.1}"),
        _ => format!("{v:.2}"),
    }
}

/// The runs of consecutive buckets that have a value, each as (bucket, value) pairs.
fn runs<T: Copy>(values: &[Option<T>]) -> Vec<Vec<(usize, T)>> {
    let mut runs: Vec<Vec<(usize, T)>> = Vec::new();
    let mut open = false;
    for (i, v) in values.iter().enumerate() {
        match (v, open) {
            (Some(v), true) => runs.last_mut().into_iter().for_each(|r| r.push((i, *v))),
            (Some(v), false) => runs.push(vec![(i, *v)]),
            (None, _) => {}
        }
        open = v.is_some();
    }
    runs
}

/// A chart of times and numbers, as both kinds here are.
type TimeChart<'a> = ChartContext<'a, CanvasBackend, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The legend, top left, over a white background.
fn legend(chart: &mut TimeChart<'_>) -> DrawResult {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .label_font(("sans-serif", 12))
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_are_the_stretches_of_buckets_with_values() {
        let runs = super::runs(&[None, Some(1), Some(2), None, Some(3)]);
        assert_eq!(runs, vec![vec![(1, 1), (2, 2)], vec![(4, 3)]]);
        assert!(super::runs::<u8>(&[None, None]).is_empty());
    }
}
