//! memcached's logger, as `watch` streams it: each fetch, store and eviction becomes a line
//! (`ts=… gid=… type=item_get key=… status=found clsid=1 cfd=7 size=2`) sent to every
//! watching connection. Nothing is formatted while nobody watches.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::broadcast;

/// Lines a slow watcher may fall behind by before it skips some.
pub const WATCH_BACKLOG: usize = 4096;

/// What a log line is about (the words `watch` takes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    /// Item fetches (`fetchers`).
    Fetch,
    /// Item stores (`mutations`).
    Mutation,
    /// Evictions (`evictions`).
    Eviction,
}

impl LogKind {
    /// The bit of a watch filter.
    pub fn bit(self) -> u8 {
        match self {
            LogKind::Fetch => 1,
            LogKind::Mutation => 2,
            LogKind::Eviction => 4,
        }
    }
}

/// One log line (without its end of line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// What it is about.
    pub kind: LogKind,
    /// The text.
    pub text: String,
}

/// An item as a log line shows it: its class and value length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logged {
    /// Slab class.
    pub class: u8,
    /// Value length.
    pub size: usize,
}

/// The server's logger.
#[derive(Debug)]
pub struct Logger {
    tx: broadcast::Sender<Arc<LogLine>>,
    gid: AtomicU64,
    /// Open [`WatchFeed`]s. Every fetch and mutation asks whether anyone watches; an atomic
    /// answers without the channel's lock.
    watchers: Arc<AtomicUsize>,
}

/// One watcher's feed of log lines; the logger stops building lines once every feed is dropped.
#[derive(Debug)]
pub struct WatchFeed {
    rx: broadcast::Receiver<Arc<LogLine>>,
    watchers: Arc<AtomicUsize>,
}

impl WatchFeed {
    /// The next line (see [`broadcast::Receiver::recv`]: a watcher that falls behind learns
    /// how many lines it lost).
    pub async fn recv(&mut self) -> Result<Arc<LogLine>, broadcast::error::RecvError> {
        self.rx.recv().await
    }

    /// The next line if one is waiting.
    pub fn try_recv(&mut self) -> Result<Arc<LogLine>, broadcast::error::TryRecvError> {
        self.rx.try_recv()
    }
}

impl Drop for WatchFeed {
    fn drop(&mut self) {
        self.watchers.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Default for Logger {
    fn default() -> Self {
        Logger {
            tx: broadcast::channel(WATCH_BACKLOG).0,
            gid: AtomicU64::new(1),
            watchers: Arc::new(AtomicUsize::new(0)),
        }
    }
}

/// A key as memcached logs it: bytes that are not printable are escaped.
fn shown(key: &[u8]) -> String {
    let mut out = String::with_capacity(key.len());
    for &b in key {
        if b.is_ascii_graphic() {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Logger {
    /// Whether anyone watches (callers skip building lines when not).
    pub fn active(&self) -> bool {
        self.watchers.load(Ordering::Relaxed) > 0
    }

    /// How many connections watch.
    pub fn watchers(&self) -> usize {
        self.watchers.load(Ordering::Relaxed)
    }

    /// A new watcher's feed.
    pub fn subscribe(&self) -> WatchFeed {
        self.watchers.fetch_add(1, Ordering::Relaxed);
        WatchFeed {
            rx: self.tx.subscribe(),
            watchers: Arc::clone(&self.watchers),
        }
    }

    fn emit(&self, kind: LogKind, body: String) {
        if !self.active() {
            return;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let gid = self.gid.fetch_add(1, Ordering::Relaxed) + 1;
        let text = format!(
            "ts={}.{:06} gid={gid} {body}",
            now.as_secs(),
            now.subsec_micros()
        );
        let _ = self.tx.send(Arc::new(LogLine { kind, text }));
    }

    /// A fetch of `key` by connection `cfd`: what was found, if anything.
    pub fn fetch(&self, key: &[u8], found: Option<Logged>, cfd: u64) {
        if !self.active() {
            return;
        }
        let (status, item) = match found {
            Some(item) => ("found", item),
            None => ("not_found", Logged { class: 0, size: 0 }),
        };
        self.emit(
            LogKind::Fetch,
            format!(
                "type=item_get key={} status={status} clsid={} cfd={cfd} size={}",
                shown(key),
                item.class,
                item.size
            ),
        );
    }

    /// A store of `key` by connection `cfd`: how it ended (`stored`, `not_stored`, `exists`,
    /// `not_found`), the command, the seconds left to live (0: forever) and the item.
    pub fn store(&self, key: &[u8], (status, cmd): (&str, &str), ttl: u64, item: Logged, cfd: u64) {
        if !self.active() {
            return;
        }
        self.emit(
            LogKind::Mutation,
            format!(
                "type=item_store key={} status={status} cmd={cmd} ttl={ttl} clsid={} cfd={cfd} size={}",
                shown(key),
                item.class,
                item.size
            ),
        );
    }

    /// An eviction: whether the item was fetched, its seconds left (-1: forever), seconds
    /// since its last access, its class.
    pub fn eviction(&self, key: &[u8], fetched: bool, ttl: i64, la: u64, class: u8) {
        if !self.active() {
            return;
        }
        let fetch = if fetched { "yes" } else { "no" };
        self.emit(
            LogKind::Eviction,
            format!(
                "type=eviction key={} fetch={fetch} ttl={ttl} la={la} clsid={class}",
                shown(key)
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_only_while_watched() {
        let logger = Logger::default();
        logger.fetch(b"k", None, 1);
        let mut rx = logger.subscribe();
        logger.fetch(b"k", Some(Logged { class: 1, size: 2 }), 7);
        let line = rx.try_recv().expect("a line");
        assert_eq!(line.kind, LogKind::Fetch);
        assert!(line
            .text
            .ends_with("gid=2 type=item_get key=k status=found clsid=1 cfd=7 size=2"));
    }
}
