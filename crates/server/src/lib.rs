//! The embedded reference server (`memshark serve`): a memcached that clients cannot tell from
//! memcached 1.6 for the binary protocol, the classic text protocol and the meta commands.
//!
//! * [`storage`]: the sharded item store (CAS, expiry, flush, counters, LRU under a memory
//!   limit);
//! * [`binary`] and [`ascii`]: the two front ends, each turning one request into its answers;
//! * [`Server`]: the listener and the per-connection loop. The protocol of a connection is
//!   chosen from its first byte, as memcached does (`0x80`: binary; anything else: text).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use memshark_server::{Server, ServerConfig};
//!
//! let server = Server::bind(ServerConfig::default()).await?;
//! println!("listening on {}", server.local_addr()?);
//! server.run(async { tokio::signal::ctrl_c().await.ok(); }).await;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ascii;
pub mod binary;
pub mod clock;
mod connection;
pub mod stats;
pub mod storage;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

pub use stats::VERSION;
use stats::{Counters, ProcessInfo};
pub use storage::{Store, StoreConfig};

/// Credentials for SASL PLAIN; with them, nothing but SASL and VERSION is served before a
/// client authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaslCredentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl SaslCredentials {
    /// Checks a PLAIN message: `[authzid] \0 authcid \0 password`.
    pub fn check_plain(&self, data: &[u8]) -> bool {
        let mut parts = data.splitn(3, |&b| b == 0);
        let (_authz, user, pass) = (parts.next(), parts.next(), parts.next());
        user == Some(self.user.as_bytes()) && pass == Some(self.password.as_bytes())
    }
}

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen; 127.0.0.1:11211 by default.
    pub listen: SocketAddr,
    /// Storage limits.
    pub store: StoreConfig,
    /// Most connections served at once (memcached `-c`, default 1024); more are accepted and
    /// closed at once.
    pub max_connections: usize,
    /// A connection idle this long is closed (memcached `idle_timeout`; `None`: never).
    pub idle_timeout: Option<Duration>,
    /// SASL PLAIN credentials, if authentication is required.
    pub sasl: Option<SaslCredentials>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 11211)),
            store: StoreConfig::default(),
            max_connections: 1024,
            idle_timeout: None,
            sasl: None,
        }
    }
}

/// What every connection shares.
#[derive(Debug)]
pub struct Shared {
    /// The items.
    pub store: Store,
    /// The configuration the server started with.
    pub config: ServerConfig,
    /// Start time and version.
    pub info: ProcessInfo,
}

/// Per-connection state the front ends need.
#[derive(Debug, Default)]
pub struct Session {
    /// Whether SASL authentication succeeded on this connection.
    pub authenticated: bool,
}

impl Shared {
    /// The `(name, value)` lines of a `stats` group (`""`, `"settings"`), or `None` for a group
    /// the server does not have.
    pub fn stats_group(&self, group: &str) -> Option<Vec<(String, String)>> {
        let s = |v: &dyn ToString| v.to_string();
        match group {
            "" => {
                let now = self.store.clock.now();
                let uptime = self.info.started.elapsed().as_secs();
                let (items, bytes) = self.store.usage();
                let mut lines = vec![
                    ("pid".to_string(), s(&std::process::id())),
                    ("uptime".into(), s(&uptime)),
                    ("time".into(), s(&now)),
                    ("version".into(), self.info.version.to_string()),
                    ("libevent".into(), "tokio".into()),
                    ("pointer_size".into(), s(&(usize::BITS))),
                    (
                        "threads".into(),
                        s(&std::thread::available_parallelism().map_or(1, |n| n.get())),
                    ),
                ];
                for (name, value) in self.store.counters.snapshot() {
                    lines.push((name.to_string(), s(&value)));
                }
                lines.push(("limit_maxbytes".into(), s(&self.config.store.memory_limit)));
                lines.push(("curr_items".into(), s(&items)));
                lines.push(("bytes".into(), s(&bytes)));
                Some(lines)
            }
            "settings" => Some(vec![
                ("maxbytes".into(), s(&self.config.store.memory_limit)),
                ("maxconns".into(), s(&self.config.max_connections)),
                ("tcpport".into(), s(&self.config.listen.port())),
                ("udpport".into(), "0".into()),
                ("interface".into(), s(&self.config.listen.ip())),
                ("evictions".into(), "on".into()),
                ("cas_enabled".into(), "yes".into()),
                ("item_size_max".into(), s(&self.config.store.max_item_size)),
                ("binding_protocol".into(), "auto-negotiate".into()),
                (
                    "sasl_enabled".into(),
                    if self.config.sasl.is_some() {
                        "yes"
                    } else {
                        "no"
                    }
                    .into(),
                ),
                (
                    "idle_timeout".into(),
                    s(&self.config.idle_timeout.map_or(0, |d| d.as_secs())),
                ),
            ]),
            _ => None,
        }
    }
}

/// A bound server, ready to [`run`](Server::run).
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
}

impl Server {
    /// Binds the listening socket.
    pub async fn bind(config: ServerConfig) -> std::io::Result<Server> {
        let listener = TcpListener::bind(config.listen).await?;
        let mut config = config;
        config.listen = listener.local_addr()?;
        Ok(Server {
            listener,
            shared: Arc::new(Shared {
                store: Store::new(config.store),
                config,
                info: ProcessInfo::default(),
            }),
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The state shared by connections (the store and its counters), for tests and embedding.
    pub fn shared(&self) -> Arc<Shared> {
        Arc::clone(&self.shared)
    }

    /// Serves until `shutdown` completes, then stops accepting, tells open connections to close
    /// after their current batch, and waits for them.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        let permits = Arc::new(Semaphore::new(self.shared.config.max_connections));
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = self.listener.accept() => {
                    let Ok((stream, _peer)) = accepted else { continue };
                    let counters: &Counters = &self.shared.store.counters;
                    let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                        Counters::bump(&counters.rejected_connections);
                        drop(stream);
                        continue;
                    };
                    Counters::bump(&counters.total_connections);
                    let shared = Arc::clone(&self.shared);
                    let stop = stop_rx.clone();
                    tasks.spawn(async move {
                        connection::serve(stream, shared, stop).await;
                        drop(permit);
                    });
                    while tasks.try_join_next().is_some() {}
                }
            }
        }
        let _ = stop_tx.send(true);
        while tasks.join_next().await.is_some() {}
    }
}
