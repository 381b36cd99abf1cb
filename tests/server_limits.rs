//! Limits and hostile input: the server answers or closes as memcached does, never panics, and
//! keeps serving everyone else.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use memshark::client::Client;
use memshark::protocol::binary::Request;
use memshark::server::{ServerConfig, StoreConfig};
use support::{closes_after, exchange, Embedded};

#[test]
fn garbage_and_truncation_never_take_the_server_down() {
    let s = Embedded::start(ServerConfig::default());
    let mut seed = 0x1234_5678_u64;
    for round in 0..200 {
        let len = (round * 37) % 600 + 1;
        let mut junk: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        if round % 3 == 0 {
            junk[0] = 0x80; // binary garbage
        }
        let mut c = TcpStream::connect(s.addr()).unwrap();
        c.set_read_timeout(Some(Duration::from_millis(20))).ok();
        let _ = c.write_all(&junk);
        let mut buf = [0u8; 4096];
        let _ = c.read(&mut buf);
    }
    // A truncated header followed by a hang-up.
    let mut c = TcpStream::connect(s.addr()).unwrap();
    c.write_all(&Request::get(b"k").to_bytes()[..10]).unwrap();
    drop(c);
    // Still serving.
    let reply = exchange(s.addr(), b"set ok 0 0 1\r\nx\r\nget ok\r\n", b"END\r\n");
    assert_eq!(reply, b"STORED\r\nVALUE ok 0 1\r\nx\r\nEND\r\n");
}

/// Past 2048 bytes without an end of line, only `get`/`gets` may go on (memcached closes the
/// connection otherwise); a whole long line that is not a command is answered `ERROR`.
#[test]
fn text_line_without_end_is_refused_not_buffered() {
    let s = Embedded::start(ServerConfig::default());
    assert!(closes_after(s.addr(), &[b'g'; 10_000]));
    let mut get = b"get ".to_vec();
    get.extend(std::iter::repeat_n(&b"k "[..], 5_000).flatten());
    let mut c = TcpStream::connect(s.addr()).expect("connect");
    c.set_read_timeout(Some(Duration::from_millis(300))).ok();
    c.write_all(&get).expect("write");
    let mut buf = [0u8; 16];
    let open = matches!(c.read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
        || e.kind() == std::io::ErrorKind::TimedOut);
    assert!(open, "a long get line still arriving is waited for");
    let mut long = vec![b'g'; 10_000];
    long.extend_from_slice(b"\r\nget x\r\n");
    let reply = exchange(s.addr(), &long, b"END\r\n");
    assert_eq!(String::from_utf8_lossy(&reply), "ERROR\r\nEND\r\n");
}

#[test]
fn memory_limit_evicts_and_counts() {
    let s = Embedded::start(ServerConfig {
        store: StoreConfig {
            memory_limit: 2 * 1024 * 1024,
            max_item_size: 1024 * 1024,
            ..StoreConfig::default()
        },
        ..ServerConfig::default()
    });
    let value = "v".repeat(10_000);
    let mut req = String::new();
    for i in 0..1000 {
        req.push_str(&format!("set k{i} 0 0 {}\r\n{value}\r\n", value.len()));
    }
    req.push_str("stats\r\n");
    let reply = exchange(s.addr(), req.as_bytes(), b"END\r\n");
    let text = String::from_utf8_lossy(&reply);
    let stat = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("STAT {name} ")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(text.matches("STORED").count(), 1000);
    assert!(stat("evictions") > 700, "evictions {}", stat("evictions"));
    assert!(stat("bytes") <= 2 * 1024 * 1024);
    assert!(stat("curr_items") < 210);
}

#[test]
fn max_connections_refuses_the_extra_ones() {
    let s = Embedded::start(ServerConfig {
        max_connections: 2,
        ..ServerConfig::default()
    });
    let a = TcpStream::connect(s.addr()).unwrap();
    let b = TcpStream::connect(s.addr()).unwrap();
    // Make sure both were accepted before the third arrives.
    for mut c in [&a, &b] {
        c.write_all(b"version\r\n").unwrap();
        let mut buf = [0u8; 64];
        let _ = c.read(&mut buf).unwrap();
    }
    assert!(closes_after(s.addr(), b"version\r\n"));
    drop(a);
    std::thread::sleep(Duration::from_millis(100));
    let reply = exchange(s.addr(), b"version\r\n", b"\r\n");
    assert!(reply.starts_with(b"VERSION "));
}

#[test]
fn idle_connections_are_closed() {
    let s = Embedded::start(ServerConfig {
        idle_timeout: Some(Duration::from_millis(200)),
        ..ServerConfig::default()
    });
    let mut c = TcpStream::connect(s.addr()).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(3))).ok();
    let mut buf = [0u8; 16];
    assert_eq!(c.read(&mut buf).unwrap_or(0), 0, "closed after idling");
}

#[tokio::test]
async fn load_generator_reports_what_it_did() {
    let s = Embedded::start(ServerConfig::default());
    for protocol in [
        memshark::load::Protocol::Binary,
        memshark::load::Protocol::Ascii,
    ] {
        let config = memshark::load::LoadConfig {
            to: s.addr(),
            connections: 4,
            pipeline: 8,
            mix: "get=5,set=2,mget=1,delete=1,incr=1".parse().unwrap(),
            keys: 200,
            duration: None,
            ops: Some(4000),
            protocol,
            ..Default::default()
        };
        let report = memshark::load::run(config, Default::default())
            .await
            .unwrap();
        let total = report.total();
        assert_eq!(total.count, 4000, "{protocol:?}");
        assert!(report.ops.len() == 5, "{:?}", report.ops.keys());
        assert!(total.latency.len() == 4000);
        // incr on the prefilled non-numeric values is an error; nothing else is.
        let incr = &report.ops[&memshark::load::Op::Incr];
        assert_eq!(total.errors, incr.errors);
    }
    // The server saw them all.
    let c = Client::connect(s.addr()).await.unwrap();
    let stats = c.stats(None).await.unwrap();
    let cmd_get: u64 = stats
        .iter()
        .find(|(n, _)| n == "cmd_get")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap();
    assert!(cmd_get > 3000);
}

#[tokio::test]
async fn load_verify_catches_a_value_that_is_not_its_keys() {
    let s = Embedded::start(ServerConfig::default());
    let config = |mix: &str, prefill: bool| memshark::load::LoadConfig {
        to: s.addr(),
        connections: 2,
        pipeline: 4,
        mix: mix.parse().unwrap(),
        keys: 3,
        duration: None,
        ops: Some(200),
        prefill,
        verify: true,
        ..Default::default()
    };
    let clean = memshark::load::run(config("get=3,set=1,mget=1", true), Default::default())
        .await
        .unwrap();
    assert!(
        clean.verified > 100 && clean.wrong == 0,
        "{}",
        clean.to_table()
    );
    // Somebody else writes a value memshark:1 never holds.
    support::exchange(s.addr(), b"set memshark:1 0 0 3\r\nzzz\r\n", b"STORED\r\n");
    let caught = memshark::load::run(config("get=1", false), Default::default())
        .await
        .unwrap();
    assert!(caught.wrong > 0, "{}", caught.to_table());
    assert!(
        memshark::load::run(config("get=1,incr=1", false), Default::default())
            .await
            .is_err()
    );
}
