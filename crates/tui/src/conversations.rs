//! Conversations and endpoints (Wireshark's *Statistics → Conversations / Endpoints*): one
//! row per connection and one per client address, with counts, bytes each way, hit ratio,
//! latency percentiles and first and last time, sortable by any column.

use std::cmp::Ordering;
use std::net::{IpAddr, SocketAddr};

use memshark_traffic::dissect::Proto;
use rustc_hash::FxHashMap;

use crate::timeline::store::{Store, ERROR, LOOKUP, NONE};

/// Which table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// One row per connection.
    Connections,
    /// One row per client address (every connection from it).
    Clients,
}

/// A column of the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The client (address and port; the address alone in the clients table).
    Client,
    /// The server.
    Server,
    /// The protocol.
    Proto,
    /// Requests seen.
    Requests,
    /// Transactions with an error answer or flagged bytes.
    Errors,
    /// Bytes client → server.
    BytesOut,
    /// Bytes server → client.
    BytesIn,
    /// Lookups that hit over lookups answered.
    HitRatio,
    /// Median latency.
    P50,
    /// 99th percentile latency.
    P99,
    /// First transaction's time.
    First,
    /// Last transaction's time.
    Last,
}

impl Column {
    /// Every column, in table order.
    pub const ALL: [Column; 12] = [
        Column::Client,
        Column::Server,
        Column::Proto,
        Column::Requests,
        Column::Errors,
        Column::BytesOut,
        Column::BytesIn,
        Column::HitRatio,
        Column::P50,
        Column::P99,
        Column::First,
        Column::Last,
    ];

    /// The header.
    pub fn name(self) -> &'static str {
        match self {
            Column::Client => "Client",
            Column::Server => "Server",
            Column::Proto => "Proto",
            Column::Requests => "Requests",
            Column::Errors => "Errors",
            Column::BytesOut => "Bytes →",
            Column::BytesIn => "Bytes ←",
            Column::HitRatio => "Hit %",
            Column::P50 => "p50",
            Column::P99 => "p99",
            Column::First => "First",
            Column::Last => "Last",
        }
    }

    /// The next column, as `o` cycles them.
    pub fn next(self) -> Column {
        let i = Column::ALL.iter().position(|&c| c == self).unwrap_or(0);
        Column::ALL[(i + 1) % Column::ALL.len()]
    }
}

/// Who a row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// A connection: its flow index in the store, its connection number and both ends.
    Connection {
        /// Index into [`Store::flows`].
        flow: u32,
        /// The connection number (`flow == N`).
        conn: u64,
        /// Client.
        client: SocketAddr,
        /// Server.
        server: SocketAddr,
    },
    /// A client address.
    Client(IpAddr),
}

/// One row of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvRow {
    /// Who.
    pub who: Endpoint,
    /// The protocol (of a client: the one of its first connection).
    pub proto: Proto,
    /// Connections (1 for a connection).
    pub connections: u64,
    /// Requests seen.
    pub requests: u64,
    /// Transactions that failed.
    pub errors: u64,
    /// Bytes client → server.
    pub bytes_out: u64,
    /// Bytes server → client.
    pub bytes_in: u64,
    /// Lookups answered.
    pub lookups: u64,
    /// Lookups that found their key.
    pub hits: u64,
    /// Median latency (ns).
    pub p50: Option<u64>,
    /// 99th percentile latency (ns).
    pub p99: Option<u64>,
    /// First transaction (ns since the epoch).
    pub first_ns: u64,
    /// Last transaction (ns since the epoch).
    pub last_ns: u64,
}

impl ConvRow {
    /// Hits over lookups, when there were lookups.
    pub fn hit_ratio(&self) -> Option<f64> {
        (self.lookups > 0).then(|| self.hits as f64 / self.lookups as f64)
    }

    /// The filter that shows this row's transactions in the timeline.
    pub fn filter(&self) -> String {
        match self.who {
            Endpoint::Connection { conn, .. } => format!("flow == {conn}"),
            Endpoint::Client(ip) => format!("client == {ip}"),
        }
    }

