//! The dissector on lossy captures, tested the way it fails in production: real captures
//! (binary, text, large values) with frames removed — every Nth, bursts, one direction only.
//!
//! * Property: every message whose bytes are all in the lossy file is decoded, with its op and
//!   key, at the frame that carries its first byte.
//! * Oracle: memshark decodes at least as many messages as tshark does from the same file
//!   (when `tshark` is installed; CI installs it).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use memshark::capture::StreamEventKind;
use memshark::capture::{decode, CaptureReader, Direction, Reassembler, ReassemblyConfig};
use memshark::dissect::Message;
use memshark::pipeline::dissect_file;
use proptest::prelude::*;

/// The real captures the tshark comparison cuts up (recorded by `fixtures/record.sh`).
const CAPTURES: [&str; 7] = [
    "fixtures/meta.pcap",
    "fixtures/any-sll2.pcap",
    "fixtures/binary.pcap",
    "fixtures/ascii.pcap",
    "fixtures/large.pcap",
    "captures/demo-binary.pcap",
    "captures/demo-ascii.pcap",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A classic little-endian pcap split into its global header and records.
struct Pcap {
    header: Vec<u8>,
    records: Vec<Vec<u8>>,
}

impl Pcap {
    fn read(path: &Path) -> Pcap {
        let bytes = std::fs::read(path).expect("fixture");
        assert_eq!(
            &bytes[..4],
            &0xa1b2_c3d4u32.to_le_bytes(),
            "{}",
            path.display()
        );
        let mut records = Vec::new();
        let mut at = 24;
        while at + 16 <= bytes.len() {
            let incl = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().expect("4")) as usize;
            records.push(bytes[at..at + 16 + incl].to_vec());
            at += 16 + incl;
        }
        Pcap {
            header: bytes[..24].to_vec(),
            records,
        }
    }

    /// The capture without the frames `drop` names (1-based, as frames are numbered), and the
    /// original number of each frame kept.
    fn without(&self, drop: &dyn Fn(u64) -> bool) -> (Vec<u8>, Vec<u64>) {
        let mut out = self.header.clone();
        let mut kept = Vec::new();
        for (i, r) in self.records.iter().enumerate() {
            let n = i as u64 + 1;
            if !drop(n) {
                out.extend_from_slice(r);
                kept.push(n);
            }
        }
        (out, kept)
    }
}

/// One message as the property compares them: client, direction, frame of its first byte
/// (numbered as in the whole capture), op and key.
type Id = (SocketAddr, bool, u64, String, Vec<u8>);

fn id(m: &Message, frame: u64) -> Id {
    (
        m.origin.client,
        m.origin.dir == Direction::ToServer,
        frame,
        m.op_name().to_string(),
        m.key.as_deref().unwrap_or_default().to_vec(),
    )
}

/// One direction of a connection: its client, and whether toward the server.
type Side = (SocketAddr, bool);

/// Bytes of one direction carried by one frame: stream offsets from, to, and the frame.
type Chunk = (u64, u64, u64);

/// Every message of the whole capture, with the frames that carry its bytes.
struct Truth {
    pcap: Pcap,
    messages: Vec<(Id, Vec<u64>)>,
    /// Frame number → direction (to the server?), for frames with payload.
    direction: HashMap<u64, bool>,
}

fn decode_file(bytes: &[u8]) -> Vec<Message> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cut.pcap");
    std::fs::write(&path, bytes).expect("write");
    let mut out = Vec::new();
    dissect_file(&path, &[11211], &mut |_| {}, &mut |m| {
        out.push(m);
        true
    })
    .expect("dissect");
    out
}

