//! The browser half of the benchmark (run by `scripts/bench.sh`): the app, built for release, in
//! headless Chromium against the same core natively, in one run on the same file.
//!
//! Measures parsing the CSV and training logistic regression, a decision tree and a 100-tree forest
//! (the whole `train_with`: split, preparation, fit, evaluation, profile) in the tab's worker and
//! natively, each the best of three on both sides (the forest once; natively, three before the
//! browser and three after), with the core's time per stage; the longest main-thread task while the
//! forest trains (from the browser's long-task observer, which reports tasks over 50 ms); what the
//! first page load transfers, compressed; the time from navigation to the interactive page (median
//! of 10 loads); scrolling the rows table (frame intervals, and the time for a jump anywhere to
//! show its row); and, on the Score page, the file scored in the worker against natively and one
//! row's time from the form's change to the drawn chart (`score.rs`). Prints Markdown tables and
//! writes the figures as JSON.
//!
//! `browser-bench --dist DIR --data classif_100k.csv --target label [--out FILE.json]`
//!
//! With `--drift-dir DIR` instead of `--data`, it times the drift check of `DIR/drift_reference.csv`
//! against `DIR/drift_current.csv`, and of the high-cardinality `drift_hc_*.csv` pair
//! (scripts/bench/make_drift_data.py), in the tab's worker, through the Monitor step's file
//! comparison, and natively (best of three each): the check, and both files read and checked;
//! beside Evidently's time from `--evidently FILE.json` (scripts/bench/evidently_bench.py) when
//! given.
//!
//! With `--offline`, it times the app with the server away: reloading from the service worker, and
//! draining 10,000 queued events once the server is back (`offline.rs`).

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tabml::ModelKind;
use tabml_tests::{ChromeDriver, TestServer};

mod drift;
mod offline;
mod score;

const PATIENCE: Duration = Duration::from_secs(600);
const MODELS: [ModelKind; 3] =
    [ModelKind::LogisticRegression, ModelKind::DecisionTree, ModelKind::RandomForest];

struct Args {
    dist: PathBuf,
    data: PathBuf,
    target: String,
    out: Option<PathBuf>,
    drift_dir: Option<PathBuf>,
    evidently: Option<PathBuf>,
    offline: bool,
}

fn args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut dist, mut data, mut target, mut out) = (None, None, None, None);
    let (mut drift_dir, mut evidently, mut offline) = (None, None, false);
    while let Some(flag) = args.next() {
        if flag == "--offline" {
            offline = true;
            continue;
        }
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--dist" => dist = Some(PathBuf::from(value)),
            "--data" => data = Some(PathBuf::from(value)),
            "--target" => target = Some(value),
            "--out" => out = Some(PathBuf::from(value)),
            "--drift-dir" => drift_dir = Some(PathBuf::from(value)),
            "--evidently" => evidently = Some(PathBuf::from(value)),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if drift_dir.is_none() && data.is_none() && !offline {
        return Err("--data (or --drift-dir, or --offline) is required".into());
    }
    Ok(Args {
        dist: dist.ok_or("--dist is required")?,
        data: data.unwrap_or_default(),
        target: target.unwrap_or_else(|| "label".into()),
        out,
        drift_dir,
        evidently,
        offline,
    })
}

