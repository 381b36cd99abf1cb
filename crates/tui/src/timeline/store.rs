//! The transaction store: every transaction of a capture in a few dozen bytes, the messages'
//! bytes in shared chunks.
//!
//! A [`Txn`] is 48 bytes and each message record 20; the bytes of the messages themselves live in
//! an arena of 4 MiB chunks (copied once from the dissector's buffers, which can then be freed),
//! and every field shown in a row is either in the record or a slice of those bytes. A
//! transaction of one request and one response costs 88 bytes plus 4 for its place in a view
//! and 4 for the request-number index: under 100 bytes beyond the messages' own bytes.

use std::net::SocketAddr;

use super::arena::Arena;
use memshark_protocol::ascii::Reply;
use memshark_protocol::binary::Status;
use memshark_protocol::op::Outcome;
use memshark_traffic::dissect::{Kind, Message, Problem, Proto};
use memshark_traffic::hash::{SeededMap, SocketPairKey};
use rustc_hash::FxHashMap;

/// "No such record".
pub const NONE: u32 = u32::MAX;

/// Where one message's bytes are, and the frame it started in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgRec {
    off: u32,
    len: u32,
    /// Capture frame number of the message's first byte (saturated at `u32::MAX - 1`).
    pub frame: u32,
    /// The next response of the same transaction, or [`NONE`].
    pub next: u32,
}

/// Transaction flag: the answer was a miss.
pub const MISS: u16 = 1;
/// Transaction flag: an error status, or malformed bytes.
pub const ERROR: u16 = 1 << 1;
/// Transaction flag: a quiet request (no answer expected on success).
pub const QUIET: u16 = 1 << 2;
/// Transaction flag: a gap, truncated or malformed message (no request/response).
pub const FLAGGED: u16 = 1 << 3;
/// Transaction flag: a text get with several keys (the keys follow each other in the request).
pub const MULTIKEY: u16 = 1 << 4;
/// Transaction flag: the key is in the first response's bytes, not the request's.
pub const KEY_IN_RESP: u16 = 1 << 5;
/// Transaction flag: a status is known.
pub const HAS_STATUS: u16 = 1 << 6;
/// Transaction flag: a text get saw a `VALUE`.
pub const SAW_VALUE: u16 = 1 << 7;
/// Transaction flag: the key is stored after the message bytes (decoded meta base64 key).
pub const KEY_APPENDED: u16 = 1 << 8;
/// Transaction flag: the request carried a value (a store), which is the row's size.
pub const REQ_VALUE: u16 = 1 << 9;
/// Transaction flag: the last answer was a text `END`.
const ENDED: u16 = 1 << 10;
/// Transaction flag: the request looks keys up (a get of any protocol).
pub const LOOKUP: u16 = 1 << 11;
const PROTO_SHIFT: u16 = 12;

/// One row of the timeline: a request and its answers (or an unpaired message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Txn {
    /// When the first message was seen (ns since the epoch).
    pub ts_ns: u64,
    /// First answer − request, packed: nanoseconds below 2^31, else 2^31 + microseconds;
    /// `u32::MAX` when unknown. Read it with [`Txn::latency`].
    latency: u32,
    /// The request's message record, or [`NONE`].
    pub req: u32,
    /// The first response's message record, or [`NONE`].
    pub resp: u32,
    /// Index into [`Store::flows`].
    pub flow: u32,
    /// Value bytes: the request's (stores) or the answers' (gets), saturated.
    pub size: u32,
    key_off: u32,
    key_len: u8,
    op: u8,
    resp_op: u8,
    /// How many responses (saturated at 255).
    pub nresp: u8,
    /// Binary status, or the one a text answer stands for ([`Outcome::status`]).
    pub status: u16,
    /// The `MISS`, `ERROR`, … bits, and the protocol.
    pub flags: u16,
}

/// A connection: its id and both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flow {
    /// The dissector's connection id (0 for UDP).
    pub conn: u64,
    /// Client address.
    pub client: SocketAddr,
    /// Server address.
    pub server: SocketAddr,
}

