//! What to replay: the captured requests of each connection, in order, each with the answers
//! it got and how many earlier requests had been answered when it was sent (the pipelining).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::SocketAddr;
use std::path::Path;

use memshark_protocol::op::Op;
use memshark_traffic::dissect::{Kind, Message, Problem};
use memshark_traffic::filter::{Field, Filter, Subject, Value};
use memshark_traffic::source::{self, Source, SourceError};

/// One captured request and the answers it got.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request as captured (its bytes are what is sent).
    pub request: Message,
    /// The captured answers, in order (none for a quiet request answered by silence).
    pub answers: Vec<Message>,
    /// How many exchanges of the connection were settled when this request was sent: one
    /// past the last one answered by then (memcached answers in order, so the quiet requests
    /// before an answered one were answered by silence). The replay waits until as many are
    /// settled before sending it, which keeps the captured pipelining.
    pub settled_before: usize,
    /// Across every connection: how many exchanges had been answered when this request was
    /// sent (a set on one connection seen answered before a get on another). The replay
    /// keeps that order unless told not to.
    pub answered_anywhere_before: usize,
    /// This exchange's place among all answered exchanges, by time of first answer.
    pub answer_rank: Option<usize>,
    /// Whether, in the capture, another connection changed one of its keys while it (or an
    /// earlier request on that key) was in flight: which came first at the server cannot be
    /// known from the capture, so a replay may rightly get another answer.
    pub raced: bool,
}

impl Exchange {
    /// When the first answer came, if one did.
    pub fn first_answer_ns(&self) -> Option<u64> {
        self.answers.first().map(|a| a.origin.ts.as_nanos())
    }
}

impl Subject for Exchange {
    fn any(&self, field: Field, visit: &mut dyn FnMut(Value<'_>) -> bool) -> bool {
        self.request.any(field, visit) || self.answers.iter().any(|a| a.any(field, visit))
    }
}

/// One captured connection to replay.
#[derive(Debug, Clone)]
pub struct ConnPlan {
    /// The connection's number in the capture.
    pub conn: u64,
    /// The captured client.
    pub client: SocketAddr,
    /// The captured server.
    pub server: SocketAddr,
    /// Its requests, in captured order.
    pub exchanges: Vec<Exchange>,
}

/// Everything a replay sends.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The connections, in order of their first request.
    pub conns: Vec<ConnPlan>,
    /// Requests left out: UDP, gaps, cut-off messages, and those the filter did not take.
    pub skipped: u64,
    /// Time of the first replayed request (ns since the epoch).
    pub start_ns: u64,
}

impl Plan {
    /// Requests to send.
    pub fn requests(&self) -> usize {
        self.conns.iter().map(|c| c.exchanges.len()).sum()
    }

    /// Builds the plan from a capture file.
    pub fn from_file(path: &Path, ports: &[u16], filter: &Filter) -> Result<Plan, SourceError> {
        Plan::from_source(Source::file(path), ports, filter)
    }

    /// Builds the plan from any file source (several files merged by time, a ring: see
    /// [`source::resolve`]).
    pub fn from_source(
        source: Source,
        ports: &[u16],
        filter: &Filter,
    ) -> Result<Plan, SourceError> {
        let mut msgs = Vec::new();
        source::run(
            source,
            ports,
            source::from_fn(|m| {
                msgs.push(m);
                true
            }),
        )?;
        Ok(Plan::from_messages(msgs, filter))
    }

    /// Builds the plan from dissected messages in capture order.
    pub fn from_messages(msgs: impl IntoIterator<Item = Message>, filter: &Filter) -> Plan {
        let mut conns: Vec<ConnPlan> = Vec::new();
        let mut by_conn: HashMap<u64, usize> = HashMap::new();
        // Dissector request number → (connection slot, exchange index).
        let mut by_txn: HashMap<u64, (usize, usize)> = HashMap::new();
        let mut skipped = 0;
        for m in msgs {
            match m.kind() {
                Kind::Request => {
                    let o = m.origin;
                    let replayable = o.conn != 0
                        && m.txn.is_some()
                        && !m.problem.is_some_and(Problem::is_stream_damage)
                        && !m.raw.is_empty();
                    if !replayable {
                        skipped += 1;
                        continue;
                    }
                    let slot = *by_conn.entry(o.conn).or_insert_with(|| {
                        conns.push(ConnPlan {
                            conn: o.conn,
                            client: o.client,
                            server: o.server,
                            exchanges: Vec::new(),
                        });
                        conns.len() - 1
                    });
                    let ex = &mut conns[slot].exchanges;
                    if let Some(t) = m.txn {
                        by_txn.insert(t, (slot, ex.len()));
                    }
                    ex.push(Exchange {
                        request: m,
                        answers: Vec::new(),
                        settled_before: 0,
                        answered_anywhere_before: 0,
                        answer_rank: None,
                        raced: false,
                    });
                }
                Kind::Response => {
                    if let Some(&(slot, i)) = m.txn.and_then(|t| by_txn.get(&t)) {
                        conns[slot].exchanges[i].answers.push(m);
                    }
                }
            }
        }
        for c in &mut conns {
            let before = c.exchanges.len();
            if !filter.is_all() {
                c.exchanges.retain(|e| filter.matches(e));
            }
            skipped += (before - c.exchanges.len()) as u64;
            pipelining(&mut c.exchanges);
        }
        conns.retain(|c| !c.exchanges.is_empty());
        cross_connection_order(&mut conns);
        mark_races(&mut conns);
        let start_ns = conns
            .iter()
            .filter_map(|c| c.exchanges.first())
            .map(|e| e.request.origin.ts.as_nanos())
            .min()
            .unwrap_or(0);
        Plan {
            conns,
            skipped,
            start_ns,
        }
    }
}

