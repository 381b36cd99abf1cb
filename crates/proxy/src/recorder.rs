//! The tap's consumer: dissects the proxied traffic and records it as a capture file.

use std::collections::HashMap;
use std::io::BufWriter;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;

use super::TapEvent;
use crate::routed::RoutedSink;
use memshark_traffic::capture::writer::ConnHandle;
use memshark_traffic::capture::{CaptureWriter, Direction, Origin, StreamEvent, StreamEventKind};
use memshark_traffic::source::{Driver, Sink};

/// Where and how to record.
#[derive(Debug, Clone, Default)]
pub struct RecordConfig {
    /// The file (pcapng for `.pcapng`, pcap otherwise).
    pub path: PathBuf,
    /// Start a new file when one reaches this size (tcpdump `-C`); `None`: one file.
    pub max_size: Option<u64>,
    /// With `max_size`: keep this many files, reusing the oldest (tcpdump `-W`); files are
    /// named `PATH0`, `PATH1`, … like tcpdump's. 0 means no limit.
    pub files: usize,
    /// Replace every value with its length before recording (see [`super::redact`]).
    pub redact_values: bool,
}

/// Writes proxied connections as a capture: one synthetic TCP connection per proxied one, with
/// the real client and backend addresses and the times bytes were read.
pub struct Recorder {
    writer: CaptureWriter<BufWriter<std::fs::File>>,
    conns: HashMap<u64, (ConnHandle, SocketAddr, SocketAddr)>,
    config: RecordConfig,
    /// Index of the current file in a ring.
    index: usize,
    redactor: Option<super::redact::Redactor>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("connections", &self.conns.len())
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Creates the (first) file.
    pub fn create(config: &RecordConfig) -> std::io::Result<Recorder> {
        Ok(Recorder {
            writer: Self::open_file(config, 0)?,
            conns: HashMap::new(),
            config: config.clone(),
            index: 0,
            redactor: config.redact_values.then(super::redact::Redactor::default),
        })
    }

    /// The path of file `index` of the ring (the plain path when not rotating).
    pub fn file_path(config: &RecordConfig, index: usize) -> PathBuf {
        if config.max_size.is_none() {
            return config.path.clone();
        }
        let mut name = config.path.clone().into_os_string();
        name.push(index.to_string());
        PathBuf::from(name)
    }

    fn open_file(
        config: &RecordConfig,
        index: usize,
    ) -> std::io::Result<CaptureWriter<BufWriter<std::fs::File>>> {
        let file = memshark_traffic::capture::create_private(Self::file_path(config, index))?;
        CaptureWriter::new(
            BufWriter::with_capacity(256 * 1024, file),
            memshark_traffic::capture::Format::from_path(&config.path),
        )
    }

    /// Moves to the next file of the ring, re-opening the live connections there.
    fn rotate(&mut self, ts: memshark_traffic::capture::Timestamp) -> std::io::Result<()> {
        self.writer.flush()?;
        self.index += 1;
        if self.config.files > 0 {
            self.index %= self.config.files;
        }
        self.writer = Self::open_file(&self.config, self.index)?;
        for (handle, client, server) in self.conns.values_mut() {
            *handle = self.writer.open_connection(*client, *server, ts)?;
        }
        Ok(())
    }

    /// Records one tap event.
    pub fn record(&mut self, ev: &TapEvent) -> std::io::Result<()> {
        match ev {
            TapEvent::Open {
                conn,
                client,
                server,
                ts,
                ..
            } => {
                let handle = self.writer.open_connection(*client, *server, *ts)?;
                self.conns.insert(*conn, (handle, *client, *server));
            }
            TapEvent::Data {
                conn,
                dir,
                ts,
                bytes,
            } => {
                if let Some(&(h, ..)) = self.conns.get(conn) {
                    match &mut self.redactor {
                        Some(r) => {
                            let redacted = r.redact(*conn, *dir, bytes);
                            if !redacted.is_empty() {
                                self.writer.write_data(h, *dir, *ts, &redacted)?;
                            }
                        }
                        None => self.writer.write_data(h, *dir, *ts, bytes)?,
                    }
                }
                if self
                    .config
                    .max_size
                    .is_some_and(|max| self.writer.bytes_written() >= max)
                {
                    self.rotate(*ts)?;
                }
            }
            TapEvent::Closed { conn, ts, reset } => {
                if let Some(r) = &mut self.redactor {
                    r.forget(*conn);
                }
                if let Some((h, ..)) = self.conns.remove(conn) {
                    self.writer.close(h, *ts, *reset)?;
                }
            }
        }
        Ok(())
    }

