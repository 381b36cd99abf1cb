//! The multiplexing router (`memshark proxy`'s default mode): many client connections share a
//! few connections to each server of a pool, keys are placed by the pool's [`Continuum`], and
//! every answer goes back to the client that asked, in the order it asked.
//!
//! # Tasks and channels
//!
//! * One **client task** per client connection ([`client`]): it reads requests, frames them with
//!   the sans-IO parsers of `memshark-protocol`, picks a server per key and hands each piece to
//!   that server's connection as a [`backend::Job`] (an unbounded channel; what bounds it is the
//!   client's pending-request limit). Beside it, the client's **writer** half receives the
//!   answers on one channel, puts them back in request order (a sequence number per request,
//!   a fragment number per piece of a split multi-get) and writes everything ready in one
//!   syscall.
//! * One **backend task** per server connection ([`backend`]): it takes every queued job at once,
//!   writes them in one syscall, and reads answers in large reads, matching each to the oldest
//!   pending job (text and meta: in order; binary: by the opaque it rewrote).
//! * No lock per request: the backend's pending queue is locked once per batch written and once
//!   per read, the placement is an `Arc` swapped on ejection and re-read by a client only when a
//!   generation counter moves.

pub(crate) mod answer;
pub(crate) mod backend;
pub(crate) mod client;
pub(crate) mod request;
pub(crate) mod stats;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch, Semaphore};

use crate::pool::{Continuum, PoolConfig, ServerSpec};
use crate::{ProxyCounters, TapEvent};
use memshark_latency::LatencyHistogram;

pub use stats::ServerSnapshot;

/// How the router runs, beside the pool itself.
#[derive(Debug, Clone)]
pub struct RouterConfig {
    /// The pool: listen address, servers, placement, timeouts, ejection.
    pub pool: PoolConfig,
    /// Most client connections at once; more are accepted and closed at once.
    pub max_connections: usize,
    /// Most requests one client may have in flight (sent, answer not yet written back); past
    /// it the proxy stops reading from that client.
    pub max_pending: usize,
    /// Most answer bytes held for one client that has not read them; past it the proxy stops
    /// reading from that client.
    pub max_buffered: usize,
    /// Largest value a request may carry (memcached's `-I`, 1 MiB by default); a larger one is
    /// answered with memcached's own error and its bytes are skipped.
    pub max_item: usize,
    /// How long connecting to a server may take.
    pub connect_timeout: Duration,
    /// Also tap the proxy's own server connections (ids with [`crate::SERVER_LEG`]), so a
    /// recording holds both legs.
    pub record_backends: bool,
}

/// A pool built from a list of servers (`host:port[:weight] [name]`, as `--pool` takes them)
/// with twemproxy's defaults (ketama over fnv1a_64, no timeout, one connection per server, no
/// ejection). A server that does not parse is kept as written, weight 1.
pub fn pool_from_servers(listen: SocketAddr, servers: &[String]) -> PoolConfig {
    PoolConfig::from_servers(
        listen,
        servers
            .iter()
            .map(|a| {
                ServerSpec::parse(a).unwrap_or_else(|_| ServerSpec {
                    addr: a.clone(),
                    weight: 1,
                    name: None,
                })
            })
            .collect(),
    )
}

impl RouterConfig {
    /// A router for `pool` with the default limits.
    pub fn new(pool: PoolConfig) -> RouterConfig {
        RouterConfig {
            pool,
            max_connections: 4096,
            max_pending: 1024,
            max_buffered: 8 << 20,
            max_item: memshark_protocol::limits::ITEM_SIZE_MAX_DEFAULT,
            connect_timeout: Duration::from_secs(2),
            record_backends: false,
        }
    }
}

/// The wire family of a backend connection: memcached fixes a connection's protocol at its first
/// byte, so binary clients and text/meta clients use separate server connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// The binary protocol.
    Binary,
    /// The text protocol and the meta commands (one connection carries both).
    Text,
}

/// One server of the pool: its connections and its counters.
#[derive(Debug)]
pub(crate) struct ServerState {
    /// As configured.
    pub spec: ServerSpec,
    /// Text/meta connections (`server_connections` of them).
    pub text: Vec<mpsc::UnboundedSender<backend::Job>>,
    /// Binary connections.
    pub binary: Vec<mpsc::UnboundedSender<backend::Job>>,
    /// Requests written to it.
    pub requests: AtomicU64,
    /// Requests failed (connection lost, refused, timed out).
    pub errors: AtomicU64,
    /// Requests that timed out.
    pub timeouts: AtomicU64,
    /// Times it was ejected.
    pub ejections: AtomicU64,
    /// Consecutive connection failures.
    pub failures: AtomicU32,
    /// Ejected now.
    pub ejected: AtomicBool,
    /// When it may come back, if ejected.
    pub retry_at: Mutex<Option<Instant>>,
    /// Time from writing a request to its answer.
    pub latency: Mutex<LatencyHistogram>,
}

