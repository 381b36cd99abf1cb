//! Where `dump` and `stats` read from: capture files, directories and recording rings merged
//! by time, or (feature `live`) an interface. The reading itself is
//! [`memshark::source::run`], or [`memshark::source::run_parallel`] with `--threads` above 1.

use std::path::PathBuf;

use anyhow::bail;
use memshark::pipeline::PassStats;
use memshark::source::{self, Filtered, Sink};

/// Capture files or a live interface.
#[derive(Debug, clap::Args)]
pub struct Source {
    /// Captures (pcap, pcapng, optionally gzipped), directories of them, or the base name FILE
    /// of a recording ring (FILE0, FILE1, …, read oldest first); several are merged by time
    /// into one capture, as mergecap does (`dump --out-dir` reads each on its own).
    #[arg(required_unless_present = "interface", value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Threads that decode (connections are shared out among them by address; the output is
    /// the same as with 1). Default 1: on two cores the hand-over between threads costs more
    /// than a second decoder gains (see bench/RESULTS.md); try it on bigger machines.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Capture live from this interface instead (cargo feature `live`; root or CAP_NET_RAW).
    #[arg(short = 'i', long = "interface", conflicts_with = "files")]
    pub interface: Option<String>,
    /// Live: a BPF filter instead of the one built from --port.
    #[arg(long, requires = "interface")]
    bpf: Option<String>,
    /// Live: stop after this many seconds.
    #[arg(long, requires = "interface")]
    duration: Option<f64>,
    /// Live: stop after this many frames.
    #[arg(long, requires = "interface")]
    count: Option<u64>,
    /// TCP/UDP ports that carry memcached (repeatable); streams that start with a binary
    /// header are recognised on any port.
    #[arg(long = "port", default_values_t = [11211u16])]
    pub ports: Vec<u16>,
    /// Only messages matching this display filter (the TUI's `/` language), e.g.
    /// `op == "get" && status != 0`, `latency > 1ms`, `key ~ "^user:"`.
    #[arg(long)]
    pub filter: Option<memshark::filter::Filter>,
}

impl Source {
    /// Opens what the arguments name: a file is opened when read; a live capture starts here,
    /// stopping on Ctrl-C/SIGTERM, after --duration or after --count frames.
    fn open(&self) -> anyhow::Result<source::Source> {
        if !self.files.is_empty() {
            return Ok(source::resolve(&self.files)?);
        }
        let Some(iface) = &self.interface else {
            bail!("give a capture file or -i INTERFACE");
        };
        self.live(iface)
    }

    #[cfg(not(feature = "live"))]
    fn live(&self, _: &str) -> anyhow::Result<source::Source> {
        bail!("this memshark was built without live capture: rebuild with `cargo build --release --features live` (needs libpcap-dev)")
    }

    #[cfg(feature = "live")]
    fn live(&self, iface: &str) -> anyhow::Result<source::Source> {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        use std::time::Duration;

        let mut live = source::LiveSource::open(iface, self.bpf.as_deref(), &self.ports)?;
        let stop = Arc::new(AtomicBool::new(false));
        {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(super::shutdown_signal());
                    stop.store(true, Ordering::Relaxed);
                }
            });
        }
        live = live.stop_on(stop);
        if let Some(d) = self.duration {
            live = live.duration(Duration::try_from_secs_f64(d.max(0.0)).unwrap_or(Duration::MAX));
        }
        if let Some(c) = self.count {
            live = live.count(c);
        }
        Ok(source::Source::Live(live))
    }
}

/// Reads the source through the display filter into `sink` (see [`Sink`] for stopping);
/// returns the pass counters. A live capture's kernel counters are also told on stderr.
pub fn read<S>(source: &Source, sink: S) -> anyhow::Result<PassStats>
where
    S: Sink,
    S::Error: Into<anyhow::Error>,
{
    let opened = source.open()?;
    run(source, opened, sink)
}

/// The paths named, as given (empty for a live capture).
pub fn files(source: &Source) -> &[PathBuf] {
    &source.files
}

/// The threads `--threads` asks for (default 1).
pub fn threads(source: &Source) -> usize {
    source.threads.map_or(1, usize::from)
}

/// The inputs one by one (empty for a live capture), each with the path it is named after:
/// a file, every capture file of a directory, a ring (named by its base).
pub fn inputs(source: &Source) -> anyhow::Result<Vec<(PathBuf, source::Source)>> {
    let mut inputs = Vec::new();
    for path in &source.files {
        match source::resolve(std::slice::from_ref(path))? {
            source::Source::Merged(recordings) => {
                for r in recordings {
                    let name = r.files.first().cloned().unwrap_or_else(|| path.clone());
                    inputs.push((name, source::Source::Files(r.files)));
                }
            }
            one => inputs.push((path.clone(), one)),
        }
    }
    Ok(inputs)
}

/// Like [`read`], for one of the [`inputs`] alone.
pub fn read_input<S>(source: &Source, input: source::Source, sink: S) -> anyhow::Result<PassStats>
where
    S: Sink,
    S::Error: Into<anyhow::Error>,
{
    run(source, input, sink)
}

fn run<S>(source: &Source, opened: source::Source, sink: S) -> anyhow::Result<PassStats>
where
    S: Sink,
    S::Error: Into<anyhow::Error>,
{
    let threads = threads(source);
    let stats = match source.filter.as_ref().filter(|f| !f.is_all()) {
        Some(f) => source::run_parallel(opened, &source.ports, threads, Filtered::new(f, sink)),
        None => source::run_parallel(opened, &source.ports, threads, sink),
    }
    .map_err(Into::into)?;
    if let Some(k) = stats.kernel {
        eprintln!(
            "memshark: {} packets received by the capture, {} dropped by the kernel, {} by the interface",
            k.received, k.dropped, k.if_dropped
        );
    }
    Ok(stats)
}
