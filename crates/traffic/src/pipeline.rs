//! The pass itself: frames → link decode → reassembly → dissector → messages, or (the proxy
//! tap) per-connection stream events → dissector → messages.
//!
//! [`Pass`] holds the state and knows nothing of where frames come from or whether the
//! consumer wants more; [`crate::source`] drives it from a [`Source`] into a
//! [`Sink`](source::Sink), with the stop semantics written down there.

use std::path::Path;

use crate::capture::reassembly::ReassemblyStats;
use bytes::Bytes;

use crate::capture::{
    decode, Frame, LiveStats, Reassembler, ReassemblyConfig, Segment, SharedFrame, StreamEvent,
};
use crate::dissect::{DissectStats, Dissector, Message};
use crate::hash::{SeededSet, SocketPairKey};
use crate::source::{self, Source, SourceError};
use memshark_protocol::limits::LINE_MAX_LEN;

/// What a pass over a capture saw, besides the messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassStats {
    /// Frames read.
    pub frames: u64,
    /// Bytes of frame data read.
    pub frame_bytes: u64,
    /// Frames that were not TCP/UDP over IP, or could not be decoded.
    pub skipped_frames: u64,
    /// A file ended inside a record.
    pub truncated_file: bool,
    /// A live capture's kernel counters when it ended.
    pub kernel: Option<LiveStats>,
    /// Reassembly counters.
    pub reassembly: ReassemblyStats,
    /// Dissector counters.
    pub dissect: DissectStats,
}

/// Which decoded frames go on to reassembly: those on the memcached ports, and those of flows
/// off them that opened with a binary header or a whole text command line (remembered per
/// flow, so that their later segments follow; the memory is bounded by clearing it past
/// 100 000 flows).
#[derive(Debug)]
pub(crate) struct Admission {
    ports: Vec<u16>,
    memcached_flows: SeededSet<SocketPairKey>,
}

/// What [`Admission::admit`] decided for a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Not memcached: skip the frame.
    Skip,
    /// On to reassembly.
    Take,
    /// On to reassembly, a new flow off the memcached ports whose server is this end.
    TakeWithServer(std::net::SocketAddr),
}

impl Admission {
    pub(crate) fn new(ports: &[u16]) -> Admission {
        Admission {
            ports: ports.to_vec(),
            memcached_flows: SeededSet::default(),
        }
    }

    /// Whether `seg` goes on to reassembly.
    #[inline]
    pub(crate) fn admit(&mut self, seg: &Segment<'_>) -> Verdict {
        if self.ports.contains(&seg.src.port()) || self.ports.contains(&seg.dst.port()) {
            return Verdict::Take;
        }
        let flow = if seg.src <= seg.dst {
            SocketPairKey(seg.src, seg.dst)
        } else {
            SocketPairKey(seg.dst, seg.src)
        };
        if self.memcached_flows.contains(&flow) {
            return Verdict::Take;
        }
        let opens_binary = seg.payload.len() >= 24
            && memshark_protocol::binary::plausible_header(
                seg.payload,
                memshark_protocol::binary::DEFAULT_MAX_BODY_LEN,
            );
        let opens_text = !opens_binary
            && memchr::memchr(b'\n', seg.payload).is_some_and(|i| i < LINE_MAX_LEN)
            && memshark_protocol::ascii::looks_like_ascii_command(seg.payload);
        if !opens_binary && !opens_text {
            return Verdict::Skip;
        }
        if self.memcached_flows.len() > 100_000 {
            self.memcached_flows.clear();
        }
        self.memcached_flows.insert(flow);
        // A response magic comes from the server; a request or a command goes to it.
        let server = if opens_text || seg.payload.first() != Some(&0x81) {
            seg.dst
        } else {
            seg.src
        };
        Verdict::TakeWithServer(server)
    }
}

/// Reassembly and dissection state for one pass over frames (or stream events) from any
/// source. Messages go to the closure each call is given; stopping is the caller's business
/// (see [`crate::source::Driver`]).
#[derive(Debug)]
pub struct Pass {
    admission: Admission,
    reassembler: Reassembler,
    dissector: Dissector,
    stats: PassStats,
}

