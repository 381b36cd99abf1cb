//! One shared connection to one server: a task that writes every queued request in one syscall
//! and reads answers in large reads, matching each to the request it answers.
//!
//! * **Text and meta** answers come in request order: the oldest pending request owns the next
//!   answer, which runs until a final line (`END`, `STORED`, `HD`, …; `VALUE` and `STAT` lines
//!   are not final). `noreply` requests never reach the pending queue. A meta request with `q`
//!   is sent without it and the answer quiet mode would suppress is dropped here, so every meta
//!   request has exactly one answer on the wire; except an `ma` with `q` and `N`, sent as is and
//!   followed by an `mn` of the proxy's own ([`QuietMeta::SettledByMn`]).
//! * **Binary** requests get an opaque of this connection (the client's is restored in the
//!   answer). An answer with opaque X settles every quiet request before X that got no answer;
//!   a batch that ends with a quiet request gets a `noop` of the proxy's own after it, so quiet
//!   requests are settled without waiting for the client's next request.
//! * A connection that fails (refused, reset, closed, a request past the pool's `timeout`)
//!   fails exactly the requests that were on it, is counted against the server (ejection), and
//!   is reopened on the next request after a short pause.
//! * With server credentials (the pool's `sasl_username`), a new connection authenticates
//!   ([`super::server_auth`]) before its first request is written; a refusal is a failed
//!   connect.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Notify};

use super::answer::{Answer, Failure};
use super::client::ToWriter;
use super::server_auth::{self, Authenticated};
use super::{Family, ServerState, Shared};
use crate::{TapEvent, SERVER_LEG};
use memshark_protocol::ascii::{ParseLimits, Parsed, Response};
use memshark_protocol::binary::{self as framing, FrameCheck, HEADER_LEN};
use memshark_protocol::meta;
use memshark_traffic::capture::{Direction, Timestamp};

/// Most bytes gathered into one write.
const BATCH_BYTES: usize = 256 * 1024;
/// Read size.
const READ_CHUNK: usize = 64 * 1024;
/// How long a server connection that failed stays closed (requests meanwhile fail at once).
const REOPEN_PAUSE: Duration = Duration::from_millis(100);

/// Where one job's answer goes.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    /// The client's writer.
    pub tx: mpsc::UnboundedSender<ToWriter>,
    /// The client request's sequence number.
    pub seq: u64,
    /// Which piece of it.
    pub frag: u16,
    /// Also gets a copy of the answer (a shadowed request's comparison).
    pub tee: Option<mpsc::UnboundedSender<Answer>>,
}

impl Reply {
    /// Hands an answer to the client's writer (a client gone meanwhile is no error).
    pub fn send(&self, answer: Answer) {
        if let Some(t) = &self.tee {
            let _ = t.send(answer.clone());
        }
        let _ = self.tx.send(ToWriter::Answer {
            seq: self.seq,
            frag: self.frag,
            answer,
        });
    }
}

/// How a job's answer is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Text or meta: lines until a final one.
    Text {
        /// A fragment of a split multi-get: deliver without the closing `END`.
        strip_end: bool,
        /// A meta command sent with `q`: how its answer is told apart from the next one's.
        meta_quiet: Option<QuietMeta>,
    },
    /// Binary: one response matched by opaque.
    Binary {
        /// A quiet opcode: settled without an answer when a later answer arrives.
        quiet: bool,
        /// `stat`: a series of responses closed by one with an empty key.
        stat: bool,
    },
    /// No answer comes (`noreply`): written, never waited for.
    Nothing,
}

/// How a meta request with the `q` flag is sent, so that its answer (or its silence) is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QuietMeta {
    /// Sent without its `q`, so it always has one answer on the wire; the answers quiet mode
    /// would suppress for this command are dropped here.
    Stripped(meta::Command),
    /// Sent as is and followed by the proxy's own `mn`: its answer is everything before the
    /// `MN` (nothing, or what memcached sends in quiet mode), and the `MN` is dropped. For an
    /// `ma` that may create its counter (`N`): memcached sends the creation's `HD`/`VA` even in
    /// quiet mode, which an answer without `q` cannot tell from an update's.
    SettledByMn,
}

