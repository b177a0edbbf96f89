//! The page's side of the Web Worker: sends [`Request`]s, routes progress and replies back to the
//! caller, and cancels by terminating the worker and starting a fresh one.
//!
//! Each request has one async function here ([`load`], [`train`], [`monitor`], …) that returns its
//! own reply type or a [`WorkerError`]; the rest of the page never sees [`Reply`].
//!
//! A fresh worker knows nothing, so the client remembers what made the current data set (the last
//! accepted file and the type changes since) and replays it to the new worker before anything else.
//! A worker that crashes is replaced the same way, and the requests it held fail with a message.

use crate::worker::messages::{
    Current, DataSummary, Explanation, FileScore, FindingView, LabelsRead, ModelView, MonitorView, Reply,
    ReportTo, Request, RowCells, RowScore, ScoreSetup, ToPage, ToWorker,
};
use futures_channel::oneshot;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use tabml::{ColumnKind, SplitPreview, TrainConfig};
use thiserror::Error;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker};

/// The worker script Trunk writes for the `worker` binary (see `app/index.html`).
/// Absolute, so the page at any address (`/`, `/registry/…`) finds it.
const WORKER_SCRIPT: &str = "/worker_loader.js";

/// A reply and the bytes attached to it.
type Answer = (Reply, Option<Vec<u8>>);

/// Called with the share of the work done.
pub type OnProgress = Rc<dyn Fn(f64)>;

/// Called with each finished search trial.
pub type OnTrial = Rc<dyn Fn(tabml::Trial)>;

/// What a request needs to be replayed to a fresh worker.
#[derive(Clone)]
struct Replay {
    request: Request,
    payload: Option<Rc<Vec<u8>>>,
}

struct Pending {
    on_progress: Option<OnProgress>,
    on_trial: Option<OnTrial>,
    done: oneshot::Sender<Result<Answer, WorkerError>>,
    /// Set for requests that change the data set: kept for replay once they succeed.
    replay: Option<Replay>,
}

struct Client {
    worker: Worker,
    ready: bool,
    /// Messages waiting for the worker to say it is ready.
    queue: Vec<(js_sys::Array, js_sys::Array)>,
    pending: HashMap<u64, Pending>,
    /// What rebuilds the current data set in a fresh worker.
    replay: Vec<Replay>,
    /// What gives a fresh worker the Score page's model again.
    scoring: Option<Replay>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

thread_local! {
    static CLIENT: RefCell<Option<Client>> = const { RefCell::new(None) };
    /// Request ids are never reused, not even across restarted workers.
    static NEXT_ID: std::cell::Cell<u64> = const { std::cell::Cell::new(1) };
}

/// Why a request to the worker gave no answer of the kind asked for.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum WorkerError {
    /// The worker did the work and refused it; the message says why and where, for the learner.
    #[error("{0}")]
    Refused(String),
    /// The learner cancelled (the worker was replaced by a fresh one).
    #[error("Cancelled.")]
    Cancelled,
    /// The worker crashed; a fresh one has the data set again.
    #[error("The background worker stopped ({0}). Your data is still loaded; try again.")]
    Crashed(String),
    /// The browser would not start the worker.
    #[error("the background worker could not start: {0}")]
    Unavailable(String),
    /// The worker went away before it answered.
    #[error("the background worker went away")]
    Gone,
    /// The worker answered with another kind of reply than the request's (a bug in one of them).
    #[error("the background worker answered {got} to a request to {wanted}")]
    Mismatch {
        /// The request.
        wanted: &'static str,
        /// The reply's kind.
        got: &'static str,
    },
}

/// Sends `request` (with `payload` attached) to the worker and waits for its answer; a refusal
/// becomes [`WorkerError::Refused`]. Each request has a typed function below that calls this.
async fn ask(
    request: Request,
    payload: Option<Vec<u8>>,
    on_progress: Option<OnProgress>,
    on_trial: Option<OnTrial>,
) -> Result<Answer, WorkerError> {
    let (done, answer) = oneshot::channel();
    let payload = payload.map(Rc::new);
    let replay =
        matches!(request, Request::Load { .. } | Request::SetKind { .. } | Request::ScoreWith { .. })
            .then(|| Replay { request: request.clone(), payload: payload.clone() });
    with_client(|client| {
        let id = client.send(&request, payload.as_deref().map(Vec::as_slice));
        client.pending.insert(id, Pending { on_progress, on_trial, done, replay });
    })?;
    match answer.await {
        Ok(Ok((Reply::Failed(message), _))) => Err(WorkerError::Refused(message)),
        Ok(answer) => answer,
        Err(_) => Err(WorkerError::Gone),
    }
}

