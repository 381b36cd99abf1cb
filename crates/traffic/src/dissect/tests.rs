//! Dissector behaviour on hand-built streams.

use std::net::SocketAddr;

use bytes::Bytes;

use super::*;
use memshark_protocol::binary::{Opcode, Request, Response, Status};
use memshark_protocol::op::Outcome;
use memshark_protocol::{ascii, meta};

fn addrs() -> (SocketAddr, SocketAddr) {
    (
        "10.0.0.1:40000".parse().unwrap(),
        "10.0.0.2:11211".parse().unwrap(),
    )
}

fn ev(dir: Direction, frame: u64, kind: StreamEventKind) -> StreamEvent {
    let (client, server) = addrs();
    StreamEvent {
        origin: Origin::new(1, client, server, dir).at(frame, Timestamp::from_nanos(frame * 1000)),
        kind,
    }
}

fn data(dir: Direction, frame: u64, bytes: &[u8]) -> StreamEvent {
    ev(
        dir,
        frame,
        StreamEventKind::Data(Bytes::copy_from_slice(bytes)),
    )
}

fn run(events: Vec<StreamEvent>) -> (Vec<Message>, DissectStats) {
    let mut d = Dissector::new();
    let mut out = Vec::new();
    for e in events {
        d.push(e, &mut |m| out.push(m));
    }
    d.finish();
    (out, d.stats())
}

/// Regression for Wireshark's first-message-only decode: three answers in one segment.
#[test]
fn pipelined_text_answers_in_one_segment_are_all_decoded_and_paired() {
    let (msgs, stats) = run(vec![
        data(Direction::ToServer, 1, b"set a 0 0 1\r\nx\r\nget a\r\n"),
        data(
            Direction::ToClient,
            2,
            b"STORED\r\nVALUE a 0 1\r\nx\r\nEND\r\n",
        ),
    ]);
    let ops: Vec<&str> = msgs.iter().map(|m| m.op_name()).collect();
    assert_eq!(ops, ["set", "get", "STORED", "VALUE", "END"]);
    assert_eq!(msgs[2].request_op, Some(ascii::Command::Set.into()));
    assert_eq!(msgs[4].request_op, Some(ascii::Command::Get.into()));
    assert_eq!(
        msgs[2].outcome(),
        Some(Outcome::Ascii(ascii::Reply::Stored))
    );
    assert_eq!(msgs[4].latency_ns, Some(1000));
    assert_eq!((stats.paired, stats.unpaired_requests), (3, 0));
}

#[test]
fn binary_quiet_pipeline_pairs_hits_and_settles_silent_misses() {
    let mut reqs = Vec::new();
    for (i, k) in [&b"hit"[..], b"miss", b"hit2"].iter().enumerate() {
        reqs.extend_from_slice(
            &Request::get_with(Opcode::GetKQ, k)
                .with_opaque(i as u32)
                .to_bytes(),
        );
    }
    reqs.extend_from_slice(&Request::noop().with_opaque(9).to_bytes());
    let mut resps = Vec::new();
    resps.extend_from_slice(
        &Response::get_hit(Opcode::GetKQ, b"hit", 0, Bytes::from_static(b"v"))
            .with_opaque(0)
            .to_bytes(),
    );
    resps.extend_from_slice(
        &Response::get_hit(Opcode::GetKQ, b"hit2", 0, Bytes::from_static(b"v"))
            .with_opaque(2)
            .to_bytes(),
    );
    resps.extend_from_slice(&Response::ok(Opcode::Noop).with_opaque(9).to_bytes());
    let (msgs, stats) = run(vec![
        data(Direction::ToServer, 1, &reqs),
        data(Direction::ToClient, 2, &resps),
    ]);
    assert_eq!(msgs.len(), 7);
    assert_eq!(msgs[4].key.as_deref(), Some(&b"hit"[..]));
    assert!(msgs[4..].iter().all(|m| m.latency_ns.is_some()));
    assert_eq!(
        stats.unpaired_requests, 0,
        "the GETKQ miss was silent, not lost"
    );
    assert_eq!(stats.unpaired_responses, 0);
}

#[test]
fn reused_opaques_pair_in_order() {
    let reqs = [
        Request::get(b"a").to_bytes(),
        Request::set(b"b", b"v", 0, 0).to_bytes(),
    ]
    .concat();
    let resps = [
        Response::error(Opcode::Get, Status::KeyNotFound).to_bytes(),
        Response::ok(Opcode::Set).to_bytes(),
    ]
    .concat();
    let (msgs, stats) = run(vec![
        data(Direction::ToServer, 1, &reqs),
        data(Direction::ToClient, 2, &resps),
    ]);
    assert_eq!(msgs[2].request_op, Some(Opcode::Get.into()));
    assert_eq!(msgs[3].request_op, Some(Opcode::Set.into()));
    assert!(msgs[2].is_miss() && !msgs[2].is_error());
    assert_eq!(stats.paired, 2);
}

