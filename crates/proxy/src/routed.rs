//! The server column of routed traffic: a [`Sink`] adapter that puts, in each dissected message
//! of a router's client connection, the server its request went to instead of the proxy.
//!
//! The tap sees a client's connection to the proxy; with a pool of several servers, its
//! requests go to different servers. A request with a key is given the server the router's
//! placement names for that key ([`RouteView::server_of`]: the router's own continuum, so the
//! same choice the router made unless the placement changed in the few milliseconds between);
//! its answer (paired by the dissector's transaction number) is given the same server. A multi-
//! key get is shown at its first key's server. Requests without a key (`stats`, `version`,
//! `flush_all`, …) keep the proxy's address when the pool has several servers, as the proxy
//! answers or broadcasts them; with one server they show that server.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use memshark_traffic::capture::LiveStats;
use memshark_traffic::dissect::{Kind, Message};
use memshark_traffic::pipeline::PassStats;
use memshark_traffic::source::{Progress, Sink};

use crate::RouteView;

/// Requests remembered per connection while their answers are awaited; past this the oldest
/// are forgotten (their answers keep the proxy's address). A client of the router has at most
/// its `max_pending` requests in flight, far fewer than this in practice.
pub(crate) const PENDING_PER_CONN: usize = 4096;

/// One routed client connection.
#[derive(Debug)]
struct Conn {
    route: RouteView,
    /// Transaction number → server of requests not answered yet, oldest first.
    pending: VecDeque<(u64, SocketAddr)>,
}

/// Wraps the tap consumer's sink; connections are registered by [`RoutedSink::open`] and
/// forgotten by [`RoutedSink::close`], so the table is bounded by the open connections.
#[derive(Debug)]
pub(crate) struct RoutedSink<S> {
    inner: S,
    conns: HashMap<u64, Conn>,
}

impl<S: Sink> RoutedSink<S> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: S) -> RoutedSink<S> {
        RoutedSink {
            inner,
            conns: HashMap::new(),
        }
    }

    /// A router's client connection opened.
    pub(crate) fn open(&mut self, conn: u64, route: RouteView) {
        self.conns.insert(
            conn,
            Conn {
                route,
                pending: VecDeque::new(),
            },
        );
    }

    /// The connection closed.
    pub(crate) fn close(&mut self, conn: u64) {
        self.conns.remove(&conn);
    }

    /// Connections registered now.
    #[cfg(test)]
    pub(crate) fn open_conns(&self) -> usize {
        self.conns.len()
    }

    /// The server `m` went to (or came from), if known.
    fn server_of(&mut self, m: &Message) -> Option<SocketAddr> {
        let conn = self.conns.get_mut(&m.origin.conn)?;
        match m.kind() {
            Kind::Request => {
                let server = conn.route.server_of_message(m)?;
                if let Some(txn) = m.txn {
                    if conn.pending.len() == PENDING_PER_CONN {
                        conn.pending.pop_front();
                    }
                    conn.pending.push_back((txn, server));
                }
                Some(server)
            }
            Kind::Response => {
                if let Some(txn) = m.txn {
                    // Answers come in request order; older requests still queued were quiet
                    // (or their answers lost) and are settled by this one.
                    while let Some(&(t, server)) = conn.pending.front() {
                        if t > txn {
                            break;
                        }
                        conn.pending.pop_front();
                        if t == txn {
                            return Some(server);
                        }
                    }
                }
                conn.route.server_of_message(m)
            }
        }
    }
}

impl<S: Sink> Sink for RoutedSink<S> {
    type Error = S::Error;

    fn begin(&mut self) -> Result<bool, S::Error> {
        self.inner.begin()
    }

    fn message(&mut self, mut message: Message) -> Result<bool, S::Error> {
        if !self.conns.is_empty() {
            if let Some(server) = self.server_of(&message) {
                message.origin.server = server;
            }
        }
        self.inner.message(message)
    }

    fn progress(&mut self, progress: Progress) -> Result<bool, S::Error> {
        self.inner.progress(progress)
    }

    fn idle(&mut self) -> Result<bool, S::Error> {
        self.inner.idle()
    }

