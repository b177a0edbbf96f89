//! The outbox: monitoring events waiting for the server, kept in an IndexedDB database of their own
//! (`tabml-outbox`) so that they outlive the tab, the browser and the network.
//!
//! An event is written here first, in a transaction with strict durability (the browser flushes it
//! to disk before it says done), and leaves only once the server acknowledged its id, stored now or
//! already held (`outbox.rs` at the top of the app sends them). Events are kept in the order made
//! (`events`, an auto-increment key); one the server will never take is parked with the reason
//! (`parked`), never retried forever and never silently dropped. Past [`LIMIT`] waiting events the
//! oldest are dropped and counted (`meta`, key `dropped`), so a long time offline cannot fill the
//! disk.
//!
//! rexie (used by the rest of `store`) cannot ask for durability, so this speaks IndexedDB through
//! `web-sys` directly.

use super::StoreError;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbKeyRange, IdbOpenDbRequest, IdbRequest, IdbTransaction};

/// The most events kept waiting; past it the oldest are dropped (and counted).
pub const LIMIT: u32 = 100_000;

const DATABASE: &str = "tabml-outbox";
const EVENTS: &str = "events";
const PARKED: &str = "parked";
const META: &str = "meta";
/// Between an event's id and its JSON (and a parked event's reason) in a stored value.
const SEP: char = '\u{1f}';

/// One waiting event.
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    /// Its place in the outbox.
    pub key: f64,
    /// The client-made id the server acknowledges.
    pub id: String,
    /// The event, as JSON.
    pub json: String,
}

/// How full the outbox is.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    /// Events waiting to be sent.
    pub waiting: u32,
    /// Events the server refused for good, kept with the reason.
    pub parked: u32,
    /// Events dropped because the outbox was full, in all.
    pub dropped: u32,
}

thread_local! {
    static DB: RefCell<Option<IdbDatabase>> = const { RefCell::new(None) };
}

fn failed(what: &str) -> impl Fn(JsValue) -> StoreError + '_ {
    move |e| StoreError::Failed(format!("{what}: {}", crate::http::js_message(&e)))
}

/// Waits for `request` and gives its result.
async fn answer(request: &IdbRequest) -> Result<JsValue, StoreError> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    JsFuture::from(promise).await.map_err(|_| {
        let message = request.error().ok().flatten().map(|e| e.message()).unwrap_or_else(|| "failed".into());
        StoreError::Failed(message)
    })?;
    request.result().map_err(failed("reading a request's result"))
}

/// Waits for `transaction` to commit; an aborted one (a full disk, say) is an error.
async fn committed(transaction: &IdbTransaction) -> Result<(), StoreError> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        transaction.set_oncomplete(Some(&resolve));
        transaction.set_onerror(Some(&reject));
        transaction.set_onabort(Some(&reject));
    });
    JsFuture::from(promise).await.map(drop).map_err(|_| StoreError::Aborted)
}

async fn database() -> Result<IdbDatabase, StoreError> {
    if let Some(db) = DB.with(|db| db.borrow().clone()) {
        return Ok(db);
    }
    let factory = web_sys::window()
        .and_then(|w| w.indexed_db().ok().flatten())
        .ok_or_else(|| StoreError::Unavailable("no IndexedDB here".into()))?;
    let request: IdbOpenDbRequest = factory
        .open_with_u32(DATABASE, 1)
        .map_err(|e| StoreError::Unavailable(crate::http::js_message(&e)))?;
    let upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(|event: web_sys::Event| {
        let Some(request) = event.target().and_then(|t| t.dyn_into::<IdbOpenDbRequest>().ok()) else {
            return;
        };
        let Ok(db) = request.result().map(|r| r.unchecked_into::<IdbDatabase>()) else { return };
        let auto = web_sys::IdbObjectStoreParameters::new();
        auto.set_auto_increment(true);
        for store in [EVENTS, PARKED] {
            let _ = db.create_object_store_with_optional_parameters(store, &auto);
        }
        let _ = db.create_object_store(META);
    });
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let db: IdbDatabase = answer(&request).await?.unchecked_into();
    drop(upgrade);
    DB.with(|slot| *slot.borrow_mut() = Some(db.clone()));
    Ok(db)
}

