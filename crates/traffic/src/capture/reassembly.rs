//! TCP reassembly: each connection's two directions as in-order byte chunks.
//!
//! * Bytes are delivered in sequence order as [`Bytes`] chunks, each with the frame number and
//!   time of the segment that carried its first byte.
//! * Out-of-order segments wait in a per-direction buffer. Retransmissions are dropped and
//!   overlaps trimmed: **the first copy of a byte that arrives wins** (what the receiver's stack
//!   would have delivered).
//! * A stream picked up mid-way (no SYN seen) starts at its first segment.
//! * A hole that cannot fill becomes a [`StreamEventKind::Gap`] of the right length, so the
//!   decoder can resync, and what waited behind it is delivered: as soon as the other direction
//!   acknowledges bytes past it (the peer received what the capture lost: Wireshark's "ACKed
//!   unseen segment"), when waiting for it would outgrow a memory cap, when the connection
//!   ends, or at once when the snap length cut a payload. No byte the capture holds is thrown
//!   away to make room.
//! * FIN and RST end a connection ([`StreamEventKind::Closed`]); so does idleness, measured in
//!   capture time.
//!
//! Memory is bounded per direction ([`ReassemblyConfig::max_buffered_per_direction`]) and in
//! all ([`ReassemblyConfig::max_buffered_total`]); the holes declared to stay within them, and
//! those declared because they were acknowledged, are counted in [`ReassemblyStats`].

mod half;

use std::collections::hash_map::Entry;
use std::net::SocketAddr;

use bytes::Bytes;

use super::link::{Segment, Transport};
use super::{Origin, Timestamp};
use crate::hash::{SeededMap, SocketPairKey};
use half::{Half, Waiting};

/// Which way bytes flow on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Client to server (requests).
    ToServer,
    /// Server to client (responses).
    ToClient,
}

/// What happened on a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEventKind {
    /// Bytes, in order.
    Data(Bytes),
    /// This many bytes are missing here.
    Gap(u64),
    /// The connection ended (`reset`: by RST).
    Closed {
        /// Ended by RST rather than FIN or timeout.
        reset: bool,
    },
    /// A UDP datagram (memcached's UDP frame header included).
    Datagram(Bytes),
}

/// An event on one direction of one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEvent {
    /// Where and when: connection, ends, direction, and the frame and time of the first byte.
    pub origin: Origin,
    /// What happened.
    pub kind: StreamEventKind,
}

/// Limits of the reassembler.
#[derive(Debug, Clone)]
pub struct ReassemblyConfig {
    /// Ports that carry memcached: the side using one is the server (default 11211).
    pub ports: Vec<u16>,
    /// Out-of-order bytes kept per direction before the hole is declared a gap (4 MiB).
    pub max_buffered_per_direction: usize,
    /// Out-of-order bytes kept in all (256 MiB).
    pub max_buffered_total: usize,
    /// A connection silent this long (capture time) is closed (5 minutes).
    pub idle_timeout_ns: u64,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        ReassemblyConfig {
            ports: vec![11211],
            max_buffered_per_direction: 4 * 1024 * 1024,
            max_buffered_total: 256 * 1024 * 1024,
            idle_timeout_ns: 300 * 1_000_000_000,
        }
    }
}

/// Counters of what the reassembler saw and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReassemblyStats {
    /// TCP segments seen.
    pub segments: u64,
    /// UDP datagrams seen.
    pub datagrams: u64,
    /// Payload bytes delivered in order.
    pub delivered_bytes: u64,
    /// Segments that arrived ahead of a hole.
    pub out_of_order: u64,
    /// Bytes seen again (retransmissions and overlaps), dropped.
    pub retransmitted_bytes: u64,
    /// Bytes reported missing.
    pub gap_bytes: u64,
    /// Out-of-order bytes dropped to respect the memory caps. Always 0 now: at a cap the
    /// hole is declared a gap and the waiting bytes are delivered (see [`cap_gaps`]); kept
    /// so that readers of this struct still compile.
    ///
    /// [`cap_gaps`]: ReassemblyStats::cap_gaps
    pub dropped_for_memory: u64,
    /// Holes declared because the other direction acknowledged bytes past them: the peer
    /// received what the capture did not see (Wireshark's "ACKed unseen segment").
    pub acked_unseen_gaps: u64,
    /// Bytes in those holes.
    pub acked_unseen_bytes: u64,
    /// Holes declared because waiting for them would have outgrown a memory cap (the bytes
    /// behind them were delivered, not dropped).
    pub cap_gaps: u64,
    /// Bytes in those holes.
    pub cap_gap_bytes: u64,
    /// Connections seen.
    pub connections: u64,
    /// Connections ended by FIN/RST.
    pub closed: u64,
    /// Connections ended by idleness.
    pub timed_out: u64,
}

