//! The Score page (issue 17): the 100,000-row file scored in the tab's worker against the same
//! bundle natively, and one row from the form's change to the drawn chart.
//!
//! - A file: the workbench's model is made the Score page's (`#score-workbench`), then the data file
//!   goes through `#score-file` three times. The worker's own figures are read off `#score-summary`:
//!   `data-total-ms` (parse + `score_batch` + the predictions CSV) and `data-score-ms`
//!   (`score_batch` alone). Natively, the same bundle bytes (trained with the page's configuration:
//!   the digests are compared) do the same calls, best of three.
//! - One row: a numeric field of the form gets 50 values, each set by script with an `input` event;
//!   each time the bench waits for the contribution chart to be drawn again (the canvas's
//!   `fillRect` is wrapped to say so), then reads `#row-result[data-latency-ms]`, which the page
//!   sets right after drawing: its time from the input event to the drawn chart. (Waiting for the
//!   attribute to change instead misses a change whose latency prints the same as the one before:
//!   leptos leaves an unchanged attribute alone.) The bench's own clock splits each change at the
//!   request to the worker (`Worker.postMessage` is wrapped), its reply and the chart's first
//!   drawing call. Natively, what the worker does for one row
//!   (`score_batch` on a one-row table and `explain_row`), median of 50, shows how much of it is
//!   the model's work.

use super::{millis, wait};
use fantoccini::Client;
use serde_json::{json, Value};
use std::time::Instant;
use tabml::{Column, ModelBundle, ModelKind, ProblemCard, Table, TrainConfig};

/// The models scored on the Score page.
pub(super) const SCORED: [ModelKind; 2] = [ModelKind::LogisticRegression, ModelKind::RandomForest];
/// Changes of the one-row form per model.
const CHANGES: usize = 50;

/// The configuration the page trains with: seed 42 and the worked example's problem card, which
/// the bundle keeps (so the digests match).
pub(super) fn page_config(kind: ModelKind) -> TrainConfig {
    TrainConfig { seed: 42, card: ProblemCard::learner_support_example(), ..TrainConfig::new(kind) }
}

/// The worker's work for one file natively, best of three: parse, score, the ids and the
/// predictions CSV; with `score_batch` alone and one row scored and explained (median of 50).
pub(super) fn native(bytes: &[u8], file: &[u8]) -> Value {
    let bundle = ModelBundle::decode(bytes).expect("the bundle decodes");
    let (mut total, mut score) = (f64::INFINITY, f64::INFINITY);
    let mut first_row = None;
    for _ in 0..3 {
        let start = Instant::now();
        let table = tabml::parse_csv(file).expect("the file parses");
        let scoring = Instant::now();
        let batch = bundle.score_batch(&table).expect("the file scores");
        let score_ms = millis(scoring);
        let ids: Vec<String> = (0..table.n_rows).map(|row| tabml::prediction_id(0, "bench", row)).collect();
        let csv = batch.to_csv(&table, Some(&ids), None);
        std::hint::black_box(csv);
        let ms = millis(start);
        if ms < total {
            (total, score) = (ms, score_ms);
        }
        first_row.get_or_insert_with(|| {
            let cell = |name: &str| table.column(name).and_then(|c| c.cell(0)).map(str::to_owned);
            bundle.schema.iter().map(|c| (c.name.clone(), cell(&c.name))).collect::<Vec<_>>()
        });
    }
    // One row as the worker builds it from the form's cells.
    let cells = first_row.expect("three runs");
    let (mut rows, mut explains) = (Vec::with_capacity(CHANGES), Vec::with_capacity(CHANGES));
    for _ in 0..CHANGES {
        let start = Instant::now();
        let columns = cells.iter().map(|(name, cell)| Column::new(name.clone(), [cell.as_deref()])).collect();
        let table = Table { columns, n_rows: 1, lines: vec![1] };
        std::hint::black_box(bundle.score_batch(&table).expect("the row scores"));
        let explaining = Instant::now();
        std::hint::black_box(bundle.explain_row(&table, 0).expect("the row is explained"));
        explains.push(millis(explaining));
        rows.push(millis(start));
    }
    rows.sort_by(f64::total_cmp);
    explains.sort_by(f64::total_cmp);
    json!({ "total": total, "score": score, "row_median": rows[CHANGES / 2],
            "explain_median": explains[CHANGES / 2], "digest": ModelBundle::digest_of(bytes) })
}

/// The faster of two native passes (by the whole file).
pub(super) fn faster(a: &Value, b: &Value) -> Value {
    let total = |v: &Value| v["total"].as_f64().unwrap_or(f64::INFINITY);
    if total(b) < total(a) {
        b.clone()
    } else {
        a.clone()
    }
}

fn attr_number(value: Option<String>) -> f64 {
    value.and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
}

