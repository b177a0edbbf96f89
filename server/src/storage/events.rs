//! Monitoring events: stored once per (sender, client-made id), however often a batch is sent, and
//! read back by time window for the dashboard module (`server/src/dashboard/`).
//!
//! `INSERT … ON CONFLICT DO NOTHING` tells new events from duplicates. A prediction's latency,
//! failure, output and top probability are kept in columns; the predictions and labels stored are
//! also packed into blocks (`blocks/`) in the same transaction, which is what summaries read. The
//! bytes each user stored per UTC day are counted in `event_usage` and checked against the quota in
//! the same transaction. Reading, [`Storage::scan_predictions`] visits a window's predictions, each
//! with its label, in one read of its blocks, and [`Storage::window_events`] reads the rest of a
//! window (the model, its newest drift report, its last event); percentiles, rates, CBPE and drift
//! are the dashboard module's. [`Storage::profile_batches`] lists the profile events a window's
//! drift merges (the newest 1,000, of the newest version that sent any), and
//! [`Storage::event_bodies`] reads them.

use super::blocks::{scan_predictions, store_blocks, EventFacts, PredictionFacts};
use super::registry::touch;
use super::{now_ms, Storage, StorageError};
use rusqlite::{params, OptionalExtension};
use std::collections::HashMap;
use tabml::drift::CbpeReference;

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
    /// Prediction: the class probabilities (kept in the event's block, for CBPE).
    pub probabilities: Option<Vec<f64>>,
}

/// The model, kind and version of a block's events.
type BlockKey<'a> = (i64, &'a str, u32);

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
            // The predictions and labels stored now, per model, kind and version, for their blocks.
            let mut blocks: Vec<(BlockKey, Vec<EventFacts>)> = Vec::new();
            // The models of the events stored now (a batch names few).
            let mut touched: Vec<i64> = Vec::new();
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
                    if !touched.contains(&e.model_id) {
                        touched.push(e.model_id);
                    }
                    bytes += e.body.len() as u64;
                    outcome.accepted.push(e.client_id.clone());
                    if matches!(e.kind, "prediction" | "label") {
                        let facts = EventFacts {
                            at: e.at,
                            failed: e.failed,
                            latency_ms: e.latency_ms,
                            value: e.value.clone(),
                            probabilities: e.probabilities.clone(),
                            prediction_id: e.prediction_id.clone(),
                        };
                        let key = (e.model_id, e.kind, e.version);
                        match blocks.iter_mut().find(|(k, _)| *k == key) {
                            Some((_, group)) => group.push(facts),
                            None => blocks.push((key, vec![facts])),
                        }
                    }
                } else {
                    outcome.duplicates.push(e.client_id.clone());
                }
            }
            drop(insert);
            // Every model with an event stored now has changed, whatever the kind.
            for model_id in touched {
                touch(tx, model_id)?;
            }
            for ((model_id, kind, version), group) in &blocks {
                store_blocks(tx, *model_id, kind, *version, group.iter().collect())?;
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

/// A time window, in Unix milliseconds: `from` inclusive, `to` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start.
    pub from: i64,
    /// End.
    pub to: i64,
}

/// What a window's summary reads besides its predictions (which [`Storage::scan_predictions`]
/// visits): the model, its drift report and when it was last heard of.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowEvents {
    /// The model's name.
    pub model: String,
    /// Whether the model's newest version is a regressor.
    pub regression: bool,
    /// The newest drift report a client sent in the window.
    pub drift_report: Option<StoredReport>,
    /// When the model's newest event of any kind happened (in any window).
    pub last_event_at: Option<i64>,
}

/// A drift report event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    /// The version it is about.
    pub version: u32,
    /// When the client made it.
    pub at: i64,
    /// The whole event, as JSON.
    pub body: String,
}

