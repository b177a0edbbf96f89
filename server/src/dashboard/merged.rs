//! Drift merged from the profiles clients sent, without raw rows: the window's profiles merged and
//! checked against the training profile kept beside the version.
//!
//! Clients choose what they send, so the merge is guarded: profiles are read from the database a
//! chunk at a time and merged on the blocking pool, never while holding a read connection; only
//! [`MAX_CONCURRENT_MERGES`] run at once (a request that cannot start one soon is answered 503);
//! work whose request went away (a time-out, a closed connection) stops at the next profile; and
//! results are cached per model, version and window length (for a series, per bucket), so a
//! dashboard read again costs a lookup, and one profile more costs merging that profile only. A
//! series merges each bucket's profiles the same way, of the newest `MAX_MERGED_PROFILES` of its
//! whole span.

use crate::error::ServerError;
use crate::storage::{ProfileBatches, Window};
use crate::AppState;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tabml::api::{ColumnDrift, DriftSource, DriftSummary};
use tabml::drift::{DataProfile, DriftOptions};
use tokio::sync::Semaphore;

/// Merges that may run at once (each keeps a core busy).
pub const MAX_CONCURRENT_MERGES: usize = 2;

/// How long a request waits for a merge to free up before it is answered 503.
const MERGE_WAIT: Duration = Duration::from_secs(5);

/// Profiles read from the database at a time (a reader is held only while reading them).
const CHUNK: usize = 50;

/// Cached merges and training profiles kept before the caches are emptied.
const MAX_CACHED: usize = 256;

/// The merges in flight and their cached results.
pub struct ProfileMerger {
    permits: Semaphore,
    read: AtomicU64,
    merged: Mutex<HashMap<MergeKey, Arc<Merged>>>,
    training: Mutex<HashMap<(i64, u32), Training>>,
}

/// A version's training profile (`None` when none was kept for it).
type Training = Arc<Option<DataProfile>>;

/// One model's version over one length of window; for a series bucket, over that bucket (a
/// dashboard's window slides, a bucket's stays put).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct MergeKey {
    model_id: i64,
    version: u32,
    span_ms: i64,
    bucket_from: Option<i64>,
}

/// A finished merge: which events it took, what they merged into, and the drift that made.
#[derive(Clone)]
struct Merged {
    seqs: Vec<i64>,
    profile: Option<DataProfile>,
    batches: u64,
    newest: i64,
    summary: Option<DriftSummary>,
}

/// Sets its flag when dropped: the merge stops once the request that wanted it is gone.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

impl Default for ProfileMerger {
    fn default() -> Self {
        Self {
            permits: Semaphore::new(MAX_CONCURRENT_MERGES),
            read: AtomicU64::new(0),
            merged: Mutex::new(HashMap::new()),
            training: Mutex::new(HashMap::new()),
        }
    }
}

impl ProfileMerger {
    /// How many stored profiles merges have read since the server started (what the cache saves).
    pub fn profiles_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// The drift of the profiles sent about `model_id` in `window` (`None` when none came, or no
    /// training profile was kept for the version).
    pub async fn drift(
        &self,
        state: &AppState,
        model_id: i64,
        window: Window,
    ) -> Result<Option<DriftSummary>, ServerError> {
        let batches = crate::routes::blocking(state, move |s| s.profile_batches(model_id, window)).await?;
        let Some(batches) = batches else { return Ok(None) };
        let key = MergeKey {
            model_id,
            version: batches.version,
            span_ms: window.to - window.from,
            bucket_from: None,
        };
        self.merge(state, key, batches.events).await
    }

    /// The drift of the profiles sent in each of a series' buckets (in order, none overlapping), each
    /// merged as a dashboard's window is, of the newest [`crate::storage::MAX_MERGED_PROFILES`]
    /// profiles of the whole span.
    pub async fn drift_by_bucket(
        &self,
        state: &AppState,
        model_id: i64,
        buckets: Vec<Window>,
    ) -> Result<Vec<Option<DriftSummary>>, ServerError> {
        let listed = {
            let buckets = buckets.clone();
            crate::routes::blocking(state, move |s| s.profile_batches_by_window(model_id, &buckets)).await?
        };
        let mut drift = Vec::with_capacity(buckets.len());
        for (bucket, batches) in buckets.iter().zip(listed) {
            drift.push(match batches {
                Some(ProfileBatches { version, events }) => {
                    let span_ms = bucket.to - bucket.from;
                    let key = MergeKey { model_id, version, span_ms, bucket_from: Some(bucket.from) };
                    self.merge(state, key, events).await?
                }
                None => None,
            });
        }
        Ok(drift)
    }