    fn cmp_by(&self, other: &ConvRow, col: Column) -> Ordering {
        let who = |r: &ConvRow| match r.who {
            Endpoint::Connection { client, server, .. } => (client.ip(), client.port(), server),
            Endpoint::Client(ip) => (ip, 0, SocketAddr::new(ip, 0)),
        };
        match col {
            Column::Client => who(self).cmp(&who(other)),
            Column::Server => who(self).2.cmp(&who(other).2),
            Column::Proto => self.proto.name().cmp(other.proto.name()),
            Column::Requests => self.requests.cmp(&other.requests),
            Column::Errors => self.errors.cmp(&other.errors),
            Column::BytesOut => self.bytes_out.cmp(&other.bytes_out),
            Column::BytesIn => self.bytes_in.cmp(&other.bytes_in),
            Column::HitRatio => self
                .hit_ratio()
                .partial_cmp(&other.hit_ratio())
                .unwrap_or(Ordering::Equal),
            Column::P50 => self.p50.cmp(&other.p50),
            Column::P99 => self.p99.cmp(&other.p99),
            Column::First => self.first_ns.cmp(&other.first_ns),
            Column::Last => self.last_ns.cmp(&other.last_ns),
        }
    }
}

/// Both tables, computed once from a store.
#[derive(Debug, Clone, Default)]
pub struct Conversations {
    /// One row per connection, in order of first appearance until sorted.
    pub connections: Vec<ConvRow>,
    /// One row per client address.
    pub clients: Vec<ConvRow>,
}

/// The rank of quantile `q` in `n` values.
fn rank(n: usize, q: f64) -> usize {
    (((n - 1) as f64 * q).round() as usize).min(n - 1)
}

/// The median and the 99th percentile of `v` (reordered in place): the second is looked for
/// only above the first.
fn p50_p99(v: &mut [u64]) -> (Option<u64>, Option<u64>) {
    if v.is_empty() {
        return (None, None);
    }
    let (i50, i99) = (rank(v.len(), 0.5), rank(v.len(), 0.99));
    let (_, &mut p50, above) = v.select_nth_unstable(i50);
    let p99 = match i99.checked_sub(i50 + 1) {
        Some(j) => *above.select_nth_unstable(j).1,
        None => p50,
    };
    (Some(p50), Some(p99))
}

fn empty_row(who: Endpoint, proto: Proto) -> ConvRow {
    ConvRow {
        who,
        proto,
        connections: 0,
        requests: 0,
        errors: 0,
        bytes_out: 0,
        bytes_in: 0,
        lookups: 0,
        hits: 0,
        p50: None,
        p99: None,
        first_ns: u64::MAX,
        last_ns: 0,
    }
}

