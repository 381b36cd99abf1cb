//! The real captures in fixtures/ (recorded with tcpdump against Debian's memcached by
//! fixtures/record.sh) dump exactly as their checked-in golden jsonl says.
//! Refresh after an intended change: `UPDATE_GOLDEN=1 cargo test --test golden`.

use std::path::Path;

use memshark::pipeline::dissect_file;

fn dump(path: &Path) -> String {
    let mut out = Vec::new();
    dissect_file(path, &[11211], &mut |_| {}, &mut |m| {
        memshark::dump::jsonl(&mut out, &m);
        true
    })
    .expect("fixture reads");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn fixtures_match_their_golden_dumps() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures/") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("pcap") {
            continue;
        }
        let golden = path.with_extension("jsonl");
        let got = dump(&path);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &got).expect("write golden");
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_else(|_| {
            panic!("{} has no golden dump; run UPDATE_GOLDEN=1", path.display())
        });
        assert!(
            want == got,
            "{} differs from {}",
            path.display(),
            golden.display()
        );
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} fixtures");
}

#[test]
fn every_real_fixture_pairs_every_answer() {
    for name in ["binary", "ascii", "large", "any-sll2"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/{name}.pcap"));
        let mut messages = 0;
        let stats = dissect_file(&path, &[11211], &mut |_| {}, &mut |_| {
            messages += 1;
            true
        })
        .unwrap();
        let d = stats.dissect;
        assert!(messages > 10, "{name}");
        assert_eq!(
            (
                d.unpaired_requests,
                d.unpaired_responses,
                d.malformed,
                d.gaps
            ),
            (0, 0, 0, 0),
            "{name}"
        );
        // Quiet misses (GETKQ) are answered by silence, so paired ≤ requests.
        assert!(d.paired > 0 && d.requests > 0, "{name}");
    }
}

#[test]
fn large_values_span_many_segments_as_one_message() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/large.pcap");
    let mut sizes = Vec::new();
    dissect_file(&path, &[11211], &mut |_| {}, &mut |m| {
        if m.op_name() == "set" && m.kind() == memshark::dissect::Kind::Request {
            sizes.push(m.value_len);
        }
        true
    })
    .unwrap();
    assert!(!sizes.is_empty());
    assert!(sizes.iter().all(|s| *s == Some(500_000)));
}

/// Regression: a binary stream off the memcached ports was picked up mid-stream and its
/// server taken to be the lower port (here the client), swapping requests and responses.
#[test]
fn binary_stream_off_port_takes_its_server_from_the_magic() {
    use memshark::capture::{CaptureWriter, Direction, Format, Timestamp};
    use memshark::protocol::binary::{Opcode, Request, Response};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("offport.pcap");
    let client: std::net::SocketAddr = "10.0.0.1:6000".parse().unwrap();
    let server: std::net::SocketAddr = "10.0.0.2:50000".parse().unwrap();
    let mut w = CaptureWriter::new(std::fs::File::create(&path).unwrap(), Format::Pcap).unwrap();
    let conn = w
        .open_connection(client, server, Timestamp::from_nanos(1))
        .unwrap();
    w.write_data(
        conn,
        Direction::ToServer,
        Timestamp::from_nanos(2),
        &Request::get(b"k").to_bytes(),
    )
    .unwrap();
    w.write_data(
        conn,
        Direction::ToClient,
        Timestamp::from_nanos(3),
        &Response::ok(Opcode::Get).to_bytes(),
    )
    .unwrap();
    w.close(conn, Timestamp::from_nanos(4), false).unwrap();
    w.flush().unwrap();
    drop(w);
    let mut seen = Vec::new();
    dissect_file(&path, &[11211], &mut |_| {}, &mut |m| {
        seen.push((m.kind(), m.src(), m.latency_ns.is_some()));
        true
    })
    .unwrap();
    use memshark::dissect::Kind;
    assert_eq!(
        seen,
        vec![
            (Kind::Request, client, false),
            (Kind::Response, server, true)
        ]
    );
}
