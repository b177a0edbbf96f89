//! Events packed into blocks as they are stored: grouped, cut by the span, small batches joined to
//! the newest block; and migration step 7's packing of the events stored before it.

use super::{encode, EventFacts, BLOCK_SPAN_MS};
use crate::storage::StorageError;
use rusqlite::{params, OptionalExtension, Transaction};

/// A batch's group of fewer events than this joins the newest block of its model, kind and version
/// while that block also holds fewer.
const SMALL_BLOCK: usize = 512;

/// Stores events of one model and kind as blocks: grouped by version, ordered by time, cut where a
/// block would span more than [`BLOCK_SPAN_MS`]; a small group joins the newest block of its model,
/// kind and version while that is small and stays within the span.
pub(in crate::storage) fn store_blocks(
    tx: &Transaction,
    model_id: i64,
    kind: &str,
    version: u32,
    mut events: Vec<&EventFacts>,
) -> Result<(), StorageError> {
    if events.is_empty() {
        return Ok(());
    }
    events.sort_by_key(|e| e.at);
    let mut start = 0;
    if events.len() < SMALL_BLOCK {
        if let Some(joined) = join_newest(tx, model_id, kind, version, &events)? {
            start = joined;
        }
    }
    while start < events.len() {
        let first = events[start].at;
        let end = start + events[start..].iter().take_while(|e| e.at - first <= BLOCK_SPAN_MS).count();
        let mut data = Vec::new();
        for e in &events[start..end] {
            encode(e, &mut data);
        }
        tx.prepare_cached(
            "INSERT INTO event_blocks (model_id, kind, version, first_at, last_at, rows, data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            model_id,
            kind,
            version,
            first,
            events[end - 1].at,
            (end - start) as i64,
            data
        ])?;
        start = end;
    }
    Ok(())
}

/// Appends the events (in time order) to the newest small block of their model, kind and version
/// when they all fit in its span; returns how many it took (all or none).
fn join_newest(
    tx: &Transaction,
    model_id: i64,
    kind: &str,
    version: u32,
    events: &[&EventFacts],
) -> Result<Option<usize>, StorageError> {
    let newest: Option<(i64, i64, i64, i64)> = tx
        .prepare_cached(
            "SELECT id, first_at, last_at, rows FROM event_blocks WHERE model_id = ?1 AND kind = ?2 AND version = ?3
             ORDER BY first_at DESC, id DESC LIMIT 1",
        )?
        .query_row(params![model_id, kind, version], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let Some((id, first_at, last_at, rows)) = newest else { return Ok(None) };
    let (low, high) = (first_at.min(events[0].at), last_at.max(events[events.len() - 1].at));
    if rows as usize >= SMALL_BLOCK || high - low > BLOCK_SPAN_MS {
        return Ok(None);
    }
    let mut data: Vec<u8> =
        tx.query_row("SELECT data FROM event_blocks WHERE id = ?1", params![id], |r| r.get(0))?;
    for e in events {
        encode(e, &mut data);
    }
    tx.prepare_cached(
        "UPDATE event_blocks SET data = ?2, rows = ?3, first_at = ?4, last_at = ?5 WHERE id = ?1",
    )?
    .execute(params![id, data, rows + events.len() as i64, low, high])?;
    Ok(Some(events.len()))
}

/// Migration step 7's data: the prediction and label events stored before it, packed as blocks,
/// a bounded number of events at a time in storage order. Probabilities were kept only in each
/// event's JSON, so they are read from there.
pub(in crate::storage) fn fill_blocks(tx: &Transaction) -> rusqlite::Result<()> {
    const CHUNK: i64 = 10_000;
    let mut after = 0i64;
    loop {
        let mut statement = tx.prepare(
            "SELECT seq, model_id, kind, version, at, failed, latency_ms, value, prediction_id, body FROM events
             WHERE seq > ?1 AND kind IN ('prediction', 'label') ORDER BY seq LIMIT ?2",
        )?;
        type Key = (i64, String, u32);
        let mut groups: Vec<(Key, Vec<EventFacts>)> = Vec::new();
        let mut read = 0;
        let mut rows = statement.query(params![after, CHUNK])?;
        while let Some(r) = rows.next()? {
            read += 1;
            after = r.get(0)?;
            let key: Key = (r.get(1)?, r.get(2)?, r.get(3)?);
            let body: String = r.get(9)?;
            let probabilities = serde_json::from_str::<serde_json::Value>(&body).ok().and_then(|event| {
                event.get("probabilities")?.as_array()?.iter().map(serde_json::Value::as_f64).collect()
            });
            let facts = EventFacts {
                at: r.get(4)?,
                failed: r.get(5)?,
                latency_ms: r.get(6)?,
                value: r.get(7)?,
                probabilities: if key.1 == "prediction" { probabilities } else { None },
                prediction_id: r.get(8)?,
            };
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, events)) => events.push(facts),
                None => groups.push((key, vec![facts])),
            }
        }
        drop(rows);
        drop(statement);
        for ((model_id, kind, version), events) in &groups {
            store_blocks(tx, *model_id, kind, *version, events.iter().collect())
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.to_string().into()))?;
        }
        if read < CHUNK {
            return Ok(());
        }
    }
}
#[cfg(test)]
mod tests {
    use super::super::tests::{blocks, event, scan, storage};
    use super::*;
    use crate::storage::tests::temp_db;
    use crate::storage::{Durability, Storage, StoredEvent, Window, MIGRATIONS};

