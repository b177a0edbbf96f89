//! A window's blocks read back: every prediction in it, each with its latest label and whether a
//! mentor overrode it, decoded in place.

use super::{Entries, BLOCK_SPAN_MS};
use crate::storage::overrides::overridden_between;
use crate::storage::{StorageError, Window};
use rusqlite::{params, Connection};
use std::collections::{HashMap, HashSet};

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
    /// Whether a mentor overrode it (an override of its prediction id, made in the scan's window).
    pub overridden: bool,
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
pub(in crate::storage) fn scan_predictions<F: FnMut(&PredictionFacts)>(
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
    // Overrides are a mentor's work one at a time: few, and most windows have none.
    let overridden: HashSet<Vec<u8>> = overridden_between(c, model_id, window.from, window.to)?
        .into_iter()
        .map(String::into_bytes)
        .collect();
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
                overridden: !overridden.is_empty()
                    && e.prediction_id.is_some_and(|id| overridden.contains(id)),
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

#[cfg(test)]
mod tests {
    use super::super::tests::{event, scan, storage};
    use super::*;
    use crate::storage::BLOCK_SPAN_MS;

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
}
