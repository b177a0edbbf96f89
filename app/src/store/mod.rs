//! What the learner made, kept in the browser (IndexedDB) so that it is there after a reload: the
//! problem card, every data set loaded (its bytes) and the current one's type changes, target and
//! choices, every run with its bundle and what the page shows of it (its `ModelView`, so a reload
//! never has the worker decode the bundles again), the sign-in (`session`), and the bundles pulled
//! from the registry (kept by digest, so an unchanged model is never downloaded twice).
//! The only module that speaks IndexedDB. Records are postcard bytes under fixed keys; nothing
//! here is sent anywhere.
//!
//! A kept file's bytes and the list of kept files change together in one read-write transaction
//! (`change_kept`), so a save and a Forget at once cannot undo each other. Saves run in the
//! background through `persist` in `state.rs` (counted on `<main data-saving>`); a failed save is
//! shown at the top and the tab carries on. The footer's "Forget everything saved here" clears the
//! store and reloads.

pub mod outbox;

use crate::worker::messages::ModelView;
use rexie::{ObjectStore, Rexie, TransactionMode};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use tabml::api::TokenResponse;
use tabml::{ColumnKind, PrepConfig, ProblemCard};
use thiserror::Error;
use wasm_bindgen::JsValue;

/// Why the browser's storage did not do what was asked. Messages are for the learner.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StoreError {
    /// IndexedDB would not open (a private window of some browsers, or storage turned off).
    #[error("the browser's storage (IndexedDB) is unavailable: {0}")]
    Unavailable(String),
    /// A read or write failed; the browser's message says why.
    #[error("{0}")]
    Failed(String),
    /// A write did not commit (a full disk, say).
    #[error("the browser did not save it (the write was aborted)")]
    Aborted,
    /// A record could not be encoded.
    #[error("a record could not be encoded: {0}")]
    Encode(String),
}

impl From<rexie::Error> for StoreError {
    fn from(error: rexie::Error) -> Self {
        Self::Failed(error.to_string())
    }
}

impl From<postcard::Error> for StoreError {
    fn from(error: postcard::Error) -> Self {
        Self::Encode(error.to_string())
    }
}

const DATABASE: &str = "tabml";
/// One store of records keyed by name (`card`, `data`, `run-0001`, …).
const STORE: &str = "work";

/// How the data set was set up, to redo after a reload (its bytes are a separate record, written
/// once per file).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataSetup {
    /// Its name (a sample's title or a file name).
    pub name: String,
    /// Type changes, in the order made.
    pub kinds: Vec<(String, ColumnKind)>,
    /// The chosen target column.
    pub target: String,
}

/// The learner's choices for training on the current data set (kept apart from [`DataSetup`], so
/// a record from before they were saved still reads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choices {
    /// How each column becomes features.
    pub prep: PrepConfig,
    /// The share of rows held back for testing.
    pub test_fraction: f64,
    /// The seed of the split and the model.
    pub seed: u64,
}

/// One run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRun {
    /// Its number in the runs table.
    pub number: usize,
    /// The data set's name.
    pub data: String,
    /// Training time in the worker, in milliseconds.
    pub millis: f64,
    /// The bundle's digest.
    pub digest: String,
    /// The model bundle's bytes (stored beside the record, raw; empty in the record itself).
    #[serde(skip)]
    pub bundle: Vec<u8>,
    /// What the page shows of the bundle (stored beside the record; `None` for a run saved
    /// before views were kept, or one this version cannot read: the worker then reads the bundle).
    #[serde(skip)]
    pub view: Option<ModelView>,
}

thread_local! {
    static DB: RefCell<Option<Rc<Rexie>>> = const { RefCell::new(None) };
}

async fn database() -> Result<Rc<Rexie>, StoreError> {
    if let Some(db) = DB.with(|db| db.borrow().clone()) {
        return Ok(db);
    }
    let db = Rexie::builder(DATABASE)
        .version(1)
        .add_object_store(ObjectStore::new(STORE))
        .build()
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let db = Rc::new(db);
    DB.with(|slot| *slot.borrow_mut() = Some(db.clone()));
    Ok(db)
}

async fn put<T: Serialize>(key: &str, value: &T) -> Result<(), StoreError> {
    let bytes = postcard::to_allocvec(value)?;
    put_raw(key, &bytes).await
}

/// Stores bytes as they are (a file, which needs no encoding).
async fn put_raw(key: &str, bytes: &[u8]) -> Result<(), StoreError> {
    let db = database().await?;
    let transaction = db.transaction(&[STORE], TransactionMode::ReadWrite)?;
    let store = transaction.store(STORE)?;
    let array = js_sys::Uint8Array::from(bytes);
    store.put(&array, Some(&JsValue::from_str(key))).await?;
    finish(transaction).await
}