impl Truth {
    fn of(path: &Path) -> Truth {
        let pcap = Pcap::read(path);
        let (whole, _) = pcap.without(&|_| false);
        // Which frames carry which bytes of each direction.
        let mut chunks: HashMap<Side, Vec<Chunk>> = HashMap::new();
        let mut ends: HashMap<Side, u64> = HashMap::new();
        let mut direction = HashMap::new();
        let mut reader = CaptureReader::new(std::io::Cursor::new(whole.clone())).expect("capture");
        let mut r = Reassembler::new(ReassemblyConfig::default());
        let mut take = |e: memshark::capture::StreamEvent| {
            let k = (e.origin.client, e.origin.dir == Direction::ToServer);
            let len = match e.kind {
                StreamEventKind::Data(d) => d.len() as u64,
                StreamEventKind::Gap(n) => panic!("the whole capture has a gap of {n}"),
                _ => return,
            };
            let end = ends.entry(k).or_default();
            chunks
                .entry(k)
                .or_default()
                .push((*end, *end + len, e.origin.frame));
            *end += len;
        };
        reader
            .for_each_frame(|f| {
                if let Ok(seg) = decode(f.linktype, f.data, f.orig_len) {
                    if !seg.payload.is_empty() {
                        direction.insert(f.number, seg.dst.port() == 11211);
                    }
                    r.push(f.number, f.ts, &seg, &mut take);
                }
                true
            })
            .expect("read");
        r.finish(&mut take);
        let mut at: HashMap<Side, u64> = HashMap::new();
        let mut messages = Vec::new();
        for m in decode_file(&whole) {
            // Bytes that are no message even in the whole capture (meta.pcap's `bogus`) take
            // their place in the stream but are not asked for.
            let clean = m.problem.is_none();
            let k = (m.origin.client, m.origin.dir == Direction::ToServer);
            let start = at.entry(k).or_default();
            let (from, to) = (*start, *start + m.raw.len() as u64);
            *start = to;
            let frames: Vec<u64> = chunks[&k]
                .iter()
                .filter(|&&(a, b, _)| a < to && from < b)
                .map(|&(_, _, f)| f)
                .collect();
            assert_eq!(frames.first(), Some(&m.origin.frame));
            if clean {
                messages.push((id(&m, m.origin.frame), frames));
            }
        }
        Truth {
            pcap,
            messages,
            direction,
        }
    }

    /// Cuts the frames `drop` names and checks that every message whose frames are all kept
    /// is decoded from what is left. Returns (messages whole, messages decoded).
    fn check(&self, drop: &dyn Fn(u64) -> bool) -> Result<(usize, Vec<Message>), String> {
        let (cut, kept) = self.pcap.without(drop);
        let lossy = decode_file(&cut);
        let mut found: HashMap<Id, usize> = HashMap::new();
        for m in &lossy {
            if m.op.is_some() {
                let frame = kept[m.origin.frame as usize - 1];
                *found.entry(id(m, frame)).or_default() += 1;
            }
        }
        let mut whole = 0;
        for (want, frames) in &self.messages {
            if frames.iter().any(|&f| drop(f)) {
                continue;
            }
            whole += 1;
            match found.get_mut(want) {
                Some(n) if *n > 0 => *n -= 1,
                _ => {
                    return Err(format!(
                        "message {} {} {:?} at frame {} (frames {frames:?}) is whole but was not decoded",
                        if want.1 { "request" } else { "answer" },
                        want.3,
                        String::from_utf8_lossy(&want.4),
                        want.2
                    ))
                }
            }
        }
        Ok((whole, lossy))
    }
}

/// Which frames a case removes.
#[derive(Debug, Clone)]
enum Cut {
    /// Every `n`th frame, starting at `from`.
    EveryNth { n: u64, from: u64 },
    /// `len` frames in a row from `from`, every `period` frames.
    Bursts { from: u64, len: u64, period: u64 },
    /// Every `n`th frame that carries payload in one direction.
    OneDirection { to_server: bool, n: u64 },
}

impl Cut {
    fn drops(&self, truth: &Truth, frame: u64) -> bool {
        match *self {
            Cut::EveryNth { n, from } => frame >= from && (frame - from).is_multiple_of(n),
            Cut::Bursts { from, len, period } => frame >= from && (frame - from) % period < len,
            Cut::OneDirection { to_server, n } => {
                truth.direction.get(&frame) == Some(&to_server) && frame.is_multiple_of(n)
            }
        }
    }
}

fn cuts() -> impl Strategy<Value = Cut> {
    prop_oneof![
        (2u64..40, 1u64..40).prop_map(|(n, from)| Cut::EveryNth { n, from }),
        (1u64..60, 1u64..6, 10u64..80).prop_map(|(from, len, period)| Cut::Bursts {
            from,
            len,
            period
        }),
        (any::<bool>(), 2u64..10).prop_map(|(to_server, n)| Cut::OneDirection { to_server, n }),
    ]
}

