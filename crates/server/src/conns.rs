//! The open connections, for `stats conns`: each registers on accept and leaves when dropped.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One open connection.
#[derive(Debug)]
pub struct ConnInfo {
    /// The client's address.
    pub peer: SocketAddr,
    started: Instant,
    /// Seconds after `started` (the server's) of the last command.
    last_cmd: AtomicU64,
}

impl ConnInfo {
    /// Seconds after the server started at which the last command arrived.
    pub fn last_cmd(&self) -> u64 {
        self.last_cmd.load(Ordering::Relaxed)
    }

    /// Notes that a command arrived now.
    pub fn mark(&self) {
        self.last_cmd
            .store(self.started.elapsed().as_secs(), Ordering::Relaxed);
    }
}

/// The registry of open connections.
#[derive(Debug, Default)]
pub struct Conns {
    next: AtomicU64,
    open: Mutex<BTreeMap<u64, Arc<ConnInfo>>>,
}

/// A registered connection; leaves the registry when dropped.
#[derive(Debug)]
pub struct Registered<'a> {
    conns: &'a Conns,
    /// The connection's id in `stats conns`.
    pub id: u64,
    /// Its entry.
    pub info: Arc<ConnInfo>,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.conns
            .open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

impl Conns {
    /// Registers a connection from `peer`; `started` is when the server started.
    pub fn register(&self, peer: SocketAddr, started: Instant) -> Registered<'_> {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let info = Arc::new(ConnInfo {
            peer,
            started,
            last_cmd: AtomicU64::new(started.elapsed().as_secs()),
        });
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, Arc::clone(&info));
        Registered {
            conns: self,
            id,
            info,
        }
    }

    /// The open connections, by id.
    pub fn list(&self) -> Vec<(u64, Arc<ConnInfo>)> {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(id, c)| (*id, Arc::clone(c)))
            .collect()
    }
}
