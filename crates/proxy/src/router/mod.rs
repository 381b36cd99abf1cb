//! The multiplexing router (`memshark proxy`'s default mode): many client connections share a
//! few connections to each server of a pool, keys are placed by the pool's [`Continuum`], and
//! every answer goes back to the client that asked, in the order it asked.
//!
//! # Tasks and channels
//!
//! * One **client task** per client connection (`client.rs`): it reads requests, frames them with
//!   the sans-IO parsers of `memshark-protocol`, picks a server per key and hands each piece to
//!   that server's connection as a `backend::Job` (an unbounded channel; what bounds it is the
//!   client's pending-request limit). Beside it, the client's **writer** half receives the
//!   answers on one channel, puts them back in request order (a sequence number per request,
//!   a fragment number per piece of a split multi-get) and writes everything ready in one
//!   syscall.
//! * One **backend task** per server connection (`backend.rs`): it takes every queued job at once,
//!   writes them in one syscall, and reads answers in large reads, matching each to the oldest
//!   pending job (text and meta: in order; binary: by the opaque it rewrote).
//! * No lock per request: the backend's pending queue is locked once per batch written and once
//!   per read, the placement is an `Arc` swapped on ejection and re-read by a client only when a
//!   generation counter moves.

pub(crate) mod answer;
pub(crate) mod backend;
pub(crate) mod client;
mod client_auth;
mod reload;
pub(crate) mod request;
mod route_view;
mod server_auth;
mod shadow;
mod shadow_compare;
pub(crate) mod stats;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;

use crate::pool::{Continuum, PoolConfig, ServerSpec};
use crate::{ProxyCounters, TapEvent};
use memshark_latency::LatencyHistogram;
use shadow::{Shadow, ShadowCounters};

pub use reload::{ReloadError, Reloaded, RouterHandle};
#[cfg(test)]
pub(crate) use route_view::test_view;
pub use route_view::RouteView;
pub use shadow::{ShadowDiff, ShadowSnapshot};
pub use shadow_compare::ShadowOutcome;
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
    /// The pool that receives copies of the requests for the keys of `pool.shadow` (whose
    /// `key_fraction` says which); `None`: no shadow.
    pub shadow_pool: Option<PoolConfig>,
    /// Most shadowed requests in flight; past it copies are dropped and counted.
    pub shadow_queue: usize,
    /// Where the shadow's differences go (dropped and counted when it is full).
    pub shadow_diffs: Option<mpsc::Sender<ShadowDiff>>,
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
            shadow_pool: None,
            shadow_queue: 1024,
            shadow_diffs: None,
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

/// One server's counters and health, shared by every placement that keeps the server (they carry
/// over a reload).
#[derive(Debug)]
pub(crate) struct ServerState {
    /// As configured (when it joined).
    pub spec: ServerSpec,
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
    /// The address its first connection reached (`spec.addr` may be a host name), for the
    /// tap's server column.
    pub resolved: std::sync::OnceLock<SocketAddr>,
}

impl ServerState {
    /// A server with every counter at zero.
    fn new(spec: ServerSpec) -> ServerState {
        ServerState {
            spec,
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            ejections: AtomicU64::new(0),
            failures: AtomicU32::new(0),
            ejected: AtomicBool::new(false),
            retry_at: Mutex::new(None),
            latency: Mutex::new(LatencyHistogram::new()),
            resolved: std::sync::OnceLock::new(),
        }
    }

    /// Where the server is: the address its connection reached, or `spec.addr` when that is
    /// an address already; `None` for a host name never connected to.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.resolved
            .get()
            .copied()
            .or_else(|| self.spec.addr.parse().ok())
    }
}

/// One server of a placement: where its jobs go, and its state.
///
/// The job senders are what keeps the server's connection tasks alive: once no placement holds
/// them (the server left the pool and every client moved to the new placement), each task
/// finishes the requests it has and ends.
#[derive(Debug, Clone)]
pub(crate) struct Server {
    /// As configured in this placement (weight and name may change across a reload).
    pub spec: ServerSpec,
    /// Text/meta connections (`server_connections` of them).
    pub text: Vec<mpsc::UnboundedSender<backend::Job>>,
    /// Binary connections.
    pub binary: Vec<mpsc::UnboundedSender<backend::Job>>,
    /// Counters and health.
    pub state: Arc<ServerState>,
}

