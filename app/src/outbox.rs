//! Sending what the outbox holds (`store/outbox.rs`): every monitoring event the tab makes goes
//! there first and leaves only once the server acknowledged its id, so an event made offline, or
//! while the server is down, reaches it once, later.
//!
//! The sender runs when the app starts, when the browser comes back online (which also cuts short a
//! backoff wait), on a timer, and after new events are queued. It sends the oldest events in batches of [`BATCH`] (and at most 4 MiB); a batch the server
//! could not take now (no network, `5xx`, `429`) waits with exponential backoff and full jitter
//! (`429`'s `Retry-After` obeyed) and is sent again with the same ids, so the server stores each
//! once; a batch it refuses for good (another `4xx`) is halved until the events it refuses are
//! found, and those are parked with the server's reason (shown in the footer, never retried
//! forever, never silently dropped). Two tabs of one browser never send at once: the sender holds
//! the Web Lock `tabml-outbox` while it sends, and a tab that finds it held leaves the sending to
//! the other.

use crate::account::Account;
use crate::http::{self, HttpError};
use crate::store::outbox::{self, Counts, Queued};
use crate::widgets::thousands;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Events per request at most (the server takes up to 10,000).
pub const BATCH: u32 = 5_000;
/// Bytes of JSON per request at most (the server takes 32 MiB; a profile may be 1 MiB).
const BATCH_BYTES: usize = 4 * 1024 * 1024;
/// The longest wait between two tries, in milliseconds.
const MAX_WAIT_MS: f64 = 30_000.0;
/// Tries of one batch before the sender rests until its next turn (the timer, or coming online).
const TRIES: u32 = 6;
/// How often the sender looks at the outbox by itself.
const EVERY_MS: i32 = 15_000;

/// The outbox as the page shows it, given by context.
#[derive(Clone, Copy)]
pub struct Outbox {
    /// How many events wait, are parked, were dropped.
    pub counts: RwSignal<Counts>,
    /// Why the last send did not go through, while it has not.
    pub trouble: RwSignal<Option<String>>,
    /// Events the server acknowledged since the page loaded.
    pub delivered: RwSignal<u64>,
}

impl Default for Outbox {
    fn default() -> Self {
        Self {
            counts: RwSignal::new(Counts::default()),
            trouble: RwSignal::new(None),
            delivered: RwSignal::new(0),
        }
    }
}

/// Waits `ms` milliseconds.
pub async fn pause(ms: f64) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = JsFuture::from(promise).await;
}