/// Waits for a write to commit; an aborted one (a full disk, say) is an error.
async fn finish(transaction: rexie::Transaction) -> Result<(), StoreError> {
    match transaction.done().await? {
        rexie::TransactionResult::Committed => Ok(()),
        rexie::TransactionResult::Aborted => Err(StoreError::Aborted),
    }
}

async fn get<T: DeserializeOwned>(key: &str) -> Result<Option<T>, StoreError> {
    // A record this version cannot read (from an older or newer tabml) is skipped, not fatal.
    Ok(get_raw(key).await?.and_then(|bytes| postcard::from_bytes(&bytes).ok()))
}

async fn get_raw(key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let db = database().await?;
    let transaction = db.transaction(&[STORE], TransactionMode::ReadOnly)?;
    let store = transaction.store(STORE)?;
    let value = store.get(JsValue::from_str(key)).await?;
    Ok(bytes_of(value))
}

/// A stored record's bytes; `None` when there is none.
fn bytes_of(value: Option<JsValue>) -> Option<Vec<u8>> {
    let value = value.filter(|v| !v.is_undefined() && !v.is_null())?;
    Some(js_sys::Uint8Array::new(&value).to_vec())
}

/// Stores (`Some`) or deletes (`None`) the bytes of the kept data set `name` and changes the list
/// of kept data sets, in one read-write transaction. The browser runs read-write transactions on
/// one store one after the other, so a save and a Forget at the same moment cannot undo each
/// other (read apart from the write, the list came back with a forgotten file in it).
async fn change_kept(
    name: &str,
    bytes: Option<&[u8]>,
    change: impl FnOnce(&mut Vec<KeptFile>),
) -> Result<(), StoreError> {
    let db = database().await?;
    let transaction = db.transaction(&[STORE], TransactionMode::ReadWrite)?;
    let store = transaction.store(STORE)?;
    let key = JsValue::from_str(&file_key(name));
    match bytes {
        Some(bytes) => store.put(&js_sys::Uint8Array::from(bytes), Some(&key)).await.map(drop),
        None => store.delete(key).await,
    }?;
    let listed = store.get(JsValue::from_str(FILES)).await?;
    let mut files: Vec<KeptFile> =
        bytes_of(listed).and_then(|b| postcard::from_bytes(&b).ok()).unwrap_or_default();
    change(&mut files);
    let encoded = postcard::to_allocvec(&files)?;
    let array = js_sys::Uint8Array::from(&encoded[..]);
    store.put(&array, Some(&JsValue::from_str(FILES))).await?;
    finish(transaction).await
}

/// Saves the problem card.
pub async fn save_card(card: &ProblemCard) -> Result<(), StoreError> {
    put("card", card).await
}

/// The saved problem card, if any.
pub async fn load_card() -> Result<Option<ProblemCard>, StoreError> {
    get("card").await
}

/// One data set kept in this browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptFile {
    /// Its name (a sample's title or a file name); a later file of the same name replaces it.
    pub name: String,
    /// Its size in bytes.
    pub bytes: usize,
}

/// The key of a kept data set's bytes.
fn file_key(name: &str) -> String {
    format!("file-{name}")
}

/// The data sets kept in this browser, most recently loaded first.
pub async fn kept_files() -> Result<Vec<KeptFile>, StoreError> {
    Ok(get(FILES).await?.unwrap_or_default())
}

/// The key of the list of kept data sets.
const FILES: &str = "files";

/// The bytes of a kept data set.
pub async fn kept_file(name: &str) -> Result<Option<Vec<u8>>, StoreError> {
    get_raw(&file_key(name)).await
}

/// Forgets a kept data set (the one loaded in the tab stays loaded until the page closes).
pub async fn forget_file(name: &str) -> Result<(), StoreError> {
    change_kept(name, None, |files| files.retain(|f| f.name != name)).await
}

/// Saves a newly loaded data set's bytes among the kept ones, and makes it the current one with
/// this setup.
pub async fn save_data(setup: &DataSetup, bytes: &[u8]) -> Result<(), StoreError> {
    change_kept(&setup.name, Some(bytes), |files| {
        files.retain(|f| f.name != setup.name);
        files.insert(0, KeptFile { name: setup.name.clone(), bytes: bytes.len() });
    })
    .await?;
    put("data", setup).await
}

/// Saves a changed setup of the current data set.
pub async fn save_setup(setup: &DataSetup) -> Result<(), StoreError> {
    put("data", setup).await
}