/// Every transaction seen so far, in arrival order.
#[derive(Debug, Default)]
pub struct Store {
    arena: Arena,
    msgs: Vec<MsgRec>,
    txns: Vec<Txn>,
    flows: Vec<Flow>,
    /// Flow → its index in `flows` (in order of first appearance). Keyed by addresses from the
    /// network, so hashed under a random seed.
    flow_index: SeededMap<(u64, SocketPairKey), u32>,
    ops: Vec<&'static str>,
    /// Dissector request number − `txn_base` → row.
    by_txn: Vec<u32>,
    txn_base: u64,
    /// Why flagged messages were flagged, by message record (numbers the store assigns).
    errors: FxHashMap<u32, Problem>,
    /// Frames after its first that a message spanned, for the messages that spanned more
    /// than one (most fit in one: kept off the record).
    spans: FxHashMap<u32, u32>,
    /// Rows dropped from the front to stay under a row limit.
    pub evicted: u64,
}

fn proto_bits(p: Proto) -> u16 {
    (match p {
        Proto::Binary => 0,
        Proto::Ascii => 1,
        Proto::Meta => 2,
    }) << PROTO_SHIFT
}

impl MsgRec {
    /// How many bytes the message has.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether the message has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Txn {
    /// The protocol.
    pub fn proto(&self) -> Proto {
        match (self.flags >> PROTO_SHIFT) & 3 {
            0 => Proto::Binary,
            1 => Proto::Ascii,
            _ => Proto::Meta,
        }
    }

    /// Whether a flag is set.
    pub fn has(&self, flag: u16) -> bool {
        self.flags & flag != 0
    }

    /// The latency, when known.
    pub fn latency(&self) -> Option<u64> {
        match self.latency {
            u32::MAX => None,
            l if l < 1 << 31 => Some(u64::from(l)),
            l => Some(u64::from(l - (1 << 31)) * 1000),
        }
    }

    fn set_latency(&mut self, ns: u64) {
        self.latency = if ns < 1 << 31 {
            ns as u32
        } else {
            ((1u64 << 31) + (ns / 1000).min((1 << 31) - 2)) as u32
        };
    }

    /// The status, when known.
    pub fn status(&self) -> Option<u16> {
        self.has(HAS_STATUS).then_some(self.status)
    }
}

impl Store {
    /// An empty store.
    pub fn new() -> Store {
        Store::default()
    }

    /// How many transactions.
    pub fn len(&self) -> usize {
        self.txns.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.txns.is_empty()
    }

    /// The transactions, in arrival order.
    pub fn txns(&self) -> &[Txn] {
        &self.txns
    }

    /// One transaction.
    pub fn txn(&self, row: u32) -> Option<&Txn> {
        self.txns.get(row as usize)
    }

    /// The flows.
    pub fn flows(&self) -> &[Flow] {
        &self.flows
    }

    /// A transaction's flow.
    pub fn flow(&self, t: &Txn) -> &Flow {
        &self.flows[t.flow as usize]
    }

    /// Bytes held for messages (the capture's own bytes, copied once).
    pub fn arena_bytes(&self) -> u64 {
        self.arena.bytes()
    }

    /// Bytes used by the records themselves (transactions, messages, indexes; lengths, not
    /// the vectors' spare capacity, which is address space the kernel has not backed yet).
    pub fn record_bytes(&self) -> u64 {
        (self.txns.len() * std::mem::size_of::<Txn>()
            + self.msgs.len() * std::mem::size_of::<MsgRec>()
            + self.by_txn.len() * 4
            + self.flows.len() * std::mem::size_of::<Flow>()) as u64
    }

    /// A message record.
    pub fn msg(&self, i: u32) -> Option<&MsgRec> {
        self.msgs.get(i as usize)
    }

    /// The bytes of message record `i`.
    pub fn bytes(&self, i: u32) -> &[u8] {
        match self.msgs.get(i as usize) {
            Some(m) => self.arena.get(i, m.off as usize, m.len as usize),
            None => &[],
        }
    }