/// The error for a reply of the wrong kind to the request `wanted`.
fn mismatch(wanted: &'static str, got: &Reply) -> WorkerError {
    WorkerError::Mismatch { wanted, got: got.kind() }
}

/// Parses `bytes` (from `name`: a sample's title or a file name) as the data set.
pub async fn load(name: &str, bytes: Vec<u8>) -> Result<DataSummary, WorkerError> {
    match ask(Request::Load { name: name.to_owned() }, Some(bytes), None, None).await? {
        (Reply::Loaded(summary), _) => Ok(summary),
        (other, _) => Err(mismatch("load a data set", &other)),
    }
}

/// Gives `column` the type `kind`; the data set as it is then.
pub async fn set_kind(column: &str, kind: ColumnKind) -> Result<DataSummary, WorkerError> {
    match ask(Request::SetKind { column: column.to_owned(), kind }, None, None, None).await? {
        (Reply::Loaded(summary), _) => Ok(summary),
        (other, _) => Err(mismatch("change a column's type", &other)),
    }
}

/// The data set's validation findings with this target, worst first.
pub async fn validate(target: &str) -> Result<Vec<FindingView>, WorkerError> {
    match ask(Request::Validate { target: target.to_owned() }, None, None, None).await? {
        (Reply::Validated(findings), _) => Ok(findings),
        (other, _) => Err(mismatch("validate the data set", &other)),
    }
}

/// A model the worker trained: its bundle's bytes beside what the page shows of it.
pub struct Trained {
    /// Milliseconds the training took in the worker.
    pub millis: f64,
    /// The core's time per stage.
    pub stages: tabml::Durations,
    /// The bundle's digest.
    pub digest: String,
    /// What the page shows of the bundle.
    pub view: ModelView,
    /// The encoded bundle (the `.tabml` file).
    pub bundle: Vec<u8>,
}

/// Trains on the data set, reporting progress and each finished search trial.
pub async fn train(
    target: &str,
    config: TrainConfig,
    on_progress: OnProgress,
    on_trial: OnTrial,
) -> Result<Trained, WorkerError> {
    let request = Request::Train { target: target.to_owned(), config: Box::new(config) };
    match ask(request, None, Some(on_progress), Some(on_trial)).await? {
        (Reply::Trained { millis, stages, digest, view }, Some(bundle)) => {
            Ok(Trained { millis, stages, digest, view: *view, bundle })
        }
        (other, _) => Err(mismatch("train", &other)),
    }
}

/// The cells of rows `start..start + count` in columns `columns.0..columns.1` (fewer at the ends).
pub async fn rows(start: usize, count: usize, columns: (usize, usize)) -> Result<RowCells, WorkerError> {
    match ask(Request::Rows { start, count, columns }, None, None, None).await? {
        (Reply::Rows { rows, .. }, _) => Ok(rows),
        (other, _) => Err(mismatch("read rows", &other)),
    }
}

/// How a training would split the data set, per class.
pub async fn preview_split(target: &str, test_fraction: f64, seed: u64) -> Result<SplitPreview, WorkerError> {
    let request = Request::PreviewSplit { target: target.to_owned(), test_fraction, seed };
    match ask(request, None, None, None).await? {
        (Reply::Split(preview), _) => Ok(preview),
        (other, _) => Err(mismatch("preview the split", &other)),
    }
}

/// Measures the model trained here (`digest`) on its test rows, per group of `group` if given.
pub async fn explain(digest: &str, group: Option<String>) -> Result<Explanation, WorkerError> {
    match ask(Request::Explain { digest: digest.to_owned(), group }, None, None, None).await? {
        (Reply::Explained(explanation), _) => Ok(*explanation),
        (other, _) => Err(mismatch("explain the model", &other)),
    }
}

/// Reads `bytes` (from `name`) as a model bundle: its digest and what the page shows of it.
pub async fn open(name: &str, bytes: Vec<u8>) -> Result<(String, ModelView), WorkerError> {
    match ask(Request::Open { name: name.to_owned() }, Some(bytes), None, None).await? {
        (Reply::Opened { digest, view }, _) => Ok((digest, *view)),
        (other, _) => Err(mismatch("open a model file", &other)),
    }
}

/// Checks `current` (with the CSV `payload`, for a file) for drift against the training rows of
/// the model trained here (`digest`), and estimates its performance there.
pub async fn monitor(
    digest: &str,
    current: Current,
    payload: Option<Vec<u8>>,
) -> Result<MonitorView, WorkerError> {
    match ask(Request::Monitor { digest: digest.to_owned(), current }, payload, None, None).await? {
        (Reply::Monitored(view), _) => Ok(*view),
        (other, _) => Err(mismatch("check for drift", &other)),
    }
}

