//! Many inputs as one pass ([`resolve`], [`Source::Merged`]) and many threads as one
//! ([`run_parallel`]): the same messages, in the same order, with the same numbers.

use std::io::BufWriter;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::*;
use crate::capture::writer::{ConnHandle, TcpFlags};
use crate::capture::{CaptureReader, CaptureWriter, Direction, Format, Timestamp};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("address")
}

/// Every message of a pass, as its `Debug` text (every field), and the counters.
fn collect(source: Source, threads: usize) -> (Vec<String>, PassStats) {
    let mut out = Vec::new();
    let stats = run_parallel(
        source,
        &[11211],
        threads,
        from_fn(|m| {
            out.push(format!("{m:?}"));
            true
        }),
    )
    .expect("reads");
    (out, stats)
}

/// A small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn binary(magic: u8, opcode: u8, key: &[u8], status: u16, opaque: u32) -> Vec<u8> {
    let mut b = vec![magic, opcode];
    b.extend_from_slice(&(key.len() as u16).to_be_bytes());
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(&status.to_be_bytes());
    b.extend_from_slice(&(key.len() as u32).to_be_bytes());
    b.extend_from_slice(&opaque.to_be_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(key);
    b
}

/// A capture with much going on at once: a few hundred connections (text and binary, on the
/// memcached port and off it), pipelined and quiet requests, answers without requests, UDP,
/// FIN and RST, connections left open across idle timeouts (picked up again mid-stream),
/// out-of-order and retransmitted segments.
fn messy(path: &Path, seed: u64) {
    let file = std::fs::File::create(path).expect("create");
    let mut w = CaptureWriter::new(BufWriter::new(file), Format::Pcap).expect("writer");
    let mut rng = Rng(seed);
    let mut open: Vec<(ConnHandle, bool)> = Vec::new();
    let mut t = 1_700_000_000_000_000_000u64;
    let mut port = 30_000u16;
    for step in 0..5_000u32 {
        t += 1_000 + rng.below(2_000_000);
        if step % 1_500 == 1_499 {
            t += 400 * 1_000_000_000; // past the idle timeout
        }
        let ts = Timestamp::from_nanos(t);
        match rng.below(12) {
            0 if open.len() < 80 => {
                port += 1;
                let client = addr(&format!(
                    "10.0.{}.{}:{port}",
                    rng.below(4),
                    1 + rng.below(200)
                ));
                let off_port = rng.below(5) == 0;
                let server = if off_port {
                    addr("10.0.0.3:5000")
                } else {
                    addr("10.0.0.2:11211")
                };
                let h = w.open_connection(client, server, ts).expect("open");
                open.push((h, off_port || rng.below(2) == 0));
            }
            1 if !open.is_empty() => {
                let (h, _) = open.swap_remove(rng.below(open.len() as u64) as usize);
                w.close(h, ts, rng.below(3) == 0).expect("close");
            }
            2 => {
                let client = addr(&format!("10.0.9.9:{}", 20_000 + rng.below(10)));
                let server = addr("10.0.0.2:11211");
                let mut req = vec![0, 1, 0, 0, 0, 1, 0, 0];
                req.extend_from_slice(b"get u\r\n");
                w.write_udp(ts, client, server, &req).expect("udp");
                let mut ans = vec![0, 1, 0, 0, 0, 1, 0, 0];
                ans.extend_from_slice(b"END\r\n");
                w.write_udp(ts, server, client, &ans).expect("udp");
            }
            _ if !open.is_empty() => {
                let (h, is_binary) = open[rng.below(open.len() as u64) as usize];
                let key = format!("k{}", rng.below(50));
                let n = 1 + rng.below(4);
                let (mut reqs, mut answers) = (Vec::new(), Vec::new());
                for i in 0..n {
                    if is_binary {
                        let quiet = rng.below(3) == 0;
                        let op = if quiet { 0x09 } else { 0x00 };
                        reqs.extend(binary(0x80, op, key.as_bytes(), 0, i as u32));
                        if !quiet {
                            answers.extend(binary(0x81, op, b"", 1, i as u32));
                        }
                    } else if rng.below(2) == 0 {
                        reqs.extend(format!("set {key} 0 0 3\r\nabc\r\n").bytes());
                        answers.extend(b"STORED\r\n");
                    } else {
                        reqs.extend(format!("get {key}\r\n").bytes());
                        answers.extend(format!("VALUE {key} 0 3\r\nabc\r\nEND\r\n").bytes());
                    }
                }
                if rng.below(30) == 0 {
                    // Half a request: flushed as cut off when the connection ends or idles out.
                    w.write_data(h, Direction::ToServer, ts, b"get unfinis")
                        .expect("write");
                    continue;
                }
                if rng.below(20) == 0 {
                    // An answer nobody asked for.
                    w.write_data(h, Direction::ToClient, ts, &answers)
                        .expect("write");
                }
                w.write_data(h, Direction::ToServer, ts, &reqs)
                    .expect("write");
                let later = Timestamp::from_nanos(t + 50_000 + rng.below(500_000));
                w.write_data(h, Direction::ToClient, later, &answers)
                    .expect("write");
            }
            _ => {}
        }
        if step % 700 == 3 {
            out_of_order(&mut w, ts, step);
        }
    }
    w.flush().expect("flush");
}

