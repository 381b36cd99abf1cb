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
        }
    }
}