/// A transaction on `stores`; a writing one asks for strict durability.
fn transaction(db: &IdbDatabase, stores: &[&str], write: bool) -> Result<IdbTransaction, StoreError> {
    let names = js_sys::Array::new();
    for store in stores {
        names.push(&JsValue::from_str(store));
    }
    let mode = JsValue::from_str(if write { "readwrite" } else { "readonly" });
    let options = js_sys::Object::new();
    if write {
        let _ = js_sys::Reflect::set(&options, &"durability".into(), &"strict".into());
    }
    // `IDBDatabase.transaction(stores, mode, {durability})`; web-sys keeps the options unstable.
    let open = js_sys::Reflect::get(db, &"transaction".into()).map_err(failed("opening a transaction"))?;
    let open: js_sys::Function = open.unchecked_into();
    let transaction = open.call3(db, &names, &mode, &options).map_err(failed("opening a transaction"))?;
    Ok(transaction.unchecked_into())
}

fn store(transaction: &IdbTransaction, name: &str) -> Result<web_sys::IdbObjectStore, StoreError> {
    transaction.object_store(name).map_err(failed("opening the outbox"))
}

/// Writes `events` (id and JSON each) to the outbox, in one transaction with strict durability,
/// then drops the oldest past [`LIMIT`]. Returns how many were dropped now.
pub async fn enqueue(events: &[(String, String)]) -> Result<u32, StoreError> {
    let db = database().await?;
    let tx = transaction(&db, &[EVENTS, META], true)?;
    let waiting = store(&tx, EVENTS)?;
    for (id, json) in events {
        waiting.add(&JsValue::from_str(&format!("{id}{SEP}{json}"))).map_err(failed("queueing an event"))?;
    }
    let count = answer(&waiting.count().map_err(failed("counting"))?).await?.as_f64().unwrap_or(0.0) as u32;
    let excess = count.saturating_sub(LIMIT);
    if excess > 0 {
        let keys = waiting
            .get_all_keys_with_key_and_limit(&JsValue::UNDEFINED, excess)
            .map_err(failed("finding the oldest events"))?;
        let keys: js_sys::Array = answer(&keys).await?.unchecked_into();
        let last = keys.get(keys.length().saturating_sub(1));
        let range = IdbKeyRange::upper_bound(&last).map_err(failed("dropping the oldest events"))?;
        waiting.delete(&range).map_err(failed("dropping the oldest events"))?;
        let meta = store(&tx, META)?;
        let before = answer(&meta.get(&"dropped".into()).map_err(failed("counting"))?).await?;
        let total = before.as_f64().unwrap_or(0.0) + excess as f64;
        meta.put_with_key(&JsValue::from_f64(total), &"dropped".into()).map_err(failed("counting"))?;
    }
    committed(&tx).await?;
    Ok(excess)
}

/// Splits a stored value into id and the rest.
fn split(value: &JsValue) -> Option<(String, String)> {
    let text = value.as_string()?;
    let (id, rest) = text.split_once(SEP)?;
    Some((id.to_owned(), rest.to_owned()))
}

/// The oldest `n` waiting events.
pub async fn oldest(n: u32) -> Result<Vec<Queued>, StoreError> {
    let db = database().await?;
    let tx = transaction(&db, &[EVENTS], false)?;
    let waiting = store(&tx, EVENTS)?;
    let keys = waiting.get_all_keys_with_key_and_limit(&JsValue::UNDEFINED, n).map_err(failed("reading"))?;
    let values = waiting.get_all_with_key_and_limit(&JsValue::UNDEFINED, n).map_err(failed("reading"))?;
    let keys: js_sys::Array = answer(&keys).await?.unchecked_into();
    let values: js_sys::Array = answer(&values).await?.unchecked_into();
    Ok(keys
        .iter()
        .zip(values.iter())
        .filter_map(|(key, value)| {
            let (id, json) = split(&value)?;
            Some(Queued { key: key.as_f64()?, id, json })
        })
        .collect())
}

