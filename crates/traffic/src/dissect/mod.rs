//! From byte streams to memcached messages and request/response pairs.
//!
//! [`Dissector::push`] takes the [`StreamEvent`]s of the reassembler (or of the proxy's tap) and
//! emits [`Message`]s: each connection's protocol is sniffed from its first byte (binary magics
//! `0x80`/`0x81` and Couchbase's `0x08`/`0x18`, else text/meta), both directions are decoded, and
//! every response is paired with its request:
//!
//! * binary by opaque — the first outstanding request with that opaque, so clients that reuse
//!   opaques still pair in order; quiet requests passed over by a later answer are settled as
//!   silent (a GETQ miss has no answer); STAT stays open until its empty terminator;
//! * text in order — `VALUE` and `STAT` lines belong to the request before them and `END`
//!   closes it; `noreply` requests expect nothing; meta quiet (`q`) requests are settled by the
//!   next answer that is not theirs (`mn`'s `MN` at the latest).
//!
//! After a gap or garbage the message is flagged with its [`Problem`] and decoding resyncs at
//! the next plausible header (binary: known magic and opcode, sane lengths) or line. A gap that falls
//! inside a binary value of known length keeps the stream in sync. Unpaired requests and
//! responses are counted in [`DissectStats`], never dropped.

mod decode;
mod message;
mod problem;
mod resync;
mod udp;

use std::collections::VecDeque;
use std::hash::BuildHasher;

use bytes::{Buf, Bytes, BytesMut};

pub use message::{Kind, Message, Proto};
pub use problem::{Malformed, Problem};

use crate::capture::{Direction, Origin, StreamEvent, StreamEventKind, Timestamp};
use crate::hash::SeededState;
use decode::Step;
use memshark_protocol::ascii::{ParseLimits, Reply};
use memshark_protocol::binary::{Opcode, Status};
use memshark_protocol::meta::ResponseCode;
use memshark_protocol::op::{AsciiOp, MetaOp, Op};
use rustc_hash::FxHashMap;

/// Counters of what the dissector saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DissectStats {
    /// Messages emitted.
    pub messages: u64,
    /// Requests.
    pub requests: u64,
    /// Responses.
    pub responses: u64,
    /// Responses paired with a request.
    pub paired: u64,
    /// Responses with no outstanding request.
    pub unpaired_responses: u64,
    /// Requests still waiting when their connection ended.
    pub unpaired_requests: u64,
    /// Malformed messages (flagged and skipped).
    pub malformed: u64,
    /// Gaps reported by the reassembler.
    pub gaps: u64,
    /// Bytes skipped after a gap (or at the start of a stream picked up mid-way) to reach the
    /// next real message: the rest of messages whose start was lost.
    pub skipped_bytes: u64,
    /// Messages cut by a gap inside their value, reported with their header's fields, the
    /// stream kept in step by skipping the rest of the value.
    pub gaps_in_values: u64,
    /// UDP answers in several datagrams, put together.
    pub udp_multi_datagram_answers: u64,
    /// UDP answers still missing datagrams at the end (or let go to stay within bounds).
    pub udp_unfinished_answers: u64,
    /// Bytes client → server.
    pub bytes_to_server: u64,
    /// Bytes server → client.
    pub bytes_to_client: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    Binary,
    Text,
}

#[derive(Debug, Default)]
struct Side {
    buf: BytesMut,
    /// Stream offset of `buf[0]`.
    offset: u64,
    /// (stream offset, frame, time) of each chunk still (partly) in `buf`.
    marks: VecDeque<(u64, u64, Timestamp)>,
    /// Bytes to drop as they arrive (the rest of a message cut by a gap).
    swallow: u64,
    /// `buf` must hold this many bytes before decoding is worth trying again.
    need: usize,
    /// The direction has ended (FIN/RST or end of capture).
    done: bool,
    /// Data has been seen in this direction.
    started: bool,
    /// The next message must be found ([`resync::find`]): after a gap, and at the start of a
    /// direction (which may have been picked up mid-way).
    resync: bool,
    /// The bytes skipped so far while resyncing, as one flagged message (its `raw`: the first
    /// chunk of them), emitted when the next message is found, a gap comes or the direction
    /// ends.
    skipped: Option<Message>,
}

