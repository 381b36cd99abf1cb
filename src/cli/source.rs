//! Where `dump` and `stats` read from: a capture file, or (feature `live`) an interface.

use std::path::PathBuf;

use anyhow::{bail, Context};
use memshark::dissect::Message;
use memshark::pipeline::{dissect_file, PassStats};

/// A capture file or a live interface.
#[derive(Debug, clap::Args)]
pub struct Source {
    /// The capture (pcap, pcapng, optionally gzipped).
    #[arg(required_unless_present = "interface")]
    file: Option<PathBuf>,
    /// Capture live from this interface instead (cargo feature `live`; root or CAP_NET_RAW).
    #[arg(short = 'i', long = "interface", conflicts_with = "file")]
    interface: Option<String>,
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

/// What a read ended with: the pass counters and, for a live capture, the kernel's.
pub struct Outcome {
    /// Pipeline counters.
    pub pass: PassStats,
    /// Kernel received/dropped, for live captures.
    pub kernel: Option<(u32, u32, u32)>,
}

/// Reads the source, handing each message to `sink` until it returns `false`.
pub fn read(source: &Source, sink: &mut dyn FnMut(Message) -> bool) -> anyhow::Result<Outcome> {
    match source.filter.as_ref().filter(|f| !f.is_all()) {
        Some(f) => read_all(source, &mut |m| !f.matches(&m) || sink(m)),
        None => read_all(source, sink),
    }
}

fn read_all(source: &Source, sink: &mut dyn FnMut(Message) -> bool) -> anyhow::Result<Outcome> {
    if let Some(file) = &source.file {
        let mut progress = super::dump::progress_for(file);
        let pass = dissect_file(file, &source.ports, &mut progress, sink)
            .with_context(|| format!("reading {}", file.display()))?;
        return Ok(Outcome { pass, kernel: None });
    }
    let Some(iface) = &source.interface else {
        bail!("give a capture file or -i INTERFACE");
    };
    live(source, iface, sink)
}

#[cfg(not(feature = "live"))]
fn live(_: &Source, _: &str, _: &mut dyn FnMut(Message) -> bool) -> anyhow::Result<Outcome> {
    bail!("this memshark was built without live capture: rebuild with `cargo build --release --features live` (needs libpcap-dev)")
}

#[cfg(feature = "live")]
fn live(
    source: &Source,
    iface: &str,
    sink: &mut dyn FnMut(Message) -> bool,
) -> anyhow::Result<Outcome> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use memshark::capture::live::LiveCapture;
    use memshark::pipeline::Pass;

    let mut cap = LiveCapture::open(iface, source.bpf.as_deref(), &source.ports, 262_144)?;
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
    let deadline = source
        .duration
        .map(|d| std::time::Instant::now() + std::time::Duration::from_secs_f64(d.max(0.0)));
    let mut pass = Pass::new(&source.ports);
    let mut going = true;
    let mut frames = 0u64;
    while going && !stop.load(Ordering::Relaxed) {
        if deadline.is_some_and(|d| std::time::Instant::now() >= d)
            || source.count.is_some_and(|c| frames >= c)
        {
            break;
        }
        match cap.next_frame()? {
            Some(frame) => {
                frames += 1;
                pass.feed(&frame, &mut |m| {
                    if going {
                        going = sink(m);
                    }
                });
            }
            None => std::thread::sleep(std::time::Duration::from_millis(1)),
        }
    }
    let kernel = cap
        .stats()
        .ok()
        .map(|s| (s.received, s.dropped, s.if_dropped));
    let stats = pass.finish(&mut |m| {
        if going {
            going = sink(m);
        }
    });
    if let Some((received, dropped, if_dropped)) = kernel {
        eprintln!("memshark: {received} packets received by the capture, {dropped} dropped by the kernel, {if_dropped} by the interface");
    }
    Ok(Outcome {
        pass: stats,
        kernel,
    })
}
