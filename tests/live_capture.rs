//! Live capture on the loopback interface while real traffic flows (feature `live`; needs root
//! or CAP_NET_RAW, which CI has — without them the test says so and passes).
#![cfg(feature = "live")]

mod support;

use std::time::{Duration, Instant};

use memshark::capture::live::{LiveCapture, LiveError};
use memshark::pipeline::Pass;
use memshark::server::ServerConfig;
use support::{exchange, Embedded};

#[test]
fn captures_and_dissects_loopback_traffic() {
    let server = Embedded::start(ServerConfig::default());
    let port = server.addr().port();
    let mut cap = match LiveCapture::open("lo", None, &[port], 65_535) {
        Ok(c) => c,
        Err(LiveError::Permission { .. }) => {
            eprintln!("skipping: capturing on lo needs root or CAP_NET_RAW");
            return;
        }
        Err(e) => panic!("cannot capture on lo: {e}"),
    };
    let reply = exchange(
        server.addr(),
        b"set live 0 0 5\r\nhello\r\nget live\r\n",
        b"END\r\n",
    );
    assert!(reply.ends_with(b"END\r\n"));
    let mut pass = Pass::new(&[port]);
    let mut ops = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && !ops.contains(&"END") {
        match cap.next_frame().expect("read") {
            Some(frame) => pass.feed(&frame, &mut |m| ops.push(m.op_name())),
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    let stats = cap.stats().expect("kernel counters");
    assert!(stats.received > 0);
    assert_eq!(ops, ["set", "get", "STORED", "VALUE", "END"], "saw {ops:?}");
}

#[test]
fn unknown_interface_lists_the_real_ones() {
    match LiveCapture::open("no-such-interface0", None, &[11211], 65_535) {
        Err(LiveError::NoSuchDevice { available, .. }) => {
            assert!(available.iter().any(|n| n == "lo"))
        }
        Err(LiveError::Permission { .. }) => eprintln!("skipping: no capture permission"),
        other => panic!("expected NoSuchDevice, got {other:?}"),
    }
}
