//! TCP reassembly: each connection's two directions as in-order byte chunks.
//!
//! * Bytes are delivered in sequence order as [`Bytes`] chunks, each with the frame number and
//!   time of the segment that carried its first byte.
//! * Out-of-order segments wait in a per-direction buffer. Retransmissions are dropped and
//!   overlaps trimmed: **the first copy of a byte that arrives wins** (what the receiver's stack
//!   would have delivered).
//! * A stream picked up mid-way (no SYN seen) starts at its first segment.
//! * A hole that cannot fill — the out-of-order buffer outgrows its cap, the connection ends, or
//!   the snap length cut a payload — becomes a [`StreamEventKind::Gap`] of the right length, so
//!   the decoder can resync.
//! * FIN and RST end a connection ([`StreamEventKind::Closed`]); so does idleness, measured in
//!   capture time.
//!
//! Memory is bounded per direction ([`ReassemblyConfig::max_buffered_per_direction`]) and in
//! all ([`ReassemblyConfig::max_buffered_total`]); what is dropped to stay within them is
//! counted in [`ReassemblyStats`].

use std::collections::BTreeMap;
use std::net::SocketAddr;

use bytes::Bytes;

use super::link::{Segment, Transport};
use super::{Origin, Timestamp};
use rustc_hash::FxHashMap;

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
    /// Out-of-order bytes dropped to respect the memory caps.
    pub dropped_for_memory: u64,
    /// Connections seen.
    pub connections: u64,
    /// Connections ended by FIN/RST.
    pub closed: u64,
    /// Connections ended by idleness.
    pub timed_out: u64,
}

#[derive(Debug, Default)]
struct Half {
    /// Stream offset of the next byte to deliver; `None` until the first segment.
    next: Option<u64>,
    /// The sequence number at stream offset 0.
    base: u32,
    /// Bytes waiting behind a hole, by stream offset.
    pending: BTreeMap<u64, (Bytes, u64, u64, Timestamp)>,
    buffered: usize,
    fin: bool,
}