fn millis(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// The core's time per stage of one training, as JSON.
fn stages_json(d: &tabml::Durations) -> Value {
    json!({ "prepare": d.prepare_ms, "fit": d.fit_ms, "evaluate": d.evaluate_ms })
}

/// Native figures: parse (best of 3) and `train_with` per model (best of 3; the forest once), with
/// the stages of the best run; for the models the Score page is timed with, the file scored with
/// the bundle trained here (`score::native`).
fn native(bytes: &[u8], target: &str) -> Value {
    let mut parse = f64::INFINITY;
    let mut table = None;
    for _ in 0..3 {
        let start = Instant::now();
        table = Some(tabml::parse_csv(bytes).expect("the benchmark file parses"));
        parse = parse.min(millis(start));
    }
    let table = table.expect("parsed");
    let mut timings = serde_json::Map::new();
    timings.insert("csv_parse".into(), json!(parse));
    for kind in MODELS {
        let runs = if kind == ModelKind::RandomForest { 1 } else { 3 };
        // As the page trains (its problem card too), so the bundles are the page's, byte for byte.
        let config = score::page_config(kind);
        let (mut best, mut stages, mut bundle) = (f64::INFINITY, Value::Null, None);
        for _ in 0..runs {
            let start = Instant::now();
            // The core's own clock, as the worker gives it, so the stages are timed natively too.
            let clock = || millis(start);
            let trained = tabml::train_with(&table, target, &config, &mut tabml::Progress::none(), &clock)
                .expect("the benchmark trains");
            let ms = millis(start);
            if ms < best {
                best = ms;
                stages = stages_json(&trained.run.durations);
            }
            bundle.get_or_insert_with(|| trained.bundle.encode());
        }
        timings.insert(format!("{}_train", kind.name()), json!(best));
        timings.insert(format!("{}_stages", kind.name()), stages);
        if score::SCORED.contains(&kind) {
            let bundle = bundle.expect("trained at least once");
            timings.insert(format!("{}_score", kind.name()), score::native(&bundle, bytes));
        }
    }
    Value::Object(timings)
}

/// Per measure, the faster of two native passes (with that pass's stages).
fn faster(a: Value, b: Value) -> Value {
    let mut out = a.clone();
    for name in ["csv_parse", "logreg_train", "tree_train", "forest_train"] {
        let (x, y) = (a[name].as_f64().unwrap_or(f64::INFINITY), b[name].as_f64().unwrap_or(f64::INFINITY));
        if y < x {
            out[name] = b[name].clone();
            let stages = name.replace("_train", "_stages");
            out[&stages] = b[&stages].clone();
        }
    }
    for kind in score::SCORED {
        let name = format!("{}_score", kind.name());
        out[&name] = score::faster(&a[&name], &b[&name]);
    }
    out
}

async fn wait(client: &Client, css: &str) -> fantoccini::elements::Element {
    tabml_tests::wait_for_css(client, css, PATIENCE).await
}

/// Waits for the element with this id to contain `text`.
async fn wait_text(client: &Client, id: &str, text: &str) -> fantoccini::elements::Element {
    let xpath = format!("//*[@id='{id}'][contains(., '{text}')]");
    client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("{xpath}: {e}"))
}

async fn number(client: &Client, script: &str) -> f64 {
    client.execute(script, vec![]).await.expect("the script runs").as_f64().unwrap_or(f64::NAN)
}