impl Storage {
    /// What a model's window holds besides its predictions (see [`WindowEvents`]).
    pub fn window_events(&self, model_id: i64, window: Window) -> Result<WindowEvents, StorageError> {
        self.read(|c| {
            let model: String =
                c.query_row("SELECT name FROM models WHERE id = ?1", params![model_id], |r| r.get(0))?;
            let task: Option<String> = c
                .query_row(
                    "SELECT task FROM versions WHERE model_id = ?1 ORDER BY version DESC LIMIT 1",
                    params![model_id],
                    |r| r.get(0),
                )
                .optional()?;
            let drift_report = c
                .query_row(
                    "SELECT version, at, body FROM events
                     WHERE model_id = ?1 AND kind = 'drift_report' AND at >= ?2 AND at < ?3
                     ORDER BY at DESC, seq DESC LIMIT 1",
                    params![model_id, window.from, window.to],
                    |r| Ok(StoredReport { version: r.get(0)?, at: r.get(1)?, body: r.get(2)? }),
                )
                .optional()?;
            let last_event_at = c.query_row(
                "SELECT MAX(at) FROM events WHERE model_id = ?1 AND kind IN ('prediction', 'label', 'drift_report', 'profile')",
                params![model_id],
                |r| r.get(0),
            )?;
            Ok(WindowEvents { model, regression: task.as_deref() == Some("regression"), drift_report, last_event_at })
        })
    }

    /// Visits every prediction of a model in `window`, each with its label: the latest label
    /// (by client time) made at or after `labels_since` for its prediction id (see
    /// [`PredictionFacts`]). One read of the window's blocks, by block start, each block's
    /// predictions in the order stored; nothing is allocated per prediction. Two scans of adjacent windows with the same
    /// `labels_since` visit each prediction as one scan of both would, in the same order.
    pub fn scan_predictions(
        &self,
        model_id: i64,
        window: Window,
        labels_since: i64,
        mut visit: impl FnMut(&PredictionFacts),
    ) -> Result<(), StorageError> {
        self.read(|c| scan_predictions(c, model_id, window, labels_since, &mut visit))
    }

    /// The drifted share the newest drift report of each of `windows` gives (in order; `None`
    /// where none came, or the newest does not say both whether the data set drifted and what share
    /// did, as a dashboard reads it), in one read. SQLite reads the two fields out of each report;
    /// only the newest [`MAX_SERIES_REPORTS`] reports of the span are read.
    pub fn drift_report_shares(
        &self,
        model_id: i64,
        windows: &[Window],
    ) -> Result<Vec<Option<f64>>, StorageError> {
        let (Some(first), Some(last)) = (windows.first(), windows.last()) else { return Ok(Vec::new()) };
        self.read(|c| {
            let mut shares: Vec<Option<Option<f64>>> = vec![None; windows.len()];
            let mut statement = c.prepare_cached(
                "SELECT at,
                        json_type(body, '$.report.dataset_drift') IN ('true', 'false')
                        AND json_type(body, '$.report.drifted_share') IN ('integer', 'real'),
                        json_extract(body, '$.report.drifted_share')
                 FROM events WHERE model_id = ?1 AND kind = 'drift_report' AND at >= ?2 AND at < ?3
                 ORDER BY at DESC, seq DESC LIMIT ?4",
            )?;
            let mut rows = statement.query(params![model_id, first.from, last.to, MAX_SERIES_REPORTS])?;
            while let Some(r) = rows.next()? {
                let at: i64 = r.get(0)?;
                // Newest first, so the first report met in a window is its newest.
                if let Some(share @ None) = window_of(windows, at).map(|i| &mut shares[i]) {
                    let readable: bool = r.get(1)?;
                    *share = Some(if readable { r.get(2)? } else { None });
                }
            }
            Ok(shares.into_iter().map(Option::flatten).collect())
        })
    }