#[derive(Debug)]
struct Connection {
    id: u64,
    client: SocketAddr,
    server: SocketAddr,
    to_server: Half,
    to_client: Half,
    last_seen: Timestamp,
}

/// The flow table and reassembly state for every connection of a capture.
///
/// The table is keyed by the two ends' addresses, which the sender chooses: it is hashed under
/// a random seed ([`SeededMap`]), and connections ended together (idle, end of capture) end in
/// the order they were first seen, whatever the table's order.
#[derive(Debug)]
pub struct Reassembler {
    config: ReassemblyConfig,
    flows: SeededMap<SocketPairKey, Connection>,
    next_id: u64,
    buffered_total: usize,
    stats: ReassemblyStats,
    last_sweep: Timestamp,
    /// Servers named by the caller for flows off the memcached ports (bounded: cleared past
    /// 100 000 entries).
    server_hints: SeededMap<SocketPairKey, SocketAddr>,
    /// The frame being pushed by [`Self::push_shared`]: payloads are slices of it.
    shared: Option<Bytes>,
}

/// `payload` as a slice of `frame` when it lies inside it (no copy), else a copy.
fn share(frame: Option<&Bytes>, payload: &[u8]) -> Bytes {
    if let Some(frame) = frame {
        let start = (payload.as_ptr() as usize).wrapping_sub(frame.as_ptr() as usize);
        if !payload.is_empty() && start <= frame.len() && payload.len() <= frame.len() - start {
            return frame.slice(start..start + payload.len());
        }
    }
    Bytes::copy_from_slice(payload)
}

impl Reassembler {
    /// Names the server of the flow between `a` and `b`, for a flow whose ports do not say
    /// (the caller recognised a binary request or response magic in its first bytes).
    pub fn hint_server(&mut self, a: SocketAddr, b: SocketAddr, server: SocketAddr) {
        if self.server_hints.len() > 100_000 {
            self.server_hints.clear();
        }
        self.server_hints.insert(Self::key(a, b), server);
    }

    /// An empty flow table.
    pub fn new(config: ReassemblyConfig) -> Reassembler {
        Reassembler {
            config,
            flows: SeededMap::default(),
            next_id: 1,
            buffered_total: 0,
            stats: ReassemblyStats::default(),
            last_sweep: Timestamp::default(),
            server_hints: SeededMap::default(),
            shared: None,
        }
    }

    /// What has been seen so far.
    pub fn stats(&self) -> ReassemblyStats {
        self.stats
    }

    /// Out-of-order bytes waiting behind holes right now, in all connections (never more
    /// than [`ReassemblyConfig::max_buffered_total`]).
    pub fn buffered_bytes(&self) -> usize {
        self.buffered_total
    }

    /// Connections currently tracked.
    pub fn open_connections(&self) -> usize {
        self.flows.len()
    }

    fn key(a: SocketAddr, b: SocketAddr) -> SocketPairKey {
        if a <= b {
            SocketPairKey(a, b)
        } else {
            SocketPairKey(b, a)
        }
    }

    /// Which of `src`/`dst` is the server, for a connection first seen with this segment:
    /// a SYN's receiver, a SYN-ACK's sender, the caller's hint, the memcached port, the lower
    /// port. (Takes the fields it reads, so that it can run while the flow table is borrowed.)
    fn server_side(
        hints: &SeededMap<SocketPairKey, SocketAddr>,
        ports: &[u16],
        (src, dst): (SocketAddr, SocketAddr),
        syn: bool,
        ack: bool,
    ) -> SocketAddr {
        if syn && !ack {
            return dst;
        }
        if syn && ack {
            return src;
        }
        if let Some(&server) = hints.get(&Self::key(src, dst)) {
            return server;
        }
        if ports.contains(&dst.port()) {
            dst
        } else if ports.contains(&src.port()) {
            src
        } else if dst.port() <= src.port() {
            dst
        } else {
            src
        }
    }

    /// Whether a reassembler that last looked for idle connections at `last` looks again at
    /// `ts` (every 10 s of capture time).
    pub fn sweep_due(last: Timestamp, ts: Timestamp) -> bool {
        ts.as_nanos() > last.as_nanos().saturating_add(10_000_000_000)
    }

