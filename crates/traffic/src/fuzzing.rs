//! The fuzz targets' bodies: one function per target under `fuzz/`, each taking the fuzzer's
//! bytes and panicking only when memshark breaks a promise (a panic inside a parser, a parser that
//! makes no progress, an error pointing outside its input).
//!
//! The targets in `fuzz/fuzz_targets/` call these, and `tests/fuzz_regressions.rs` replays every
//! input kept under `fuzz/regressions/` through them (the file name starts with the target's
//! name), so a crash once found stays a test without a fuzzer.

use bytes::{Bytes, BytesMut};

use crate::capture::link::{Segment, TcpInfo, Transport};
use crate::capture::{
    decode, CaptureReader, Direction, Origin, Reassembler, ReassemblyConfig, StreamEvent,
    StreamEventKind, Timestamp,
};
use crate::dissect::{Dissector, Message, Proto};
use crate::filter::Filter;
use memshark_protocol::ascii::{ParseLimits, Parsed, Request, Response};
use memshark_protocol::binary::{check, find_next_header, split_message, Opcode, Packet, Status};

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// Every target by name, for replaying saved inputs.
pub const TARGETS: &[(&str, Target)] = &[
    ("ascii_request", ascii_request),
    ("ascii_response", ascii_response),
    ("binary_decode", binary_decode),
    ("dissector", dissector),
    ("filter_parse", filter_parse),
    ("pcap_reader", pcap_reader),
    ("reassembly", reassembly),
];

/// The target a saved input belongs to: the longest target name its file name starts with.
pub fn target_for(file_name: &str) -> Option<Target> {
    TARGETS
        .iter()
        .filter(|(name, _)| file_name.starts_with(name))
        .max_by_key(|(name, _)| name.len())
        .map(|&(_, f)| f)
}

const LIMITS: ParseLimits = ParseLimits {
    max_line: 256,
    max_key: memshark_protocol::limits::KEY_MAX_LEN,
    max_value: 4096,
};

/// Arbitrary bytes as a stream of text/meta requests, skipping what is malformed the way the
/// server and dissector do: every step makes progress, and what parses prints and encodes.
pub fn ascii_request(data: &[u8]) {
    let mut at = 0;
    while at < data.len() {
        match Request::parse(&data[at..], &LIMITS) {
            Ok(Parsed::Complete { message, len }) => {
                assert!(len > 0, "a complete request of no bytes");
                let _ = message.to_string();
                message.encode(&mut BytesMut::new());
                at += len;
            }
            Ok(Parsed::Incomplete { .. }) => break,
            Err(e) => {
                assert!(e.skip > 0, "an error that skips nothing");
                at += e.skip;
            }
        }
    }
}

/// The same for responses.
pub fn ascii_response(data: &[u8]) {
    let mut at = 0;
    while at < data.len() {
        match Response::parse(&data[at..], &LIMITS) {
            Ok(Parsed::Complete { message, len }) => {
                assert!(len > 0, "a complete response of no bytes");
                let _ = message.to_string();
                message.encode(&mut BytesMut::new());
                at += len;
            }
            Ok(Parsed::Incomplete { .. }) => break,
            Err(e) => {
                assert!(e.skip > 0, "an error that skips nothing");
                at += e.skip;
            }
        }
    }
}

/// Every entry point of the binary decoder: `check`, the `Packet` accessors, `Display`, the
/// framing of a stream (what the tokio codec wraps) and the resync scan.
pub fn binary_decode(data: &[u8]) {
    let _ = check(data, 1 << 16);
    let p = Packet::new_unchecked(data);
    let _ = (
        p.key(),
        p.value(),
        p.extras(),
        p.framing_extras(),
        p.typed_extras(),
    );
    let _ = p.to_string();
    if let Ok(p) = Packet::new_checked(data) {
        assert!(p.frame_len() <= data.len(), "a frame longer than its input");
        let _ = p.to_string();
    }
    let mut buf = BytesMut::from(data);
    loop {
        match split_message(&mut buf, 1 << 16) {
            Ok(Some(frame)) => {
                let _ = frame.to_string();
            }
            Ok(None) => break,
            Err(_) => {
                let skip = find_next_header(&buf, 1 << 16);
                assert!(skip > 0 || buf.is_empty(), "a resync that skips nothing");
                let _ = buf.split_to(skip.min(buf.len()));
                if buf.is_empty() {
                    break;
                }
            }
        }
    }
}

