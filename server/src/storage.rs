//! The storage module: the only place that speaks SQL.
//!
//! One SQLite file in WAL mode. The schema is migrated forward on open, one numbered step at a time,
//! and the step reached is kept in SQLite's `user_version`.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use thiserror::Error;

/// A storage failure, saying which database and which step.
#[derive(Debug, Error)]
pub enum StorageError {
    /// The file could not be opened or created.
    #[error("cannot open the database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    /// A migration step failed; the database stays at the step before.
    #[error("migrating the database {path} to schema version {version} failed: {source}")]
    Migrate { path: PathBuf, version: u32, source: rusqlite::Error },
    /// The database was written by a newer tabml.
    #[error("the database {path} has schema version {found}, newer than this tabml knows ({known}); upgrade tabml")]
    TooNew { path: PathBuf, found: u32, known: u32 },
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] rusqlite::Error),
}

/// The migration steps; step `i` takes the schema from version `i` to `i + 1`. Never edit a step
/// that has shipped: add a new one.
const MIGRATIONS: &[&str] = &[
    // 1: facts about this server instance (when its database was created, by which version).
    "CREATE TABLE server_info (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    ) STRICT;",
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The database handle shared by request handlers.
pub struct Storage {
    connection: Mutex<Connection>,
}

impl Storage {
    /// Opens the database at `path` (creating it if absent), switches on WAL, and migrates it.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        let open_err = |source| StorageError::Open { path: path.to_path_buf(), source };
        let mut connection = Connection::open(path).map_err(open_err)?;
        connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(open_err)?;
        connection.pragma_update(None, "journal_mode", "WAL").map_err(open_err)?;
        connection.pragma_update(None, "synchronous", "NORMAL").map_err(open_err)?;
        connection.pragma_update(None, "foreign_keys", "ON").map_err(open_err)?;
        migrate(&mut connection, path)?;
        Ok(Self { connection: Mutex::new(connection) })
    }

    /// The schema version the database is at (a real query, so it also proves the database answers).
    pub fn schema_version(&self) -> Result<u32, StorageError> {
        let connection = self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(connection.query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }

    /// A value from the server facts table.
    pub fn server_info(&self, key: &str) -> Result<Option<String>, StorageError> {
        let connection = self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let value = connection
            .query_row("SELECT value FROM server_info WHERE key = ?1", params![key], |row| row.get(0))
            .optional()?;
        Ok(value)
    }
}

fn migrate(connection: &mut Connection, path: &Path) -> Result<(), StorageError> {
    let current: u32 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|source| StorageError::Open { path: path.to_path_buf(), source })?;
    if current > SCHEMA_VERSION {
        return Err(StorageError::TooNew { path: path.to_path_buf(), found: current, known: SCHEMA_VERSION });
    }
    for (step, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = step as u32 + 1;
        let fail = |source| StorageError::Migrate { path: path.to_path_buf(), version, source };
        let tx = connection.transaction().map_err(fail)?;
        tx.execute_batch(sql).map_err(fail)?;
        if version == 1 {
            tx.execute(
                "INSERT INTO server_info (key, value) VALUES ('created_by_version', ?1)",
                params![tabml::VERSION],
            )
            .map_err(fail)?;
        }
        tx.pragma_update(None, "user_version", version).map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_db(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tabml-storage-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("test.db");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        path
    }

    #[test]
    fn creates_migrates_and_reopens() {
        let path = temp_db("reopen");
        let storage = Storage::open(&path).unwrap();
        assert_eq!(storage.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(storage.server_info("created_by_version").unwrap().as_deref(), Some(tabml::VERSION));
        drop(storage);
        // Opening again runs no step twice.
        let storage = Storage::open(&path).unwrap();
        assert_eq!(storage.schema_version().unwrap(), SCHEMA_VERSION);
        let mode: String =
            storage.connection.lock().unwrap().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn refuses_a_database_from_a_newer_tabml() {
        let path = temp_db("newer");
        Connection::open(&path).unwrap().pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        let err = Storage::open(&path).err().unwrap();
        assert!(matches!(err, StorageError::TooNew { found, .. } if found == SCHEMA_VERSION + 1), "{err}");
    }
}