    /// Bytes written to the current file so far.
    pub fn size(&self) -> u64 {
        self.writer.bytes_written()
    }

    /// Flushes buffered frames to the file.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// Consumes the tap: records it when a [`Recorder`] is given (flushing at least every
/// 200 ms), and dissects every proxied connection into a [`Sink`] through a
/// [`Driver`] — the tap is a source that pushes, per-connection byte streams with no
/// reassembly to do. The messages of a router's client connections carry, as their server,
/// the pool server each request went to (the recording keeps the proxy's address: it is what
/// was on the wire).
///
/// The sink's answers mean what [`Sink`] says, with one addition: once the sink has stopped
/// (`Ok(false)`), recording goes on until the tap closes.
pub struct TapConsumer {
    endpoints: HashMap<u64, (SocketAddr, SocketAddr)>,
    /// The recorder, if recording.
    pub recorder: Option<Recorder>,
}

impl std::fmt::Debug for TapConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TapConsumer").finish_non_exhaustive()
    }
}

impl TapConsumer {
    /// A consumer, recording or not.
    pub fn new(recorder: Option<Recorder>) -> TapConsumer {
        TapConsumer {
            endpoints: HashMap::new(),
            recorder,
        }
    }

    /// Records one tap event and hands it to the dissector as stream events.
    fn handle<S: Sink>(
        &mut self,
        ev: TapEvent,
        driver: &mut Driver<RoutedSink<S>>,
    ) -> Result<(), S::Error> {
        if let Some(r) = &mut self.recorder {
            if let Err(e) = r.record(&ev) {
                eprintln!("memshark proxy: recording failed, recording stops: {e}");
                self.recorder = None;
            }
        }
        let leg = match &ev {
            TapEvent::Open { conn, .. }
            | TapEvent::Data { conn, .. }
            | TapEvent::Closed { conn, .. } => conn & crate::SERVER_LEG != 0,
        };
        if leg {
            // The router's server connections: recorded only.
            return Ok(());
        }
        let (conn, dir, ts, kind) = match ev {
            TapEvent::Open {
                conn,
                client,
                server,
                route,
                ..
            } => {
                self.endpoints.insert(conn, (client, server));
                if let Some(route) = route {
                    driver.sink_mut().open(conn, route);
                }
                return Ok(());
            }
            TapEvent::Data {
                conn,
                dir,
                ts,
                bytes,
            } => (conn, dir, ts, StreamEventKind::Data(bytes)),
            TapEvent::Closed { conn, ts, reset } => {
                if let Some((client, server)) = self.endpoints.remove(&conn) {
                    for dir in [Direction::ToServer, Direction::ToClient] {
                        driver.stream(StreamEvent {
                            origin: Origin::new(conn, client, server, dir).at(0, ts),
                            kind: StreamEventKind::Closed { reset },
                        })?;
                    }
                }
                driver.sink_mut().close(conn);
                return Ok(());
            }
        };
        if let Some(&(client, server)) = self.endpoints.get(&conn) {
            driver.stream(StreamEvent {
                origin: Origin::new(conn, client, server, dir).at(0, ts),
                kind,
            })?;
        }
        Ok(())
    }

    /// Flushes the recording, saying so when that fails.
    fn flush(&mut self) {
        if let Some(r) = &mut self.recorder {
            if let Err(e) = r.flush() {
                eprintln!("memshark proxy: flushing the recording failed: {e}");
            }
        }
    }

    /// Runs until the tap closes (every proxy connection and the proxy itself are gone), then
    /// flushes the recording, ends the pass ([`Sink::finish`]) and hands the recorder back.
    /// A sink error ends it at once (the recording is flushed and closed) and is returned.
    pub async fn run<S: Sink>(
        mut self,
        mut rx: mpsc::Receiver<TapEvent>,
        sink: S,
    ) -> Result<Option<Recorder>, S::Error> {
        let mut driver = Driver::start(&[], RoutedSink::new(sink))?;
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                ev = rx.recv() => match ev {
                    Some(ev) => {
                        if let Err(e) = self.handle(ev, &mut driver) {
                            self.flush();
                            return Err(e);
                        }
                    }
                    None => break,
                },
                _ = tick.tick() => {
                    self.flush();
                    // A quiet proxy still gets its moments: a dump due to roll rolls on time.
                    driver.idle()?;
                }
            }
        }
        if let Some(r) = &mut self.recorder {
            let _ = r.flush();
        }
        driver.finish()?;
        Ok(self.recorder)
    }
}
