//! Exporting the original frames that carried chosen messages to a new capture (tshark's
//! `-Y FILTER -w OUT`): frames are copied as captured, with their times and link type, so the
//! new file opens in Wireshark and in `memshark view`.
//!
//! A [`FrameSelection`] names, per direction of a connection (sender and receiver), the frame
//! ranges its chosen messages came in ([`Message::frames`](crate::dissect::Message::frames)).
//! [`export`] reads the capture again and keeps each frame whose sender, receiver and number
//! fall in one of them, plus the handshake and closing segments (SYN, FIN, RST without
//! payload) of the connections chosen. A frame holds whole segments: when a message shares a
//! frame with its neighbours, their bytes come along, as in any export of frames.
//!
//! ```no_run
//! use memshark_traffic::capture::export::{export, FrameSelection};
//! use memshark_traffic::dissect::Message;
//!
//! # fn chosen() -> Vec<Message> { Vec::new() }
//! let mut sel = FrameSelection::default();
//! for m in chosen() {
//!     sel.add(m.origin.src(), m.origin.dst(), m.frames());
//! }
//! let stats = export("in.pcap".as_ref(), &mut sel, "out.pcapng".as_ref())?;
//! println!("{} frames written", stats.written);
//! # Ok::<(), memshark_traffic::capture::export::ExportError>(())
//! ```

use std::io::{self, BufWriter};
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::Path;

use super::link::{decode, Transport};
use super::reader::{CaptureReader, ReadError};
use super::writer::{CaptureWriter, Format};
use crate::hash::{SeededMap, SeededSet, SocketPairKey};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The capture could not be read.
    #[error("reading the capture: {0}")]
    Read(#[from] ReadError),
    /// The new file could not be written.
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// What went wrong.
        source: io::Error,
    },
}

/// What an export did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportStats {
    /// Frames read.
    pub read: u64,
    /// Frames written.
    pub written: u64,
    /// Frames chosen but of another link type than the first one written (a pcapng of
    /// several interfaces), left out.
    pub other_link: u64,
}

/// The frames to export: per direction of a connection, sorted and merged frame ranges.
#[derive(Debug, Default, Clone)]
pub struct FrameSelection {
    /// (sender, receiver) → frame ranges (merged by [`FrameSelection::finish`]).
    ranges: SeededMap<SocketPairKey, Vec<(u64, u64)>>,
    /// Connections (client-side and server-side ends, both orders) whose SYN/FIN/RST go too.
    conns: SeededSet<SocketPairKey>,
    merged: bool,
}

impl FrameSelection {
    /// Chooses frames `frames` of the direction `src` → `dst`.
    pub fn add(&mut self, src: SocketAddr, dst: SocketAddr, frames: RangeInclusive<u64>) {
        let (a, b) = (*frames.start(), *frames.end());
        if a == 0 {
            // Not from a capture (the proxy's tap): no frames.
            return;
        }
        self.ranges
            .entry(SocketPairKey(src, dst))
            .or_default()
            .push((a, b.max(a)));
        self.conns.insert(SocketPairKey(src, dst));
        self.conns.insert(SocketPairKey(dst, src));
        self.merged = false;
    }

    /// Whether nothing is chosen.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Sorts and merges the ranges (done by [`export`]; needed before [`FrameSelection::has`]).
    pub fn finish(&mut self) {
        for v in self.ranges.values_mut() {
            v.sort_unstable();
            let mut out: Vec<(u64, u64)> = Vec::with_capacity(v.len());
            for &(a, b) in v.iter() {
                match out.last_mut() {
                    Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                    _ => out.push((a, b)),
                }
            }
            *v = out;
        }
        self.merged = true;
    }