/// On the Score page with the workbench's model (`kind`, the one the workbench shows): the file
/// three times and the one-row form 50 times. Leaves the page on the Score page.
pub(super) async fn in_tab(client: &Client, file: &std::path::Path, kind: ModelKind) -> Value {
    wait(client, &format!("#result-bundle[data-model='{}']", kind.name())).await;
    wait(client, "nav.pages a[href='/score']").await.click().await.expect("the menu link");
    wait(client, "#score-workbench:not([disabled])").await.click().await.expect("use the workbench's model");
    let digest = wait(client, "#score-model").await.attr("data-digest").await.ok().flatten();

    // The one-row form: the first answer (typical values) first, then 50 changes.
    wait(client, "#row-result[data-latency-ms]").await;
    let field = wait(client, "#row-form input[type='number']").await;
    let field_id = field.attr("id").await.ok().flatten().expect("the field has an id");
    // Per change: the page's latency, then the bench's own clock from the event to the request to
    // the worker, its reply, the chart's first drawing call and the end of drawing.
    let mut figures: [Vec<f64>; 5] = Default::default();
    for i in 0..CHANGES {
        // Values across the feature's usual range, each different from the one before.
        let value = format!("{:.3}", -2.5 + 5.0 * i as f64 / (CHANGES - 1) as f64);
        let answer = client
            .execute_async(
                "const [id, value, done] = arguments;
                 const canvas = CanvasRenderingContext2D.prototype;
                 if (!canvas.benchFillRect) {
                   canvas.benchFillRect = canvas.fillRect;
                   canvas.fillRect = function (...args) {
                     if (this.canvas.id === 'row-contributions' && window.benchOnDraw) window.benchOnDraw();
                     return this.benchFillRect(...args);
                   };
                   Worker.prototype.benchPost = Worker.prototype.postMessage;
                   Worker.prototype.postMessage = function (...args) {
                     if (window.benchOnPost) window.benchOnPost(this);
                     return this.benchPost(...args);
                   };
                 }
                 const result = document.getElementById('row-result');
                 const started = performance.now();
                 const since = () => performance.now() - started;
                 let posted = NaN, replied = NaN;
                 const timer = setTimeout(() => {
                   window.benchOnDraw = window.benchOnPost = window.benchOnReply = null;
                   done([NaN, NaN, NaN, NaN, NaN]);
                 }, 10000);
                 window.benchOnPost = worker => {
                   window.benchOnPost = null;
                   posted = since();
                   // Ahead of the page's own handler (a listener added now would run after it).
                   if (worker.onmessage !== worker.benchOnMessage) {
                     const page = worker.onmessage;
                     worker.onmessage = function (event) {
                       if (window.benchOnReply) window.benchOnReply();
                       return page.call(this, event);
                     };
                     worker.benchOnMessage = worker.onmessage;
                   }
                   window.benchOnReply = () => { window.benchOnReply = null; replied = since(); };
                 };
                 window.benchOnDraw = () => {
                   window.benchOnDraw = null;
                   const drawing = since();
                   // The chart's effect sets the latency right after drawing, and leptos writes the
                   // attribute in a microtask: both are done by the next task.
                   setTimeout(() => {
                     clearTimeout(timer);
                     done([parseFloat(result.getAttribute('data-latency-ms')), posted, replied, drawing, since()]);
                   }, 0);
                 };
                 const input = document.getElementById(id);
                 input.value = value;
                 input.dispatchEvent(new Event('input', { bubbles: true }));",
                vec![json!(field_id), json!(value)],
            )
            .await
            .expect("the change script runs");
        for (i, figure) in figures.iter_mut().enumerate() {
            figure.push(answer.get(i).and_then(Value::as_f64).unwrap_or(f64::NAN));
        }
    }
    let timed_out = figures[0].iter().filter(|l| l.is_nan()).count();
    let median = |v: &[f64]| {
        let mut v: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
        v.sort_by(f64::total_cmp);
        tabml::metrics::percentile_sorted(&v, 50.0).unwrap_or(f64::NAN)
    };
    let mut latencies: Vec<f64> = figures[0].iter().copied().filter(|x| !x.is_nan()).collect();
    latencies.sort_by(f64::total_cmp);
    let percentile = |q: f64| tabml::metrics::percentile_sorted(&latencies, q).unwrap_or(f64::NAN);
    // Stage by stage, the medians of each change's differences.
    let stage = |from: usize, to: usize| {
        let gaps: Vec<f64> = figures[from].iter().zip(&figures[to]).map(|(a, b)| b - a).collect();
        median(&gaps)
    };
    let row_latency = json!({
        "changes": CHANGES,
        "timed_out": timed_out,
        "median": percentile(50.0),
        "p95": percentile(95.0),
        "max": latencies.last().copied().unwrap_or(f64::NAN),
        "to_request_median": median(&figures[1]),
        "worker_median": stage(1, 2),
        "to_drawing_median": stage(2, 3),
        "drawing_median": stage(3, 4),
        "observed_median": median(&figures[4]),
    });

    // The file, three times; a stale mark tells the old summary from the new.
    let path = std::fs::canonicalize(file).expect("the data file exists");
    let (mut total, mut score, mut rows, mut scored) = (f64::INFINITY, f64::INFINITY, 0.0, 0.0);
    for _ in 0..3 {
        client
            .execute(
                "document.getElementById('score-summary')?.setAttribute('data-stale', '');
                 document.getElementById('score-file').value = '';",
                vec![],
            )
            .await
            .expect("reset");
        let input = wait(client, "#score-file:not([disabled])").await;
        input.send_keys(path.to_str().expect("a UTF-8 path")).await.expect("upload");
        let summary = wait(client, "#score-summary:not([data-stale])").await;
        let read = |name: &'static str| {
            let summary = summary.clone();
            async move { attr_number(summary.attr(name).await.ok().flatten()) }
        };
        let ms = read("data-total-ms").await;
        if ms < total {
            (total, score) = (ms, read("data-score-ms").await);
        }
        (rows, scored) = (read("data-rows").await, read("data-scored").await);
    }
    json!({
        "digest": digest,
        "total": total,
        "score": score,
        "rows": rows,
        "scored": scored,
        "row_latency": row_latency,
    })
}

