//! `memshark dump FILE --filter EXPR -w OUT` (the timeline's `w`): the exported capture keeps
//! the original frames, so memshark finds the same transactions in it, and tshark decodes it.

use std::path::{Path, PathBuf};
use std::process::Command;

use memshark::filter::Filter;
use memshark::timeline::{Store, View};

fn load(path: &Path) -> Store {
    let mut store = Store::new();
    memshark::pipeline::dissect_file(path, &[11211], &mut |_| {}, &mut |m| {
        store.push(&m);
        true
    })
    .expect("the capture reads");
    store
}

/// What a transaction is: op, key, status, answers, latency.
type Summary = (String, Vec<u8>, Option<u16>, u8, Option<u64>);

/// The transactions `filter` shows in `path`.
fn shown(path: &Path, filter: &str) -> Vec<Summary> {
    let store = load(path);
    let mut view = View::new();
    view.set_filter(Filter::parse(filter).expect("filter"), &store);
    view.rows()
        .iter()
        .map(|&r| {
            let t = store.txn(r).expect("row");
            (
                store.op(t).to_string(),
                store.key(t).to_vec(),
                t.status(),
                t.nresp,
                t.latency(),
            )
        })
        .collect()
}

fn export(fixture: &str, filter: &str, out: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("memshark-export-frames-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = dir.join(out);
    let run = Command::new(env!("CARGO_BIN_EXE_memshark"))
        .args(["dump", fixture, "--filter", filter, "-w"])
        .arg(&out)
        .output()
        .expect("run memshark dump -w");
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(err.contains("frames written to"), "{err}");
    out
}

fn tshark(args: &[&str]) -> Option<String> {
    let out = Command::new("tshark").args(args).output().ok()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_export_holds_the_same_transactions_for_memshark_and_tshark() {
    for (fixture, filter, out) in [
        ("fixtures/binary.pcap", r#"key == "bin:3""#, "bin3.pcapng"),
        (
            "fixtures/binary.pcap",
            "status != 0 && op == get",
            "misses.pcap",
        ),
        ("fixtures/any-sll2.pcap", "op == get", "sll2.pcapng"),
    ] {
        let mut want = shown(Path::new(fixture), filter);
        assert!(!want.is_empty(), "{fixture}: {filter}");
        let path = export(fixture, filter, out);
        let mut got = shown(&path, filter);
        // The same transactions. (Their order can differ: the frames left out are holes in
        // the TCP streams, and data after a hole waits until an ACK of the other direction proves
        // the hole a capture loss.)
        want.sort();
        got.sort();
        assert_eq!(got, want, "{fixture}: {filter}");
        assert!(load(&path).len() < load(Path::new(fixture)).len());
        let p = path.to_str().expect("utf-8 path");
        let Some(keys) = tshark(&[
            "-r",
            p,
            "-d",
            "tcp.port==11211,memcache",
            "-T",
            "fields",
            "-e",
            "memcache.key",
        ]) else {
            eprintln!("tshark is not installed: skipping its half");
            continue;
        };
        for (_, key, ..) in &want {
            let key = String::from_utf8_lossy(key);
            assert!(
                keys.split([',', '\n']).any(|k| k == key),
                "{fixture}: tshark does not see {key}"
            );
        }
        // The original link type: Linux cooked v2 stays so.
        let protos = tshark(&["-r", p, "-T", "fields", "-e", "frame.protocols", "-c", "1"])
            .unwrap_or_default();
        let cooked = fixture.contains("sll2");
        assert_eq!(protos.starts_with("sll"), cooked, "{protos}");
    }
}
