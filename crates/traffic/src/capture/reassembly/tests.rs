//! Holes in lossy captures: acknowledged holes become gaps at once, the caps declare holes
//! and deliver what waited, and no byte seen is lost.

use super::*;
use crate::capture::link::TcpInfo;
use proptest::prelude::*;

fn client() -> SocketAddr {
    "10.0.0.1:40000".parse().expect("address")
}

fn server() -> SocketAddr {
    "10.0.0.2:11211".parse().expect("address")
}

/// A segment: `to_server` chooses the direction; `seq` and `ack` are raw sequence numbers.
fn seg(to_server: bool, seq: u32, ack: u32, payload: &[u8], fin: bool) -> Segment<'_> {
    let (src, dst) = if to_server {
        (client(), server())
    } else {
        (server(), client())
    };
    Segment {
        src,
        dst,
        transport: Transport::Tcp(TcpInfo {
            seq,
            ack,
            syn: false,
            ack_flag: true,
            fin,
            rst: false,
        }),
        payload,
        missing: 0,
    }
}

/// What one direction received: the bytes at their stream offsets (`None` where a gap was
/// declared), and the order of events.
#[derive(Default, Debug)]
struct Seen {
    stream: Vec<Option<u8>>,
    events: Vec<StreamEventKind>,
}

impl Seen {
    fn take(&mut self, ev: &StreamEvent, dir: Direction) {
        if ev.origin.dir != dir {
            return;
        }
        match &ev.kind {
            StreamEventKind::Data(d) => self.stream.extend(d.iter().map(|&b| Some(b))),
            StreamEventKind::Gap(n) => self.stream.extend((0..*n).map(|_| None)),
            _ => {}
        }
        self.events.push(ev.kind.clone());
    }
}

const C_ISN: u32 = 1000;
const S_ISN: u32 = 5000;

#[test]
fn a_hole_the_peer_acknowledged_is_a_gap_at_once_and_nothing_waits() {
    let data: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let mut up = Seen::default();
    let feed = |r: &mut Reassembler, s: Segment<'_>, up: &mut Seen| {
        r.push(1, Timestamp::default(), &s, &mut |e| {
            up.take(&e, Direction::ToServer)
        });
    };
    feed(
        &mut r,
        seg(true, C_ISN, S_ISN, &data[..100], false),
        &mut up,
    );
    // 100..200 is lost by the capture; 200..300 waits behind the hole.
    feed(
        &mut r,
        seg(true, C_ISN + 200, S_ISN, &data[200..], false),
        &mut up,
    );
    assert_eq!(r.buffered_bytes(), 100);
    assert_eq!(up.stream.len(), 100);
    // The server acknowledges all 300 bytes: it received the segment the capture missed.
    feed(&mut r, seg(false, S_ISN, C_ISN + 300, b"", false), &mut up);
    assert_eq!(r.buffered_bytes(), 0);
    assert_eq!(
        up.events,
        [
            StreamEventKind::Data(Bytes::copy_from_slice(&data[..100])),
            StreamEventKind::Gap(100),
            StreamEventKind::Data(Bytes::copy_from_slice(&data[200..])),
        ]
    );
    let s = r.stats();
    assert_eq!((s.acked_unseen_gaps, s.acked_unseen_bytes), (1, 100));
    assert_eq!((s.cap_gaps, s.dropped_for_memory), (0, 0));
    // The acknowledgement of bytes never seen at the end of the stream is a gap too, and the
    // segment that arrives late after all is a retransmission of bytes declared lost.
    feed(&mut r, seg(false, S_ISN, C_ISN + 350, b"", false), &mut up);
    assert_eq!(up.events.last(), Some(&StreamEventKind::Gap(50)));
    feed(
        &mut r,
        seg(true, C_ISN + 300, S_ISN, &[7; 50], false),
        &mut up,
    );
    assert_eq!(up.stream.len(), 350);
    assert_eq!(r.stats().retransmitted_bytes, 50);
}