/// The current data set's setup and bytes, if any.
pub async fn load_data() -> Result<Option<(DataSetup, Vec<u8>)>, StoreError> {
    let Some(setup) = get::<DataSetup>("data").await? else { return Ok(None) };
    Ok(kept_file(&setup.name).await?.map(|bytes| (setup, bytes)))
}

/// Saves the preparation, test share and seed.
pub async fn save_choices(choices: &Choices) -> Result<(), StoreError> {
    put("choices", choices).await
}

/// The saved preparation, test share and seed, if any.
pub async fn load_choices() -> Result<Option<Choices>, StoreError> {
    get("choices").await
}

/// Saves one run, its bundle's bytes (raw: a large bundle is never re-encoded) and what the page
/// shows of it. The view is a record of its own, so runs saved before views were kept still read.
pub async fn save_run(run: &StoredRun, bundle: &[u8], view: &ModelView) -> Result<(), StoreError> {
    put_raw(&format!("bundle-{:06}", run.number), bundle).await?;
    put(&format!("view-{:06}", run.number), view).await?;
    put(&format!("run-{:06}", run.number), run).await
}

/// Every saved run, in run order.
pub async fn load_runs() -> Result<Vec<StoredRun>, StoreError> {
    let db = database().await?;
    let transaction = db.transaction(&[STORE], TransactionMode::ReadOnly)?;
    let store = transaction.store(STORE)?;
    let keys = store.get_all_keys(None, None).await?;
    let mut runs = Vec::new();
    for key in keys.into_iter().filter_map(|k| k.as_string()).filter(|k| k.starts_with("run-")) {
        let Some(value) = store.get(JsValue::from_str(&key)).await? else {
            continue;
        };
        let Ok(mut run) = postcard::from_bytes::<StoredRun>(&js_sys::Uint8Array::new(&value).to_vec()) else {
            continue;
        };
        let bundle_key = JsValue::from_str(&format!("bundle-{:06}", run.number));
        if let Some(bytes) = store.get(bundle_key).await? {
            run.bundle = js_sys::Uint8Array::new(&bytes).to_vec();
            let view_key = JsValue::from_str(&format!("view-{:06}", run.number));
            run.view = bytes_of(store.get(view_key).await?).and_then(|b| postcard::from_bytes(&b).ok());
            runs.push(run);
        }
    }
    runs.sort_by_key(|r| r.number);
    Ok(runs)
}

/// A model pulled from the registry: which one was asked for, and what it was then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulledRef {
    /// The registered model's name.
    pub model: String,
    /// How the version was named ("alias champion", "version 3", …).
    pub which: String,
    /// The version it was.
    pub version: u32,
    /// Its bundle's digest (the server's ETag), under which the bytes are kept.
    pub digest: String,
}

fn pulled_key(model: &str, which: &str) -> String {
    format!("pulled-{model}\u{1f}{which}")
}

fn pulled_bundle_key(digest: &str) -> String {
    format!("pulled-bundle-{digest}")
}

/// The bundle last pulled for `model` and `which`, with its bytes; `None` if none is kept (or its
/// bytes are gone).
pub async fn pulled(model: &str, which: &str) -> Result<Option<(PulledRef, Vec<u8>)>, StoreError> {
    let Some(pulled) = get::<PulledRef>(&pulled_key(model, which)).await? else { return Ok(None) };
    Ok(get_raw(&pulled_bundle_key(&pulled.digest)).await?.map(|bytes| (pulled, bytes)))
}

/// Keeps a pulled bundle under its digest and points `model`/`which` at it, in one transaction; the
/// bytes it pointed at before are dropped.
pub async fn save_pulled(pulled: &PulledRef, bytes: &[u8]) -> Result<(), StoreError> {
    let db = database().await?;
    let transaction = db.transaction(&[STORE], TransactionMode::ReadWrite)?;
    let store = transaction.store(STORE)?;
    let key = JsValue::from_str(&pulled_key(&pulled.model, &pulled.which));
    let before: Option<PulledRef> =
        bytes_of(store.get(key.clone()).await?).and_then(|b| postcard::from_bytes(&b).ok());
    if let Some(before) = before.filter(|b| b.digest != pulled.digest) {
        store.delete(JsValue::from_str(&pulled_bundle_key(&before.digest))).await?;
    }
    let bundle_key = JsValue::from_str(&pulled_bundle_key(&pulled.digest));
    store.put(&js_sys::Uint8Array::from(bytes), Some(&bundle_key)).await?;
    let record = postcard::to_allocvec(pulled)?;
    store.put(&js_sys::Uint8Array::from(&record[..]), Some(&key)).await?;
    finish(transaction).await
}

