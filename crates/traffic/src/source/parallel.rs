//! [`run_parallel`]: one pass over capture files on several threads, with the messages, their
//! order and their numbers exactly those of the one-thread [`super::run`].
//!
//! # Threads
//!
//! * **The reader** (one thread) reads the files in chunks, hands out each frame as a slice of
//!   its chunk (no copy), decodes its link, IP and TCP/UDP headers, decides whether it is
//!   memcached's ([`Admission`], as a one-thread pass does) and sends it to the worker that
//!   owns its connection: a hash of the two ends' addresses, sorted, so both directions land
//!   on the same worker. It also decides when a one-thread reassembler would look for idle
//!   connections ([`Reassembler::sweep_due`]) and tells every worker at that frame.
//! * **The workers** (`threads` of them) each run a reassembler and a dissector over their
//!   connections, and tag every message with where a one-thread pass would have emitted it:
//!   at frame *k* while sweeping idle connections (in connection order), at frame *k* itself,
//!   or at the end of input (in connection order). They also mark the frame at which each of
//!   their connections begins.
//! * **The merger** (the calling thread) takes the workers' output batch by batch (every
//!   worker answers every batch, empty or not), merges the tagged streams — each is already in
//!   order — renumbers connections (in the order they began) and transactions (in the order
//!   their requests come), and hands the messages to the sink.
//!
//! Frames travel in batches of [`BATCH`] over bounded channels ([`DEPTH`] batches deep), so
//! memory stays bounded by what is in flight plus the open connections' state.
//!
//! # What differs from one thread
//!
//! Nothing in the messages, for any capture whose reassembly stays within its memory caps:
//! the caps on out-of-order bytes in all, and on off-port flows remembered (100 000), are per
//! worker here. A transaction answered after more than [`TXN_WINDOW`] later requests on its
//! worker gets a new number. When the sink stops early, the counters given to
//! [`Sink::finish`] are the reader's (frames), without reassembly and dissection figures.

use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::iter::Peekable;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use crate::capture::reassembly::ReassemblyStats;
use crate::capture::{decode, Reassembler, ReassemblyConfig, SharedFrame, Timestamp};
use crate::dissect::{DissectStats, Dissector, Message};
use crate::hash::{SeededState, SocketPairKey};
use crate::pipeline::{Admission, PassStats, Verdict};

use super::file::PROGRESS_EVERY;
use super::frames::Frames;
use super::{Progress, Recording, Sink, Source, SourceError};

/// Frames read per batch.
pub const BATCH: usize = 1024;

/// Batches in flight on each channel.
pub const DEPTH: usize = 4;

/// Transaction numbers remembered per worker for renumbering answers.
pub const TXN_WINDOW: usize = 1 << 20;