/// Checks the CSV `bytes` (from `name`) for drift against the loaded data set, with no model.
pub async fn drift_file(name: &str, bytes: Vec<u8>) -> Result<MonitorView, WorkerError> {
    match ask(Request::DriftFile { name: name.to_owned() }, Some(bytes), None, None).await? {
        (Reply::Monitored(view), _) => Ok(*view),
        (other, _) => Err(mismatch("compare two files", &other)),
    }
}

/// Makes the bundle `bytes` (from `name`) the Score page's model: what the page shows of it and its
/// form. A fresh worker (after a cancel) gets it again.
pub async fn score_with(name: &str, bytes: Vec<u8>) -> Result<ScoreSetup, WorkerError> {
    match ask(Request::ScoreWith { name: name.to_owned() }, Some(bytes), None, None).await? {
        (Reply::ScoringWith(setup), _) => Ok(*setup),
        (other, _) => Err(mismatch("open a model to score with", &other)),
    }
}

/// Scores one row (cells by input column) with the Score page's model `digest`.
pub async fn score_row(digest: &str, cells: Vec<(String, String)>) -> Result<RowScore, WorkerError> {
    match ask(Request::ScoreRow { digest: digest.to_owned(), cells }, None, None, None).await? {
        (Reply::ScoredRow(score), _) => Ok(*score),
        (other, _) => Err(mismatch("score a row", &other)),
    }
}

/// Scores the CSV `bytes` (from `name`) with the Score page's model `digest`: the summary, and the
/// predictions CSV.
pub async fn score_file(
    digest: &str,
    name: &str,
    bytes: Vec<u8>,
    run: &str,
    report: Option<ReportTo>,
    on_progress: OnProgress,
) -> Result<(FileScore, Vec<u8>), WorkerError> {
    let request =
        Request::ScoreFile { digest: digest.to_owned(), name: name.to_owned(), run: run.to_owned(), report };
    match ask(request, Some(bytes), Some(on_progress), None).await? {
        (Reply::ScoredFile(summary), Some(csv)) => Ok((*summary, csv)),
        (other, _) => Err(mismatch("score a file", &other)),
    }
}

/// The last scored file's predictions CSV again, with the key column `key` copied in.
pub async fn predictions_csv(digest: &str, key: Option<String>) -> Result<Vec<u8>, WorkerError> {
    match ask(Request::PredictionsCsv { digest: digest.to_owned(), key }, None, None, None).await? {
        (Reply::Predictions, Some(csv)) => Ok(csv),
        (other, _) => Err(mismatch("write the predictions", &other)),
    }
}

/// Reads the CSV `bytes` (from `name`) of `prediction_id,label` into label events for `model`.
pub async fn labels(
    name: &str,
    bytes: Vec<u8>,
    model: &str,
    version: u32,
    classification: bool,
    at_ms: i64,
) -> Result<LabelsRead, WorkerError> {
    let request =
        Request::Labels { name: name.to_owned(), model: model.to_owned(), version, classification, at_ms };
    match ask(request, Some(bytes), None, None).await? {
        (Reply::LabelsRead(read), _) => Ok(*read),
        (other, _) => Err(mismatch("read labels", &other)),
    }
}

/// Stops whatever the worker is doing: its requests fail with "cancelled", and a fresh worker takes
/// over with the same data set.
pub fn cancel() {
    restart(WorkerError::Cancelled);
}

fn with_client<T>(f: impl FnOnce(&mut Client) -> T) -> Result<T, WorkerError> {
    CLIENT.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(Client::start(Vec::new(), None)?);
        }
        Ok(f(slot.as_mut().expect("just started")))
    })
}

/// Terminates the worker, fails its requests with `reason`, and starts a fresh one that replays the
/// data set.
fn restart(reason: WorkerError) {
    let failed = CLIENT.with(|cell| {
        let old = cell.borrow_mut().take();
        let Some(Client { worker, pending, replay, scoring, _on_message, _on_error, .. }) = old else {
            return Vec::new();
        };
        // A terminated worker's late messages must reach nobody.
        worker.set_onmessage(None);
        worker.set_onerror(None);
        worker.terminate();
        // This may run inside the old worker's error handler: its closures must outlive the call.
        _on_message.forget();
        _on_error.forget();
        match Client::start(replay, scoring) {
            Ok(client) => *cell.borrow_mut() = Some(client),
            Err(e) => web_sys::console::error_1(&e.to_string().into()),
        }
        pending.into_values().collect::<Vec<_>>()
    });
    // Outside the borrow: a waiting caller may send a new request as soon as it hears.
    for pending in failed {
        let _ = pending.done.send(Err(reason.clone()));
    }
}

