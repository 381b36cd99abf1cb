//! Writer → reader → link decode → reassembly, with the edge cases real captures have.

use std::net::SocketAddr;

use bytes::BytesMut;
use memshark::capture::writer::TcpFlags;
use memshark::capture::{
    decode, CaptureReader, CaptureWriter, Direction, Format, Reassembler, ReassemblyConfig,
    StreamEvent, StreamEventKind, Timestamp,
};
use proptest::prelude::*;

fn addrs() -> (SocketAddr, SocketAddr) {
    (
        "10.0.0.1:40000".parse().unwrap(),
        "10.0.0.2:11211".parse().unwrap(),
    )
}

/// Reads a capture back and reassembles it: (to-server bytes, to-client bytes, gaps, events).
fn reassemble(
    bytes: Vec<u8>,
    config: ReassemblyConfig,
) -> (Vec<u8>, Vec<u8>, Vec<u64>, Vec<StreamEvent>) {
    let mut reader = CaptureReader::new(std::io::Cursor::new(bytes)).expect("a capture");
    let mut r = Reassembler::new(config);
    let mut events = Vec::new();
    reader
        .for_each_frame(|f| {
            if let Ok(seg) = decode(f.linktype, f.data, f.orig_len) {
                r.push(f.number, f.ts, &seg, &mut |e| events.push(e));
            }
            true
        })
        .expect("read");
    r.finish(&mut |e| events.push(e));
    let (mut up, mut down, mut gaps) = (Vec::new(), Vec::new(), Vec::new());
    for e in &events {
        match (&e.kind, e.origin.dir) {
            (StreamEventKind::Data(d), Direction::ToServer) => up.extend_from_slice(d),
            (StreamEventKind::Data(d), Direction::ToClient) => down.extend_from_slice(d),
            (StreamEventKind::Gap(n), _) => gaps.push(*n),
            _ => {}
        }
    }
    (up, down, gaps, events)
}

#[test]
fn written_connection_reads_back_exactly_in_both_formats() {
    for format in [Format::Pcap, Format::PcapNg] {
        let (c, s) = addrs();
        let mut w = CaptureWriter::new(Vec::new(), format).unwrap();
        w.mss = 100;
        let conn = w
            .open_connection(c, s, Timestamp::from_nanos(1_000_000_000))
            .unwrap();
        let request: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
        w.write_data(
            conn,
            Direction::ToServer,
            Timestamp::from_nanos(2_000_000_000),
            &request,
        )
        .unwrap();
        w.write_data(
            conn,
            Direction::ToClient,
            Timestamp::from_nanos(3_000_000_000),
            b"STORED\r\n",
        )
        .unwrap();
        w.close(conn, Timestamp::from_nanos(4_000_000_000), false)
            .unwrap();
        let (up, down, gaps, events) = reassemble(w.into_inner(), ReassemblyConfig::default());
        assert_eq!(up, request, "{format:?}");
        assert_eq!(down, b"STORED\r\n");
        assert!(gaps.is_empty());
        assert!(events
            .iter()
            .all(|e| e.origin.client == c && e.origin.server == s));
        let first = events
            .iter()
            .find(|e| matches!(e.kind, StreamEventKind::Data(_)))
            .unwrap();
        assert_eq!(
            (first.origin.frame, first.origin.ts.as_nanos()),
            (4, 2_000_000_000)
        );
        assert_eq!(
            events
                .iter()
                .filter(|e| matches!(e.kind, StreamEventKind::Closed { reset: false }))
                .count(),
            2
        );
    }
}

/// Writes raw segments of one direction (client → server) given as (offset, len) of `data`.
fn segments_capture(
    data: &[u8],
    pieces: &[(usize, usize)],
    isn: u32,
    syn: bool,
    snaplen: Option<usize>,
) -> Vec<u8> {
    let (c, s) = addrs();
    let mut w = CaptureWriter::new(Vec::new(), Format::Pcap).unwrap();
    let ack = TcpFlags {
        ack: true,
        psh: true,
        ..TcpFlags::default()
    };
    if syn {
        w.write_tcp(
            Timestamp::from_nanos(1),
            c,
            s,
            isn.wrapping_sub(1),
            0,
            TcpFlags {
                syn: true,
                ..TcpFlags::default()
            },
            b"",
            None,
        )
        .unwrap();
    }
    for (i, &(off, len)) in pieces.iter().enumerate() {
        let seq = isn.wrapping_add(off as u32);
        w.write_tcp(
            Timestamp::from_nanos(10 + i as u64),
            c,
            s,
            seq,
            1,
            ack,
            &data[off..off + len],
            snaplen,
        )
        .unwrap();
    }
    w.into_inner()
}