#[derive(Debug)]
struct Pending {
    txn: u64,
    /// Hash of the key of a binary request whose answer names it (GETK/GETKQ/GATK…), so that
    /// quiet multi-gets that all use one opaque still pair each hit with its own request.
    /// Seeded at random ([`Dissector::key_seed`]), so a sender cannot pick two keys that pass
    /// for one another.
    key_hash: Option<u64>,
    opaque: Option<u32>,
    op: Option<Op>,
    ts: Timestamp,
    quiet: bool,
    /// Answers keep coming until a terminator (see `answered_in_series`).
    multi: bool,
}

#[derive(Debug)]
struct Conn {
    wire: Option<Wire>,
    /// A gap cut the answers (text pairing then skips requests an answer cannot be for:
    /// their answers were lost) or the requests (an answer no waiting request can have is
    /// then a lost request's). Cleared when no request waits.
    lost_answers: bool,
    lost_requests: bool,
    to_server: Side,
    to_client: Side,
    pending: VecDeque<Pending>,
}

/// Per-connection decoders and pairing state.
#[derive(Debug)]
pub struct Dissector {
    /// By connection id: numbers the reassembler (or the proxy) assigns, not the sender.
    conns: FxHashMap<u64, Conn>,
    /// The random seed of [`Pending::key_hash`].
    key_seed: SeededState,
    limits: ParseLimits,
    stats: DissectStats,
    next_txn: u64,
    /// UDP pairing by request id.
    udp: udp::Udp,
}

impl Default for Dissector {
    fn default() -> Self {
        Dissector::new()
    }
}

impl Dissector {
    /// A dissector with no connections.
    pub fn new() -> Dissector {
        Dissector {
            conns: FxHashMap::default(),
            key_seed: SeededState::default(),
            limits: ParseLimits::permissive(),
            stats: DissectStats::default(),
            next_txn: 0,
            udp: udp::Udp::default(),
        }
    }

    /// What has been seen so far.
    pub fn stats(&self) -> DissectStats {
        self.stats
    }