impl Server {
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

/// The receivers of new server connections, for the tasks still to spawn.
type Receivers = Vec<(
    Arc<ServerState>,
    Family,
    mpsc::UnboundedReceiver<backend::Job>,
)>;

/// Builds a placement's server for `spec`: the connections of `kept` when given (a server that
/// stays across a reload with the same connection count), else new ones whose receivers are
/// pushed on `receivers`.
fn server(
    spec: &ServerSpec,
    connections: usize,
    kept: Option<&Server>,
    receivers: &mut Receivers,
) -> Server {
    if let Some(k) = kept.filter(|k| k.text.len() == connections) {
        return Server {
            spec: spec.clone(),
            ..k.clone()
        };
    }
    let state = kept.map_or_else(
        || Arc::new(ServerState::new(spec.clone())),
        |k| Arc::clone(&k.state),
    );
    let mut text = Vec::new();
    let mut binary = Vec::new();
    for _ in 0..connections {
        let (tx, rx) = mpsc::unbounded_channel();
        text.push(tx);
        receivers.push((Arc::clone(&state), Family::Text, rx));
        let (tx, rx) = mpsc::unbounded_channel();
        binary.push(tx);
        receivers.push((Arc::clone(&state), Family::Binary, rx));
    }
    Server {
        spec: spec.clone(),
        text,
        binary,
        state,
    }
}

/// What clients route by: the pool's settings, its servers and the continuum over the live ones.
/// Replaced as a whole (ejection, re-admission, reload); a client re-reads it when the
/// generation counter moves, between requests.
#[derive(Debug)]
pub(crate) struct Placement {
    /// The pool.
    pub pool: PoolConfig,
    /// The servers, in the pool's order (the continuum's indices).
    pub servers: Vec<Server>,
    /// The placement over the live servers.
    pub continuum: Continuum,
    /// Where the shadowed keys' requests are copied.
    pub shadow: Option<Arc<Shadow>>,
}

impl Placement {
    /// The placement of `pool`, reusing the servers of `old` with the same address.
    fn build(
        pool: PoolConfig,
        shadow: Option<Arc<Shadow>>,
        old: Option<&Placement>,
        receivers: &mut Receivers,
    ) -> Placement {
        let n = pool.server_connections.max(1) as usize;
        let servers: Vec<Server> = pool
            .servers
            .iter()
            .map(|spec| {
                let kept = old.and_then(|o| o.servers.iter().find(|s| s.spec.addr == spec.addr));
                server(spec, n, kept, receivers)
            })
            .collect();
        let alive: Vec<bool> = servers
            .iter()
            .map(|s| !s.state.ejected.load(Ordering::Acquire))
            .collect();
        let continuum = Continuum::build(&pool, &alive);
        Placement {
            pool,
            servers,
            continuum,
            shadow,
        }
    }

    /// The same pool and servers with the continuum rebuilt from which servers are ejected now.
    fn rebuilt(&self) -> Placement {
        let alive: Vec<bool> = self
            .servers
            .iter()
            .map(|s| !s.state.ejected.load(Ordering::Acquire))
            .collect();
        Placement {
            pool: self.pool.clone(),
            servers: self.servers.clone(),
            continuum: Continuum::build(&self.pool, &alive),
            shadow: self.shadow.clone(),
        }
    }
}

/// What every task of a router shares.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The placement clients route by now.
    pub placement: RwLock<Arc<Placement>>,
    /// Bumped each time `placement` changes.
    pub generation: AtomicU64,
    /// Limits (its `pool` is the one the router was bound with; the current one is in
    /// `placement`).
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
    /// The server connection tasks (spawned at start and by reloads).
    pub backends: Mutex<JoinSet<()>>,
    /// Set to stop accepting and close every client once its answers are written.
    pub retire: watch::Sender<bool>,
    /// The shadow's counters.
    pub shadow_counters: Arc<ShadowCounters>,
}

impl Shared {
    /// The shared state of a router for `config` (its shadow started when it has one), and
    /// the receivers of its server connections, for the tasks to spawn.
    fn new(
        config: RouterConfig,
        tap: Option<mpsc::Sender<TapEvent>>,
        tap_server: SocketAddr,
    ) -> (Arc<Shared>, Receivers) {
        let mut receivers = Vec::new();
        let shadow = config
            .shadow_pool
            .clone()
            .map(|p| Shadow::start(p, &config, config.shadow_queue));
        let placement = Placement::build(config.pool.clone(), shadow, None, &mut receivers);
        let shared = Arc::new(Shared {
            placement: RwLock::new(Arc::new(placement)),
            generation: AtomicU64::new(0),
            config,
            counters: Arc::default(),
            tap,
            tap_server,
            started: Instant::now(),
            next_leg: AtomicU64::new(1),
            backends: Mutex::new(JoinSet::new()),
            retire: watch::channel(false).0,
            shadow_counters: Arc::default(),
        });
        (shared, receivers)
    }

    /// The current placement.
    pub fn placement(&self) -> (u64, Arc<Placement>) {
        let g = self.generation.load(Ordering::Acquire);
        let c = self
            .placement
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        (g, c)
    }

