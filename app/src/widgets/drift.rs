//! The table of a drift check, one row per column: its type, the test and why it was chosen, the
//! statistic, p-value and threshold, the verdict, and both sides' shares per bin overlaid. The
//! Monitor step and the Score page show it.

use leptos::prelude::*;
use tabml::drift::{ColumnDrift, Distribution};

/// A statistic or p-value in three decimals, small ones in scientific notation, ∞ for infinity.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        "∞".to_owned()
    } else if v != 0.0 && v.abs() < 1e-3 {
        format!("{v:.1e}")
    } else {
        format!("{v:.3}")
    }
}

/// Each column's test and verdict, with a chart of both sides.
#[component]
pub fn DriftTable(id: &'static str, caption: &'static str, columns: Vec<ColumnDrift>) -> impl IntoView {
    let rows = columns
        .into_iter()
        .map(|c| {
            let when = match c.test {
                tabml::drift::DriftTest::Ks => "p at most",
                t if t.has_p_value() => "p below",
                _ => "at least",
            };
            let threshold = format!("{when} {}", c.threshold);
            let chart = overlay(&c.column, &c.distribution);
            view! {
                <tr class=if c.drift { "drifted" } else { "" } data-column=c.column.clone()>
                    <th scope="row">{c.column.clone()}</th>
                    <td>{c.kind.name()}</td>
                    <td class="test-cell"><span class="test">{c.test.label()}</span><br/><span class="why-test">{c.reason.clone()}</span></td>
                    <td class="num">{number(c.statistic)}</td>
                    <td class="num">{c.p_value.map_or("—".to_owned(), number)}</td>
                    <td class="num">{threshold}</td>
                    <td class="drift-cell">{if c.drift { "drift" } else { "no" }}</td>
                    <td>{chart}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table id=id class="drift">
                <caption>{caption} <span class="legend"><span class="swatch reference"></span>" reference rows "<span class="swatch current"></span>" checked rows"</span></caption>
                <thead><tr>
                    <th scope="col">"column"</th><th scope="col">"type"</th><th scope="col">"test, and why"</th>
                    <th scope="col">"statistic"</th><th scope="col">"p-value"</th><th scope="col">"drift when"</th>
                    <th scope="col">"drift?"</th><th scope="col">"shares per bin"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// Both sides' shares per bin as overlaid bars: the training rows in grey, the checked rows in blue.
fn overlay(column: &str, d: &Distribution) -> impl IntoView {
    const W: f64 = 160.0;
    const H: f64 = 48.0;
    let n = d.reference.len().max(1);
    let top = d.reference.iter().chain(&d.current).copied().fold(0.0, f64::max).max(1e-12);
    let width = W / n as f64;
    let bar = |i: usize, share: f64, class: &'static str| {
        let h = share / top * (H - 2.0);
        view! { <rect class=class x=format!("{:.2}", i as f64 * width) y=format!("{:.2}", H - h) width=format!("{:.2}", (width - 1.0).max(0.5)) height=format!("{h:.2}")/> }
    };
    let bars = (0..d.reference.len())
        .map(|i| view! { {bar(i, d.reference[i], "reference")} {bar(i, d.current.get(i).copied().unwrap_or(0.0), "current")} })
        .collect_view();
    let span = if d.labels.is_empty() {
        match (d.edges.first(), d.edges.last()) {
            (Some(a), Some(b)) => format!("{} bins from {} to {}", n, number(*a), number(*b)),
            _ => String::new(),
        }
    } else {
        format!("values {}", d.labels.iter().take(8).cloned().collect::<Vec<_>>().join(", "))
    };
    let label =
        format!("{column}: share of rows per bin, training rows in grey and checked rows in blue; {span}");
    let title = label.clone();
    view! {
        <svg class="overlay" viewBox=format!("0 0 {W} {H}") width=W height=H role="img" aria-label=label>
            <title>{title}</title>
            {bars}
        </svg>
    }
}