    /// Feeds one stream event; messages go to `sink` as they complete.
    pub fn push(&mut self, mut ev: StreamEvent, sink: &mut impl FnMut(Message)) {
        let kind = std::mem::replace(&mut ev.kind, StreamEventKind::Gap(0));
        let ev = ev.origin;
        match kind {
            StreamEventKind::Datagram(d) => self.datagram(&ev, d, sink),
            StreamEventKind::Data(data) => {
                match ev.dir {
                    Direction::ToServer => self.stats.bytes_to_server += data.len() as u64,
                    Direction::ToClient => self.stats.bytes_to_client += data.len() as u64,
                }
                let conn = self.conns.entry(ev.conn).or_insert_with(|| Conn {
                    wire: None,
                    lost_answers: false,
                    lost_requests: false,
                    to_server: Side::default(),
                    to_client: Side::default(),
                    pending: VecDeque::new(),
                });
                let side = match ev.dir {
                    Direction::ToServer => &mut conn.to_server,
                    Direction::ToClient => &mut conn.to_client,
                };
                let mut data = data;
                if side.swallow > 0 {
                    let n = side.swallow.min(data.len() as u64);
                    side.swallow -= n;
                    side.offset = side.offset.saturating_add(n);
                    data.advance(n as usize);
                }
                if data.is_empty() {
                    return;
                }
                if !side.started {
                    // The protocol and the first message are found, not assumed: the capture
                    // may have begun in the middle of a message.
                    side.started = true;
                    side.resync = true;
                }
                let end = side.offset + side.buf.len() as u64;
                side.marks.push_back((end, ev.frame, ev.ts));
                if side.buf.is_empty() {
                    // The common case: messages start at this chunk; decode straight from it.
                    self.drain(&ev, Some(data), sink);
                } else {
                    side.buf.extend_from_slice(&data);
                    if side.buf.len() >= side.need {
                        self.drain(&ev, None, sink);
                    }
                }
            }
            StreamEventKind::Gap(n) => {
                self.stats.gaps += 1;
                self.flush_skipped(&ev, sink);
                let Some(conn) = self.conns.get_mut(&ev.conn) else {
                    return;
                };
                let wire = conn.wire;
                match ev.dir {
                    Direction::ToServer => conn.lost_requests = true,
                    Direction::ToClient => conn.lost_answers = true,
                }
                let side = match ev.dir {
                    Direction::ToServer => &mut conn.to_server,
                    Direction::ToClient => &mut conn.to_client,
                };
                side.need = 0;
                if side.swallow > 0 {
                    let k = side.swallow.min(n);
                    side.swallow -= k;
                    side.offset = side.offset.saturating_add(k);
                    if k == n {
                        return;
                    }
                }
                let (frame, ts) = side
                    .marks
                    .front()
                    .map_or((ev.frame, ev.ts), |&(_, f, t)| (f, t));
                let proto = match wire {
                    Some(Wire::Text) => Proto::Ascii,
                    _ => Proto::Binary,
                };
                let mut m = Message::new(ev.at(frame, ts), proto);
                // A gap inside a value of known length (a binary body, a text data block):
                // report the message with its header's fields, and stay in step by skipping
                // the rest of the value rather than searching it.
                let cut = match (side.resync, wire) {
                    (false, Some(Wire::Binary)) => decode::cut_binary(&side.buf, &m),
                    (false, Some(Wire::Text)) => decode::cut_text(&side.buf, &m, &self.limits),
                    _ => None,
                };
                if let Some((mut full, needed)) = cut {
                    full.last_frame = side.marks.back().map_or(0, |&(_, f, _)| f);
                    full.raw = side.buf.split().freeze();
                    full.problem = Some(Problem::GapInValue {
                        bytes: n.min(needed),
                    });
                    side.offset = side
                        .offset
                        .saturating_add(full.raw.len() as u64)
                        .saturating_add(n);
                    side.marks.clear();
                    if needed >= n {
                        side.swallow = needed - n;
                    } else {
                        // The gap runs past the message: find the next one.
                        side.resync = true;
                    }
                    self.stats.gaps_in_values += 1;
                    self.emit(ev.conn, *full, sink);
                    return;
                }
                m.problem = Some(Problem::Gap { bytes: n });
                m.last_frame = side.marks.back().map_or(0, |&(_, f, _)| f);
                m.raw = side.buf.split().freeze();
                side.offset = side
                    .offset
                    .saturating_add(m.raw.len() as u64)
                    .saturating_add(n);
                side.marks.clear();
                side.resync = true;
                self.stats.malformed += u64::from(!m.raw.is_empty());
                self.emit(ev.conn, m, sink);
            }
            StreamEventKind::Closed { .. } => {
                self.flush_skipped(&ev, sink);
                let Some(conn) = self.conns.get_mut(&ev.conn) else {
                    return;
                };
                let side = match ev.dir {
                    Direction::ToServer => &mut conn.to_server,
                    Direction::ToClient => &mut conn.to_client,
                };
                if !side.buf.is_empty() {
                    let (frame, ts) = side
                        .marks
                        .front()
                        .map_or((ev.frame, ev.ts), |&(_, f, t)| (f, t));
                    let proto = match conn.wire {
                        Some(Wire::Binary) => Proto::Binary,
                        _ => Proto::Ascii,
                    };
                    let mut m = Message::new(ev.at(frame, ts), proto);
                    m.problem = Some(Problem::Truncated);
                    m.last_frame = side.marks.back().map_or(0, |&(_, f, _)| f);
                    m.raw = side.buf.split().freeze();
                    self.stats.malformed += 1;
                    self.emit(ev.conn, m, sink);
                }
                let both_done = {
                    let Some(conn) = self.conns.get_mut(&ev.conn) else {
                        return;
                    };
                    match ev.dir {
                        Direction::ToServer => conn.to_server.done = true,
                        Direction::ToClient => conn.to_client.done = true,
                    }
                    conn.to_server.done && conn.to_client.done
                };
                if both_done {
                    if let Some(conn) = self.conns.remove(&ev.conn) {
                        self.stats.unpaired_requests +=
                            conn.pending.iter().filter(|p| !p.quiet).count() as u64;
                    }
                }
            }
        }
    }