#[test]
fn a_value_split_over_many_segments_is_one_message() {
    let big = vec![b'x'; 1024 * 1024];
    let wire = Request::set(b"big", &big, 0, 0).to_bytes();
    let events: Vec<StreamEvent> = wire
        .chunks(1448)
        .enumerate()
        .map(|(i, c)| data(Direction::ToServer, i as u64 + 1, c))
        .collect();
    let (msgs, _) = run(events);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].value_len, Some(1024 * 1024));
    assert_eq!(msgs[0].origin.frame, 1);
    let last = wire.len().div_ceil(1448) as u64;
    assert_eq!(msgs[0].frames(), 1..=last, "the frames that carried it");
    assert!(msgs[0].problem.is_none());
}

#[test]
fn each_message_knows_the_frame_that_completed_it() {
    let (msgs, _) = run(vec![
        data(Direction::ToServer, 3, b"set a 0 0 5\r\nxy"),
        data(Direction::ToServer, 4, b"z"),
        data(Direction::ToServer, 6, b"vw\r\nget a\r\nget"),
        data(Direction::ToServer, 9, b" b\r\n"),
    ]);
    let frames: Vec<_> = msgs.iter().map(|m| m.frames()).collect();
    assert_eq!(frames, [3..=6, 6..=6, 6..=9]);
}

#[test]
fn gap_inside_a_binary_value_keeps_the_stream_in_sync() {
    let wire = Request::set(b"k", &[b'v'; 1000], 0, 0).to_bytes();
    let next = Request::get(b"after").to_bytes();
    let (msgs, _) = run(vec![
        data(Direction::ToServer, 1, &wire[..100]),
        ev(Direction::ToServer, 2, StreamEventKind::Gap(500)),
        data(Direction::ToServer, 3, &wire[600..]),
        data(Direction::ToServer, 4, &next),
    ]);
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0].problem, Some(Problem::GapInValue { bytes: 500 }));
    assert_eq!(msgs[0].op_name(), "set");
    assert_eq!(msgs[1].key.as_deref(), Some(&b"after"[..]));
    assert!(msgs[1].problem.is_none());
}

#[test]
fn garbage_is_flagged_and_decoding_resyncs() {
    let mut bytes = Request::get(b"a").to_bytes().to_vec();
    bytes.extend_from_slice(b"\x80\xffgarbage garbage");
    bytes.extend_from_slice(&Request::get(b"b").to_bytes());
    let (msgs, stats) = run(vec![data(Direction::ToServer, 1, &bytes)]);
    let keys: Vec<_> = msgs.iter().filter_map(|m| m.key.clone()).collect();
    assert_eq!(keys, [Bytes::from_static(b"a"), Bytes::from_static(b"b")]);
    assert_eq!(stats.malformed, 1);
    let (msgs, _) = run(vec![data(
        Direction::ToServer,
        1,
        b"get a\r\n\x01\x02junk\r\nget b\r\n",
    )]);
    let ops: Vec<_> = msgs.iter().map(|m| m.op_name()).collect();
    assert_eq!(ops, ["get", "malformed", "get"]);
    assert!(matches!(
        msgs[1].problem,
        Some(Problem::Malformed(Malformed::Text { .. }))
    ));
}

#[test]
fn text_gap_then_mid_line_resumes_at_the_next_command() {
    let (msgs, _) = run(vec![
        data(Direction::ToServer, 1, b"get a\r\nset b 0 0 5\r\nhel"),
        ev(Direction::ToServer, 2, StreamEventKind::Gap(4)),
        data(Direction::ToServer, 3, b"\r\nget c\r\n"),
    ]);
    let ops: Vec<_> = msgs.iter().map(|m| m.op_name()).collect();
    assert_eq!(ops.first(), Some(&"get"));
    assert_eq!(ops.last(), Some(&"get"));
    assert!(msgs.iter().any(|m| m.problem.is_some()));
}

#[test]
fn meta_quiet_requests_are_settled_by_mn() {
    let (msgs, stats) = run(vec![
        data(
            Direction::ToServer,
            1,
            b"mg a v q O1\r\nmg b v q O2\r\nmn\r\n",
        ),
        data(Direction::ToClient, 2, b"VA 1 O2\r\nx\r\nMN\r\n"),
    ]);
    assert_eq!(msgs[3].request_op, Some(meta::Command::Get.into()));
    assert_eq!(msgs[3].opaque, Some(2));
    assert_eq!(msgs[4].request_op, Some(meta::Command::Noop.into()));
    assert_eq!((stats.unpaired_requests, stats.unpaired_responses), (0, 0));
}

#[test]
fn udp_frame_header_is_skipped() {
    let (client, server) = addrs();
    let mut d = Dissector::new();
    let mut out = Vec::new();
    let mut dgram = vec![0, 1, 0, 0, 0, 1, 0, 0];
    dgram.extend_from_slice(b"get k\r\n");
    d.push(
        StreamEvent {
            origin: Origin::new(0, client, server, Direction::ToServer).at(1, Timestamp::default()),
            kind: StreamEventKind::Datagram(Bytes::from(dgram)),
        },
        &mut |m| out.push(m),
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].key.as_deref(), Some(&b"k"[..]));
}