/// Byte chunks, gaps and closes on both directions of one connection into the dissector. Each
/// event is a control byte (bits 0–5: length; bit 6: to the client; bit 7: a gap of that length,
/// or a close when the length is 0) and, for data, that many bytes.
pub fn dissector(data: &[u8]) {
    let client = std::net::SocketAddr::from(([10, 0, 0, 1], 40000));
    let server = std::net::SocketAddr::from(([10, 0, 0, 2], 11211));
    let mut d = Dissector::new();
    let mut rest = data;
    let mut frame = 0;
    while let Some((&ctl, tail)) = rest.split_first() {
        let len = usize::from(ctl & 0x3f).min(tail.len());
        let (chunk, after) = tail.split_at(len);
        rest = after;
        frame += 1;
        let dir = if ctl & 0x40 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let kind = match (ctl & 0x80 != 0, len) {
            (true, 0) => StreamEventKind::Closed { reset: false },
            (true, n) => StreamEventKind::Gap(n as u64),
            // A chunk opening with 0xfe is a UDP datagram (frame header and all).
            (false, _) if chunk.first() == Some(&0xfe) => {
                StreamEventKind::Datagram(Bytes::copy_from_slice(&chunk[1..]))
            }
            (false, _) => StreamEventKind::Data(Bytes::copy_from_slice(chunk)),
        };
        let ev = StreamEvent {
            origin: Origin::new(1, client, server, dir).at(frame, Timestamp::from_nanos(frame)),
            kind,
        };
        d.push(ev, &mut |m: Message| {
            let _ = (m.op_name(), m.key.as_ref().map(|k| k.len()), m.latency_ns);
        });
    }
    d.finish();
}

/// Arbitrary text as a display filter: when it parses it is matched against a message, when it
/// does not the error points inside the text.
pub fn filter_parse(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    match Filter::parse(src) {
        Ok(f) => {
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 11211));
            let mut m = Message::new(
                Origin::new(1, addr, addr, Direction::ToClient),
                Proto::Binary,
            )
            .with_op(Opcode::Get);
            m.request_op = Some(Opcode::Get.into());
            m.status = Some(Status::KeyNotFound);
            m.key = Some(Bytes::from_static(b"user:42"));
            m.latency_ns = Some(1_234_567);
            let _ = f.matches(&m);
        }
        Err(e) => {
            assert!(e.pos <= src.len(), "an error position past the text");
            let _ = e.caret_line(src);
        }
    }
}

/// Arbitrary bytes as a capture file (pcap or pcapng, gzipped or not) through reader, link
/// decode, reassembly and dissector. Errors are fine.
pub fn pcap_reader(data: &[u8]) {
    let Ok(mut reader) = CaptureReader::new(std::io::Cursor::new(data.to_vec())) else {
        return;
    };
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let mut d = Dissector::new();
    let _ = reader.for_each_frame(|f| {
        if let Ok(seg) = decode(f.linktype, f.data, f.orig_len) {
            r.push(f.number, f.ts, &seg, &mut |ev| d.push(ev, &mut |_| {}));
        }
        true
    });
    r.finish(&mut |ev| d.push(ev, &mut |_| {}));
}

/// Arbitrary TCP segments into the reassembler with small memory caps: 16 bytes a segment
/// (sequence number, flags, payload length and byte, snap cut). Data events are never empty.
pub fn reassembly(data: &[u8]) {
    let mut r = Reassembler::new(ReassemblyConfig {
        max_buffered_per_direction: 4096,
        max_buffered_total: 16384,
        ..ReassemblyConfig::default()
    });
    let a = std::net::SocketAddr::from(([10, 0, 0, 1], 40000));
    let b = std::net::SocketAddr::from(([10, 0, 0, 2], 11211));
    for (i, chunk) in data.chunks(16).enumerate() {
        let &[s0, s1, s2, s3, flags, len, missing, byte, a0, a1, ..] = chunk else {
            break;
        };
        // Acknowledgement numbers near the sequence numbers in use, so that holes get
        // acknowledged (and declared) as in a lossy capture.
        let ack = u32::from(u16::from_le_bytes([a0, a1])) % 5000;
        let seq = u32::from_le_bytes([s0, s1, s2, s3]) % 5000;
        let payload = vec![byte; usize::from(len) % 64];
        let (src, dst) = if flags & 1 == 0 { (a, b) } else { (b, a) };
        let seg = Segment {
            src,
            dst,
            transport: Transport::Tcp(TcpInfo {
                seq,
                ack,
                syn: flags & 2 != 0,
                ack_flag: flags & 4 != 0,
                fin: flags & 8 != 0,
                rst: flags & 16 != 0,
            }),
            payload: &payload,
            missing: u32::from(missing % 8),
        };
        r.push(i as u64, Timestamp::from_nanos(i as u64), &seg, &mut |e| {
            if let StreamEventKind::Data(d) = e.kind {
                assert!(!d.is_empty(), "an empty data event");
            }
        });
        assert!(r.buffered_bytes() <= 16384, "the total cap holds");
    }
    r.finish(&mut |_| {});
}
