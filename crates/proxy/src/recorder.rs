//! The tap's consumer: dissects the proxied traffic and records it as a capture file.

use std::collections::HashMap;
use std::io::BufWriter;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;

use super::TapEvent;
use memshark_traffic::capture::writer::ConnHandle;
use memshark_traffic::capture::{CaptureWriter, Origin, StreamEvent, StreamEventKind};
use memshark_traffic::dissect::{Dissector, Message};

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
        let file = std::fs::File::create(Self::file_path(config, index))?;
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

/// Consumes the tap: dissects every proxied connection (messages go to `on_message`) and
/// records it when a [`Recorder`] is given, flushing at least every 200 ms.
pub struct TapConsumer {
    dissector: Dissector,
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
            dissector: Dissector::new(),
            endpoints: HashMap::new(),
            recorder,
        }
    }

    fn handle(&mut self, ev: TapEvent, on_message: &mut dyn FnMut(Message)) {
        if let Some(r) = &mut self.recorder {
            if let Err(e) = r.record(&ev) {
                eprintln!("memshark proxy: recording failed, recording stops: {e}");
                self.recorder = None;
            }
        }
        let (conn, dir, ts, kind) = match ev {
            TapEvent::Open {
                conn,
                client,
                server,
                ..
            } => {
                self.endpoints.insert(conn, (client, server));
                return;
            }
            TapEvent::Data {
                conn,
                dir,
                ts,
                bytes,
            } => (conn, dir, ts, StreamEventKind::Data(bytes)),
            TapEvent::Closed { conn, ts, reset } => {
                if let Some(&(client, server)) = self.endpoints.get(&conn) {
                    for dir in [
                        memshark_traffic::capture::Direction::ToServer,
                        memshark_traffic::capture::Direction::ToClient,
                    ] {
                        self.dissector.push(
                            StreamEvent {
                                origin: Origin::new(conn, client, server, dir).at(0, ts),
                                kind: StreamEventKind::Closed { reset },
                            },
                            &mut |m| on_message(m),
                        );
                    }
                }
                self.endpoints.remove(&conn);
                return;
            }
        };
        if let Some(&(client, server)) = self.endpoints.get(&conn) {
            self.dissector.push(
                StreamEvent {
                    origin: Origin::new(conn, client, server, dir).at(0, ts),
                    kind,
                },
                &mut |m| on_message(m),
            );
        }
    }

    /// Runs until the tap closes (every proxy connection and the proxy itself are gone), then
    /// flushes and closes the recording.
    pub async fn run(
        mut self,
        mut rx: mpsc::Receiver<TapEvent>,
        on_message: &mut (dyn FnMut(Message) + Send),
    ) -> Option<Recorder> {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                ev = rx.recv() => match ev {
                    Some(ev) => self.handle(ev, on_message),
                    None => break,
                },
                _ = tick.tick() => {
                    if let Some(r) = &mut self.recorder {
                        if let Err(e) = r.flush() {
                            eprintln!("memshark proxy: flushing the recording failed: {e}");
                        }
                    }
                }
            }
        }
        if let Some(r) = &mut self.recorder {
            let _ = r.flush();
        }
        self.recorder
    }
}
