//! The Web Worker's side: receives [`ToWorker`] messages, runs them on the [`Engine`], and posts
//! progress and the reply back. Everything heavy (parsing, validation, training, search) happens
//! here, so the page stays responsive; cancelling is the page terminating this worker.
//!
//! Progress is posted at most every 50 ms.

pub mod engine;
pub mod messages;
pub mod monitor;
pub mod scoring;

use engine::Engine;
use messages::{Reply, ToPage, ToWorker};
use std::cell::RefCell;
use std::rc::Rc;
use tabml::models::Progress;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// Progress is posted at most this often (in milliseconds), plus at the start and the end.
const PROGRESS_EVERY_MS: f64 = 50.0;

/// Starts listening; called by the worker binary's `main`.
pub fn run() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let engine = Rc::new(RefCell::new(Engine::default()));
    let handler_scope = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        handle(&handler_scope, &engine, &event);
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&scope, &ToPage::Ready, None);
}

fn handle(scope: &DedicatedWorkerGlobalScope, engine: &RefCell<Engine>, event: &MessageEvent) {
    let parts: js_sys::Array = event.data().unchecked_into();
    let envelope = js_sys::Uint8Array::new(&parts.get(0)).to_vec();
    let payload = parts.get(1);
    let payload =
        (!payload.is_null() && !payload.is_undefined()).then(|| js_sys::Uint8Array::new(&payload).to_vec());
    let Ok(ToWorker { id, request }) = postcard::from_bytes::<ToWorker>(&envelope) else {
        web_sys::console::error_1(&"tabml worker: a message it cannot read".into());
        return;
    };
    let clock = || scope.performance().map_or(0.0, |p| p.now());
    let mut last_post = f64::NEG_INFINITY;
    let mut report = |fraction: f64| {
        let now = clock();
        if now - last_post >= PROGRESS_EVERY_MS || fraction >= 1.0 {
            last_post = now;
            post(scope, &ToPage::Progress { id, fraction }, None);
        }
        true
    };
    let mut on_trial = |trial: &tabml::Trial| post(scope, &ToPage::Trial { id, trial: trial.clone() }, None);
    let mut progress = Progress::with_trials(&mut report, &mut on_trial);
    let (reply, bytes) = engine.borrow_mut().handle(request, payload, &mut progress, &clock);
    post(scope, &ToPage::Reply { id, reply }, bytes);
}

/// Posts a message with optional attached bytes, moving (not copying) their buffer.
fn post(scope: &DedicatedWorkerGlobalScope, message: &ToPage, bytes: Option<Vec<u8>>) {
    let envelope = match (postcard::to_allocvec(message), message) {
        (Ok(envelope), _) => envelope,
        // The page waits for every reply: one that cannot be encoded becomes a failure it can show.
        (Err(e), ToPage::Reply { id, .. }) => {
            let failed = ToPage::Reply {
                id: *id,
                reply: Reply::Failed(format!("the worker could not send its answer ({e})")),
            };
            postcard::to_allocvec(&failed).unwrap_or_default()
        }
        (Err(_), _) => return,
    };
    let envelope = js_sys::Uint8Array::from(envelope.as_slice());
    let transfer = js_sys::Array::of1(&envelope.buffer());
    let attached = match bytes {
        Some(bytes) => {
            let array = js_sys::Uint8Array::from(bytes.as_slice());
            transfer.push(&array.buffer());
            JsValue::from(array)
        }
        None => JsValue::NULL,
    };
    let parts = js_sys::Array::of2(&envelope, &attached);
    if let Err(e) = scope.post_message_with_transfer(&parts, &transfer) {
        web_sys::console::error_2(&"tabml worker: posting failed".into(), &e);
    }
}
