//! `dump` and `stats` through the command line: on every capture in the repository the output
//! with `--threads 4` is byte for byte the output with `--threads 1` (every format and table;
//! the messages jsonl is also the golden dump), and several inputs — files, a directory, a
//! proxy ring — are read as one capture merged by time.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::memshark;

/// Every capture checked in: the golden fixtures and the README's samples.
fn captures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for dir in ["fixtures", "captures"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("listing") {
            let path = entry.expect("entry").path();
            if path
                .extension()
                .is_some_and(|e| e == "pcap" || e == "pcapng")
            {
                all.push(path);
            }
        }
    }
    all.sort();
    assert!(all.len() >= 7, "{all:?}");
    all
}

#[test]
fn four_threads_print_what_one_thread_prints() {
    let variants: [&[&str]; 6] = [
        &["dump", "--format", "jsonl"],
        &["dump", "--format", "csv"],
        &["dump", "--format", "text"],
        &["dump", "--table", "transactions"],
        &["stats", "--json", "--top", "50"],
        &["stats"],
    ];
    for capture in captures() {
        let file = capture.to_str().expect("utf-8 path");
        for args in variants {
            let run = |threads: &str| {
                let mut a = args.to_vec();
                a.extend([file, "--threads", threads]);
                memshark(&a)
            };
            let one = run("1");
            assert!(!one.is_empty(), "{file} {args:?}");
            assert!(one == run("4"), "{file} {args:?}: 4 threads differ");
            assert!(one == run("2"), "{file} {args:?}: 2 threads differ");
        }
        let golden = capture.with_extension("jsonl");
        if let Ok(want) = std::fs::read(&golden) {
            let got = memshark(&["dump", file, "--threads", "4"]);
            assert!(got == want, "{file}: 4 threads differ from the golden dump");
        }
    }
}

#[test]
fn several_inputs_are_one_capture_merged_by_time() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let (a, b) = (root.join("binary.pcap"), root.join("ascii.pcap"));
    let (a, b) = (a.to_str().expect("utf-8"), b.to_str().expect("utf-8"));
    let lines = |out: Vec<u8>| String::from_utf8(out).expect("utf-8").lines().count();
    let both = memshark(&["dump", a, b, "--format", "csv"]);
    let alone = lines(memshark(&["dump", a, "--format", "csv"]))
        + lines(memshark(&["dump", b, "--format", "csv"]));
    assert_eq!(lines(both.clone()), alone - 1, "one header");
    // Named the other way round, the merge is the same.
    assert!(both == memshark(&["dump", b, a, "--format", "csv"]));
    // A directory holding both is the same capture; so is a ring of the two.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(a, dir.path().join("x.pcap")).expect("copy");
    std::fs::copy(b, dir.path().join("y.pcap")).expect("copy");
    std::fs::write(dir.path().join("README"), "not a capture").expect("write");
    let d = dir.path().to_str().expect("utf-8");
    assert!(both == memshark(&["dump", d, "--format", "csv"]));
    let stats = |args: &[&str]| {
        let v: serde_json::Value =
            serde_json::from_slice(&memshark(args)).expect("stats --json is JSON");
        v
    };
    assert_eq!(
        stats(&["stats", a, b, "--json"]),
        stats(&["stats", d, "--json", "--threads", "3"])
    );
    let ring = tempfile::tempdir().expect("tempdir");
    std::fs::copy(a, ring.path().join("rec.pcap0")).expect("copy");
    std::fs::copy(b, ring.path().join("rec.pcap1")).expect("copy");
    let base = ring.path().join("rec.pcap");
    let out = memshark(&["dump", base.to_str().expect("utf-8"), "--format", "csv"]);
    assert_eq!(lines(out), alone - 1);
    // A name that is nothing at all says so.
    let missing = Command::new(env!("CARGO_BIN_EXE_memshark"))
        .args(["stats", "/nonexistent/capture.pcap"])
        .output()
        .expect("runs");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no such file"));
}