/// Reads `source` into `sink` like [`super::run`], decoding and pairing on `threads` worker
/// threads; the sink runs on the calling thread and sees the same messages in the same order as
/// with one thread. One thread, or a live source, is [`super::run`] itself.
///
/// One reader thread slices the files' frames and hands each to the worker that owns its
/// connection (both directions to the same one); each worker reassembles and dissects its
/// connections and tags every message with where a one-thread pass would have emitted it; the
/// calling thread merges the tagged streams and renumbers connections and transactions. What
/// can differ from one thread: the reassembly caps and the off-port flow table are per worker,
/// and an answer that comes more than `TXN_WINDOW` (2^20) requests after its own on its worker
/// gets a new transaction number.
pub fn run_parallel<S: Sink>(
    source: Source,
    ports: &[u16],
    threads: usize,
    mut sink: S,
) -> Result<PassStats, S::Error> {
    if threads <= 1 {
        return super::run(source, ports, sink);
    }
    let recordings = match source.into_recordings() {
        Ok(r) => r,
        Err(other) => return super::run(other, ports, sink),
    };
    if !sink.begin()? {
        let stats = PassStats::default();
        sink.finish(&stats)?;
        return Ok(stats);
    }
    let stop = AtomicBool::new(false);
    let pools = Pools {
        items: Pool::new(),
        outs: Pool::new(),
    };
    let pools = &pools;
    std::thread::scope(|scope| {
        let (meta_tx, meta_rx) = sync_channel(DEPTH);
        let mut to_workers = Vec::with_capacity(threads);
        let mut from_workers = Vec::with_capacity(threads);
        for i in 0..threads {
            let (in_tx, in_rx) = sync_channel(DEPTH);
            let (out_tx, out_rx) = sync_channel(DEPTH);
            to_workers.push(in_tx);
            from_workers.push(out_rx);
            let ports = ports.to_vec();
            std::thread::Builder::new()
                .name(format!("memshark-worker-{i}"))
                .spawn_scoped(scope, move || work(&ports, &in_rx, &out_tx, pools))
                .map_err(|e| SourceError::Thread(e.to_string()))?;
        }
        let stop = &stop;
        std::thread::Builder::new()
            .name("memshark-reader".into())
            .spawn_scoped(scope, move || {
                read(recordings, ports, &to_workers, &meta_tx, stop, pools);
            })
            .map_err(|e| SourceError::Thread(e.to_string()))?;
        let result = Merger::new(threads).run(&mut sink, meta_rx, from_workers, pools);
        stop.store(true, Ordering::Relaxed);
        result
    })
}

/// Emptied batch buffers, handed back for reuse so that the threads do not keep allocating
/// (and freeing on another thread) a buffer per batch.
#[derive(Debug)]
struct Pool<T>(std::sync::Mutex<Vec<Vec<T>>>);

impl<T> Pool<T> {
    /// Buffers kept at most.
    const KEEP: usize = 64;

    fn new() -> Pool<T> {
        Pool(std::sync::Mutex::new(Vec::new()))
    }

    /// An empty buffer, with room for `n` at least.
    fn take(&self, n: usize) -> Vec<T> {
        let reused = self.0.lock().ok().and_then(|mut p| p.pop());
        let mut v = reused.unwrap_or_default();
        v.reserve(n);
        v
    }

    /// Gives an emptied buffer back.
    fn give(&self, mut v: Vec<T>) {
        v.clear();
        if let Ok(mut p) = self.0.lock() {
            if p.len() < Self::KEEP {
                p.push(v);
            }
        }
    }
}

/// The buffers the threads share.
#[derive(Debug)]
struct Pools {
    items: Pool<Item>,
    outs: Pool<Tagged>,
}

/// One thing a worker is told, in frame order.
#[derive(Debug)]
enum Item {
    /// Look for idle connections, as a one-thread pass would at this frame.
    Tick { frame: u64, ts: Timestamp },
    /// A frame of one of the worker's connections (with the server, for a flow off the
    /// memcached ports seen for the first time).
    Frame {
        frame: SharedFrame,
        server: Option<SocketAddr>,
    },
}

/// What the reader sends a worker.
#[derive(Debug)]
enum ToWorker {
    /// The worker's share of one batch (possibly empty).
    Batch(Vec<Item>),
    /// The input ended: flush every connection and report.
    Finish,
    /// The input failed: stop without flushing.
    Abort,
}

/// Where a one-thread pass would have emitted an output.
#[derive(Debug, Clone, Copy)]
enum Stage {
    /// While sweeping idle connections before this frame, closing this (worker's) connection.
    Sweep { frame: u64, conn: u64 },
    /// While feeding this frame.
    Frame(u64),
    /// At the end of input, closing this (worker's) connection.
    Finish { conn: u64 },
}

/// One output of a worker.
// `Began` is rare and a boxed message would cost an allocation per message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Out {
    /// The worker's next connection begins here.
    Began,
    /// A message (with the worker's connection and transaction numbers).
    Message(Message),
}

#[derive(Debug)]
struct Tagged {
    stage: Stage,
    out: Out,
}