    /// Merges these profile events (storage sequence number and client time, by sequence number) of
    /// `key`'s version, or takes the cached merge when nothing changed, or extends it when events
    /// only joined at the end.
    async fn merge(
        &self,
        state: &AppState,
        key: MergeKey,
        events: Vec<(i64, i64)>,
    ) -> Result<Option<DriftSummary>, ServerError> {
        let (model_id, version) = (key.model_id, key.version);
        let seqs: Vec<i64> = events.iter().map(|(seq, _)| *seq).collect();
        let cached = lock(&self.merged).get(&key).cloned();
        if let Some(cached) = &cached {
            if cached.seqs == seqs {
                return Ok(cached.summary.clone());
            }
        }
        let _permit = match tokio::time::timeout(MERGE_WAIT, self.permits.acquire()).await {
            Ok(Ok(permit)) => permit,
            _ => {
                return Err(ServerError::Busy {
                    what: "merging monitoring profiles",
                    retry_after: MERGE_WAIT.as_secs(),
                })
            }
        };
        let training = self.training_profile(state, model_id, version).await?;
        if training.is_none() {
            return Ok(None);
        }
        // Events only ever join at the end, so a cached merge of a prefix is extended, not redone.
        let mut merged = match cached {
            Some(cached) if seqs.starts_with(&cached.seqs) => Merged::clone(&cached),
            _ => Merged { seqs: Vec::new(), profile: None, batches: 0, newest: i64::MIN, summary: None },
        };
        let cancel = CancelOnDrop(Arc::new(AtomicBool::new(false)));
        for chunk in events[merged.seqs.len()..].chunks(CHUNK) {
            let chunk = chunk.to_vec();
            let chunk_seqs: Vec<i64> = chunk.iter().map(|(seq, _)| *seq).collect();
            let bodies = crate::routes::blocking(state, move |s| s.event_bodies(&chunk_seqs)).await?;
            self.read.fetch_add(bodies.len() as u64, Ordering::Relaxed);
            let (flag, training) = (cancel.0.clone(), training.clone());
            merged = tokio::task::spawn_blocking(move || {
                for ((seq, at), body) in chunk.into_iter().zip(bodies) {
                    if flag.load(Ordering::Relaxed) {
                        break;
                    }
                    merged.take(seq, at, &body, &training);
                }
                merged
            })
            .await
            .map_err(|e| ServerError::Internal(format!("a merge task failed: {e}")))?;
        }
        let (profile, done) = (merged.profile.clone(), merged.clone());
        let summary =
            tokio::task::spawn_blocking(move || summary(&training, profile.as_ref(), &done, version))
                .await
                .map_err(|e| ServerError::Internal(format!("a drift check failed: {e}")))?;
        merged.summary = summary.clone();
        let mut cache = lock(&self.merged);
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(key, Arc::new(merged));
        Ok(summary)
    }

    /// The training profile kept beside a version, read once (`None`: no such version, or none was
    /// kept for it). No bundle is decoded here: the profile was read off it at upload.
    async fn training_profile(
        &self,
        state: &AppState,
        model_id: i64,
        version: u32,
    ) -> Result<Arc<Option<DataProfile>>, ServerError> {
        if let Some(known) = lock(&self.training).get(&(model_id, version)) {
            return Ok(known.clone());
        }
        let reference =
            crate::routes::blocking(state, move |s| s.version_reference(model_id, version)).await?;
        let profile = reference.map(|r| r.profile);
        let profile = Arc::new(profile);
        let mut cache = lock(&self.training);
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert((model_id, version), profile.clone());
        Ok(profile)
    }
}

impl Merged {
    /// Merges one stored profile event. One that does not read, or does not fit the training
    /// profile or the others (numbers in one, categories in another), is left out.
    fn take(&mut self, seq: i64, at: i64, body: &str, training: &Option<DataProfile>) {
        /// The part of a stored profile event the merge reads.
        #[derive(serde::Deserialize)]
        struct Stored {
            profile: DataProfile,
        }
        self.seqs.push(seq);
        let Some(training) = training else { return };
        let Ok(Stored { profile }) = serde_json::from_str(body) else { return };
        let fits = profile.fits(training).is_ok()
            && match &mut self.profile {
                None => {
                    self.profile = Some(profile);
                    true
                }
                Some(all) => all.merge(&profile).is_ok(),
            };
        if fits {
            self.batches += 1;
            self.newest = self.newest.max(at);
        }
    }
}

/// The drift of the merged profile against the training one.
fn summary(
    training: &Option<DataProfile>,
    current: Option<&DataProfile>,
    merged: &Merged,
    version: u32,
) -> Option<DriftSummary> {
    let (training, current) = (training.as_ref()?, current?);
    let options =
        DriftOptions { now: Some(crate::storage::now_ms() as f64 / 1000.0), ..DriftOptions::default() };
    let report = tabml::drift::check_profiles(training, current, &options).ok()?;
    Some(DriftSummary {
        source: DriftSource::Profiles,
        version,
        at: merged.newest,
        batches: merged.batches,
        rows: current.rows,
        dataset_drift: report.dataset_drift,
        drifted_share: report.drifted_share,
        columns: report
            .columns
            .iter()
            .chain(&report.predictions)
            .map(|d| ColumnDrift {
                column: d.column.clone(),
                test: d.test.name().to_owned(),
                statistic: d.value(),
                drift: d.drift,
                kind: Some(d.kind),
                reason: d.reason.clone(),
                test_statistic: d.statistic.is_finite().then_some(d.statistic),
                p_value: d.p_value,
                threshold: Some(d.threshold),
                distribution: Some(d.distribution.clone()),
            })
            .collect(),
    })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