    /// The CBPE reference kept beside each version of a model that has one.
    pub fn cbpe_references(&self, model_id: i64) -> Result<HashMap<u32, CbpeReference>, StorageError> {
        let rows: Vec<(u32, Vec<u8>)> = self.read(|c| {
            let mut statement = c.prepare_cached(
                "SELECT version, cbpe FROM version_references WHERE model_id = ?1 AND cbpe IS NOT NULL",
            )?;
            let rows = statement.query_map(params![model_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })?;
        // One this build cannot read is left out, as `version_reference` leaves it out.
        Ok(rows.into_iter().filter_map(|(v, bytes)| Some((v, postcard::from_bytes(&bytes).ok()?))).collect())
    }
}

/// Which of `windows` (in order, none overlapping) holds `at`: the last one starting at or before it,
/// if it has not ended.
fn window_of(windows: &[Window], at: i64) -> Option<usize> {
    let i = windows.partition_point(|w| w.from <= at).checked_sub(1)?;
    (at < windows[i].to).then_some(i)
}

/// Drift reports a series reads at most: the newest this many in its span.
pub const MAX_SERIES_REPORTS: u32 = 10_000;

/// Profiles merged per dashboard at most: the newest this many in the window.
pub const MAX_MERGED_PROFILES: u32 = 1_000;

/// The profile events a window's drift merges: those of the newest version that sent any, the
/// newest [`MAX_MERGED_PROFILES`] of them, in the order they were stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileBatches {
    /// The version they profile.
    pub version: u32,
    /// Each event's storage sequence number and client time, by sequence number.
    pub events: Vec<(i64, i64)>,
}

impl Storage {
    /// Which profile events a window's drift merges (`None` when no profile came in the window).
    pub fn profile_batches(
        &self,
        model_id: i64,
        window: Window,
    ) -> Result<Option<ProfileBatches>, StorageError> {
        self.read(|c| {
            let version: Option<u32> = c.query_row(
                "SELECT MAX(version) FROM events WHERE model_id = ?1 AND kind = 'profile' AND at >= ?2 AND at < ?3",
                params![model_id, window.from, window.to],
                |r| r.get(0),
            )?;
            let Some(version) = version else { return Ok(None) };
            let mut events = c
                .prepare_cached(
                    "SELECT seq, at FROM events WHERE model_id = ?1 AND version = ?2 AND kind = 'profile' AND at >= ?3 AND at < ?4
                     ORDER BY at DESC, seq DESC LIMIT ?5",
                )?
                .query_map(params![model_id, version, window.from, window.to, MAX_MERGED_PROFILES], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            events.sort_unstable();
            Ok(Some(ProfileBatches { version, events }))
        })
    }

    /// Which profile events each of `windows` (in order, none overlapping) merges, as
    /// [`Storage::profile_batches`] picks them for one window (`None` where none came), in one read.
    /// At most [`MAX_MERGED_PROFILES`] in all: the newest of the span, so older windows may lose
    /// theirs.
    pub fn profile_batches_by_window(
        &self,
        model_id: i64,
        windows: &[Window],
    ) -> Result<Vec<Option<ProfileBatches>>, StorageError> {
        let (Some(first), Some(last)) = (windows.first(), windows.last()) else { return Ok(Vec::new()) };
        let mut found: Vec<Vec<(i64, i64, u32)>> = vec![Vec::new(); windows.len()];
        self.read(|c| {
            let mut statement = c.prepare_cached(
                "SELECT seq, at, version FROM events WHERE model_id = ?1 AND kind = 'profile' AND at >= ?2 AND at < ?3
                 ORDER BY at DESC, seq DESC LIMIT ?4",
            )?;
            let mut rows = statement.query(params![model_id, first.from, last.to, MAX_MERGED_PROFILES])?;
            while let Some(r) = rows.next()? {
                let at: i64 = r.get(1)?;
                if let Some(i) = window_of(windows, at) {
                    found[i].push((r.get(0)?, at, r.get(2)?));
                }
            }
            Ok(())
        })?;
        Ok(found
            .into_iter()
            .map(|events| {
                let version = events.iter().map(|e| e.2).max()?;
                let mut events: Vec<(i64, i64)> =
                    events.into_iter().filter(|e| e.2 == version).map(|(seq, at, _)| (seq, at)).collect();
                events.sort_unstable();
                Some(ProfileBatches { version, events })
            })
            .collect())
    }

    /// The stored bodies (event JSON) of these events, in the same order.
    pub fn event_bodies(&self, seqs: &[i64]) -> Result<Vec<String>, StorageError> {
        self.read(|c| {
            let mut statement = c.prepare_cached("SELECT body FROM events WHERE seq = ?1")?;
            seqs.iter().map(|seq| Ok(statement.query_row(params![seq], |r| r.get(0))?)).collect()
        })
    }
}