#[test]
fn out_of_order_retransmitted_and_overlapping_segments() {
    let data: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
    // Out of order, a duplicate, an overlap.
    let pieces = [(100, 100), (0, 100), (0, 100), (150, 100), (250, 50)];
    let (up, _, gaps, _) = reassemble(
        segments_capture(&data, &pieces, 1000, true, None),
        ReassemblyConfig::default(),
    );
    assert_eq!(up, data);
    assert!(gaps.is_empty());
}

#[test]
fn missing_segment_becomes_a_gap_of_the_right_length() {
    let data = vec![b'x'; 300];
    let pieces = [(0, 100), (200, 100)];
    let (up, _, gaps, _) = reassemble(
        segments_capture(&data, &pieces, 5, true, None),
        ReassemblyConfig::default(),
    );
    assert_eq!(up.len(), 200);
    assert_eq!(gaps, vec![100]);
}

#[test]
fn mid_stream_start_and_sequence_wraparound() {
    let data: Vec<u8> = (0..400u32).map(|i| i as u8).collect();
    let pieces = [(0, 100), (100, 100), (200, 100), (300, 100)];
    // No SYN, and the sequence numbers wrap past 2^32 in the middle.
    let (up, _, gaps, _) = reassemble(
        segments_capture(&data, &pieces, u32::MAX - 150, false, None),
        ReassemblyConfig::default(),
    );
    assert_eq!(up, data);
    assert!(gaps.is_empty());
}

#[test]
fn snap_length_cut_becomes_a_gap_not_a_crash() {
    let data = vec![b'y'; 1000];
    let pieces = [(0, 500), (500, 500)];
    // 14 Ethernet + 20 IP + 20 TCP headers, then 100 payload bytes kept.
    let (up, _, gaps, _) = reassemble(
        segments_capture(&data, &pieces, 1, true, Some(154)),
        ReassemblyConfig::default(),
    );
    assert_eq!(up.len(), 200);
    assert_eq!(gaps, vec![400, 400]);
}

#[test]
fn memory_cap_turns_a_hole_into_a_gap_and_counts_the_drop() {
    let data = vec![b'z'; 5000];
    // A hole at 0..100 that never fills, then more than the cap waiting behind it.
    let pieces: Vec<(usize, usize)> = (1..50).map(|i| (i * 100, 100)).collect();
    let config = ReassemblyConfig {
        max_buffered_per_direction: 1000,
        ..ReassemblyConfig::default()
    };
    let (up, _, gaps, _) = reassemble(segments_capture(&data, &pieces, 1, true, None), config);
    assert_eq!(up.len() as u64 + gaps.iter().sum::<u64>(), 5000);
    assert!(gaps[0] == 100);
}

#[test]
fn ipv6_and_vlan_and_sll2_frames_decode() {
    // IPv6 through the writer.
    let c: SocketAddr = "[2001:db8::1]:40000".parse().unwrap();
    let s: SocketAddr = "[2001:db8::2]:11211".parse().unwrap();
    let mut w = CaptureWriter::new(Vec::new(), Format::PcapNg).unwrap();
    let conn = w.open_connection(c, s, Timestamp::from_nanos(1)).unwrap();
    w.write_data(
        conn,
        Direction::ToServer,
        Timestamp::from_nanos(2),
        b"get k\r\n",
    )
    .unwrap();
    let (up, ..) = reassemble(w.into_inner(), ReassemblyConfig::default());
    assert_eq!(up, b"get k\r\n");
    // A VLAN-tagged (QinQ) Ethernet frame and the same packet as SLL2, decoded directly.
    let (c, s) = addrs();
    let mut w = CaptureWriter::new(Vec::new(), Format::Pcap).unwrap();
    w.write_tcp(
        Timestamp::from_nanos(1),
        c,
        s,
        7,
        0,
        TcpFlags {
            ack: true,
            ..Default::default()
        },
        b"hello",
        None,
    )
    .unwrap();
    let pcap = w.into_inner();
    let frame = &pcap[24 + 16..];
    let mut qinq = frame[..12].to_vec();
    qinq.extend_from_slice(&[0x88, 0xa8, 0x00, 0x05, 0x81, 0x00, 0x00, 0x07]);
    qinq.extend_from_slice(&frame[12..]);
    let seg = decode(1, &qinq, qinq.len() as u32).unwrap();
    assert_eq!((seg.src, seg.dst, seg.payload), (c, s, &b"hello"[..]));
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    sll2.extend_from_slice(&frame[14..]);
    let seg = decode(276, &sll2, sll2.len() as u32).unwrap();
    assert_eq!(seg.payload, b"hello");
    let mut sll = vec![0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&frame[14..]);
    assert_eq!(
        decode(113, &sll, sll.len() as u32).unwrap().payload,
        b"hello"
    );
    let mut null = 2u32.to_le_bytes().to_vec();
    null.extend_from_slice(&frame[14..]);
    assert_eq!(
        decode(0, &null, null.len() as u32).unwrap().payload,
        b"hello"
    );
    assert_eq!(
        decode(101, &frame[14..], frame.len() as u32 - 14)
            .unwrap()
            .payload,
        b"hello"
    );
}

