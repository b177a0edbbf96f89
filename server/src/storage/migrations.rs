//! The schema's numbered migration steps, and applying them on open.
//!
//! Each step runs in its own `BEGIN IMMEDIATE` transaction and re-reads the version inside it, so
//! two processes opening a fresh file take turns; the step reached is kept in SQLite's
//! `user_version`.

use super::blocks::fill_blocks;
use super::registry::{insert_reference, VersionReference};
use super::{open_error, StorageError};
use rusqlite::{params, Connection, Transaction, TransactionBehavior};
use std::path::Path;
use tabml::ModelBundle;

/// The migration steps; step `i` takes the schema from version `i` to `i + 1`. Never edit a step
/// that has shipped: add a new one.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: facts about this server instance (when its database was created, by which version).
    "CREATE TABLE server_info (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    ) STRICT;",
    // 2: accounts, the registry and monitoring events.
    "CREATE TABLE classes (
        id                 INTEGER PRIMARY KEY,
        name               TEXT NOT NULL UNIQUE,
        mentor_id          INTEGER NOT NULL,
        join_code_hash     BLOB NOT NULL UNIQUE,
        owners_may_promote INTEGER NOT NULL,
        created_at         INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        role          TEXT NOT NULL CHECK (role IN ('learner', 'mentor', 'admin')),
        password_hash TEXT NOT NULL,
        class_id      INTEGER REFERENCES classes(id),
        created_at    INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE tokens (
        hash       BLOB PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users(id),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE models (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL,
        card        TEXT,
        tags        TEXT NOT NULL,
        owner_id    INTEGER NOT NULL REFERENCES users(id),
        created_at  INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE blobs (
        id   INTEGER PRIMARY KEY,
        data BLOB NOT NULL
    ) STRICT;
    CREATE TABLE versions (
        model_id       INTEGER NOT NULL REFERENCES models(id),
        version        INTEGER NOT NULL,
        blob_id        INTEGER NOT NULL REFERENCES blobs(id),
        digest         TEXT NOT NULL,
        size           INTEGER NOT NULL,
        kind           TEXT NOT NULL,
        target         TEXT NOT NULL,
        task           TEXT NOT NULL,
        stage          TEXT NOT NULL DEFAULT 'none',
        created_by     INTEGER NOT NULL REFERENCES users(id),
        created_at     INTEGER NOT NULL,
        retired_reason TEXT,
        PRIMARY KEY (model_id, version)
    ) STRICT;
    CREATE TABLE aliases (
        model_id INTEGER NOT NULL REFERENCES models(id),
        alias    TEXT NOT NULL,
        version  INTEGER NOT NULL,
        PRIMARY KEY (model_id, alias)
    ) STRICT;
    CREATE TABLE audit (
        id         INTEGER PRIMARY KEY,
        model_id   INTEGER NOT NULL REFERENCES models(id),
        actor_id   INTEGER NOT NULL REFERENCES users(id),
        at         INTEGER NOT NULL,
        action     TEXT NOT NULL,
        subject    TEXT NOT NULL,
        from_value TEXT NOT NULL,
        to_value   TEXT NOT NULL,
        reason     TEXT NOT NULL
    ) STRICT;
    CREATE INDEX audit_by_model ON audit (model_id, id);
    CREATE TABLE events (
        seq           INTEGER PRIMARY KEY,
        user_id       INTEGER NOT NULL REFERENCES users(id),
        client_id     TEXT NOT NULL,
        kind          TEXT NOT NULL,
        model_id      INTEGER NOT NULL REFERENCES models(id),
        version       INTEGER NOT NULL,
        at            INTEGER NOT NULL,
        received_at   INTEGER NOT NULL,
        prediction_id TEXT,
        body          TEXT NOT NULL,
        UNIQUE (user_id, client_id)
    ) STRICT;
    CREATE INDEX events_by_model ON events (model_id, at);
    CREATE INDEX events_by_prediction ON events (model_id, prediction_id) WHERE prediction_id IS NOT NULL;",
    // 3: what dashboards and alert rules read off events; runs; deployment policies; alert rules.
    "ALTER TABLE events ADD COLUMN latency_ms REAL;
    ALTER TABLE events ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE events ADD COLUMN value TEXT;
    ALTER TABLE events ADD COLUMN confidence REAL;
    CREATE INDEX events_by_kind ON events (model_id, kind, at);
    DROP INDEX events_by_model;
    CREATE TABLE runs (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        owner_id   INTEGER NOT NULL REFERENCES users(id),
        model_id   INTEGER REFERENCES models(id),
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE run_params (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        key    TEXT NOT NULL,
        value  TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE run_tags (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        key    TEXT NOT NULL,
        value  TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE run_metrics (
        run_id    INTEGER NOT NULL REFERENCES runs(id),
        key       TEXT NOT NULL,
        value     REAL NOT NULL,
        step      INTEGER NOT NULL,
        timestamp INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX run_metrics_by_key ON run_metrics (run_id, key, step, timestamp);
    CREATE TABLE policies (
        model_id   INTEGER PRIMARY KEY REFERENCES models(id),
        policy     TEXT NOT NULL,
        updated_by INTEGER NOT NULL REFERENCES users(id),
        updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE alert_rules (
        id         INTEGER PRIMARY KEY,
        model_id   INTEGER NOT NULL REFERENCES models(id),
        rule       TEXT NOT NULL,
        created_by INTEGER NOT NULL REFERENCES users(id),
        created_at INTEGER NOT NULL,
        deleted    INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE alerts (
        id              INTEGER PRIMARY KEY,
        rule_id         INTEGER NOT NULL REFERENCES alert_rules(id),
        model_id        INTEGER NOT NULL REFERENCES models(id),
        value           REAL NOT NULL,
        message         TEXT NOT NULL,
        fired_at        INTEGER NOT NULL,
        acknowledged_by INTEGER REFERENCES users(id),
        acknowledged_at INTEGER,
        note            TEXT,
        cleared_at      INTEGER
    ) STRICT;
    CREATE INDEX alerts_open ON alerts (model_id, acknowledged_at);",
    // 4: user names unique without regard to case; join codes that expire and can be revoked.
    // Names that already differ only in case are kept (refusing to start, or renaming someone, would
    // lock them out): every such user but the oldest is marked `case_twin` and left out of the new
    // unique index; they sign in with their exact spelling, and no new twin can be made. Existing
    // join codes expire 14 days after the upgrade.
    "ALTER TABLE users ADD COLUMN case_twin INTEGER NOT NULL DEFAULT 0;
    UPDATE users SET case_twin = 1
        WHERE EXISTS (SELECT 1 FROM users o WHERE o.name = users.name COLLATE NOCASE AND o.id < users.id);
    CREATE UNIQUE INDEX users_by_folded_name ON users (name COLLATE NOCASE) WHERE case_twin = 0;
    ALTER TABLE classes ADD COLUMN join_code_expires_at INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE classes ADD COLUMN join_code_revoked INTEGER NOT NULL DEFAULT 0;
    UPDATE classes SET join_code_expires_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 + 14 * 86400000;",
    // 5: the class a model belongs to (a learner's models are in their class; staff models stay
    // outside classes until a mentor hands them out), and each user's event bytes per day.
    "ALTER TABLE models ADD COLUMN class_id INTEGER REFERENCES classes(id);
    UPDATE models SET class_id = (SELECT u.class_id FROM users u WHERE u.id = models.owner_id AND u.role = 'learner');
    CREATE TABLE event_usage (
        user_id INTEGER NOT NULL REFERENCES users(id),
        day     INTEGER NOT NULL,
        bytes   INTEGER NOT NULL,
        PRIMARY KEY (user_id, day)
    ) STRICT, WITHOUT ROWID;",
    // 6: what monitoring compares a version's traffic with, kept beside it so no dashboard decodes
    // its bundle: the training profile and the CBPE reference. Versions stored before get theirs
    // read off their bundles by `fill_version_references`, in the same transaction.
    "CREATE TABLE version_references (
        model_id INTEGER NOT NULL,
        version  INTEGER NOT NULL,
        profile  BLOB NOT NULL,
        cbpe     BLOB,
        PRIMARY KEY (model_id, version),
        FOREIGN KEY (model_id, version) REFERENCES versions (model_id, version)
    ) STRICT, WITHOUT ROWID;",
    // 7: predictions and labels packed in blocks (`blocks/`), which series, dashboards and the
    // class overview read; a window's blocks are found by model, kind and start. The events stored
    // before are packed by `fill_blocks`, in the same transaction.
    "CREATE TABLE event_blocks (
        id       INTEGER PRIMARY KEY,
        model_id INTEGER NOT NULL REFERENCES models(id),
        kind     TEXT NOT NULL CHECK (kind IN ('prediction', 'label')),
        version  INTEGER NOT NULL,
        first_at INTEGER NOT NULL,
        last_at  INTEGER NOT NULL,
        rows     INTEGER NOT NULL,
        data     BLOB NOT NULL
    ) STRICT;
    CREATE INDEX event_blocks_by_time ON event_blocks (model_id, kind, first_at);",
    // 8: predictions a mentor overrode (`overrides.rs`): one row per model and prediction id, the
    // newest override (earlier ones stay in the audit log); found by prediction time for a window's
    // override rate.
    "CREATE TABLE overrides (
        id            INTEGER PRIMARY KEY,
        model_id      INTEGER NOT NULL REFERENCES models(id),
        prediction_id TEXT NOT NULL,
        version       INTEGER NOT NULL,
        predicted_at  INTEGER NOT NULL,
        output        TEXT,
        label         TEXT NOT NULL,
        reason        TEXT NOT NULL,
        actor_id      INTEGER NOT NULL REFERENCES users(id),
        at            INTEGER NOT NULL,
        UNIQUE (model_id, prediction_id)
    ) STRICT;
    CREATE INDEX overrides_by_prediction_time ON overrides (model_id, predicted_at);",
    // 9: a counter per model, bumped in the same transaction as every write that can change what its
    // dashboard, series, alerts, overrides or class overview say (`registry::touch`), so an ETag
    // of those answers is known before they are computed.
    "ALTER TABLE models ADD COLUMN changes INTEGER NOT NULL DEFAULT 0;",
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Applies the migration steps the database lacks, one `BEGIN IMMEDIATE` transaction each. The
/// version is read inside each step's transaction, so two processes opening a fresh database at once
/// take turns: the second sees the step the first applied and skips it.
pub(super) fn migrate(connection: &mut Connection, path: &Path) -> Result<(), StorageError> {
    loop {
        let current: u32 = connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|source| open_error(path, source))?;
        if current > SCHEMA_VERSION {
            return Err(StorageError::TooNew {
                path: path.to_path_buf(),
                found: current,
                known: SCHEMA_VERSION,
            });
        }
        if current == SCHEMA_VERSION {
            return Ok(());
        }
        let version = current + 1;
        let fail = |source| StorageError::Migrate { path: path.to_path_buf(), version, source };
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(fail)?;
        // Another process may have applied this step between our read and our lock.
        let locked: u32 = tx.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(fail)?;
        if locked != current {
            continue;
        }
        tx.execute_batch(MIGRATIONS[current as usize]).map_err(fail)?;
        if version == 1 {
            tx.execute(
                "INSERT INTO server_info (key, value) VALUES ('created_by_version', ?1)",
                params![tabml::VERSION],
            )
            .map_err(fail)?;
        }
        if version == 6 {
            fill_version_references(&tx).map_err(fail)?;
        }
        if version == 7 {
            fill_blocks(&tx).map_err(fail)?;
        }
        tx.pragma_update(None, "user_version", version).map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
}

/// Step 6's data: the reference of each version stored before it, read off its bundle, one at a
/// time. A bundle this build cannot decode gets none, so its dashboard shows no merged drift, as
/// before the step.
fn fill_version_references(tx: &Transaction) -> rusqlite::Result<()> {
    let mut versions = tx.prepare(
        "SELECT v.model_id, v.version, v.blob_id FROM versions v
         WHERE NOT EXISTS (SELECT 1 FROM version_references r WHERE r.model_id = v.model_id AND r.version = v.version)",
    )?;
    let versions = versions
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, u32>(1)?, r.get::<_, i64>(2)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    for (model_id, version, blob) in versions {
        let bytes: Vec<u8> =
            tx.query_row("SELECT data FROM blobs WHERE id = ?1", params![blob], |r| r.get(0))?;
        if let Ok(bundle) = ModelBundle::decode(&bytes) {
            insert_reference(tx, model_id, version, &VersionReference::of(&bundle))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::temp_db;
    use super::super::{Durability, Storage};
    use super::*;

    #[test]
    fn step_6_reads_the_reference_of_each_version_stored_before_it_off_its_bundle() {
        let (_dir, path) = temp_db("references");
        let csv = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../public/data/iris.csv")).unwrap();
        let table = tabml::parse_csv(&csv).unwrap();
        let config = tabml::TrainConfig::new(tabml::ModelKind::Dummy);
        let bytes = tabml::train(&table, "species", &config).unwrap().bundle.encode();
        {
            // A database at schema 5 with two versions: a bundle, and bytes that are not one.
            let connection = Connection::open(&path).unwrap();
            for step in &MIGRATIONS[..5] {
                connection.execute_batch(step).unwrap();
            }
            connection.pragma_update(None, "user_version", 5).unwrap();
            connection
                .execute_batch(
                    "INSERT INTO users (name, role, password_hash, created_at) VALUES ('m', 'mentor', 'h', 0);
                     INSERT INTO models (name, description, tags, owner_id, created_at) VALUES ('iris', '', '[]', 1, 0);",
                )
                .unwrap();
            for (version, data) in [(1, bytes.clone()), (2, b"not a bundle".to_vec())] {
                connection.execute("INSERT INTO blobs (data) VALUES (?1)", params![data]).unwrap();
                connection
                    .execute(
                        "INSERT INTO versions (model_id, version, blob_id, digest, size, kind, target, task, created_by, created_at)
                         VALUES (1, ?1, last_insert_rowid(), '', 0, 'dummy', 'species', 'classification', 1, 0)",
                        params![version],
                    )
                    .unwrap();
            }
        }
        let storage = Storage::open(&path, Durability::Normal).unwrap();
        let kept = storage.version_reference(1, 1).unwrap().expect("version 1's reference");
        let expected = VersionReference::of(&ModelBundle::decode(&bytes).unwrap());
        assert_eq!(kept.profile, expected.profile);
        assert!(kept.cbpe.is_some(), "a classifier's test rows give CBPE a reference");
        // NaN marks an undefined spread, so the two are compared as written.
        assert_eq!(format!("{:?}", kept.cbpe), format!("{:?}", expected.cbpe));
        assert_eq!(
            storage.version_reference(1, 2).unwrap(),
            None,
            "no reference off bytes that do not decode"
        );
        assert_eq!(storage.version_reference(1, 3).unwrap(), None);
    }
}