impl ServerState {
    /// The connection a client uses for a family: always the same one for a client, so one
    /// client's requests to one server stay in order.
    pub fn conn(&self, family: Family, client: u64) -> &mpsc::UnboundedSender<backend::Job> {
        let conns = match family {
            Family::Binary => &self.binary,
            Family::Text => &self.text,
        };
        &conns[(client as usize) % conns.len()]
    }
}

/// What every task of a router shares.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The pool.
    pub pool: PoolConfig,
    /// The servers, in the pool's order.
    pub servers: Vec<ServerState>,
    /// The placement over the live servers.
    pub continuum: RwLock<Arc<Continuum>>,
    /// Bumped each time `continuum` changes.
    pub generation: AtomicU64,
    /// Limits.
    pub config: RouterConfig,
    /// The proxy-wide counters (as the 1:1 proxy keeps them).
    pub counters: Arc<ProxyCounters>,
    /// Where the tap goes.
    pub tap: Option<mpsc::Sender<TapEvent>>,
    /// The `server` address of tap events: the server for a one-server pool, else the listen
    /// address.
    pub tap_server: SocketAddr,
    /// When the router started (for `stats` uptime).
    pub started: Instant,
    /// Numbers the server connections for the tap.
    pub next_leg: AtomicU64,
}

impl Shared {
    /// The current placement.
    pub fn placement(&self) -> (u64, Arc<Continuum>) {
        let g = self.generation.load(Ordering::Acquire);
        let c = self
            .continuum
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        (g, c)
    }

