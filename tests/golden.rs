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

/// `stats` (text and JSON) and `dump` of `path`, as the commands print them.
fn stats_and_dump(path: &Path) -> (String, String, serde_json::Value, String) {
    let mut stats = memshark::summary::TrafficStats::default();
    let mut out = Vec::new();
    stats.pass = dissect_file(path, &[11211], &mut |_| {}, &mut |m| {
        stats.add(&m);
        memshark::dump::jsonl(&mut out, &m);
        true
    })
    .expect("capture reads");
    (
        stats.to_text(10),
        stats.to_text(1000),
        stats.to_json(10),
        String::from_utf8(out).expect("utf-8"),
    )
}

/// The key, client and flow tables are hashed under a random seed, a new one for every table
/// (and every process): they iterate in a different order in each run, and the outputs must
/// not follow it.
#[test]
fn stats_and_dumps_do_not_depend_on_the_tables_random_seeds() {
    use memshark::capture::{CaptureWriter, Direction, Format, Timestamp};
    // Besides the fixtures: 300 connections cut off mid-request, which the end of the capture
    // ends all at once (each with a truncated message).
    let dir = tempfile::tempdir().unwrap();
    let open = dir.path().join("open.pcap");
    let mut w = CaptureWriter::new(std::fs::File::create(&open).unwrap(), Format::Pcap).unwrap();
    for i in 0..300u32 {
        let client = std::net::SocketAddr::from(([10, 1, (i >> 8) as u8, i as u8], 40000));
        let server = "10.0.0.2:11211".parse().unwrap();
        let ts = Timestamp::from_nanos(u64::from(i) * 1000 + 1);
        let conn = w.open_connection(client, server, ts).unwrap();
        let request = format!("set key:{} 0 0 1\r\n1\r\nget key:{}", i % 7, i % 5);
        w.write_data(conn, Direction::ToServer, ts, request.as_bytes())
            .unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = vec![open];
    for dir in ["fixtures", "captures"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("directory") {
            let path = entry.expect("entry").path();
            if path.extension().and_then(|e| e.to_str()) == Some("pcap") {
                paths.push(path);
            }
        }
    }
    for path in &paths {
        let first = stats_and_dump(path);
        assert!(first == stats_and_dump(path), "{}", path.display());
    }
    // The cut-off requests end in the order their connections opened.
    let dump = stats_and_dump(&paths[0]).3;
    let truncated: Vec<&str> = dump
        .lines()
        .filter(|l| l.contains("\"truncated\""))
        .collect();
    assert_eq!(truncated.len(), 300);
    for (i, line) in truncated.iter().enumerate() {
        assert!(
            line.contains(&format!("\"src\":\"10.1.{}.{}:40000\"", i >> 8, i & 255)),
            "{i}: {line}"
        );
    }
}