    /// Ends the connections idle at `ts` if a sweep is due ([`Self::sweep_due`]): what
    /// [`Self::push`] does first. For a caller that shards connections over several
    /// reassemblers and sweeps them all at the moments one reassembler would.
    pub fn tick(&mut self, ts: Timestamp, sink: &mut impl FnMut(StreamEvent)) {
        if Self::sweep_due(self.last_sweep, ts) {
            self.sweep(ts, sink);
        }
    }

    /// Like [`Self::push`], for a segment decoded from `frame`: the payload is handed on as
    /// a slice of `frame` instead of a copy (out-of-order bytes kept waiting are still copied,
    /// so that they do not hold the whole buffer `frame` is a slice of).
    pub fn push_shared(
        &mut self,
        number: u64,
        ts: Timestamp,
        seg: &Segment<'_>,
        frame: &Bytes,
        sink: &mut impl FnMut(StreamEvent),
    ) {
        self.shared = Some(frame.clone());
        self.push(number, ts, seg, sink);
        self.shared = None;
    }

    /// Feeds one decoded frame.
    pub fn push(
        &mut self,
        frame: u64,
        ts: Timestamp,
        seg: &Segment<'_>,
        sink: &mut impl FnMut(StreamEvent),
    ) {
        self.tick(ts, sink);
        let tcp = match seg.transport {
            Transport::Tcp(t) => t,
            Transport::Udp => {
                self.stats.datagrams += 1;
                let server = Self::server_side(
                    &self.server_hints,
                    &self.config.ports,
                    (seg.src, seg.dst),
                    false,
                    false,
                );
                let (client, dir) = if server == seg.dst {
                    (seg.src, Direction::ToServer)
                } else {
                    (seg.dst, Direction::ToClient)
                };
                sink(StreamEvent {
                    origin: Origin::new(0, client, server, dir).at(frame, ts),
                    kind: StreamEventKind::Datagram(share(self.shared.as_ref(), seg.payload)),
                });
                return;
            }
        };
        self.stats.segments += 1;
        let key = Self::key(seg.src, seg.dst);
        // One lookup per segment: the key is hashed once.
        let conn = match self.flows.entry(key) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                // Only a SYN or a segment with data starts tracking (a lone ACK, FIN or RST
                // after a connection ended must not resurrect it).
                if tcp.rst || (!tcp.syn && seg.payload.is_empty() && seg.missing == 0) {
                    return;
                }
                let server = Self::server_side(
                    &self.server_hints,
                    &self.config.ports,
                    (seg.src, seg.dst),
                    tcp.syn,
                    tcp.ack_flag,
                );
                let client = if server == seg.dst { seg.src } else { seg.dst };
                self.stats.connections += 1;
                let id = self.next_id;
                self.next_id += 1;
                e.insert(Connection {
                    id,
                    client,
                    server,
                    to_server: Half::default(),
                    to_client: Half::default(),
                    last_seen: ts,
                })
            }
        };
        conn.last_seen = ts;
        let dir = if seg.dst == conn.server {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let (id, client, server) = (conn.id, conn.client, conn.server);
        let mut emit = |dir, frame, ts, kind| {
            sink(StreamEvent {
                origin: Origin::new(id, client, server, dir).at(frame, ts),
                kind,
            })
        };
        let (half, other, other_dir) = match dir {
            Direction::ToServer => (
                &mut conn.to_server,
                &mut conn.to_client,
                Direction::ToClient,
            ),
            Direction::ToClient => (
                &mut conn.to_client,
                &mut conn.to_server,
                Direction::ToServer,
            ),
        };
        if tcp.syn {
            half.base = tcp.seq.wrapping_add(1);
            half.next = Some(0);
        }
        if half.next.is_none() {
            // Picked up mid-stream: start here.
            half.base = tcp.seq;
            half.next = Some(0);
        }
        // What the other direction has received, the capture should have seen: a hole below
        // the acknowledgement number is a capture loss and becomes a gap now. This comes
        // before the segment's own data, which its sender sent after receiving those bytes
        // (an answer is delivered after the request it acknowledges).
        if tcp.ack_flag && !tcp.rst && other.next.is_some() {
            let acked = other.offset(tcp.ack);
            if acked > other.next.unwrap_or(0) as i64 {
                other.acked(
                    acked as u64,
                    frame,
                    ts,
                    &mut self.buffered_total,
                    &mut self.stats,
                    &mut |f, t, k| emit(other_dir, f, t, k),
                );
            }
        }
        let payload_len = seg.payload.len() as u64 + u64::from(seg.missing);
        let seq = if tcp.syn {
            tcp.seq.wrapping_add(1)
        } else {
            tcp.seq
        };
        if payload_len > 0 {
            let start = half.offset(seq);
            let next = half.next.unwrap_or(0) as i64;
            let end = start + payload_len as i64;
            if end <= next {
                self.stats.retransmitted_bytes += payload_len;
            } else {
                // Trim what was already delivered (the first copy wins).
                let skip = (next - start).max(0) as u64;
                self.stats.retransmitted_bytes += skip;
                let present = seg.payload.len() as u64;
                let data = if skip < present {
                    share(self.shared.as_ref(), &seg.payload[skip as usize..])
                } else {
                    Bytes::new()
                };
                let missing = payload_len - skip - data.len() as u64;
                let at = start.max(next) as u64;
                let emit_here = &mut |f, t, k| emit(dir, f, t, k);
                let (per_dir, all) = (
                    self.config.max_buffered_per_direction,
                    self.config.max_buffered_total,
                );
                let total = &mut self.buffered_total;
                let stats = &mut self.stats;
                if at > next as u64 {
                    stats.out_of_order += 1;
                    // At a cap, the oldest holes are declared and what waited behind them
                    // delivered: memory stays bounded and no byte seen is thrown away.
                    half.make_room(data.len(), per_dir, all, frame, ts, total, stats, emit_here);
                }
                let next = half.next.unwrap_or(0);
                if at <= next {
                    // In order (perhaps only now, the holes before it declared): deliver it
                    // and whatever waited behind it.
                    let chunk = Waiting {
                        data,
                        missing,
                        frame,
                        ts,
                    };
                    half.hold(at, chunk, total, stats);
                    half.drain(total, stats, emit_here);
                } else if half.buffered + data.len() <= per_dir && *total + data.len() <= all {
                    let chunk = Waiting {
                        // Waiting bytes are copied: a slice would hold the whole chunk.
                        data: if self.shared.is_some() {
                            Bytes::copy_from_slice(&data)
                        } else {
                            data
                        },
                        missing,
                        frame,
                        ts,
                    };
                    half.hold(at, chunk, total, stats);
                } else {
                    // Nothing of this direction waits, and still no room (the segment alone
                    // is larger than the cap, or other connections hold the rest): the hole
                    // before it is declared and the segment delivered.
                    half.give_up_hole_before(at, frame, ts, stats, emit_here);
                    half.deliver(data, missing, frame, ts, stats, emit_here);
                    half.drain(total, stats, emit_here);
                }
            }
        }
        if tcp.fin && half.fin_at.is_none() {
            let fin = half.offset(seq) + payload_len as i64;
            half.fin_at = u64::try_from(fin).ok();
        }
        let half = match dir {
            Direction::ToServer => &mut conn.to_server,
            Direction::ToClient => &mut conn.to_client,
        };
        if tcp.fin || tcp.rst {
            half.fin = true;
            let both = conn.to_server.fin && conn.to_client.fin;
            if tcp.rst || both {
                self.close(key, frame, ts, tcp.rst, sink);
            }
        }
    }

    fn close(
        &mut self,
        key: SocketPairKey,
        frame: u64,
        ts: Timestamp,
        reset: bool,
        sink: &mut impl FnMut(StreamEvent),
    ) {
        let Some(mut conn) = self.flows.remove(&key) else {
            return;
        };
        self.stats.closed += u64::from(reset || conn.to_server.fin || conn.to_client.fin);
        for dir in [Direction::ToServer, Direction::ToClient] {
            let half = match dir {
                Direction::ToServer => &mut conn.to_server,
                Direction::ToClient => &mut conn.to_client,
            };
            let (id, client, server) = (conn.id, conn.client, conn.server);
            let mut emit = |f, t, kind| {
                sink(StreamEvent {
                    origin: Origin::new(id, client, server, dir).at(f, t),
                    kind,
                })
            };
            while half.has_pending() {
                half.skip_to_pending(
                    frame,
                    ts,
                    &mut self.buffered_total,
                    &mut self.stats,
                    &mut emit,
                );
            }
            emit(frame, ts, StreamEventKind::Closed { reset });
        }
    }

    /// Ends connections idle longer than the timeout, in the order they were first seen.
    fn sweep(&mut self, now: Timestamp, sink: &mut impl FnMut(StreamEvent)) {
        self.last_sweep = now;
        let limit = self.config.idle_timeout_ns;
        let mut idle: Vec<_> = self
            .flows
            .iter()
            .filter(|(_, c)| now.as_nanos().saturating_sub(c.last_seen.as_nanos()) > limit)
            .map(|(k, c)| (c.id, *k))
            .collect();
        idle.sort_unstable();
        for (_, key) in idle {
            self.stats.timed_out += 1;
            self.close(key, 0, now, false, sink);
        }
    }

    /// Ends every connection (end of capture), in the order they were first seen: holes
    /// become gaps, each direction is closed.
    pub fn finish(&mut self, sink: &mut impl FnMut(StreamEvent)) {
        let mut open: Vec<_> = self
            .flows
            .iter()
            .map(|(k, c)| (c.id, *k, c.last_seen))
            .collect();
        open.sort_unstable_by_key(|&(id, _, _)| id);
        for (_, key, ts) in open {
            self.close(key, 0, ts, false, sink);
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod hash_tests {
    //! The flow table is keyed by addresses the senders choose: flows crafted to collide under
    //! FxHash must not slow it down, and connections ended together end in a fixed order.

    use super::*;
    use crate::capture::link::TcpInfo;
    use crate::hash::collisions::{assert_no_slowdown, fx_colliding_v6, random_v6, N};
    use std::hash::Hasher;

    fn server() -> SocketAddr {
        "[::1]:11211".parse().expect("address")
    }

    /// A data segment from `client` to the server.
    fn request(client: SocketAddr, seq: u32, payload: &[u8]) -> Segment<'_> {
        Segment {
            src: client,
            dst: server(),
            transport: Transport::Tcp(TcpInfo {
                seq,
                ack: 1,
                syn: false,
                ack_flag: true,
                fin: false,
                rst: false,
            }),
            payload,
            missing: 0,
        }
    }

    #[test]
    fn flows_colliding_under_fxhash_are_tracked_as_fast_as_random_ones() {
        let random = random_v6(N, 40000);
        // Flow keys are (lower end, higher end): the server, then the client.
        let server_ip = std::net::Ipv6Addr::LOCALHOST.to_bits();
        let crafted = fx_colliding_v6(N, 40000, |_, h| h.write_u128(server_ip));
        assert!(crafted
            .iter()
            .all(|&c| Reassembler::key(c, server()).0 == server()));
        assert_no_slowdown(
            "reassembly flow table",
            &random[..],
            &crafted[..],
            |clients, deadline| {
                let mut r = Reassembler::new(ReassemblyConfig::default());
                let mut events = 0;
                // Each flow sends twice: a new connection, then a lookup.
                for seq in [100, 106] {
                    for (i, &c) in clients.iter().enumerate() {
                        r.push(
                            i as u64,
                            Timestamp::default(),
                            &request(c, seq, b"get k\n"),
                            &mut |_| events += 1,
                        );
                        if i % 1024 == 0 && deadline.passed() {
                            return false;
                        }
                    }
                }
                assert_eq!(
                    (r.open_connections(), events),
                    (clients.len(), 2 * clients.len())
                );
                true
            },
        );
    }

    #[test]
    fn connections_ended_together_end_in_the_order_they_were_first_seen() {
        let clients = random_v6(500, 40000);
        let mut r = Reassembler::new(ReassemblyConfig::default());
        for (i, &c) in clients.iter().enumerate() {
            // A cut-off segment leaves a hole behind each connection's data.
            r.push(
                i as u64,
                Timestamp::from_nanos(i as u64),
                &request(c, 100, b"get"),
                &mut |_| {},
            );
            r.push(
                i as u64,
                Timestamp::from_nanos(i as u64),
                &request(c, 110, b"x"),
                &mut |_| {},
            );
        }
        let mut ended = Vec::new();
        r.finish(&mut |ev| {
            if ev.kind == (StreamEventKind::Closed { reset: false })
                && ev.origin.dir == Direction::ToServer
            {
                ended.push(ev.origin.client);
            }
        });
        assert_eq!(ended, clients);
        // Idle connections too.
        let mut r = Reassembler::new(ReassemblyConfig::default());
        for (i, &c) in clients.iter().enumerate() {
            r.push(
                i as u64,
                Timestamp::from_nanos(i as u64),
                &request(c, 100, b"get"),
                &mut |_| {},
            );
        }
        let mut ended = Vec::new();
        let late =
            Timestamp::from_nanos(ReassemblyConfig::default().idle_timeout_ns + 20_000_000_000);
        let newcomer = "[2001:db8::1]:40001".parse().expect("address");
        r.push(0, late, &request(newcomer, 1, b"x"), &mut |ev| {
            if matches!(ev.kind, StreamEventKind::Closed { .. })
                && ev.origin.dir == Direction::ToServer
            {
                ended.push(ev.origin.client);
            }
        });
        assert_eq!(ended, clients);
    }
}
