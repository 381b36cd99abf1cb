//! One direction of a TCP connection: the next byte to deliver, the bytes waiting behind a
//! hole, and the rules that turn a hole into a gap.
//!
//! A hole becomes a gap (and what follows it is delivered, never thrown away) when:
//!
//! * the other direction acknowledges bytes past it ([`Half::acked`]): the peer received what
//!   the capture did not see (Wireshark's "ACKed unseen segment"), so nothing will fill it;
//! * the out-of-order buffer reaches a memory cap ([`Half::make_room`]);
//! * the connection ends ([`Half::skip_to_pending`] until nothing waits).

use std::collections::BTreeMap;

use bytes::Bytes;

use super::{ReassemblyStats, StreamEventKind};
use crate::capture::Timestamp;

/// Where events of one direction go: (frame, time, what).
pub(super) type Emit<'a> = dyn FnMut(u64, Timestamp, StreamEventKind) + 'a;

/// A chunk waiting behind a hole: its bytes, the bytes the snap length cut off after them,
/// and the frame and time of the segment that carried it.
#[derive(Debug)]
pub(super) struct Waiting {
    /// The bytes.
    pub(super) data: Bytes,
    /// Bytes the snap length cut off after them.
    pub(super) missing: u64,
    /// The frame that carried them.
    pub(super) frame: u64,
    /// Its time.
    pub(super) ts: Timestamp,
}

/// Reassembly state of one direction.
#[derive(Debug, Default)]
pub(super) struct Half {
    /// Stream offset of the next byte to deliver; `None` until the first segment.
    pub(super) next: Option<u64>,
    /// The sequence number at stream offset 0.
    pub(super) base: u32,
    /// Bytes waiting behind a hole, by stream offset.
    pending: BTreeMap<u64, Waiting>,
    /// Bytes in `pending`.
    pub(super) buffered: usize,
    /// FIN or RST seen in this direction.
    pub(super) fin: bool,
    /// Stream offset just past the last byte, once FIN was seen (the FIN's own sequence
    /// number, which the peer acknowledges too).
    pub(super) fin_at: Option<u64>,
}

impl Half {
    /// The stream offset of `seq`, taking the one nearest `next` (sequence numbers wrap).
    pub(super) fn offset(&self, seq: u32) -> i64 {
        let next = self.next.unwrap_or(0);
        let next_seq = self.base.wrapping_add(next as u32);
        next as i64 + i64::from(seq.wrapping_sub(next_seq) as i32)
    }