impl Client {
    fn start(replay: Vec<Replay>, scoring: Option<Replay>) -> Result<Self, WorkerError> {
        let worker =
            Worker::new(WORKER_SCRIPT).map_err(|e| WorkerError::Unavailable(crate::http::js_message(&e)))?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(on_message);
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(|event: ErrorEvent| {
            event.prevent_default();
            restart(WorkerError::Crashed(event.message()));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let mut client = Self {
            worker,
            ready: false,
            queue: Vec::new(),
            pending: HashMap::new(),
            replay: Vec::new(),
            scoring: None,
            _on_message: on_message,
            _on_error: on_error,
        };
        for step in replay.iter().chain(&scoring) {
            // Replies to replayed requests have no pending entry and are dropped.
            client.send(&step.request, step.payload.as_deref().map(Vec::as_slice));
        }
        client.replay = replay;
        client.scoring = scoring;
        Ok(client)
    }

    /// Queues or posts one request; returns its id.
    fn send(&mut self, request: &Request, payload: Option<&[u8]>) -> u64 {
        let id = NEXT_ID.with(|next| next.replace(next.get() + 1));
        let envelope = postcard::to_allocvec(&ToWorker { id, request: request.clone() })
            .expect("requests always encode");
        let envelope = js_sys::Uint8Array::from(envelope.as_slice());
        let transfer = js_sys::Array::of1(&envelope.buffer());
        let attached = match payload {
            Some(bytes) => {
                let array = js_sys::Uint8Array::from(bytes);
                transfer.push(&array.buffer());
                JsValue::from(array)
            }
            None => JsValue::NULL,
        };
        let parts = js_sys::Array::of2(&envelope, &attached);
        if self.ready {
            self.post(&parts, &transfer);
        } else {
            self.queue.push((parts, transfer));
        }
        id
    }

    fn post(&self, parts: &js_sys::Array, transfer: &js_sys::Array) {
        if let Err(e) = self.worker.post_message_with_transfer(parts, transfer) {
            web_sys::console::error_2(&"tabml: posting to the worker failed".into(), &e);
        }
    }
}

fn on_message(event: MessageEvent) {
    let parts: js_sys::Array = event.data().unchecked_into();
    let envelope = js_sys::Uint8Array::new(&parts.get(0)).to_vec();
    let attached = parts.get(1);
    let attached = (!attached.is_null() && !attached.is_undefined())
        .then(|| js_sys::Uint8Array::new(&attached).to_vec());
    let Ok(message) = postcard::from_bytes::<ToPage>(&envelope) else {
        web_sys::console::error_1(&"tabml: a message from the worker it cannot read".into());
        return;
    };
    match message {
        ToPage::Ready => CLIENT.with(|cell| {
            if let Some(client) = cell.borrow_mut().as_mut() {
                client.ready = true;
                for (parts, transfer) in std::mem::take(&mut client.queue) {
                    client.post(&parts, &transfer);
                }
            }
        }),
        ToPage::Progress { id, fraction } => {
            if let Some(callback) = listener(id, |p| p.on_progress.clone()) {
                callback(fraction);
            }
        }
        ToPage::Trial { id, trial } => {
            if let Some(callback) = listener(id, |p| p.on_trial.clone()) {
                callback(trial);
            }
        }
        ToPage::Reply { id, reply } => {
            let pending = CLIENT.with(|cell| {
                let mut slot = cell.borrow_mut();
                let client = slot.as_mut()?;
                let pending = client.pending.remove(&id)?;
                match (&pending.replay, &reply) {
                    (Some(step), Reply::Loaded(_)) => {
                        if matches!(step.request, Request::Load { .. }) {
                            client.replay.clear();
                        }
                        client.replay.push(step.clone());
                    }
                    (Some(step), Reply::ScoringWith(_)) => client.scoring = Some(step.clone()),
                    _ => {}
                }
                Some(pending)
            });
            if let Some(pending) = pending {
                let _ = pending.done.send(Ok((reply, attached)));
            }
        }
    }
}

/// A callback of pending request `id`, taken out of the client so that it runs outside the borrow
/// (it may send a request itself).
fn listener<T>(id: u64, pick: impl FnOnce(&Pending) -> Option<T>) -> Option<T> {
    CLIENT.with(|cell| cell.borrow().as_ref().and_then(|c| c.pending.get(&id)).and_then(pick))
}