/// Loads the page and waits for the app's "interactive" mark; returns its time after navigation.
async fn load(client: &Client, url: &str) -> f64 {
    client.goto(url).await.expect("the page loads");
    let deadline = Instant::now() + PATIENCE;
    loop {
        let at = number(
            client,
            "const m = performance.getEntriesByName('tabml-interactive'); return m.length ? m[0].startTime : -1;",
        )
        .await;
        if at >= 0.0 {
            return at;
        }
        assert!(Instant::now() < deadline, "the app never became interactive");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The server serving the built app, and headless Chromium driven over WebDriver.
struct Chromium {
    server: TestServer,
    client: Client,
    _driver: ChromeDriver,
    _profile: tempfile::TempDir,
}

impl Chromium {
    async fn open(dist: &std::path::Path) -> Self {
        let server = TestServer::start(dist).await;
        let driver = ChromeDriver::start();
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(ChromeDriver::chromium_capabilities(profile.path()));
        let client = builder.connect(&driver.url).await.expect("a ChromeDriver session");
        Self { server, client, _driver: driver, _profile: profile }
    }
}

async fn browser(args: &Args) -> Value {
    let Chromium { server, client, _driver, _profile } = Chromium::open(&args.dist).await;
    let url = server.url("/");

    // First load, cold: every byte it transferred (compressed as sent), once the sample list is in.
    let cold = load(&client, &url).await;
    wait(&client, "button[data-dataset]").await;
    let first_load_bytes = number(
        &client,
        "let total = 0;
         for (const e of performance.getEntriesByType('navigation')) total += e.transferSize;
         for (const e of performance.getEntriesByType('resource')) total += e.transferSize;
         return total;",
    )
    .await;
    let mut warm = Vec::new();
    for _ in 0..10 {
        warm.push(load(&client, &url).await);
    }
    warm.sort_by(f64::total_cmp);
    let interactive_median = (warm[4] + warm[5]) / 2.0;

    // The data set, through the file picker, parsed in the worker: best of three, as natively.
    wait(&client, "button[data-dataset]").await;
    let file = std::fs::canonicalize(&args.data).expect("the data file exists");
    let name = file.file_name().and_then(|n| n.to_str()).expect("a file name").to_owned();
    let mut parse = f64::INFINITY;
    for _ in 0..3 {
        // A small sample in between, so that each upload replaces another data set.
        wait(&client, "button[data-dataset='iris']").await.click().await.expect("the iris sample");
        wait_text(&client, "data-summary", "Iris").await;
        let input = wait(&client, "#csv-file").await;
        client.execute("document.getElementById('csv-file').value = '';", vec![]).await.expect("reset");
        input.send_keys(file.to_str().expect("a UTF-8 path")).await.expect("upload");
        let summary = wait_text(&client, "data-summary", &name).await;
        let ms: f64 = summary
            .attr("data-parse-ms")
            .await
            .ok()
            .flatten()
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN);
        parse = parse.min(ms);
    }
    wait(&client, "#target-select").await.select_by_value(&args.target).await.expect("the target exists");

    // Scrolling the rows table: 300 animation frames, each scrolling 3 rows further (the worker
    // sends each new window of rows), then jumps to 20 places across the file, each timed until
    // its row is on the page.
    // The same 300 frames without scrolling first: what headless Chromium gives an idle page.
    let frames_script = |rows_per_frame: u32, frames: u32| {
        format!(
            "const done = arguments[arguments.length - 1];
             const s = document.querySelector('#rows-scroll');
             const gaps = []; let last = performance.now(), n = 0;
             function step(now) {{
               gaps.push(now - last); last = now; s.scrollTop += {rows_per_frame} * 28;
               if (++n < {frames}) requestAnimationFrame(step);
               else {{ gaps.sort((a, b) => a - b); done([gaps[Math.floor(gaps.length * 0.95)], gaps[gaps.length - 1]]); }}
             }}
             requestAnimationFrame(step);"
        )
    };
    let mut frame_figures = Vec::new();
    for rows_per_frame in [0, 3] {
        let frames = client
            .execute_async(&frames_script(rows_per_frame, 300), vec![])
            .await
            .expect("the frames script runs");
        let frame = |i: usize| frames.get(i).and_then(Value::as_f64).unwrap_or(f64::NAN);
        frame_figures.push((frame(0), frame(1)));
    }
    let (idle_p95, idle_max) = frame_figures[0];
    let (frame_p95, frame_max) = frame_figures[1];
    // A reference: a plain table of 400 rows with the same columns and styles, all in the page,
    // put in place of the rows table and scrolled the same way. It has nothing to fetch or render,
    // so what it costs is the browser's own painting (software, in headless Chromium).
    client
        .execute(
            "const box = document.querySelector('#rows-scroll');
             const copy = box.cloneNode(true); copy.id = 'static-scroll';
             const body = copy.querySelector('tbody'); const row = body.querySelector('tr[data-row]');
             body.replaceChildren(); for (let i = 0; i < 400; i++) body.appendChild(row.cloneNode(true));
             box.replaceWith(copy);",
            vec![],
        )
        .await
        .expect("the static table is built");
    let frames = client
        .execute_async(&frames_script(3, 100).replace("#rows-scroll", "#static-scroll"), vec![])
        .await
        .expect("the frames script runs");
    let frame = |i: usize| frames.get(i).and_then(Value::as_f64).unwrap_or(f64::NAN);
    let (static_p95, static_max) = (frame(0), frame(1));
    // The page again, with the data set read back from IndexedDB.
    client.refresh().await.expect("reload");
    wait_text(&client, "data-summary", &name).await;
    wait(&client, "#target-select").await.select_by_value(&args.target).await.expect("the target exists");
    // The worker does one thing at a time: let it finish the checks and the split preview first.
    wait(&client, "#validation-findings, #validation-clean").await;
    wait(&client, "#split-table").await;
    let n_rows =
        std::fs::read(&args.data).map(|b| b.iter().filter(|&&c| c == b'\n').count()).unwrap_or(1) - 1;
    let mut jump_worst: f64 = 0.0;
    for step in 0..20usize {
        let row = step * (n_rows - 1) / 19;
        let ms = client
            .execute_async(
                "const [row, done] = arguments;
                 const s = document.querySelector('#rows-scroll');
                 const started = performance.now();
                 s.scrollTop = row * 28;
                 (function check() {
                   if (document.querySelector(`#preview tbody tr[data-row='${row}']`)) done(performance.now() - started);
                   else requestAnimationFrame(check);
                 })();",
                vec![json!(row)],
            )
            .await
            .expect("the jump script runs")
            .as_f64()
            .unwrap_or(f64::NAN);
        jump_worst = jump_worst.max(ms);
    }

    let mut timings = serde_json::Map::new();
    timings.insert("csv_parse".into(), json!(parse));
    let mut longest_task = 0.0;
    let mut trained = 0;
    for kind in MODELS {
        wait(&client, "#model-select")
            .await
            .select_by_value(kind.label())
            .await
            .expect("the model is offered");
        if kind == ModelKind::RandomForest {
            client
                .execute(
                    "window.__longest = 0;
                     new PerformanceObserver(list => {
                       for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
                     }).observe({ type: 'longtask' });",
                    vec![],
                )
                .await
                .expect("a long-task observer");
        }
        // Best of three, as natively (the forest once).
        let runs = if kind == ModelKind::RandomForest { 1 } else { 3 };
        let (mut best, mut best_stages) = (f64::INFINITY, Value::Null);
        for _ in 0..runs {
            wait(&client, "#train-button:not([disabled])").await.click().await.expect("train");
            trained += 1;
            wait(&client, &format!("#runs tbody tr[data-run='{trained}']")).await;
            wait(&client, &format!("#result-bundle[data-model='{}']", kind.name())).await;
            let context = wait(&client, "#result-context[data-millis]").await;
            let read = |attribute: &'static str| {
                let context = context.clone();
                async move {
                    context
                        .attr(attribute)
                        .await
                        .ok()
                        .flatten()
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(f64::NAN)
                }
            };
            let ms: f64 = read("data-millis").await;
            if ms < best {
                best = ms;
                best_stages = json!({
                    "prepare": read("data-prepare-ms").await,
                    "fit": read("data-fit-ms").await,
                    "evaluate": read("data-evaluate-ms").await,
                });
            }
        }
        timings.insert(format!("{}_train", kind.name()), json!(best));
        timings.insert(format!("{}_stages", kind.name()), best_stages);
        if kind == ModelKind::RandomForest {
            longest_task = number(&client, "return window.__longest;").await;
        }
    }
    // The Score page with the forest, the workbench's model now; then with logistic regression,
    // trained once more (untimed) to be the workbench's model.
    let mut scores = serde_json::Map::new();
    for kind in [ModelKind::RandomForest, ModelKind::LogisticRegression] {
        if kind != ModelKind::RandomForest {
            score::train_again(&client, kind, &mut trained).await;
        }
        scores.insert(kind.name().into(), score::in_tab(&client, &args.data, kind).await);
    }
    client.close().await.ok();
    server.stop().await;
    json!({
        "timings": timings,
        "first_load_bytes": first_load_bytes,
        "interactive_cold_ms": cold,
        "interactive_median_ms": interactive_median,
        "longest_main_thread_task_ms": longest_task,
        "static_frame_p95_ms": static_p95,
        "static_frame_max_ms": static_max,
        "idle_frame_p95_ms": idle_p95,
        "idle_frame_max_ms": idle_max,
        "scroll_frame_p95_ms": frame_p95,
        "scroll_frame_max_ms": frame_max,
        "scroll_jump_worst_ms": jump_worst,
        "score": scores,
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = match args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("browser-bench: {e}");
            std::process::exit(2);
        }
    };
    if args.offline {
        offline::offline_main(&args).await;
        return;
    }
    if let Some(dir) = args.drift_dir.clone() {
        drift::drift_main(&args, &dir).await;
        return;
    }
    let bytes = std::fs::read(&args.data).unwrap_or_else(|e| panic!("{}: {e}", args.data.display()));
    eprintln!("timing tabml natively…");
    let before = native(&bytes, &args.target);
    eprintln!("timing the app in headless Chromium…");
    let browser = browser(&args).await;
    // Natively again after, keeping the faster of each: this machine has busy spells of a minute
    // or more, and one pass can land in one.
    eprintln!("timing tabml natively again…");
    let native = faster(before, native(&bytes, &args.target));

    println!("| measure | browser | native | browser / native | target | met? |");
    println!("| --- | ---: | ---: | ---: | --- | --- |");
    for name in ["csv_parse", "logreg_train", "tree_train", "forest_train"] {
        let b = browser["timings"][name].as_f64().unwrap_or(f64::NAN);
        let n = native[name].as_f64().unwrap_or(f64::NAN);
        let ratio = b / n;
        let met = if ratio <= 2.0 { "yes" } else { "**no**" };
        println!("| {name} | {b:.0} ms | {n:.0} ms | {ratio:.2}× | ≤ 2× | {met} |");
    }
    let kb = browser["first_load_bytes"].as_f64().unwrap_or(f64::NAN) / 1024.0;
    let met = |ok: bool| if ok { "yes" } else { "**no**" };
    println!("| first load transferred | {kb:.0} KB | | | < 1,536 KB | {} |", met(kb < 1536.0));
    let cold = browser["interactive_cold_ms"].as_f64().unwrap_or(f64::NAN);
    let median = browser["interactive_median_ms"].as_f64().unwrap_or(f64::NAN);
    println!(
        "| navigation → interactive, first load | {cold:.0} ms | | | < 1,000 ms | {} |",
        met(cold < 1000.0)
    );
    println!(
        "| navigation → interactive, median of 10 | {median:.0} ms | | | < 1,000 ms | {} |",
        met(median < 1000.0)
    );
    let longest = browser["longest_main_thread_task_ms"].as_f64().unwrap_or(f64::NAN);
    let shown = if longest == 0.0 { "< 50 ms (no long task)".to_owned() } else { format!("{longest:.0} ms") };
    println!(
        "| longest main-thread task while the forest trains | {shown} | | | ≤ 100 ms | {} |",
        met(longest <= 100.0)
    );

    let scroll = |name: &str| browser[name].as_f64().unwrap_or(f64::NAN);
    println!(
        "| an idle page: frame interval p95 / longest | {:.0} / {:.0} ms | | | (headless Chromium's own pace) | |",
        scroll("idle_frame_p95_ms"),
        scroll("idle_frame_max_ms")
    );
    println!(
        "| scrolling the 100,000-row table: frame interval p95 / longest | {:.0} / {:.0} ms | | | smooth (60 Hz is 17 ms) | |",
        scroll("scroll_frame_p95_ms"),
        scroll("scroll_frame_max_ms")
    );
    println!(
        "| reference, a plain 400-row table scrolled the same way for 100 frames: p95 / longest | {:.0} / {:.0} ms | | | | |",
        scroll("static_frame_p95_ms"),
        scroll("static_frame_max_ms")
    );
    println!(
        "| scrolling: a jump anywhere until its row shows, worst of 20 | {:.0} ms | | | ≤ 100 ms | {} |",
        scroll("scroll_jump_worst_ms"),
        met(scroll("scroll_jump_worst_ms") <= 100.0)
    );

    println!();
    println!("Where the training time goes (the core's own clock; ms, browser / native):");
    println!();
    println!("| model | prepare | fit | test and profile |");
    println!("| --- | ---: | ---: | ---: |");
    for kind in MODELS {
        let key = format!("{}_stages", kind.name());
        let cell = |stage: &str| {
            let b = browser["timings"][&key][stage].as_f64().unwrap_or(f64::NAN);
            let n = native[&key][stage].as_f64().unwrap_or(f64::NAN);
            format!("{b:.0} / {n:.0} ({:.1}×)", b / n)
        };
        println!("| {} | {} | {} | {} |", kind.name(), cell("prepare"), cell("fit"), cell("evaluate"));
    }
    score::print(&browser, &native);

    let report = json!({ "browser": browser, "native": native });
    if let Some(out) = &args.out {
        std::fs::write(out, report.to_string()).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    }
}
