//! Predictions and labels packed in blocks, so that a window of a million predictions reads as a
//! few hundred blobs rather than a million rows.
//!
//! What the dashboards, series and the class overview read of an event is kept a second time, in
//! `event_blocks`, beside the event rows and in the same transaction, so the two never disagree: of
//! a prediction, when it happened, whether scoring failed, its latency, its output, its class
//! probabilities and its prediction id; of a label, when, its value and its prediction id. A block
//! holds events of one model, kind and version, at most [`BLOCK_SPAN_MS`] apart in client time: a
//! batch makes one block per model, kind and version (more if it spans longer), and a small batch
//! joins the model's newest block while that is small, so a client sending one event at a time
//! does not make a block per event. SQLite spends about as long on each row it steps through as it
//! takes to decode a whole event here; a scan of rows of a million predictions took it 0.3 s on the
//! development machine before any of our work, reading the same events as blocks a tenth of that.
//!
//! A block is a run of entries, each: `at` (i64), a flag byte (failed, and which of the rest
//! follow), latency (f64), value (u32 length + UTF-8), probabilities (u16 count + f64s), prediction
//! id (u16 length + UTF-8); numbers little-endian. Migration step 7 packs the events stored before
//! it ([`fill_blocks`]).

use super::{StorageError, Window};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use std::collections::HashMap;

/// The longest stretch of client time one block spans: a window reads the blocks that start up to
/// this long before it, and drops their entries outside it.
pub const BLOCK_SPAN_MS: i64 = 3_600_000;

/// A batch's group of fewer events than this joins the newest block of its model, kind and version
/// while that block also holds fewer.
const SMALL_BLOCK: usize = 512;

/// What a block keeps of one event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFacts {
    /// When it happened on the client (Unix milliseconds).
    pub at: i64,
    /// Prediction: whether scoring failed.
    pub failed: bool,
    /// Prediction: scoring latency (ms).
    pub latency_ms: Option<f64>,
    /// Prediction: the output; label: the true value (as `StoredEvent::value`).
    pub value: Option<String>,
    /// Prediction: the class probabilities sent.
    pub probabilities: Option<Vec<f64>>,
    /// The prediction it is or belongs to.
    pub prediction_id: Option<String>,
}

const FAILED: u8 = 1;
const LATENCY: u8 = 2;
const VALUE: u8 = 4;
const PROBABILITIES: u8 = 8;
const PREDICTION_ID: u8 = 16;

fn encode(facts: &EventFacts, out: &mut Vec<u8>) {
    let mut flags = if facts.failed { FAILED } else { 0 };
    flags |= if facts.latency_ms.is_some() { LATENCY } else { 0 };
    flags |= if facts.value.is_some() { VALUE } else { 0 };
    flags |= if facts.probabilities.is_some() { PROBABILITIES } else { 0 };
    flags |= if facts.prediction_id.is_some() { PREDICTION_ID } else { 0 };
    out.extend_from_slice(&facts.at.to_le_bytes());
    out.push(flags);
    if let Some(latency) = facts.latency_ms {
        out.extend_from_slice(&latency.to_le_bytes());
    }
    if let Some(value) = &facts.value {
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        out.extend_from_slice(value.as_bytes());
    }
    if let Some(probabilities) = &facts.probabilities {
        // The API takes at most 1,000 classes (`routes/events.rs`).
        out.extend_from_slice(&(probabilities.len() as u16).to_le_bytes());
        for p in probabilities {
            out.extend_from_slice(&p.to_le_bytes());
        }
    }
    if let Some(id) = &facts.prediction_id {
        // At most 128 characters (`routes/events.rs`): 512 bytes.
        out.extend_from_slice(&(id.len() as u16).to_le_bytes());
        out.extend_from_slice(id.as_bytes());
    }
}

/// One entry of a block as read, borrowing the block's bytes.
struct Entry<'a> {
    at: i64,
    failed: bool,
    latency_ms: Option<f64>,
    value: Option<&'a str>,
    /// The probabilities' bytes (8 per class).
    probabilities: &'a [u8],
    prediction_id: Option<&'a [u8]>,
}

/// Reads a block's entries in order.
struct Entries<'a> {
    bytes: &'a [u8],
}