/// Every model pulled from the registry and kept here, with its bundle's size in bytes.
pub async fn pulled_all() -> Result<Vec<(PulledRef, usize)>, StoreError> {
    let db = database().await?;
    let transaction = db.transaction(&[STORE], TransactionMode::ReadOnly)?;
    let store = transaction.store(STORE)?;
    let keys = store.get_all_keys(None, None).await?;
    let mut pulled = Vec::new();
    for key in keys.into_iter().filter_map(|k| k.as_string()) {
        if !key.starts_with("pulled-") || key.starts_with("pulled-bundle-") {
            continue;
        }
        let Some(kept) = bytes_of(store.get(JsValue::from_str(&key)).await?)
            .and_then(|b| postcard::from_bytes::<PulledRef>(&b).ok())
        else {
            continue;
        };
        let size = bytes_of(store.get(JsValue::from_str(&pulled_bundle_key(&kept.digest))).await?)
            .map_or(0, |b| b.len());
        pulled.push((kept, size));
    }
    Ok(pulled)
}

/// Deletes every record whose key starts with one of `prefixes` (and the keys in `exact`), in one
/// transaction.
async fn forget_keys(prefixes: &[&str], exact: &[&str]) -> Result<(), StoreError> {
    let db = database().await?;
    let transaction = db.transaction(&[STORE], TransactionMode::ReadWrite)?;
    let store = transaction.store(STORE)?;
    for key in store.get_all_keys(None, None).await?.into_iter().filter_map(|k| k.as_string()) {
        if prefixes.iter().any(|p| key.starts_with(p)) || exact.contains(&key.as_str()) {
            store.delete(JsValue::from_str(&key)).await?;
        }
    }
    finish(transaction).await
}

/// Forgets every pulled model (the next pull downloads it again).
pub async fn forget_pulled() -> Result<(), StoreError> {
    forget_keys(&["pulled-"], &[]).await
}

/// Forgets every run, its bundle and its view (the runs table empties after a reload).
pub async fn forget_runs() -> Result<(), StoreError> {
    forget_keys(&["run-", "bundle-", "view-"], &[]).await
}

/// Forgets every kept data set and which one was current.
pub async fn forget_files() -> Result<(), StoreError> {
    forget_keys(&["file-"], &[FILES, "data"]).await
}

/// Keeps the sign-in (its token, expiry and who) in this browser until it expires or the learner
/// signs out.
pub async fn save_session(session: &TokenResponse) -> Result<(), StoreError> {
    put("session", session).await
}

/// The kept sign-in, if any.
pub async fn load_session() -> Result<Option<TokenResponse>, StoreError> {
    get("session").await
}

/// Forgets the kept sign-in.
pub async fn forget_session() -> Result<(), StoreError> {
    let db = database().await?;
    let transaction = db.transaction(&[STORE], TransactionMode::ReadWrite)?;
    transaction.store(STORE)?.delete(JsValue::from_str("session")).await?;
    finish(transaction).await
}

/// Forgets everything saved.
pub async fn clear() -> Result<(), StoreError> {
    let db = database().await?;
    let transaction = db.transaction(&[STORE], TransactionMode::ReadWrite)?;
    let store = transaction.store(STORE)?;
    store.clear().await?;
    finish(transaction).await
}

/// Calls `navigator.storage[method]()` and gives what its promise gives.
async fn storage_call(method: &str) -> Option<JsValue> {
    use wasm_bindgen::JsCast;
    let storage = js_sys::Reflect::get(&web_sys::window()?.navigator(), &"storage".into()).ok()?;
    let call: js_sys::Function = js_sys::Reflect::get(&storage, &method.into()).ok()?.dyn_into().ok()?;
    let promise: js_sys::Promise = call.call0(&storage).ok()?.dyn_into().ok()?;
    wasm_bindgen_futures::JsFuture::from(promise).await.ok()
}

/// What the browser says this site stores and may store, in bytes.
pub async fn estimate() -> Option<(f64, f64)> {
    let estimate = storage_call("estimate").await?;
    let number = |key: &str| js_sys::Reflect::get(&estimate, &key.into()).ok()?.as_f64();
    Some((number("usage")?, number("quota")?))
}

/// Whether the browser keeps this site's storage until the learner clears it.
pub async fn persisted() -> bool {
    storage_call("persisted").await.and_then(|v| v.as_bool()).unwrap_or(false)
}

/// Asks the browser to keep this site's storage for good (pulled models and unsent events must not
/// vanish when the disk runs low); whether it agreed.
pub async fn ask_to_persist() -> bool {
    storage_call("persist").await.and_then(|v| v.as_bool()).unwrap_or(false)
}