    /// The capture frames that carried message record `i` (first byte to last; `0..=0` when
    /// not from a capture).
    pub fn frames(&self, i: u32) -> std::ops::RangeInclusive<u64> {
        let first = self.msgs.get(i as usize).map_or(0, |m| u64::from(m.frame));
        let more = self.spans.get(&i).copied().unwrap_or(0);
        first..=first + u64::from(more)
    }

    /// Why a message was flagged (malformed bytes, a gap), if it was.
    pub fn error(&self, msg: u32) -> Option<Problem> {
        self.errors.get(&msg).copied()
    }

    /// The responses of a transaction, in order, with their record numbers.
    pub fn responses<'a>(&'a self, t: &Txn) -> impl Iterator<Item = (u32, &'a MsgRec)> + 'a {
        let mut at = t.resp;
        std::iter::from_fn(move || {
            let i = at;
            let m = self.msgs.get(i as usize)?;
            at = m.next;
            Some((i, m))
        })
    }

    /// The request's op (or the lone message's).
    pub fn op(&self, t: &Txn) -> &'static str {
        self.ops.get(t.op as usize).copied().unwrap_or("?")
    }

    /// The last response's op, if any.
    pub fn resp_op(&self, t: &Txn) -> Option<&'static str> {
        (t.resp != NONE).then(|| self.ops.get(t.resp_op as usize).copied().unwrap_or("?"))
    }

    /// The status's name: the binary status name, or the text answer word.
    pub fn status_name(&self, t: &Txn) -> Option<&'static str> {
        let code = t.status()?;
        Some(match t.proto() {
            Proto::Binary => Status::from(code).name(),
            _ => {
                if t.has(MISS) && t.has(ENDED) {
                    "END (miss)"
                } else if t.has(SAW_VALUE) && code == 0 {
                    Reply::Value.word()
                } else {
                    self.resp_op(t).unwrap_or("?")
                }
            }
        })
    }

    /// The key (the first key of a multi-key get).
    pub fn key(&self, t: &Txn) -> &[u8] {
        let holder = if t.has(KEY_IN_RESP) { t.resp } else { t.req };
        let Some(m) = self.msgs.get(holder as usize) else {
            return &[];
        };
        self.arena.get(
            holder,
            m.off as usize + t.key_off as usize,
            t.key_len as usize,
        )
    }

    /// Every key: the one key, or each key of a multi-key text get.
    pub fn keys<'a>(&'a self, t: &Txn) -> impl Iterator<Item = &'a [u8]> + 'a {
        let first = self.key(t);
        let rest: &'a [u8] = if t.has(MULTIKEY) {
            let raw = self.bytes(t.req);
            let from = (t.key_off as usize).min(raw.len());
            let line = &raw[from..];
            let end = memchr::memchr(b'\r', line)
                .or_else(|| memchr::memchr(b'\n', line))
                .unwrap_or(line.len());
            &line[..end]
        } else {
            first
        };
        let multi = t.has(MULTIKEY);
        let mut single = Some(first).filter(|k| !multi && !k.is_empty());
        let mut tokens = rest.split(|&b| b == b' ').filter(|k| !k.is_empty());
        std::iter::from_fn(move || if multi { tokens.next() } else { single.take() })
    }

    fn intern(&mut self, op: &'static str) -> u8 {
        // Ops are static strings: the pointer almost always finds it; the text is the fallback.
        if let Some(i) = self
            .ops
            .iter()
            .position(|o| std::ptr::eq(*o, op))
            .or_else(|| self.ops.iter().position(|o| *o == op))
        {
            return i as u8;
        }
        if self.ops.len() < 255 {
            self.ops.push(op);
            (self.ops.len() - 1) as u8
        } else {
            254
        }
    }

    fn flow_of(&mut self, m: &Message) -> u32 {
        let o = &m.origin;
        let k = (o.conn, SocketPairKey(o.client, o.server));
        if let Some(&i) = self.flow_index.get(&k) {
            return i;
        }
        let i = self.flows.len() as u32;
        self.flows.push(Flow {
            conn: o.conn,
            client: o.client,
            server: o.server,
        });
        self.flow_index.insert(k, i);
        i
    }

    /// Copies a message's bytes (and a key that is not among them) into the arena.
    fn push_msg(&mut self, m: &Message) -> (u32, Option<(u32, u8, bool)>) {
        let raw = &m.raw[..];
        let key = m.key.as_deref().unwrap_or(&[]);
        let key = &key[..key.len().min(255)];
        let inside = !key.is_empty()
            && raw.as_ptr_range().contains(&key.as_ptr())
            && (key.as_ptr() as usize + key.len()) <= raw.as_ptr() as usize + raw.len();
        let i = self.msgs.len() as u32;
        let key_loc = if key.is_empty() {
            None
        } else if inside {
            Some((
                (key.as_ptr() as usize - raw.as_ptr() as usize) as u32,
                key.len() as u8,
                false,
            ))
        } else {
            Some((raw.len() as u32, key.len() as u8, true))
        };
        let off = if inside || key.is_empty() {
            self.arena.append(i, &[raw])
        } else {
            self.arena.append(i, &[raw, key])
        };
        self.msgs.push(MsgRec {
            off,
            len: raw.len() as u32,
            frame: m.origin.frame.min(u64::from(u32::MAX - 1)) as u32,
            next: NONE,
        });
        (i, key_loc)
    }

    /// Adds one message from the dissector: a request opens a row, a paired response joins
    /// its request's row, anything else is a row of its own. Returns the row it went to.
    pub fn push(&mut self, m: &Message) -> u32 {
        let (mi, key_loc) = self.push_msg(m);
        let frames = m.frames();
        if frames.end() > frames.start() {
            let more = (frames.end() - frames.start()).min(u64::from(u32::MAX)) as u32;
            self.spans.insert(mi, more);
        }
        if let Some(p) = m.problem {
            self.errors.insert(mi, p);
        }
        // Gaps, cut-off tails and malformed bytes: rows of their own.
        let flagged = m.problem.is_some_and(Problem::is_undecoded);
        // A response joining its request's row.
        if m.kind() == Kind::Response && !flagged {
            if let Some(row) = m.txn.and_then(|n| self.row_of_txn(n)) {
                self.add_response(row, mi, m, key_loc);
                return row;
            }
        }
        let row = self.txns.len() as u32;
        let flow = self.flow_of(m);
        let op = self.intern(m.op_name());
        let mut t = Txn {
            ts_ns: m.origin.ts.as_nanos(),
            latency: u32::MAX,
            req: NONE,
            resp: NONE,
            flow,
            size: m.value_len.unwrap_or(0).min(u64::from(u32::MAX)) as u32,
            key_off: 0,
            key_len: 0,
            op,
            resp_op: op,
            nresp: 0,
            status: 0,
            flags: proto_bits(m.proto),
        };
        if let Some((off, len, appended)) = key_loc {
            t.key_off = off;
            t.key_len = len;
            if appended {
                t.flags |= KEY_APPENDED;
            }
        }
        if m.problem.is_some() {
            t.flags |= ERROR;
        }
        if flagged {
            t.flags |= FLAGGED;
        }
        match m.kind() {
            Kind::Request => {
                t.req = mi;
                if t.size > 0 {
                    t.flags |= REQ_VALUE;
                }
                if m.quiet {
                    t.flags |= QUIET;
                }
                if m.keys.len() > 1 {
                    t.flags |= MULTIKEY;
                }
                if m.op.is_some_and(|o| o.is_lookup()) {
                    t.flags |= LOOKUP;
                }
                if let Some(n) = m.txn {
                    self.index_txn(n, row);
                }
            }
            Kind::Response => {
                t.resp = mi;
                t.nresp = 1;
                t.flags |= KEY_IN_RESP;
                if !m.status.is_none_or(Status::is_success) {
                    t.size = 0;
                }
                Self::apply_status(&mut t, m);
            }
        }
        self.txns.push(t);
        row
    }

    fn row_of_txn(&self, n: u64) -> Option<u32> {
        let i = n.checked_sub(self.txn_base)?;
        self.by_txn
            .get(usize::try_from(i).ok()?)
            .copied()
            .filter(|&r| r != NONE)
    }

    fn index_txn(&mut self, n: u64, row: u32) {
        if self.by_txn.is_empty() && self.txn_base == 0 && self.txns.is_empty() {
            self.txn_base = n;
        }
        if self.by_txn.is_empty() && n > self.txn_base {
            self.txn_base = n;
        }
        let Some(i) = n.checked_sub(self.txn_base) else {
            return;
        };
        let Ok(i) = usize::try_from(i) else { return };
        if i >= self.by_txn.len() {
            // Requests are numbered in arrival order, so this grows by one almost always.
            if i - self.by_txn.len() > 1 << 24 {
                return;
            }
            self.by_txn.resize(i + 1, NONE);
        }
        self.by_txn[i] = row;
    }

    fn add_response(&mut self, row: u32, mi: u32, m: &Message, key_loc: Option<(u32, u8, bool)>) {
        let Some(t) = self.txns.get(row as usize).copied() else {
            return;
        };
        let mut t = t;
        if t.resp == NONE {
            t.resp = mi;
            if let Some(l) = m.latency_ns {
                t.set_latency(l);
            }
        } else {
            // Append to the chain (answers per request are few: a multi-get's values).
            let mut last = t.resp;
            while let Some(next) = self
                .msgs
                .get(last as usize)
                .map(|r| r.next)
                .filter(|&n| n != NONE)
            {
                last = next;
            }
            if let Some(prev) = self.msgs.get_mut(last as usize) {
                prev.next = mi;
            }
        }
        t.nresp = t.nresp.saturating_add(1);
        t.resp_op = self.intern(m.op_name());
        // Gets and the like: the answers' value bytes (a binary error's body is its message,
        // not a value).
        if !t.has(REQ_VALUE) && m.status.is_none_or(Status::is_success) {
            let add = m.value_len.unwrap_or(0).min(u64::from(u32::MAX)) as u32;
            t.size = t.size.saturating_add(add);
        }
        if t.key_len == 0 {
            if let Some((off, len, appended)) = key_loc {
                t.key_off = off;
                t.key_len = len;
                t.flags |= KEY_IN_RESP;
                if appended {
                    t.flags |= KEY_APPENDED;
                }
            }
        }
        if m.problem.is_some() {
            t.flags |= ERROR;
        }
        Self::apply_status(&mut t, m);
        self.txns[row as usize] = t;
    }

    /// Folds an answer into the row's status: the binary status, or the one a text or meta
    /// answer stands for; a text get's `END` is a miss when no `VALUE` came before it.
    fn apply_status(t: &mut Txn, m: &Message) {
        let outcome = m.outcome();
        if outcome == Some(Outcome::Ascii(Reply::End)) {
            t.flags |= ENDED;
        } else {
            t.flags &= !ENDED;
        }
        let code = match outcome {
            Some(Outcome::Ascii(Reply::Value)) => {
                t.flags |= SAW_VALUE;
                Some(Status::NoError)
            }
            Some(Outcome::Ascii(Reply::End)) => {
                if t.has(SAW_VALUE) {
                    Some(Status::NoError)
                } else if t.has(HAS_STATUS) {
                    Some(Status::from(t.status))
                } else {
                    Some(Status::KeyNotFound)
                }
            }
            Some(o) => o.status(),
            None => None,
        };
        let Some(code) = code else { return };
        // The first answer that is not a success decides; otherwise the last.
        if t.has(HAS_STATUS) && t.status != 0 && code.is_success() {
            return;
        }
        t.status = code.into();
        t.flags |= HAS_STATUS;
        t.flags &= !(MISS | ERROR);
        // The row's status is a binary one: binary meanings of miss and error.
        let as_binary = Outcome::Binary(code);
        if as_binary.is_miss() {
            t.flags |= MISS;
        } else if as_binary.is_error() || m.problem.is_some() {
            t.flags |= ERROR;
        }
    }

    /// Keeps only the newest `keep` rows when there are more than `max`, copying their bytes
    /// into fresh chunks: bounded memory for live sources. Returns how many rows went.
    pub fn trim(&mut self, max: usize, keep: usize) -> usize {
        if self.txns.len() <= max {
            return 0;
        }
        let drop = self.txns.len() - keep.min(max);
        let mut fresh = Store {
            flows: std::mem::take(&mut self.flows),
            flow_index: std::mem::take(&mut self.flow_index),
            ops: std::mem::take(&mut self.ops),
            evicted: self.evicted + drop as u64,
            ..Store::default()
        };
        let old_txns = std::mem::take(&mut self.txns);
        for t in &old_txns[drop..] {
            let mut t = *t;
            let holder = if t.has(KEY_IN_RESP) { t.resp } else { t.req };
            let key_extra = if t.has(KEY_APPENDED) {
                t.key_len as usize
            } else {
                0
            };
            let copy = |fresh: &mut Store, i: u32| -> u32 {
                if i == NONE {
                    return NONE;
                }
                let m = self.msgs[i as usize];
                let mut len = m.len as usize;
                if i == holder {
                    len += key_extra;
                }
                let bytes = self.arena.get(i, m.off as usize, len);
                let ni = fresh.msgs.len() as u32;
                let off = fresh.arena.append(ni, &[bytes]);
                fresh.msgs.push(MsgRec {
                    off,
                    len: m.len,
                    frame: m.frame,
                    next: NONE,
                });
                if let Some(&e) = self.errors.get(&i) {
                    fresh.errors.insert(ni, e);
                }
                if let Some(&n) = self.spans.get(&i) {
                    fresh.spans.insert(ni, n);
                }
                ni
            };
            t.req = copy(&mut fresh, t.req);
            let mut at = t.resp;
            let mut prev = NONE;
            t.resp = NONE;
            while at != NONE {
                let next = self.msgs[at as usize].next;
                let ni = copy(&mut fresh, at);
                if prev == NONE {
                    t.resp = ni;
                } else {
                    fresh.msgs[prev as usize].next = ni;
                }
                prev = ni;
                at = next;
            }
            fresh.txns.push(t);
        }
        // Rows still waiting for answers keep their request numbers.
        fresh.txn_base = self.txn_base;
        fresh.by_txn = std::mem::take(&mut self.by_txn)
            .into_iter()
            .map(|r| {
                if r == NONE || (r as usize) < drop {
                    NONE
                } else {
                    r - drop as u32
                }
            })
            .collect();
        let leading = fresh.by_txn.iter().take_while(|&&r| r == NONE).count();
        fresh.by_txn.drain(..leading);
        fresh.txn_base += leading as u64;
        *self = fresh;
        drop
    }
}

#[cfg(test)]
mod packing_tests {
    use super::*;

    #[test]
    fn latency_is_exact_to_two_seconds_then_microseconds() {
        let mut t = Txn {
            ts_ns: 0,
            latency: u32::MAX,
            req: NONE,
            resp: NONE,
            flow: 0,
            size: 0,
            key_off: 0,
            key_len: 0,
            op: 0,
            resp_op: 0,
            nresp: 0,
            status: 0,
            flags: 0,
        };
        assert_eq!(t.latency(), None);
        for ns in [0, 1, 999, 2_147_483_647] {
            t.set_latency(ns);
            assert_eq!(t.latency(), Some(ns));
        }
        t.set_latency(3_000_000_123);
        assert_eq!(t.latency(), Some(3_000_000_000));
        t.set_latency(u64::MAX);
        assert!(t.latency().is_some_and(|l| l > 2_000_000_000_000));
    }
}