/// One connection whose second segment comes first and whose first comes twice.
fn out_of_order(w: &mut CaptureWriter<BufWriter<std::fs::File>>, ts: Timestamp, step: u32) {
    let c = addr(&format!("10.0.7.7:{}", 10_000 + step));
    let s = addr("10.0.0.2:11211");
    let data = |psh| TcpFlags {
        ack: true,
        psh,
        ..TcpFlags::default()
    };
    let syn = TcpFlags {
        syn: true,
        ..TcpFlags::default()
    };
    w.write_tcp(ts, c, s, 99, 0, syn, b"", None).expect("tcp");
    w.write_tcp(ts, c, s, 100 + 7, 0, data(true), b"get b\r\n", None)
        .expect("tcp");
    w.write_tcp(ts, c, s, 100, 0, data(true), b"get a\r\n", None)
        .expect("tcp");
    w.write_tcp(ts, c, s, 100, 0, data(true), b"get a\r\n", None)
        .expect("tcp");
    w.write_tcp(ts, s, c, 500, 0, data(true), b"END\r\nEND\r\n", None)
        .expect("tcp");
}

/// Rewrites `from` with strictly increasing times (so that a merge of its parts has one
/// right order), into `parts` files by `which(frame index)`.
fn restamp_and_split(from: &Path, to: &[PathBuf], which: impl Fn(usize) -> usize) -> PathBuf {
    let dir = to[0].parent().expect("dir").to_path_buf();
    let whole = dir.join("whole.pcap");
    let create = |p: &Path| {
        CaptureWriter::new(
            BufWriter::new(std::fs::File::create(p).expect("create")),
            Format::Pcap,
        )
        .expect("writer")
    };
    let mut all = create(&whole);
    let mut parts: Vec<_> = to.iter().map(|p| create(p)).collect();
    let mut reader = CaptureReader::open(from).expect("open");
    let mut last = 0u64;
    let mut i = 0;
    while let Some(f) = reader.next_frame().expect("read") {
        let ts = (f.ts.as_nanos() / 1_000 * 1_000).max(last + 1_000);
        last = ts;
        let ts = Timestamp::from_nanos(ts);
        all.write_frame(ts, &f.data, f.orig_len).expect("write");
        parts[which(i)]
            .write_frame(ts, &f.data, f.orig_len)
            .expect("write");
        i += 1;
    }
    all.flush().expect("flush");
    for p in &mut parts {
        p.flush().expect("flush");
    }
    whole
}