    /// Rebuilds the placement from which servers are ejected now.
    fn rebuild(&self) {
        let alive: Vec<bool> = self
            .servers
            .iter()
            .map(|s| !s.ejected.load(Ordering::Acquire))
            .collect();
        let c = Arc::new(Continuum::build(&self.pool, &alive));
        *self.continuum.write().unwrap_or_else(|p| p.into_inner()) = c;
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// A server answered: its failure count starts again.
    pub fn server_ok(&self, i: usize) {
        if let Some(s) = self.servers.get(i) {
            if s.failures.load(Ordering::Relaxed) != 0 {
                s.failures.store(0, Ordering::Relaxed);
            }
        }
    }

    /// A connection to a server failed (refused, lost, timed out): counted, and with
    /// `auto_eject_hosts` the server leaves the placement after `server_failure_limit` in a row.
    pub fn server_failed(&self, i: usize) {
        let Some(s) = self.servers.get(i) else { return };
        self.counters
            .backend_failures
            .fetch_add(1, Ordering::Relaxed);
        let n = s.failures.fetch_add(1, Ordering::AcqRel) + 1;
        if self.pool.auto_eject_hosts
            && n >= self.pool.server_failure_limit.max(1)
            && !s.ejected.swap(true, Ordering::AcqRel)
        {
            *s.retry_at.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(Instant::now() + self.pool.server_retry_timeout);
            s.ejections.fetch_add(1, Ordering::Relaxed);
            eprintln!(
                "memshark proxy: server {} ejected after {n} consecutive failures; retried in {:?}",
                s.spec.addr, self.pool.server_retry_timeout
            );
            self.rebuild();
        }
    }

    /// Re-admits ejected servers whose retry time has come.
    fn readmit_due(&self) {
        let now = Instant::now();
        let mut changed = false;
        for s in &self.servers {
            if !s.ejected.load(Ordering::Acquire) {
                continue;
            }
            let mut at = s.retry_at.lock().unwrap_or_else(|p| p.into_inner());
            if at.is_some_and(|t| t <= now) {
                *at = None;
                s.failures.store(0, Ordering::Relaxed);
                s.ejected.store(false, Ordering::Release);
                changed = true;
            }
        }
        if changed {
            self.rebuild();
        }
    }
}

/// A bound router.
#[derive(Debug)]
pub struct Router {
    listener: TcpListener,
    shared: Arc<Shared>,
    receivers: Vec<(usize, Family, mpsc::UnboundedReceiver<backend::Job>)>,
}

impl Router {
    /// Binds the listening socket (`config.pool.listen`). `tap` receives a copy of the
    /// client-side traffic, if given. No server is contacted yet (unless `preconnect`).
    pub async fn bind(
        config: RouterConfig,
        tap: Option<mpsc::Sender<TapEvent>>,
    ) -> std::io::Result<Router> {
        if config.pool.servers.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the pool has no servers",
            ));
        }
        let listener = TcpListener::bind(config.pool.listen).await?;
        let listen = listener.local_addr()?;
        let tap_server = if config.pool.servers.len() == 1 {
            tokio::net::lookup_host(config.pool.servers[0].addr.as_str())
                .await
                .ok()
                .and_then(|mut a| a.next())
                .unwrap_or(listen)
        } else {
            listen
        };
        let n = config.pool.server_connections.max(1) as usize;
        let mut receivers = Vec::new();
        let mut servers = Vec::new();
        for (i, spec) in config.pool.servers.iter().enumerate() {
            let mut text = Vec::new();
            let mut binary = Vec::new();
            for _ in 0..n {
                let (tx, rx) = mpsc::unbounded_channel();
                text.push(tx);
                receivers.push((i, Family::Text, rx));
                let (tx, rx) = mpsc::unbounded_channel();
                binary.push(tx);
                receivers.push((i, Family::Binary, rx));
            }
            servers.push(ServerState {
                spec: spec.clone(),
                text,
                binary,
                requests: AtomicU64::new(0),
                errors: AtomicU64::new(0),
                timeouts: AtomicU64::new(0),
                ejections: AtomicU64::new(0),
                failures: AtomicU32::new(0),
                ejected: AtomicBool::new(false),
                retry_at: Mutex::new(None),
                latency: Mutex::new(LatencyHistogram::new()),
            });
        }
        let continuum = Continuum::build(&config.pool, &vec![true; servers.len()]);
        let shared = Arc::new(Shared {
            pool: config.pool.clone(),
            servers,
            continuum: RwLock::new(Arc::new(continuum)),
            generation: AtomicU64::new(0),
            config,
            counters: Arc::default(),
            tap,
            tap_server,
            started: Instant::now(),
            next_leg: AtomicU64::new(1),
        });
        Ok(Router {
            listener,
            shared,
            receivers,
        })
    }

    /// Where clients connect.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The proxy-wide counters.
    pub fn counters(&self) -> Arc<ProxyCounters> {
        Arc::clone(&self.shared.counters)
    }

    /// A handle that reads the per-server counters (for a stats line).
    pub fn monitor(&self) -> Monitor {
        Monitor {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Serves until `shutdown` completes; then stops accepting and gives open connections
    /// `grace` to finish before closing them.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>, grace: Duration) {
        let Router {
            listener,
            shared,
            receivers,
        } = self;
        let mut backends = tokio::task::JoinSet::new();
        for (i, family, rx) in receivers {
            backends.spawn(backend::run(Arc::clone(&shared), i, family, rx));
        }
        let readmit = {
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(100));
                loop {
                    tick.tick().await;
                    shared.readmit_due();
                }
            })
        };
        let permits = Arc::new(Semaphore::new(shared.config.max_connections));
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        let mut next_id = 1u64;
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                        shared.counters.rejected.fetch_add(1, Ordering::Relaxed);
                        drop(stream);
                        continue;
                    };
                    shared.counters.accepted.fetch_add(1, Ordering::Relaxed);
                    let id = next_id;
                    next_id += 1;
                    let shared = Arc::clone(&shared);
                    let stop = stop_rx.clone();
                    tasks.spawn(async move {
                        client::serve(stream, peer, id, shared, stop).await;
                        drop(permit);
                    });
                    while tasks.try_join_next().is_some() {}
                }
            }
        }
        drop(listener);
        let _ =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        let _ = stop_tx.send(true);
        while tasks.join_next().await.is_some() {}
        readmit.abort();
        backends.abort_all();
        while backends.join_next().await.is_some() {}
    }
}

/// Reads a running router's per-server counters.
#[derive(Debug, Clone)]
pub struct Monitor {
    shared: Arc<Shared>,
}

impl Monitor {
    /// One snapshot per server, in the pool's order; latency percentiles are over the time
    /// since the last call with `reset` (or since the start).
    pub fn servers(&self, reset: bool) -> Vec<ServerSnapshot> {
        stats::snapshots(&self.shared, reset)
    }
}
