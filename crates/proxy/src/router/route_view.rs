//! Which server a key goes to, seen from outside the router: what the tap's consumer asks to
//! put the routed server, not the proxy, in the server column of the timeline, the dump and the
//! Parquet rows.

use std::net::SocketAddr;
use std::sync::{Arc, Weak};

use super::{Placement, Shared};

/// A read-only view of one router's placement (its pool, the continuum over the live servers).
///
/// It holds the router weakly: a view kept by the tap's consumer never keeps a stopped router
/// (or its tap channel) alive; once the router is gone every question answers `None`.
#[derive(Clone)]
pub struct RouteView {
    shared: Weak<Shared>,
    /// The placement last read and its generation: re-read only when the router's moves.
    cached: Option<(u64, Arc<Placement>)>,
}

impl std::fmt::Debug for RouteView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteView").finish_non_exhaustive()
    }
}

impl RouteView {
    /// A view of the router that owns `shared`.
    pub(crate) fn new(shared: &Arc<Shared>) -> RouteView {
        RouteView {
            shared: Arc::downgrade(shared),
            cached: None,
        }
    }

    /// The placement now, read again only when it changed (ejection, re-admission, reload).
    fn placement(&mut self) -> Option<&Placement> {
        let shared = self.shared.upgrade()?;
        let generation = shared.generation.load(std::sync::atomic::Ordering::Acquire);
        if self.cached.as_ref().map(|(g, _)| *g) != Some(generation) {
            self.cached = Some(shared.placement());
        }
        self.cached.as_ref().map(|(_, p)| &**p)
    }

    /// The server a request for `key` goes to now (the router's own choice: same continuum,
    /// same hash tag, ejected servers left out). `None` when the router is gone or the server's
    /// address is a host name not connected to yet.
    pub fn server_of(&mut self, key: &[u8]) -> Option<SocketAddr> {
        let p = self.placement()?;
        let i = p.continuum.server_for(key)?;
        p.servers.get(i)?.state.addr()
    }

    /// The server of a message by its own content: its key's, or for a message without a key
    /// the pool's only server (`None` with several: the proxy answers or broadcasts those).
    pub fn server_of_message(
        &mut self,
        m: &memshark_traffic::dissect::Message,
    ) -> Option<SocketAddr> {
        match &m.key {
            Some(key) => self.server_of(key),
            None => self.only_server(),
        }
    }

    /// The pool's one server, when it has exactly one (then every request, keyed or not, goes
    /// there; with several, requests without a key are answered or broadcast by the proxy).
    pub fn only_server(&mut self) -> Option<SocketAddr> {
        match &self.placement()?.servers[..] {
            [one] => one.state.addr(),
            _ => None,
        }
    }
}

/// A router's shared state for `pool` (no task started, nothing connected) and a view of it.
#[cfg(test)]
pub(crate) fn test_view(pool: crate::pool::PoolConfig) -> (Arc<Shared>, RouteView) {
    let listen = pool.listen;
    let (shared, _receivers) = Shared::new(super::RouterConfig::new(pool), None, listen);
    let view = RouteView::new(&shared);
    (shared, view)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool_from_servers;

    #[test]
    fn the_view_names_the_routers_server_and_nothing_once_the_router_is_gone() {
        let servers = ["127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"].map(String::from);
        let pool = pool_from_servers("127.0.0.1:7000".parse().expect("addr"), &servers);
        let continuum = crate::pool::Continuum::build(&pool, &[true; 3]);
        let (shared, mut view) = test_view(pool);
        for key in ["a", "key7", "user:1"] {
            let want = continuum
                .server_for(key.as_bytes())
                .map(|i| servers[i].parse().expect("addr"));
            assert_eq!(view.server_of(key.as_bytes()), want, "{key}");
        }
        assert_eq!(view.only_server(), None, "three servers");
        drop(shared);
        assert_eq!(view.server_of(b"a"), None);
    }

    #[test]
    fn a_one_server_pool_names_its_server_for_requests_without_a_key() {
        let pool = pool_from_servers(
            "127.0.0.1:7000".parse().expect("addr"),
            &["127.0.0.1:7001".to_string()],
        );
        let (_shared, mut view) = test_view(pool);
        assert_eq!(
            view.only_server(),
            Some("127.0.0.1:7001".parse().expect("addr"))
        );
    }
}