#[test]
fn every_fixture_dissects_the_same_on_any_number_of_threads() {
    for name in ["binary", "ascii", "meta", "large", "any-sll2"] {
        let path = fixture(&format!("{name}.pcap"));
        let (one, one_stats) = collect(Source::file(&path), 1);
        assert!(!one.is_empty(), "{name}");
        for threads in [2, 3, 4, 8] {
            let (many, stats) = collect(Source::file(&path), threads);
            assert!(one == many, "{name} on {threads} threads");
            assert_eq!(one_stats, stats, "{name} on {threads} threads");
        }
    }
}

#[test]
fn a_busy_capture_dissects_the_same_on_any_number_of_threads() {
    let dir = tempfile::tempdir().expect("tempdir");
    for seed in [7, 1234] {
        let path = dir.path().join(format!("messy-{seed}.pcap"));
        messy(&path, seed);
        let (one, one_stats) = collect(Source::file(&path), 1);
        let r = one_stats.reassembly;
        assert!(one.len() > 5_000, "{}", one.len());
        assert!(
            r.connections > 300 && r.timed_out > 10 && r.out_of_order > 0,
            "{r:?}"
        );
        assert!(one_stats.reassembly.datagrams > 100 && one_stats.skipped_frames > 0);
        for threads in [2, 3, 5] {
            let (many, stats) = collect(Source::file(&path), threads);
            assert_eq!(one.len(), many.len());
            if let Some(i) = (0..one.len()).find(|&i| one[i] != many[i]) {
                panic!(
                    "seed {seed}, {threads} threads: message {i} differs:\n{}\n{}",
                    one[i], many[i]
                );
            }
            assert_eq!(one_stats, stats, "{threads} threads");
        }
    }
}

#[test]
fn files_merged_by_time_are_the_capture_they_were_cut_from() {
    let dir = tempfile::tempdir().expect("tempdir");
    let messy_path = dir.path().join("messy.pcap");
    messy(&messy_path, 99);
    let parts: Vec<_> = (0..3)
        .map(|i| dir.path().join(format!("part{i}.pcap")))
        .collect();
    // Every connection is spread over the three files.
    let whole = restamp_and_split(&messy_path, &parts, |i| i % 3);
    let (want, want_stats) = collect(Source::file(&whole), 1);
    for threads in [1, 3] {
        let (got, stats) = collect(Source::merged(&parts), threads);
        assert!(got == want, "{threads} threads");
        assert_eq!(
            (stats.frames, stats.dissect),
            (want_stats.frames, want_stats.dissect)
        );
    }
    // Named in another order, the merge is the same.
    let reversed: Vec<_> = parts.iter().rev().cloned().collect();
    assert!(collect(Source::merged(reversed), 2).0 == want);
}

#[test]
fn a_directory_is_its_capture_files_merged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let messy_path = dir.path().join("messy.pcap");
    messy(&messy_path, 5);
    let caps = dir.path().join("caps");
    std::fs::create_dir(&caps).expect("mkdir");
    let parts: Vec<_> = ["a.pcap", "b.cap", "c"]
        .iter()
        .map(|n| caps.join(n))
        .collect();
    let whole = restamp_and_split(&messy_path, &parts, |i| (i / 10) % 3);
    std::fs::write(caps.join("notes.txt"), "not a capture").expect("write");
    std::fs::write(caps.join(".hidden.pcap"), "").expect("write");
    std::fs::rename(&whole, dir.path().join("whole.pcap")).ok();
    let source = resolve(std::slice::from_ref(&caps)).expect("resolves");
    match &source {
        Source::Merged(r) => assert_eq!(
            r.iter().map(|r| &r.files[0]).collect::<Vec<_>>(),
            parts.iter().collect::<Vec<_>>()
        ),
        other => panic!("{other:?}"),
    }
    let (want, _) = collect(Source::file(dir.path().join("whole.pcap")), 1);
    assert!(collect(source, 2).0 == want);
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    assert!(matches!(
        resolve(&[empty]),
        Err(InputError::EmptyDirectory(_))
    ));
}