#[test]
fn truncated_file_keeps_what_was_read() {
    let (c, s) = addrs();
    let mut w = CaptureWriter::new(Vec::new(), Format::Pcap).unwrap();
    let conn = w.open_connection(c, s, Timestamp::from_nanos(1)).unwrap();
    w.write_data(
        conn,
        Direction::ToServer,
        Timestamp::from_nanos(2),
        b"get k\r\n",
    )
    .unwrap();
    let mut bytes = w.into_inner();
    bytes.truncate(bytes.len() - 5);
    let mut reader = CaptureReader::new(std::io::Cursor::new(bytes)).unwrap();
    let stats = reader.for_each_frame(|_| true).unwrap();
    assert_eq!(stats.frames, 3);
    assert!(stats.truncated);
}

proptest! {
    /// Any segmentation, any order and any duplicates of one stream reassemble to the stream.
    #[test]
    fn any_segmentation_and_order_reassembles_the_same(
        len in 1usize..3000,
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..20),
        order in any::<prop::sample::Index>(),
        dups in proptest::collection::vec(any::<prop::sample::Index>(), 0..5),
        isn in any::<u32>(),
    ) {
        let data: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(len)).collect();
        points.push(0);
        points.push(len);
        points.sort_unstable();
        points.dedup();
        let mut pieces: Vec<(usize, usize)> = points.windows(2).map(|w| (w[0], w[1] - w[0])).collect();
        let rot = order.index(pieces.len());
        pieces.rotate_left(rot);
        for d in &dups {
            let p = pieces[d.index(pieces.len())];
            pieces.push(p);
        }
        let (up, _, gaps, _) = reassemble(segments_capture(&data, &pieces, isn, true, None), ReassemblyConfig::default());
        prop_assert!(gaps.is_empty());
        prop_assert_eq!(up, data);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), lt in 0u16..300) {
        let _ = decode(lt, &bytes, bytes.len() as u32 + 10);
        let mut pcap = BytesMut::new();
        pcap.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        pcap.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0]);
        pcap.extend_from_slice(&bytes);
        if let Ok(mut r) = CaptureReader::new(std::io::Cursor::new(pcap.to_vec())) {
            let mut re = Reassembler::new(ReassemblyConfig::default());
            let _ = r.for_each_frame(|f| {
                if let Ok(seg) = decode(f.linktype, f.data, f.orig_len) {
                    re.push(f.number, f.ts, &seg, &mut |_| {});
                }
                true
            });
        }
    }
}

/// One written frame (Ethernet/IPv4/TCP carrying `payload`) as raw bytes.
fn one_frame(payload: &[u8]) -> Vec<u8> {
    let (c, s) = addrs();
    let mut w = CaptureWriter::new(Vec::new(), Format::Pcap).unwrap();
    w.write_tcp(
        Timestamp::from_nanos(1),
        c,
        s,
        100,
        1,
        TcpFlags {
            ack: true,
            psh: true,
            ..Default::default()
        },
        payload,
        None,
    )
    .unwrap();
    w.into_inner()[24 + 16..].to_vec()
}

