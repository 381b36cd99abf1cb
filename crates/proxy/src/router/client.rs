//! One client connection: a reader that frames requests and routes them, and a writer that puts
//! the answers back in request order. Both run in the client's one task.
//!
//! Every request gets a sequence number and a slot in the writer; its answer (or the pieces of
//! a split request) arrive on one channel from whichever server connections served it, and the
//! writer writes a slot only when every slot before it is written. The reader stops reading
//! while `max_pending` requests are unanswered or `max_buffered` answer bytes wait for a client
//! that does not read, so such a client never makes the proxy's memory grow.
//!
//! When the pool asks clients for credentials, each request goes through [`client_auth`]'s
//! gate until the client has authenticated (one `bool` checked per request otherwise).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch, Notify, Semaphore};

use super::answer::{self, Answer, Failure, Speaks};
use super::backend::{Expect, Job, QuietMeta, Reply};
use super::client_auth::{self, Step};
use super::request::{self, TextReq};
use super::shadow::Copy;
use super::{stats, Family, Placement, Shared};
use crate::http_guard::{first_line, FirstLine};
use crate::TapEvent;
use memshark_protocol::ascii::ParseLimits;
use memshark_protocol::binary::{self, self as framing, FrameCheck, Opcode, Status, HEADER_LEN};
use memshark_traffic::capture::{Direction, Timestamp};

/// Read size.
const READ_CHUNK: usize = 64 * 1024;
/// Longest text line accepted: memcached's 2048, except that a multi-key get may be long.
const MAX_LINE: usize = 64 * 1024;

/// What reaches a client's writer.
#[derive(Debug)]
pub(crate) enum ToWriter {
    /// A new request, before any of its answers.
    Slot {
        /// Its sequence number (one more than the last).
        seq: u64,
        /// What to expect.
        slot: Slot,
    },
    /// An answer, or a piece of one.
    Answer {
        /// The request's sequence number.
        seq: u64,
        /// Which piece.
        frag: u16,
        /// The answer.
        answer: Answer,
    },
    /// The reader is done: end after the last slot.
    End,
}

/// How a request's answer is made.
#[derive(Debug)]
pub(crate) enum Merge {
    /// One answer, written as it comes.
    One,
    /// Answered by the proxy (already complete).
    Local(Bytes),
    /// A split multi-get: the client's keys and each key's fragment.
    Get {
        /// The client's keys, in order.
        keys: Vec<Bytes>,
        /// The fragment of each key.
        frag_of_key: Vec<u16>,
    },
    /// Sent to every server; one answer for all.
    Broadcast,
}

/// One request in the writer.
#[derive(Debug)]
pub(crate) struct Slot {
    /// Answers expected.
    frags: u16,
    /// How they become one.
    merge: Merge,
    /// What a failure looks like.
    speaks: Speaks,
    /// Close the connection once this is written (`quit`).
    close_after: bool,
}

struct Entry {
    slot: Slot,
    /// The answers of a request of several fragments (empty for one: see `first`).
    answers: Vec<Option<Answer>>,
    /// The answer of a one-fragment request (no allocation per request).
    first: Option<Answer>,
    got: u16,
}

impl Entry {
    fn ready(&self) -> bool {
        self.got >= self.slot.frags
    }

    /// Writes the answer; returns whether the connection closes after it.
    fn render(self, out: &mut BytesMut) -> bool {
        let Entry {
            slot,
            mut answers,
            first,
            ..
        } = self;
        let speaks = slot.speaks;
        if let Merge::One = slot.merge {
            match first.or_else(|| answers.into_iter().next().flatten()) {
                Some(Answer::Bytes(b)) => out.extend_from_slice(&b),
                Some(Answer::Failed(f)) => answer::write_failure(out, speaks, f),
                None => {}
            }
            return slot.close_after;
        }
        if answers.is_empty() {
            answers.push(first);
        }
        let close = slot.close_after;
        match slot.merge {
            Merge::Local(b) => out.extend_from_slice(&b),
            Merge::One => {}
            Merge::Get { keys, frag_of_key } => {
                let mut frags = Vec::with_capacity(answers.len());
                for a in answers {
                    match a {
                        Some(Answer::Bytes(b)) => {
                            if !b.is_empty() && !b.starts_with(b"VALUE ") {
                                // A fragment answered with an error: the error is the answer.
                                out.extend_from_slice(&b);
                                return close;
                            }
                            frags.push(b);
                        }
                        Some(Answer::Failed(f)) => {
                            answer::write_failure(out, speaks, f);
                            return close;
                        }
                        None => frags.push(Bytes::new()),
                    }
                }
                answer::merge_get(out, &keys, &frag_of_key, &frags);
            }
            Merge::Broadcast => {
                let rendered: Vec<Bytes> = answers
                    .into_iter()
                    .map(|a| match a {
                        Some(Answer::Bytes(b)) => b,
                        Some(Answer::Failed(f)) => {
                            let mut o = BytesMut::new();
                            answer::write_failure(&mut o, speaks, f);
                            o.freeze()
                        }
                        None => Bytes::new(),
                    })
                    .collect();
                answer::merge_broadcast(out, speaks, &rendered);
            }
        }
        close
    }
}

