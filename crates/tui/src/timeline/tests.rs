//! The store and the view, against real captures and hand-made streams.

use std::path::Path;

use super::store::{ERROR, MISS, MULTIKEY, NONE, QUIET};
use super::*;
use memshark_traffic::capture::{Direction, Origin, StreamEvent, StreamEventKind, Timestamp};
use memshark_traffic::dissect::{Dissector, Kind, Message};

fn load(path: &str) -> (Store, Vec<Message>) {
    let mut store = Store::new();
    let mut msgs = Vec::new();
    memshark_traffic::pipeline::dissect_file(Path::new(path), &[11211], &mut |_| {}, &mut |m| {
        store.push(&m);
        msgs.push(m);
        true
    })
    .unwrap();
    (store, msgs)
}

fn dissect(to_server: &[u8], to_client: &[u8]) -> Vec<Message> {
    let client = "10.0.0.1:40000".parse().unwrap();
    let server = "10.0.0.2:11211".parse().unwrap();
    let mut d = Dissector::new();
    let mut out = Vec::new();
    for (i, (dir, bytes)) in [
        (Direction::ToServer, to_server),
        (Direction::ToClient, to_client),
    ]
    .into_iter()
    .enumerate()
    {
        d.push(
            StreamEvent {
                origin: Origin::new(1, client, server, dir).at(
                    i as u64 + 1,
                    Timestamp::from_nanos(1_000_000_000 + i as u64 * 250_000),
                ),
                kind: StreamEventKind::Data(bytes::Bytes::copy_from_slice(bytes)),
            },
            &mut |m| out.push(m),
        );
    }
    out
}

#[test]
fn one_row_per_request_and_per_unpaired_message() {
    for f in ["binary", "ascii", "meta", "large", "any-sll2"] {
        let (store, msgs) = load(&format!("../../fixtures/{f}.pcap"));
        let requests = msgs.iter().filter(|m| m.kind() == Kind::Request).count();
        let unpaired = msgs
            .iter()
            .filter(|m| m.kind() == Kind::Response && m.txn.is_none())
            .count();
        assert_eq!(store.len(), requests + unpaired, "{f}");
        // Every paired response is in its request's row.
        let in_rows: usize = store
            .txns()
            .iter()
            .map(|t| store.responses(t).count())
            .sum();
        let responses = msgs.iter().filter(|m| m.kind() == Kind::Response).count();
        assert_eq!(in_rows, responses, "{f}");
        // Every message's bytes are kept exactly.
        let kept: u64 = store
            .txns()
            .iter()
            .flat_map(|t| {
                let req = (t.req != NONE).then(|| store.bytes(t.req).len());
                req.into_iter()
                    .chain(store.responses(t).map(|(i, _)| store.bytes(i).len()))
            })
            .map(|n| n as u64)
            .sum();
        let raw: u64 = msgs.iter().map(|m| m.raw.len() as u64).sum();
        assert_eq!(kept, raw, "{f}");
    }
}

#[test]
fn a_text_multi_get_is_one_row_with_all_its_keys_and_values() {
    let msgs = dissect(
        b"get a b c\r\n",
        b"VALUE a 0 2\r\nxx\r\nVALUE c 0 3\r\nyyy\r\nEND\r\n",
    );
    let mut store = Store::new();
    for m in &msgs {
        store.push(m);
    }
    assert_eq!(store.len(), 1);
    let t = store.txns()[0];
    assert!(t.has(MULTIKEY));
    assert_eq!(store.keys(&t).collect::<Vec<_>>(), [&b"a"[..], b"b", b"c"]);
    assert_eq!(t.nresp, 3);
    assert_eq!(t.size, 5);
    assert_eq!(t.status(), Some(0));
    assert_eq!(store.status_name(&t), Some("VALUE"));
    assert_eq!(t.latency(), Some(250_000));
}

#[test]
fn misses_errors_and_quiet_requests_are_flagged() {
    let msgs = dissect(
        b"get nope\r\nincr k 1\r\nbogus\r\nset q 0 0 1 noreply\r\nx\r\n",
        b"END\r\nNOT_FOUND\r\nERROR\r\n",
    );
    let mut store = Store::new();
    for m in &msgs {
        store.push(m);
    }
    let t = store.txns();
    assert_eq!(t.len(), 4);
    assert!(t[0].has(MISS) && store.status_name(&t[0]) == Some("END (miss)"));
    assert!(t[1].has(MISS) && t[1].status() == Some(1));
    assert!(t[2].has(ERROR) && t[2].status() == Some(0x81));
    assert!(t[3].has(QUIET) && t[3].resp == NONE);
    assert_eq!(t[3].size, 1);
}