#[test]
fn big_endian_nanosecond_pcap_reads_with_exact_times() {
    let frame = one_frame(b"get k\r\n");
    let mut file = Vec::new();
    file.extend_from_slice(&0xa1b2_3c4du32.to_be_bytes()); // nanosecond magic, big-endian
    file.extend_from_slice(&2u16.to_be_bytes());
    file.extend_from_slice(&4u16.to_be_bytes());
    file.extend_from_slice(&[0; 8]);
    file.extend_from_slice(&65535u32.to_be_bytes());
    file.extend_from_slice(&1u32.to_be_bytes());
    file.extend_from_slice(&1_700_000_000u32.to_be_bytes());
    file.extend_from_slice(&123_456_789u32.to_be_bytes());
    file.extend_from_slice(&(frame.len() as u32).to_be_bytes());
    file.extend_from_slice(&(frame.len() as u32).to_be_bytes());
    file.extend_from_slice(&frame);
    let mut reader = CaptureReader::new(std::io::Cursor::new(file)).unwrap();
    let mut seen = Vec::new();
    reader
        .for_each_frame(|f| {
            seen.push((
                f.ts.as_nanos(),
                decode(f.linktype, f.data, f.orig_len)
                    .unwrap()
                    .payload
                    .to_vec(),
            ));
            true
        })
        .unwrap();
    assert_eq!(
        seen,
        vec![(1_700_000_000_123_456_789, b"get k\r\n".to_vec())]
    );
}

fn pcapng_block(kind: u32, body: &[u8]) -> Vec<u8> {
    let len = 12 + body.len().div_ceil(4) * 4;
    let mut b = kind.to_le_bytes().to_vec();
    b.extend_from_slice(&(len as u32).to_le_bytes());
    b.extend_from_slice(body);
    b.resize(len - 4, 0);
    b.extend_from_slice(&(len as u32).to_le_bytes());
    b
}

#[test]
fn pcapng_with_two_interfaces_of_different_link_types_and_resolutions() {
    let eth = one_frame(b"get a\r\n");
    let raw = eth[14..].to_vec();
    let mut file = pcapng_block(
        0x0A0D_0D0A,
        &[
            0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ],
    );
    // Interface 0: Ethernet, microseconds. Interface 1: raw IP, nanoseconds (if_tsresol = 9).
    file.extend(pcapng_block(1, &[1, 0, 0, 0, 0, 0, 4, 0]));
    file.extend(pcapng_block(
        1,
        &[101, 0, 0, 0, 0, 0, 4, 0, 9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0],
    ));
    let epb = |iface: u32, units: u64, data: &[u8]| {
        let mut body = iface.to_le_bytes().to_vec();
        body.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(units as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        pcapng_block(6, &body)
    };
    file.extend(epb(0, 1_000_000, &eth));
    file.extend(epb(1, 2_000_000_000, &raw));
    // A simple packet block (interface 0).
    let mut spb = (eth.len() as u32).to_le_bytes().to_vec();
    spb.extend_from_slice(&eth);
    file.extend(pcapng_block(3, &spb));
    let mut reader = CaptureReader::new(std::io::Cursor::new(file)).unwrap();
    let mut seen = Vec::new();
    reader
        .for_each_frame(|f| {
            seen.push((
                f.linktype,
                f.ts.as_nanos(),
                decode(f.linktype, f.data, f.orig_len)
                    .map(|s| s.payload.to_vec())
                    .ok(),
            ));
            true
        })
        .unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0], (1, 1_000_000_000, Some(b"get a\r\n".to_vec())));
    assert_eq!(seen[1], (101, 2_000_000_000, Some(b"get a\r\n".to_vec())));
    assert_eq!(seen[2].2, Some(b"get a\r\n".to_vec()));
}

#[test]
fn gzipped_capture_reads_like_the_plain_one() {
    use std::io::Write;
    let (c, s) = addrs();
    let mut w = CaptureWriter::new(Vec::new(), Format::Pcap).unwrap();
    let conn = w.open_connection(c, s, Timestamp::from_nanos(1)).unwrap();
    w.write_data(
        conn,
        Direction::ToServer,
        Timestamp::from_nanos(2),
        b"get k\r\n",
    )
    .unwrap();
    let plain = w.into_inner();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    let (up, ..) = reassemble(gz.finish().unwrap(), ReassemblyConfig::default());
    assert_eq!(up, b"get k\r\n");
}
