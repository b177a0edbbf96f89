//! Every event reaches the server exactly once (issue 18), however often the server dies. Four
//! client threads send their own events (predictions, labels of earlier predictions, now and then a
//! profile or a drift report), each with a unique id, to a real `tabml serve`, in batches of random
//! sizes. A batch that fails (connection refused or reset, a time-out, 5xx, 429) is sent again with
//! the same ids after a short backoff, and now and then a batch already acknowledged is sent again.
//! Meanwhile the server is killed with SIGKILL at random moments, 3 to 6 times, and restarted on the
//! same database file; it comes back on a new port, which the clients read from a shared slot.
//!
//! Along the way, each answer lists each id of its batch once; a batch of new ids answered at its
//! first try is all accepted; a batch sent again after its acknowledgement is all duplicates (else
//! an acknowledged event was lost); and no id is ever answered "accepted" twice. At the end the
//! server holds exactly the union of the ids sent, each once: its dashboard counts every prediction
//! and every labelled prediction once, and, the server killed a last time, the database file holds
//! each id once (`Storage::event_ids`), and no other.
//!
//! Randomness comes from one seed, `TABML_CHAOS_SEED` if set, else the clock, printed first. The
//! seed fixes each client's events, batch sizes and resends, and each kill's moment (a count of
//! acknowledged events, then a delay) and downtime. A replay is not bit-exact: which request a
//! kill lands in, and so which batches are retried, depends on timing.

use super::registry::login;
use super::serve::{create_user, register_iris_version, serve};
use super::workspace_file;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::ops::Range;
use std::process::Child;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tabml::api::EventAck;
use tabml::SplitMix64;

/// Client threads sending at once.
const CLIENTS: usize = 4;
/// Events each client sends.
const EVENTS_PER_CLIENT: usize = 750;
/// The largest batch a client sends.
const MAX_BATCH: usize = 80;
/// Everything, kills and restarts included, ends within this of the start, or the test fails.
const DEADLINE: Duration = Duration::from_secs(60);
/// One request's limit; a request cut off by a kill fails sooner (its connection is reset).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The model the events are about.
const MODEL: &str = "chaos";
/// The events' client times: from here (Unix milliseconds), one millisecond apart.
const BASE_MS: i64 = 1_763_900_000_000;
const SPECIES: [&str; 3] = ["setosa", "versicolor", "virginica"];

