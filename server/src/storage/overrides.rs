//! Predictions a mentor overrode: the mentor's answer in place of the model's, with a reason.
//!
//! An override names a prediction by its id; the prediction must have been stored for the model
//! (the first one stored with that id, when a client reused an id). A model keeps one override per
//! prediction: a newer one replaces the older (with a new id, so the list stays newest first by id),
//! and every override, replaced or not, is a line of the model's audit log, written in the same
//! transaction. What the prediction said (its version, time and output) is copied beside the
//! override, so the list reads no event. A window's scan ([`super::blocks`]) reads the ids of the
//! predictions overridden in it by prediction time, for the override rate.

use super::registry::audit;
use super::{now_ms, Storage, StorageError};
use rusqlite::{params, Connection, OptionalExtension};
use tabml::api::PredictionOverride;

impl Storage {
    /// Overrides the prediction `prediction_id` of a model with `label` (JSON text), for `reason`,
    /// as `actor_id`. Returns the override and whether it replaced an earlier one.
    pub fn override_prediction(
        &self,
        model_id: i64,
        prediction_id: &str,
        actor_id: i64,
        label: &str,
        reason: &str,
    ) -> Result<(PredictionOverride, bool), StorageError> {
        self.write(|tx| {
            let prediction: Option<(u32, i64, Option<String>)> = tx
                .query_row(
                    "SELECT version, at, body -> '$.output' FROM events
                     WHERE model_id = ?1 AND prediction_id = ?2 AND kind = 'prediction' ORDER BY seq LIMIT 1",
                    params![model_id, prediction_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((version, predicted_at, output)) = prediction else {
                return Err(StorageError::UnknownPrediction(format!(
                    "the model has no prediction with id {prediction_id:?}"
                )));
            };
            let earlier: Option<(i64, String)> = tx
                .query_row(
                    "SELECT id, label FROM overrides WHERE model_id = ?1 AND prediction_id = ?2",
                    params![model_id, prediction_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((id, _)) = &earlier {
                tx.execute("DELETE FROM overrides WHERE id = ?1", params![id])?;
            }
            tx.execute(
                "INSERT INTO overrides (model_id, prediction_id, version, predicted_at, output, label, reason, actor_id, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![model_id, prediction_id, version, predicted_at, output, label, reason, actor_id, now_ms()],
            )?;
            let id = tx.last_insert_rowid();
            // The audit line says what the prediction said before: the earlier override, else the
            // model's output.
            let before = match &earlier {
                Some((_, label)) => label.clone(),
                None => output.unwrap_or_default(),
            };
            let subject = format!("prediction {prediction_id}");
            audit(tx, model_id, actor_id, "override", &subject, &before, label, reason)?;
            let stored = page(tx, model_id, 1, Some(id + 1))?.pop().ok_or_else(|| {
                StorageError::NotFound(format!("override {id} is not there after it was written"))
            })?;
            Ok((stored, earlier.is_some()))
        })
    }

    /// A model's overrides, newest first: at most `limit`, of ids below `before` when given.
    pub fn overrides(
        &self,
        model_id: i64,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<PredictionOverride>, StorageError> {
        self.read(|c| page(c, model_id, limit, before))
    }
}

fn page(
    c: &Connection,
    model_id: i64,
    limit: u32,
    before: Option<i64>,
) -> Result<Vec<PredictionOverride>, StorageError> {
    let mut statement = c.prepare_cached(
        "SELECT o.id, m.name, o.prediction_id, o.version, o.predicted_at, o.output, o.label, o.reason, u.name, o.at
         FROM overrides o JOIN models m ON m.id = o.model_id JOIN users u ON u.id = o.actor_id
         WHERE o.model_id = ?1 AND (?2 IS NULL OR o.id < ?2) ORDER BY o.id DESC LIMIT ?3",
    )?;
    let rows = statement
        .query_map(params![model_id, before, limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, i64>(9)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, model, prediction_id, version, predicted_at, output, label, reason, by, at)| {
            let json = |text: &str| {
                serde_json::from_str(text).map_err(|e| {
                    StorageError::Corrupt(format!("override {id} holds JSON that does not read: {e}"))
                })
            };
            Ok(PredictionOverride {
                id,
                model,
                prediction_id,
                version,
                predicted_at,
                output: output.as_deref().map(json).transpose()?,
                label: json(&label)?,
                reason,
                by,
                at,
            })
        })
        .collect()
}

/// The ids of a model's predictions overridden that were made in `[from, to)`.
pub(super) fn overridden_between(
    c: &Connection,
    model_id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<String>, StorageError> {
    let mut statement = c.prepare_cached(
        "SELECT prediction_id FROM overrides WHERE model_id = ?1 AND predicted_at >= ?2 AND predicted_at < ?3",
    )?;
    let ids = statement.query_map(params![model_id, from, to], |r| r.get(0))?;
    Ok(ids.collect::<Result<_, _>>()?)
}
