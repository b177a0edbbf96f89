//! Monitoring events: stored once per (sender, client-made id), however often a batch is sent.
//!
//! `INSERT … ON CONFLICT DO NOTHING` tells new events from duplicates. A prediction's latency,
//! failure, output and top probability are kept in columns for the summaries. The bytes each user
//! stored per UTC day are counted in `event_usage` and checked against the quota in the same
//! transaction.

use super::{now_ms, Storage, StorageError};
use rusqlite::params;

/// A day in Unix milliseconds; quotas count per UTC day.
const DAY_MS: i64 = 86_400_000;

/// One event ready to store: checked, its model resolved, its body as JSON text.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// The client's id for the event.
    pub client_id: String,
    /// `prediction`, `label`, `drift_report` or `profile`.
    pub kind: &'static str,
    /// The model it concerns.
    pub model_id: i64,
    /// The version.
    pub version: u32,
    /// When it happened on the client (Unix milliseconds).
    pub at: i64,
    /// The prediction it is or belongs to.
    pub prediction_id: Option<String>,
    /// The whole event as JSON.
    pub body: String,
    /// Prediction: scoring latency (ms).
    pub latency_ms: Option<f64>,
    /// Prediction: whether scoring failed.
    pub failed: bool,
    /// Prediction: the output; label: the true value (numbers written the shortest way, so the two
    /// compare as text).
    pub value: Option<String>,
    /// Prediction: the top-class probability.
    pub confidence: Option<f64>,
}

/// Which ids of a batch were stored now and which were there already.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    /// Stored now.
    pub accepted: Vec<String>,
    /// Stored before (or earlier in the same batch).
    pub duplicates: Vec<String>,
}

impl Storage {
    /// Stores a batch of events sent by `user_id`, in one transaction: all or nothing. The bytes of
    /// the events stored now count against the user's `bytes_per_day` (0: no quota); a batch that
    /// would go past it is refused whole.
    pub fn ingest(
        &self,
        user_id: i64,
        events: &[StoredEvent],
        bytes_per_day: u64,
    ) -> Result<IngestOutcome, StorageError> {
        let received = now_ms();
        self.write(|tx| {
            let mut insert = tx.prepare_cached(
                "INSERT INTO events (user_id, client_id, kind, model_id, version, at, received_at, prediction_id, body,
                                     latency_ms, failed, value, confidence)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (user_id, client_id) DO NOTHING",
            )?;
            let mut outcome = IngestOutcome::default();
            let mut bytes = 0u64;
            for e in events {
                let stored = insert.execute(params![
                    user_id,
                    e.client_id,
                    e.kind,
                    e.model_id,
                    e.version,
                    e.at,
                    received,
                    e.prediction_id,
                    e.body,
                    e.latency_ms,
                    e.failed,
                    e.value,
                    e.confidence
                ])?;
                if stored == 1 {
                    bytes += e.body.len() as u64;
                    outcome.accepted.push(e.client_id.clone());
                } else {
                    outcome.duplicates.push(e.client_id.clone());
                }
            }
            if bytes > 0 {
                let day = received.div_euclid(DAY_MS);
                let today: i64 = tx.query_row(
                    "INSERT INTO event_usage (user_id, day, bytes) VALUES (?1, ?2, ?3)
                     ON CONFLICT (user_id, day) DO UPDATE SET bytes = bytes + excluded.bytes RETURNING bytes",
                    params![user_id, day, bytes as i64],
                    |r| r.get(0),
                )?;
                if bytes_per_day > 0 && today as u64 > bytes_per_day {
                    // Returning the error rolls the batch back, usage included.
                    return Err(StorageError::QuotaExceeded {
                        used: today as u64 - bytes,
                        batch: bytes,
                        quota: bytes_per_day,
                        retry_after: ((day + 1) * DAY_MS - received + 999) as u64 / 1000,
                    });
                }
            }
            Ok(outcome)
        })
    }

    /// The client ids of every event `user_id` has stored, in arrival order (the exactly-once test
    /// reads this).
    pub fn event_ids(&self, user_id: i64) -> Result<Vec<String>, StorageError> {
        self.read(|c| {
            let mut statement = c.prepare("SELECT client_id FROM events WHERE user_id = ?1 ORDER BY seq")?;
            let ids = statement.query_map(params![user_id], |r| r.get(0))?;
            Ok(ids.collect::<Result<_, _>>()?)
        })
    }
}
