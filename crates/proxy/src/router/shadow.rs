//! Shadow traffic: the requests for a fraction of the keys (the pool's `shadow`, decided by
//! `Continuum::shadowed`) are also sent to a second pool, whose answers never reach the
//! client: each is compared with the primary's ([`ShadowOutcome`]) and the differences counted
//! (and handed on as [`ShadowDiff`]s when asked).
//!
//! The shadow pool has its own server connections (an inner [`Shared`] without a listener).
//! Shadow traffic never slows or fails the primary: at most `shadow_queue` shadowed requests
//! are in flight; past that a copy is dropped and counted, and nothing on the primary's path
//! waits for the shadow (the comparison runs in its own task, which gets a copy of the primary
//! answer through the primary job's `tee`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::answer::Answer;
use super::backend::{Expect, Job, Reply};
use super::client::ToWriter;
use super::shadow_compare::ShadowOutcome;
use super::{Family, Shared};
use crate::pool::PoolConfig;

/// The shadow's counters (they carry over a reload).
#[derive(Debug, Default)]
pub(crate) struct ShadowCounters {
    /// Requests copied to the shadow (noreply ones included).
    pub requests: AtomicU64,
    /// Pairs of answers compared.
    pub compared: AtomicU64,
    /// Pairs that differed.
    pub differences: AtomicU64,
    /// Copies not made because `shadow_queue` copies were in flight.
    pub dropped: AtomicU64,
    /// Differences not handed on because the diff consumer was behind.
    pub diffs_dropped: AtomicU64,
}

/// The shadow's counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShadowSnapshot {
    /// Requests copied to the shadow pool.
    pub requests: u64,
    /// Pairs of answers compared.
    pub compared: u64,
    /// Pairs that differed (status, value or flags).
    pub differences: u64,
    /// Copies dropped because the shadow queue was full.
    pub dropped: u64,
    /// Differences not written because the writer was behind.
    pub diffs_dropped: u64,
}

impl ShadowCounters {
    /// Their values now.
    pub fn snapshot(&self) -> ShadowSnapshot {
        ShadowSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            compared: self.compared.load(Ordering::Relaxed),
            differences: self.differences.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            diffs_dropped: self.diffs_dropped.load(Ordering::Relaxed),
        }
    }
}

/// One request whose shadow answered differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowDiff {
    /// When the comparison was made.
    pub time: SystemTime,
    /// The primary pool's name.
    pub pool: String,
    /// The shadow pool's name.
    pub shadow: String,
    /// The request's key.
    pub key: Bytes,
    /// What the primary answered.
    pub primary: ShadowOutcome,
    /// What the shadow answered.
    pub shadowed: ShadowOutcome,
}

/// A running shadow pool: its connections and its placement.
#[derive(Debug)]
pub(crate) struct Shadow {
    /// The shadow pool as configured (a reload keeps the running shadow when it is unchanged).
    pub pool: PoolConfig,
    inner: Arc<Shared>,
    permits: Arc<Semaphore>,
}

impl Drop for Shadow {
    fn drop(&mut self) {
        // The inner connection tasks hold the inner `Shared`: end them with the shadow.
        self.inner
            .backends
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .abort_all();
    }
}

/// What a client's reader needs to copy a request to the shadow.
pub(crate) struct Copy<'a> {
    /// The request's key.
    pub key: &'a [u8],
    /// Its wire family.
    pub family: Family,
    /// Its bytes (as sent to the primary).
    pub head: Bytes,
    /// More bytes after `head`.
    pub tail: Bytes,
    /// How its answer is framed (`Expect::Nothing` for noreply: sent, not compared).
    pub expect: Expect,
    /// The client's id (picks the connection).
    pub client: u64,
}

