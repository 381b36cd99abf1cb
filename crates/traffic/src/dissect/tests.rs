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

#[test]
fn a_rejected_command_is_shown_with_its_op_key_and_reason() {
    let (msgs, _) = run(vec![
        data(Direction::ToServer, 1, b"delete a b c d e\r\nfoo bar\r\n"),
        data(
            Direction::ToClient,
            2,
            b"CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\nERROR\r\n",
        ),
    ]);
    assert_eq!(msgs[0].op_name(), "delete");
    assert_eq!(msgs[0].key.as_deref(), Some(&b"a"[..]));
    assert!(matches!(
        msgs[0].problem,
        Some(Problem::Malformed(Malformed::Text {
            kind: memshark_protocol::ascii::ErrorKind::BadFormat,
            ..
        }))
    ));
    assert!(msgs[0]
        .problem
        .is_some_and(|p| p.to_string().contains("CLIENT_ERROR")));
    // A line whose first word is no command stays unnamed.
    assert_eq!((msgs[1].op, msgs[1].op_name()), (None, "malformed"));
    // The answer pairs with the rejected command.
    assert_eq!(msgs[2].request_op_name(), Some("delete"));
}

#[test]
fn a_capture_that_starts_inside_a_binary_value_finds_the_first_real_message() {
    let set = Request::set(b"k", &[0x80; 3000], 0, 0).to_bytes();
    let get = Request::get(b"next").with_opaque(7).to_bytes();
    let hit = Response::ok(Opcode::Get).with_opaque(7).to_bytes();
    let mut up = set[1000..].to_vec();
    up.extend_from_slice(&get);
    let (msgs, stats) = run(vec![
        data(Direction::ToServer, 1, &up),
        data(Direction::ToClient, 2, &hit),
    ]);
    let ops: Vec<_> = msgs.iter().map(|m| m.op_name()).collect();
    assert_eq!(ops, ["gap", "get", "get"], "{msgs:?}");
    assert_eq!(
        msgs[0].problem,
        Some(Problem::Skipped {
            bytes: 24 + 8 + 1 + 3000 - 1000
        })
    );
    assert_eq!(msgs[2].request_op, Some(Opcode::Get.into()));
    assert_eq!(stats.skipped_bytes, 2033);
}

#[test]
fn after_a_gap_an_answer_is_taken_only_with_a_pending_requests_opaque() {
    // The get's answer lost its header to the gap; its value holds a well-formed header with
    // an opaque no request carries, then the real next answer follows.
    let fake = Response::ok(Opcode::Set).with_opaque(999).to_bytes();
    let mut value = vec![b'v'; 100];
    value.extend_from_slice(&fake);
    value.extend_from_slice(&[b'v'; 100]);
    let reqs = [
        Request::get(b"a").with_opaque(1).to_bytes(),
        Request::delete(b"b").with_opaque(2).to_bytes(),
    ]
    .concat();
    let answer = Response::ok(Opcode::Delete).with_opaque(2).to_bytes();
    let mut down = value.clone();
    down.extend_from_slice(&answer);
    let (msgs, _) = run(vec![
        data(Direction::ToServer, 1, &reqs),
        data(Direction::ToClient, 2, &[0x81, 0, 0, 0]),
        ev(Direction::ToClient, 3, StreamEventKind::Gap(50)),
        data(Direction::ToClient, 4, &down),
    ]);
    let answers: Vec<_> = msgs
        .iter()
        .filter(|m| m.kind() == Kind::Response && m.op.is_some())
        .collect();
    assert_eq!(answers.len(), 1, "{msgs:?}");
    assert_eq!(answers[0].opaque, Some(2));
    assert_eq!(answers[0].request_op, Some(Opcode::Delete.into()));
}