impl Half {
    /// The stream offset of `seq`, taking the one nearest `next` (sequence numbers wrap).
    fn offset(&self, seq: u32) -> i64 {
        let next = self.next.unwrap_or(0);
        let next_seq = self.base.wrapping_add(next as u32);
        next as i64 + i64::from(seq.wrapping_sub(next_seq) as i32)
    }
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
#[derive(Debug)]
pub struct Reassembler {
    config: ReassemblyConfig,
    flows: FxHashMap<(SocketAddr, SocketAddr), Connection>,
    next_id: u64,
    buffered_total: usize,
    stats: ReassemblyStats,
    last_sweep: Timestamp,
    /// Servers named by the caller for flows off the memcached ports (bounded: cleared past
    /// 100 000 entries).
    server_hints: FxHashMap<(SocketAddr, SocketAddr), SocketAddr>,
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
            flows: FxHashMap::default(),
            next_id: 1,
            buffered_total: 0,
            stats: ReassemblyStats::default(),
            last_sweep: Timestamp::default(),
            server_hints: FxHashMap::default(),
        }
    }

    /// What has been seen so far.
    pub fn stats(&self) -> ReassemblyStats {
        self.stats
    }

    /// Connections currently tracked.
    pub fn open_connections(&self) -> usize {
        self.flows.len()
    }

    fn key(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
        if a <= b {
            (a, b)
        } else {
            (b, a)
        }
    }

    /// Which of `src`/`dst` is the server, for a connection first seen with this segment.
    fn server_side(&self, src: SocketAddr, dst: SocketAddr, syn: bool, ack: bool) -> SocketAddr {
        if syn && !ack {
            return dst;
        }
        if syn && ack {
            return src;
        }
        if let Some(&server) = self.server_hints.get(&Self::key(src, dst)) {
            return server;
        }
        let ports = &self.config.ports;
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

    /// Feeds one decoded frame.
    pub fn push(
        &mut self,
        frame: u64,
        ts: Timestamp,
        seg: &Segment<'_>,
        sink: &mut impl FnMut(StreamEvent),
    ) {
        if ts.as_nanos() > self.last_sweep.as_nanos() + 10_000_000_000 {
            self.sweep(ts, sink);
        }
        let tcp = match seg.transport {
            Transport::Tcp(t) => t,
            Transport::Udp => {
                self.stats.datagrams += 1;
                let server = self.server_side(seg.src, seg.dst, false, false);
                let (client, dir) = if server == seg.dst {
                    (seg.src, Direction::ToServer)
                } else {
                    (seg.dst, Direction::ToClient)
                };
                sink(StreamEvent {
                    origin: Origin::new(0, client, server, dir).at(frame, ts),
                    kind: StreamEventKind::Datagram(Bytes::copy_from_slice(seg.payload)),
                });
                return;
            }
        };
        self.stats.segments += 1;
        let key = Self::key(seg.src, seg.dst);
        if !self.flows.contains_key(&key) {
            // Only a SYN or a segment with data starts tracking (a lone ACK, FIN or RST after a
            // connection ended must not resurrect it).
            if tcp.rst || (!tcp.syn && seg.payload.is_empty() && seg.missing == 0) {
                return;
            }
            let server = self.server_side(seg.src, seg.dst, tcp.syn, tcp.ack_flag);
            let client = if server == seg.dst { seg.src } else { seg.dst };
            self.stats.connections += 1;
            let id = self.next_id;
            self.next_id += 1;
            self.flows.insert(
                key,
                Connection {
                    id,
                    client,
                    server,
                    to_server: Half::default(),
                    to_client: Half::default(),
                    last_seen: ts,
                },
            );
        }
        let Some(conn) = self.flows.get_mut(&key) else {
            return;
        };
        conn.last_seen = ts;
        let dir = if seg.dst == conn.server {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let (id, client, server) = (conn.id, conn.client, conn.server);
        let emit = |sink: &mut dyn FnMut(StreamEvent), frame, ts, kind| {
            sink(StreamEvent {
                origin: Origin::new(id, client, server, dir).at(frame, ts),
                kind,
            })
        };
        let half = match dir {
            Direction::ToServer => &mut conn.to_server,
            Direction::ToClient => &mut conn.to_client,
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
        let payload_len = seg.payload.len() as u64 + u64::from(seg.missing);
        if payload_len > 0 {
            let seq = if tcp.syn {
                tcp.seq.wrapping_add(1)
            } else {
                tcp.seq
            };
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
                    Bytes::copy_from_slice(&seg.payload[skip as usize..])
                } else {
                    Bytes::new()
                };
                let missing = payload_len - skip - data.len() as u64;
                let at = start.max(next) as u64;
                if at == next as u64 {
                    deliver(
                        half,
                        data,
                        missing,
                        frame,
                        ts,
                        &mut self.stats,
                        &mut |f, t, k| emit(sink, f, t, k),
                    );
                    drain(
                        half,
                        &mut self.buffered_total,
                        &mut self.stats,
                        &mut |f, t, k| emit(sink, f, t, k),
                    );
                } else {
                    self.stats.out_of_order += 1;
                    let len = data.len();
                    let fits_dir = half.buffered + len <= self.config.max_buffered_per_direction;
                    let fits_all = self.buffered_total + len <= self.config.max_buffered_total;
                    if fits_dir && fits_all {
                        if !half.pending.contains_key(&at) {
                            half.buffered += len;
                            self.buffered_total += len;
                            half.pending.insert(at, (data, missing, frame, ts));
                        } else {
                            self.stats.retransmitted_bytes += len as u64;
                        }
                    } else {
                        // The hole will not fill within the caps: give up on it.
                        self.stats.dropped_for_memory += len as u64;
                        skip_to_pending(
                            half,
                            &mut self.buffered_total,
                            &mut self.stats,
                            frame,
                            ts,
                            &mut |f, t, k| emit(sink, f, t, k),
                        );
                    }
                }
            }
        }
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
        key: (SocketAddr, SocketAddr),
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
            while !half.pending.is_empty() {
                skip_to_pending(
                    half,
                    &mut self.buffered_total,
                    &mut self.stats,
                    frame,
                    ts,
                    &mut emit,
                );
            }
            emit(frame, ts, StreamEventKind::Closed { reset });
        }
    }

    /// Ends connections idle longer than the timeout.
    fn sweep(&mut self, now: Timestamp, sink: &mut impl FnMut(StreamEvent)) {
        self.last_sweep = now;
        let limit = self.config.idle_timeout_ns;
        let idle: Vec<_> = self
            .flows
            .iter()
            .filter(|(_, c)| now.as_nanos().saturating_sub(c.last_seen.as_nanos()) > limit)
            .map(|(k, _)| *k)
            .collect();
        for key in idle {
            self.stats.timed_out += 1;
            self.close(key, 0, now, false, sink);
        }
    }

    /// Ends every connection (end of capture): holes become gaps, each direction is closed.
    pub fn finish(&mut self, sink: &mut impl FnMut(StreamEvent)) {
        let keys: Vec<_> = self.flows.keys().copied().collect();
        for key in keys {
            let ts = self
                .flows
                .get(&key)
                .map(|c| c.last_seen)
                .unwrap_or_default();
            self.close(key, 0, ts, false, sink);
        }
    }
}

