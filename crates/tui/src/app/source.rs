//! What the app knows of its traffic's source.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// Where the traffic comes from, and what it has lost.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    /// What the status bar calls it (`file.pcap`, `live eth0`, `proxy :11311 → :11211`).
    pub label: String,
    /// Whether more traffic can come (live sources, a file still loading).
    pub live: bool,
    /// A file's load progress, 0..=1, while loading.
    pub progress: Option<f64>,
    /// Messages the UI could not take in time (live sources), shared with the feeding thread.
    pub dropped: Arc<AtomicU64>,
    /// The kernel's received / dropped / interface-dropped packet counts (live capture).
    pub kernel: Option<(u32, u32, u32)>,
    /// Done: the source ended (end of file, capture stopped).
    pub ended: bool,
    /// The capture file read, when there is one: what `w` exports frames from.
    pub file: Option<std::path::PathBuf>,
    /// A proxy's servers, kept up to date by the proxy (empty for other sources): the stats
    /// screen's per-server panel.
    pub servers: Arc<std::sync::Mutex<Vec<ServerRow>>>,
}

/// One server behind a proxy, as the stats screen shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerRow {
    /// `host:port`.
    pub addr: String,
    /// Out of the placement now (ejected after failures).
    pub ejected: bool,
    /// Requests sent to it since the start.
    pub requests: u64,
    /// Requests that failed on it since the start.
    pub errors: u64,
    /// Requests that timed out since the start.
    pub timeouts: u64,
    /// Times it was ejected since the start.
    pub ejections: u64,
    /// Median latency over the last second, µs (0: no answer).
    pub p50_us: u64,
    /// 99th percentile latency over the last second, µs.
    pub p99_us: u64,
}

impl SourceInfo {
    /// The same, reading capture file `path` (which `w` exports from).
    pub fn with_file(self, path: impl Into<std::path::PathBuf>) -> SourceInfo {
        SourceInfo {
            file: Some(path.into()),
            ..self
        }
    }

    /// A source named `label`.
    pub fn new(label: impl Into<String>, live: bool) -> SourceInfo {
        SourceInfo {
            label: label.into(),
            live,
            progress: None,
            dropped: Arc::default(),
            kernel: None,
            ended: false,
            file: None,
            servers: Arc::default(),
        }
    }
}