#[test]
fn text_answers_after_a_gap_pair_with_the_request_they_can_answer() {
    // The answer to `get a` is lost: STORED cannot be a get's, so the get is closed as
    // unanswered and STORED pairs with the set.
    let (msgs, stats) = run(vec![
        data(Direction::ToServer, 1, b"get a\r\nset b 0 0 1\r\nx\r\n"),
        data(Direction::ToClient, 2, b"VAL"),
        ev(Direction::ToClient, 3, StreamEventKind::Gap(20)),
        data(Direction::ToClient, 4, b"STORED\r\n"),
    ]);
    let stored = msgs
        .iter()
        .find(|m| m.op_name() == "STORED")
        .expect("STORED");
    assert_eq!(stored.request_op, Some(ascii::Command::Set.into()));
    assert_eq!(stats.unpaired_requests, 1);
    // The `set` is lost: its STORED is shown unpaired, and the get keeps waiting for its
    // own answer.
    let (msgs, stats) = run(vec![
        data(Direction::ToServer, 1, b"set b 0"),
        ev(Direction::ToServer, 2, StreamEventKind::Gap(12)),
        data(Direction::ToServer, 3, b"get a\r\n"),
        data(Direction::ToClient, 4, b"STORED\r\nEND\r\n"),
    ]);
    let stored = msgs
        .iter()
        .find(|m| m.op_name() == "STORED")
        .expect("STORED");
    assert_eq!((stored.request_op, stored.txn), (None, None));
    let end = msgs.iter().find(|m| m.op_name() == "END").expect("END");
    assert_eq!(end.request_op, Some(ascii::Command::Get.into()));
    assert_eq!((stats.unpaired_responses, stats.unpaired_requests), (1, 0));
}

/// A memcached UDP datagram: the 8-byte frame header, then `body`.
fn udp(
    dir: Direction,
    frame: u64,
    client: &str,
    id: u16,
    seq: u16,
    count: u16,
    body: &[u8],
) -> StreamEvent {
    let mut d = Vec::new();
    for w in [id, seq, count, 0] {
        d.extend_from_slice(&w.to_be_bytes());
    }
    d.extend_from_slice(body);
    let server: SocketAddr = "10.0.0.2:11211".parse().unwrap();
    StreamEvent {
        origin: Origin::new(0, client.parse().unwrap(), server, dir)
            .at(frame, Timestamp::from_nanos(frame * 1000)),
        kind: StreamEventKind::Datagram(Bytes::from(d)),
    }
}

#[test]
fn udp_answers_pair_with_their_request_by_id_with_latency() {
    let (a, b) = ("10.0.0.1:5000", "10.0.0.3:5000");
    let (msgs, stats) = run(vec![
        udp(Direction::ToServer, 1, a, 7, 0, 1, b"get k\r\n"),
        // Another client uses the same request id.
        udp(Direction::ToServer, 2, b, 7, 0, 1, b"delete j\r\n"),
        udp(Direction::ToClient, 5, b, 7, 0, 1, b"DELETED\r\n"),
        udp(
            Direction::ToClient,
            9,
            a,
            7,
            0,
            1,
            b"VALUE k 0 1\r\nx\r\nEND\r\n",
        ),
        // An answer nobody asked for (its request was not captured).
        udp(Direction::ToClient, 10, a, 8, 0, 1, b"STORED\r\n"),
    ]);
    let ops: Vec<_> = msgs
        .iter()
        .map(|m| (m.op_name(), m.request_op.map(Op::name), m.latency_ns))
        .collect();
    assert_eq!(
        ops,
        [
            ("get", None, None),
            ("delete", None, None),
            ("DELETED", Some("delete"), Some(3000)),
            ("VALUE", Some("get"), Some(8000)),
            ("END", Some("get"), Some(8000)),
            ("STORED", None, None),
        ]
    );
    assert_eq!(msgs[3].txn, msgs[0].txn);
    assert_eq!(msgs[2].txn, msgs[1].txn);
    assert_eq!(
        (
            stats.paired,
            stats.unpaired_responses,
            stats.unpaired_requests
        ),
        (3, 1, 0)
    );
}

