//! Live capture on the loopback interface while real traffic flows (feature `live`; needs root
//! or CAP_NET_RAW, which CI has — without them the test says so and passes).
#![cfg(feature = "live")]

mod support;

use std::time::Duration;

use memshark::capture::live::{LiveCapture, LiveError};
use memshark::server::ServerConfig;
use memshark::source::{self, LiveSource, Source};
use support::{exchange, Embedded};

#[test]
fn captures_and_dissects_loopback_traffic() {
    let server = Embedded::start(ServerConfig::default());
    let port = server.addr().port();
    let live = match LiveSource::open("lo", None, &[port]) {
        Ok(c) => c.duration(Duration::from_secs(5)),
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
    let mut ops = Vec::new();
    // The sink stops the capture once the last answer is in.
    let sink = source::from_fn(|m| {
        ops.push(m.op_name());
        m.op_name() != "END"
    });
    let stats = source::run(Source::Live(live), &[port], sink).expect("read");
    let kernel = stats.kernel.expect("kernel counters");
    assert!(kernel.received > 0);
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