    /// Emits the bytes skipped while resyncing in `ev`'s direction, if any.
    fn flush_skipped(&mut self, ev: &Origin, sink: &mut impl FnMut(Message)) {
        let skipped = self.conns.get_mut(&ev.conn).and_then(|conn| match ev.dir {
            Direction::ToServer => conn.to_server.skipped.take(),
            Direction::ToClient => conn.to_client.skipped.take(),
        });
        if let Some(m) = skipped {
            self.emit(ev.conn, m, sink);
        }
    }

    fn drain(&mut self, ev: &Origin, incoming: Option<Bytes>, sink: &mut impl FnMut(Message)) {
        let Some(conn) = self.conns.get_mut(&ev.conn) else {
            return;
        };
        let Conn {
            wire: conn_wire,
            to_server,
            to_client,
            pending,
            ..
        } = conn;
        let side = match ev.dir {
            Direction::ToServer => to_server,
            Direction::ToClient => to_client,
        };
        // Freeze what is buffered once; every message is a slice of it (zero-copy). Only an
        // incomplete tail is copied back.
        let view = match incoming {
            Some(data) => data,
            None => side.buf.split().freeze(),
        };
        let mut pos = 0;
        let mut skipped = None;
        if side.resync {
            let found = resync::find(
                &view,
                ev.dir,
                *conn_wire,
                &|o, code| {
                    pending
                        .iter()
                        .any(|p| p.opaque == Some(o) && p.op == Some(Op::Binary(code)))
                },
                &self.limits,
            );
            let (skip, wait) = match found {
                resync::Found::At(at, w) => {
                    conn_wire.get_or_insert(w);
                    side.resync = false;
                    (at, None)
                }
                resync::Found::Wait(at, need) => (at, Some(need)),
            };
            if skip > 0 {
                match side.skipped.as_mut() {
                    Some(m) => {
                        if let Some(Problem::Skipped { bytes }) = m.problem.as_mut() {
                            *bytes += skip as u64;
                        }
                        m.last_frame = ev.frame;
                    }
                    None => {
                        let (frame, ts) = side
                            .marks
                            .front()
                            .map_or((ev.frame, ev.ts), |&(_, f, t)| (f, t));
                        let proto = match conn_wire {
                            Some(Wire::Binary) => Proto::Binary,
                            _ => Proto::Ascii,
                        };
                        let mut m = Message::new(ev.at(frame, ts), proto);
                        m.problem = Some(Problem::Skipped { bytes: skip as u64 });
                        m.raw = view.slice(..skip);
                        m.last_frame = ev.frame;
                        side.skipped = Some(m);
                    }
                }
                side.offset = side.offset.saturating_add(skip as u64);
                while side.marks.len() > 1
                    && side.marks.get(1).is_some_and(|&(o, _, _)| o <= side.offset)
                {
                    side.marks.pop_front();
                }
                self.stats.skipped_bytes += skip as u64;
            }
            pos = skip;
            if let Some(need) = wait {
                side.buf.extend_from_slice(&view[pos..]);
                side.need = need;
                return;
            }
            skipped = side.skipped.take();
        }
        let wire = conn_wire.unwrap_or(Wire::Text);
        let proto = match wire {
            Wire::Binary => Proto::Binary,
            Wire::Text => Proto::Ascii,
        };
        let mut template = Message::new(*ev, proto);
        let mut out: Vec<Box<Message>> = skipped.map(Box::new).into_iter().collect();
        side.need = 0;
        while pos < view.len() {
            let at = side.offset;
            while side.marks.len() > 1 && side.marks.get(1).is_some_and(|&(o, _, _)| o <= at) {
                side.marks.pop_front();
            }
            let (frame, ts) = side
                .marks
                .front()
                .map_or((ev.frame, ev.ts), |&(_, f, t)| (f, t));
            template.origin = ev.at(frame, ts);
            let rest = view.slice(pos..);
            let step = match wire {
                Wire::Binary => decode::binary(&rest, &template),
                Wire::Text => decode::text(&rest, &template, &self.limits),
            };
            match step {
                Step::Incomplete(needed) => {
                    side.need = rest.len() + needed;
                    break;
                }
                Step::Message(m, used) | Step::Malformed(m, used) => {
                    let used = used.clamp(1, rest.len());
                    pos += used;
                    side.offset = side.offset.saturating_add(used as u64);
                    out.push(m);
                }
            }
        }
        side.buf.extend_from_slice(&view[pos..]);
        for mut m in out {
            // Decoded as soon as its last byte came: in this event's frame.
            m.last_frame = ev.frame;
            if m.problem.is_some_and(|p| !p.is_stream_damage()) {
                self.stats.malformed += 1;
            }
            self.emit(ev.conn, *m, sink);
        }
    }

