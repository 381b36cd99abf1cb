//! Changing a running router's pool (`memshark proxy --config` on SIGHUP) and retiring it.
//!
//! A reload builds a new [`Placement`] from the new pool: a server whose address stays keeps
//! its connections (when the connection count stays) and its counters; a new server gets new
//! connection tasks; a server that left has its job senders dropped with the old placement, so
//! its tasks finish what they were given and end. Clients keep their connections and pick the
//! new placement up at their next request (the generation counter moves).

use std::net::SocketAddr;
use std::sync::Arc;

use super::shadow::Shadow;
use super::{Placement, Shared};
use crate::pool::PoolConfig;

/// Why a router refused a new pool (the old one stays).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReloadError {
    /// The new pool has no server.
    #[error("pool {pool}: no servers")]
    NoServers {
        /// The pool's name.
        pool: String,
    },
    /// The new pool listens elsewhere: that is a new router, not a reload of this one.
    #[error("pool {pool}: listens on {new}, not on this router's {current}")]
    OtherListen {
        /// The pool's name.
        pool: String,
        /// Where this router listens.
        current: SocketAddr,
        /// Where the new pool would.
        new: SocketAddr,
    },
}

/// What a reload changed, by server address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reloaded {
    /// Servers that stayed (their counters carry over).
    pub kept: Vec<String>,
    /// Servers that joined.
    pub added: Vec<String>,
    /// Servers that left.
    pub removed: Vec<String>,
}

/// Controls a router from outside its `run` (reload, retire); cheap to clone.
#[derive(Debug, Clone)]
pub struct RouterHandle {
    pub(super) shared: Arc<Shared>,
    pub(super) listen: SocketAddr,
}

impl RouterHandle {
    /// Where the router listens.
    pub fn listen(&self) -> SocketAddr {
        self.listen
    }

    /// The pool the router routes by now.
    pub fn pool(&self) -> PoolConfig {
        self.shared.placement().1.pool.clone()
    }

    /// Routes by `pool` from the next request of every client on. `pool.listen` must be this
    /// router's address (the listening socket stays). Must be called within the runtime the
    /// router runs on (new servers' connection tasks are spawned on it).
    ///
    /// `shadow` is the pool that receives the copies for `pool.shadow`'s keys (`None`: no
    /// shadow); a running shadow is kept when its pool is unchanged, else replaced.
    pub fn reload(
        &self,
        pool: PoolConfig,
        shadow: Option<PoolConfig>,
    ) -> Result<Reloaded, ReloadError> {
        if pool.servers.is_empty() {
            return Err(ReloadError::NoServers { pool: pool.name });
        }
        if pool.listen != self.listen && pool.listen.port() != 0 {
            return Err(ReloadError::OtherListen {
                pool: pool.name,
                current: self.listen,
                new: pool.listen,
            });
        }
        let mut receivers = Vec::new();
        let mut summary = Reloaded::default();
        self.shared.replace(|old| {
            let shadow = shadow.map(|p| match &old.shadow {
                Some(s) if s.pool == p => Arc::clone(s),
                _ => Shadow::start(p, &self.shared.config, self.shared.config.shadow_queue),
            });
            let new = Placement::build(pool, shadow, Some(old), &mut receivers);
            for s in &new.servers {
                if old.servers.iter().any(|o| o.spec.addr == s.spec.addr) {
                    summary.kept.push(s.spec.addr.clone());
                } else {
                    summary.added.push(s.spec.addr.clone());
                }
            }
            summary.removed = old
                .servers
                .iter()
                .filter(|o| !new.servers.iter().any(|s| s.spec.addr == o.spec.addr))
                .map(|o| o.spec.addr.clone())
                .collect();
            new
        });
        self.shared.spawn_backends(receivers);
        Ok(summary)
    }

    /// Stops accepting; every client stops being read, gets the answers it is owed and is
    /// closed; then the router's `run` returns (the pool left the configuration).
    pub fn retire(&self) {
        self.shared.retire.send_replace(true);
    }
}
