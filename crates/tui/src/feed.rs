//! Where the TUI's messages come from: a thread per source sends batches over a bounded
//! channel. Files and live captures are read by [`memshark_traffic::source::run`] into a
//! [`ToUi`] sink on their own thread; a file is read as fast as the UI takes it (blocking
//! sends: nothing is lost); live sources never wait for the UI (a full channel drops the batch
//! and counts it). The proxy tap pushes into a [`Collector`] instead.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use memshark_traffic::capture::LiveStats;
use memshark_traffic::dissect::Message;
use memshark_traffic::pipeline::PassStats;
use memshark_traffic::source::{self, Progress, Sink, Source, SourceError};

/// Messages per batch.
pub const BATCH: usize = 2048;
/// Batches in flight.
pub const DEPTH: usize = 256;

/// What a source sends the UI.
#[derive(Debug)]
pub enum FeedEvent {
    /// Messages, in order.
    Messages(Vec<Message>),
    /// A file's read progress, 0..=1.
    Progress(f64),
    /// The kernel's (received, dropped, interface-dropped) counts of a live capture.
    Kernel(u32, u32, u32),
    /// The source ended (with the pass counters, when it was a capture).
    Ended(Option<Box<PassStats>>),
    /// The source failed.
    Failed(String),
}

/// Sends batches of messages, blocking (files) or dropping when the UI is behind (live).
#[derive(Debug)]
pub struct Batcher {
    tx: SyncSender<FeedEvent>,
    batch: Vec<Message>,
    lossy: bool,
    dropped: Arc<AtomicU64>,
    last_flush: Instant,
}

impl Batcher {
    /// A batcher on `tx`; `lossy` for live sources, counting what it drops in `dropped`.
    pub fn new(tx: SyncSender<FeedEvent>, lossy: bool, dropped: Arc<AtomicU64>) -> Batcher {
        Batcher {
            tx,
            batch: Vec::with_capacity(BATCH),
            lossy,
            dropped,
            last_flush: Instant::now(),
        }
    }

    /// Queues one message; returns `false` once the UI has gone.
    pub fn push(&mut self, m: Message) -> bool {
        self.batch.push(m);
        if self.batch.len() >= BATCH
            || (self.lossy && self.last_flush.elapsed() >= Duration::from_millis(20))
        {
            return self.flush();
        }
        true
    }

    /// Sends what is queued; returns `false` once the UI has gone.
    pub fn flush(&mut self) -> bool {
        self.last_flush = Instant::now();
        if self.batch.is_empty() {
            return true;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.send(FeedEvent::Messages(batch))
    }

    /// Sends an event (dropping message batches when lossy and full).
    pub fn send(&mut self, ev: FeedEvent) -> bool {
        if self.lossy {
            match self.tx.try_send(ev) {
                Ok(()) => true,
                Err(TrySendError::Full(FeedEvent::Messages(b))) => {
                    self.dropped.fetch_add(b.len() as u64, Ordering::Relaxed);
                    true
                }
                Err(TrySendError::Full(_)) => true,
                Err(TrySendError::Disconnected(_)) => false,
            }
        } else {
            self.tx.send(ev).is_ok()
        }
    }
}

/// A channel for a source.
pub fn channel() -> (SyncSender<FeedEvent>, Receiver<FeedEvent>) {
    sync_channel(DEPTH)
}

/// Holds messages back to the capture's own pace, `speed` times faster (`--play`).
#[derive(Debug)]
struct Pace {
    speed: f64,
    /// The first message's capture time and when it was released.
    start: Option<(u64, Instant)>,
}

impl Pace {
    /// How long to wait before releasing a message captured at `ts` (nanoseconds).
    fn wait(&mut self, ts: u64) -> Option<Duration> {
        let (t0, wall0) = *self.start.get_or_insert((ts, Instant::now()));
        let due = Duration::from_secs_f64(ts.saturating_sub(t0) as f64 / 1e9 / self.speed);
        let now = wall0.elapsed();
        (due > now).then(|| (due - now).min(Duration::from_secs(5)))
    }
}

/// The UI as a [`Sink`]: messages in batches, read progress and kernel counters as events.
/// It stops the pass once the UI has gone.
#[derive(Debug)]
pub struct ToUi {
    out: Batcher,
    pace: Option<Pace>,
}

impl ToUi {
    /// A sink sending on `out`; with `play = Some(speed)` (above 0), messages are released at
    /// the capture's own pace, `speed` times faster.
    pub fn new(out: Batcher, play: Option<f64>) -> ToUi {
        ToUi {
            out,
            pace: play
                .filter(|s| *s > 0.0)
                .map(|speed| Pace { speed, start: None }),
        }
    }
}

impl Sink for ToUi {
    type Error = SourceError;

