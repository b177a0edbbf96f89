//! The storage module: the only place that speaks SQL, behind a narrow interface of typed methods
//! (accounts in `accounts.rs`, the registry in `registry.rs`, runs in `runs.rs`, monitoring events
//! stored and read back by window in `events.rs`, with predictions and labels packed for reading in
//! `blocks/`, policies, alert rules and alerts in `monitoring.rs`, and predictions a mentor
//! overrode in `overrides.rs`). It reads and writes rows; what dashboards and alert rules make of them is the
//! dashboard module's (`server/src/dashboard/`).
//! Nothing outside this module knows the database is SQLite, so a PostgreSQL backend can follow.
//!
//! One SQLite file in WAL mode. The schema is migrated forward on open, one numbered step at a time
//! (`migrations.rs`), and the step reached is kept in SQLite's `user_version`. Writes go through one connection, each in a
//! `BEGIN IMMEDIATE` transaction (so two writers never deadlock upgrading a read lock); reads use a
//! small pool of their own connections and never wait for a write (WAL).
//!
//! Durability: a write returns only after its transaction committed. With
//! [`Durability::Full`] (the default) SQLite syncs the WAL to disk at every commit, so an
//! acknowledged write survives both a process crash and a power loss. With [`Durability::Normal`] it
//! survives a process crash, but the last commits before a power loss may be lost (never
//! half-applied: the database stays consistent).
//!
//! Opening refuses a database from a newer tabml, checks at start-up that the file can really be
//! written (SQLite opens a read-only file read-only without a word), and says why an open failed (a
//! missing folder, permission denied). Each migration step re-reads the version inside its `BEGIN
//! IMMEDIATE` transaction, so two processes opening a fresh file take turns. A write whose work
//! fails is rolled back: a refused request changes nothing. Four read connections; a busy timeout;
//! 64 MiB of page cache per connection (event indexes are written out of order).

mod accounts;
mod blocks;
mod events;
mod lifecycle;
mod migrations;
mod monitoring;
mod overrides;
mod registry;
mod runs;

pub use accounts::{Account, ClassRecord, NewUser};
pub use blocks::{PredictionFacts, BLOCK_SPAN_MS};
pub use events::{
    IngestOutcome, ProfileBatches, StoredEvent, StoredReport, Window, WindowEvents, MAX_MERGED_PROFILES,
    MAX_SERIES_REPORTS,
};
pub use lifecycle::Authority;
pub use migrations::SCHEMA_VERSION;
pub use monitoring::{ChangesOf, LatestAlert, NewAlert, Viewer};
pub use registry::{
    BundleBlob, ClassModel, ModelAccess, ModelFilter, UploadFacts, VersionReference, VersionSelector,
};
pub use runs::RunFilter;

use migrations::migrate;
#[cfg(test)]
use migrations::MIGRATIONS;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use thiserror::Error;

/// A storage failure, saying which database and which step; or a request the data refuses.
#[derive(Debug, Error)]
pub enum StorageError {
    /// The file could not be opened or created; `reason` says why in words where the file system
    /// can tell (a missing folder, permission denied), else it is SQLite's message.
    #[error("cannot open the database {path}: {reason}")]
    Open { path: PathBuf, reason: String, source: rusqlite::Error },
    /// The file opened, but tabml cannot write it (a read-only file, folder or mount).
    #[error("cannot write the database {path}: {reason}; tabml needs to write it (check the permissions of the file, its -wal and -shm files and its folder, and that the disk is not mounted read-only)")]
    ReadOnly { path: PathBuf, reason: String },
    /// A migration step failed; the database stays at the step before.
    #[error("migrating the database {path} to schema version {version} failed: {source}")]
    Migrate { path: PathBuf, version: u32, source: rusqlite::Error },
    /// The database was written by a newer tabml.
    #[error("the database {path} has schema version {found}, newer than this tabml knows ({known}); upgrade tabml")]
    TooNew { path: PathBuf, found: u32, known: u32 },
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] rusqlite::Error),
    /// Something named in the request does not exist.
    #[error("{0}")]
    NotFound(String),
    /// No prediction with that id was stored for the model.
    #[error("{0}")]
    UnknownPrediction(String),
    /// The user has stored as many event bytes today as the server takes from one user.
    #[error("this batch's {batch} new bytes of events would pass your daily quota of {quota} bytes ({used} stored today); it resets at midnight UTC")]
    QuotaExceeded { used: u64, batch: u64, quota: u64, retry_after: u64 },
    /// The caller may not make this change, given what is stored (a policy serves the version…).
    #[error("{0}")]
    Forbidden(String),
    /// The request conflicts with what is stored (a name taken, a version retired, …).
    #[error("{0}")]
    Conflict(String),
    /// A class's join code expired or was revoked: sign-up is closed until it is rotated.
    #[error("{0}")]
    JoinCodeClosed(String),
    /// Something stored does not read back as it was written.
    #[error("the database holds something unreadable: {0}")]
    Corrupt(String),
}

/// How hard a commit works to survive a power loss (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Sync the WAL at every commit: acknowledged writes survive a power loss.
    #[default]
    Full,
    /// Sync at checkpoints only: acknowledged writes survive a process crash.
    Normal,
}

