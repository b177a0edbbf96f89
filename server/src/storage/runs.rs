//! Tracked training runs: parameters (fixed once logged), metrics with their history, and tags.

use super::{now_ms, Storage, StorageError};
use rusqlite::{params, OptionalExtension};
use std::collections::BTreeMap;
use tabml::api::{RunBatch, RunComparison, RunInfo, RunPage};

/// A search of runs.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Runs of this registered model.
    pub model_id: Option<i64>,
    /// Runs by this user (by name).
    pub owner: Option<String>,
    /// At most this many.
    pub limit: u32,
    /// Skip this many first.
    pub offset: u64,
}

impl Storage {
    /// Starts a run owned by `owner_id`.
    pub fn create_run(
        &self,
        owner_id: i64,
        name: &str,
        model_id: Option<i64>,
    ) -> Result<RunInfo, StorageError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO runs (name, owner_id, model_id, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![name, owner_id, model_id, now_ms()],
            )?;
            run_info(tx, tx.last_insert_rowid())
        })
    }

    /// The owner of run `id`.
    pub fn run_owner(&self, id: i64) -> Result<i64, StorageError> {
        self.read(|c| {
            c.query_row("SELECT owner_id FROM runs WHERE id = ?1", params![id], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StorageError::NotFound(format!("there is no run {id}")))
        })
    }

    /// Logs a batch in one transaction. A parameter logged again with another value is a conflict,
    /// and then nothing of the batch is kept.
    pub fn log_batch(&self, id: i64, batch: &RunBatch) -> Result<RunInfo, StorageError> {
        let now = now_ms();
        self.write(|tx| {
            for p in &batch.params {
                let old: Option<String> = tx
                    .query_row(
                        "SELECT value FROM run_params WHERE run_id = ?1 AND key = ?2",
                        params![id, p.key],
                        |r| r.get(0),
                    )
                    .optional()?;
                match old {
                    Some(old) if old != p.value => {
                        return Err(StorageError::Conflict(format!(
                            "param {:?} is already {old:?} in run {id}; a parameter keeps its first value",
                            p.key
                        )))
                    }
                    Some(_) => {}
                    None => {
                        tx.execute(
                            "INSERT INTO run_params (run_id, key, value) VALUES (?1, ?2, ?3)",
                            params![id, p.key, p.value],
                        )?;
                    }
                }
            }
            for t in &batch.tags {
                tx.execute(
                    "INSERT INTO run_tags (run_id, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
                    params![id, t.key, t.value],
                )?;
            }
            let mut insert = tx.prepare_cached(
                "INSERT INTO run_metrics (run_id, key, value, step, timestamp) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for m in &batch.metrics {
                insert.execute(params![id, m.key, m.value, m.step, m.timestamp.unwrap_or(now)])?;
            }
            run_info(tx, id)
        })
    }

    /// One run.
    pub fn run(&self, id: i64) -> Result<RunInfo, StorageError> {
        self.read(|c| run_info(c, id))
    }

    /// A page of runs, newest first.
    pub fn search_runs(&self, filter: &RunFilter) -> Result<RunPage, StorageError> {
        self.read(|c| {
            let condition = "(?1 IS NULL OR r.model_id = ?1) AND (?2 IS NULL OR u.name = ?2)";
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM runs r JOIN users u ON u.id = r.owner_id WHERE {condition}"),
                params![filter.model_id, filter.owner],
                |r| r.get(0),
            )?;
            let ids = c
                .prepare(&format!(
                    "SELECT r.id FROM runs r JOIN users u ON u.id = r.owner_id WHERE {condition}
                     ORDER BY r.id DESC LIMIT ?3 OFFSET ?4"
                ))?
                .query_map(params![filter.model_id, filter.owner, filter.limit, filter.offset as i64], |r| {
                    r.get::<_, i64>(0)
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let runs = ids.into_iter().map(|id| run_info(c, id)).collect::<Result<Vec<_>, _>>()?;
            let next_offset = super::next_offset(filter.offset, runs.len(), total);
            Ok(RunPage { runs, total: total as u64, next_offset })
        })
    }

    /// Runs side by side: every parameter and metric any of them has.
    pub fn compare_runs(&self, ids: &[i64]) -> Result<RunComparison, StorageError> {
        self.read(|c| {
            let runs = ids.iter().map(|&id| run_info(c, id)).collect::<Result<Vec<_>, _>>()?;
            let mut params: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
            let mut metrics: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
            for (i, run) in runs.iter().enumerate() {
                for (k, v) in &run.params {
                    params.entry(k.clone()).or_insert_with(|| vec![None; runs.len()])[i] = Some(v.clone());
                }
                for (k, v) in &run.metrics {
                    metrics.entry(k.clone()).or_insert_with(|| vec![None; runs.len()])[i] = Some(*v);
                }
            }
            Ok(RunComparison { runs: ids.to_vec(), params, metrics })
        })
    }
}

fn run_info(c: &rusqlite::Connection, id: i64) -> Result<RunInfo, StorageError> {
    let (name, owner, model, created_at) = c
        .query_row(
            "SELECT r.name, u.name, m.name, r.created_at FROM runs r JOIN users u ON u.id = r.owner_id
             LEFT JOIN models m ON m.id = r.model_id WHERE r.id = ?1",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?
        .ok_or_else(|| StorageError::NotFound(format!("there is no run {id}")))?;
    let pairs = |sql: &str| -> Result<BTreeMap<String, String>, StorageError> {
        Ok(c.prepare_cached(sql)?
            .query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?)
    };
    let params_ = pairs("SELECT key, value FROM run_params WHERE run_id = ?1")?;
    let tags = pairs("SELECT key, value FROM run_tags WHERE run_id = ?1")?;
    // The latest value of each metric: highest step, then latest time, then last logged.
    let metrics = c
        .prepare_cached(
            "SELECT key, value FROM (
                SELECT key, value, ROW_NUMBER() OVER (PARTITION BY key ORDER BY step DESC, timestamp DESC, rowid DESC) AS n
                FROM run_metrics WHERE run_id = ?1) WHERE n = 1",
        )?
        .query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(RunInfo { id, name, owner, model, created_at, params: params_, metrics, tags })
}