    fn message(&mut self, m: Message) -> Result<bool, SourceError> {
        if let Some(wait) = self
            .pace
            .as_mut()
            .and_then(|p| p.wait(m.origin.ts.as_nanos()))
        {
            if !self.out.flush() {
                return Ok(false);
            }
            std::thread::sleep(wait);
        }
        Ok(self.out.push(m))
    }

    fn progress(&mut self, progress: Progress) -> Result<bool, SourceError> {
        let _ = self
            .out
            .tx
            .try_send(FeedEvent::Progress(progress.fraction()));
        Ok(true)
    }

    fn idle(&mut self) -> Result<bool, SourceError> {
        Ok(self.out.flush())
    }

    fn kernel(&mut self, k: LiveStats) -> Result<bool, SourceError> {
        self.out
            .send(FeedEvent::Kernel(k.received, k.dropped, k.if_dropped));
        Ok(true)
    }

    fn finish(&mut self, _: &PassStats) -> Result<(), SourceError> {
        self.out.flush();
        Ok(())
    }
}

/// Reads `source` into `sink` on a thread named `name`; the UI then gets
/// [`FeedEvent::Ended`] with the pass counters, or [`FeedEvent::Failed`].
fn spawn(name: &str, source: Source, ports: Vec<u16>, mut sink: ToUi) {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let result = source::run(source, &ports, &mut sink);
            sink.out.flush();
            let _ = sink.out.tx.send(match result {
                Ok(stats) => FeedEvent::Ended(Some(Box::new(stats))),
                Err(SourceError::Read { path, error }) => {
                    FeedEvent::Failed(format!("{}: {error}", path.display()))
                }
                Err(e) => FeedEvent::Failed(e.to_string()),
            });
        })
        .ok();
}

/// Reads a capture file on its own thread. With `play = Some(speed)`, messages are released
/// at the capture's own pace, `speed` times faster.
pub fn file(path: PathBuf, ports: Vec<u16>, play: Option<f64>) -> Receiver<FeedEvent> {
    let (tx, rx) = channel();
    let sink = ToUi::new(Batcher::new(tx, false, Arc::default()), play);
    spawn("memshark-file", Source::File(path), ports, sink);
    rx
}

/// Reads any file source (several files merged by time, a ring: see
/// [`source::resolve`]) on its own thread, as [`file()`] does one file.
pub fn capture(source: Source, ports: Vec<u16>, play: Option<f64>) -> Receiver<FeedEvent> {
    let (tx, rx) = channel();
    let sink = ToUi::new(Batcher::new(tx, false, Arc::default()), play);
    spawn("memshark-file", source, ports, sink);
    rx
}

/// A live capture on its own thread (cargo feature `live`), opened by
/// [`source::LiveSource::open`] on the calling thread so that its errors come before the UI
/// starts. The UI never blocks it: batches that find the channel full are
/// dropped and counted in `dropped`. It stops once `stop` is set.
#[cfg(feature = "live")]
pub fn live(
    iface: String,
    bpf: Option<String>,
    ports: Vec<u16>,
    dropped: Arc<AtomicU64>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Result<Receiver<FeedEvent>, memshark_traffic::capture::live::LiveError> {
    let live = source::LiveSource::open(&iface, bpf.as_deref(), &ports)?.stop_on(stop);
    let (tx, rx) = channel();
    let sink = ToUi::new(Batcher::new(tx, true, dropped), None);
    spawn("memshark-capture", Source::Live(live), ports, sink);
    Ok(rx)
}

/// Collects messages from a callback-driven source (the proxy tap) without ever blocking it:
/// messages wait in a bounded buffer that a small thread hands to the UI every 20 ms. What
/// does not fit is dropped and counted.
#[derive(Debug, Clone)]
pub struct Collector {
    pending: Arc<std::sync::Mutex<Vec<Message>>>,
    cap: usize,
    dropped: Arc<AtomicU64>,
}

impl Collector {
    /// Takes one message (or counts it as dropped when `cap` are already waiting).
    pub fn push(&self, m: Message) {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if p.len() >= self.cap {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            p.push(m);
        }
    }
}

/// A collector holding at most `cap` messages, and the channel the UI reads. The hand-off
/// thread ends (and the UI sees the source end) once every clone of the collector is gone.
pub fn collector(cap: usize, dropped: Arc<AtomicU64>) -> (Collector, Receiver<FeedEvent>) {
    let (tx, rx) = channel();
    let c = Collector {
        pending: Arc::default(),
        cap,
        dropped,
    };
    let pending = Arc::clone(&c.pending);
    std::thread::Builder::new()
        .name("memshark-collector".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_millis(20));
            let batch = std::mem::take(&mut *pending.lock().unwrap_or_else(|e| e.into_inner()));
            if !batch.is_empty() && tx.send(FeedEvent::Messages(batch)).is_err() {
                return;
            }
            if Arc::strong_count(&pending) == 1 {
                let _ = tx.send(FeedEvent::Ended(None));
                return;
            }
        })
        .ok();
    (c, rx)
}