    /// Replaces the placement with what `f` makes of the current one.
    fn replace(&self, f: impl FnOnce(&Placement) -> Placement) {
        let mut slot = self.placement.write().unwrap_or_else(|p| p.into_inner());
        *slot = Arc::new(f(&slot));
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Spawns the connection tasks of new servers.
    pub(crate) fn spawn_backends(self: &Arc<Self>, receivers: Receivers) {
        let mut set = self.backends.lock().unwrap_or_else(|p| p.into_inner());
        while set.try_join_next().is_some() {}
        for (state, family, rx) in receivers {
            set.spawn(backend::run(Arc::clone(self), state, family, rx));
        }
    }

    /// A server answered: its failure count starts again.
    pub fn server_ok(&self, s: &ServerState) {
        if s.failures.load(Ordering::Relaxed) != 0 {
            s.failures.store(0, Ordering::Relaxed);
        }
    }

    /// A connection to a server failed (refused, lost, timed out): counted, and with
    /// `auto_eject_hosts` the server leaves the placement after `server_failure_limit` in a row.
    pub fn server_failed(&self, s: &ServerState) {
        self.counters
            .backend_failures
            .fetch_add(1, Ordering::Relaxed);
        let pool = self.placement().1;
        let pool = &pool.pool;
        let n = s.failures.fetch_add(1, Ordering::AcqRel) + 1;
        if pool.auto_eject_hosts
            && n >= pool.server_failure_limit.max(1)
            && !s.ejected.swap(true, Ordering::AcqRel)
        {
            *s.retry_at.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(Instant::now() + pool.server_retry_timeout);
            s.ejections.fetch_add(1, Ordering::Relaxed);
            eprintln!(
                "memshark proxy: server {} ejected after {n} consecutive failures; retried in {:?}",
                s.spec.addr, pool.server_retry_timeout
            );
            self.replace(Placement::rebuilt);
        }
    }

    /// Re-admits ejected servers whose retry time has come.
    pub(crate) fn readmit_due(&self) {
        let now = Instant::now();
        let mut changed = false;
        for s in &self.placement().1.servers {
            let s = &s.state;
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
            self.replace(Placement::rebuilt);
        }
    }
}

/// A listening socket on `addr` with twemproxy's `backlog` (the kernel caps it at
/// `net.core.somaxconn`); `SO_REUSEADDR` as memcached and twemproxy set it.
fn listen_on(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog.max(1))
}

/// A bound router.
#[derive(Debug)]
pub struct Router {
    listener: TcpListener,
    shared: Arc<Shared>,
    receivers: Receivers,
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
        let listener = listen_on(config.pool.listen, config.pool.backlog)?;
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
        let (shared, receivers) = Shared::new(config, tap, tap_server);
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

    /// A handle that reloads or retires the router while it runs.
    pub fn handle(&self) -> std::io::Result<RouterHandle> {
        Ok(RouterHandle {
            shared: Arc::clone(&self.shared),
            listen: self.local_addr()?,
        })
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
        shared.spawn_backends(receivers);
        let mut retire = shared.retire.subscribe();
        let readmit = {
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(100));
                loop {
                    tick.tick().await;
                    shared.readmit_due();
                    if let Some(s) = &shared.placement().1.shadow {
                        s.readmit_due();
                    }
                }
            })
        };
        let permits = Arc::new(Semaphore::new(shared.config.max_connections));
        let (stop_tx, stop_rx) = watch::channel(false);
        let (drain_tx, drain_rx) = watch::channel(false);
        let mut retired = false;
        let mut tasks = tokio::task::JoinSet::new();
        let mut next_id = 1u64;
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = retire.wait_for(|r| *r) => {
                    retired = true;
                    break;
                }
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
                    let drain = drain_rx.clone();
                    tasks.spawn(async move {
                        client::serve(stream, peer, id, shared, stop, drain).await;
                        drop(permit);
                    });
                    while tasks.try_join_next().is_some() {}
                }
            }
        }
        drop(listener);
        if retired {
            // The pool left the configuration: every client stops reading, gets the answers
            // it is owed, and is closed; a shutdown meanwhile still ends it within `grace`.
            let _ = drain_tx.send(true);
            tokio::select! {
                _ = async { while tasks.join_next().await.is_some() {} } => {}
                _ = &mut shutdown => {}
            }
        }
        let _ =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        let _ = stop_tx.send(true);
        while tasks.join_next().await.is_some() {}
        readmit.abort();
        let mut backends =
            std::mem::take(&mut *shared.backends.lock().unwrap_or_else(|p| p.into_inner()));
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

    /// The shadow's counters since the start, when the pool has a shadow now.
    pub fn shadow(&self) -> Option<ShadowSnapshot> {
        self.shared
            .placement()
            .1
            .shadow
            .as_ref()
            .map(|_| self.shared.shadow_counters.snapshot())
    }
}