/// `LOSSY_CASES=N` runs every property with N cases (more than CI's few).
fn property(path: &str, cases: u32) {
    let cases = std::env::var("LOSSY_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    let truth = Truth::of(&root().join(path));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&cuts(), |cut| {
            truth
                .check(&|f| cut.drops(&truth, f))
                .map(|_| ())
                .map_err(|e| TestCaseError::fail(format!("{path}, {cut:?}: {e}")))
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn every_whole_message_of_a_lossy_binary_capture_is_decoded() {
    property("fixtures/binary.pcap", 64);
}

#[test]
fn every_whole_message_of_a_lossy_text_capture_is_decoded() {
    property("fixtures/ascii.pcap", 64);
}

#[test]
fn every_whole_message_of_a_lossy_large_value_capture_is_decoded() {
    property("fixtures/large.pcap", 48);
}

#[test]
fn every_whole_message_of_lossy_meta_and_any_interface_captures_is_decoded() {
    property("fixtures/meta.pcap", 32);
    property("fixtures/any-sll2.pcap", 32);
}

#[test]
fn every_whole_message_of_the_lossy_demo_captures_is_decoded() {
    property("captures/demo-binary.pcap", 8);
    property("captures/demo-ascii.pcap", 8);
}

/// The memcache PDUs tshark decodes from a capture: (magic, opcode, key) for binary ones;
/// `None` for text ones. `None` in all when tshark is not installed.
fn tshark_pdus(pcap: &[u8]) -> Option<Vec<Option<(u8, u8, String)>>> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cut.pcap");
    std::fs::write(&path, pcap).expect("write");
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(&path)
        .args([
            "-o",
            "tcp.desegment_tcp_streams:TRUE",
            "-d",
            "tcp.port==11211,memcache",
            "-T",
            "pdml",
        ])
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pdml = String::from_utf8_lossy(&out.stdout);
    let show = |line: &str| {
        line.split(" show=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .map(|v| {
                v.replace("&quot;", "\"")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&")
            })
    };
    let mut pdus: Vec<Option<(u8, u8, String)>> = Vec::new();
    let mut current: Option<(Option<u8>, Option<u8>, String, bool)> = None;
    // A memcache element with no field of a message is a continuation tshark could not
    // decode ("previous segment not captured"): not counted.
    let flush = |c: Option<(Option<u8>, Option<u8>, String, bool)>, pdus: &mut Vec<_>| {
        if let Some((magic, op, key, decoded)) = c {
            if decoded {
                pdus.push(magic.zip(op).map(|(m, o)| (m, o, key)));
            }
        }
    };
    for line in pdml.lines() {
        let line = line.trim_start();
        if line.starts_with("<proto name=\"memcache\"") {
            flush(current.take(), &mut pdus);
            current = Some((None, None, String::new(), false));
        } else if line.starts_with("<proto ") || line.starts_with("</packet>") {
            flush(current.take(), &mut pdus);
        } else if let Some(c) = current.as_mut() {
            c.3 |= [
                "magic", "command", "response", "value\"", "key\"", "name\"", "version",
            ]
            .iter()
            .any(|f| line.starts_with(&format!("<field name=\"memcache.{f}")));
            if line.starts_with("<field name=\"memcache.magic\"") {
                c.0 = show(line).and_then(|v| v.parse().ok());
            } else if line.starts_with("<field name=\"memcache.opcode\"") {
                c.1 = show(line).and_then(|v| v.parse().ok());
            } else if line.starts_with("<field name=\"memcache.key\"") && c.2.is_empty() {
                c.2 = show(line).unwrap_or_default();
            }
        }
    }
    flush(current.take(), &mut pdus);
    Some(pdus)
}

