//! Reassembly + decode per message: a synthetic capture held in memory goes through the whole
//! pipeline (reader, link decode, reassembly, dissector, pairing) each iteration.
//!
//! Run: `cargo bench --bench dissect`.

use std::hint::black_box;
use std::net::SocketAddr;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use memshark::capture::{CaptureReader, CaptureWriter, Direction, Format, Timestamp};
use memshark::pipeline::Pass;
use memshark::protocol::binary::{Opcode, Request, Response};

/// One connection, `n` pipelined batches of 8 gets (100-byte values) and their answers.
fn capture(n: usize, pipeline: usize) -> (Vec<u8>, u64) {
    let mut w = CaptureWriter::new(Vec::new(), Format::Pcap).expect("writer");
    let c: SocketAddr = "10.0.0.1:40000".parse().expect("addr");
    let s: SocketAddr = "10.0.0.2:11211".parse().expect("addr");
    let conn = w
        .open_connection(c, s, Timestamp::from_nanos(1))
        .expect("open");
    let value = bytes::Bytes::from(vec![b'v'; 100]);
    let mut messages = 0;
    for i in 0..n {
        let (mut req, mut resp) = (bytes::BytesMut::new(), bytes::BytesMut::new());
        for j in 0..pipeline {
            let key = format!("user:{}", (i * pipeline + j) % 5000);
            Request::get(key.as_bytes())
                .with_opaque(j as u32)
                .write_to(&mut req);
            Response::get_hit(Opcode::Get, b"", 0, value.clone())
                .with_opaque(j as u32)
                .write_to(&mut resp);
            messages += 2;
        }
        let t = 1_000 + i as u64 * 10_000;
        w.write_data(conn, Direction::ToServer, Timestamp::from_nanos(t), &req)
            .expect("write");
        w.write_data(
            conn,
            Direction::ToClient,
            Timestamp::from_nanos(t + 5_000),
            &resp,
        )
        .expect("write");
    }
    (w.into_inner(), messages)
}

fn pipeline(c: &mut Criterion) {
    for (name, pipeline) in [
        ("reassemble_decode_pair/pipelined8", 8),
        ("reassemble_decode_pair/unpipelined", 1),
    ] {
        let (bytes, messages) = capture(20_000 / pipeline, pipeline);
        let mut g = c.benchmark_group("dissect");
        g.throughput(Throughput::Elements(messages));
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut reader =
                    CaptureReader::new(std::io::Cursor::new(bytes.clone())).expect("reader");
                let mut pass = Pass::new(&[11211]);
                let mut seen = 0u64;
                reader
                    .for_each_frame(|f| {
                        pass.feed(&f, &mut |m| {
                            seen += 1;
                            black_box(&m);
                        });
                        true
                    })
                    .expect("read");
                pass.finish(&mut |_| {});
                assert_eq!(seen, messages);
            })
        });
        g.finish();
    }
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
