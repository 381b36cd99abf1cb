//! The seed toolkit's nine codec benchmarks, same messages, same ids.
//!
//! request = SET, opaque 7242, vbucket 824, key "somekey", value "somevalue", CAS 938424885;
//! response = SET, status 1582, opaque 7242, CAS 938424885, key "somekey", value "somevalue".
//!
//! "Encoding" hands out the bytes of a message that is kept in wire layout (the message stays
//! intact and can be sent again). "Receiving" reads one message from a `std::io::Read` into a
//! buffer and validates it, as the seed's `Receive` did.
//!
//! Run: `cargo bench --bench codec`.

use std::hint::black_box;
use std::io::{Cursor, Read};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use memshark::protocol::binary::{read_packet, Message, Opcode, Request, Response, Status};

const MAX_BODY: u32 = 1 << 20;

fn request(cas: u64, extras: &[u8]) -> Request {
    Request::new(Opcode::Set, extras, b"somekey", b"somevalue")
        .with_opaque(7242)
        .with_vbucket(824)
        .with_cas(cas)
}

fn response(status: u16, cas: u64, extras: &[u8], value: &[u8]) -> Response {
    Response::new(Opcode::Set, Status::from(status), extras, b"somekey", value)
        .with_opaque(7242)
        .with_cas(cas)
}

/// Encoding: the message is its wire layout; "encode" yields the socket-ready bytes.
fn encoding(c: &mut Criterion) {
    let large_value = vec![b'x'; 24 * 1024];
    let cases: [(&str, Message); 5] = [
        ("encoding_request", request(938424885, b"").into_message()),
        ("encoding_request_0cas", request(0, b"").into_message()),
        ("encoding_request_1extra", request(0, &[1]).into_message()),
        (
            "encoding_response",
            response(1582, 938424885, b"", b"somevalue").into_message(),
        ),
        (
            "encoding_response_large",
            response(1582, 938424885, b"", &large_value).into_message(),
        ),
    ];
    for (id, msg) in &cases {
        let mut g = c.benchmark_group("codec");
        g.throughput(Throughput::Bytes(msg.wire_len() as u64));
        let mut msg = msg.clone();
        g.bench_function(*id, |b| {
            b.iter(|| {
                // A client stamps each send with its opaque; the bytes are then ready for a
                // vectored socket write as they are.
                msg.set_opaque(black_box(7242));
                let [head, value] = msg.chunks();
                black_box((head.as_ptr(), head.len(), value.as_ptr(), value.len()));
            })
        });
        g.finish();
    }
}

fn bench_receive(c: &mut Criterion, id: &str, wire: Vec<u8>, reuse: bool) {
    let len = wire.len();
    let mut g = c.benchmark_group("codec");
    g.throughput(Throughput::Bytes(len as u64));
    let mut reader = Cursor::new(wire);
    let mut buf = Vec::with_capacity(len);
    g.bench_function(id, |b| {
        b.iter(|| {
            reader.set_position(0);
            let r: &mut dyn Read = &mut reader;
            if reuse {
                let p = read_packet(r, &mut buf, MAX_BODY).expect("valid");
                black_box((p.opcode(), p.key().len(), p.value().len()));
            } else {
                let mut fresh = Vec::new();
                let p = read_packet(r, &mut fresh, MAX_BODY).expect("valid");
                black_box((p.opcode(), p.key().len(), p.value().len()));
            }
        })
    });
    g.finish();
}

/// Receiving: read one message from an in-memory reader and validate it.
fn receiving(c: &mut Criterion) {
    let req = request(0, &[1]).to_bytes().to_vec();
    let resp = response(183, 0, &[1], b"somevalue").to_bytes().to_vec();
    bench_receive(c, "receive_request", req.clone(), true);
    bench_receive(c, "receive_request_nobuf", req, false);
    bench_receive(c, "receive_response", resp.clone(), true);
    bench_receive(c, "receive_response_nobuf", resp, false);
}

criterion_group!(benches, encoding, receiving);
criterion_main!(benches);