fn deliver(
    half: &mut Half,
    data: Bytes,
    missing: u64,
    frame: u64,
    ts: Timestamp,
    stats: &mut ReassemblyStats,
    emit: &mut dyn FnMut(u64, Timestamp, StreamEventKind),
) {
    let len = data.len() as u64;
    if len > 0 {
        stats.delivered_bytes += len;
        emit(frame, ts, StreamEventKind::Data(data));
    }
    if missing > 0 {
        stats.gap_bytes += missing;
        emit(frame, ts, StreamEventKind::Gap(missing));
    }
    half.next = Some(half.next.unwrap_or(0) + len + missing);
}

/// Delivers every pending chunk that now starts at or before `next`.
fn drain(
    half: &mut Half,
    total: &mut usize,
    stats: &mut ReassemblyStats,
    emit: &mut dyn FnMut(u64, Timestamp, StreamEventKind),
) {
    while let Some((&at, _)) = half.pending.iter().next() {
        let next = half.next.unwrap_or(0);
        if at > next {
            break;
        }
        let Some((data, missing, frame, ts)) = half.pending.remove(&at) else {
            break;
        };
        half.buffered -= data.len();
        *total -= data.len();
        let skip = (next - at) as usize;
        let end = at + data.len() as u64 + missing;
        if end <= next {
            stats.retransmitted_bytes += data.len() as u64;
            continue;
        }
        stats.retransmitted_bytes += skip.min(data.len()) as u64;
        let rest = if skip < data.len() {
            data.slice(skip..)
        } else {
            Bytes::new()
        };
        let missing = end - next - rest.len() as u64;
        deliver(half, rest, missing, frame, ts, stats, emit);
    }
}

/// Declares the hole before the first pending chunk a gap, then delivers what follows it.
fn skip_to_pending(
    half: &mut Half,
    total: &mut usize,
    stats: &mut ReassemblyStats,
    frame: u64,
    ts: Timestamp,
    emit: &mut dyn FnMut(u64, Timestamp, StreamEventKind),
) {
    let next = half.next.unwrap_or(0);
    if let Some((&at, _)) = half.pending.iter().next() {
        if at > next {
            stats.gap_bytes += at - next;
            emit(frame, ts, StreamEventKind::Gap(at - next));
            half.next = Some(at);
        }
    }
    drain(half, total, stats, emit);
}
