//! `memshark replay` against Debian's memcached and the embedded server.

mod support;

use std::path::Path;
use std::sync::Arc;

use memshark::filter::Filter;
use memshark::replay::{replay, Plan, ReplayConfig, Report};
use memshark::server::ServerConfig;
use support::{Embedded, Memcached};

async fn run(file: &str, to: std::net::SocketAddr, filter: &str, speed: Option<f64>) -> Report {
    let plan = Plan::from_file(Path::new(file), &[11211], &Filter::parse(filter).unwrap()).unwrap();
    let cfg = ReplayConfig {
        speed,
        ..ReplayConfig::to(to)
    };
    replay(&plan, &cfg, Arc::default()).await.unwrap()
}

#[tokio::test]
async fn a_capture_replayed_to_a_fresh_memcached_gets_the_same_answers() {
    for file in ["fixtures/meta.pcap", "fixtures/large.pcap"] {
        let m = Memcached::start(&["-I", "4m"]);
        let r = run(file, m.addr(), "", Some(1.0)).await;
        assert!(r.sent > 0, "{file}");
        assert_eq!(r.identical, r.sent, "{file}:\n{}", r.to_text());
        assert_eq!(r.unanswered, 0);
    }
}

#[tokio::test]
async fn pipelined_binary_and_text_captures_replay_nearly_identically() {
    // Three connections run at once in these captures; the few requests that raced another
    // connection's write in the capture may race differently now.
    for (file, n) in [("fixtures/binary.pcap", 260), ("fixtures/ascii.pcap", 140)] {
        let m = Memcached::start(&[]);
        let r = run(file, m.addr(), "", None).await;
        assert_eq!(r.sent, n, "{file}");
        assert!(r.identical * 100 >= r.sent * 95, "{file}:\n{}", r.to_text());
        assert_eq!(r.unanswered, 0, "{file}:\n{}", r.to_text());
        let e = Embedded::start(ServerConfig::default());
        let r = run(file, e.addr(), "", None).await;
        assert_eq!(r.sent, n, "{file}");
        assert!(
            r.identical * 100 >= r.sent * 95,
            "{file} (embedded):\n{}",
            r.to_text()
        );
    }
}

#[tokio::test]
async fn a_filtered_replay_sends_the_subset_and_reports_what_changed() {
    // Only the gets, to an empty server: every hit of the capture is a miss now.
    let m = Memcached::start(&[]);
    let r = run("fixtures/binary.pcap", m.addr(), "op == get", None).await;
    assert!(r.sent > 10 && r.sent < 260, "{}", r.to_text());
    assert!(r.skipped >= 260 - r.sent);
    let hits_now_missing = r
        .changes
        .get(&(
            "get".to_string(),
            "SUCCESS".to_string(),
            "KEY_ENOENT".to_string(),
        ))
        .copied()
        .unwrap_or(0);
    assert!(hits_now_missing > 0, "{}", r.to_text());
    assert_eq!(r.different as usize, r.differences.len());
    let d = &r.differences[0];
    assert_eq!(d.op, "get");
    let line = d.to_json();
    assert_eq!(line["replayed"][0]["status"], "KEY_ENOENT");
    assert!(r.to_text().contains("get: SUCCESS → KEY_ENOENT"));
}

#[test]
fn the_command_line_writes_the_diff_and_json() {
    let m = Memcached::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let diff = dir.path().join("diff.jsonl");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_memshark"))
        .args([
            "replay",
            "fixtures/ascii.pcap",
            "--to",
            &m.addr().to_string(),
            "--max",
            "--json",
        ])
        .args(["--filter", "op == get", "--diff"])
        .arg(&diff)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let different = report["different"].as_u64().unwrap();
    assert!(
        report["sent"].as_u64().unwrap() > 0 && different > 0,
        "{report}"
    );
    let lines = std::fs::read_to_string(&diff).unwrap();
    assert_eq!(lines.lines().count() as u64, different);
    for l in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["op"], "get");
    }
}
