//! Where the TUI's messages come from: a thread per source sends batches over a bounded
//! channel. A file is read as fast as the UI takes it (blocking sends: nothing is lost); live
//! sources never wait for the UI (a full channel drops the batch and counts it).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use memshark_traffic::dissect::Message;
use memshark_traffic::pipeline::{dissect_file, PassStats};

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

/// Reads a capture file on its own thread. With `play = Some(speed)`, messages are released
/// at the capture's own pace, `speed` times faster.
pub fn file(path: PathBuf, ports: Vec<u16>, play: Option<f64>) -> Receiver<FeedEvent> {
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("memshark-file".into())
        .spawn(move || {
            let total = std::fs::metadata(&path)
                .map(|m| m.len())
                .unwrap_or(0)
                .max(1);
            let mut out = Batcher::new(tx.clone(), false, Arc::default());
            let progress_tx = tx.clone();
            let mut progress = move |done: u64| {
                let _ = progress_tx
                    .try_send(FeedEvent::Progress((done as f64 / total as f64).min(1.0)));
            };
            let mut pace: Option<(u64, Instant)> = None;
            let result = dissect_file(&path, &ports, &mut progress, &mut |m| {
                if let Some(speed) = play.filter(|s| *s > 0.0) {
                    let ts = m.origin.ts.as_nanos();
                    let (t0, wall0) = *pace.get_or_insert((ts, Instant::now()));
                    let due = Duration::from_secs_f64(ts.saturating_sub(t0) as f64 / 1e9 / speed);
                    let now = wall0.elapsed();
                    if due > now {
                        if !out.flush() {
                            return false;
                        }
                        std::thread::sleep((due - now).min(Duration::from_secs(5)));
                    }
                }
                out.push(m)
            });
            out.flush();
            let _ = match result {
                Ok(stats) => tx.send(FeedEvent::Ended(Some(Box::new(stats)))),
                Err(e) => tx.send(FeedEvent::Failed(format!("{}: {e}", path.display()))),
            };
        })
        .ok();
    rx
}

/// A live capture on its own thread (cargo feature `live`). The UI never blocks it: batches
/// that find the channel full are dropped and counted in `dropped`.
#[cfg(feature = "live")]
pub fn live(
    iface: String,
    bpf: Option<String>,
    ports: Vec<u16>,
    dropped: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> Result<Receiver<FeedEvent>, memshark_traffic::capture::live::LiveError> {
    use memshark_traffic::capture::live::LiveCapture;
    use memshark_traffic::pipeline::Pass;
    let mut cap = LiveCapture::open(&iface, bpf.as_deref(), &ports, 262_144)?;
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("memshark-capture".into())
        .spawn(move || {
            let mut out = Batcher::new(tx, true, dropped);
            let mut pass = Pass::new(&ports);
            let mut last_stats = Instant::now();
            let mut going = true;
            while going && !stop.load(Ordering::Relaxed) {
                match cap.next_frame() {
                    Ok(Some(frame)) => pass.feed(&frame, &mut |m| {
                        if going {
                            going = out.push(m);
                        }
                    }),
                    Ok(None) => {
                        going = out.flush();
                        std::thread::sleep(Duration::from_micros(500));
                    }
                    Err(e) => {
                        out.flush();
                        let _ = out.tx.send(FeedEvent::Failed(e.to_string()));
                        return;
                    }
                }
                if last_stats.elapsed() >= Duration::from_millis(500) {
                    last_stats = Instant::now();
                    if let Ok(s) = cap.stats() {
                        out.send(FeedEvent::Kernel(s.received, s.dropped, s.if_dropped));
                    }
                }
            }
            let stats = pass.finish(&mut |m| {
                out.push(m);
            });
            out.flush();
            let _ = out.tx.send(FeedEvent::Ended(Some(Box::new(stats))));
        })
        .ok();
    Ok(rx)
}

/// Unused without the `live` feature; keeps the imports honest.
#[cfg(not(feature = "live"))]
#[allow(dead_code)]
fn _unused(_: Arc<AtomicBool>) {}

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