impl Shadow {
    /// Starts the shadow pool's connection tasks (on the current runtime).
    pub fn start(pool: PoolConfig, limits: &super::RouterConfig, queue: usize) -> Arc<Shadow> {
        let mut config = limits.clone();
        config.pool = pool.clone();
        config.pool.shadow = None;
        config.record_backends = false;
        config.shadow_pool = None;
        config.shadow_diffs = None;
        let (inner, receivers) = Shared::new(config, None, limits.pool.listen);
        inner.spawn_backends(receivers);
        Arc::new(Shadow {
            pool,
            inner,
            permits: Arc::new(Semaphore::new(queue.max(1))),
        })
    }

    /// Re-admits the shadow's ejected servers whose time has come.
    pub fn readmit_due(&self) {
        self.inner.readmit_due();
    }

    /// Copies a request to the shadow. Returns where the primary's answer must be teed for the
    /// comparison (`None`: nothing to compare, e.g. noreply, or the copy was dropped).
    pub fn copy(
        &self,
        req: Copy<'_>,
        primary_pool: &str,
        counters: &Arc<ShadowCounters>,
        diffs: Option<&mpsc::Sender<ShadowDiff>>,
    ) -> Option<mpsc::UnboundedSender<Answer>> {
        let placement = self.inner.placement().1;
        let server = placement
            .continuum
            .server_for(req.key)
            .and_then(|i| placement.servers.get(i))?;
        let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() else {
            counters.dropped.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        let (stx, mut srx) = mpsc::unbounded_channel();
        let mut job = Job {
            head: req.head,
            tail: req.tail,
            expect: req.expect,
            reply: Reply {
                tx: stx,
                seq: 0,
                frag: 0,
                tee: None,
            },
            deadline: placement.pool.timeout.map(|t| Instant::now() + t),
            permit: None,
        };
        if req.expect == Expect::Nothing {
            // No answer to compare: the permit bounds the copies waiting to be written.
            job.permit = Some(permit);
            if server.conn(req.family, req.client).send(job).is_ok() {
                counters.requests.fetch_add(1, Ordering::Relaxed);
            }
            return None;
        }
        if server.conn(req.family, req.client).send(job).is_err() {
            return None;
        }
        counters.requests.fetch_add(1, Ordering::Relaxed);
        let (ptx, prx) = mpsc::unbounded_channel();
        let pair = Pair {
            binary: req.family == Family::Binary,
            key: Bytes::copy_from_slice(req.key),
            pool: primary_pool.to_string(),
            shadow: self.pool.name.clone(),
            counters: Arc::clone(counters),
            diffs: diffs.cloned(),
            _permit: permit,
        };
        tokio::spawn(async move {
            let shadowed = match srx.recv().await {
                Some(ToWriter::Answer { answer, .. }) => answer,
                _ => return,
            };
            pair.compare(prx, shadowed).await;
        });
        Some(ptx)
    }
}

/// One comparison waiting for its primary answer; holds a queue permit until done.
struct Pair {
    binary: bool,
    key: Bytes,
    pool: String,
    shadow: String,
    counters: Arc<ShadowCounters>,
    diffs: Option<mpsc::Sender<ShadowDiff>>,
    _permit: OwnedSemaphorePermit,
}

impl Pair {
    async fn compare(self, mut primary: mpsc::UnboundedReceiver<Answer>, shadowed: Answer) {
        let Some(primary) = primary.recv().await else {
            return;
        };
        let p = ShadowOutcome::of(&primary, self.binary);
        let s = ShadowOutcome::of(&shadowed, self.binary);
        self.counters.compared.fetch_add(1, Ordering::Relaxed);
        if p == s {
            return;
        }
        self.counters.differences.fetch_add(1, Ordering::Relaxed);
        if let Some(tx) = &self.diffs {
            let diff = ShadowDiff {
                time: SystemTime::now(),
                pool: self.pool,
                shadow: self.shadow,
                key: self.key,
                primary: p,
                shadowed: s,
            };
            if tx.try_send(diff).is_err() {
                self.counters.diffs_dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