#[test]
fn acknowledging_a_fin_or_bytes_already_seen_declares_nothing() {
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let mut up = Seen::default();
    let feed = |r: &mut Reassembler, s: Segment<'_>, up: &mut Seen| {
        r.push(1, Timestamp::default(), &s, &mut |e| {
            up.take(&e, Direction::ToServer)
        });
    };
    feed(
        &mut r,
        seg(true, C_ISN, S_ISN, b"get a\r\n", false),
        &mut up,
    );
    feed(
        &mut r,
        seg(false, S_ISN, C_ISN + 7, b"END\r\n", false),
        &mut up,
    );
    feed(
        &mut r,
        seg(false, S_ISN + 5, C_ISN + 3, b"", false),
        &mut up,
    );
    feed(&mut r, seg(true, C_ISN + 7, S_ISN + 5, b"", true), &mut up);
    // The FIN's sequence number is acknowledged as one more byte.
    feed(
        &mut r,
        seg(false, S_ISN + 5, C_ISN + 8, b"", false),
        &mut up,
    );
    assert!(up
        .events
        .iter()
        .all(|e| !matches!(e, StreamEventKind::Gap(_))));
    assert_eq!(r.stats().acked_unseen_gaps, 0);
}

#[test]
fn at_the_cap_the_hole_is_declared_and_every_byte_behind_it_delivered() {
    let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let config = ReassemblyConfig {
        max_buffered_per_direction: 1000,
        ..ReassemblyConfig::default()
    };
    let mut r = Reassembler::new(config);
    let mut up = Seen::default();
    // 50..100 never arrives and nobody acknowledges anything.
    r.push(
        0,
        Timestamp::default(),
        &seg(true, C_ISN, S_ISN, &data[..50], false),
        &mut |e| up.take(&e, Direction::ToServer),
    );
    for i in 1..50u32 {
        let at = (i * 100) as usize;
        r.push(
            u64::from(i),
            Timestamp::default(),
            &seg(true, C_ISN + i * 100, S_ISN, &data[at..at + 100], false),
            &mut |e| up.take(&e, Direction::ToServer),
        );
        assert!(r.buffered_bytes() <= 1000);
    }
    r.finish(&mut |e| up.take(&e, Direction::ToServer));
    assert_eq!(up.stream.len(), 5000);
    assert!(up.stream[50..100].iter().all(Option::is_none));
    assert!(up.stream[100..]
        .iter()
        .zip(&data[100..])
        .all(|(got, want)| *got == Some(*want)));
    let s = r.stats();
    assert_eq!((s.cap_gaps, s.cap_gap_bytes), (1, 50));
    assert_eq!((s.dropped_for_memory, s.gap_bytes), (0, 50));
}