    /// Whether bytes wait behind a hole.
    pub(super) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Keeps a chunk that starts past `next` until the hole before it fills (a chunk already
    /// waiting at the same offset wins: it is counted as retransmitted).
    pub(super) fn hold(
        &mut self,
        at: u64,
        chunk: Waiting,
        total: &mut usize,
        stats: &mut ReassemblyStats,
    ) {
        if self.pending.contains_key(&at) {
            stats.retransmitted_bytes += chunk.data.len() as u64;
            return;
        }
        self.buffered += chunk.data.len();
        *total += chunk.data.len();
        self.pending.insert(at, chunk);
    }

    /// Delivers `data` (and reports `missing` bytes after it) at `next`.
    pub(super) fn deliver(
        &mut self,
        data: Bytes,
        missing: u64,
        frame: u64,
        ts: Timestamp,
        stats: &mut ReassemblyStats,
        emit: &mut Emit<'_>,
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
        self.next = Some(self.next.unwrap_or(0) + len + missing);
    }

    /// Delivers every waiting chunk that now starts at or before `next`.
    pub(super) fn drain(
        &mut self,
        total: &mut usize,
        stats: &mut ReassemblyStats,
        emit: &mut Emit<'_>,
    ) {
        while let Some(entry) = self.pending.first_entry() {
            let at = *entry.key();
            let next = self.next.unwrap_or(0);
            if at > next {
                break;
            }
            let w = entry.remove();
            self.buffered -= w.data.len();
            *total -= w.data.len();
            let end = at + w.data.len() as u64 + w.missing;
            if end <= next {
                stats.retransmitted_bytes += w.data.len() as u64;
                continue;
            }
            let skip = (next - at) as usize;
            stats.retransmitted_bytes += skip.min(w.data.len()) as u64;
            let rest = if skip < w.data.len() {
                w.data.slice(skip..)
            } else {
                Bytes::new()
            };
            let missing = end - next - rest.len() as u64;
            self.deliver(rest, missing, w.frame, w.ts, stats, emit);
        }
    }

    /// Declares the bytes from `next` up to `to` missing (a gap), if any.
    fn gap_to(
        &mut self,
        to: u64,
        frame: u64,
        ts: Timestamp,
        stats: &mut ReassemblyStats,
        emit: &mut Emit<'_>,
    ) -> u64 {
        let next = self.next.unwrap_or(0);
        if to <= next {
            return 0;
        }
        let n = to - next;
        stats.gap_bytes += n;
        emit(frame, ts, StreamEventKind::Gap(n));
        self.next = Some(to);
        n
    }

    /// Declares the hole before the first waiting chunk a gap, then delivers what follows it.
    pub(super) fn skip_to_pending(
        &mut self,
        frame: u64,
        ts: Timestamp,
        total: &mut usize,
        stats: &mut ReassemblyStats,
        emit: &mut Emit<'_>,
    ) {
        if let Some((&at, _)) = self.pending.first_key_value() {
            self.gap_to(at, frame, ts, stats, emit);
        }
        self.drain(total, stats, emit);
    }

    /// The other direction acknowledged every byte before stream offset `acked`: whatever
    /// of that is still missing was lost by the capture, not the network. Declares each such
    /// hole a gap at once and delivers what waited behind it.
    pub(super) fn acked(
        &mut self,
        acked: u64,
        frame: u64,
        ts: Timestamp,
        total: &mut usize,
        stats: &mut ReassemblyStats,
        emit: &mut Emit<'_>,
    ) {
        // The FIN takes a sequence number of its own, which the peer acknowledges too; one
        // byte acknowledged past the end, with nothing waiting, is a FIN the capture lost.
        let acked = self.fin_at.map_or(acked, |f| acked.min(f));
        if !self.has_pending() && Some(acked) == self.next.map(|n| n + 1) {
            return;
        }
        loop {
            self.drain(total, stats, emit);
            let next = self.next.unwrap_or(0);
            if next >= acked {
                return;
            }
            let to = self
                .pending
                .first_key_value()
                .map_or(acked, |(&at, _)| at.min(acked));
            let n = self.gap_to(to, frame, ts, stats, emit);
            if n > 0 {
                stats.acked_unseen_gaps += 1;
                stats.acked_unseen_bytes += n;
            }
        }
    }

    /// Declares holes, oldest first, until `len` more bytes fit under both caps (or nothing
    /// waits any more). Returns whether a hole was declared.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn make_room(
        &mut self,
        len: usize,
        per_direction: usize,
        all: usize,
        frame: u64,
        ts: Timestamp,
        total: &mut usize,
        stats: &mut ReassemblyStats,
        emit: &mut Emit<'_>,
    ) -> bool {
        let mut declared = false;
        while (self.buffered + len > per_direction || *total + len > all) && self.has_pending() {
            let before = stats.gap_bytes;
            self.skip_to_pending(frame, ts, total, stats, emit);
            stats.cap_gap_bytes += stats.gap_bytes - before;
            stats.cap_gaps += 1;
            declared = true;
        }
        declared
    }

    /// Declares the hole before `at` a gap (the caps leave no room to wait for it), counted
    /// as a hole declared at the caps.
    pub(super) fn give_up_hole_before(
        &mut self,
        at: u64,
        frame: u64,
        ts: Timestamp,
        stats: &mut ReassemblyStats,
        emit: &mut Emit<'_>,
    ) {
        let n = self.gap_to(at, frame, ts, stats, emit);
        if n > 0 {
            stats.cap_gaps += 1;
            stats.cap_gap_bytes += n;
        }
    }
}