/// What a worker sends the merger.
#[derive(Debug)]
enum FromWorker {
    /// The outputs of one batch, in order.
    Batch(Vec<Tagged>),
    /// The outputs of the end of input, and the worker's counters.
    Finished(Vec<Tagged>, Box<(ReassemblyStats, DissectStats)>),
}

/// What the reader's pass counted.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    frames: u64,
    frame_bytes: u64,
    skipped_frames: u64,
    truncated: bool,
}

/// What the reader tells the merger, after sending a batch to every worker.
#[derive(Debug)]
enum Meta {
    /// A batch went out; the read progress to report before its messages, if one is due.
    Batch {
        progress: Option<Progress>,
        counts: Counts,
    },
    /// The input ended (`Finish` went out) or failed (`Abort` went out).
    End {
        counts: Counts,
        error: Option<SourceError>,
    },
}

/// The reader thread: frames → admission → the owning worker, in batches.
fn read(
    recordings: Vec<Recording>,
    ports: &[u16],
    to_workers: &[SyncSender<ToWorker>],
    meta: &SyncSender<Meta>,
    stop: &AtomicBool,
    pools: &Pools,
) {
    let n = to_workers.len().max(1);
    let shard_hash = SeededState::default();
    let mut frames = Frames::new(recordings);
    let mut admission = Admission::new(ports);
    let mut last_sweep = Timestamp::default();
    let mut counts = Counts::default();
    let mut batches: Vec<Vec<Item>> = (0..n).map(|_| Vec::new()).collect();
    let mut in_batch = 0;
    let mut progress = None;
    let send = |batches: &mut Vec<Vec<Item>>, progress: Option<Progress>, counts: Counts| {
        for (tx, batch) in to_workers.iter().zip(batches.iter_mut()) {
            let items = std::mem::replace(batch, pools.items.take(BATCH / n + 16));
            if tx.send(ToWorker::Batch(items)).is_err() {
                return false;
            }
        }
        meta.send(Meta::Batch { progress, counts }).is_ok()
    };
    let error = loop {
        let frame = match frames.next() {
            Ok(Some(frame)) => frame,
            Ok(None) => break None,
            Err(e) => break Some(e),
        };
        counts.frames += 1;
        counts.frame_bytes += frame.data.len() as u64;
        if frame.number.is_multiple_of(PROGRESS_EVERY) {
            progress = Some(frames.progress());
        }
        let routed = match decode(frame.linktype, &frame.data, frame.orig_len) {
            Err(_) => None,
            Ok(seg) => {
                let verdict = admission.admit(&seg);
                (verdict != Verdict::Skip).then(|| {
                    let key = if seg.src <= seg.dst {
                        SocketPairKey(seg.src, seg.dst)
                    } else {
                        SocketPairKey(seg.dst, seg.src)
                    };
                    let shard = (shard_hash.hash_one(key) % n as u64) as usize;
                    let server = match verdict {
                        Verdict::TakeWithServer(s) => Some(s),
                        Verdict::Take | Verdict::Skip => None,
                    };
                    (shard, server)
                })
            }
        };
        match routed {
            None => counts.skipped_frames += 1,
            Some((shard, server)) => {
                if Reassembler::sweep_due(last_sweep, frame.ts) {
                    last_sweep = frame.ts;
                    for batch in &mut batches {
                        batch.push(Item::Tick {
                            frame: frame.number,
                            ts: frame.ts,
                        });
                    }
                }
                if let Some(batch) = batches.get_mut(shard) {
                    batch.push(Item::Frame { frame, server });
                }
            }
        }
        in_batch += 1;
        if in_batch == BATCH {
            in_batch = 0;
            if stop.load(Ordering::Relaxed) || !send(&mut batches, progress.take(), counts) {
                return;
            }
        }
    };
    counts.truncated = frames.truncated();
    if in_batch > 0 && !send(&mut batches, progress.take(), counts) {
        return;
    }
    let abort = error.is_some();
    for tx in to_workers {
        let last = if abort {
            ToWorker::Abort
        } else {
            ToWorker::Finish
        };
        if tx.send(last).is_err() {
            return;
        }
    }
    let _ = meta.send(Meta::End { counts, error });
}

