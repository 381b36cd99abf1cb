//! The state commands act on: what every connection shares, and what each keeps for itself.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64};

use tokio::sync::Notify;

use crate::config::ServerConfig;
use crate::conns::Conns;
use crate::detail::Detail;
use crate::stats::ProcessInfo;
use crate::storage::Store;

/// What every connection shares.
#[derive(Debug)]
pub struct Shared {
    /// The items.
    pub store: Store,
    /// The configuration the server started with.
    pub config: ServerConfig,
    /// Start time and version.
    pub info: ProcessInfo,
    /// What operators change while the server runs.
    pub runtime: Runtime,
}

impl Shared {
    /// The state of a server starting with `config`.
    pub fn new(config: ServerConfig) -> Shared {
        let runtime = Runtime::default();
        runtime
            .verbosity
            .store(config.verbosity, std::sync::atomic::Ordering::Relaxed);
        runtime
            .slab_automove
            .store(1, std::sync::atomic::Ordering::Relaxed);
        runtime
            .temp_ttl
            .store(61, std::sync::atomic::Ordering::Relaxed);
        Shared {
            store: Store::new(config.store),
            config,
            info: ProcessInfo::default(),
            runtime,
        }
    }
}

/// Settings an operator changes at run time, and the server-wide signals.
#[derive(Debug, Default)]
pub struct Runtime {
    /// `verbosity`'s level.
    pub verbosity: AtomicU32,
    /// `slabs automove`'s mode (0, 1 or 2).
    pub slab_automove: AtomicU32,
    /// Whether `lru mode flat` was asked for.
    pub lru_flat: AtomicBool,
    /// `lru temp_ttl`'s value.
    pub temp_ttl: AtomicU64,
    /// Per-prefix counters (`stats detail`).
    pub detail: Detail,
    /// Notified once by `shutdown` (with `-A`): the server stops.
    pub halt: Notify,
    /// The open connections (`stats conns`).
    pub conns: Conns,
}

/// Per-connection state the front ends need.
#[derive(Debug, Default)]
pub struct Session {
    /// Whether SASL authentication succeeded on this connection.
    pub authenticated: bool,
    /// The connection's id in `stats conns` (0: not registered).
    pub id: u64,
    /// A metadump still being streamed to this connection.
    pub dump: Option<crate::cmd::lru_crawler::Dump>,
    /// Over UDP: where in the output each retrieved item's answer ends, for memcached sends
    /// each as a message of its own (`None` over TCP).
    pub udp_marks: Option<Vec<usize>>,
    /// The log feed, once the connection asked to `watch`.
    pub watching: Option<crate::cmd::watch::Watching>,
}