thread_local! {
    /// Set when the browser comes back online, so a backoff wait ends early.
    static WOKEN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Waits `ms` milliseconds, or less if the browser comes back online meanwhile.
async fn back_off(ms: f64) {
    WOKEN.with(|w| w.set(false));
    let mut left = ms;
    while left > 0.0 && !WOKEN.with(|w| w.get()) {
        let step = left.min(250.0);
        pause(step).await;
        left -= step;
    }
}

/// Full jitter: a random wait up to `min(cap, 1 s × 2^try)`.
fn backoff(attempt: u32) -> f64 {
    js_sys::Math::random() * MAX_WAIT_MS.min(1000.0 * 2f64.powi(attempt.min(16) as i32))
}

impl Outbox {
    /// Starts sending: now, when the browser comes back online, and every [`EVERY_MS`].
    pub fn start(self, account: Account) {
        let Some(window) = web_sys::window() else { return };
        let nudge = Closure::<dyn FnMut()>::new(move || self.flush(account));
        // Back online: a sender waiting out its backoff tries again now.
        let online = Closure::<dyn FnMut()>::new(move || {
            WOKEN.with(|w| w.set(true));
            self.flush(account);
        });
        let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
        online.forget();
        let _ = window
            .set_interval_with_callback_and_timeout_and_arguments_0(nudge.as_ref().unchecked_ref(), EVERY_MS);
        nudge.forget();
        self.flush(account);
    }

    /// Queues `events` (id and JSON each) and starts sending them. The events are on disk when this
    /// returns `Ok`.
    pub async fn add(
        self,
        account: Account,
        events: Vec<(String, String)>,
    ) -> Result<(), crate::store::StoreError> {
        for chunk in events.chunks(10_000) {
            outbox::enqueue(chunk).await?;
        }
        // Unsent events must not vanish when the disk runs low.
        crate::store::ask_to_persist().await;
        self.refresh().await;
        self.flush(account);
        Ok(())
    }

    /// Reads the counts again.
    pub async fn refresh(self) {
        if let Ok(counts) = outbox::counts().await {
            self.counts.set(counts);
        }
    }

    /// Sends what waits, unless another tab of this browser is sending (it holds the lock).
    pub fn flush(self, account: Account) {
        let drain = move || {
            wasm_bindgen_futures::future_to_promise(async move {
                self.drain(account).await;
                Ok(JsValue::UNDEFINED)
            })
        };
        let locks = web_sys::window()
            .and_then(|w| js_sys::Reflect::get(&w.navigator(), &"locks".into()).ok())
            .filter(|l| !l.is_undefined());
        let Some(locks) = locks else {
            // No Web Locks (an old browser): this tab sends alone.
            leptos::task::spawn_local(async move { self.drain(account).await });
            return;
        };
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
        let held = Closure::once_into_js(move |lock: JsValue| -> js_sys::Promise {
            if lock.is_null() {
                // Another tab is sending; this one only refreshes what it shows.
                return wasm_bindgen_futures::future_to_promise(async move {
                    self.refresh().await;
                    Ok(JsValue::UNDEFINED)
                });
            }
            drain()
        });
        let request = js_sys::Reflect::get(&locks, &"request".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(request) = request {
            let _ = request.call3(&locks, &"tabml-outbox".into(), &options, &held);
        }
    }

    /// Sends batches until the outbox is empty, the learner is signed out, or a batch keeps failing.
    async fn drain(self, account: Account) {
        let mut attempt = 0;
        loop {
            self.refresh().await;
            let Some(token) = account.token() else { return };
            let batch = match outbox::oldest(BATCH).await {
                Ok(batch) if batch.is_empty() => {
                    self.trouble.set(None);
                    return;
                }
                Ok(mut batch) => {
                    let mut bytes = 0;
                    let fits = batch.iter().take_while(|q| {
                        bytes += q.json.len() + 1;
                        bytes <= BATCH_BYTES
                    });
                    let keep = fits.count().max(1);
                    batch.truncate(keep);
                    batch
                }
                Err(e) => return self.trouble.set(Some(e.to_string())),
            };
            match self.deliver(&token, &batch).await {
                Ok(()) => {
                    attempt = 0;
                    self.trouble.set(None);
                }
                Err(e) if e.is_unauthorized() => {
                    self.trouble.set(Some(account.words(e)));
                    return;
                }
                Err(e) => {
                    attempt += 1;
                    let wait = match &e {
                        HttpError::Busy { retry_after_secs: Some(secs), .. } => *secs as f64 * 1000.0,
                        _ => backoff(attempt),
                    };
                    self.trouble.set(Some(format!("{} Trying again.", account.words(e))));
                    if attempt >= TRIES {
                        return;
                    }
                    back_off(wait).await;
                }
            }
        }
    }

    /// Sends `batch`; removes what the server acknowledged, parks what it refuses for good (halving
    /// the batch to find it). An error is one worth trying again.
    async fn deliver(self, token: &str, batch: &[Queued]) -> Result<(), HttpError> {
        let mut groups: Vec<&[Queued]> = vec![batch];
        while let Some(group) = groups.pop() {
            let body = format!(
                "{{\"events\":[{}]}}",
                group.iter().map(|q| q.json.as_str()).collect::<Vec<_>>().join(",")
            );
            match http::send_events(token, body).await {
                Ok(ack) => {
                    let known: std::collections::HashSet<&str> =
                        ack.accepted.iter().chain(&ack.duplicates).map(String::as_str).collect();
                    let keys: Vec<f64> =
                        group.iter().filter(|q| known.contains(q.id.as_str())).map(|q| q.key).collect();
                    // The group is a run of the oldest events: all acknowledged, it goes in one
                    // deletion of its span.
                    let _ = match (group.first(), group.last()) {
                        (Some(first), Some(last)) if keys.len() == group.len() => {
                            outbox::remove_span(first.key, last.key).await
                        }
                        _ => outbox::remove(&keys).await,
                    };
                    self.delivered.update(|d| *d += keys.len() as u64);
                }
                Err(HttpError::Refused { status, message, .. })
                    if (400..500).contains(&status) && status != 401 && status != 408 =>
                {
                    if group.len() > 1 {
                        let (left, right) = group.split_at(group.len() / 2);
                        groups.push(right);
                        groups.push(left);
                    } else {
                        let _ = outbox::park(group, &format!("HTTP {status}: {message}")).await;
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// The header's badge: events still to send (and refused ones), while there are any.
#[component]
pub fn OutboxBadge() -> impl IntoView {
    let outbox = expect_context::<Outbox>();
    move || {
        let counts = outbox.counts.get();
        let title = outbox.trouble.get().unwrap_or_else(|| "Monitoring events waiting for the server: they are kept in this browser and sent when it can be reached.".into());
        view! {
            <span class="outbox-badge" id="outbox-badge" data-waiting=counts.waiting data-parked=counts.parked
                title=title hidden=counts.waiting == 0 && counts.parked == 0>
                {format!("↑ {} to send", thousands(counts.waiting as usize))}
                {(counts.parked > 0).then(|| format!(" · {} refused", counts.parked))}
            </span>
        }
    }
}

/// The footer's account of the outbox: what waits, what the server refused for good and why (with a
/// way to let those go), and what was dropped because the outbox was full.
#[component]
pub fn OutboxFooter() -> impl IntoView {
    let outbox = expect_context::<Outbox>();
    let reasons = LocalResource::new(move || {
        let parked = outbox.counts.get().parked;
        async move {
            if parked == 0 {
                return Vec::new();
            }
            outbox::parked_reasons().await.unwrap_or_default()
        }
    });
    let forget = move |_| {
        leptos::task::spawn_local(async move {
            let _ = outbox::clear_parked().await;
            outbox.refresh().await;
        })
    };
    move || {
        let counts = outbox.counts.get();
        (counts.waiting + counts.parked + counts.dropped > 0).then(|| {
            let listed = reasons
                .get()
                .unwrap_or_default()
                .into_iter()
                .map(|(reason, n)| view! { <li>{format!("{n} refused: {reason}")}</li> })
                .collect_view();
            view! {
                <details class="outbox-details" id="outbox-details">
                    <summary>{format!("Monitoring events in this browser: {} to send, {} refused, {} dropped (past {} waiting, the oldest are dropped first).",
                        thousands(counts.waiting as usize), thousands(counts.parked as usize), thousands(counts.dropped as usize),
                        thousands(outbox::LIMIT as usize))}</summary>
                    <ul>{listed}</ul>
                    {(counts.parked > 0).then(|| view! {
                        <button type="button" class="small" id="outbox-forget-refused" on:click=forget>"Let the refused events go"</button>
                    })}
                </details>
            }
        })
    }
}