#[test]
fn a_ring_is_read_oldest_file_first_as_one_recording() {
    let dir = tempfile::tempdir().expect("tempdir");
    let messy_path = dir.path().join("messy.pcap");
    messy(&messy_path, 11);
    let base = dir.path().join("rec.pcap");
    let frames = {
        let mut r = CaptureReader::open(&messy_path).expect("open");
        r.for_each_frame(|_| true).expect("read").frames as usize
    };
    // A wrapped ring of three: rec.pcap2 holds the oldest frames, then rec.pcap0, rec.pcap1
    // (wait: a ring wraps to 0 after 2, so 1 is the oldest left, then 2, then 0).
    let names = [1, 2, 0].map(|i| dir.path().join(format!("rec.pcap{i}")));
    let whole = restamp_and_split(&messy_path, &names, |i| (i * 3 / frames).min(2));
    let source = resolve(std::slice::from_ref(&base)).expect("a ring");
    match &source {
        Source::Files(files) => assert_eq!(files, &names),
        other => panic!("{other:?}"),
    }
    let (want, want_stats) = collect(Source::file(&whole), 1);
    let (got, stats) = collect(source, 1);
    assert!(got == want);
    assert_eq!(
        stats.reassembly.connections,
        want_stats.reassembly.connections
    );
    // rec.pcap itself does not exist; a name with no ring behind it is an error.
    let missing = dir.path().join("nothing.pcap");
    assert!(matches!(resolve(&[missing]), Err(InputError::NotFound(_))));
}

#[derive(Debug, thiserror::Error)]
enum Boom {
    #[error("boom")]
    Boom,
    #[error(transparent)]
    Source(#[from] SourceError),
}

/// Counts messages; stops or fails at the n-th.
struct Until {
    n: usize,
    fail: bool,
    seen: Vec<String>,
    finished: usize,
}

impl Sink for Until {
    type Error = Boom;
    fn message(&mut self, m: crate::dissect::Message) -> Result<bool, Boom> {
        self.seen.push(format!("{m:?}"));
        match (self.seen.len() == self.n, self.fail) {
            (true, true) => Err(Boom::Boom),
            (true, false) => Ok(false),
            _ => Ok(true),
        }
    }
    fn finish(&mut self, _: &PassStats) -> Result<(), Boom> {
        self.finished += 1;
        Ok(())
    }
}

#[test]
fn threads_stop_and_fail_as_one_thread_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("messy.pcap");
    messy(&path, 3);
    let (all, _) = collect(Source::file(&path), 1);
    for fail in [false, true] {
        let mut sink = Until {
            n: 3_001,
            fail,
            seen: Vec::new(),
            finished: 0,
        };
        let result = run_parallel(Source::file(&path), &[11211], 4, &mut sink);
        assert_eq!(result.is_err(), fail);
        assert_eq!(sink.seen[..], all[..3_001]);
        assert_eq!(sink.finished, usize::from(!fail));
    }
    // A file that goes bad half-way: the same messages before the error, then the error.
    let mut bytes = std::fs::read(&path).expect("read");
    let at = bytes.len() / 2;
    let mut reader = CaptureReader::new(std::io::Cursor::new(bytes.clone())).expect("reader");
    let mut offset = 24;
    while let Some(f) = reader.next_frame().expect("read") {
        if offset + 16 + f.data.len() > at {
            break;
        }
        offset += 16 + f.data.len();
    }
    bytes[offset + 8..offset + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let bad = dir.path().join("bad.pcap");
    std::fs::write(&bad, &bytes).expect("write");
    let mut seen = Vec::new();
    for threads in [1, 3] {
        let mut sink = Until {
            n: usize::MAX,
            fail: false,
            seen: Vec::new(),
            finished: 0,
        };
        let result = run_parallel(Source::file(&bad), &[11211], threads, &mut sink);
        assert!(matches!(
            result,
            Err(Boom::Source(SourceError::Read { .. }))
        ));
        assert_eq!(sink.finished, 0);
        seen.push(sink.seen);
    }
    assert!(seen[0] == seen[1] && !seen[0].is_empty());
}