/// One request (or one piece of a split request) for one server connection.
#[derive(Debug)]
pub(crate) struct Job {
    /// The request's bytes (binary: the whole packet; its opaque is rewritten on the way).
    pub head: Bytes,
    /// More bytes written right after `head` (the data block of a rebuilt meta line).
    pub tail: Bytes,
    /// How the answer is framed.
    pub expect: Expect,
    /// Where it goes.
    pub reply: Reply,
    /// When the request times out.
    pub deadline: Option<Instant>,
    /// A place in the shadow queue, given back once the job is taken to be written (a shadow
    /// copy sent without an answer to wait for).
    pub permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// A request written and not answered yet.
#[derive(Debug)]
struct Pending {
    /// `None`: the proxy's own `noop`.
    reply: Option<Reply>,
    expect: Expect,
    /// Binary: the opaque on this connection, and the client's.
    opaque: u32,
    client_opaque: u32,
    sent: Instant,
    deadline: Option<Instant>,
}

/// The requests written on a connection and not answered yet, oldest first.
struct Queue {
    q: Mutex<VecDeque<Pending>>,
    /// Signalled when the writer adds requests.
    filled: Notify,
}

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The router is shutting down.
    Closed,
    /// Reset, closed by the server, or a write failed.
    Broken,
    /// The oldest request passed its deadline.
    Timeout,
    /// The server sent something that answers nothing pending.
    Desync,
}

/// Fails a job that could not be sent.
fn fail(s: &ServerState, reply: &Reply, f: Failure) {
    s.errors.fetch_add(1, Ordering::Relaxed);
    if f == Failure::Timeout {
        s.timeouts.fetch_add(1, Ordering::Relaxed);
    }
    reply.send(Answer::Failed(f));
}

/// Serves one connection slot of `server` until the router shuts down or every sender of `rx`
/// is gone (the server left the pool): connects on the first request (or at once with
/// `preconnect`), reconnects after failures.
pub(crate) async fn run(
    shared: Arc<Shared>,
    server: Arc<ServerState>,
    family: Family,
    mut rx: mpsc::UnboundedReceiver<Job>,
) {
    let mut carry: Option<Job> = None;
    let addr = server.spec.addr.clone();
    let i: &ServerState = &server;
    loop {
        if carry.is_none() && !shared.placement().1.pool.preconnect {
            match rx.recv().await {
                Some(j) => carry = Some(j),
                None => return,
            }
        }
        match open(&shared, &addr, family).await {
            Ok(stream) => {
                if let Ok(peer) = stream.peer_addr() {
                    let _ = i.resolved.set(peer);
                }
                let leg = open_leg(&shared, &stream);
                let (r, mut w) = stream.into_split();
                let pending = Queue {
                    q: Mutex::new(VecDeque::new()),
                    filled: Notify::new(),
                };
                let end = {
                    let reader = read_loop(r, &pending, &shared, i, family, leg);
                    let writer = write_loop(
                        &mut w,
                        &mut rx,
                        &pending,
                        carry.take(),
                        &shared,
                        i,
                        family,
                        leg,
                    );
                    tokio::select! {
                        e = reader => e,
                        e = writer => e,
                    }
                };
                let drained: Vec<Pending> = pending
                    .q
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .drain(..)
                    .collect();
                for (n, p) in drained.into_iter().enumerate() {
                    if let Some(r) = &p.reply {
                        let f = if n == 0 && end == End::Timeout {
                            Failure::Timeout
                        } else {
                            Failure::Connection
                        };
                        fail(i, r, f);
                    }
                }
                if let Some(conn) = leg {
                    tap(
                        &shared,
                        TapEvent::Closed {
                            conn,
                            ts: Timestamp::now(),
                            reset: end != End::Closed,
                        },
                    );
                }
                match end {
                    End::Closed => return,
                    End::Timeout => eprintln!(
                        "memshark proxy: server {addr}: a request timed out; connection closed"
                    ),
                    End::Desync => eprintln!(
                        "memshark proxy: server {addr}: an answer matched no request; connection closed"
                    ),
                    End::Broken => eprintln!("memshark proxy: server {addr}: connection lost"),
                }
                shared.server_failed(i);
            }
            Err(message) => {
                eprintln!("memshark proxy: server {addr}: {message}");
                shared.server_failed(i);
            }
        }
        if let Some(j) = carry.take() {
            fail(i, &j.reply, Failure::Connection);
        }
        let until = tokio::time::Instant::now() + REOPEN_PAUSE;
        loop {
            tokio::select! {
                j = rx.recv() => match j {
                    Some(j) => fail(i, &j.reply, Failure::Connection),
                    None => return,
                },
                _ = tokio::time::sleep_until(until) => break,
            }
        }
    }
}

