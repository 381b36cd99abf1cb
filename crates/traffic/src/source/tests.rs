//! The stop semantics of [`Sink`], through [`run`] and [`Driver`].

use std::path::{Path, PathBuf};

use super::*;
use crate::capture::{
    CaptureWriter, Direction, Format, Origin, StreamEvent, StreamEventKind, Timestamp,
};
use crate::dissect::Message;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

#[derive(Debug, thiserror::Error)]
enum ProbeError {
    #[error("the sink gave up")]
    Boom,
    #[error(transparent)]
    Source(#[from] SourceError),
}

/// Records what it is called with; stops or fails when told to.
#[derive(Debug, Default)]
struct Probe {
    refuse_to_begin: bool,
    stop_after: Option<usize>,
    fail_at: Option<usize>,
    stop_on_progress: bool,
    begun: usize,
    messages: usize,
    progress: Vec<Progress>,
    finished: Vec<PassStats>,
}

impl Sink for Probe {
    type Error = ProbeError;

    fn begin(&mut self) -> Result<bool, ProbeError> {
        self.begun += 1;
        Ok(!self.refuse_to_begin)
    }

    fn message(&mut self, _: Message) -> Result<bool, ProbeError> {
        assert!(self.finished.is_empty(), "a message after finish");
        self.messages += 1;
        if self.fail_at == Some(self.messages) {
            return Err(ProbeError::Boom);
        }
        Ok(self.stop_after != Some(self.messages))
    }

    fn progress(&mut self, progress: Progress) -> Result<bool, ProbeError> {
        self.progress.push(progress);
        Ok(!self.stop_on_progress)
    }

    fn finish(&mut self, stats: &PassStats) -> Result<(), ProbeError> {
        self.finished.push(*stats);
        Ok(())
    }
}

fn whole(name: &str) -> (Probe, PassStats) {
    let mut probe = Probe::default();
    let stats = run(Source::file(fixture(name)), &[11211], &mut probe).expect("reads");
    (probe, stats)
}

#[test]
fn a_whole_pass_begins_once_and_finishes_once_with_the_counters() {
    let (probe, stats) = whole("binary.pcap");
    assert_eq!(probe.begun, 1);
    assert!(probe.messages > 100);
    assert_eq!(probe.finished, [stats]);
    assert_eq!(stats.dissect.messages, probe.messages as u64);
}

#[test]
fn a_sink_that_stops_after_n_messages_stops_the_pass() {
    let (_, all) = whole("binary.pcap");
    let mut probe = Probe {
        stop_after: Some(3),
        ..Probe::default()
    };
    let stats = run(Source::file(fixture("binary.pcap")), &[11211], &mut probe)
        .expect("a stop is not an error");
    assert_eq!(probe.messages, 3, "nothing after the stop");
    assert!(
        stats.frames < all.frames / 2,
        "reading went on: {} of {} frames",
        stats.frames,
        all.frames
    );
    assert_eq!(probe.finished, [stats], "finish still comes, once");
}

#[test]
fn a_sink_error_ends_the_pass_without_finish() {
    let mut probe = Probe {
        fail_at: Some(4),
        ..Probe::default()
    };
    let result = run(Source::file(fixture("ascii.pcap")), &[11211], &mut probe);
    assert!(matches!(result, Err(ProbeError::Boom)), "{result:?}");
    assert_eq!(probe.messages, 4);
    assert!(probe.finished.is_empty());
}

#[test]
fn source_errors_arrive_as_the_sinks_own_error() {
    let mut probe = Probe::default();
    let missing = fixture("no-such-capture.pcap");
    let result = run(Source::file(&missing), &[11211], &mut probe);
    match result {
        Err(ProbeError::Source(SourceError::Read { path, .. })) => assert_eq!(path, missing),
        other => panic!("expected a read error, got {other:?}"),
    }
    assert!(probe.finished.is_empty());
    let e = run(Source::file(&missing), &[11211], from_fn(|_| true)).unwrap_err();
    assert!(e.to_string().starts_with("reading "), "{e}");
}

#[test]
fn refusing_to_begin_reads_nothing() {
    let mut probe = Probe {
        refuse_to_begin: true,
        ..Probe::default()
    };
    let stats = run(Source::file(fixture("binary.pcap")), &[11211], &mut probe).expect("no error");
    assert_eq!((probe.messages, stats.frames), (0, 0));
    assert_eq!(probe.finished.len(), 1);
}

#[test]
fn files_are_read_one_after_another_as_one_pass() {
    let (a, a_stats) = whole("binary.pcap");
    let (b, b_stats) = whole("ascii.pcap");
    let mut probe = Probe::default();
    let source = Source::files([fixture("binary.pcap"), fixture("ascii.pcap")]);
    let stats = run(source, &[11211], &mut probe).expect("reads");
    assert_eq!(probe.messages, a.messages + b.messages);
    assert_eq!(stats.frames, a_stats.frames + b_stats.frames);
    assert!(probe.progress.is_empty(), "small files report no progress");
    assert_eq!(probe.finished, [stats]);
}

/// A capture of `pairs` text get/miss exchanges on one connection, one frame each way.
fn synthetic(path: &Path, pairs: usize) {
    let mut w = CaptureWriter::new(
        std::io::BufWriter::new(std::fs::File::create(path).expect("create")),
        Format::Pcap,
    )
    .expect("writer");
    let c = "10.0.0.1:40000".parse().expect("addr");
    let s = "10.0.0.2:11211".parse().expect("addr");
    let conn = w
        .open_connection(c, s, Timestamp::from_nanos(1_000))
        .expect("open");
    for i in 0..pairs as u64 {
        let ts = Timestamp::from_nanos(10_000 + i * 1_000);
        w.write_data(conn, Direction::ToServer, ts, b"get k\r\n")
            .expect("write");
        w.write_data(conn, Direction::ToClient, ts, b"END\r\n")
            .expect("write");
    }
    w.flush().expect("flush");
}

#[test]
fn progress_comes_every_65536_frames_and_can_stop_the_pass() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("many.pcap");
    synthetic(&path, 70_000);
    let size = std::fs::metadata(&path).expect("size").len();