impl Pass {
    /// A pass that treats `ports` as memcached's.
    pub fn new(ports: &[u16]) -> Pass {
        Pass {
            admission: Admission::new(ports),
            reassembler: Reassembler::new(ReassemblyConfig {
                ports: ports.to_vec(),
                ..ReassemblyConfig::default()
            }),
            dissector: Dissector::new(),
            stats: PassStats::default(),
        }
    }

    /// Feeds one frame; messages go to `sink`.
    pub fn feed(&mut self, frame: &Frame<'_>, sink: &mut impl FnMut(Message)) {
        self.feed_inner(frame, None, sink);
    }

    /// Feeds one frame whose bytes are shared: payloads go on as slices of it, not copies.
    pub fn feed_shared(&mut self, frame: &SharedFrame, sink: &mut impl FnMut(Message)) {
        self.feed_inner(&frame.as_frame(), Some(&frame.data), sink);
    }

    fn feed_inner(
        &mut self,
        frame: &Frame<'_>,
        shared: Option<&Bytes>,
        sink: &mut impl FnMut(Message),
    ) {
        self.stats.frames += 1;
        self.stats.frame_bytes += frame.data.len() as u64;
        let Ok(seg) = decode(frame.linktype, frame.data, frame.orig_len) else {
            self.stats.skipped_frames += 1;
            return;
        };
        match self.admission.admit(&seg) {
            Verdict::Skip => {
                self.stats.skipped_frames += 1;
                return;
            }
            Verdict::Take => {}
            Verdict::TakeWithServer(server) => {
                self.reassembler.hint_server(seg.src, seg.dst, server)
            }
        }
        let dissector = &mut self.dissector;
        let mut to_dissector = |ev| dissector.push(ev, &mut |m| sink(m));
        match shared {
            Some(bytes) => {
                self.reassembler
                    .push_shared(frame.number, frame.ts, &seg, bytes, &mut to_dissector)
            }
            None => self
                .reassembler
                .push(frame.number, frame.ts, &seg, &mut to_dissector),
        }
    }

    /// Feeds one event of a stream that is already split per connection and direction (the
    /// proxy tap): it goes to the dissector without reassembly.
    pub fn feed_stream(&mut self, ev: StreamEvent, sink: &mut impl FnMut(Message)) {
        self.dissector.push(ev, sink);
    }

    /// Ends every stream (end of input) and returns the counters.
    pub fn finish(mut self, sink: &mut impl FnMut(Message)) -> PassStats {
        let dissector = &mut self.dissector;
        self.reassembler
            .finish(&mut |ev| dissector.push(ev, &mut |m| sink(m)));
        self.dissector.finish();
        self.stats.reassembly = self.reassembler.stats();
        self.stats.dissect = self.dissector.stats();
        self.stats
    }
}

/// Reads a capture file and hands every memcached message to `sink`, in capture order, until
/// `sink` returns `false`; `progress` gets the bytes read so far every 65 536 frames.
///
/// A convenience over [`source::run`] with [`Source::File`], for tests and examples.
pub fn dissect_file(
    path: &Path,
    ports: &[u16],
    progress: &mut dyn FnMut(u64),
    sink: &mut dyn FnMut(Message) -> bool,
) -> Result<PassStats, SourceError> {
    struct Closures<'a> {
        progress: &'a mut dyn FnMut(u64),
        sink: &'a mut dyn FnMut(Message) -> bool,
    }
    impl source::Sink for Closures<'_> {
        type Error = SourceError;
        fn message(&mut self, message: Message) -> Result<bool, SourceError> {
            Ok((self.sink)(message))
        }
        fn progress(&mut self, progress: source::Progress) -> Result<bool, SourceError> {
            (self.progress)(progress.read);
            Ok(true)
        }
    }
    source::run(Source::file(path), ports, Closures { progress, sink })
}