#[test]
fn every_event_reaches_the_server_exactly_once_through_random_sigkills() {
    let seed = match std::env::var("TABML_CHAOS_SEED") {
        Ok(seed) => seed.trim().parse().expect("TABML_CHAOS_SEED: an unsigned 64-bit integer"),
        Err(_) => {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
            now.as_nanos() as u64
        }
    };
    eprintln!("chaos seed: {seed} (replay with TABML_CHAOS_SEED={seed})");
    let started = Instant::now();
    let shared = Arc::new(Shared {
        url: RwLock::new(String::new()),
        acknowledged: AtomicUsize::new(0),
        failed: AtomicBool::new(false),
        deadline: started + DEADLINE,
    });
    // Whatever fails here stops the clients too.
    let _stop_clients = StopOnPanic(shared.clone());

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chaos.db");
    assert!(create_user(&db, "ada", "admin", "a long password").status.success());
    let (child, url) = serve(&db, dir.path());
    let mut server = Running(child);
    let token = login(&url, "ada", "a long password");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(register_iris_version(&reqwest::Client::new(), &url, &token, MODEL));
    *shared.url.write().unwrap() = url;

    // Everything random comes from the seed, drawn before anything runs.
    let mut rng = SplitMix64::new(seed);
    let profile = iris_profile();
    let plans: Vec<Plan> = (0..CLIENTS).map(|c| Plan::draw(c, &mut rng, &profile)).collect();
    let kills = Kill::draw(&mut rng, CLIENTS * EVENTS_PER_CLIENT);
    let backoff_seeds: Vec<u64> = (0..CLIENTS).map(|_| rng.next_u64()).collect();
    let mut expected: Vec<String> =
        plans.iter().flat_map(|p| p.events.iter().map(|e| id_of(e).to_owned())).collect();
    expected.sort_unstable();
    let count =
        |kind: &str| plans.iter().flat_map(|p| &p.events).filter(|e| e["type"] == kind).count() as u64;
    let (predictions, labels) = (count("prediction"), count("label"));

    let clients: Vec<_> = plans
        .into_iter()
        .zip(backoff_seeds)
        .enumerate()
        .map(|(c, (plan, backoff_seed))| {
            let (shared, token) = (shared.clone(), token.clone());
            std::thread::Builder::new()
                .name(format!("chaos-client-{c}"))
                .spawn(move || run_client(c, &plan, &shared, &token, backoff_seed))
                .unwrap()
        })
        .collect();

    // The chaos: each kill once the clients have that many events acknowledged, after its delay.
    let mut kills_done = 0;
    for kill in &kills {
        let reached = || shared.acknowledged.load(Ordering::SeqCst) >= kill.after;
        if !wait_until(
            &shared,
            &format!("{} events acknowledged before kill {}", kill.after, kills_done + 1),
            reached,
        ) {
            break;
        }
        std::thread::sleep(kill.delay);
        drop(server); // SIGKILL: no shutdown, no checkpoint.
        std::thread::sleep(kill.down);
        let (child, url) = serve(&db, dir.path());
        server = Running(child);
        *shared.url.write().unwrap() = url;
        kills_done += 1;
    }
    wait_until(&shared, "every client done", || clients.iter().all(|c| c.is_finished()));
    let tallies: Vec<Tally> = clients
        .into_iter()
        .map(|c| c.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
        .collect();
    assert_eq!(kills_done, kills.len(), "every planned kill happened");

    // No id was ever answered "accepted" twice: once stored, an event stays stored.
    let mut accepted: HashMap<&str, usize> = HashMap::new();
    for id in tallies.iter().flat_map(|t| &t.accepted) {
        *accepted.entry(id).or_default() += 1;
    }
    let twice: Vec<_> = accepted.iter().filter(|(_, n)| **n > 1).map(|(id, _)| *id).collect();
    assert!(
        twice.is_empty(),
        "ids answered \"accepted\" more than once (stored, acknowledged, then lost): {}",
        some(&twice)
    );

    // The dashboard counts each prediction and each labelled prediction once.
    let url = shared.url.read().unwrap().clone();
    let dashboard: Value = runtime.block_on(async {
        let window = format!("from={BASE_MS}&to={}", BASE_MS + 86_400_000);
        let reply = reqwest::Client::new()
            .get(format!("{url}api/v1/models/{MODEL}/dashboard?{window}"))
            .bearer_auth(&token)
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        reply.json().await.unwrap()
    });
    assert_eq!(dashboard["volume"], predictions, "predictions on the dashboard");
    assert_eq!(dashboard["labelled"], labels, "labelled predictions on the dashboard");

    // Killed once more, the server leaves a file holding each id sent once, and no other.
    drop(server);
    let storage = tabml_server::Storage::open(&db, tabml_server::Durability::Full).unwrap();
    let (user, _) = storage.password_hash("ada").unwrap().unwrap();
    let mut stored = storage.event_ids(user).unwrap();
    stored.sort_unstable();
    let stored_twice: Vec<_> = stored.windows(2).filter(|w| w[0] == w[1]).map(|w| &w[0]).collect();
    assert!(stored_twice.is_empty(), "events stored twice: {}", some(&stored_twice));
    let missing: Vec<_> = expected.iter().filter(|id| stored.binary_search(id).is_err()).collect();
    assert!(missing.is_empty(), "events never stored: {}", some(&missing));
    let extra: Vec<_> = stored.iter().filter(|id| expected.binary_search(id).is_err()).collect();
    assert!(extra.is_empty(), "events stored that no client sent: {}", some(&extra));

    let sum = |f: fn(&Tally) -> usize| tallies.iter().map(f).sum::<usize>();
    eprintln!(
        "{} events in {} batches, {} sent again after their acknowledgement; {kills_done} kills; \
         {} attempts failed; {} batches found stored on a retry (the answer lost); {:.1} s",
        expected.len(),
        sum(|t| t.batches),
        sum(|t| t.resends),
        sum(|t| t.failed_attempts),
        sum(|t| t.answers_lost),
        started.elapsed().as_secs_f64()
    );
}

/// What the clients and the chaos share.
struct Shared {
    /// The running server's base URL (`http://127.0.0.1:PORT/`).
    url: RwLock<String>,
    /// Events acknowledged at their first batch's send (the kills' clock).
    acknowledged: AtomicUsize,
    /// Set when a thread panicked: the others stop.
    failed: AtomicBool,
    /// When the test fails rather than waits on.
    deadline: Instant,
}

/// Sets [`Shared::failed`] when the thread holding it panics.
struct StopOnPanic(Arc<Shared>);

impl Drop for StopOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.failed.store(true, Ordering::SeqCst);
        }
    }
}

