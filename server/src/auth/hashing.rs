//! Password hashing on a few threads of its own, so that a flood of sign-ins cannot exhaust memory.
//!
//! Each argon2id run needs 19 MiB. Run on tokio's blocking pool (up to 512 threads) with nothing to
//! bound them, a few hundred concurrent failed logins took a server from 9 MB to 5.8 GB, and glibc
//! kept the memory in its per-thread arenas afterwards. Here only [`workers`] threads ever hash, each
//! with one block buffer allocated when it starts and reused for every run, so hashing holds at most
//! `workers × 19 MiB`, however many requests arrive. A request waits at most [`SLOT_WAIT`] for a slot
//! and is otherwise answered 503 `busy`.

use crate::error::ServerError;
use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

/// How long a request waits for a hashing slot before it is answered 503.
pub const SLOT_WAIT: Duration = Duration::from_secs(2);

/// Argon2 runs so far in this process (for the debug log, which tests read).
static RUNS: AtomicU64 = AtomicU64::new(0);

/// How many threads hash: the core count, at most 4 (more would only queue for the same cores while
/// holding 19 MiB each).
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(4)
}

enum Work {
    Hash(String),
    /// `None` checks against a hash of a password nobody knows (an unknown name costs the same).
    Verify(String, Option<String>),
}

enum Done {
    Hashed(Result<String, ServerError>),
    Verified(bool),
}

struct Job {
    work: Work,
    reply: oneshot::Sender<Done>,
    // Held until the work is done, so waiting requests never outnumber the slots.
    _slot: OwnedSemaphorePermit,
}

struct Pool {
    slots: Arc<Semaphore>,
    jobs: Mutex<Sender<Job>>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let workers = workers();
        for n in 0..workers {
            let receiver = receiver.clone();
            if let Err(error) =
                std::thread::Builder::new().name(format!("tabml-argon2-{n}")).spawn(move || work(&receiver))
            {
                tracing::error!(%error, "cannot start a password hashing thread");
            }
        }
        // One job running per thread and as many again waiting.
        Pool { slots: Arc::new(Semaphore::new(workers * 2)), jobs: Mutex::new(sender) }
    })
}

/// A hashing thread: one block buffer for its whole life.
fn work(receiver: &Mutex<Receiver<Job>>) {
    let mut memory = vec![Block::default(); Params::default().block_count()];
    loop {
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok(job) = job else { return };
        let done = match &job.work {
            Work::Hash(password) => Done::Hashed(hash_with(&mut memory, password)),
            Work::Verify(password, hash) => {
                let hash = hash.as_deref().unwrap_or_else(|| dummy_hash(&mut memory));
                Done::Verified(verify_with(&mut memory, password, hash))
            }
        };
        let _ = job.reply.send(done);
    }
}

async fn submit(work: Work) -> Result<Done, ServerError> {
    let pool = pool();
    let slot = match tokio::time::timeout(SLOT_WAIT, pool.slots.clone().acquire_owned()).await {
        Ok(Ok(slot)) => slot,
        _ => {
            tracing::warn!("password hashing is saturated: answering 503");
            return Err(ServerError::Busy {
                what: "checking other passwords",
                retry_after: SLOT_WAIT.as_secs(),
            });
        }
    };
    let (reply, answer) = oneshot::channel();
    let sent = pool.jobs.lock().unwrap_or_else(|p| p.into_inner()).send(Job { work, reply, _slot: slot });
    sent.map_err(|_| ServerError::Internal("the password hashing threads have stopped".into()))?;
    answer.await.map_err(|_| ServerError::Internal("a password hashing thread stopped mid-job".into()))
}

/// An argon2id hash of `password`, computed on the hashing threads.
pub async fn hash(password: String) -> Result<String, ServerError> {
    match submit(Work::Hash(password)).await? {
        Done::Hashed(hash) => hash,
        Done::Verified(_) => Err(ServerError::Internal("hashing answered a check".into())),
    }
}

