//! UDP memcached against Debian's memcached: real datagrams (requests, answers of one and of
//! several datagrams) are written to a capture as they were exchanged, and the dissector pairs
//! every answer with its request by request id, with latency, the multi-datagram answer put
//! together whole.

mod support;

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use memshark::capture::{CaptureWriter, Format, Timestamp};
use memshark::dissect::Message;
use memshark::pipeline::dissect_file;
use support::{exchange, free_port, Memcached};

fn frame_header(id: u16, seq: u16, count: u16) -> [u8; 8] {
    let mut h = [0; 8];
    h[0..2].copy_from_slice(&id.to_be_bytes());
    h[2..4].copy_from_slice(&seq.to_be_bytes());
    h[4..6].copy_from_slice(&count.to_be_bytes());
    h
}

fn now(start: Instant) -> Timestamp {
    Timestamp::from_nanos(1_800_000_000_000_000_000 + start.elapsed().as_nanos() as u64)
}

#[test]
fn udp_answers_of_real_memcached_pair_with_their_requests() {
    let udp_port = free_port();
    let mc = Memcached::start(&["-U", &udp_port.to_string()]);
    let big: Vec<u8> = (0..5000).map(|i| b'a' + (i % 26) as u8).collect();
    let mut set = format!("set big 3 0 {}\r\n", big.len()).into_bytes();
    set.extend_from_slice(&big);
    set.extend_from_slice(b"\r\nset small 0 0 2\r\nhi\r\n");
    exchange(mc.addr(), &set, b"STORED\r\nSTORED\r\n");

    let server = SocketAddr::from(([127, 0, 0, 1], udp_port));
    let sock = UdpSocket::bind("127.0.0.1:0").expect("udp socket");
    let client = sock.local_addr().expect("address");
    let start = Instant::now();
    let mut w = CaptureWriter::new(Vec::new(), Format::Pcap).expect("writer");
    let requests: [(u16, &[u8]); 3] = [
        (11, b"get big\r\n"),
        (12, b"get small nope\r\n"),
        (13, b"delete nope\r\n"),
    ];
    let mut answers_seen = 0;
    for (id, body) in requests {
        let mut d = frame_header(id, 0, 1).to_vec();
        d.extend_from_slice(body);
        w.write_udp(now(start), client, server, &d).expect("write");
        sock.send_to(&d, server).expect("send");
        // Read this request's datagrams (memcached may answer in several, each with its own
        // frame header: `END` of a multi-key get comes apart); write them as they came.
        let mut buf = [0u8; 65536];
        let deadline = Instant::now() + Duration::from_secs(5);
        sock.set_read_timeout(Some(Duration::from_millis(300)))
            .expect("timeout");
        let mut got = 0;
        while Instant::now() < deadline {
            let Ok((n, _)) = sock.recv_from(&mut buf) else {
                break;
            };
            assert_eq!(u16::from_be_bytes([buf[0], buf[1]]), id);
            w.write_udp(now(start), server, client, &buf[..n])
                .expect("write");
            got += 1;
        }
        assert!(got > 0, "memcached answers request {id} over UDP");
        answers_seen += got;
    }
    assert!(
        answers_seen > 3,
        "the 5000-byte value comes in several datagrams"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("udp.pcap");
    std::fs::write(&path, w.into_inner()).expect("write capture");
    let mut msgs: Vec<Message> = Vec::new();
    let pass = dissect_file(&path, &[udp_port], &mut |_| {}, &mut |m| {
        msgs.push(m);
        true
    })
    .expect("dissect");
    let rows: Vec<(String, Option<&str>, Option<u64>)> = msgs
        .iter()
        .map(|m| {
            (
                m.op_name().to_string(),
                m.request_op.map(|o| o.name()),
                m.value_len,
            )
        })
        .collect();
    let want: Vec<(String, Option<&str>, Option<u64>)> = vec![
        ("get".into(), None, None),
        ("VALUE".into(), Some("get"), Some(5000)),
        ("END".into(), Some("get"), None),
        ("get".into(), None, None),
        ("VALUE".into(), Some("get"), Some(2)),
        ("END".into(), Some("get"), None),
        ("delete".into(), None, None),
        ("NOT_FOUND".into(), Some("delete"), None),
    ];
    assert_eq!(rows, want);
    for m in msgs.iter().filter(|m| m.request_op.is_some()) {
        assert!(m.latency_ns.is_some() && m.txn.is_some(), "{m:?}");
        assert!(m.problem.is_none(), "{m:?}");
    }
    let big_value = &msgs[1];
    assert_eq!(
        (big_value.key.as_deref(), big_value.flags),
        (Some(&b"big"[..]), Some(3))
    );
    assert_eq!(pass.dissect.udp_multi_datagram_answers, 1);
    assert_eq!(
        (
            pass.dissect.unpaired_requests,
            pass.dissect.unpaired_responses
        ),
        (0, 0)
    );
}
