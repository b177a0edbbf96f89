//! Sending monitoring events the worker made: batch by batch, each retried after 1, 2, 4 and 8
//! seconds when the server cannot be reached, is busy (429) or fails (5xx), with the same ids, so
//! a batch the server stored before its answer was lost counts as a duplicate, never twice. A
//! refusal that will not change (another 4xx) stops at once and says why.

use crate::account::Account;
use crate::http::{self, HttpError};
use wasm_bindgen_futures::JsFuture;

/// What the server made of the batches sent.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sent {
    /// Events stored now.
    pub accepted: usize,
    /// Events the server already had.
    pub duplicates: usize,
    /// Batches sent and answered.
    pub batches: usize,
}

/// Waits `ms` milliseconds.
async fn pause(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Whether trying the same batch again may succeed.
fn may_pass(error: &HttpError) -> bool {
    match error {
        HttpError::Network { .. } => true,
        HttpError::Refused { status, .. } | HttpError::Status { status, .. } => {
            *status == 429 || *status >= 500
        }
        HttpError::Decode { .. } => false,
    }
}

/// Sends every batch (JSON) in turn; `on_batch` hears after each. Stops at the first batch that
/// still fails after its retries, with what was sent before it and the learner's words for why.
pub async fn send_all(
    account: Account,
    batches: &[String],
    on_batch: impl Fn(Sent),
) -> Result<Sent, (Sent, String)> {
    let mut sent = Sent::default();
    for batch in batches {
        let Some(token) = account.token() else {
            return Err((sent, "Signed out: sign in again to send the rest.".into()));
        };
        let mut wait = 1000;
        let ack = loop {
            match http::send_events(&token, batch.clone()).await {
                Ok(ack) => break ack,
                Err(e) if may_pass(&e) && wait <= 8000 => {
                    pause(wait).await;
                    wait *= 2;
                }
                Err(e) => return Err((sent, account.words(e))),
            }
        };
        sent.accepted += ack.accepted.len();
        sent.duplicates += ack.duplicates.len();
        sent.batches += 1;
        on_batch(sent);
    }
    Ok(sent)
}