    let mut probe = Probe::default();
    let stats = run(Source::file(&path), &[11211], &mut probe).expect("reads");
    assert_eq!(probe.progress.len(), (stats.frames / 65_536) as usize);
    assert!(probe
        .progress
        .iter()
        .all(|p| p.total == size && p.read <= size));

    let mut probe = Probe {
        stop_on_progress: true,
        ..Probe::default()
    };
    let stats = run(Source::file(&path), &[11211], &mut probe).expect("a stop is not an error");
    assert_eq!(probe.progress.len(), 1);
    assert_eq!(stats.frames, 65_535, "the frame of the report is not read");
    assert_eq!(probe.finished, [stats]);
}

fn text(conn: u64, dir: Direction, bytes: &'static [u8]) -> StreamEvent {
    let client = "10.0.0.1:40000".parse().expect("addr");
    let server = "10.0.0.2:11211".parse().expect("addr");
    StreamEvent {
        origin: Origin::new(conn, client, server, dir).at(0, Timestamp::from_nanos(1)),
        kind: StreamEventKind::Data(bytes::Bytes::from_static(bytes)),
    }
}

#[test]
fn a_driver_fed_stream_events_stops_and_fails_the_same_way() {
    let mut probe = Probe {
        stop_after: Some(2),
        ..Probe::default()
    };
    let mut driver = Driver::start(&[], &mut probe).expect("begins");
    assert!(driver
        .stream(text(1, Direction::ToServer, b"get a\r\n"))
        .expect("ok"));
    assert!(!driver
        .stream(text(1, Direction::ToServer, b"get b\r\nget c\r\n"))
        .expect("ok"));
    assert!(!driver.is_going());
    assert!(!driver
        .stream(text(1, Direction::ToServer, b"get d\r\n"))
        .expect("ok"));
    let stats = driver.finish().expect("finishes");
    assert_eq!(probe.messages, 2);
    assert_eq!(probe.finished, [stats]);

    let mut probe = Probe {
        fail_at: Some(1),
        ..Probe::default()
    };
    let mut driver = Driver::start(&[], &mut probe).expect("begins");
    assert!(matches!(
        driver.stream(text(1, Direction::ToServer, b"get a\r\nget b\r\n")),
        Err(ProbeError::Boom)
    ));
    assert!(!driver
        .stream(text(1, Direction::ToServer, b"get c\r\n"))
        .expect("once"));
    driver.finish().expect("the error was handed back already");
    assert_eq!(probe.messages, 1);
    assert!(probe.finished.is_empty());
}

#[test]
fn a_filtered_sink_sees_only_what_the_filter_takes() {
    let filter: crate::filter::Filter = r#"kind == "response""#.parse().expect("filter");
    let (all, _) = whole("meta.pcap");
    let mut probe = Probe::default();
    let stats = run(
        Source::file(fixture("meta.pcap")),
        &[11211],
        Filtered::new(&filter, &mut probe),
    )
    .expect("reads");
    assert!(probe.messages > 0 && probe.messages < all.messages);
    assert_eq!(probe.finished, [stats]);
}
