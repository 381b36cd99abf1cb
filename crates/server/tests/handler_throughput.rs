//! Handler throughput: pipelined gets and sets through the front ends, no sockets.
//! `cargo test --release -p memshark-server --test handler_throughput -- --ignored --nocapture`

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use memshark_protocol::ascii::{ParseLimits, Parsed, Request};
use memshark_protocol::binary::{check, FrameCheck, Packet, Request as BinRequest};
use memshark_server::storage::StoreMode;
use memshark_server::{ServerConfig, Session, Shared};

const KEYS: usize = 10_000;
const OPS: usize = 400_000;

/// A server state with every key stored.
fn shared() -> Shared {
    let shared = Shared::new(ServerConfig::default());
    let value = vec![b'v'; 100];
    for k in 0..KEYS {
        let key = format!("key:{k}");
        shared
            .store
            .store(StoreMode::Set, key.as_bytes(), &value, 0, 0, 0);
    }
    shared
}

fn text_script() -> Vec<u8> {
    let mut s = Vec::new();
    let value = "v".repeat(100);
    for i in 0..OPS {
        let k = (i * 7919) % KEYS;
        match i % 10 {
            0 => s.extend_from_slice(format!("set key:{k} 0 0 100\r\n{value}\r\n").as_bytes()),
            1 => s.extend_from_slice(format!("mg key:{k} v f c\r\n").as_bytes()),
            _ => s.extend_from_slice(format!("get key:{k}\r\n").as_bytes()),
        }
    }
    s
}

fn binary_script() -> Vec<u8> {
    let mut s = Vec::new();
    let value = vec![b'v'; 100];
    for i in 0..OPS {
        let k = format!("key:{}", (i * 7919) % KEYS);
        let r = if i % 10 == 0 {
            BinRequest::set(k.as_bytes(), &value, 0, 0)
        } else {
            BinRequest::get(k.as_bytes())
        };
        s.extend_from_slice(&r.to_bytes());
    }
    s
}

fn run_text(shared: &Shared, script: &[u8]) -> usize {
    let limits = ParseLimits::default();
    let mut session = Session::default();
    let mut out = BytesMut::with_capacity(1 << 20);
    let mut at = 0;
    let mut written = 0;
    while at < script.len() {
        let Ok(Parsed::Complete { message, len }) = Request::parse(&script[at..], &limits) else {
            panic!("parse")
        };
        memshark_server::ascii::handle(&message, shared, &mut session, &mut out);
        at += len;
        if out.len() > 64 * 1024 {
            written += out.len();
            out.clear();
        }
    }
    written + out.len()
}

fn run_binary(shared: &Shared, script: Bytes) -> usize {
    let mut session = Session::default();
    let mut out = BytesMut::with_capacity(1 << 20);
    let mut buf = BytesMut::from(&script[..]);
    let mut written = 0;
    while !buf.is_empty() {
        let Ok(FrameCheck::Complete(len)) = check(&buf, u32::MAX) else {
            panic!("frame")
        };
        let p = Packet::new_unchecked(buf.split_to(len).freeze());
        memshark_server::binary::handle(p, shared, &mut session, &mut out);
        if out.len() > 64 * 1024 {
            written += out.len();
            out.clear();
        }
    }
    written + out.len()
}

/// Nanoseconds this thread has spent on a CPU (Linux), so that other processes competing for
/// the cores do not count; wall-clock time elsewhere.
fn cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// Runs `f` and gives its rate in operations per second of CPU time (or of wall time).
fn rate(f: impl FnOnce() -> usize) -> (f64, usize) {
    let (cpu, wall) = (cpu_ns(), Instant::now());
    let n = f();
    let secs = match (cpu, cpu_ns()) {
        (Some(a), Some(b)) => (b - a) as f64 / 1e9,
        _ => wall.elapsed().as_secs_f64(),
    };
    (OPS as f64 / secs, n)
}

#[test]
#[ignore = "a measurement, run in release"]
fn handler_throughput() {
    let text = text_script();
    let binary = Bytes::from(binary_script());
    let (mut best_text, mut best_bin) = (0f64, 0f64);
    for round in 0..9 {
        let s = shared();
        let (text_rate, n) = rate(|| run_text(&s, &text));
        let s = shared();
        let (bin_rate, m) = rate(|| run_binary(&s, binary.clone()));
        println!(
            "round {round}: text {text_rate:.0} ops/s ({n} B), binary {bin_rate:.0} ops/s ({m} B)"
        );
        best_text = best_text.max(text_rate);
        best_bin = best_bin.max(bin_rate);
    }
    println!("best: text {best_text:.0} ops/s, binary {best_bin:.0} ops/s");
}