/// How long a connection waits for another process's lock before failing with "busy".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How many read connections the pool keeps.
const READERS: usize = 4;

/// The database handle shared by request handlers. Every method blocks: call it off the async
/// runtime (`tokio::task::spawn_blocking`).
pub struct Storage {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

impl Storage {
    /// Opens the database at `path` (creating it if absent), checks that it can be written, switches
    /// on WAL, and migrates it.
    pub fn open(path: &Path, durability: Durability) -> Result<Self, StorageError> {
        let mut writer = connect(path, durability)?;
        check_writable(&mut writer, path)?;
        migrate(&mut writer, path)?;
        let readers =
            (0..READERS).map(|_| connect(path, durability).map(Mutex::new)).collect::<Result<_, _>>()?;
        Ok(Self { writer: Mutex::new(writer), readers, next_reader: AtomicUsize::new(0) })
    }

    /// The schema version the database is at (a real query, so it also proves the database answers).
    pub fn schema_version(&self) -> Result<u32, StorageError> {
        self.read(|c| Ok(c.query_row("PRAGMA user_version", [], |row| row.get(0))?))
    }

    /// The storage engine's name, for the health check.
    pub fn engine(&self) -> &'static str {
        "sqlite"
    }

    /// A value from the server facts table.
    pub fn server_info(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.read(|c| {
            Ok(c.query_row("SELECT value FROM server_info WHERE key = ?1", params![key], |row| row.get(0))
                .optional()?)
        })
    }