/// Queues `job` on a server connection; a connection whose task is gone fails it at once.
fn deliver(conn: &mpsc::UnboundedSender<Job>, job: Job) {
    if let Err(mpsc::error::SendError(job)) = conn.send(job) {
        job.reply.send(Answer::Failed(Failure::Connection));
    }
}

fn tap(shared: &Shared, ev: TapEvent) {
    if let Some(tx) = &shared.tap {
        if tx.try_send(ev).is_err() {
            shared.counters.tap_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// What the reader and the writer share besides the channel.
struct Flow {
    /// One permit per request that may be in flight.
    pending: Semaphore,
    /// Answer bytes received and not written yet.
    held: AtomicUsize,
    /// Signalled when the writer has written.
    drained: Notify,
}

/// Serves one client connection until it closes, `quit`s, or the router stops; when `drain`
/// is set (the pool left the configuration) it stops reading and closes once every answer it
/// owes is written.
pub(crate) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    id: u64,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    drain: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    shared.counters.open.fetch_add(1, Ordering::Relaxed);
    tap(
        &shared,
        TapEvent::Open {
            conn: id,
            client: peer,
            server: shared.tap_server,
            ts: Timestamp::now(),
            route: Some(super::RouteView::new(&shared)),
        },
    );
    let (r, w) = stream.into_split();
    let (tx, rx) = mpsc::unbounded_channel();
    let flow = Flow {
        pending: Semaphore::new(shared.config.max_pending.max(1)),
        held: AtomicUsize::new(0),
        drained: Notify::new(),
    };
    let reader = Reader::new(id, Arc::clone(&shared), tx, &flow);
    let reader = reader.run(r, drain);
    let writer = write_loop(w, rx, id, &shared, &flow);
    tokio::pin!(reader, writer);
    let clean = tokio::select! {
        clean = &mut writer => clean,
        clean = &mut reader => {
            if clean {
                tokio::select! {
                    c = &mut writer => c,
                    _ = stop.changed() => false,
                }
            } else {
                false
            }
        }
        _ = stop.changed() => false,
    };
    tap(
        &shared,
        TapEvent::Closed {
            conn: id,
            ts: Timestamp::now(),
            reset: !clean,
        },
    );
    shared.counters.open.fetch_sub(1, Ordering::Relaxed);
}

/// Writes answers in request order; `true` when it ended cleanly.
async fn write_loop(
    mut w: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<ToWriter>,
    id: u64,
    shared: &Shared,
    flow: &Flow,
) -> bool {
    let mut slots: VecDeque<Entry> = VecDeque::new();
    let mut base: u64 = 0;
    let mut ended = false;
    let mut out = BytesMut::with_capacity(READ_CHUNK);
    loop {
        let Some(first) = rx.recv().await else {
            return true;
        };
        let mut msg = Some(first);
        while let Some(m) = msg.take() {
            match m {
                ToWriter::Slot { seq, slot } => {
                    debug_assert_eq!(seq, base + slots.len() as u64);
                    let n = usize::from(slot.frags);
                    slots.push_back(Entry {
                        slot,
                        answers: if n <= 1 {
                            Vec::new()
                        } else {
                            (0..n).map(|_| None).collect()
                        },
                        first: None,
                        got: 0,
                    });
                }
                ToWriter::Answer { seq, frag, answer } => {
                    if let Some(e) = seq
                        .checked_sub(base)
                        .and_then(|i| slots.get_mut(i as usize))
                    {
                        if let Answer::Bytes(b) = &answer {
                            flow.held.fetch_add(b.len(), Ordering::Relaxed);
                        }
                        let slot = if e.answers.is_empty() && frag == 0 {
                            Some(&mut e.first)
                        } else {
                            e.answers.get_mut(usize::from(frag))
                        };
                        if let Some(a) = slot {
                            if a.is_none() {
                                e.got += 1;
                            }
                            *a = Some(answer);
                        }
                    }
                }
                ToWriter::End => ended = true,
            }
            msg = rx.try_recv().ok();
        }
        let mut done = 0usize;
        let mut close = false;
        while slots.front().is_some_and(Entry::ready) {
            let Some(e) = slots.pop_front() else { break };
            base += 1;
            done += 1;
            if e.render(&mut out) {
                close = true;
                break;
            }
        }
        if !out.is_empty() {
            let n = out.len();
            let bytes = out.split().freeze();
            if w.write_all(&bytes).await.is_err() {
                return false;
            }
            shared
                .counters
                .bytes_down
                .fetch_add(n as u64, Ordering::Relaxed);
            tap(
                shared,
                TapEvent::Data {
                    conn: id,
                    dir: Direction::ToClient,
                    ts: Timestamp::now(),
                    bytes,
                },
            );
            let held = flow.held.load(Ordering::Relaxed);
            flow.held.store(held.saturating_sub(n), Ordering::Relaxed);
            flow.drained.notify_one();
            if out.capacity() < READ_CHUNK / 4 {
                out = BytesMut::with_capacity(READ_CHUNK);
            }
        }
        flow.pending.add_permits(done);
        if close {
            let _ = w.shutdown().await;
            return true;
        }
        if ended && slots.is_empty() {
            let _ = w.shutdown().await;
            return true;
        }
    }
}

/// The reading half of a client: frames, routes, registers slots.
struct Reader<'f> {
    id: u64,
    shared: Arc<Shared>,
    tx: mpsc::UnboundedSender<ToWriter>,
    flow: &'f Flow,
    seq: u64,
    generation: u64,
    placement: Arc<Placement>,
    limits: ParseLimits,
    /// Bytes still to drop (the rest of a request too large to take).
    discard: usize,
    /// Stop reading (after `quit`, or a stream that cannot be framed).
    done: bool,
    /// Where the next job's answer is also sent (a shadowed request's comparison).
    tee: Option<mpsc::UnboundedSender<Answer>>,
    /// The client may send requests to servers: it authenticated, or the pool asks for no
    /// client credentials. Until then every request goes through [`client_auth`].
    authenticated: bool,
    /// The text connections that were sent a `noreply` request of this client since it last
    /// sent `mn` (each once; at most one per server): an `mn` goes to each of them, so its `MN`
    /// says they have run.
    unsettled: Vec<mpsc::UnboundedSender<Job>>,
}

/// What the authentication gate did with the request at the front of the buffer.
enum Gated {
    /// Answered (or refused) by the gate; look at the next one.
    Handled,
    /// Wait for more bytes (or stop: the connection closes).
    Wait,
    /// Let it through to the router (the pool asks no credentials any more).
    Pass,
}

impl<'f> Reader<'f> {
    fn new(
        id: u64,
        shared: Arc<Shared>,
        tx: mpsc::UnboundedSender<ToWriter>,
        flow: &'f Flow,
    ) -> Reader<'f> {
        let (generation, placement) = shared.placement();
        let authenticated = placement.pool.client_sasl.is_none();
        let limits = ParseLimits {
            max_line: MAX_LINE,
            max_value: shared.config.max_item,
            ..ParseLimits::default()
        };
        Reader {
            id,
            shared,
            tx,
            flow,
            seq: 0,
            generation,
            placement,
            limits,
            discard: 0,
            done: false,
            tee: None,
            unsettled: Vec::new(),
            authenticated,
        }
    }

    /// A SASL request once the client may send requests, in a pool with credentials: with
    /// client credentials the proxy answers it as before authentication (a failed attempt does
    /// not take the authentication back); with server credentials alone it is an unknown
    /// command, as for a memcached without `-S`.
    async fn sasl_after_auth(&mut self, pkt: &binary::Packet<Bytes>, opcode: Opcode, opaque: u32) {
        let placement = Arc::clone(&self.placement);
        let step = placement.pool.client_sasl.as_ref().map(|c| {
            let version = self.version();
            client_auth::binary(pkt.as_inner(), c, &self.shared.counters, &version)
        });
        let (answer, close) = match step {
            Some(Step::Answer { answer, close, .. }) => (answer, close),
            _ => {
                let mut o = BytesMut::new();
                binary::Response::error(opcode, Status::UnknownCommand)
                    .with_opaque(opaque)
                    .write_to(&mut o);
                (o.freeze(), false)
            }
        };
        self.local(answer, close).await;
        if close {
            self.done = true;
        }
    }

    /// What the proxy answers VERSION with before authentication: its own version (the server's
    /// is not asked: nothing of an unauthenticated client reaches a server).
    fn version(&self) -> String {
        stats::version()
    }

    /// Before the client has authenticated: lets [`client_auth`] decide about the request at
    /// the front of `buf` and does what it says. Nothing it takes reaches a server.
    async fn gate(&mut self, buf: &mut BytesMut, binary: bool) -> Gated {
        let placement = Arc::clone(&self.placement);
        let Some(credentials) = &placement.pool.client_sasl else {
            self.authenticated = true;
            return Gated::Pass;
        };
        let counters = &self.shared.counters;
        let step = if binary {
            client_auth::binary(buf, credentials, counters, &self.version())
        } else {
            client_auth::text(buf, credentials, counters)
        };
        match step {
            Step::More => Gated::Wait,
            Step::Close => {
                self.done = true;
                Gated::Wait
            }
            Step::Answer {
                consumed,
                skip,
                answer,
                authenticated,
                close,
            } => {
                buf.advance(consumed);
                self.discard = skip;
                self.authenticated = authenticated;
                self.local(answer, close).await;
                if close {
                    buf.clear();
                    self.done = true;
                }
                Gated::Handled
            }
        }
    }

    /// Reads until EOF, `quit` or an error; `true` when the client ended cleanly.
    async fn run(mut self, mut r: OwnedReadHalf, mut drain: watch::Receiver<bool>) -> bool {
        let mut buf = BytesMut::with_capacity(READ_CHUNK);
        let mut screened = false;
        let mut binary: Option<bool> = None;
        let clean = loop {
            while self.flow.held.load(Ordering::Relaxed) > self.shared.config.max_buffered {
                self.flow.drained.notified().await;
            }
            if buf.capacity() - buf.len() < READ_CHUNK / 4 {
                buf.reserve(READ_CHUNK);
            }
            let before = buf.len();
            let read = tokio::select! {
                read = r.read_buf(&mut buf) => read,
                _ = drain.wait_for(|d| *d) => break true,
            };
            match read {
                Ok(0) => break true,
                Err(_) => break false,
                Ok(n) => {
                    self.shared
                        .counters
                        .bytes_up
                        .fetch_add(n as u64, Ordering::Relaxed);
                    if self.shared.tap.is_some() {
                        tap(
                            &self.shared,
                            TapEvent::Data {
                                conn: self.id,
                                dir: Direction::ToServer,
                                ts: Timestamp::now(),
                                bytes: Bytes::copy_from_slice(&buf[before..]),
                            },
                        );
                    }
                }
            }
            if !screened {
                match first_line(&buf) {
                    FirstLine::Incomplete => continue,
                    FirstLine::Http => {
                        self.shared
                            .counters
                            .http_refused
                            .fetch_add(1, Ordering::Relaxed);
                        break false;
                    }
                    FirstLine::Pass => screened = true,
                }
            }
            let is_binary = *binary.get_or_insert_with(|| {
                buf.first()
                    .is_some_and(|&b| b == u8::from(binary::Magic::Request))
            });
            if self.discard > 0 {
                let n = self.discard.min(buf.len());
                buf.advance(n);
                self.discard -= n;
            }
            if is_binary {
                self.binary_requests(&mut buf).await;
            } else {
                self.text_requests(&mut buf).await;
            }
            if self.done {
                break true;
            }
        };
        let _ = self.tx.send(ToWriter::End);
        clean
    }

    /// A new request slot (waits while too many are in flight).
    async fn slot(&mut self, slot: Slot) -> u64 {
        match self.flow.pending.try_acquire() {
            Ok(p) => p.forget(),
            Err(_) => {
                if let Ok(p) = self.flow.pending.acquire().await {
                    p.forget();
                }
            }
        }
        let seq = self.seq;
        self.seq += 1;
        let _ = self.tx.send(ToWriter::Slot { seq, slot });
        seq
    }

    async fn local(&mut self, answer: Bytes, close_after: bool) {
        self.slot(Slot {
            frags: 0,
            merge: Merge::Local(answer),
            speaks: Speaks::Text,
            close_after,
        })
        .await;
    }

    /// Takes up the router's current placement if it changed (ejection, re-admission,
    /// reload): called before each request, so every piece of one request uses one placement.
    fn refresh(&mut self) {
        let g = self.shared.generation.load(Ordering::Acquire);
        if g != self.generation {
            let (g, p) = self.shared.placement();
            self.generation = g;
            self.placement = p;
        }
    }

    /// The server for a key under the placement of the request being routed.
    fn server_for(&self, key: &[u8]) -> Option<usize> {
        self.placement.continuum.server_for(key)
    }

    fn deadline(&self) -> Option<Instant> {
        self.placement.pool.timeout.map(|t| Instant::now() + t)
    }

    /// Copies a keyed request to the pool's shadow when its key is shadowed; returns where
    /// the primary's answer goes for the comparison.
    fn shadow(
        &self,
        key: &[u8],
        family: Family,
        (head, tail): (&Bytes, &Bytes),
        expect: Expect,
    ) -> Option<mpsc::UnboundedSender<Answer>> {
        let shadow = self.placement.shadow.as_ref()?;
        if !self.placement.continuum.shadowed(key) {
            return None;
        }
        shadow.copy(
            Copy {
                key,
                family,
                head: head.clone(),
                tail: tail.clone(),
                expect,
                client: self.id,
            },
            &self.placement.pool.name,
            &self.shared.shadow_counters,
            self.shared.config.shadow_diffs.as_ref(),
        )
    }

    /// Sends one job to server `i` (or fails it); the answer is also teed to `self.tee`, if
    /// set (taken).
    fn send_job(
        &mut self,
        i: Option<usize>,
        family: Family,
        (head, tail): (Bytes, Bytes),
        expect: Expect,
        seq: u64,
        frag: u16,
    ) {
        let reply = self.reply(seq, frag);
        let Some(server) = i.and_then(|i| self.placement.servers.get(i)) else {
            reply.send(Answer::Failed(Failure::NoServer));
            return;
        };
        deliver(
            server.conn(family, self.id),
            self.job((head, tail), expect, reply),
        );
    }

    /// Where the answer of piece `frag` of request `seq` goes (and its tee, taken).
    fn reply(&mut self, seq: u64, frag: u16) -> Reply {
        Reply {
            tx: self.tx.clone(),
            seq,
            frag,
            tee: self.tee.take(),
        }
    }

    /// A job for a server connection, due by the pool's timeout.
    fn job(&self, (head, tail): (Bytes, Bytes), expect: Expect, reply: Reply) -> Job {
        Job {
            head,
            tail,
            expect,
            reply,
            deadline: self.deadline(),
            permit: None,
        }
    }

    /// One request, one server, one answer (or none, for `noreply`).
    async fn one(
        &mut self,
        i: Option<usize>,
        family: Family,
        head: Bytes,
        tail: Bytes,
        expect: Expect,
        speaks: Speaks,
    ) {
        {
            let seq = self
                .slot(Slot {
                    frags: 1,
                    merge: Merge::One,
                    speaks,
                    close_after: false,
                })
                .await;
            self.send_job(i, family, (head, tail), expect, seq, 0);
        }
    }

    /// Servers a broadcast goes to: every server in the placement now.
    fn live_servers(&self) -> Vec<usize> {
        self.placement
            .servers
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.state.ejected.load(Ordering::Relaxed))
            .map(|(i, _)| i)
            .collect()
    }

    /// Sends a request to every live server; one merged answer (none for `noreply`).
    async fn broadcast(
        &mut self,
        family: Family,
        req: Bytes,
        expect: Option<Expect>,
        speaks: Speaks,
    ) {
        let servers = self.live_servers();
        match expect {
            None => {
                for &i in &servers {
                    self.send_noreply(i, family, req.clone());
                }
            }
            Some(expect) => {
                if servers.is_empty() {
                    let mut o = BytesMut::new();
                    answer::write_failure(&mut o, speaks, Failure::NoServer);
                    self.local(o.freeze(), false).await;
                    return;
                }
                let seq = self
                    .slot(Slot {
                        frags: servers.len() as u16,
                        merge: Merge::Broadcast,
                        speaks,
                        close_after: false,
                    })
                    .await;
                for (f, &i) in servers.iter().enumerate() {
                    self.send_job(
                        Some(i),
                        family,
                        (req.clone(), Bytes::new()),
                        expect,
                        seq,
                        f as u16,
                    );
                }
            }
        }
    }

    /// `mn` with several servers: `MN` at once when every earlier request has an answer to
    /// wait for (the writer puts it after them); after `noreply` requests, an `mn` to each
    /// connection they went to, and one `MN` once all have answered.
    async fn meta_noop(&mut self, expect: Expect) {
        if self.unsettled.is_empty() {
            self.local(Bytes::from_static(b"MN\r\n"), false).await;
            return;
        }
        let conns = std::mem::take(&mut self.unsettled);
        let seq = self
            .slot(Slot {
                frags: conns.len() as u16,
                merge: Merge::Broadcast,
                speaks: Speaks::Text,
                close_after: false,
            })
            .await;
        for (f, conn) in conns.iter().enumerate() {
            let reply = self.reply(seq, f as u16);
            let mn = (Bytes::from_static(b"mn\r\n"), Bytes::new());
            deliver(conn, self.job(mn, expect, reply));
        }
    }

    /// A request with no answer (`noreply`): written to its server, nothing awaited (a text
    /// one leaves its connection to be settled by the client's next `mn`).
    fn send_noreply(&mut self, i: usize, family: Family, req: Bytes) {
        if let Some(server) = self.placement.servers.get(i) {
            let conn = server.conn(family, self.id);
            if family == Family::Text && !self.unsettled.iter().any(|c| c.same_channel(conn)) {
                self.unsettled.push(conn.clone());
            }
            let (tx, _) = mpsc::unbounded_channel();
            let job = Job {
                head: req,
                tail: Bytes::new(),
                expect: Expect::Nothing,
                reply: Reply {
                    tx,
                    seq: 0,
                    frag: 0,
                    tee: None,
                },
                deadline: None,
                permit: None,
            };
            let _ = server.conn(family, self.id).send(job);
        }
    }

    async fn text_requests(&mut self, buf: &mut BytesMut) {
        while !buf.is_empty() && !self.done && self.discard == 0 {
            self.refresh();
            if !self.authenticated {
                match self.gate(buf, false).await {
                    Gated::Handled => continue,
                    Gated::Wait => return,
                    Gated::Pass => {}
                }
            }
            let several = self.placement.servers.len() > 1;
            let Some((req, len)) = request::parse_text(buf, &self.limits) else {
                return;
            };
            if len > buf.len() {
                // A request too large to take: answered, its remaining bytes dropped as they
                // come.
                self.discard = len - buf.len();
                buf.clear();
            } else if let TextReq::Bad(_) = req {
                buf.advance(len);
            }
            let taken = if matches!(req, TextReq::Bad(_)) || self.discard > 0 {
                Bytes::new()
            } else {
                buf.split_to(len).freeze()
            };
            let text = Expect::Text {
                strip_end: false,
                meta_quiet: None,
            };
            match req {
                TextReq::Bad(e) => {
                    let mut o = BytesMut::new();
                    o.extend_from_slice(e.kind.reply().as_bytes());
                    o.extend_from_slice(b"\r\n");
                    self.local(o.freeze(), false).await;
                }
                TextReq::Keyed {
                    key,
                    noreply,
                    meta_quiet,
                } => {
                    let i = self.server_for(key.bytes(&taken));
                    // Copied only for a pool with a shadow (no allocation otherwise).
                    let key = match self.placement.shadow {
                        Some(_) => Bytes::copy_from_slice(key.bytes(&taken)),
                        None => Bytes::new(),
                    };
                    if noreply {
                        let none = Bytes::new();
                        self.shadow(&key, Family::Text, (&taken, &none), Expect::Nothing);
                        if let Some(i) = i {
                            self.send_noreply(i, Family::Text, taken);
                        }
                        continue;
                    }
                    let (head, tail) = match meta_quiet {
                        Some(QuietMeta::Stripped(_)) => request::without_q(&taken),
                        // (`ma` has no data block: the `mn` follows its line.)
                        Some(QuietMeta::SettledByMn) => (taken, Bytes::from_static(b"mn\r\n")),
                        None => (taken, Bytes::new()),
                    };
                    let expect = Expect::Text {
                        strip_end: false,
                        meta_quiet,
                    };
                    self.tee = self.shadow(&key, Family::Text, (&head, &tail), expect);
                    self.one(i, Family::Text, head, tail, expect, Speaks::Text)
                        .await;
                }
                TextReq::Get {
                    command,
                    exptime,
                    keys,
                } => self.multi_get(taken, command, exptime, keys).await,
                TextReq::MetaNoop if several => self.meta_noop(text).await,
                TextReq::Stats { has_args } if several => {
                    let mut o = BytesMut::new();
                    if has_args {
                        o.extend_from_slice(b"SERVER_ERROR stats groups are answered by each server, not by a pool\r\n");
                    } else {
                        stats::text(&self.shared, &mut o);
                    }
                    self.local(o.freeze(), false).await;
                }
                TextReq::Version if several => {
                    let v = format!("VERSION {}\r\n", stats::version());
                    self.local(Bytes::from(v), false).await;
                }
                TextReq::FlushAll { noreply } | TextReq::Verbosity { noreply } if several => {
                    let expect = (!noreply).then_some(text);
                    self.broadcast(Family::Text, taken, expect, Speaks::Text)
                        .await;
                }
                TextReq::Admin { .. } if several => {
                    self.local(
                        Bytes::from_static(
                            b"SERVER_ERROR admin commands go to a server directly, not to a pool\r\n",
                        ),
                        false,
                    )
                    .await;
                }
                TextReq::Admin { watch: true } => {
                    self.local(
                        Bytes::from_static(
                            b"SERVER_ERROR watch is not available through the proxy\r\n",
                        ),
                        false,
                    )
                    .await;
                }
                TextReq::Quit => {
                    self.local(Bytes::new(), true).await;
                    self.done = true;
                }
                TextReq::FlushAll { noreply: true } | TextReq::Verbosity { noreply: true } => {
                    self.send_noreply(0, Family::Text, taken);
                }
                // One server: forwarded as they are.
                TextReq::MetaNoop
                | TextReq::Stats { .. }
                | TextReq::Version
                | TextReq::FlushAll { .. }
                | TextReq::Verbosity { .. }
                | TextReq::Admin { .. } => {
                    self.one(
                        Some(0),
                        Family::Text,
                        taken,
                        Bytes::new(),
                        text,
                        Speaks::Text,
                    )
                    .await;
                }
            }
        }
    }

    async fn multi_get(
        &mut self,
        req: Bytes,
        command: memshark_protocol::ascii::GetCommand,
        exptime: Option<std::ops::Range<usize>>,
        keys: Vec<std::ops::Range<usize>>,
    ) {
        let mut servers: Vec<usize> = Vec::new();
        let mut frag_of_key = Vec::with_capacity(keys.len());
        let mut missing = false;
        for k in &keys {
            match self.server_for(&req[k.clone()]) {
                Some(i) => {
                    let f = match servers.iter().position(|&s| s == i) {
                        Some(f) => f,
                        None => {
                            servers.push(i);
                            servers.len() - 1
                        }
                    };
                    frag_of_key.push(f as u16);
                }
                None => missing = true,
            }
        }
        let text = Expect::Text {
            strip_end: false,
            meta_quiet: None,
        };
        if missing || servers.len() <= 1 {
            let i = if missing {
                None
            } else {
                servers.first().copied()
            };
            if let [key] = keys.as_slice() {
                // A one-key get is shadowed like any keyed request (a multi-key one is not).
                let key = req.slice(key.clone());
                self.tee = self.shadow(&key, Family::Text, (&req, &Bytes::new()), text);
            }
            self.one(i, Family::Text, req, Bytes::new(), text, Speaks::Text)
                .await;
            return;
        }
        let key_bytes: Vec<Bytes> = keys.iter().map(|k| req.slice(k.clone())).collect();
        let seq = self
            .slot(Slot {
                frags: servers.len() as u16,
                merge: Merge::Get {
                    keys: key_bytes.clone(),
                    frag_of_key: frag_of_key.clone(),
                },
                speaks: Speaks::Text,
                close_after: false,
            })
            .await;
        let exptime = exptime.map(|r| req.slice(r));
        for (f, &i) in servers.iter().enumerate() {
            let line = request::get_line(
                command,
                exptime.as_deref(),
                key_bytes
                    .iter()
                    .zip(&frag_of_key)
                    .filter(|(_, &kf)| usize::from(kf) == f)
                    .map(|(k, _)| k.clone()),
            );
            let expect = Expect::Text {
                strip_end: true,
                meta_quiet: None,
            };
            self.send_job(
                Some(i),
                Family::Text,
                (line, Bytes::new()),
                expect,
                seq,
                f as u16,
            );
        }
    }

    async fn binary_requests(&mut self, buf: &mut BytesMut) {
        let max_body = u32::try_from(self.shared.config.max_item + 4096).unwrap_or(u32::MAX);
        while !buf.is_empty() && !self.done && self.discard == 0 {
            self.refresh();
            if !self.authenticated {
                match self.gate(buf, true).await {
                    Gated::Handled => continue,
                    Gated::Wait => return,
                    Gated::Pass => {}
                }
            }
            let several = self.placement.servers.len() > 1;
            let len = match framing::check(buf, max_body) {
                Ok(FrameCheck::Complete(len)) => len,
                Ok(FrameCheck::Incomplete { .. }) => return,
                Err(binary::Error::BodyTooLarge { declared, .. }) if buf.len() >= HEADER_LEN => {
                    // memcached answers "Too large." and skips the body.
                    let p = binary::Packet::new_unchecked(&buf[..HEADER_LEN]);
                    let (opcode, opaque) = (p.opcode(), p.opaque());
                    let total = HEADER_LEN + declared as usize;
                    let now = total.min(buf.len());
                    buf.advance(now);
                    self.discard = total - now;
                    let mut o = BytesMut::new();
                    binary::Response::error(opcode, Status::ValueTooLarge)
                        .with_opaque(opaque)
                        .write_to(&mut o);
                    self.local(o.freeze(), false).await;
                    continue;
                }
                Err(_) => {
                    // Not a request memcached would frame either: it closes the connection.
                    self.done = true;
                    return;
                }
            };
            let pkt = binary::Packet::new_unchecked(buf.split_to(len).freeze());
            let opcode = pkt.opcode();
            let opaque = pkt.opaque();
            let speaks = Speaks::Binary { opcode, opaque };
            let expect = Expect::Binary {
                quiet: opcode.is_quiet(),
                stat: opcode == Opcode::Stat,
            };
            let keyless = matches!(
                opcode,
                Opcode::Noop
                    | Opcode::Version
                    | Opcode::Stat
                    | Opcode::Flush
                    | Opcode::FlushQ
                    | Opcode::Verbosity
                    | Opcode::Quit
                    | Opcode::QuitQ
                    | Opcode::SaslListMechs
                    | Opcode::SaslAuth
                    | Opcode::SaslStep
            );
            let local = |status: Status, value: &[u8]| {
                let mut o = BytesMut::new();
                binary::Response::new(opcode, status, b"", b"", value)
                    .with_opaque(opaque)
                    .write_to(&mut o);
                o.freeze()
            };
            match opcode {
                Opcode::Quit => {
                    self.local(local(Status::NoError, b""), true).await;
                    self.done = true;
                }
                Opcode::QuitQ => {
                    self.local(Bytes::new(), true).await;
                    self.done = true;
                }
                Opcode::SaslListMechs | Opcode::SaslAuth | Opcode::SaslStep
                    if self.placement.pool.client_sasl.is_some()
                        || self.placement.pool.server_sasl.is_some() =>
                {
                    // With credentials on either side, SASL is the proxy's business: it never
                    // reaches (and re-authenticates) a shared server connection.
                    self.sasl_after_auth(&pkt, opcode, opaque).await;
                }
                _ if !keyless => {
                    let i = self.server_for(pkt.key());
                    self.tee = self.shadow(
                        pkt.key(),
                        Family::Binary,
                        (pkt.as_inner(), &Bytes::new()),
                        expect,
                    );
                    let bytes = pkt.into_inner();
                    self.one(i, Family::Binary, bytes, Bytes::new(), expect, speaks)
                        .await;
                }
                _ if !several => {
                    let bytes = pkt.into_inner();
                    self.one(Some(0), Family::Binary, bytes, Bytes::new(), expect, speaks)
                        .await;
                }
                Opcode::Noop => self.local(local(Status::NoError, b""), false).await,
                Opcode::Version => {
                    let v = stats::version();
                    self.local(local(Status::NoError, v.as_bytes()), false)
                        .await
                }
                Opcode::Stat => {
                    let mut o = BytesMut::new();
                    if pkt.key().is_empty() {
                        stats::binary(&self.shared, opaque, &mut o);
                    } else {
                        binary::Response::error(opcode, Status::NotSupported)
                            .with_opaque(opaque)
                            .write_to(&mut o);
                    }
                    self.local(o.freeze(), false).await;
                }
                Opcode::Flush | Opcode::FlushQ | Opcode::Verbosity => {
                    let bytes = pkt.into_inner();
                    self.broadcast(Family::Binary, bytes, Some(expect), speaks)
                        .await;
                }
                _ => {
                    let mut o = BytesMut::new();
                    binary::Response::error(opcode, Status::NotSupported)
                        .with_opaque(opaque)
                        .write_to(&mut o);
                    self.local(o.freeze(), false).await;
                }
            }
        }
    }
}
