//! The one path every capture takes: frames → link decode → reassembly → dissector → messages.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;

use crate::capture::reassembly::ReassemblyStats;
use crate::capture::{decode, CaptureReader, Frame, ReadError, Reassembler, ReassemblyConfig};
use crate::dissect::{DissectStats, Dissector, Message};
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
    /// The file ended inside a record.
    pub truncated_file: bool,
    /// Reassembly counters.
    pub reassembly: ReassemblyStats,
    /// Dissector counters.
    pub dissect: DissectStats,
}

/// Reassembly and dissection state for one pass over frames from any source.
#[derive(Debug)]
pub struct Pass {
    ports: Vec<u16>,
    reassembler: Reassembler,
    dissector: Dissector,
    /// Flows off the memcached ports that opened with a binary header (bounded by the
    /// reassembler's own flow table in practice; cleared when it grows past 100 000).
    memcached_flows: HashSet<(SocketAddr, SocketAddr)>,
    stats: PassStats,
}

impl Pass {
    /// A pass that treats `ports` as memcached's.
    pub fn new(ports: &[u16]) -> Pass {
        Pass {
            ports: ports.to_vec(),
            reassembler: Reassembler::new(ReassemblyConfig {
                ports: ports.to_vec(),
                ..ReassemblyConfig::default()
            }),
            dissector: Dissector::new(),
            memcached_flows: HashSet::new(),
            stats: PassStats::default(),
        }
    }

    /// Feeds one frame; messages go to `sink`.
    pub fn feed(&mut self, frame: &Frame<'_>, sink: &mut dyn FnMut(Message)) {
        self.stats.frames += 1;
        self.stats.frame_bytes += frame.data.len() as u64;
        let Ok(seg) = decode(frame.linktype, frame.data, frame.orig_len) else {
            self.stats.skipped_frames += 1;
            return;
        };
        let port_match =
            self.ports.contains(&seg.src.port()) || self.ports.contains(&seg.dst.port());
        if !port_match {
            // Off the memcached ports, only streams that open with a binary header or a whole
            // text command line count (remembered per flow, so their later segments follow).
            let flow = if seg.src <= seg.dst {
                (seg.src, seg.dst)
            } else {
                (seg.dst, seg.src)
            };
            if !self.memcached_flows.contains(&flow) {
                let opens_binary = seg.payload.len() >= 24
                    && memshark_protocol::binary::plausible_header(seg.payload, 64 << 20);
                let opens_text = !opens_binary
                    && memchr::memchr(b'\n', seg.payload).is_some_and(|i| i < LINE_MAX_LEN)
                    && memshark_protocol::ascii::looks_like_ascii_command(seg.payload);
                if !opens_binary && !opens_text {
                    self.stats.skipped_frames += 1;
                    return;
                }
                if self.memcached_flows.len() > 100_000 {
                    self.memcached_flows.clear();
                }
                self.memcached_flows.insert(flow);
                // A response magic comes from the server; a request or a command goes to it.
                let server = if opens_text || seg.payload[0] != 0x81 {
                    seg.dst
                } else {
                    seg.src
                };
                self.reassembler.hint_server(seg.src, seg.dst, server);
            }
        }
        let dissector = &mut self.dissector;
        self.reassembler
            .push(frame.number, frame.ts, &seg, &mut |ev| {
                dissector.push(ev, &mut |m| sink(m))
            });
    }

    /// Ends every stream (end of input) and returns the counters.
    pub fn finish(mut self, sink: &mut dyn FnMut(Message)) -> PassStats {
        let dissector = &mut self.dissector;
        self.reassembler
            .finish(&mut |ev| dissector.push(ev, &mut |m| sink(m)));
        self.dissector.finish();
        self.stats.reassembly = self.reassembler.stats();
        self.stats.dissect = self.dissector.stats();
        self.stats
    }
}

/// Reads a capture file and hands every memcached message to `sink`, in capture order.
/// `sink` returns `false` to stop early (a closed pipe).
pub fn dissect_file(
    path: &Path,
    ports: &[u16],
    progress: &mut dyn FnMut(u64),
    sink: &mut dyn FnMut(Message) -> bool,
) -> Result<PassStats, ReadError> {
    let mut reader = CaptureReader::open(path)?;
    let mut pass = Pass::new(ports);
    let mut going = true;
    let mut bytes = 0u64;
    let read = reader.for_each_frame(|frame| {
        bytes += frame.data.len() as u64 + 16;
        if frame.number % 65_536 == 0 {
            progress(bytes);
        }
        pass.feed(&frame, &mut |m| {
            if going {
                going = sink(m);
            }
        });
        going
    })?;
    let mut stats = pass.finish(&mut |m| {
        if going {
            going = sink(m);
        }
    });
    stats.truncated_file = read.truncated;
    Ok(stats)
}