/// Connects to `addr` within the connect timeout and, when the pool has server credentials,
/// authenticates before anything else is written; the reason when it fails (a failed connect,
/// counted towards ejection by the caller).
async fn open(shared: &Shared, addr: &str, family: Family) -> Result<TcpStream, String> {
    let limit = shared.config.connect_timeout;
    let mut stream = match tokio::time::timeout(limit, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(format!("cannot connect: {e}")),
        Err(_) => return Err(format!("no connection within {limit:?}")),
    };
    let _ = stream.set_nodelay(true);
    let Some(credentials) = shared.placement().1.pool.server_sasl.clone() else {
        return Ok(stream);
    };
    let auth = server_auth::authenticate(&mut stream, family, &credentials);
    match tokio::time::timeout(limit, auth).await {
        Ok(Ok(Authenticated::Yes)) => Ok(stream),
        Ok(Ok(Authenticated::NotRequired)) => {
            eprintln!(
                "memshark proxy: server {addr}: asks for no authentication; the connection is used without it"
            );
            Ok(stream)
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer to authentication within {limit:?}")),
    }
}

/// Hands a tap event on, counting it when the tap is full.
fn tap(shared: &Shared, ev: TapEvent) {
    if let Some(tx) = &shared.tap {
        if tx.try_send(ev).is_err() {
            shared.counters.tap_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// With `record_backends`, announces a new server connection on the tap; its tap id.
fn open_leg(shared: &Shared, stream: &TcpStream) -> Option<u64> {
    if !shared.config.record_backends || shared.tap.is_none() {
        return None;
    }
    let (Ok(local), Ok(peer)) = (stream.local_addr(), stream.peer_addr()) else {
        return None;
    };
    let conn = SERVER_LEG | shared.next_leg.fetch_add(1, Ordering::Relaxed);
    tap(
        shared,
        TapEvent::Open {
            conn,
            client: local,
            server: peer,
            ts: Timestamp::now(),
            route: None,
        },
    );
    Some(conn)
}

/// Takes jobs as they come, everything queued at once, and writes each batch in one syscall.
#[allow(clippy::too_many_arguments)]
async fn write_loop(
    w: &mut OwnedWriteHalf,
    rx: &mut mpsc::UnboundedReceiver<Job>,
    pending: &Queue,
    mut carry: Option<Job>,
    shared: &Shared,
    i: &ServerState,
    family: Family,
    leg: Option<u64>,
) -> End {
    let mut wbuf = BytesMut::with_capacity(READ_CHUNK);
    let mut batch: Vec<Pending> = Vec::with_capacity(64);
    let mut next_opaque: u32 = 0;
    loop {
        let first = match carry.take() {
            Some(j) => j,
            None => match rx.recv().await {
                Some(j) => j,
                None => return answered(pending).await,
            },
        };
        let now = Instant::now();
        let mut job = Some(first);
        let mut last_quiet = false;
        let mut count = 0u64;
        while let Some(j) = job.take() {
            count += 1;
            let mut p = Pending {
                reply: Some(j.reply),
                expect: j.expect,
                opaque: 0,
                client_opaque: 0,
                sent: now,
                deadline: j.deadline,
            };
            match j.expect {
                Expect::Binary { quiet, .. } if j.head.len() >= HEADER_LEN => {
                    next_opaque = next_opaque.wrapping_add(1);
                    p.opaque = next_opaque;
                    p.client_opaque =
                        u32::from_be_bytes([j.head[12], j.head[13], j.head[14], j.head[15]]);
                    wbuf.put_slice(&j.head[..12]);
                    wbuf.put_u32(next_opaque);
                    wbuf.put_slice(&j.head[16..]);
                    last_quiet = quiet;
                }
                _ => {
                    wbuf.put_slice(&j.head);
                    wbuf.put_slice(&j.tail);
                    last_quiet = false;
                }
            }
            if j.expect != Expect::Nothing {
                batch.push(p);
            }
            if wbuf.len() < BATCH_BYTES {
                job = rx.try_recv().ok();
            }
        }
        if family == Family::Binary && last_quiet {
            next_opaque = next_opaque.wrapping_add(1);
            let noop = memshark_protocol::binary::Request::noop().with_opaque(next_opaque);
            noop.write_to(&mut wbuf);
            batch.push(Pending {
                reply: None,
                expect: Expect::Binary {
                    quiet: false,
                    stat: false,
                },
                opaque: next_opaque,
                client_opaque: 0,
                sent: now,
                deadline: None,
            });
        }
        pending
            .q
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(batch.drain(..));
        pending.filled.notify_one();
        i.requests.fetch_add(count, Ordering::Relaxed);
        if let Some(conn) = leg {
            let bytes = wbuf.split().freeze();
            let ts = Timestamp::now();
            if w.write_all(&bytes).await.is_err() {
                return End::Broken;
            }
            tap(
                shared,
                TapEvent::Data {
                    conn,
                    dir: Direction::ToServer,
                    ts,
                    bytes,
                },
            );
            continue;
        }
        if w.write_all(&wbuf).await.is_err() {
            return End::Broken;
        }
        wbuf.clear();
        if wbuf.capacity() > 4 * BATCH_BYTES {
            wbuf = BytesMut::with_capacity(READ_CHUNK);
        }
    }
}

/// Once no more jobs can come (the server left the pool): waits until every request written
/// is answered (or the connection ends otherwise), then ends the connection.
async fn answered(pending: &Queue) -> End {
    loop {
        if pending
            .q
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
        {
            return End::Closed;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Reads answers and hands each to its client, until the connection fails or a request times
/// out.
async fn read_loop(
    mut r: OwnedReadHalf,
    pending: &Queue,
    shared: &Shared,
    i: &ServerState,
    family: Family,
    leg: Option<u64>,
) -> End {
    let mut rbuf = BytesMut::with_capacity(READ_CHUNK);
    let mut framer = Framer { scan: 0 };
    let mut latencies: Vec<u64> = Vec::with_capacity(256);
    loop {
        let deadline = pending
            .q
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .front()
            .and_then(|p| p.deadline);
        if rbuf.capacity() - rbuf.len() < READ_CHUNK / 4 {
            rbuf.reserve(READ_CHUNK);
        }
        let before = rbuf.len();
        let read = match deadline {
            Some(d) => {
                tokio::select! {
                    r = r.read_buf(&mut rbuf) => r,
                    _ = tokio::time::sleep_until(d.into()) => return End::Timeout,
                }
            }
            None => {
                tokio::select! {
                    r = r.read_buf(&mut rbuf) => r,
                    // A request written meanwhile may carry a deadline: look again.
                    _ = pending.filled.notified() => continue,
                }
            }
        };
        match read {
            Ok(0) | Err(_) => return End::Broken,
            Ok(_) => {}
        }
        if let Some(conn) = leg {
            tap(
                shared,
                TapEvent::Data {
                    conn,
                    dir: Direction::ToClient,
                    ts: Timestamp::now(),
                    bytes: Bytes::copy_from_slice(&rbuf[before..]),
                },
            );
        }
        let now = Instant::now();
        let outcome = {
            let mut q = pending.q.lock().unwrap_or_else(|p| p.into_inner());
            match family {
                Family::Text => framer.text(&mut rbuf, &mut q, now, &mut latencies),
                Family::Binary => framer.binary(&mut rbuf, &mut q, now, &mut latencies),
            }
        };
        if !latencies.is_empty() {
            shared.server_ok(i);
            let mut h = i.latency.lock().unwrap_or_else(|p| p.into_inner());
            for &ns in &latencies {
                h.record_ns(ns);
            }
            latencies.clear();
        }
        if let Err(e) = outcome {
            return e;
        }
    }
}

/// Whether memcached (1.6) leaves out `code` in answer to `command` sent with `q`: the success
/// answers (`HD`; `ma`'s `VA`) and `mg`'s miss (`EN`); failures such as `NF`, `NS` and `EX`
/// are still sent (checked against memcached 1.6.18).
fn quiet_suppresses(command: meta::Command, code: meta::ResponseCode) -> bool {
    use meta::{Command, ResponseCode};
    matches!(
        (command, code),
        (Command::Get, ResponseCode::En)
            | (Command::Set, ResponseCode::Hd)
            | (Command::Delete, ResponseCode::Hd)
            | (Command::Arithmetic, ResponseCode::Hd | ResponseCode::Va)
    )
}

/// Cuts a server's byte stream into answers.
struct Framer {
    /// Bytes at the front of the buffer already known to belong to the oldest pending request's
    /// answer (its `VALUE`/`STAT` lines, or a binary `stat` series so far).
    scan: usize,
}

fn elapsed_ns(p: &Pending, now: Instant) -> u64 {
    u64::try_from(now.saturating_duration_since(p.sent).as_nanos()).unwrap_or(u64::MAX)
}

impl Framer {
    /// Text and meta answers, in order.
    fn text(
        &mut self,
        rbuf: &mut BytesMut,
        q: &mut VecDeque<Pending>,
        now: Instant,
        lat: &mut Vec<u64>,
    ) -> Result<(), End> {
        let limits = ParseLimits::permissive();
        while self.scan < rbuf.len() {
            let Some(front) = q.front() else {
                return Err(End::Desync);
            };
            let Expect::Text {
                strip_end,
                meta_quiet,
            } = front.expect
            else {
                return Err(End::Desync);
            };
            let until_mn = meta_quiet == Some(QuietMeta::SettledByMn);
            let (len, is_final, is_end, suppressed) = match Response::parse(
                &rbuf[self.scan..],
                &limits,
            ) {
                Ok(Parsed::Complete { message, len }) => {
                    let suppressed = match (&message, meta_quiet) {
                        (Response::Meta(m), Some(QuietMeta::Stripped(c))) => {
                            quiet_suppresses(c, m.code)
                        }
                        _ => false,
                    };
                    let is_mn =
                        matches!(&message, Response::Meta(m) if m.code == meta::ResponseCode::Mn);
                    (
                        len,
                        if until_mn { is_mn } else { message.is_final() },
                        matches!(message, Response::End) || (until_mn && is_mn),
                        suppressed,
                    )
                }
                Ok(Parsed::Incomplete { .. }) => return Ok(()),
                // A line no parser knows (`stats detail dump`'s `PREFIX`, `lru_crawler`'s
                // `key=` lines): part of the answer, passed on as it is.
                Err(e) if self.scan + e.skip <= rbuf.len() => (e.skip, false, false, false),
                Err(_) => return Ok(()),
            };
            self.scan += len;
            if !is_final {
                continue;
            }
            let mut answer = rbuf.split_to(self.scan).freeze();
            self.scan = 0;
            let Some(p) = q.pop_front() else {
                return Err(End::Desync);
            };
            if (strip_end || until_mn) && is_end {
                answer.truncate(answer.len() - len);
            }
            if suppressed {
                answer.clear();
            }
            lat.push(elapsed_ns(&p, now));
            if let Some(r) = p.reply {
                r.send(Answer::Bytes(answer));
            }
        }
        Ok(())
    }

    /// Binary answers, by opaque.
    fn binary(
        &mut self,
        rbuf: &mut BytesMut,
        q: &mut VecDeque<Pending>,
        now: Instant,
        lat: &mut Vec<u64>,
    ) -> Result<(), End> {
        loop {
            let len = match framing::check(&rbuf[self.scan..], framing::DEFAULT_MAX_BODY_LEN) {
                Ok(FrameCheck::Complete(len)) => len,
                Ok(FrameCheck::Incomplete { .. }) => return Ok(()),
                Err(_) => return Err(End::Desync),
            };
            let at = self.scan;
            let opaque =
                u32::from_be_bytes([rbuf[at + 12], rbuf[at + 13], rbuf[at + 14], rbuf[at + 15]]);
            let key_len = u16::from_be_bytes([rbuf[at + 2], rbuf[at + 3]]);
            // Quiet requests before the one answered got no answer: settled.
            loop {
                let Some(front) = q.front() else {
                    return Err(End::Desync);
                };
                if front.opaque == opaque {
                    break;
                }
                let quiet = matches!(front.expect, Expect::Binary { quiet: true, .. });
                if !quiet || self.scan != 0 {
                    return Err(End::Desync);
                }
                if let Some(p) = q.pop_front() {
                    lat.push(elapsed_ns(&p, now));
                    if let Some(r) = p.reply {
                        r.send(Answer::Bytes(Bytes::new()));
                    }
                }
            }
            let stat = matches!(
                q.front().map(|p| p.expect),
                Some(Expect::Binary { stat: true, .. })
            );
            self.scan += len;
            if stat && key_len != 0 {
                continue;
            }
            let mut frame = rbuf.split_to(self.scan);
            self.scan = 0;
            let Some(p) = q.pop_front() else {
                return Err(End::Desync);
            };
            lat.push(elapsed_ns(&p, now));
            let Some(r) = p.reply else { continue };
            // Restore the client's opaque in every response of the answer.
            let mut off = 0;
            while off + HEADER_LEN <= frame.len() {
                frame[off + 12..off + 16].copy_from_slice(&p.client_opaque.to_be_bytes());
                let body = u32::from_be_bytes([
                    frame[off + 8],
                    frame[off + 9],
                    frame[off + 10],
                    frame[off + 11],
                ]) as usize;
                off += HEADER_LEN + body;
            }
            r.send(Answer::Bytes(frame.freeze()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use memshark_protocol::binary::{Opcode, Response as BinResponse, Status};

    fn pending(
        expect: Expect,
        opaque: u32,
        client_opaque: u32,
        frag: u16,
    ) -> (Pending, mpsc::UnboundedReceiver<ToWriter>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Pending {
                reply: Some(Reply {
                    tx,
                    seq: 0,
                    frag,
                    tee: None,
                }),
                expect,
                opaque,
                client_opaque,
                sent: Instant::now(),
                deadline: None,
            },
            rx,
        )
    }

    fn answer(rx: &mut mpsc::UnboundedReceiver<ToWriter>) -> Option<Bytes> {
        match rx.try_recv().ok()? {
            ToWriter::Answer {
                answer: Answer::Bytes(b),
                ..
            } => Some(b),
            _ => None,
        }
    }

    const QUIET: Expect = Expect::Binary {
        quiet: true,
        stat: false,
    };
    const LOUD: Expect = Expect::Binary {
        quiet: false,
        stat: false,
    };

    #[test]
    fn a_later_binary_answer_settles_the_quiet_requests_before_it() {
        let (p1, mut r1) = pending(QUIET, 1, 100, 0);
        let (p2, mut r2) = pending(QUIET, 2, 200, 0);
        let (p3, mut r3) = pending(LOUD, 3, 300, 0);
        let mut q: VecDeque<Pending> = [p1, p2, p3].into();
        let mut rbuf = BytesMut::new();
        // The second quiet request got an answer (a getq hit), the first none.
        BinResponse::new(Opcode::GetQ, Status::NoError, &[0, 0, 0, 0], b"", b"v")
            .with_opaque(2)
            .write_to(&mut rbuf);
        BinResponse::new(Opcode::Noop, Status::NoError, b"", b"", b"")
            .with_opaque(3)
            .write_to(&mut rbuf);
        let mut lat = Vec::new();
        Framer { scan: 0 }
            .binary(&mut rbuf, &mut q, Instant::now(), &mut lat)
            .expect("in step");
        assert!(q.is_empty() && rbuf.is_empty());
        assert_eq!(answer(&mut r1).expect("settled"), Bytes::new());
        let a2 = answer(&mut r2).expect("answered");
        assert_eq!(
            &a2[12..16],
            &200u32.to_be_bytes(),
            "the client's opaque restored"
        );
        let a3 = answer(&mut r3).expect("answered");
        assert_eq!(&a3[12..16], &300u32.to_be_bytes());
        assert_eq!(lat.len(), 3);
    }

    #[test]
    fn a_binary_stat_series_is_one_answer_and_a_stray_answer_is_a_desync() {
        let (p, mut r) = pending(
            Expect::Binary {
                quiet: false,
                stat: true,
            },
            7,
            70,
            0,
        );
        let mut q: VecDeque<Pending> = [p].into();
        let mut rbuf = BytesMut::new();
        for (k, v) in [("pid", "1"), ("uptime", "2"), ("", "")] {
            BinResponse::new(
                Opcode::Stat,
                Status::NoError,
                b"",
                k.as_bytes(),
                v.as_bytes(),
            )
            .with_opaque(7)
            .write_to(&mut rbuf);
        }
        let whole = rbuf.len();
        let mut lat = Vec::new();
        let mut framer = Framer { scan: 0 };
        framer
            .binary(&mut rbuf, &mut q, Instant::now(), &mut lat)
            .expect("in step");
        let a = answer(&mut r).expect("one answer");
        assert_eq!(a.len(), whole);
        assert!(a.chunks(1).count() > 0);
        // Nothing is pending now: another answer matches nothing.
        BinResponse::new(Opcode::Get, Status::NoError, b"", b"", b"")
            .with_opaque(8)
            .write_to(&mut rbuf);
        assert_eq!(
            framer.binary(&mut rbuf, &mut q, Instant::now(), &mut lat),
            Err(End::Desync)
        );
    }

    #[test]
    fn a_request_settled_by_the_proxys_mn_owns_everything_before_the_mn() {
        let settled = Expect::Text {
            strip_end: false,
            meta_quiet: Some(QuietMeta::SettledByMn),
        };
        let plain = Expect::Text {
            strip_end: false,
            meta_quiet: None,
        };
        // A created counter (its VA sent in quiet mode), an updated one (nothing), then a
        // plain request.
        let (p1, mut r1) = pending(settled, 0, 0, 0);
        let (p2, mut r2) = pending(settled, 0, 0, 0);
        let (p3, mut r3) = pending(plain, 0, 0, 0);
        let mut q: VecDeque<Pending> = [p1, p2, p3].into();
        let mut rbuf = BytesMut::from(&b"VA 1\r\n7\r\nMN\r\nMN\r\nHD\r\n"[..]);
        let mut lat = Vec::new();
        Framer { scan: 0 }
            .text(&mut rbuf, &mut q, Instant::now(), &mut lat)
            .expect("in step");
        assert_eq!(&answer(&mut r1).expect("created")[..], b"VA 1\r\n7\r\n");
        assert_eq!(answer(&mut r2).expect("settled"), Bytes::new());
        assert_eq!(&answer(&mut r3).expect("hd")[..], b"HD\r\n");
        assert!(rbuf.is_empty() && q.is_empty());
    }

    #[test]
    fn text_answers_are_framed_in_order_and_quiet_meta_answers_dropped() {
        let text = |strip_end, meta_quiet| Expect::Text {
            strip_end,
            meta_quiet,
        };
        let (p1, mut r1) = pending(text(false, None), 0, 0, 0);
        let (p2, mut r2) = pending(text(true, None), 0, 0, 1);
        let (p3, mut r3) = pending(
            text(false, Some(QuietMeta::Stripped(meta::Command::Get))),
            0,
            0,
            0,
        );
        let (p4, mut r4) = pending(text(false, None), 0, 0, 0);
        let mut q: VecDeque<Pending> = [p1, p2, p3, p4].into();
        let mut rbuf = BytesMut::from(
            &b"VALUE a 0 1\r\n1\r\nEND\r\nVALUE b 0 1\r\n2\r\nEND\r\nEN\r\nSTAT pid 1\r\nEND\r\n"[..],
        );
        let mut lat = Vec::new();
        let mut framer = Framer { scan: 0 };
        framer
            .text(&mut rbuf, &mut q, Instant::now(), &mut lat)
            .expect("in step");
        assert_eq!(
            &answer(&mut r1).expect("a")[..],
            b"VALUE a 0 1\r\n1\r\nEND\r\n"
        );
        assert_eq!(&answer(&mut r2).expect("b")[..], b"VALUE b 0 1\r\n2\r\n");
        assert_eq!(answer(&mut r3).expect("settled"), Bytes::new());
        assert_eq!(
            &answer(&mut r4).expect("stats")[..],
            b"STAT pid 1\r\nEND\r\n"
        );
        // A byte with nothing pending answers nothing.
        assert!(rbuf.is_empty());
        rbuf.extend_from_slice(b"STORED\r\n");
        assert_eq!(
            framer.text(&mut rbuf, &mut q, Instant::now(), &mut lat),
            Err(End::Desync)
        );
    }

    #[test]
    fn quiet_mode_suppresses_what_memcached_suppresses() {
        use meta::{Command, ResponseCode};
        assert!(quiet_suppresses(Command::Get, ResponseCode::En));
        assert!(!quiet_suppresses(Command::Get, ResponseCode::Hd));
        assert!(!quiet_suppresses(Command::Get, ResponseCode::Va));
        assert!(quiet_suppresses(Command::Delete, ResponseCode::Hd));
        assert!(!quiet_suppresses(Command::Delete, ResponseCode::Nf));
        assert!(quiet_suppresses(Command::Arithmetic, ResponseCode::Va));
        assert!(!quiet_suppresses(Command::Arithmetic, ResponseCode::Nf));
        assert!(!quiet_suppresses(Command::Set, ResponseCode::Ns));
    }
}