/// Whether `password` matches `hash` (or, for `None`, the same work against a hash nobody matches),
/// checked on the hashing threads.
pub async fn verify(password: String, hash: Option<String>) -> Result<bool, ServerError> {
    match submit(Work::Verify(password, hash)).await? {
        Done::Verified(matches) => Ok(matches),
        Done::Hashed(_) => Err(ServerError::Internal("a check answered a hash".into())),
    }
}

fn counted() {
    let runs = RUNS.fetch_add(1, Ordering::Relaxed) + 1;
    tracing::debug!(runs, "argon2id run");
}

/// An argon2id hash (the crate's default parameters) of `password` with a fresh salt, in PHC form,
/// using `memory` as argon2's blocks.
pub(super) fn hash_with(memory: &mut Vec<Block>, password: &str) -> Result<String, ServerError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ServerError::Internal(format!("no random numbers: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ServerError::Internal(e.to_string()))?;
    let params = Params::default();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut raw_salt = [0u8; 64];
    let fail = |e: String| ServerError::Internal(format!("hashing a password failed: {e}"));
    let raw_salt = salt.decode_b64(&mut raw_salt).map_err(|e| fail(e.to_string()))?;
    fit(memory, params.block_count());
    counted();
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        argon2
            .hash_password_into_with_memory(password.as_bytes(), raw_salt, out, &mut memory[..])
            .map_err(argon2::password_hash::Error::from)
    })
    .map_err(|e| fail(e.to_string()))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params).try_into().map_err(|e: argon2::password_hash::Error| fail(e.to_string()))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `hash`, using `memory` as argon2's blocks.
pub(super) fn verify_with(memory: &mut Vec<Block>, password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let (Ok(algorithm), Ok(params), Some(expected), Some(salt)) =
        (Algorithm::try_from(parsed.algorithm), Params::try_from(&parsed), parsed.hash, parsed.salt)
    else {
        return false;
    };
    let version = parsed.version.map_or(Ok(Version::V0x13), Version::try_from).unwrap_or(Version::V0x13);
    let mut raw_salt = [0u8; 64];
    let Ok(raw_salt) = salt.decode_b64(&mut raw_salt) else { return false };
    fit(memory, params.block_count());
    counted();
    let argon2 = Argon2::new(algorithm, version, params);
    Output::init_with(expected.len(), |out| {
        argon2
            .hash_password_into_with_memory(password.as_bytes(), raw_salt, out, &mut memory[..])
            .map_err(argon2::password_hash::Error::from)
    })
    // `Output`'s equality takes the same time wherever the bytes differ.
    .is_ok_and(|computed| computed == expected)
}

/// Grows the buffer for a stored hash made with more memory than ours (never shrinks it, so a
/// thread's buffer is allocated once in the usual case).
fn fit(memory: &mut Vec<Block>, blocks: usize) {
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
}

/// A valid hash of a password nobody knows, checked when the name is unknown.
fn dummy_hash(memory: &mut Vec<Block>) -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_with(memory, "not a password anyone has").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier;

    #[test]
    fn our_hashes_verify_with_the_crate_and_the_crates_with_ours() {
        let mut memory = Vec::new();
        let ours = hash_with(&mut memory, "a long password").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"a long password", &parsed).is_ok());
        assert!(verify_with(&mut memory, "a long password", &ours));
        assert!(!verify_with(&mut memory, "a long passwore", &ours));
        assert!(!verify_with(&mut memory, "a long password", "not a hash"));
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::encode_b64(b"sixteen byte sal").unwrap();
        let theirs = Argon2::default().hash_password(b"another password", &salt).unwrap().to_string();
        assert!(verify_with(&mut memory, "another password", &theirs));
        assert_eq!(memory.len(), Params::default().block_count());
    }

    #[tokio::test]
    async fn the_pool_hashes_and_verifies() {
        let hash = super::hash("a long password".into()).await.unwrap();
        assert!(verify("a long password".into(), Some(hash.clone())).await.unwrap());
        assert!(!verify("wrong".into(), Some(hash)).await.unwrap());
        assert!(!verify("wrong".into(), None).await.unwrap());
    }
}
