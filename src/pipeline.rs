//! The one path every capture takes: frames → link decode → reassembly → dissector → messages.

use std::path::Path;

use crate::capture::reassembly::ReassemblyStats;
use crate::capture::{decode, CaptureReader, ReadError, Reassembler, ReassemblyConfig};
use crate::dissect::{DissectStats, Dissector, Message};

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

/// Reads a capture file and hands every memcached message to `sink`, in capture order.
/// `sink` returns `false` to stop early (a closed pipe).
pub fn dissect_file(
    path: &Path,
    ports: &[u16],
    progress: &mut dyn FnMut(u64),
    sink: &mut dyn FnMut(Message) -> bool,
) -> Result<PassStats, ReadError> {
    let mut reader = CaptureReader::open(path)?;
    let mut reassembler = Reassembler::new(ReassemblyConfig {
        ports: ports.to_vec(),
        ..ReassemblyConfig::default()
    });
    let mut dissector = Dissector::new();
    let mut skipped = 0;
    let mut binary_flows = std::collections::HashSet::new();
    let mut going = true;
    let mut bytes = 0u64;
    let read = reader.for_each_frame(|frame| {
        bytes += frame.data.len() as u64 + 16;
        if frame.number % 65_536 == 0 {
            progress(bytes);
        }
        match decode(frame.linktype, frame.data, frame.orig_len) {
            Ok(seg) => {
                let port_match = ports.contains(&seg.src.port()) || ports.contains(&seg.dst.port());
                // Off the memcached ports, only streams whose first bytes are a binary header
                // count (remembered per flow, so their later segments follow).
                let flow = if seg.src <= seg.dst {
                    (seg.src, seg.dst)
                } else {
                    (seg.dst, seg.src)
                };
                let plausible = port_match
                    || binary_flows.contains(&flow)
                    || (crate::protocol::binary::plausible_header(seg.payload, 64 << 20)
                        && seg.payload.len() >= 24
                        && binary_flows.insert(flow));
                if !plausible {
                    skipped += 1;
                    return true;
                }
                reassembler.push(frame.number, frame.ts, &seg, &mut |ev| {
                    if going {
                        dissector.push(ev, &mut |m| going = sink(m));
                    }
                });
            }
            Err(_) => skipped += 1,
        }
        going
    })?;
    reassembler.finish(&mut |ev| {
        if going {
            dissector.push(ev, &mut |m| going = sink(m));
        }
    });
    dissector.finish();
    Ok(PassStats {
        frames: read.frames,
        frame_bytes: read.bytes,
        skipped_frames: skipped,
        truncated_file: read.truncated,
        reassembly: reassembler.stats(),
        dissect: dissector.stats(),
    })
}