/// A worker thread: its connections' frames → reassembly → dissector → tagged messages.
fn work(ports: &[u16], input: &Receiver<ToWorker>, output: &SyncSender<FromWorker>, pools: &Pools) {
    let mut reassembler = Reassembler::new(ReassemblyConfig {
        ports: ports.to_vec(),
        ..ReassemblyConfig::default()
    });
    let mut dissector = Dissector::new();
    // Outputs per batch last time: room for as many this time.
    let mut expect = BATCH;
    while let Ok(next) = input.recv() {
        let mut items = match next {
            ToWorker::Batch(items) => items,
            ToWorker::Abort => return,
            ToWorker::Finish => {
                let mut out = Vec::new();
                reassembler.finish(&mut |ev| {
                    let stage = Stage::Finish {
                        conn: ev.origin.conn,
                    };
                    dissector.push(ev, &mut |m| out.push(Tagged::message(stage, m)));
                });
                dissector.finish();
                let _ = output.send(FromWorker::Finished(
                    out,
                    Box::new((reassembler.stats(), dissector.stats())),
                ));
                return;
            }
        };
        let mut out = pools.outs.take(expect);
        for item in items.drain(..) {
            match item {
                Item::Tick { frame, ts } => reassembler.tick(ts, &mut |ev| {
                    let stage = Stage::Sweep {
                        frame,
                        conn: ev.origin.conn,
                    };
                    dissector.push(ev, &mut |m| out.push(Tagged::message(stage, m)));
                }),
                Item::Frame { frame, server } => {
                    let Ok(seg) = decode(frame.linktype, &frame.data, frame.orig_len) else {
                        continue;
                    };
                    if let Some(server) = server {
                        reassembler.hint_server(seg.src, seg.dst, server);
                    }
                    let stage = Stage::Frame(frame.number);
                    let began = reassembler.stats().connections;
                    let mark = out.len();
                    reassembler.push_shared(frame.number, frame.ts, &seg, &frame.data, &mut |ev| {
                        dissector.push(ev, &mut |m| out.push(Tagged::message(stage, m)))
                    });
                    if reassembler.stats().connections > began {
                        out.insert(
                            mark,
                            Tagged {
                                stage,
                                out: Out::Began,
                            },
                        );
                    }
                }
            }
        }
        pools.items.give(items);
        expect = out.len() + out.len() / 4;
        if output.send(FromWorker::Batch(out)).is_err() {
            return;
        }
    }
}

impl Tagged {
    fn message(stage: Stage, m: Message) -> Tagged {
        Tagged {
            stage,
            out: Out::Message(m),
        }
    }
}

/// A worker's transaction numbers, in the order they first appear, and the global numbers
/// they were given (the last [`TXN_WINDOW`]).
#[derive(Debug, Default)]
struct TxnWindow {
    /// The worker's number of `global[0]`.
    base: u64,
    global: VecDeque<u64>,
}

impl TxnWindow {
    /// The global number of the worker's transaction `local`, giving it `next` (and counting
    /// `next` on) when it appears for the first time.
    fn global(&mut self, local: u64, next: &mut u64) -> u64 {
        let mut fresh = || {
            let n = *next;
            *next += 1;
            n
        };
        let Some(at) = local.checked_sub(self.base) else {
            return fresh();
        };
        if let Some(&g) = self.global.get(at as usize) {
            return g;
        }
        while (self.global.len() as u64) < at {
            // Numbers the worker never showed: keep the places.
            self.global.push_back(u64::MAX);
        }
        let g = fresh();
        self.global.push_back(g);
        while self.global.len() > TXN_WINDOW {
            self.global.pop_front();
            self.base += 1;
        }
        g
    }
}

