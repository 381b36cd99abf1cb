//! The plan's pipelining and ordering, and pacing, on hand-made traffic.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use memshark_protocol::binary::{Opcode, Request, Status};
use memshark_traffic::capture::{Direction, Origin, Timestamp};
use memshark_traffic::dissect::{Kind, Message, Proto};
use memshark_traffic::filter::Filter;

fn msg(conn: u64, kind: Kind, txn: u64, ms: u64) -> Message {
    let a = "10.0.0.1:40000".parse().unwrap();
    let s = "10.0.0.2:11211".parse().unwrap();
    let dir = if kind == Kind::Request {
        Direction::ToServer
    } else {
        Direction::ToClient
    };
    let origin =
        Origin::new(conn, a, s, dir).at(0, Timestamp::from_nanos(1_000_000_000 + ms * 1_000_000));
    let mut m = Message::new(origin, Proto::Binary).with_op(Opcode::Noop);
    m.txn = Some(txn);
    if kind == Kind::Request {
        m.raw = Request::noop().with_opaque(txn as u32).to_bytes();
    } else {
        m.status = Some(Status::NoError);
    }
    m
}

#[test]
fn the_plan_keeps_pipelining_and_cross_connection_order() {
    use Kind::*;
    // Conn 1 pipelines two requests (0 ms), both answered at 1 ms, then a third at 2 ms.
    // Conn 2 sends at 3 ms, after all of conn 1's answers.
    let msgs = vec![
        msg(1, Request, 0, 0),
        msg(1, Request, 1, 0),
        msg(1, Response, 0, 1),
        msg(1, Response, 1, 1),
        msg(1, Request, 2, 2),
        msg(1, Response, 2, 3),
        msg(2, Request, 3, 3),
        msg(2, Response, 3, 4),
    ];
    let plan = Plan::from_messages(msgs, &Filter::all());
    assert_eq!(plan.conns.len(), 2);
    let c1: Vec<_> = plan.conns[0]
        .exchanges
        .iter()
        .map(|e| e.settled_before)
        .collect();
    assert_eq!(c1, [0, 0, 2]);
    let e = &plan.conns[1].exchanges[0];
    assert_eq!((e.settled_before, e.answered_anywhere_before), (0, 3));
    assert_eq!(plan.conns[0].exchanges[2].answer_rank, Some(2));
    // A filter takes whole exchanges.
    let only_conn2 = Plan::from_messages(
        vec![msg(1, Request, 0, 0), msg(2, Request, 1, 1)],
        &Filter::parse("flow == 2").unwrap(),
    );
    assert_eq!((only_conn2.requests(), only_conn2.skipped), (1, 1));
}

fn keyed(conn: u64, kind: Kind, txn: u64, ms: u64, op: &'static str, key: &'static str) -> Message {
    let mut m = msg(conn, kind, txn, ms).with_op(Opcode::from_name(op).expect("an opcode"));
    m.key = Some(bytes::Bytes::from_static(key.as_bytes()));
    m
}

#[test]
fn overlapping_writes_from_two_connections_mark_their_key_raced() {
    use Kind::*;
    let msgs = vec![
        keyed(1, Request, 0, 0, "set", "k"), // in flight 0–2 ms
        keyed(2, Request, 1, 1, "get", "k"), // 1–3 ms: overlaps the set
        keyed(3, Request, 2, 1, "get", "m"), // two reads of m overlap: no race
        keyed(4, Request, 3, 1, "get", "m"),
        keyed(1, Response, 0, 2, "set", "k"),
        keyed(2, Response, 1, 3, "get", "k"),
        keyed(3, Response, 2, 3, "get", "m"),
        keyed(4, Response, 3, 3, "get", "m"),
        keyed(2, Request, 4, 5, "get", "j"), // alone on j
        keyed(2, Response, 4, 6, "get", "j"),
        keyed(1, Request, 5, 10, "get", "k"), // after the race: k's value is the race's
        keyed(1, Response, 5, 11, "get", "k"),
    ];
    let plan = Plan::from_messages(msgs, &Filter::all());
    let raced: Vec<(u64, &[u8], bool)> = plan
        .conns
        .iter()
        .flat_map(|c| {
            c.exchanges.iter().map(move |e| {
                (
                    c.conn,
                    e.request.key.as_deref().unwrap_or_default(),
                    e.raced,
                )
            })
        })
        .collect();
    assert_eq!(
        raced,
        [
            (1, &b"k"[..], true),
            (1, &b"k"[..], true),
            (2, &b"k"[..], true),
            (2, &b"j"[..], false),
            (3, &b"m"[..], false),
            (4, &b"m"[..], false),
        ]
    );
}

#[tokio::test]
async fn pacing_follows_the_capture_scaled_by_speed() {
    use Kind::*;
    let server = memshark_server::Server::bind(memshark_server::ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    })
    .await
    .unwrap();
    let addr = server.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = stop_rx.await;
    }));
    let mut msgs = Vec::new();
    for i in 0..4u64 {
        msgs.push(msg(1, Request, i, i * 100));
        msgs.push(msg(1, Response, i, i * 100 + 1));
    }
    let plan = Plan::from_messages(msgs, &Filter::all());
    for (speed, min_ms, max_ms) in [
        (Some(1.0), 290, 2000),
        (Some(10.0), 28, 250),
        (None, 0, 150),
    ] {
        let cfg = ReplayConfig {
            speed,
            // Shorter than the gaps between requests: the wait for the last answer runs from
            // its send, not from the previous answer.
            answer_timeout: Duration::from_millis(50),
            ..ReplayConfig::to(addr)
        };
        let t = Instant::now();
        let r = replay(&plan, &cfg, Arc::default()).await.unwrap();
        let ms = t.elapsed().as_millis() as u64;
        assert_eq!((r.sent, r.identical), (4, 4), "{}", r.to_text());
        assert!((min_ms..max_ms).contains(&ms), "speed {speed:?}: {ms} ms");
    }
    let _ = stop_tx.send(());
}