impl<'a> Entries<'a> {
    #[inline(always)]
    fn take(&mut self, n: usize) -> Result<&'a [u8], StorageError> {
        if self.bytes.len() < n {
            return Err(StorageError::Corrupt("a block of events ends inside an event".into()));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u16(&mut self) -> Result<usize, StorageError> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().expect("two bytes")) as usize)
    }

    fn text(&mut self, len: usize) -> Result<&'a str, StorageError> {
        std::str::from_utf8(self.take(len)?)
            .map_err(|_| StorageError::Corrupt("a block of events holds text that is not UTF-8".into()))
    }

    #[inline]
    fn next_entry(&mut self) -> Result<Option<Entry<'a>>, StorageError> {
        if self.bytes.is_empty() {
            return Ok(None);
        }
        let at = i64::from_le_bytes(self.take(8)?.try_into().expect("eight bytes"));
        let flags = self.take(1)?[0];
        let latency_ms = if flags & LATENCY != 0 {
            Some(f64::from_le_bytes(self.take(8)?.try_into().expect("eight bytes")))
        } else {
            None
        };
        let value = if flags & VALUE != 0 {
            let len = u32::from_le_bytes(self.take(4)?.try_into().expect("four bytes")) as usize;
            Some(self.text(len)?)
        } else {
            None
        };
        let probabilities = if flags & PROBABILITIES != 0 {
            let classes = self.u16()?;
            self.take(classes * 8)?
        } else {
            &[]
        };
        let prediction_id = if flags & PREDICTION_ID != 0 {
            let len = self.u16()?;
            Some(self.take(len)?)
        } else {
            None
        };
        Ok(Some(Entry { at, failed: flags & FAILED != 0, latency_ms, value, probabilities, prediction_id }))
    }
}

/// Stores events of one model and kind as blocks: grouped by version, ordered by time, cut where a
/// block would span more than [`BLOCK_SPAN_MS`]; a small group joins the newest block of its model,
/// kind and version while that is small and stays within the span.
pub(super) fn store_blocks(
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

/// One prediction as a window's scan reads it, with its label when one came.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PredictionFacts<'a> {
    /// When it happened on the client (Unix milliseconds).
    pub at: i64,
    /// The version that made it.
    pub version: u32,
    /// Whether scoring failed.
    pub failed: bool,
    /// Scoring latency (ms).
    pub latency_ms: Option<f64>,
    /// The output (a number written the shortest way).
    pub output: Option<&'a str>,
    /// The class probabilities sent (empty: none).
    pub probabilities: &'a [f64],
    /// The prediction's label: the value of the latest label event (by client time) made since the
    /// scan's start for its prediction id (none read for a prediction that failed).
    pub label: Option<&'a str>,
}

/// Reads the label blocks of a model from `from` on: the latest label per prediction id.
fn labels_from(c: &Connection, model_id: i64, from: i64) -> Result<Vec<Vec<u8>>, StorageError> {
    let mut statement = c.prepare_cached(
        "SELECT data FROM event_blocks WHERE model_id = ?1 AND kind = 'label' AND first_at >= ?2 AND last_at >= ?3",
    )?;
    let blocks = statement
        .query_map(params![model_id, from.saturating_sub(BLOCK_SPAN_MS), from], |r| r.get(0))?
        .collect::<Result<Vec<Vec<u8>>, _>>()?;
    Ok(blocks)
}

/// Visits every prediction of a model in `window`, each with its label (made at or after
/// `labels_since`), block by block: by block start, each block's in the order stored. The label
/// blocks read are kept while the predictions are visited, so labels cost no allocation each;
/// predictions are decoded in place.
pub(super) fn scan_predictions<F: FnMut(&PredictionFacts)>(
    c: &Connection,
    model_id: i64,
    window: Window,
    labels_since: i64,
    visit: &mut F,
) -> Result<(), StorageError> {
    let label_blocks = labels_from(c, model_id, labels_since)?;
    let mut labels: HashMap<&[u8], (i64, &str)> = HashMap::new();
    for block in &label_blocks {
        let mut entries = Entries { bytes: block };
        while let Some(e) = entries.next_entry()? {
            let (Some(id), Some(value)) = (e.prediction_id, e.value) else { continue };
            if e.at < labels_since {
                continue;
            }
            let latest = labels.entry(id).or_insert((e.at, value));
            if e.at >= latest.0 {
                *latest = (e.at, value);
            }
        }
    }
    let labelled = Sieve::of(labels.keys().copied(), labels.len());
    let mut statement = c.prepare_cached(
        "SELECT version, data FROM event_blocks
         WHERE model_id = ?1 AND kind = 'prediction' AND first_at >= ?2 AND first_at < ?3 AND last_at >= ?4
         ORDER BY first_at, id",
    )?;
    let mut rows = statement.query(params![
        model_id,
        window.from.saturating_sub(BLOCK_SPAN_MS),
        window.to,
        window.from
    ])?;
    let mut probabilities: Vec<f64> = Vec::new();
    while let Some(row) = rows.next()? {
        let version: u32 = row.get(0)?;
        let bytes = row.get_ref(1)?.as_blob().map_err(|e| StorageError::Corrupt(e.to_string()))?;
        let mut entries = Entries { bytes };
        while let Some(e) = entries.next_entry()? {
            if e.at < window.from || e.at >= window.to {
                continue;
            }
            probabilities.clear();
            probabilities.extend(
                e.probabilities
                    .chunks_exact(8)
                    .map(|b| f64::from_le_bytes(b.try_into().expect("eight bytes"))),
            );
            let label = match e.prediction_id {
                Some(id) if !e.failed && labelled.may_hold(id) => labels.get(id).map(|(_, value)| *value),
                _ => None,
            };
            visit(&PredictionFacts {
                at: e.at,
                version,
                failed: e.failed,
                latency_ms: e.latency_ms,
                output: e.value,
                probabilities: &probabilities,
                label,
            });
        }
    }
    Ok(())
}

