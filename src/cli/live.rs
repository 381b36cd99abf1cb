//! `memshark live`: the terminal timeline over a live capture (cargo feature `live`).

/// Capture on an interface and show the traffic in the terminal timeline (feature `live`;
/// root or CAP_NET_RAW).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The interface (`lo`, `eth0`, `any`).
    #[arg(short = 'i', long = "interface")]
    interface: String,
    /// A BPF filter instead of the one built from --port.
    #[arg(long)]
    bpf: Option<String>,
    /// TCP/UDP ports that carry memcached (repeatable).
    #[arg(long = "port", default_values_t = [11211u16])]
    ports: Vec<u16>,
    /// Start with this display filter.
    #[arg(long)]
    filter: Option<memshark::filter::Filter>,
    /// Keep at most this many transactions; the oldest are let go first.
    #[arg(long, default_value_t = 2_000_000)]
    max_rows: usize,
}

/// Runs `memshark live`.
#[cfg(feature = "live")]
pub fn run(args: Args) -> anyhow::Result<()> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use memshark::tui::{self, App, SourceInfo};

    super::view::need_terminal("memshark live")?;
    let mut app = App::new(SourceInfo::new(format!("live {}", args.interface), true));
    app.max_rows = Some(args.max_rows.max(1000));
    if let Some(f) = args.filter {
        app.view.set_filter(f, &app.store);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let rx = tui::feed::live(
        args.interface,
        args.bpf,
        args.ports,
        Arc::clone(&app.source.dropped),
        Arc::clone(&stop),
    )?;
    let app = super::view::open(app, rx);
    stop.store(true, Ordering::Relaxed);
    let app = app?;
    if let Some((r, d, i)) = app.source.kernel {
        eprintln!("memshark live: {r} packets received, {d} dropped by the kernel, {i} by the interface; {} messages dropped by the UI", app.dropped());
    }
    Ok(())
}

/// Without the `live` feature: says how to get it.
#[cfg(not(feature = "live"))]
pub fn run(args: Args) -> anyhow::Result<()> {
    let _ = args;
    anyhow::bail!("this memshark was built without live capture: rebuild with `cargo build --release --features live` (needs libpcap-dev)")
}