    fn datagram(&mut self, ev: &Origin, d: Bytes, sink: &mut impl FnMut(Message)) {
        // memcached's UDP frame header: request id, sequence, datagram count, reserved.
        let origin = Origin { conn: 0, ..*ev };
        let Some(h) = udp::FrameHeader::parse(&d) else {
            let mut m = Message::new(origin, Proto::Ascii);
            m.problem = Some(Problem::Malformed(Malformed::ShortDatagram));
            m.raw = d;
            self.stats.malformed += 1;
            self.emit(0, m, sink);
            return;
        };
        let body = d.slice(8..);
        let (body, origin) = match ev.dir {
            Direction::ToClient if h.count > 1 => {
                match self.udp.answer_part(&origin, h, body) {
                    Some(whole) => {
                        self.stats.udp_multi_datagram_answers += 1;
                        whole
                    }
                    // The rest of the answer is still to come.
                    None => return,
                }
            }
            _ => (body, origin),
        };
        let template = Message::new(origin, Proto::Ascii);
        let mut at = 0;
        let mut first_request = true;
        while at < body.len() {
            let view = body.slice(at..);
            let mut m = match decode::text(&view, &template, &self.limits) {
                Step::Message(m, used) | Step::Malformed(m, used) => {
                    at += used.max(1);
                    if m.problem.is_some() {
                        self.stats.malformed += 1;
                    }
                    m
                }
                Step::Incomplete(_) => break,
            };
            // The datagram that completed it (the last of a multi-datagram answer).
            m.last_frame = ev.frame;
            match ev.dir {
                Direction::ToServer => {
                    // The answer carries the request's id; a datagram holds one request.
                    if first_request && !m.quiet {
                        self.udp.request(
                            &origin,
                            h.id,
                            udp::Waiting {
                                txn: self.next_txn,
                                op: m.op,
                                ts: m.origin.ts,
                            },
                        );
                    }
                    first_request = false;
                }
                Direction::ToClient => match self.udp.waiting(&origin, h.id) {
                    Some(w) => {
                        m.txn = Some(w.txn);
                        m.request_op = w.op;
                        m.latency_ns = Some(origin.ts.as_nanos().saturating_sub(w.ts.as_nanos()));
                        self.stats.paired += 1;
                        if m.op.is_none_or(Op::is_final) {
                            self.udp.answered(&origin, h.id);
                        }
                    }
                    None => self.stats.unpaired_responses += 1,
                },
            }
            self.emit(0, *m, sink);
        }
    }