/// A Bloom filter of the labelled prediction ids, with two probes of one cheap hash: most
/// predictions have no label, and this tells most of those apart in a few nanoseconds, before the
/// map's SipHash lookup. The map stays the authority, so an id crafted to pass the sieve costs no
/// more than that lookup.
struct Sieve {
    bits: Vec<u64>,
    mask: u64,
}

impl Sieve {
    /// A sieve of `n` ids, about sixteen bits each (about one in a hundred unlabelled ids passes).
    fn of<'a>(ids: impl Iterator<Item = &'a [u8]>, n: usize) -> Self {
        let bits = (n * 16).next_power_of_two().max(64);
        let mut sieve = Self { bits: vec![0; bits / 64], mask: bits as u64 - 1 };
        for id in ids {
            let (a, b) = sieve.probes(id);
            sieve.bits[(a / 64) as usize] |= 1 << (a % 64);
            sieve.bits[(b / 64) as usize] |= 1 << (b % 64);
        }
        sieve
    }

    fn probes(&self, id: &[u8]) -> (u64, u64) {
        let mut h: u64 = 0x9E37_79B9_7F4A_7C15 ^ id.len() as u64;
        let mut chunks = id.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            h = (h ^ word).wrapping_mul(0xBF58_476D_1CE4_E5B9).rotate_left(31);
        }
        let mut last = [0u8; 8];
        last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        h = (h ^ u64::from_le_bytes(last)).wrapping_mul(0x94D0_49BB_1331_11EB);
        h ^= h >> 29;
        (h & self.mask, (h >> 32) & self.mask)
    }

    /// Whether `id` may be one of the ids (false: it is not).
    fn may_hold(&self, id: &[u8]) -> bool {
        let (a, b) = self.probes(id);
        self.bits[(a / 64) as usize] & (1 << (a % 64)) != 0
            && self.bits[(b / 64) as usize] & (1 << (b % 64)) != 0
    }
}