/// A running `tabml serve`, killed with SIGKILL when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `done()`, or a thread failed (false), or the deadline passed (a panic naming `what`).
fn wait_until(shared: &Shared, what: &str, done: impl Fn() -> bool) -> bool {
    loop {
        if done() {
            return true;
        }
        if shared.failed.load(Ordering::SeqCst) {
            return false;
        }
        assert!(Instant::now() < shared.deadline, "chaos: not {what} within {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A kill: once `after` events are acknowledged, wait `delay`, SIGKILL, and stay down `down`.
struct Kill {
    after: usize,
    delay: Duration,
    down: Duration,
}

impl Kill {
    /// 3 to 6 kills, between 5% and 90% of the `total` events acknowledged.
    fn draw(rng: &mut SplitMix64, total: usize) -> Vec<Kill> {
        let mut kills: Vec<Kill> = (0..3 + rng.below(4))
            .map(|_| Kill {
                after: total / 20 + rng.below(total * 17 / 20),
                delay: Duration::from_millis(rng.below(40) as u64),
                down: Duration::from_millis(rng.below(150) as u64),
            })
            .collect();
        kills.sort_by_key(|k| k.after);
        kills
    }
}

/// One client's events and the order it sends them in.
struct Plan {
    events: Vec<Value>,
    /// Consecutive slices of `events`.
    batches: Vec<Range<usize>>,
    /// Each batch in turn, and now and then an earlier one again.
    steps: Vec<Step>,
}

#[derive(Clone, Copy)]
enum Step {
    /// A batch's first send (retried until answered).
    Send(usize),
    /// A batch sent again after its acknowledgement.
    Resend(usize),
}

impl Plan {
    /// Client `c`'s events: mostly predictions; one in ten a label of an earlier, unlabelled
    /// prediction; one in a hundred a profile, as many drift reports. Batches of 1 to
    /// [`MAX_BATCH`]; after one in five, an acknowledged batch again.
    fn draw(c: usize, rng: &mut SplitMix64, profile: &Value) -> Plan {
        let mut unlabelled = Vec::new();
        let events = (0..EVENTS_PER_CLIENT)
            .map(|i| {
                let head = json!({"id": format!("c{c}-{i}"), "model": MODEL, "version": 1, "at": BASE_MS + i as i64});
                let roll = rng.below(100);
                let body = if roll < 10 && !unlabelled.is_empty() {
                    let prediction: String = unlabelled.swap_remove(rng.below(unlabelled.len()));
                    json!({"type": "label", "prediction_id": prediction, "label": SPECIES[rng.below(3)]})
                } else if roll == 10 {
                    json!({"type": "profile", "profile": profile})
                } else if roll == 11 {
                    json!({"type": "drift_report", "report": {"dataset_drift": rng.below(2) == 1}})
                } else {
                    let prediction = format!("p{c}-{i}");
                    unlabelled.push(prediction.clone());
                    let latency = rng.below(500) as f64 / 100.0;
                    json!({"type": "prediction", "prediction_id": prediction, "output": SPECIES[rng.below(3)], "latency_ms": latency})
                };
                let mut event = head;
                event.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
                event
            })
            .collect::<Vec<_>>();
        let (mut batches, mut steps) = (Vec::new(), Vec::new());
        while batches.last().map_or(0, |b: &Range<usize>| b.end) < events.len() {
            let start = batches.last().map_or(0, |b: &Range<usize>| b.end);
            batches.push(start..(start + 1 + rng.below(MAX_BATCH)).min(events.len()));
            steps.push(Step::Send(batches.len() - 1));
            if rng.below(5) == 0 {
                steps.push(Step::Resend(rng.below(batches.len())));
            }
        }
        Plan { events, batches, steps }
    }
}

/// The first few of `ids`, and how many there are.
fn some<T: std::fmt::Debug>(ids: &[T]) -> String {
    let more = if ids.len() > 10 { "…" } else { "" };
    format!("{:?}{more} ({} in all)", &ids[..ids.len().min(10)], ids.len())
}

fn id_of(event: &Value) -> &str {
    event["id"].as_str().unwrap()
}

/// A profile of 30 rows of iris, as a client computes it.
fn iris_profile() -> Value {
    let csv = std::fs::read(workspace_file("public/data/iris.csv")).unwrap();
    let table = tabml::parse_csv(&csv).unwrap();
    let rows: Vec<usize> = (0..150).step_by(5).collect();
    serde_json::to_value(tabml::drift::DataProfile::of_rows(&table, Some(&rows))).unwrap()
}

/// What a client saw.
#[derive(Default)]
struct Tally {
    /// Every id an answer listed under `accepted`.
    accepted: Vec<String>,
    batches: usize,
    resends: usize,
    failed_attempts: usize,
    /// Batches whose retry found some of their events stored: an attempt was stored, its answer lost.
    answers_lost: usize,
}

/// Client `c` sends its plan, checking each answer; it stops early (with what it saw) when another
/// thread failed.
fn run_client(c: usize, plan: &Plan, shared: &Arc<Shared>, token: &str, backoff_seed: u64) -> Tally {
    let _stop_others = StopOnPanic(shared.clone());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build().unwrap();
    let mut backoff = SplitMix64::new(backoff_seed);
    let mut tally = Tally::default();
    for &step in &plan.steps {
        let (b, again) = match step {
            Step::Send(b) => (b, false),
            Step::Resend(b) => (b, true),
        };
        let batch = &plan.events[plan.batches[b].clone()];
        let what = format!(
            "client {c}'s batch {b} ({} events{})",
            batch.len(),
            if again { ", sent again" } else { "" }
        );
        let body = json!({ "events": batch });
        let send = send_until_answered(&client, shared, token, &body, &mut backoff, &what);
        let Some((ack, attempts)) = runtime.block_on(send) else { return tally };
        tally.failed_attempts += attempts - 1;
        let mut ids: Vec<&str> = batch.iter().map(id_of).collect();
        let mut answered: Vec<&str> =
            ack.accepted.iter().chain(&ack.duplicates).map(String::as_str).collect();
        ids.sort_unstable();
        answered.sort_unstable();
        assert_eq!(answered, ids, "{what}: the answer does not list each id of the batch once");
        if again {
            tally.resends += 1;
            assert!(
                ack.accepted.is_empty(),
                "{what}: acknowledged before, yet {} of its events were stored anew, so they had been lost: {}",
                ack.accepted.len(),
                some(&ack.accepted)
            );
        } else {
            tally.batches += 1;
            if attempts == 1 {
                assert!(
                    ack.duplicates.is_empty(),
                    "{what}: new ids, answered at the first try, have duplicates: {}",
                    some(&ack.duplicates)
                );
            } else if !ack.duplicates.is_empty() {
                tally.answers_lost += 1;
            }
            shared.acknowledged.fetch_add(batch.len(), Ordering::SeqCst);
        }
        tally.accepted.extend(ack.accepted);
    }
    tally
}

/// Posts `body` to the current server until it is answered 200, after a short backoff between
/// tries; with the answer, the number of tries. `None` when another thread failed.
async fn send_until_answered(
    client: &reqwest::Client,
    shared: &Shared,
    token: &str,
    body: &Value,
    backoff: &mut SplitMix64,
    what: &str,
) -> Option<(EventAck, usize)> {
    let mut last = String::new();
    for attempts in 1.. {
        if shared.failed.load(Ordering::SeqCst) {
            return None;
        }
        assert!(
            Instant::now() < shared.deadline,
            "{what} not acknowledged within {DEADLINE:?} of the start ({} tries; the last: {last})",
            attempts - 1
        );
        let url = shared.url.read().unwrap().clone();
        let sent = client.post(format!("{url}api/v1/events")).bearer_auth(token).json(body).send().await;
        match sent {
            Err(e) => last = chain(&e),
            Ok(reply) => {
                let status = reply.status();
                if status == 200 {
                    match reply.json::<EventAck>().await {
                        Ok(ack) => return Some((ack, attempts)),
                        Err(e) => last = format!("reading the answer: {}", chain(&e)),
                    }
                } else if status.is_server_error() || status == 429 || status == 408 {
                    last = format!("{status}: {}", reply.text().await.unwrap_or_default());
                } else {
                    panic!("{what} refused: {status}: {}", reply.text().await.unwrap_or_default());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(5 + backoff.below(45) as u64)).await;
    }
    unreachable!()
}

/// An error and its causes, on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}
