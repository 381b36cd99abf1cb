//! memcached over UDP: every datagram starts with an 8-byte frame header (request id,
//! sequence number, datagram count, reserved). A request is one datagram; its answer is one or
//! more datagrams carrying the request's id, numbered from 0.
//!
//! Answers are paired with their request by (client, server, request id), with latency; an
//! answer in several datagrams is put together, in sequence order, once all have arrived.
//! Both tables are keyed by addresses the senders choose, so they are seeded
//! ([`SeededMap`]), and bounded: past [`MAX_PENDING`] waiting requests or [`MAX_PARTIAL`]
//! answers being put together, the tables are emptied and what they held counted.

use bytes::{Bytes, BytesMut};

use crate::capture::{Origin, Timestamp};
use crate::hash::{SeededMap, SocketPairKey};
use memshark_protocol::op::Op;

/// Requests waiting for an answer, in all flows, before the table is emptied.
pub const MAX_PENDING: usize = 65_536;
/// Multi-datagram answers being put together, in all flows, before the table is emptied.
pub const MAX_PARTIAL: usize = 1024;
/// Bytes of multi-datagram answers held, in all, before the table is emptied.
pub const MAX_PARTIAL_BYTES: usize = 64 * 1024 * 1024;

/// memcached's UDP frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FrameHeader {
    /// The request id, echoed in every datagram of the answer.
    pub id: u16,
    /// This datagram's number within the answer, from 0.
    pub seq: u16,
    /// How many datagrams the answer has.
    pub count: u16,
}

impl FrameHeader {
    /// The header at the front of a datagram, if it is long enough.
    pub fn parse(d: &[u8]) -> Option<FrameHeader> {
        let word = |i: usize| Some(u16::from_be_bytes([*d.get(i)?, *d.get(i + 1)?]));
        if d.len() < 8 {
            return None;
        }
        Some(FrameHeader {
            id: word(0)?,
            seq: word(2)?,
            count: word(4)?,
        })
    }
}

/// A request waiting for its answer.
#[derive(Debug, Clone, Copy)]
pub(super) struct Waiting {
    /// Its transaction number.
    pub txn: u64,
    /// Its op.
    pub op: Option<Op>,
    /// When it was seen.
    pub ts: Timestamp,
}

#[derive(Debug)]
struct Partial {
    parts: Vec<Option<Bytes>>,
    have: usize,
    bytes: usize,
    /// Where the first datagram (sequence 0, else the first seen) was seen.
    origin: Origin,
    first_seq: u16,
}

type Key = (SocketPairKey, u16);

/// The UDP pairing state of a dissector.
#[derive(Debug, Default)]
pub(super) struct Udp {
    pending: SeededMap<Key, Waiting>,
    partial: SeededMap<Key, Partial>,
    partial_bytes: usize,
    /// Requests let go unanswered to stay within the bounds.
    pub dropped_requests: u64,
    /// Multi-datagram answers let go unfinished to stay within the bounds.
    pub dropped_answers: u64,
}

fn key(origin: &Origin, id: u16) -> Key {
    (SocketPairKey(origin.client, origin.server), id)
}

impl Udp {
    /// Notes a request that waits for its answer.
    pub fn request(&mut self, origin: &Origin, id: u16, waiting: Waiting) {
        if self.pending.len() >= MAX_PENDING {
            self.dropped_requests += self.pending.len() as u64;
            self.pending.clear();
        }
        self.pending.insert(key(origin, id), waiting);
    }

    /// The request an answer with this id is for.
    pub fn waiting(&self, origin: &Origin, id: u16) -> Option<Waiting> {
        self.pending.get(&key(origin, id)).copied()
    }

    /// The request has had its whole answer.
    pub fn answered(&mut self, origin: &Origin, id: u16) {
        self.pending.remove(&key(origin, id));
    }

    /// Requests still waiting (at the end of the input: unanswered).
    pub fn waiting_count(&self) -> usize {
        self.pending.len()
    }

    /// Takes one datagram of a multi-datagram answer; returns the whole answer's body and
    /// where its first datagram was seen once every datagram has arrived.
    pub fn answer_part(
        &mut self,
        origin: &Origin,
        h: FrameHeader,
        body: Bytes,
    ) -> Option<(Bytes, Origin)> {
        let count = usize::from(h.count);
        let seq = usize::from(h.seq);
        if seq >= count {
            return None;
        }
        if self.partial.len() >= MAX_PARTIAL || self.partial_bytes + body.len() > MAX_PARTIAL_BYTES
        {
            self.dropped_answers += self.partial.len() as u64;
            self.partial.clear();
            self.partial_bytes = 0;
        }
        let k = key(origin, h.id);
        let p = self.partial.entry(k).or_insert_with(|| Partial {
            parts: vec![None; count],
            have: 0,
            bytes: 0,
            origin: *origin,
            first_seq: h.seq,
        });
        if p.parts.len() != count {
            // Another answer reusing the id: start over.
            self.partial_bytes -= p.bytes;
            *p = Partial {
                parts: vec![None; count],
                have: 0,
                bytes: 0,
                origin: *origin,
                first_seq: h.seq,
            };
        }
        if h.seq < p.first_seq {
            p.origin = *origin;
            p.first_seq = h.seq;
        }
        if p.parts[seq].is_none() {
            p.have += 1;
            p.bytes += body.len();
            self.partial_bytes += body.len();
            p.parts[seq] = Some(body);
        }
        if p.have < count {
            return None;
        }
        let p = self.partial.remove(&k)?;
        self.partial_bytes -= p.bytes;
        let mut whole = BytesMut::with_capacity(p.bytes);
        for part in p.parts.into_iter().flatten() {
            whole.extend_from_slice(&part);
        }
        Some((whole.freeze(), p.origin))
    }

    /// Multi-datagram answers still missing datagrams.
    pub fn unfinished_count(&self) -> usize {
        self.partial.len()
    }
}
