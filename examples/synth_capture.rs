//! Writes a large synthetic capture of memcached traffic for benchmarks (bench/dump.sh):
//! binary and text connections interleaved, pipelined gets and sets with 100–2000-byte values,
//! written through memshark's capture writer (valid Ethernet/IPv4/TCP frames).
//!
//! `cargo run --release --example synth_capture -- OUT.pcap SIZE_MB [PIPELINE] [MAX_VALUE]`
//! (defaults: 8 requests per segment, values up to 2000 bytes).

use std::net::SocketAddr;

use memshark::capture::{CaptureWriter, Direction, Timestamp};
use memshark::protocol::ascii;
use memshark::protocol::binary::{Opcode, Request, Response};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "big.pcap".into());
    let size_mb: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(600);
    let pipeline: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(8);
    let max_value: u64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000)
        .clamp(101, 2000);
    let mut w = CaptureWriter::create(&out)?;
    let server: SocketAddr = "10.0.0.1:11211".parse().expect("addr");
    let mut ts = 1_700_000_000_000_000_000u64;
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let value = vec![b'v'; 2000];
    let mut conns = Vec::new();
    for i in 0..64u16 {
        let client: SocketAddr = format!("10.0.1.{}:{}", i % 250 + 1, 30000 + i)
            .parse()
            .expect("addr");
        conns.push((
            w.open_connection(client, server, Timestamp::from_nanos(ts))?,
            i % 4 == 3,
        ));
    }
    let mut buf = bytes::BytesMut::new();
    let mut resp = bytes::BytesMut::new();
    while w.bytes_written() < size_mb * 1024 * 1024 {
        let (conn, text) = conns[(next() % conns.len() as u64) as usize];
        buf.clear();
        resp.clear();
        for _ in 0..pipeline.max(1) {
            let key = format!("user:{}", next() % 100_000);
            let len = 100 + (next() % (max_value - 100)) as usize;
            let set = next() % 10 == 0;
            if text {
                if set {
                    ascii::Request::Store {
                        command: ascii::StoreCommand::Set,
                        key: key.as_bytes(),
                        flags: 0,
                        exptime: 0,
                        cas: None,
                        noreply: false,
                        data: &value[..len],
                    }
                    .encode(&mut buf);
                    ascii::Response::Stored.encode(&mut resp);
                } else {
                    ascii::Request::Get {
                        command: ascii::GetCommand::Get,
                        exptime: None,
                        keys: ascii::Keys::from_line_section(key.as_bytes()),
                    }
                    .encode(&mut buf);
                    ascii::Response::Value {
                        key: key.as_bytes(),
                        flags: 0,
                        cas: None,
                        data: &value[..len],
                    }
                    .encode(&mut resp);
                    ascii::Response::End.encode(&mut resp);
                }
            } else if set {
                Request::set(key.as_bytes(), &value[..len], 0, 0).write_to(&mut buf);
                Response::ok(Opcode::Set).write_to(&mut resp);
            } else {
                Request::get(key.as_bytes()).write_to(&mut buf);
                Response::get_hit(
                    Opcode::Get,
                    b"",
                    0,
                    bytes::Bytes::copy_from_slice(&value[..len]),
                )
                .write_to(&mut resp);
            }
        }
        ts += 20_000;
        w.write_data(conn, Direction::ToServer, Timestamp::from_nanos(ts), &buf)?;
        ts += 50_000;
        w.write_data(conn, Direction::ToClient, Timestamp::from_nanos(ts), &resp)?;
    }
    for (conn, _) in conns {
        w.close(conn, Timestamp::from_nanos(ts), false)?;
    }
    w.flush()?;
    eprintln!("wrote {} ({} bytes)", out, w.bytes_written());
    Ok(())
}