impl Conversations {
    /// Counts every transaction of `store` into its connection and its client.
    pub fn of(store: &Store) -> Conversations {
        let flows = store.flows();
        let mut conns: Vec<ConvRow> = flows
            .iter()
            .enumerate()
            .map(|(i, f)| {
                empty_row(
                    Endpoint::Connection {
                        flow: i as u32,
                        conn: f.conn,
                        client: f.client,
                        server: f.server,
                    },
                    Proto::Ascii,
                )
            })
            .collect();
        let mut lat: Vec<Vec<u64>> = vec![Vec::new(); flows.len()];
        let mut seen = vec![false; flows.len()];
        for t in store.txns() {
            let f = t.flow as usize;
            let (Some(r), Some(l)) = (conns.get_mut(f), lat.get_mut(f)) else {
                continue;
            };
            if !seen[f] {
                seen[f] = true;
                r.proto = t.proto();
                r.connections = 1;
            }
            if t.req != NONE {
                r.requests += 1;
                r.bytes_out += u64::from(store.msg(t.req).map_or(0, |m| m.len()));
            }
            r.bytes_in += store
                .responses(t)
                .map(|(_, m)| u64::from(m.len()))
                .sum::<u64>();
            if t.has(ERROR) {
                r.errors += 1;
            }
            if t.has(LOOKUP) {
                if let Some(s) = t.status() {
                    r.lookups += 1;
                    r.hits += u64::from(s == 0);
                }
            }
            if let Some(ns) = t.latency() {
                l.push(ns);
            }
            r.first_ns = r.first_ns.min(t.ts_ns);
            r.last_ns = r.last_ns.max(t.ts_ns);
        }
        // Clients: the connections' sums; percentiles over all their latencies.
        let mut by_ip: FxHashMap<IpAddr, usize> = FxHashMap::default();
        let mut clients: Vec<ConvRow> = Vec::new();
        let mut client_lat: Vec<Vec<u64>> = Vec::new();
        // Which connection each client row came from, while it has only one.
        let mut only: Vec<Option<usize>> = Vec::new();
        for (i, r) in conns.iter_mut().enumerate() {
            if !seen[i] {
                continue;
            }
            let Endpoint::Connection { client, .. } = r.who else {
                continue;
            };
            let ip = client.ip();
            let c = *by_ip.entry(ip).or_insert_with(|| {
                clients.push(empty_row(Endpoint::Client(ip), r.proto));
                client_lat.push(Vec::new());
                only.push(Some(i));
                clients.len() - 1
            });
            if let Some(j) = only[c].filter(|&j| j != i) {
                // A second connection: the first one's latencies join the client's.
                let first = std::mem::take(&mut lat[j]);
                client_lat[c].extend_from_slice(&first);
                lat[j] = first;
                only[c] = None;
            }
            let cr = &mut clients[c];
            cr.connections += 1;
            cr.requests += r.requests;
            cr.errors += r.errors;
            cr.bytes_out += r.bytes_out;
            cr.bytes_in += r.bytes_in;
            cr.lookups += r.lookups;
            cr.hits += r.hits;
            cr.first_ns = cr.first_ns.min(r.first_ns);
            cr.last_ns = cr.last_ns.max(r.last_ns);
            if only[c].is_none() {
                client_lat[c].extend_from_slice(&lat[i]);
            }
            (r.p50, r.p99) = p50_p99(&mut lat[i]);
        }
        for (c, cr) in clients.iter_mut().enumerate() {
            (cr.p50, cr.p99) = match only[c] {
                // One connection: its own figures.
                Some(i) => (conns[i].p50, conns[i].p99),
                None => p50_p99(&mut client_lat[c]),
            };
        }
        let connections = conns
            .into_iter()
            .zip(seen)
            .filter_map(|(r, s)| s.then_some(r))
            .collect();
        Conversations {
            connections,
            clients,
        }
    }

    /// The rows of `table`.
    pub fn rows(&self, table: Table) -> &[ConvRow] {
        match table {
            Table::Connections => &self.connections,
            Table::Clients => &self.clients,
        }
    }

    /// Sorts both tables by `col` (ties in order of appearance).
    pub fn sort(&mut self, col: Column, descending: bool) {
        for rows in [&mut self.connections, &mut self.clients] {
            rows.sort_by(|a, b| {
                let o = a.cmp_by(b, col);
                if descending {
                    o.reverse()
                } else {
                    o
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_pick_the_rank() {
        let mut v: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(p50_p99(&mut v), (Some(51), Some(99)));
        assert_eq!(p50_p99(&mut [7]), (Some(7), Some(7)));
    }

    #[test]
    fn both_percentiles_at_once_match_a_sort() {
        let mut seed = 7u64;
        for n in [1usize, 2, 3, 10, 99, 100, 101, 1000] {
            let mut v: Vec<u64> = (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    seed >> 40
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort_unstable();
            let want = (Some(sorted[rank(n, 0.5)]), Some(sorted[rank(n, 0.99)]));
            assert_eq!(p50_p99(&mut v), want, "{n}");
        }
        assert_eq!(p50_p99(&mut []), (None, None));
    }

    #[test]
    fn a_client_of_several_connections_has_the_percentiles_of_all_their_latencies() {
        let mut store = Store::new();
        memshark_traffic::pipeline::dissect_file(
            std::path::Path::new("../../fixtures/binary.pcap"),
            &[11211],
            &mut |_| {},
            &mut |m| {
                store.push(&m);
                true
            },
        )
        .unwrap();
        let c = Conversations::of(&store);
        assert_eq!(c.clients.len(), 1);
        assert_eq!(c.clients[0].connections, c.connections.len() as u64);
        let mut all: Vec<u64> = store.txns().iter().filter_map(|t| t.latency()).collect();
        all.sort_unstable();
        let n = all.len();
        assert_eq!(c.clients[0].p50, Some(all[rank(n, 0.5)]));
        assert_eq!(c.clients[0].p99, Some(all[rank(n, 0.99)]));
    }

    #[test]
    fn columns_cycle_through_all() {
        let mut c = Column::Client;
        for _ in 0..Column::ALL.len() {
            c = c.next();
        }
        assert_eq!(c, Column::Client);
    }
}