proptest::proptest! {
    /// However the same stream is cut into chunks, the messages are the same.
    #[test]
    fn any_chunking_gives_the_same_messages(cuts in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 0..12)) {
        let mut stream = Vec::new();
        stream.extend_from_slice(&Request::set(b"k1", b"value", 1, 2).to_bytes());
        stream.extend_from_slice(&Request::get_with(Opcode::GetKQ, b"k2").to_bytes());
        stream.extend_from_slice(&Request::noop().to_bytes());
        stream.extend_from_slice(&Request::incr(b"n", 1, 0, 0).to_bytes());
        let whole = run(vec![data(Direction::ToServer, 1, &stream)]).0;
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(stream.len())).collect();
        points.push(0);
        points.push(stream.len());
        points.sort_unstable();
        points.dedup();
        let events = points.windows(2).map(|w| data(Direction::ToServer, 1, &stream[w[0]..w[1]])).collect();
        let split = run(events).0;
        proptest::prop_assert_eq!(whole.len(), split.len());
        for (a, b) in whole.iter().zip(&split) {
            proptest::prop_assert_eq!(&a.raw, &b.raw);
            proptest::prop_assert_eq!(a.op, b.op);
            proptest::prop_assert_eq!(a.problem, b.problem);
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..500), gap in 0u64..100) {
        let _ = run(vec![
            data(Direction::ToServer, 1, &bytes),
            ev(Direction::ToServer, 2, StreamEventKind::Gap(gap)),
            data(Direction::ToClient, 3, &bytes),
            data(Direction::ToServer, 4, &bytes),
            ev(Direction::ToServer, 5, StreamEventKind::Closed { reset: false }),
            ev(Direction::ToClient, 5, StreamEventKind::Closed { reset: true }),
        ]);
    }
}

/// Regression (found by the dissector fuzz target): a gap after a direction had closed
/// overflowed the stream offset, which the close had set to its maximum as a marker.
#[test]
fn gap_after_close_does_not_overflow() {
    let _ = run(vec![
        data(Direction::ToServer, 1, b"\x80"),
        ev(
            Direction::ToServer,
            2,
            StreamEventKind::Closed { reset: false },
        ),
        ev(Direction::ToServer, 3, StreamEventKind::Gap(u64::MAX)),
        data(Direction::ToServer, 4, b"get a\r\n"),
    ]);
}

/// The fuzz target's crashing input (kept in `fuzz/regressions/`, where
/// `tests/fuzz_regressions.rs` replays it with the rest), through the target's body.
#[test]
fn fuzz_regression_dissector_gap_after_close() {
    crate::fuzzing::dissector(include_bytes!(
        "../../../../fuzz/regressions/dissector-gap-after-close.bin"
    ));
}

#[test]
fn a_quiet_meta_request_is_not_given_another_commands_answer() {
    // mg q suppresses EN and md q suppresses HD/NF: the NF is ma's, the MN is mn's.
    let (msgs, stats) = run(vec![
        data(
            Direction::ToServer,
            1,
            b"ms k 5\r\nhello\r\nmg k v\r\nmg absent v q\r\nmd k q\r\nma k\r\nmn\r\n",
        ),
        data(
            Direction::ToClient,
            2,
            b"HD\r\nVA 5\r\nhello\r\nNF\r\nMN\r\n",
        ),
    ]);
    let answers: Vec<_> = msgs
        .iter()
        .filter(|m| m.kind() == crate::dissect::Kind::Response)
        .map(|m| (m.op_name(), m.request_op.map(Op::name), m.txn))
        .collect();
    assert_eq!(
        answers,
        [
            ("HD", Some("ms"), Some(0)),
            ("VA", Some("mg"), Some(1)),
            ("NF", Some("ma"), Some(4)),
            ("MN", Some("mn"), Some(5)),
        ]
    );
    assert_eq!((stats.unpaired_requests, stats.unpaired_responses), (0, 0));
}

#[test]
fn quiet_gets_sharing_one_opaque_pair_by_key() {
    // Load generators often leave every opaque at 0: the hit for "b" must not go to "a",
    // whose miss was silent.
    let mut reqs = Vec::new();
    for k in [&b"a"[..], b"b"] {
        reqs.extend_from_slice(&Request::get_with(Opcode::GetKQ, k).to_bytes());
    }
    reqs.extend_from_slice(&Request::noop().to_bytes());
    let mut resps = Vec::new();
    resps.extend_from_slice(
        &Response::get_hit(Opcode::GetKQ, b"b", 0, Bytes::from_static(b"v")).to_bytes(),
    );
    resps.extend_from_slice(&Response::ok(Opcode::Noop).to_bytes());
    let (msgs, _) = run(vec![
        data(Direction::ToServer, 1, &reqs),
        data(Direction::ToClient, 2, &resps),
    ]);
    let hit = msgs
        .iter()
        .find(|m| m.kind() == crate::dissect::Kind::Response && m.key.is_some())
        .unwrap();
    assert_eq!(hit.txn, Some(1), "paired with the request for b");
}