    /// Pairs and emits a message.
    fn emit(&mut self, conn_id: u64, mut m: Message, sink: &mut impl FnMut(Message)) {
        self.stats.messages += 1;
        // Gaps and cut-off tails are nobody's request or answer; malformed messages are paired
        // like any other (memcached answers a bad command line with ERROR or CLIENT_ERROR).
        if m.problem.is_some_and(Problem::is_stream_damage) {
            sink(m);
            return;
        }
        let kind = m.kind();
        if kind == Kind::Request {
            m.txn = Some(self.next_txn);
            self.next_txn += 1;
        }
        let Some(conn) = self.conns.get_mut(&conn_id) else {
            match kind {
                Kind::Request => self.stats.requests += 1,
                Kind::Response => self.stats.responses += 1,
            }
            sink(m);
            return;
        };
        match kind {
            Kind::Request => {
                self.stats.requests += 1;
                let expects_answer = !(m.quiet && m.proto == Proto::Ascii);
                if expects_answer {
                    conn.pending.push_back(Pending {
                        txn: self.next_txn - 1,
                        // Binary: the key an answer may name; text: a one-key lookup's key,
                        // which its VALUE names (pairing after lost answers checks it).
                        key_hash: (m.proto == Proto::Binary
                            || (m.proto == Proto::Ascii
                                && m.keys.is_empty()
                                && m.op.is_some_and(Op::is_lookup)))
                        .then(|| m.key.as_deref().map(|k| self.key_seed.hash_one(k)))
                        .flatten(),
                        opaque: m.opaque,
                        op: m.op,
                        ts: m.origin.ts,
                        quiet: m.quiet,
                        multi: m.op.is_some_and(answered_in_series),
                    });
                    // Bound the table: a client that never gets answers must not grow it forever.
                    if conn.pending.len() > 65_536 {
                        conn.pending.pop_front();
                        self.stats.unpaired_requests += 1;
                    }
                }
            }
            Kind::Response => {
                self.stats.responses += 1;
                let found = match m.proto {
                    // memcached echoes opcode and opaque; match both, then opaque alone.
                    Proto::Binary => {
                        let answer_key = m.key.as_deref().map(|k| self.key_seed.hash_one(k));
                        let same_key = |p: &Pending| match (p.key_hash, answer_key) {
                            (Some(a), Some(b)) => a == b,
                            _ => true,
                        };
                        conn.pending
                            .iter()
                            .position(|p| p.opaque == m.opaque && p.op == m.op && same_key(p))
                            .or_else(|| {
                                conn.pending
                                    .iter()
                                    .position(|p| p.opaque == m.opaque && p.op == m.op)
                            })
                            .or_else(|| conn.pending.iter().position(|p| p.opaque == m.opaque))
                    }
                    Proto::Ascii | Proto::Meta => {
                        // A quiet meta request is passed over (it was answered by silence) when
                        // this answer cannot be its own: an answer its quiet mode suppresses, an
                        // answer carrying another opaque, `MN`, or a classic text answer.
                        let answer = match m.op {
                            Some(Op::Meta(MetaOp::Answer(code))) if m.proto == Proto::Meta => {
                                Some(code)
                            }
                            _ => None,
                        };
                        let in_order = conn.pending.iter().position(|p| {
                            !p.quiet
                                || answer.is_some_and(|code| {
                                    code != ResponseCode::Mn
                                        && meta_can_answer(p.op, code)
                                        && !quiet_suppresses(p.op, code)
                                        && (m.opaque.is_none() || p.opaque == m.opaque)
                                })
                        });
                        let value_key = m.key.as_deref().map(|k| self.key_seed.hash_one(k));
                        after_text_losses(conn, in_order, m.op, value_key)
                    }
                };
                match found {
                    Some(i) => {
                        // Quiet requests before the answered one got no answer: settled.
                        for _ in 0..i {
                            if let Some(p) = conn.pending.pop_front() {
                                if !p.quiet {
                                    self.stats.unpaired_requests += 1;
                                }
                            }
                        }
                        let finished = match conn.pending.front() {
                            Some(p) if p.multi => match m.proto {
                                Proto::Binary => {
                                    m.key.is_none() || m.status != Some(Status::NoError)
                                }
                                _ => m.op.is_none_or(Op::is_final),
                            },
                            _ => true,
                        };
                        if let Some(p) = conn.pending.front() {
                            m.latency_ns =
                                Some(m.origin.ts.as_nanos().saturating_sub(p.ts.as_nanos()));
                            m.request_op = p.op;
                            m.txn = Some(p.txn);
                        }
                        self.stats.paired += 1;
                        if finished {
                            conn.pending.pop_front();
                        }
                        if conn.pending.is_empty() {
                            conn.lost_answers = false;
                            conn.lost_requests = false;
                        }
                    }
                    None => self.stats.unpaired_responses += 1,
                }
            }
        }
        sink(m);
    }

