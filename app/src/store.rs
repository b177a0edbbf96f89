//! What the learner made, kept in the browser (IndexedDB) so that it is there after a reload: the
//! problem card, every data set loaded (its bytes) and the current one's type changes, target and
//! choices, and every run with its bundle.
//! The only module that speaks IndexedDB. Records are postcard bytes under fixed keys; nothing
//! here is sent anywhere.
//!
//! A kept file's bytes and the list of kept files change together in one read-write transaction
//! (`change_kept`), so a save and a Forget at once cannot undo each other. Saves run in the
//! background through `persist` in `lib.rs` (counted on `<main data-saving>`); a failed save is
//! shown at the top and the tab carries on. The footer's "Forget everything saved here" clears the
//! store and reloads.

use rexie::{ObjectStore, Rexie, TransactionMode};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use tabml::{ColumnKind, PrepConfig, ProblemCard};
use wasm_bindgen::JsValue;

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
}

thread_local! {
    static DB: RefCell<Option<Rc<Rexie>>> = const { RefCell::new(None) };
}

async fn database() -> Result<Rc<Rexie>, String> {
    if let Some(db) = DB.with(|db| db.borrow().clone()) {
        return Ok(db);
    }
    let db = Rexie::builder(DATABASE)
        .version(1)
        .add_object_store(ObjectStore::new(STORE))
        .build()
        .await
        .map_err(|e| format!("the browser's storage (IndexedDB) is unavailable: {e}"))?;
    let db = Rc::new(db);
    DB.with(|slot| *slot.borrow_mut() = Some(db.clone()));
    Ok(db)
}

async fn put<T: Serialize>(key: &str, value: &T) -> Result<(), String> {
    let bytes = postcard::to_allocvec(value).map_err(|e| e.to_string())?;
    put_raw(key, &bytes).await
}

/// Stores bytes as they are (a file, which needs no encoding).
async fn put_raw(key: &str, bytes: &[u8]) -> Result<(), String> {
    let db = database().await?;
    let transaction = db.transaction(&[STORE], TransactionMode::ReadWrite).map_err(|e| e.to_string())?;
    let store = transaction.store(STORE).map_err(|e| e.to_string())?;
    let array = js_sys::Uint8Array::from(bytes);
    store.put(&array, Some(&JsValue::from_str(key))).await.map_err(|e| e.to_string())?;
    finish(transaction).await
}

/// Waits for a write to commit; an aborted one (a full disk, say) is an error.
async fn finish(transaction: rexie::Transaction) -> Result<(), String> {
    match transaction.done().await.map_err(|e| e.to_string())? {
        rexie::TransactionResult::Committed => Ok(()),
        rexie::TransactionResult::Aborted => {
            Err("the browser did not save it (the write was aborted)".to_owned())
        }
    }
}

async fn get<T: DeserializeOwned>(key: &str) -> Result<Option<T>, String> {
    // A record this version cannot read (from an older or newer tabml) is skipped, not fatal.
    Ok(get_raw(key).await?.and_then(|bytes| postcard::from_bytes(&bytes).ok()))
}

async fn get_raw(key: &str) -> Result<Option<Vec<u8>>, String> {
    let db = database().await?;
    let transaction = db.transaction(&[STORE], TransactionMode::ReadOnly).map_err(|e| e.to_string())?;
    let store = transaction.store(STORE).map_err(|e| e.to_string())?;
    let value = store.get(JsValue::from_str(key)).await.map_err(|e| e.to_string())?;
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
) -> Result<(), String> {
    let db = database().await?;
    let transaction = db.transaction(&[STORE], TransactionMode::ReadWrite).map_err(|e| e.to_string())?;
    let store = transaction.store(STORE).map_err(|e| e.to_string())?;
    let key = JsValue::from_str(&file_key(name));
    match bytes {
        Some(bytes) => store.put(&js_sys::Uint8Array::from(bytes), Some(&key)).await.map(drop),
        None => store.delete(key).await,
    }
    .map_err(|e| e.to_string())?;
    let listed = store.get(JsValue::from_str(FILES)).await.map_err(|e| e.to_string())?;
    let mut files: Vec<KeptFile> =
        bytes_of(listed).and_then(|b| postcard::from_bytes(&b).ok()).unwrap_or_default();
    change(&mut files);
    let encoded = postcard::to_allocvec(&files).map_err(|e| e.to_string())?;
    let array = js_sys::Uint8Array::from(&encoded[..]);
    store.put(&array, Some(&JsValue::from_str(FILES))).await.map_err(|e| e.to_string())?;
    finish(transaction).await
}