    #[test]
    fn small_batches_join_the_newest_block_and_a_long_batch_is_cut_by_the_span() {
        let (_dir, storage) = storage("blocks");
        for i in 0..3 {
            storage
                .ingest(1, &[event(&format!("s{i}"), "prediction", 1_000 + i, &format!("s{i}"), "a")], 0)
                .unwrap();
        }
        assert_eq!(blocks(&storage), [("prediction".to_owned(), 1_000, 1_002, 3)]);
        // Three and a half hours in one batch, out of order: three blocks, none longer than the span.
        let long: Vec<StoredEvent> = (0..8)
            .map(|i| event(&format!("l{i}"), "prediction", 1_000_000 + (7 - i) * BLOCK_SPAN_MS / 2, "x", "a"))
            .collect();
        storage.ingest(1, &long, 0).unwrap();
        let stored = blocks(&storage);
        assert_eq!(stored.len(), 4, "{stored:?}");
        assert!(stored.iter().all(|(_, first, last, _)| last - first <= BLOCK_SPAN_MS));
        assert_eq!(stored.iter().map(|b| b.3).sum::<i64>(), 11);
        assert_eq!(scan(&storage, Window { from: 0, to: i64::MAX }).len(), 11);
    }

    #[test]
    fn step_7_packs_the_events_stored_before_it() {
        let (_dir, path) = temp_db("step7");
        {
            let connection = rusqlite::Connection::open(&path).unwrap();
            for step in &MIGRATIONS[..6] {
                connection.execute_batch(step).unwrap();
            }
            connection.pragma_update(None, "user_version", 6).unwrap();
            connection
                .execute_batch(
                    r#"INSERT INTO users (name, role, password_hash, created_at) VALUES ('m', 'mentor', 'h', 0);
                     INSERT INTO models (name, description, tags, owner_id, created_at) VALUES ('iris', '', '[]', 1, 0);
                     INSERT INTO events (user_id, client_id, kind, model_id, version, at, received_at, prediction_id, body, latency_ms, failed, value)
                     VALUES (1, 'p1', 'prediction', 1, 1, 5, 5, 'a', '{"probabilities": [0.25, 0.75]}', 0.5, 0, 'setosa'),
                            (1, 'l1', 'label', 1, 1, 6, 6, 'a', '{}', NULL, 0, 'setosa'),
                            (1, 'd1', 'drift_report', 1, 1, 7, 7, NULL, '{}', NULL, 0, NULL);"#,
                )
                .unwrap();
        }
        let storage = Storage::open(&path, Durability::Normal).unwrap();
        assert_eq!(
            scan(&storage, Window { from: 0, to: 10 }),
            [(5, 1, Some("setosa".into()), Some("setosa".into()))]
        );
        assert_eq!(blocks(&storage).len(), 2);
    }
}