    /// Ends every connection still open (end of input): counts what is left unanswered.
    pub fn finish(&mut self) {
        self.stats.unpaired_requests += self.udp.waiting_count() as u64 + self.udp.dropped_requests;
        self.stats.udp_unfinished_answers +=
            self.udp.unfinished_count() as u64 + self.udp.dropped_answers;
        self.udp = udp::Udp::default();
        for (_, conn) in self.conns.drain() {
            self.stats.unpaired_requests += conn.pending.iter().filter(|p| !p.quiet).count() as u64;
        }
    }
}

/// Whether a request stays open until a terminator: text gets and `stats`, binary STAT
/// ([`Op::is_answered_in_series`]), and binary GET and GAT too, which stay open while their
/// successful answers carry a key (memcached's never do; the last, keyless one closes them).
fn answered_in_series(op: Op) -> bool {
    op.is_answered_in_series() || matches!(op, Op::Binary(Opcode::Get | Opcode::Gat))
}

/// Text answers pair in order; after a gap that order may be broken. An answer the request in
/// turn cannot have (`STORED` for a `get`, or a `VALUE` for another key than a one-key get's)
/// is a lost request's when requests were lost, and proves the requests before the first one it
/// can answer unanswered when answers were lost.
fn after_text_losses(
    conn: &Conn,
    in_order: Option<usize>,
    answer: Option<Op>,
    value_key: Option<u64>,
) -> Option<usize> {
    let Some(Op::Ascii(AsciiOp::Reply(reply))) = answer else {
        return in_order;
    };
    let fits = |p: &Pending| match p.op {
        Some(Op::Ascii(AsciiOp::Command(c))) => {
            c.can_answer(reply)
                && (reply != Reply::Value
                    || p.key_hash.is_none()
                    || value_key.is_none()
                    || p.key_hash == value_key)
        }
        _ => true,
    };
    let i = in_order?;
    if !(conn.lost_answers || conn.lost_requests) || conn.pending.get(i).is_some_and(fits) {
        return in_order;
    }
    if conn.lost_answers {
        if let Some(j) = conn
            .pending
            .iter()
            .enumerate()
            .skip(i)
            .find(|(_, p)| !p.quiet && fits(p))
            .map(|(j, _)| j)
        {
            return Some(j);
        }
    }
    if conn.lost_requests {
        return None;
    }
    in_order
}

/// Whether a meta command can produce this meta answer at all (`mg` never says `NF`, `md`
/// never says `VA`), so that a quiet request is not paired with another command's answer.
/// Requests that are not meta commands can be answered by anything.
fn meta_can_answer(request: Option<Op>, code: ResponseCode) -> bool {
    match request {
        Some(Op::Meta(MetaOp::Command(c))) => c.can_answer(code),
        _ => true,
    }
}

/// Whether meta quiet mode (`q`) suppresses this answer to this request, so that the answer
/// cannot belong to a quiet request of that command.
fn quiet_suppresses(request: Option<Op>, code: ResponseCode) -> bool {
    matches!(request, Some(Op::Meta(MetaOp::Command(c))) if c.quiet_suppresses(code))
}

#[cfg(test)]
mod tests;