/// Removes the events at `keys` (acknowledged by the server).
pub async fn remove(keys: &[f64]) -> Result<(), StoreError> {
    let db = database().await?;
    let tx = transaction(&db, &[EVENTS], true)?;
    let waiting = store(&tx, EVENTS)?;
    for key in keys {
        waiting.delete(&JsValue::from_f64(*key)).map_err(failed("removing a sent event"))?;
    }
    committed(&tx).await
}

/// Removes every waiting event with a key from `first` to `last`, in one transaction: a whole batch
/// the server acknowledged (the batch was the oldest events, so nothing else lies between).
pub async fn remove_span(first: f64, last: f64) -> Result<(), StoreError> {
    let db = database().await?;
    let tx = transaction(&db, &[EVENTS], true)?;
    let span = IdbKeyRange::bound(&JsValue::from_f64(first), &JsValue::from_f64(last))
        .map_err(failed("removing sent events"))?;
    store(&tx, EVENTS)?.delete(&span).map_err(failed("removing sent events"))?;
    committed(&tx).await
}

/// Moves `events` to the parked ones with `reason`, in one transaction.
pub async fn park(events: &[Queued], reason: &str) -> Result<(), StoreError> {
    let db = database().await?;
    let tx = transaction(&db, &[EVENTS, PARKED], true)?;
    let (waiting, parked) = (store(&tx, EVENTS)?, store(&tx, PARKED)?);
    for event in events {
        let value = format!("{}{SEP}{reason}{SEP}{}", event.id, event.json);
        parked.add(&JsValue::from_str(&value)).map_err(failed("parking an event"))?;
        waiting.delete(&JsValue::from_f64(event.key)).map_err(failed("parking an event"))?;
    }
    committed(&tx).await
}

/// The parked events' reasons, with how many events each (newest reasons last).
pub async fn parked_reasons() -> Result<Vec<(String, u32)>, StoreError> {
    let db = database().await?;
    let tx = transaction(&db, &[PARKED], false)?;
    let all: js_sys::Array =
        answer(&store(&tx, PARKED)?.get_all().map_err(failed("reading"))?).await?.unchecked_into();
    let mut reasons: Vec<(String, u32)> = Vec::new();
    for value in all.iter() {
        let Some((_, rest)) = split(&value) else { continue };
        let reason = rest.split(SEP).next().unwrap_or_default().to_owned();
        match reasons.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => reasons.push((reason, 1)),
        }
    }
    Ok(reasons)
}

/// Forgets the events waiting to be sent (the learner chose to: they will never reach the server).
pub async fn clear_waiting() -> Result<(), StoreError> {
    let db = database().await?;
    let tx = transaction(&db, &[EVENTS], true)?;
    store(&tx, EVENTS)?.clear().map_err(failed("clearing"))?;
    committed(&tx).await
}

/// Forgets the parked events (the learner read why and let them go).
pub async fn clear_parked() -> Result<(), StoreError> {
    let db = database().await?;
    let tx = transaction(&db, &[PARKED], true)?;
    store(&tx, PARKED)?.clear().map_err(failed("clearing"))?;
    committed(&tx).await
}

/// How many events wait, are parked, and were dropped.
pub async fn counts() -> Result<Counts, StoreError> {
    let db = database().await?;
    let tx = transaction(&db, &[EVENTS, PARKED, META], false)?;
    let count = |name: &str| -> Result<IdbRequest, StoreError> {
        store(&tx, name)?.count().map_err(failed("counting"))
    };
    let (waiting, parked) = (count(EVENTS)?, count(PARKED)?);
    let dropped = store(&tx, META)?.get(&"dropped".into()).map_err(failed("counting"))?;
    let number = |v: JsValue| v.as_f64().unwrap_or(0.0) as u32;
    Ok(Counts {
        waiting: number(answer(&waiting).await?),
        parked: number(answer(&parked).await?),
        dropped: number(answer(&dropped).await?),
    })
}