#[test]
fn a_udp_answer_in_several_datagrams_is_put_together_in_order() {
    let value: Vec<u8> = (0..3000).map(|i| b'a' + (i % 26) as u8).collect();
    let mut answer = b"VALUE big 5 3000\r\n".to_vec();
    answer.extend_from_slice(&value);
    answer.extend_from_slice(b"\r\nEND\r\n");
    let parts: Vec<&[u8]> = answer.chunks(1400).collect();
    assert_eq!(parts.len(), 3);
    let c = "10.0.0.1:5000";
    let (msgs, stats) = run(vec![
        udp(Direction::ToServer, 1, c, 3, 0, 1, b"get big\r\n"),
        udp(Direction::ToClient, 4, c, 3, 2, 3, parts[2]),
        udp(Direction::ToClient, 2, c, 3, 0, 3, parts[0]),
        udp(Direction::ToClient, 3, c, 3, 1, 3, parts[1]),
        // An answer whose middle datagram was lost stays unfinished.
        udp(Direction::ToServer, 5, c, 4, 0, 1, b"get big\r\n"),
        udp(Direction::ToClient, 6, c, 4, 0, 3, parts[0]),
        udp(Direction::ToClient, 8, c, 4, 2, 3, parts[2]),
    ]);
    let value_msg = msgs.iter().find(|m| m.op_name() == "VALUE").expect("VALUE");
    assert_eq!(value_msg.value_len, Some(3000));
    assert_eq!(value_msg.key.as_deref(), Some(&b"big"[..]));
    assert_eq!(value_msg.flags, Some(5));
    assert_eq!(value_msg.origin.frame, 2, "the first datagram's frame");
    assert_eq!(value_msg.latency_ns, Some(1000));
    assert!(msgs
        .iter()
        .any(|m| m.op_name() == "END" && m.request_op.is_some()));
    assert_eq!(stats.udp_multi_datagram_answers, 1);
    assert_eq!(
        (stats.udp_unfinished_answers, stats.unpaired_requests),
        (1, 1)
    );
}

#[test]
fn a_multi_get_line_longer_than_a_segment_at_the_start_of_a_capture_is_not_skipped() {
    let mut line = b"get".to_vec();
    for i in 0..400 {
        line.extend_from_slice(format!(" key:{i}").as_bytes());
    }
    line.extend_from_slice(b"\r\n");
    assert!(line.len() > 3000);
    let events: Vec<StreamEvent> = line
        .chunks(1448)
        .enumerate()
        .map(|(i, c)| data(Direction::ToServer, i as u64 + 1, c))
        .collect();
    let (msgs, _) = run(events);
    // Resync waits for the line (it opens with a command word) rather than skipping it; the
    // decoder's line limit then has its say, and the command keeps its name.
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_eq!(msgs[0].op_name(), "get");
    assert_eq!(msgs[0].key.as_deref(), Some(&b"key:0"[..]));
}

#[test]
fn after_lost_answers_a_value_pairs_with_the_get_of_its_key() {
    // The answers to `get a` and `get b` are lost; `c`'s VALUE pairs with `get c`, and the two
    // gets before it are closed as unanswered.
    let (msgs, stats) = run(vec![
        data(Direction::ToServer, 1, b"get a\r\nget b\r\nget c\r\n"),
        data(Direction::ToClient, 2, b"VALUE a 0 1\r\n"),
        ev(Direction::ToClient, 3, StreamEventKind::Gap(30)),
        data(Direction::ToClient, 4, b"VALUE c 0 1\r\nz\r\nEND\r\n"),
    ]);
    let value = msgs
        .iter()
        .find(|m| m.op_name() == "VALUE" && m.problem.is_none())
        .expect("VALUE c");
    let get_c = msgs
        .iter()
        .find(|m| m.key.as_deref() == Some(&b"c"[..]) && m.kind() == Kind::Request);
    assert_eq!(value.txn, get_c.and_then(|m| m.txn));
    assert_eq!(stats.unpaired_requests, 2);
}

#[test]
fn an_http_probe_at_the_start_is_shown_as_the_malformed_line_it_is() {
    let (msgs, _) = run(vec![data(
        Direction::ToServer,
        1,
        b"GET / HTTP/1.1\r\nHost: cache\r\n\r\n",
    )]);
    assert!(
        matches!(msgs[0].problem, Some(Problem::Malformed(_))),
        "{msgs:?}"
    );
    assert_eq!(msgs[0].raw.as_ref(), b"GET / HTTP/1.1\r\n");
}