/// memshark decodes at least every message tshark decodes from the same lossy file: for
/// binary, each (request or answer, opcode, key) tshark shows; for text, as many messages.
#[test]
fn memshark_decodes_at_least_what_tshark_decodes_from_lossy_captures() {
    if Command::new("tshark").arg("-v").output().is_err() {
        eprintln!("tshark is not installed: the oracle comparison is skipped (CI installs it)");
        return;
    }
    for path in CAPTURES {
        let truth = Truth::of(&root().join(path));
        let cuts = [
            Cut::EveryNth { n: 37, from: 37 },
            Cut::EveryNth { n: 5, from: 3 },
            Cut::Bursts {
                from: 10,
                len: 3,
                period: 40,
            },
            Cut::OneDirection {
                to_server: false,
                n: 3,
            },
            Cut::OneDirection {
                to_server: true,
                n: 3,
            },
        ];
        for cut in cuts {
            let drop = |f| cut.drops(&truth, f);
            let (cut_file, _) = truth.pcap.without(&drop);
            let (_, ours) = truth
                .check(&drop)
                .unwrap_or_else(|e| panic!("{path}, {cut:?}: {e}"));
            let theirs = tshark_pdus(&cut_file).expect("tshark runs");
            let decoded: Vec<&Message> = ours.iter().filter(|m| m.op.is_some()).collect();
            assert!(
                decoded.len() >= theirs.len(),
                "{path}, {cut:?}: memshark decoded {} messages, tshark {}",
                decoded.len(),
                theirs.len()
            );
            let mut ours_binary: HashMap<(u8, u8, String), usize> = HashMap::new();
            for m in &decoded {
                if let Some(op) = m.opcode() {
                    let magic = if m.origin.dir == Direction::ToServer {
                        0x80
                    } else {
                        0x81
                    };
                    let key =
                        String::from_utf8_lossy(m.key.as_deref().unwrap_or_default()).into_owned();
                    *ours_binary.entry((magic, u8::from(op), key)).or_default() += 1;
                }
            }
            for pdu in theirs.into_iter().flatten() {
                match ours_binary.get_mut(&pdu) {
                    Some(n) if *n > 0 => *n -= 1,
                    _ => panic!("{path}, {cut:?}: tshark decodes {pdu:?}, memshark does not"),
                }
            }
        }
    }
}

/// `stats` says what the losses cost: the holes the peer acknowledged, the bytes skipped to
/// resync, the values cut; nothing is dropped at the caps, and with caps small enough to be
/// reached, the holes declared there are counted and the messages after them still decoded.
#[test]
fn stats_report_the_losses_honestly() {
    let truth = Truth::of(&root().join("fixtures/large.pcap"));
    let cut = Cut::EveryNth { n: 5, from: 3 };
    let (file, _) = truth.pcap.without(&|f| cut.drops(&truth, f));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cut.pcap");
    std::fs::write(&path, &file).expect("write");
    let mut stats = memshark::summary::TrafficStats::default();
    let mut requests = 0;
    stats.pass = dissect_file(&path, &[11211], &mut |_| {}, &mut |m| {
        stats.add(&m);
        requests += u64::from(m.kind() == memshark::dissect::Kind::Request && m.op.is_some());
        true
    })
    .expect("capture reads");
    let json = stats.to_json(10);
    // Every request decoded counts, the sets whose value a gap cut among them.
    let counted: u64 = json["ops"]
        .as_object()
        .expect("ops")
        .values()
        .map(|o| o["requests"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(counted, requests, "{json}");
    let n = |k: &str| json[k].as_u64().unwrap_or_else(|| panic!("{k} in {json}"));
    assert!(n("acked_unseen_gaps") > 0, "{json}");
    assert_eq!(
        n("acked_unseen_bytes"),
        n("gap_bytes"),
        "every hole here was acknowledged"
    );
    assert!(n("gaps_in_values") > 0 && n("skipped_bytes") > 0, "{json}");
    assert_eq!((n("reassembly_dropped_bytes"), n("cap_gaps")), (0, 0));
    let text = stats.to_text(10);
    assert!(
        text.contains("holes acknowledged by the peer but never seen"),
        "{text}"
    );

    // With the pure acknowledgements lost too (fewer to go by), a small cap declares holes in
    // the answers; the buffer never outgrows it and nothing is dropped.
    let lossier = |f: u64| {
        (truth.direction.get(&f) == Some(&false) && f.is_multiple_of(5))
            || (!truth.direction.contains_key(&f) && f > 3)
    };
    let (file, kept) = truth.pcap.without(&lossier);
    std::fs::write(&path, &file).expect("write");
    let mut r = Reassembler::new(ReassemblyConfig {
        max_buffered_per_direction: 64 * 1024,
        ..ReassemblyConfig::default()
    });
    let mut reader = CaptureReader::new(std::io::Cursor::new(file)).expect("capture");
    let mut most = 0;
    reader
        .for_each_frame(|f| {
            if let Ok(seg) = decode(f.linktype, f.data, f.orig_len) {
                r.push(f.number, f.ts, &seg, &mut |_| {});
                most = most.max(r.buffered_bytes());
            }
            true
        })
        .expect("read");
    r.finish(&mut |_| {});
    assert!(most <= 64 * 1024, "the cap holds: {most}");
    assert!(
        r.stats().cap_gaps > 0,
        "{:?} ({} frames kept)",
        r.stats(),
        kept.len()
    );
    assert_eq!(r.stats().dropped_for_memory, 0);
}
