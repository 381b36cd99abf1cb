//! `memshark proxy --shadow-diffs FILE`: every difference between a primary answer and its
//! shadow's, one JSON object a line, written by a thread of its own (the router hands them on
//! a bounded channel and counts what it must drop; nothing on the request path waits for the
//! file).

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use tokio::sync::mpsc;

use memshark::proxy::{ShadowDiff, ShadowOutcome};

/// Differences held for the writer before the router starts dropping them.
const QUEUE: usize = 4096;

/// The writer thread of a diffs file.
pub(super) struct DiffsFile {
    thread: std::thread::JoinHandle<()>,
}

impl DiffsFile {
    /// Creates `path` (0600) and starts writing to it; the sender goes to the routers.
    pub(super) fn create(path: &Path) -> anyhow::Result<(DiffsFile, mpsc::Sender<ShadowDiff>)> {
        let file = memshark::capture::create_private(path)
            .with_context(|| format!("creating {}", path.display()))?;
        let (tx, mut rx) = mpsc::channel::<ShadowDiff>(QUEUE);
        let shown = path.display().to_string();
        let thread = std::thread::Builder::new()
            .name("memshark-shadow-diffs".into())
            .spawn(move || {
                let mut out = std::io::BufWriter::new(file);
                while let Some(first) = rx.blocking_recv() {
                    let mut next = Some(first);
                    while let Some(d) = next {
                        if writeln!(out, "{}", json(&d)).is_err() {
                            eprintln!("memshark proxy: writing {shown} failed; no more diffs");
                            return;
                        }
                        next = rx.try_recv().ok();
                    }
                    if out.flush().is_err() {
                        eprintln!("memshark proxy: writing {shown} failed; no more diffs");
                        return;
                    }
                }
            })?;
        Ok((DiffsFile { thread }, tx))
    }

    /// Waits until every difference handed on is written (the thread ends once every sender
    /// is gone), at most two seconds: a comparison still waiting for an answer holds a sender
    /// until the runtime ends, and what the thread got is flushed as it comes anyway.
    pub(super) fn close(self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while !self.thread.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        if self.thread.is_finished() {
            let _ = self.thread.join();
        }
    }
}

/// One difference as a JSON object.
fn json(d: &ShadowDiff) -> serde_json::Value {
    let time = d
        .time
        .duration_since(std::time::UNIX_EPOCH)
        .map(|t| t.as_secs_f64())
        .unwrap_or(0.0);
    serde_json::json!({
        "time": time,
        "pool": d.pool,
        "shadow_pool": d.shadow,
        "key": String::from_utf8_lossy(&d.key),
        "primary": outcome(&d.primary),
        "shadow": outcome(&d.shadowed),
    })
}

/// An answer's comparable content: status, flags, the value's length and, when short and
/// printable, the value.
fn outcome(o: &ShadowOutcome) -> serde_json::Value {
    let mut v = serde_json::json!({ "status": o.status });
    if let Some(f) = &o.flags {
        v["flags"] = f.clone().into();
    }
    if let Some(val) = &o.value {
        v["value_len"] = val.len().into();
        if val.len() <= 64 && val.iter().all(|c| (0x20..0x7f).contains(c)) {
            v["value"] = String::from_utf8_lossy(val).into_owned().into();
        }
    }
    v
}