/// Saves the problem card.
pub async fn save_card(card: &ProblemCard) -> Result<(), String> {
    put("card", card).await
}

/// The saved problem card, if any.
pub async fn load_card() -> Result<Option<ProblemCard>, String> {
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
pub async fn kept_files() -> Result<Vec<KeptFile>, String> {
    Ok(get(FILES).await?.unwrap_or_default())
}

/// The key of the list of kept data sets.
const FILES: &str = "files";

/// The bytes of a kept data set.
pub async fn kept_file(name: &str) -> Result<Option<Vec<u8>>, String> {
    get_raw(&file_key(name)).await
}

/// Forgets a kept data set (the one loaded in the tab stays loaded until the page closes).
pub async fn forget_file(name: &str) -> Result<(), String> {
    change_kept(name, None, |files| files.retain(|f| f.name != name)).await
}

/// Saves a newly loaded data set's bytes among the kept ones, and makes it the current one with
/// this setup.
pub async fn save_data(setup: &DataSetup, bytes: &[u8]) -> Result<(), String> {
    change_kept(&setup.name, Some(bytes), |files| {
        files.retain(|f| f.name != setup.name);
        files.insert(0, KeptFile { name: setup.name.clone(), bytes: bytes.len() });
    })
    .await?;
    put("data", setup).await
}

/// Saves a changed setup of the current data set.
pub async fn save_setup(setup: &DataSetup) -> Result<(), String> {
    put("data", setup).await
}

/// The current data set's setup and bytes, if any.
pub async fn load_data() -> Result<Option<(DataSetup, Vec<u8>)>, String> {
    let Some(setup) = get::<DataSetup>("data").await? else { return Ok(None) };
    Ok(kept_file(&setup.name).await?.map(|bytes| (setup, bytes)))
}

/// Saves the preparation, test share and seed.
pub async fn save_choices(choices: &Choices) -> Result<(), String> {
    put("choices", choices).await
}

/// The saved preparation, test share and seed, if any.
pub async fn load_choices() -> Result<Option<Choices>, String> {
    get("choices").await
}

/// Saves one run and its bundle's bytes (raw: a large bundle is never re-encoded).
pub async fn save_run(run: &StoredRun, bundle: &[u8]) -> Result<(), String> {
    put_raw(&format!("bundle-{:06}", run.number), bundle).await?;
    put(&format!("run-{:06}", run.number), run).await
}

/// Every saved run, in run order.
pub async fn load_runs() -> Result<Vec<StoredRun>, String> {
    let db = database().await?;
    let transaction = db.transaction(&[STORE], TransactionMode::ReadOnly).map_err(|e| e.to_string())?;
    let store = transaction.store(STORE).map_err(|e| e.to_string())?;
    let keys = store.get_all_keys(None, None).await.map_err(|e| e.to_string())?;
    let mut runs = Vec::new();
    for key in keys.into_iter().filter_map(|k| k.as_string()).filter(|k| k.starts_with("run-")) {
        let Some(value) = store.get(JsValue::from_str(&key)).await.map_err(|e| e.to_string())? else {
            continue;
        };
        let Ok(mut run) = postcard::from_bytes::<StoredRun>(&js_sys::Uint8Array::new(&value).to_vec()) else {
            continue;
        };
        let bundle_key = JsValue::from_str(&format!("bundle-{:06}", run.number));
        if let Some(bytes) = store.get(bundle_key).await.map_err(|e| e.to_string())? {
            run.bundle = js_sys::Uint8Array::new(&bytes).to_vec();
            runs.push(run);
        }
    }
    runs.sort_by_key(|r| r.number);
    Ok(runs)
}

/// Forgets everything saved.
pub async fn clear() -> Result<(), String> {
    let db = database().await?;
    let transaction = db.transaction(&[STORE], TransactionMode::ReadWrite).map_err(|e| e.to_string())?;
    let store = transaction.store(STORE).map_err(|e| e.to_string())?;
    store.clear().await.map_err(|e| e.to_string())?;
    finish(transaction).await
}
