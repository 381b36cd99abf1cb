//! Arbitrary byte chunks, gaps and closes on both directions of a connection into the
//! dissector: no panic, and every message's bytes come from the input.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use memshark::capture::{Direction, StreamEvent, StreamEventKind, Timestamp};
use memshark::dissect::Dissector;

fuzz_target!(|data: &[u8]| {
    let client = "10.0.0.1:40000".parse().unwrap();
    let server = "10.0.0.2:11211".parse().unwrap();
    let mut d = Dissector::new();
    let mut rest = data;
    let mut frame = 0;
    while let Some((&ctl, tail)) = rest.split_first() {
        let len = usize::from(ctl & 0x3f).min(tail.len());
        let (chunk, after) = tail.split_at(len);
        rest = after;
        frame += 1;
        let dir = if ctl & 0x40 == 0 { Direction::ToServer } else { Direction::ToClient };
        let kind = match (ctl & 0x80 != 0, len) {
            (true, 0) => StreamEventKind::Closed { reset: false },
            (true, n) => StreamEventKind::Gap(n as u64),
            (false, _) => StreamEventKind::Data(Bytes::copy_from_slice(chunk)),
        };
        d.push(
            StreamEvent { conn: 1, client, server, dir, frame, ts: Timestamp::from_nanos(frame), kind },
            &mut |m| {
                let _ = (m.op, m.key.as_ref().map(|k| k.len()), m.latency_ns);
            },
        );
    }
    d.finish();
});