#[test]
fn binary_rows_keep_status_key_and_size() {
    let (store, _) = load("../../fixtures/binary.pcap");
    let gets: Vec<_> = store
        .txns()
        .iter()
        .filter(|t| store.op(t) == "get" && t.resp != NONE)
        .collect();
    assert!(!gets.is_empty());
    for t in gets {
        assert!(!store.key(t).is_empty());
        match t.status() {
            Some(0) => assert!(t.size > 0 && !t.has(MISS)),
            Some(1) => assert!(t.has(MISS) && store.status_name(t) == Some("KEY_ENOENT")),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn records_stay_compact() {
    assert_eq!(std::mem::size_of::<Txn>(), 40);
    assert_eq!(std::mem::size_of::<MsgRec>(), 16);
}

#[test]
fn trimming_keeps_the_newest_rows_whole() {
    let (mut store, _) = load("../../fixtures/ascii.pcap");
    let before: Vec<(String, Vec<u8>, Option<u64>)> = store
        .txns()
        .iter()
        .map(|t| (store.op(t).to_string(), store.key(t).to_vec(), t.latency()))
        .collect();
    let n = store.len();
    let dropped = store.trim(100, 60);
    assert_eq!(dropped, n - 60);
    assert_eq!(store.len(), 60);
    assert_eq!(store.evicted, dropped as u64);
    let after: Vec<_> = store
        .txns()
        .iter()
        .map(|t| (store.op(t).to_string(), store.key(t).to_vec(), t.latency()))
        .collect();
    assert_eq!(after, before[n - 60..]);
    assert_eq!(store.trim(100, 60), 0, "under the limit: nothing goes");
}

#[test]
fn view_filters_sorts_and_catches_up() {
    let (store, _) = load("../../fixtures/binary.pcap");
    let mut view = View::new();
    view.catch_up(&store);
    assert_eq!(view.len(), store.len());
    view.set_filter(
        memshark_traffic::filter::Filter::parse("status == 1").unwrap(),
        &store,
    );
    assert!(!view.is_empty() && view.len() < store.len());
    assert!(view.rows().iter().all(|&r| store.txn(r).unwrap().has(MISS)));
    view.set_filter(memshark_traffic::filter::Filter::all(), &store);
    view.set_sort(SortKey::Latency, true, &store);
    let lat: Vec<u64> = view
        .rows()
        .iter()
        .map(|&r| store.txn(r).unwrap().latency().unwrap_or(0))
        .collect();
    assert!(lat.windows(2).all(|w| w[0] >= w[1]));
    let first = view.row(0).unwrap();
    assert_eq!(view.position_of(first), Some(0));
}

#[test]
fn flows_colliding_under_fxhash_are_indexed_as_fast_as_random_ones() {
    use memshark_traffic::dissect::Proto;
    use memshark_traffic::hash::collisions::{assert_no_slowdown, fx_colliding_v6, random_v6, N};
    use std::hash::Hasher;
    let server: std::net::SocketAddr = "[::1]:11211".parse().unwrap();
    // One request per connection `i + 1` from client `i`; the flow key is (conn, client,
    // server), so the crafted clients cancel the connection number.
    let requests = |clients: Vec<std::net::SocketAddr>| -> Vec<Message> {
        clients
            .into_iter()
            .zip(1u64..)
            .map(|(c, conn)| {
                let mut m = Message::new(
                    Origin::new(conn, c, server, Direction::ToServer),
                    Proto::Ascii,
                );
                m.raw = bytes::Bytes::from_static(b"get k\r\n");
                m
            })
            .collect()
    };
    let random = requests(random_v6(N, 40000));
    let crafted = requests(fx_colliding_v6(N, 40000, |i, h| h.write_u64(i as u64 + 1)));
    assert_no_slowdown(
        "timeline flow index",
        &random[..],
        &crafted[..],
        |msgs, deadline| {
            let mut store = Store::new();
            // Each flow twice: a new one, then a lookup.
            for _ in 0..2 {
                for (i, m) in msgs.iter().enumerate() {
                    store.push(m);
                    if i % 1024 == 0 && deadline.passed() {
                        return false;
                    }
                }
            }
            // Flows are numbered in order of first appearance.
            assert_eq!(store.flows().len(), msgs.len());
            assert!(store
                .flows()
                .iter()
                .zip(msgs)
                .all(|(f, m)| f.client == m.origin.client));
            true
        },
    );
}