/// Back on the workbench, trains `kind` once more (not timed) so that it is the workbench's model;
/// `trained` counts the runs so far.
pub(super) async fn train_again(client: &Client, kind: ModelKind, trained: &mut usize) {
    wait(client, "nav.pages a[href='/']").await.click().await.expect("the menu link");
    wait(client, "#model-select").await.select_by_value(kind.label()).await.expect("the model is offered");
    wait(client, "#train-button:not([disabled])").await.click().await.expect("train");
    *trained += 1;
    wait(client, &format!("#runs tbody tr[data-run='{trained}']")).await;
    wait(client, &format!("#result-bundle[data-model='{}']", kind.name())).await;
}

/// The two tables: the file in the tab against natively, and one row's latency.
pub(super) fn print(browser: &Value, native: &Value) {
    println!();
    let rows = browser["score"]["forest"]["rows"].as_f64().unwrap_or(f64::NAN);
    println!(
        "Scoring the {}-row file on the Score page (the worker) against the same bundle natively (best of 3):",
        tabml::thousands(rows as u64)
    );
    println!();
    println!("| model | tab: read + score + write | native | tab / native | target | met? | tab: score_batch alone | native | same bundle? |");
    println!("| --- | ---: | ---: | ---: | --- | --- | ---: | ---: | --- |");
    for kind in SCORED {
        let (b, n) = (&browser["score"][kind.name()], &native[&format!("{}_score", kind.name())]);
        let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        let ratio = f(b, "total") / f(n, "total");
        let met = if ratio <= 2.0 { "yes" } else { "**no**" };
        let same = if b["digest"] == n["digest"] { "yes" } else { "**no**" };
        let rows =
            if f(b, "scored") == rows { String::new() } else { format!(" ({} rows scored)", f(b, "scored")) };
        println!(
            "| {} | {:.0} ms{rows} | {:.0} ms | {ratio:.2}× | ≤ 2× | {met} | {:.0} ms | {:.0} ms | {same} |",
            kind.name(),
            f(b, "total"),
            f(n, "total"),
            f(b, "score"),
            f(n, "score")
        );
    }
    println!();
    println!(
        "One row on the Score page, from the form's input event to the drawn chart ({CHANGES} changes):"
    );
    println!();
    let (mut latency, mut stages) = (Vec::new(), Vec::new());
    for kind in SCORED {
        let l = &browser["score"][kind.name()]["row_latency"];
        let f = |k: &str| l[k].as_f64().unwrap_or(f64::NAN);
        let met = if f("p95") < 16.0 { "yes" } else { "**no**" };
        let timed_out = match l["timed_out"].as_u64() {
            Some(0) | None => String::new(),
            Some(n) => format!(" ({n} changes never answered)"),
        };
        let n = |k: &str| native[&format!("{}_score", kind.name())][k].as_f64().unwrap_or(f64::NAN);
        let (row, explain) = (n("row_median"), n("explain_median"));
        latency.push(format!(
            "| {}{timed_out} | {:.1} ms | {:.1} ms | {:.1} ms | < 16 ms (p95) | {met} | {row:.2} ms ({explain:.2} ms explaining) |",
            kind.name(),
            f("median"),
            f("p95"),
            f("max")
        ));
        let medians =
            ["to_request_median", "worker_median", "to_drawing_median", "drawing_median", "observed_median"]
                .map(|k| format!("{:.1}", f(k)));
        stages.push(format!("| {} | {} |", kind.name(), medians.join(" | ")));
    }
    println!("| model | median | p95 | max | target | met? | native: score + explain one row (median) |");
    println!("| --- | ---: | ---: | ---: | --- | --- | ---: |");
    latency.iter().for_each(|row| println!("{row}"));
    println!();
    println!("Where one row's time goes (medians by the bench's clock; ms):");
    println!();
    println!("| model | input event → request to the worker | worker: queue, score, explain, reply | reply → chart drawn from | drawing | seen drawn |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    stages.iter().for_each(|row| println!("{row}"));
}