    /// Moves the write-ahead log into the database file, so the log does not grow without bound and a
    /// restart has little to replay. Readers in flight keep it from finishing; the next one catches up.
    pub fn checkpoint(&self) -> Result<(), StorageError> {
        let connection = lock(&self.writer);
        connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Runs `f` on a read connection (one not busy, if any is free).
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, StorageError>) -> Result<T, StorageError> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for i in 0..self.readers.len() {
            if let Ok(connection) = self.readers[(start + i) % self.readers.len()].try_lock() {
                return f(&connection);
            }
        }
        let connection = lock(&self.readers[start % self.readers.len()]);
        f(&connection)
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction, committed when `f` succeeds and rolled back
    /// when it fails (so a refused request changes nothing).
    fn write<T>(&self, f: impl FnOnce(&Transaction) -> Result<T, StorageError>) -> Result<T, StorageError> {
        let mut connection = lock(&self.writer);
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

fn lock(connection: &Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn connect(path: &Path, durability: Durability) -> Result<Connection, StorageError> {
    let open_err = |source| open_error(path, source);
    let connection = Connection::open(path).map_err(open_err)?;
    connection.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
    // Switching a fresh file to WAL takes an exclusive lock that SQLite does not wait for (the busy
    // handler is not called), so a second process opening it at that moment would fail: retry.
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    while let Err(error) = connection.pragma_update(None, "journal_mode", "WAL") {
        let busy = error.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy);
        if !busy || std::time::Instant::now() > deadline {
            return Err(open_err(error));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let synchronous = match durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    connection.pragma_update(None, "synchronous", synchronous).map_err(open_err)?;
    connection.pragma_update(None, "foreign_keys", "ON").map_err(open_err)?;
    // 64 MiB of page cache per connection (SQLite's default is 2 MiB): the event indexes are
    // written in no particular order, and re-reading evicted pages was most of an ingest's time.
    connection.pragma_update(None, "cache_size", -65_536).map_err(open_err)?;
    Ok(connection)
}

/// The error for a database SQLite could not open, saying why in words where the file system can
/// tell: SQLite says only "unable to open database file".
fn open_error(path: &Path, source: rusqlite::Error) -> StorageError {
    let reason = diagnose(path).unwrap_or_else(|| source.to_string());
    StorageError::Open { path: path.to_path_buf(), reason, source }
}

/// Why `path` cannot be opened, if the file system says.
fn diagnose(path: &Path) -> Option<String> {
    use std::io::ErrorKind;
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    match std::fs::metadata(folder) {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Some(format!("its folder {} does not exist", folder.display()))
        }
        Err(e) => return Some(format!("its folder {} cannot be read ({e})", folder.display())),
        Ok(meta) if !meta.is_dir() => return Some(format!("{} is not a folder", folder.display())),
        Ok(_) => {}
    }
    if path.is_dir() {
        return Some("it is a folder, not a file".into());
    }
    let opened = if path.exists() {
        std::fs::OpenOptions::new().read(true).write(true).open(path).map(|_| ())
    } else {
        // SQLite would have created it: try, and leave nothing behind.
        std::fs::OpenOptions::new().write(true).create_new(true).open(path).map(|_| {
            let _ = std::fs::remove_file(path);
        })
    };
    match opened {
        Err(e) if e.kind() == ErrorKind::PermissionDenied && path.exists() => {
            Some("permission denied: this user cannot read and write the file".into())
        }
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {
            Some(format!("permission denied: this user cannot create files in {}", folder.display()))
        }
        Err(e) => Some(e.to_string()),
        Ok(()) => None,
    }
}

/// Refuses a database this process cannot write. SQLite opens a read-only file read-only without a
/// word, and every write would then fail with a 500 while the health check said all was well.
fn check_writable(connection: &mut Connection, path: &Path) -> Result<(), StorageError> {
    let read_only = |reason: String| StorageError::ReadOnly { path: path.to_path_buf(), reason };
    if connection.is_readonly(rusqlite::MAIN_DB).map_err(|e| read_only(e.to_string()))? {
        return Err(read_only("SQLite opened it read-only".into()));
    }
    // A real write, rolled back: it also fails when the -wal or -shm file or the folder is read-only.
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| read_only(e.to_string()))?;
    tx.execute_batch("CREATE TABLE tabml_write_check (x INTEGER); DROP TABLE tabml_write_check;")
        .map_err(|e| read_only(e.to_string()))?;
    tx.rollback().map_err(|e| read_only(e.to_string()))
}

/// Where the page after one of `shown` rows from `offset` starts, if `total` rows go on past it.
fn next_offset(offset: u64, shown: usize, total: i64) -> Option<u64> {
    let end = offset + shown as u64;
    (end < total as u64).then_some(end)
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn temp_db(name: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("{name}.db"));
        (dir, path)
    }

    #[test]
    fn creates_migrates_and_reopens() {
        let (_dir, path) = temp_db("reopen");
        let storage = Storage::open(&path, Durability::Full).unwrap();
        assert_eq!(storage.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(storage.server_info("created_by_version").unwrap().as_deref(), Some(tabml::VERSION));
        drop(storage);
        // Opening again runs no step twice.
        let storage = Storage::open(&path, Durability::Full).unwrap();
        assert_eq!(storage.schema_version().unwrap(), SCHEMA_VERSION);
        let mode: String =
            storage.read(|c| Ok(c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?)).unwrap();
        assert_eq!(mode, "wal");
        storage.checkpoint().unwrap();
    }

    #[test]
    fn migrates_a_version_1_database_forward() {
        let (_dir, path) = temp_db("v1");
        {
            let mut c = Connection::open(&path).unwrap();
            let tx = c.transaction().unwrap();
            tx.execute_batch(MIGRATIONS[0]).unwrap();
            tx.execute("INSERT INTO server_info (key, value) VALUES ('created_by_version', '0.0.1')", [])
                .unwrap();
            tx.pragma_update(None, "user_version", 1).unwrap();
            tx.commit().unwrap();
        }
        let storage = Storage::open(&path, Durability::Normal).unwrap();
        assert_eq!(storage.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(storage.server_info("created_by_version").unwrap().as_deref(), Some("0.0.1"));
    }

    #[test]
    fn refuses_a_database_from_a_newer_tabml() {
        let (_dir, path) = temp_db("newer");
        Connection::open(&path).unwrap().pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        let err = Storage::open(&path, Durability::Full).err().unwrap();
        assert!(matches!(err, StorageError::TooNew { found, .. } if found == SCHEMA_VERSION + 1), "{err}");
    }

    #[test]
    fn two_processes_opening_a_fresh_database_at_once_both_migrate_it_once() {
        for round in 0..8 {
            let (_dir, path) = temp_db(&format!("race{round}"));
            let start = std::sync::Arc::new(std::sync::Barrier::new(2));
            let openers: Vec<_> = (0..2)
                .map(|_| {
                    let (path, start) = (path.clone(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        Storage::open(&path, Durability::Normal).and_then(|s| s.schema_version())
                    })
                })
                .collect();
            for opener in openers {
                assert_eq!(opener.join().unwrap().unwrap(), SCHEMA_VERSION, "round {round}");
            }
            let storage = Storage::open(&path, Durability::Normal).unwrap();
            let facts: i64 = storage
                .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM server_info", [], |r| r.get(0))?))
                .unwrap();
            assert_eq!(facts, 1, "step 1 ran once");
        }
    }

    #[test]
    fn a_database_opened_read_only_is_refused_at_start() {
        let (_dir, path) = temp_db("readonly");
        drop(Storage::open(&path, Durability::Full).unwrap());
        let uri = PathBuf::from(format!("file:{}?mode=ro", path.display()));
        let err = Storage::open(&uri, Durability::Full).err().expect("a read-only database was opened");
        assert!(matches!(err, StorageError::ReadOnly { .. }), "{err}");
        assert!(
            err.to_string().starts_with(&format!("cannot write the database {}: ", uri.display())),
            "{err}"
        );
    }

    #[test]
    fn an_unopenable_database_says_why() {
        let (dir, _) = temp_db("x");
        let path = dir.path().join("missing").join("x.db");
        let err = Storage::open(&path, Durability::Full).err().unwrap();
        let folder = dir.path().join("missing");
        assert_eq!(
            err.to_string(),
            format!(
                "cannot open the database {}: its folder {} does not exist",
                path.display(),
                folder.display()
            )
        );
        assert_eq!(
            Storage::open(dir.path(), Durability::Full).err().unwrap().to_string(),
            format!("cannot open the database {}: it is a folder, not a file", dir.path().display())
        );
    }
}