/// Migration step 7's data: the prediction and label events stored before it, packed as blocks,
/// a bounded number of events at a time in storage order. Probabilities were kept only in each
/// event's JSON, so they are read from there.
pub(super) fn fill_blocks(tx: &Transaction) -> rusqlite::Result<()> {
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
    use super::super::tests::temp_db;
    use super::super::{Durability, Storage, StoredEvent, MIGRATIONS};
    use super::*;
    use tabml::api::{NewModel, Role};

    /// A database with one model (id 1), owned by user 1.
    fn storage(name: &str) -> (tempfile::TempDir, Storage) {
        let (dir, path) = temp_db(name);
        let storage = Storage::open(&path, Durability::Normal).unwrap();
        let owner = super::super::NewUser { name: "m", role: Role::Mentor, password_hash: "h" };
        let owner = storage.create_user(&owner).unwrap();
        let model = NewModel {
            name: "iris".into(),
            description: String::new(),
            card: None,
            tags: vec![],
            class: None,
        };
        storage.create_model(owner.id, None, &model).unwrap();
        (dir, storage)
    }

    fn event(id: &str, kind: &'static str, at: i64, prediction: &str, value: &str) -> StoredEvent {
        StoredEvent {
            client_id: id.into(),
            kind,
            model_id: 1,
            version: 1,
            at,
            prediction_id: Some(prediction.into()),
            body: "{}".into(),
            latency_ms: (kind == "prediction").then_some(at as f64 / 10.0),
            failed: false,
            value: Some(value.into()),
            confidence: None,
            probabilities: (kind == "prediction").then(|| vec![0.25, 0.75]),
        }
    }

    /// What a scan of `window` visits, as (at, version, output, label), by time.
    fn scan(storage: &Storage, window: Window) -> Vec<(i64, u32, Option<String>, Option<String>)> {
        let mut seen = Vec::new();
        storage
            .scan_predictions(1, window, window.from, |p| {
                assert_eq!(p.probabilities, [0.25, 0.75]);
                seen.push((p.at, p.version, p.output.map(String::from), p.label.map(String::from)));
            })
            .unwrap();
        seen.sort_by_key(|s| s.0);
        seen
    }

    fn blocks(storage: &Storage) -> Vec<(String, i64, i64, i64)> {
        storage
            .read(|c| {
                let mut statement = c.prepare(
                    "SELECT kind, first_at, last_at, rows FROM event_blocks ORDER BY kind, first_at",
                )?;
                let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .unwrap()
    }

    #[test]
    fn the_sieve_lets_every_labelled_id_through_and_few_others() {
        let labelled: Vec<String> = (0..10_000).map(|i| format!("prediction-{i}")).collect();
        let sieve = Sieve::of(labelled.iter().map(|id| id.as_bytes()), labelled.len());
        assert!(labelled.iter().all(|id| sieve.may_hold(id.as_bytes())));
        let passed = (0..100_000).filter(|i| sieve.may_hold(format!("other-{i}").as_bytes())).count();
        assert!(passed < 2_000, "{passed} of 100,000 unlabelled ids passed");
        assert!(!Sieve::of(std::iter::empty(), 0).may_hold(b"x"));
    }

    #[test]
    fn a_window_reads_its_predictions_with_their_latest_labels_since_it_began() {
        let (_dir, storage) = storage("labels");
        let hour = BLOCK_SPAN_MS;
        let mut batch = vec![
            event("p1", "prediction", 10 * hour, "a", "setosa"),
            event("p2", "prediction", 10 * hour + 5, "b", "setosa"),
            event("p3", "prediction", 11 * hour, "c", "virginica"),
            // Outside the window on either side.
            event("p0", "prediction", 10 * hour - 1, "z", "setosa"),
            event("p4", "prediction", 12 * hour, "y", "setosa"),
        ];
        batch[1].version = 2;
        storage.ingest(1, &batch, 0).unwrap();
        storage
            .ingest(
                1,
                &[
                    // Made before the window began: not read.
                    event("l0", "label", 10 * hour - 1, "c", "setosa"),
                    event("l1", "label", 13 * hour, "a", "setosa"),
                    // Two labels for b: the later one counts, whatever order they came in.
                    event("l3", "label", 14 * hour, "b", "versicolor"),
                    event("l2", "label", 13 * hour, "b", "setosa"),
                ],
                0,
            )
            .unwrap();
        let window = Window { from: 10 * hour, to: 12 * hour };
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(
            scan(&storage, window),
            [
                (10 * hour, 1, some("setosa"), some("setosa")),
                (10 * hour + 5, 2, some("setosa"), some("versicolor")),
                (11 * hour, 1, some("virginica"), None),
            ]
        );
        // The same events sent again are stored once, and so packed once.
        storage.ingest(1, &batch, 0).unwrap();
        assert_eq!(scan(&storage, window).len(), 3);
    }

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

    #[test]
    fn entries_read_back_as_written_and_a_cut_block_is_refused() {
        let facts = [
            EventFacts {
                at: -5,
                failed: true,
                latency_ms: Some(0.25),
                value: None,
                probabilities: None,
                prediction_id: Some("p-1".into()),
            },
            EventFacts {
                at: 1_700_000_000_000,
                failed: false,
                latency_ms: None,
                value: Some("versicolor".into()),
                probabilities: Some(vec![0.1, 0.7, 0.2]),
                prediction_id: Some("p-ü".into()),
            },
            EventFacts::default(),
        ];
        let mut bytes = Vec::new();
        for f in &facts {
            encode(f, &mut bytes);
        }
        let mut entries = Entries { bytes: &bytes };
        let mut read = Vec::new();
        while let Some(e) = entries.next_entry().unwrap() {
            read.push(EventFacts {
                at: e.at,
                failed: e.failed,
                latency_ms: e.latency_ms,
                value: e.value.map(String::from),
                probabilities: (!e.probabilities.is_empty()).then(|| {
                    e.probabilities
                        .chunks_exact(8)
                        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
                        .collect()
                }),
                prediction_id: e.prediction_id.map(|id| String::from_utf8(id.to_vec()).unwrap()),
            });
        }
        assert_eq!(read, facts);
        let mut cut = Entries { bytes: &bytes[..bytes.len() - 12] };
        cut.next_entry().unwrap();
        assert!(matches!(cut.next_entry(), Err(StorageError::Corrupt(_))));
    }
}