/// Ranks every answered exchange by its first answer's time, and counts for every request
/// how many exchanges anywhere were answered before it was sent.
fn cross_connection_order(conns: &mut [ConnPlan]) {
    let mut answered: Vec<(u64, usize, usize)> = Vec::new();
    for (c, conn) in conns.iter().enumerate() {
        for (i, e) in conn.exchanges.iter().enumerate() {
            if let Some(t) = e.first_answer_ns() {
                answered.push((t, c, i));
            }
        }
    }
    answered.sort_unstable();
    for (rank, &(_, c, i)) in answered.iter().enumerate() {
        conns[c].exchanges[i].answer_rank = Some(rank);
    }
    for conn in conns.iter_mut() {
        for e in &mut conn.exchanges {
            let sent = e.request.origin.ts.as_nanos();
            e.answered_anywhere_before = answered.partition_point(|&(t, _, _)| t <= sent);
        }
    }
}

/// Whether a request only reads its keys (a race between two reads changes nothing).
fn only_reads(m: &Message) -> bool {
    m.op.is_some_and(Op::is_read_only)
}

/// Marks the exchanges whose answers the capture cannot fix (see [`Exchange::raced`]).
///
/// A request is in flight from its send until its first answer (a quiet request without one:
/// until the next answer on its connection). Two requests on one key from different
/// connections whose flights overlap, one of them a write, raced; from the earlier of the two
/// sends on, every request on that key is marked (the value the race left lives on).
fn mark_races(conns: &mut [ConnPlan]) {
    /// One request on one of its keys: (key, send, end, connection slot, index, writes).
    type Flight<'a> = (&'a [u8], u64, u64, usize, usize, bool);
    let mut flights: Vec<Flight<'_>> = Vec::new();
    for (c, conn) in conns.iter().enumerate() {
        let mut next_answer = u64::MAX;
        let mut ends = vec![0u64; conn.exchanges.len()];
        for (i, e) in conn.exchanges.iter().enumerate().rev() {
            let sent = e.request.origin.ts.as_nanos();
            ends[i] = e.first_answer_ns().unwrap_or(next_answer).max(sent);
            if let Some(t) = e.first_answer_ns() {
                next_answer = t;
            }
        }
        for (i, e) in conn.exchanges.iter().enumerate() {
            let writes = !only_reads(&e.request);
            let keys = if e.request.keys.is_empty() {
                e.request.key.as_slice()
            } else {
                e.request.keys.as_slice()
            };
            for k in keys {
                flights.push((
                    &k[..],
                    e.request.origin.ts.as_nanos(),
                    ends[i],
                    c,
                    i,
                    writes,
                ));
            }
        }
    }
    flights.sort_unstable_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));
    let mut marks = Vec::new();
    for same_key in flights.chunk_by(|a, b| a.0 == b.0) {
        // Flights still in the air: (send, end, connection, writes).
        let mut open: Vec<(u64, u64, usize, bool)> = Vec::new();
        let mut race_began = None;
        for &(_, sent, end, c, _, writes) in same_key {
            open.retain(|o| o.1 > sent);
            race_began = open
                .iter()
                .filter(|o| o.2 != c && (o.3 || writes))
                .map(|o| o.0)
                .min();
            if race_began.is_some() {
                break;
            }
            open.push((sent, end, c, writes));
        }
        if let Some(began) = race_began {
            marks.extend(same_key.iter().filter(|f| f.2 >= began).map(|f| (f.3, f.4)));
        }
    }
    for (c, i) in marks {
        conns[c].exchanges[i].raced = true;
    }
}

/// Sets `settled_before`: one past the last earlier exchange whose first answer came at or
/// before this request's time.
fn pipelining(exchanges: &mut [Exchange]) {
    // (first answer time, index) of earlier exchanges not yet answered at the current time.
    let mut waiting: BinaryHeap<Reverse<(u64, usize)>> = BinaryHeap::new();
    let mut settled = 0;
    for (i, e) in exchanges.iter_mut().enumerate() {
        let sent = e.request.origin.ts.as_nanos();
        while let Some(Reverse((t, j))) = waiting.peek().copied() {
            if t > sent {
                break;
            }
            waiting.pop();
            settled = settled.max(j + 1);
        }
        e.settled_before = settled;
        if let Some(t) = e.first_answer_ns() {
            waiting.push(Reverse((t, i)));
        }
    }
}
