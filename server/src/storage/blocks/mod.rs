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
//!
//! The blocks' bytes are read and written here; `write.rs` packs events into blocks as they are
//! stored (and, for migration step 7, the events stored before), and `scan.rs` reads a window's
//! blocks back, each prediction with its label.

mod scan;
mod write;

pub(super) use scan::scan_predictions;
pub use scan::PredictionFacts;
pub(super) use write::{fill_blocks, store_blocks};

use super::StorageError;

/// The longest stretch of client time one block spans: a window reads the blocks that start up to
/// this long before it, and drops their entries outside it.
pub const BLOCK_SPAN_MS: i64 = 3_600_000;

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

#[cfg(test)]
mod tests {
    use super::super::tests::temp_db;
    use super::super::{Durability, Storage, StoredEvent, Window};
    use super::*;
    use tabml::api::{NewModel, Role};

    /// A database with one model (id 1), owned by user 1.
    pub(super) fn storage(name: &str) -> (tempfile::TempDir, Storage) {
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

    pub(super) fn event(id: &str, kind: &'static str, at: i64, prediction: &str, value: &str) -> StoredEvent {
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
    pub(super) fn scan(storage: &Storage, window: Window) -> Vec<(i64, u32, Option<String>, Option<String>)> {
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

    pub(super) fn blocks(storage: &Storage) -> Vec<(String, i64, i64, i64)> {
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
