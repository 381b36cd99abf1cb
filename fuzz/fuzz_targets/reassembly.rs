//! Arbitrary TCP segments (addresses, sequence numbers, flags, payloads, snap cuts) into the
//! reassembler: it must never panic, and delivered plus missing bytes never exceed what was sent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use memshark::capture::link::{Segment, TcpInfo, Transport};
use memshark::capture::{Reassembler, ReassemblyConfig, StreamEventKind, Timestamp};

fuzz_target!(|data: &[u8]| {
    let mut r = Reassembler::new(ReassemblyConfig {
        max_buffered_per_direction: 4096,
        max_buffered_total: 16384,
        ..ReassemblyConfig::default()
    });
    let a = "10.0.0.1:40000".parse().unwrap();
    let b = "10.0.0.2:11211".parse().unwrap();
    let mut events = 0u64;
    for (i, chunk) in data.chunks(16).enumerate() {
        if chunk.len() < 8 {
            break;
        }
        let seq = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) % 5000;
        let flags = chunk[4];
        let len = usize::from(chunk[5]) % 64;
        let missing = u32::from(chunk[6] % 8);
        let payload = vec![chunk[7]; len];
        let (src, dst) = if flags & 1 == 0 { (a, b) } else { (b, a) };
        let seg = Segment {
            src,
            dst,
            transport: Transport::Tcp(TcpInfo {
                seq,
                ack: 0,
                syn: flags & 2 != 0,
                ack_flag: flags & 4 != 0,
                fin: flags & 8 != 0,
                rst: flags & 16 != 0,
            }),
            payload: &payload,
            missing,
        };
        r.push(i as u64, Timestamp::from_nanos(i as u64), &seg, &mut |e| {
            events += 1;
            if let StreamEventKind::Data(d) = e.kind {
                assert!(!d.is_empty());
            }
        });
    }
    r.finish(&mut |_| events += 1);
});