/// The merger's renumbering state.
#[derive(Debug)]
struct Merger {
    /// Per worker: the global number of its connection `i + 1`.
    conns: Vec<Vec<u64>>,
    next_conn: u64,
    txns: Vec<TxnWindow>,
    next_txn: u64,
    counts: Counts,
}

/// How a merge ends.
enum Flow {
    Going,
    Stopped,
}

impl Merger {
    fn new(workers: usize) -> Merger {
        Merger {
            conns: (0..workers).map(|_| Vec::new()).collect(),
            next_conn: 1,
            txns: (0..workers).map(|_| TxnWindow::default()).collect(),
            next_txn: 0,
            counts: Counts::default(),
        }
    }

    fn global_conn(&self, worker: usize, conn: u64) -> u64 {
        match conn.checked_sub(1) {
            None => 0,
            Some(i) => self
                .conns
                .get(worker)
                .and_then(|c| c.get(i as usize))
                .copied()
                .unwrap_or(0),
        }
    }

    /// Where an output goes in the one-thread order.
    fn key(&self, worker: usize, t: &Tagged) -> (u64, u8, u64) {
        match t.stage {
            Stage::Sweep { frame, conn } => (frame, 0, self.global_conn(worker, conn)),
            Stage::Frame(frame) => (frame, 1, 0),
            Stage::Finish { conn } => (u64::MAX, 0, self.global_conn(worker, conn)),
        }
    }

    /// Merges one batch's outputs (each in order) and hands the messages on.
    fn merge<S: Sink>(&mut self, sink: &mut S, outs: &mut [Vec<Tagged>]) -> Result<Flow, S::Error> {
        let mut heads: Vec<Peekable<std::vec::Drain<'_, Tagged>>> =
            outs.iter_mut().map(|o| o.drain(..).peekable()).collect();
        loop {
            let mut best: Option<((u64, u8, u64), usize)> = None;
            for (w, head) in heads.iter_mut().enumerate() {
                if let Some(t) = head.peek() {
                    let key = self.key(w, t);
                    if best.is_none_or(|(b, _)| key < b) {
                        best = Some((key, w));
                    }
                }
            }
            let Some((_, w)) = best else {
                return Ok(Flow::Going);
            };
            // Run on with this worker while it stays first (a one-worker stretch is common).
            let bound = heads
                .iter_mut()
                .enumerate()
                .filter(|(o, _)| *o != w)
                .filter_map(|(o, h)| h.peek().map(|t| (o, t)))
                .map(|(o, t)| self.key(o, t))
                .min();
            while let Some(t) = heads[w].next_if(|t| bound.is_none_or(|b| self.key(w, t) < b)) {
                match t.out {
                    Out::Began => {
                        if let Some(c) = self.conns.get_mut(w) {
                            c.push(self.next_conn);
                        }
                        self.next_conn += 1;
                    }
                    Out::Message(mut m) => {
                        if m.origin.conn != 0 {
                            m.origin.conn = self.global_conn(w, m.origin.conn);
                        }
                        if let (Some(local), Some(txns)) = (m.txn, self.txns.get_mut(w)) {
                            m.txn = Some(txns.global(local, &mut self.next_txn));
                        }
                        if !sink.message(m)? {
                            return Ok(Flow::Stopped);
                        }
                    }
                }
            }
        }
    }

