//! The transactions table: one row per request with its answer(s) joined — op, keys, outcome,
//! hit/miss, value size, latency, client, server and connection — which is what most questions
//! about traffic want.
//!
//! [`Joiner`] takes the dissector's messages in capture order and hands out a [`Transaction`]
//! when a request's last answer arrives (its rows come out in the order requests complete).
//! Quiet requests that were passed over by a later answer on their connection (a binary `getq`
//! miss, a text `noreply`) come out unanswered; whatever is still waiting at the end comes out
//! from [`Joiner::finish`]. At most [`MAX_PENDING`] requests wait, so memory stays bounded.

mod lines;

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;

use bytes::Bytes;
use rustc_hash::FxHashMap;

use crate::capture::Timestamp;
use crate::dissect::{Kind, Message, Proto};

pub use lines::{csv, jsonl, CSV_HEADER};

/// Requests waiting for answers before the oldest is handed out unanswered.
pub const MAX_PENDING: usize = 1 << 20;

/// One request and what answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// The request's transaction number (unique within a pass).
    pub txn: u64,
    /// Connection id.
    pub conn: u64,
    /// The request's capture frame.
    pub frame: u64,
    /// The request's time.
    pub ts: Timestamp,
    /// The client.
    pub client: SocketAddr,
    /// The server.
    pub server: SocketAddr,
    /// Protocol.
    pub proto: Proto,
    /// The request's op as `dump` names it ([`Message::op_name`]).
    pub op: &'static str,
    /// The first key.
    pub key: Option<Bytes>,
    /// Every key of a multi-key get (empty otherwise).
    pub keys: Vec<Bytes>,
    /// Quiet request (no answer expected on success).
    pub quiet: bool,
    /// Whether the op looks keys up (get family).
    pub lookup: bool,
    /// Answer messages (`VALUE` lines and `END` count one each).
    pub answers: u32,
    /// The last answer's outcome: binary status name, text or meta answer word (`None`:
    /// unanswered).
    pub outcome: Option<&'static str>,
    /// The last answer's binary status code.
    pub status: Option<u16>,
    /// Lookups: keys found (hit answers).
    pub hits: u32,
    /// Value bytes moved: a storage request's value, or the values its answers carried.
    pub value_len: u64,
    /// Time from the request to its last answer.
    pub latency_ns: Option<u64>,
    /// The last answer reports an error ([`Outcome::is_error`](memshark_protocol::op::Outcome::is_error)),
    /// or a message of the transaction is flagged.
    pub failed: bool,
    /// The problem flagged on the request or an answer, as text (the messages table's
    /// `error`).
    pub error: Option<String>,
}

impl Transaction {
    /// The keys the request named: its keys, or its one key (0 or 1).
    pub fn key_count(&self) -> u32 {
        if self.keys.is_empty() {
            u32::from(self.key.is_some())
        } else {
            u32::try_from(self.keys.len()).unwrap_or(u32::MAX)
        }
    }

    /// For a lookup, whether every key it named was found; `None` for other ops.
    pub fn hit(&self) -> Option<bool> {
        self.lookup
            .then(|| self.hits > 0 && self.hits >= self.key_count())
    }

    fn from_request(m: &Message, txn: u64) -> Transaction {
        Transaction {
            txn,
            conn: m.origin.conn,
            frame: m.origin.frame,
            ts: m.origin.ts,
            client: m.origin.client,
            server: m.origin.server,
            proto: m.proto,
            op: m.op_name(),
            // Copies: a request may wait long for its answer, and a slice would keep the
            // whole buffer it was read into (up to a 4 MiB chunk of the file) alive.
            key: m.key.as_deref().map(Bytes::copy_from_slice),
            keys: if m.keys.len() > 1 {
                m.keys.iter().map(|k| Bytes::copy_from_slice(k)).collect()
            } else {
                Vec::new()
            },
            quiet: m.quiet,
            lookup: m.op.is_some_and(|o| o.is_lookup()),
            answers: 0,
            outcome: None,
            status: None,
            hits: 0,
            value_len: m.value_len.unwrap_or(0),
            latency_ns: None,
            failed: m.problem.is_some(),
            error: m.problem.map(|p| p.to_string()),
        }
    }

    fn answer(&mut self, m: &Message) {
        self.answers = self.answers.saturating_add(1);
        if m.is_lookup_hit() {
            self.hits = self.hits.saturating_add(1);
        }
        if self.lookup {
            self.value_len += m.value_len.unwrap_or(0);
        }
        if let Some(p) = m.problem {
            self.failed = true;
            self.error.get_or_insert_with(|| p.to_string());
        }
        if !m.is_in_series() {
            let outcome = m.outcome();
            self.outcome = Some(outcome.map_or(m.op_name(), |o| o.name()));
            self.status = m.status.map(u16::from);
            self.latency_ns = m.latency_ns;
            self.failed |= outcome.is_some_and(|o| o.is_error());
        }
    }
}

/// Joins requests with their answers (see the [module](self) documentation).
#[derive(Debug, Default)]
pub struct Joiner {
    pending: BTreeMap<u64, Transaction>,
    /// Per connection, its waiting requests' numbers in order.
    by_conn: FxHashMap<u64, VecDeque<u64>>,
}

impl Joiner {
    /// An empty joiner.
    pub fn new() -> Joiner {
        Joiner::default()
    }

    /// Requests waiting for an answer.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Takes one message; completed transactions go to `out`.
    pub fn push(&mut self, m: &Message, out: &mut impl FnMut(Transaction)) {
        let Some(txn) = m.txn else { return };
        match m.kind() {
            Kind::Request => {
                if self.pending.len() >= MAX_PENDING {
                    if let Some((_, t)) = self.pending.pop_first() {
                        self.forget(t.conn, t.txn);
                        out(t);
                    }
                }
                self.pending.insert(txn, Transaction::from_request(m, txn));
                self.by_conn
                    .entry(m.origin.conn)
                    .or_default()
                    .push_back(txn);
            }
            Kind::Response => {
                let Some(t) = self.pending.get_mut(&txn) else {
                    return;
                };
                t.answer(m);
                if m.is_in_series() {
                    return;
                }
                let conn = t.conn;
                // Quiet requests before this one were passed over: they are settled silent.
                while let Some(&first) = self.by_conn.get(&conn).and_then(VecDeque::front) {
                    if first >= txn || !self.pending.get(&first).is_some_and(|t| t.quiet) {
                        break;
                    }
                    self.pop_front(conn);
                    if let Some(t) = self.pending.remove(&first) {
                        out(t);
                    }
                }
                self.forget(conn, txn);
                if let Some(t) = self.pending.remove(&txn) {
                    out(t);
                }
            }
        }
    }

    /// Hands out every request still waiting, in request order.
    pub fn finish(&mut self, out: &mut impl FnMut(Transaction)) {
        self.by_conn.clear();
        while let Some((_, t)) = self.pending.pop_first() {
            out(t);
        }
    }

    fn pop_front(&mut self, conn: u64) {
        if let Some(q) = self.by_conn.get_mut(&conn) {
            q.pop_front();
            if q.is_empty() {
                self.by_conn.remove(&conn);
            }
        }
    }

    fn forget(&mut self, conn: u64, txn: u64) {
        if let Some(q) = self.by_conn.get_mut(&conn) {
            if q.front() == Some(&txn) {
                q.pop_front();
            } else if let Some(i) = q.iter().position(|&t| t == txn) {
                q.remove(i);
            }
            if q.is_empty() {
                self.by_conn.remove(&conn);
            }
        }
    }
}

#[cfg(test)]
mod tests;
