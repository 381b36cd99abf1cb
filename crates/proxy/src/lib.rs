//! The recording proxy (`memshark proxy`): sits between clients and a memcached, forwards every
//! byte unchanged, and hands a copy of each direction's bytes to the same dissector that reads
//! captures, and to a recorder that writes them as a capture file.
//!
//! * One backend connection per client connection; bytes are forwarded as they arrive, in both
//!   directions, whatever the protocol (the proxy never parses what it forwards).
//! * Forwarding applies backpressure naturally (a slow reader slows its writer). The tap is a
//!   bounded channel: when the dissector or the recorder falls behind, chunks are dropped and
//!   counted ([`ProxyCounters::tap_dropped`]), never waited for.
//! * Backend failures close only the client connection concerned, with a log line saying why.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod forward;
mod http_guard;
pub mod pool;
mod recorder;
pub mod redact;
mod routed;
pub mod router;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch, Semaphore};

pub use recorder::{RecordConfig, Recorder, TapConsumer};
pub use router::{
    pool_from_servers, Monitor, ReloadError, Reloaded, RouteView, Router, RouterConfig,
    RouterHandle, ServerSnapshot, ShadowDiff, ShadowOutcome, ShadowSnapshot,
};

use memshark_traffic::capture::{Direction, Timestamp};

/// What the proxy tap carries: one direction's bytes of one proxied connection.
#[derive(Debug, Clone)]
pub enum TapEvent {
    /// A client connected and its backend connection is up.
    Open {
        /// Proxied connection id.
        conn: u64,
        /// The client's address.
        client: SocketAddr,
        /// The backend's address (the router's listen address when its pool has several).
        server: SocketAddr,
        /// When.
        ts: Timestamp,
        /// The router's placement, which names the server each request of the connection went
        /// to; `None` for the 1:1 pipe and the router's own server connections.
        route: Option<RouteView>,
    },
    /// Bytes forwarded one way.
    Data {
        /// Proxied connection id.
        conn: u64,
        /// Which way.
        dir: Direction,
        /// When they were read.
        ts: Timestamp,
        /// The bytes (shared with the forwarding path, not copied).
        bytes: Bytes,
    },
    /// The connection ended.
    Closed {
        /// Proxied connection id.
        conn: u64,
        /// When.
        ts: Timestamp,
        /// Ended by an error (reset) rather than an orderly close.
        reset: bool,
    },
}

/// Tap connection ids with this bit set are the router's own connections to its servers
/// (`RouterConfig::record_backends`): written to the recording, not dissected for the stats,
/// the dump or the timeline (which show what clients see).
pub const SERVER_LEG: u64 = 1 << 63;

/// Counters of the proxy, shared by every connection.
#[derive(Debug, Default)]
pub struct ProxyCounters {
    /// Client connections open now.
    pub open: AtomicU64,
    /// Client connections accepted.
    pub accepted: AtomicU64,
    /// Clients turned away for --max-connections.
    pub rejected: AtomicU64,
    /// Backend connections that failed.
    pub backend_failures: AtomicU64,
    /// Bytes client → backend.
    pub bytes_up: AtomicU64,
    /// Bytes backend → client.
    pub bytes_down: AtomicU64,
    /// Tap events dropped because the consumer was behind.
    pub tap_dropped: AtomicU64,
    /// Clients disconnected because their first line was an HTTP request (memcached's defence
    /// against cross-protocol attacks; nothing of theirs reached the backend).
    pub http_refused: AtomicU64,
    /// Authentication attempts by clients (router with client credentials; memcached's
    /// `auth_cmds`).
    pub auth_cmds: AtomicU64,
    /// Authentication attempts that failed (memcached's `auth_errors`).
    pub auth_errors: AtomicU64,
}

/// How the proxy runs.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Where clients connect (127.0.0.1:11311 by default).
    pub listen: SocketAddr,
    /// The memcached behind the proxy.
    pub backend: String,
    /// Most client connections at once.
    pub max_connections: usize,
    /// How long connecting to the backend may take.
    pub connect_timeout: Duration,
    /// Tap channel capacity in events; beyond it chunks are dropped and counted.
    pub tap_capacity: usize,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 11311)),
            backend: "127.0.0.1:11211".into(),
            max_connections: 4096,
            connect_timeout: Duration::from_secs(2),
            tap_capacity: 65_536,
        }
    }
}

/// A bound proxy.
#[derive(Debug)]
pub struct Proxy {
    listener: TcpListener,
    config: ProxyConfig,
    counters: Arc<ProxyCounters>,
    tap: Option<mpsc::Sender<TapEvent>>,
}

impl Proxy {
    /// Binds the listening socket. `tap` receives a copy of the traffic, if given.
    pub async fn bind(
        config: ProxyConfig,
        tap: Option<mpsc::Sender<TapEvent>>,
    ) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind(config.listen).await?;
        Ok(Proxy {
            listener,
            config,
            counters: Arc::default(),
            tap,
        })
    }

    /// Where clients connect.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The shared counters.
    pub fn counters(&self) -> Arc<ProxyCounters> {
        Arc::clone(&self.counters)
    }

    /// Serves until `shutdown` completes; then stops accepting and gives open connections
    /// `grace` to finish before closing them.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>, grace: Duration) {
        let permits = Arc::new(Semaphore::new(self.config.max_connections));
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        let mut next_id = 1u64;
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = self.listener.accept() => {
                    let Ok((client, peer)) = accepted else { continue };
                    let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                        self.counters.rejected.fetch_add(1, Ordering::Relaxed);
                        drop(client);
                        continue;
                    };
                    self.counters.accepted.fetch_add(1, Ordering::Relaxed);
                    let ctx = forward::Context {
                        id: next_id,
                        peer,
                        backend: self.config.backend.clone(),
                        connect_timeout: self.config.connect_timeout,
                        counters: Arc::clone(&self.counters),
                        tap: self.tap.clone(),
                        stop: stop_rx.clone(),
                    };
                    next_id += 1;
                    tasks.spawn(async move {
                        forward::serve(client, ctx).await;
                        drop(permit);
                    });
                    while tasks.try_join_next().is_some() {}
                }
            }
        }
        drop(self.listener);
        let _ =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        let _ = stop_tx.send(true);
        while tasks.join_next().await.is_some() {}
    }
}