    fn kernel(&mut self, counters: LiveStats) -> Result<bool, S::Error> {
        self.inner.kernel(counters)
    }

    fn finish(&mut self, stats: &PassStats) -> Result<(), S::Error> {
        self.inner.finish(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use memshark_traffic::capture::{Direction, Origin};
    use memshark_traffic::dissect::Proto;

    const PROXY: &str = "127.0.0.1:7000";
    const CLIENT: &str = "127.0.0.1:5000";

    fn message(conn: u64, dir: Direction, key: Option<&str>, txn: u64) -> Message {
        let origin = Origin::new(
            conn,
            CLIENT.parse().expect("addr"),
            PROXY.parse().expect("addr"),
            dir,
        );
        let mut m = Message::new(origin, Proto::Ascii);
        m.key = key.map(|k| Bytes::copy_from_slice(k.as_bytes()));
        m.txn = Some(txn);
        m
    }

    /// The servers of the messages a sink was given.
    type Seen = Arc<std::sync::Mutex<Vec<SocketAddr>>>;

    /// A routed sink over a pool of three (connection 1 registered), the servers of the
    /// messages it passed on, a view of the same router, and the router's state.
    fn sink() -> (
        Arc<crate::router::Shared>,
        RoutedSink<impl Sink<Error = memshark_traffic::source::SourceError>>,
        Seen,
        RouteView,
    ) {
        let servers = ["127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"].map(String::from);
        let pool = crate::pool_from_servers(PROXY.parse().expect("addr"), &servers);
        let (shared, view) = crate::router::test_view(pool);
        let seen = Seen::default();
        let s = Arc::clone(&seen);
        let inner = memshark_traffic::source::from_fn(move |m: Message| {
            s.lock().expect("lock").push(m.origin.server);
            true
        });
        let mut routed = RoutedSink::new(inner);
        routed.open(1, view.clone());
        (shared, routed, seen, view)
    }

    use std::sync::Arc;

    #[test]
    fn requests_and_their_answers_name_the_keys_server_and_keyless_ones_the_proxy() {
        let (_shared, mut routed, seen, mut view) = sink();
        let proxy: SocketAddr = PROXY.parse().expect("addr");
        let keys = ["a", "b", "key1", "key2", "user:9"];
        for (txn, k) in keys.iter().enumerate() {
            routed
                .message(message(1, Direction::ToServer, Some(k), txn as u64))
                .expect("ok");
        }
        routed
            .message(message(1, Direction::ToServer, None, 5))
            .expect("ok");
        // Answers without keys (STORED), one request (txn 1) quiet and never answered.
        for txn in [0, 2, 3, 4, 5] {
            routed
                .message(message(1, Direction::ToClient, None, txn))
                .expect("ok");
        }
        // Another connection of the proxy, not a router's: left as it is.
        routed
            .message(message(2, Direction::ToServer, Some("a"), 9))
            .expect("ok");
        let want: Vec<SocketAddr> = keys
            .iter()
            .map(|k| view.server_of(k.as_bytes()).expect("placed"))
            .collect();
        let seen = seen.lock().expect("lock").clone();
        assert_eq!(&seen[..5], &want[..]);
        assert_eq!(seen[5], proxy, "a keyless request to a pool of three");
        assert_eq!(
            &seen[6..10],
            &[want[0], want[2], want[3], want[4]],
            "answers follow their requests"
        );
        assert_eq!(seen[10], proxy, "the keyless request's answer");
        assert_eq!(seen[11], proxy, "not a router connection");
        assert!(routed.conns[&1].pending.is_empty());
        routed.close(1);
        assert_eq!(routed.open_conns(), 0);
    }

    #[test]
    fn unanswered_requests_are_remembered_up_to_the_bound() {
        let (_shared, mut routed, _seen, _view) = sink();
        for txn in 0..(PENDING_PER_CONN as u64 + 100) {
            routed
                .message(message(1, Direction::ToServer, Some("k"), txn))
                .expect("ok");
        }
        assert_eq!(routed.conns[&1].pending.len(), PENDING_PER_CONN);
        assert_eq!(routed.conns[&1].pending.front().map(|p| p.0), Some(100));
    }
}