    /// Whether frame `number` sent by `src` to `dst` is chosen (after
    /// [`FrameSelection::finish`]).
    pub fn has(&self, src: SocketAddr, dst: SocketAddr, number: u64) -> bool {
        let Some(v) = self.ranges.get(&SocketPairKey(src, dst)) else {
            return false;
        };
        let i = v.partition_point(|&(_, b)| b < number);
        v.get(i).is_some_and(|&(a, _)| a <= number)
    }

    /// Whether `src` → `dst` is a direction of a chosen connection.
    pub fn has_conn(&self, src: SocketAddr, dst: SocketAddr) -> bool {
        self.conns.contains(&SocketPairKey(src, dst))
    }
}

/// Copies the chosen frames of `input` to a new capture `output` (pcapng for `.pcapng`,
/// pcap otherwise; created readable by its owner only), with their original times (written
/// in nanoseconds, so that none is rounded) and link type.
pub fn export(
    input: &Path,
    sel: &mut FrameSelection,
    output: &Path,
) -> Result<ExportStats, ExportError> {
    if !sel.merged {
        sel.finish();
    }
    let write_err = |source: io::Error| ExportError::Write {
        path: output.display().to_string(),
        source,
    };
    let mut reader = CaptureReader::open(input)?;
    let mut stats = ExportStats::default();
    let mut writer: Option<(u16, CaptureWriter<BufWriter<std::fs::File>>)> = None;
    let mut failed: Option<io::Error> = None;
    let format = Format::from_path(output);
    let open = |linktype: u16| -> io::Result<CaptureWriter<BufWriter<std::fs::File>>> {
        let file = BufWriter::with_capacity(256 * 1024, super::create_private(output)?);
        CaptureWriter::with_resolution(file, format, linktype, true)
    };
    reader.for_each_frame(|f| {
        stats.read += 1;
        let Ok(seg) = decode(f.linktype, f.data, f.orig_len) else {
            return true;
        };
        let chosen = sel.has(seg.src, seg.dst, f.number)
            || match seg.transport {
                Transport::Tcp(t) => {
                    (t.syn || t.fin || t.rst)
                        && seg.payload.is_empty()
                        && sel.has_conn(seg.src, seg.dst)
                }
                Transport::Udp => false,
            };
        if !chosen {
            return true;
        }
        if writer.is_none() {
            match open(f.linktype) {
                Ok(w) => writer = Some((f.linktype, w)),
                Err(e) => {
                    failed = Some(e);
                    return false;
                }
            }
        }
        if let Some((linktype, w)) = writer.as_mut() {
            if *linktype != f.linktype {
                stats.other_link += 1;
                return true;
            }
            if let Err(e) = w.write_frame(f.ts, f.data, f.orig_len) {
                failed = Some(e);
                return false;
            }
            stats.written += 1;
        }
        true
    })?;
    if let Some(e) = failed {
        return Err(write_err(e));
    }
    match writer {
        Some((_, mut w)) => w.flush().map_err(write_err)?,
        // Nothing chosen: an empty capture all the same.
        None => open(1).and_then(|mut w| w.flush()).map_err(write_err)?,
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_and_answer_per_direction() {
        let a: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:11211".parse().unwrap();
        let mut s = FrameSelection::default();
        s.add(a, b, 5..=7);
        s.add(a, b, 8..=8);
        s.add(a, b, 20..=22);
        s.add(b, a, 9..=9);
        s.add(a, b, 0..=0);
        s.finish();
        assert_eq!(s.ranges[&SocketPairKey(a, b)], [(5, 8), (20, 22)]);
        for (n, want) in [
            (4, false),
            (5, true),
            (8, true),
            (9, false),
            (21, true),
            (23, false),
        ] {
            assert_eq!(s.has(a, b, n), want, "{n}");
        }
        assert!(s.has(b, a, 9) && !s.has(b, a, 8));
        assert!(s.has_conn(b, a) && s.has_conn(a, b));
        assert!(!s.has_conn(a, "10.0.0.3:1".parse().unwrap()));
    }

    #[test]
    fn nanosecond_times_survive_in_pcap_and_pcapng() {
        use super::super::Timestamp;
        let ts = Timestamp::from_nanos(1_700_000_000_123_456_789);
        for format in [Format::Pcap, Format::PcapNg] {
            for (linktype, nanos) in [(1u16, true), (113, true), (1, false)] {
                let mut w =
                    CaptureWriter::with_resolution(Vec::new(), format, linktype, nanos).unwrap();
                w.write_frame(ts, &[0xab; 60], 60).unwrap();
                w.flush().unwrap();
                let bytes = w.into_inner();
                let mut r = CaptureReader::new(std::io::Cursor::new(bytes)).unwrap();
                let mut seen = Vec::new();
                r.for_each_frame(|f| {
                    seen.push((f.ts, f.linktype, f.data.len()));
                    true
                })
                .unwrap();
                let want = if nanos {
                    ts
                } else {
                    Timestamp::from_nanos(1_700_000_000_123_456_000)
                };
                assert_eq!(
                    seen,
                    [(want, linktype, 60)],
                    "{format:?} {linktype} {nanos}"
                );
            }
        }
    }

    fn messages(path: &Path) -> Vec<crate::dissect::Message> {
        let mut out = Vec::new();
        crate::pipeline::dissect_file(path, &[11211], &mut |_| {}, &mut |m| {
            out.push(m);
            true
        })
        .expect("read");
        out
    }

    /// What a message is, apart from where it sits in a capture.
    fn what(m: &crate::dissect::Message) -> (String, Vec<u8>, Option<u64>) {
        (m.op_name().to_string(), m.raw.to_vec(), m.latency_ns)
    }

    #[test]
    fn exported_frames_read_back_as_the_same_messages() {
        // Binary pairs by opaque: every other transaction keeps its pairs. The text fixture
        // pipelines (one frame answers several requests): a whole connection.
        for (fixture, ext, every) in [
            ("binary", "pcap", 2),
            ("ascii", "pcapng", 1),
            ("any-sll2", "pcap", 1),
        ] {
            let input = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fixtures")
                .join(format!("{fixture}.pcap"));
            let all = messages(&input);
            // One connection's messages (every `every`-th transaction).
            let conn = all[all.len() / 2].origin.conn;
            let chosen: Vec<_> = all
                .iter()
                .filter(|m| m.origin.conn == conn && m.txn.is_some_and(|t| t % every == 0))
                .collect();
            assert!(chosen.len() > 4, "{fixture}");
            let mut sel = FrameSelection::default();
            for m in &chosen {
                sel.add(m.origin.src(), m.origin.dst(), m.frames());
            }
            let dir = std::env::temp_dir().join(format!("memshark-export-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let out = dir.join(format!("{fixture}.{ext}"));
            let stats = export(&input, &mut sel, &out).expect("export");
            assert!(stats.written > 0 && stats.written < stats.read, "{stats:?}");
            let back = messages(&out);
            let back_ok: Vec<_> = back
                .iter()
                .filter(|m| m.problem.is_none())
                .map(what)
                .collect();
            for m in &chosen {
                let w = what(m);
                // Latency is measured again: the same, the request being there too.
                assert!(
                    back_ok.contains(&w),
                    "{fixture}: {w:?} missing from the export"
                );
            }
            let mut times: Vec<_> = back.iter().map(|m| m.origin.ts).collect();
            let orig_times: Vec<_> = chosen.iter().map(|m| m.origin.ts).collect();
            times.sort();
            for t in orig_times {
                assert!(times.binary_search(&t).is_ok(), "original times kept");
            }
            // To the nanosecond: a frame's time read back from the export is its time.
            let mut first = None;
            CaptureReader::open(&out)
                .unwrap()
                .for_each_frame(|f| {
                    first = Some(f.ts);
                    false
                })
                .unwrap();
            assert!(first.is_some());
            let _ = std::fs::remove_file(&out);
        }
    }
}