    /// The merge loop, until the input ends, the sink stops or something fails.
    fn run<S: Sink>(
        mut self,
        sink: &mut S,
        meta: Receiver<Meta>,
        workers: Vec<Receiver<FromWorker>>,
        pools: &Pools,
    ) -> Result<PassStats, S::Error> {
        let stopped = |sink: &mut S, counts: Counts| {
            let stats = PassStats {
                frames: counts.frames,
                frame_bytes: counts.frame_bytes,
                skipped_frames: counts.skipped_frames,
                truncated_file: counts.truncated,
                ..PassStats::default()
            };
            sink.finish(&stats).map(|()| stats)
        };
        loop {
            let Ok(next) = meta.recv() else {
                // The reader is gone without a word: only a panic does that; the scope
                // re-raises it.
                return Ok(PassStats::default());
            };
            match next {
                Meta::Batch { progress, counts } => {
                    self.counts = counts;
                    if let Some(p) = progress {
                        if !sink.progress(p)? {
                            return stopped(sink, self.counts);
                        }
                    }
                    let mut outs = Vec::with_capacity(workers.len());
                    for rx in &workers {
                        match rx.recv() {
                            Ok(FromWorker::Batch(out)) => outs.push(out),
                            _ => return Ok(PassStats::default()),
                        }
                    }
                    let flow = self.merge(sink, &mut outs)?;
                    for out in outs {
                        pools.outs.give(out);
                    }
                    if let Flow::Stopped = flow {
                        return stopped(sink, self.counts);
                    }
                }
                Meta::End { counts, error } => {
                    if let Some(e) = error {
                        return Err(e.into());
                    }
                    let mut outs = Vec::with_capacity(workers.len());
                    let mut stats = PassStats {
                        frames: counts.frames,
                        frame_bytes: counts.frame_bytes,
                        skipped_frames: counts.skipped_frames,
                        truncated_file: counts.truncated,
                        ..PassStats::default()
                    };
                    for rx in &workers {
                        match rx.recv() {
                            Ok(FromWorker::Finished(out, counters)) => {
                                outs.push(out);
                                add_reassembly(&mut stats.reassembly, &counters.0);
                                add_dissect(&mut stats.dissect, &counters.1);
                            }
                            _ => return Ok(PassStats::default()),
                        }
                    }
                    // After a stop in the last batch the rest is dropped, as with one thread.
                    let _ = self.merge(sink, &mut outs)?;
                    sink.finish(&stats)?;
                    return Ok(stats);
                }
            }
        }
    }
}

/// Adds a worker's reassembly counters to the pass's.
fn add_reassembly(to: &mut ReassemblyStats, s: &ReassemblyStats) {
    let ReassemblyStats {
        segments,
        datagrams,
        delivered_bytes,
        out_of_order,
        retransmitted_bytes,
        gap_bytes,
        dropped_for_memory,
        acked_unseen_gaps,
        acked_unseen_bytes,
        cap_gaps,
        cap_gap_bytes,
        connections,
        closed,
        timed_out,
    } = *s;
    to.segments += segments;
    to.datagrams += datagrams;
    to.delivered_bytes += delivered_bytes;
    to.out_of_order += out_of_order;
    to.retransmitted_bytes += retransmitted_bytes;
    to.gap_bytes += gap_bytes;
    to.dropped_for_memory += dropped_for_memory;
    to.acked_unseen_gaps += acked_unseen_gaps;
    to.acked_unseen_bytes += acked_unseen_bytes;
    to.cap_gaps += cap_gaps;
    to.cap_gap_bytes += cap_gap_bytes;
    to.connections += connections;
    to.closed += closed;
    to.timed_out += timed_out;
}

/// Adds a worker's dissector counters to the pass's.
fn add_dissect(to: &mut DissectStats, s: &DissectStats) {
    let DissectStats {
        messages,
        requests,
        responses,
        paired,
        unpaired_responses,
        unpaired_requests,
        malformed,
        gaps,
        skipped_bytes,
        gaps_in_values,
        udp_multi_datagram_answers,
        udp_unfinished_answers,
        bytes_to_server,
        bytes_to_client,
    } = *s;
    to.messages += messages;
    to.requests += requests;
    to.responses += responses;
    to.paired += paired;
    to.unpaired_responses += unpaired_responses;
    to.unpaired_requests += unpaired_requests;
    to.malformed += malformed;
    to.gaps += gaps;
    to.skipped_bytes += skipped_bytes;
    to.gaps_in_values += gaps_in_values;
    to.udp_multi_datagram_answers += udp_multi_datagram_answers;
    to.udp_unfinished_answers += udp_unfinished_answers;
    to.bytes_to_server += bytes_to_server;
    to.bytes_to_client += bytes_to_client;
}