#[test]
fn a_segment_larger_than_the_cap_is_delivered_after_its_hole() {
    let config = ReassemblyConfig {
        max_buffered_per_direction: 100,
        ..ReassemblyConfig::default()
    };
    let mut r = Reassembler::new(config);
    let mut up = Seen::default();
    r.push(
        0,
        Timestamp::default(),
        &seg(true, C_ISN, S_ISN, &[1; 10], false),
        &mut |e| up.take(&e, Direction::ToServer),
    );
    r.push(
        1,
        Timestamp::default(),
        &seg(true, C_ISN + 20, S_ISN, &[2; 500], false),
        &mut |e| up.take(&e, Direction::ToServer),
    );
    assert_eq!(r.buffered_bytes(), 0);
    assert_eq!(up.stream.len(), 520);
    assert_eq!(r.stats().cap_gaps, 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Whatever segments are lost or reordered, whether the peer's acknowledgements are seen
    /// and however small the caps: every byte seen is delivered at its own offset, the rest is
    /// reported as gaps, and the buffers stay within the caps.
    #[test]
    fn every_byte_seen_is_delivered_at_its_offset_within_the_caps(
        sizes in prop::collection::vec(1usize..300, 1..40),
        lost in prop::collection::vec(any::<bool>(), 40),
        swaps in prop::collection::vec((0usize..40, 0usize..40), 0..10),
        acks in any::<bool>(),
        cap in 50usize..2000,
    ) {
        let total: usize = sizes.iter().sum();
        let data: Vec<u8> = (0..total).map(|i| (i * 7 % 256) as u8).collect();
        let mut segs = Vec::new();
        let mut at = 0;
        for (i, &n) in sizes.iter().enumerate() {
            // The first segment is kept so that the stream starts where the data does.
            if i == 0 || !lost[i] {
                segs.push((at, n));
            }
            at += n;
        }
        // The peer's cumulative acknowledgements are modelled for segments sent in order.
        let swaps = if acks { Vec::new() } else { swaps };
        let reordered = !swaps.is_empty();
        for (a, b) in swaps {
            if a > 0 && b > 0 && a < segs.len() && b < segs.len() {
                segs.swap(a, b);
            }
        }
        let config = ReassemblyConfig {
            max_buffered_per_direction: cap,
            max_buffered_total: cap * 2,
            ..ReassemblyConfig::default()
        };
        let mut r = Reassembler::new(config);
        let mut up = Seen::default();
        for (i, &(at, n)) in segs.iter().enumerate() {
            r.push(
                i as u64,
                Timestamp::default(),
                &seg(true, C_ISN + at as u32, S_ISN, &data[at..at + n], false),
                &mut |e| up.take(&e, Direction::ToServer),
            );
            prop_assert!(r.buffered_bytes() <= cap);
            if acks {
                // The server acknowledges what it has received: everything up to the end of
                // the segments sent so far.
                let upto = segs[..=i].iter().map(|&(a, n)| a + n).max().unwrap_or(0);
                r.push(
                    i as u64,
                    Timestamp::default(),
                    &seg(false, S_ISN, C_ISN + upto as u32, b"", false),
                    &mut |e| up.take(&e, Direction::ToServer),
                );
                prop_assert_eq!(r.buffered_bytes(), 0);
            }
        }
        r.finish(&mut |e| up.take(&e, Direction::ToServer));
        let end = segs.iter().map(|&(a, n)| a + n).max().unwrap_or(0);
        prop_assert_eq!(up.stream.len(), end);
        let mut present = vec![false; end];
        for &(at, n) in &segs {
            present[at..at + n].iter_mut().for_each(|p| *p = true);
        }
        // A segment that arrives after the cap gave up on its hole comes too late; otherwise
        // every byte seen is delivered.
        let exact = !reordered || cap >= total;
        for (i, got) in up.stream.iter().enumerate() {
            if exact {
                prop_assert_eq!(*got, present[i].then_some(data[i]), "offset {}", i);
            } else if let Some(b) = got {
                prop_assert_eq!(*b, data[i], "offset {}", i);
            }
        }
        prop_assert_eq!(r.stats().dropped_for_memory, 0);
    }
}

#[test]
fn a_segment_acknowledging_a_hole_delivers_what_waited_behind_it_before_its_own_data() {
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let mut order = Vec::new();
    let mut feed = |r: &mut Reassembler, s: Segment<'_>| {
        r.push(1, Timestamp::default(), &s, &mut |e| {
            if let StreamEventKind::Data(d) = &e.kind {
                order.push((e.origin.dir, d.clone()));
            }
        });
    };
    feed(&mut r, seg(true, C_ISN, S_ISN, b"get a\r\n", false));
    // `get b\r\n` (7 bytes) is lost; `get c\r\n` waits behind the hole.
    feed(&mut r, seg(true, C_ISN + 14, S_ISN, b"get c\r\n", false));
    // The server's answer to `get c` acknowledges all three.
    feed(&mut r, seg(false, S_ISN, C_ISN + 21, b"END\r\n", false));
    let dirs: Vec<_> = order.iter().map(|(d, b)| (*d, b.as_ref())).collect();
    assert_eq!(
        dirs,
        [
            (Direction::ToServer, &b"get a\r\n"[..]),
            (Direction::ToServer, &b"get c\r\n"[..]),
            (Direction::ToClient, &b"END\r\n"[..]),
        ]
    );
}
