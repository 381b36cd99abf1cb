//! `memshark proxy`: the recording proxy.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use memshark::dissect::{Kind, Message};
use memshark::latency::LatencyHistogram;
use memshark::proxy::{Proxy, ProxyConfig, RecordConfig, Recorder, TapConsumer};
use memshark::source::{Sink, SourceError};

/// Sit between clients and a memcached: forward every byte unchanged, show what passes, and
/// optionally record it as a pcap/pcapng file.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where clients connect.
    #[arg(long, default_value = "127.0.0.1:11311")]
    listen: SocketAddr,
    /// The memcached behind the proxy (host:port).
    #[arg(long)]
    backend: String,
    /// Record the traffic to this file (pcapng for .pcapng, else pcap).
    #[arg(long)]
    record: Option<PathBuf>,
    /// Start a new recording file at this size (like tcpdump -C; suffixes k, m, g); files are
    /// named FILE0, FILE1, …
    #[arg(long, requires = "record", value_parser = super::serve::parse_size)]
    record_max_size: Option<usize>,
    /// With --record-max-size: keep this many files, overwriting the oldest (like tcpdump -W).
    #[arg(long, requires = "record_max_size", default_value_t = 0)]
    record_files: usize,
    /// Record headers and keys, but replace every value with its length.
    #[arg(long, requires = "record")]
    redact_values: bool,
    /// Print a stats line every second on stderr instead of the terminal UI.
    #[arg(long)]
    headless: bool,
    /// Also write every message to this file, live: schema-v1 jsonl, or for a `.parquet`
    /// name the messages table as rolling Parquet files `NAME-<UTC start>-<n>.parquet`, each
    /// written under a hidden partial name and renamed once complete (also on Ctrl-C/SIGTERM).
    #[arg(long)]
    dump: Option<PathBuf>,
    /// Parquet dump: start a new file after this many minutes (hourly when neither this
    /// nor --dump-roll-size is given; checked as messages arrive).
    #[arg(long, requires = "dump")]
    dump_roll_minutes: Option<f64>,
    /// Parquet dump: start a new file at about this size (suffixes k, m, g).
    #[arg(long, requires = "dump", value_parser = super::serve::parse_size)]
    dump_roll_size: Option<usize>,
    /// Most client connections at once.
    #[arg(long, default_value_t = 4096)]
    max_connections: usize,
    /// Backend connect timeout in milliseconds.
    #[arg(long, default_value_t = 2000)]
    connect_timeout_ms: u64,
    /// Seconds open connections get to finish after Ctrl-C/SIGTERM.
    #[arg(long, default_value_t = 2.0)]
    grace: f64,
}

/// What the stats line shows, reset every second.
struct Window {
    ops: u64,
    errors: u64,
    latency: LatencyHistogram,
}

impl Window {
    fn new() -> Window {
        Window {
            ops: 0,
            errors: 0,
            latency: LatencyHistogram::new(),
        }
    }
}

/// Runs `memshark proxy`: headless on the current thread, or the proxy on a background
/// thread with the terminal timeline on this one.
pub fn run(args: Args) -> anyhow::Result<()> {
    let headless = args.headless || super::view::need_terminal("").is_err();
    if !args.headless && headless {
        eprintln!(
            "memshark proxy: not on a terminal; running headless (stats on stderr every second)"
        );
    }
    let recorder = match &args.record {
        Some(path) => Some(Recorder::create(&RecordConfig {
            path: path.clone(),
            max_size: args.record_max_size.map(|s| s as u64),
            files: args.record_files,
            redact_values: args.redact_values,
        })?),
        None => None,
    };
    // One thread, like twemproxy: on a small machine the proxy is bound by wakeups and
    // context switches, and a single event loop avoids cross-thread wakeups entirely.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if headless {
        return runtime.block_on(serve(args, recorder, None, super::shutdown_signal()));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let dropped = Arc::default();
    let (collector, rx) = memshark::tui::feed::collector(500_000, Arc::clone(&dropped));
    let label = format!("proxy {} → {}", args.listen, args.backend);
    let record = args.record.clone();
    let worker = {
        let stop = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("memshark-proxy".into())
            .spawn(move || {
                runtime.block_on(serve(args, recorder, Some(collector), async move {
                    while !stop.load(Ordering::Relaxed) {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }))
            })?
    };
    // Let a bind error show before the screen switches.
    std::thread::sleep(Duration::from_millis(100));
    if worker.is_finished() {
        return worker
            .join()
            .map_err(|_| anyhow::anyhow!("the proxy thread panicked"))?;
    }
    let mut app = memshark::tui::App::new(memshark::tui::SourceInfo::new(label, true));
    app.source.dropped = dropped;
    app.max_rows = Some(2_000_000);
    let result = super::view::open(app, rx);
    stop.store(true, Ordering::Relaxed);
    let outcome = worker
        .join()
        .map_err(|_| anyhow::anyhow!("the proxy thread panicked"))?;
    result?;
    if let Some(p) = record {
        eprintln!("memshark proxy: recording in {}", p.display());
    }
    outcome
}

/// The proxy itself, until `shutdown`: dissects the tap for the stats line (headless) or the
/// UI (`ui`), records, and dumps.
async fn serve(
    args: Args,
    recorder: Option<Recorder>,
    ui: Option<memshark::tui::feed::Collector>,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let dump = match &args.dump {
        Some(p) => Some(super::proxy_dump::Dump::create(
            p,
            args.dump_roll_minutes,
            args.dump_roll_size.map(|s| s as u64),
        )?),
        None => None,
    };
    let headless = ui.is_none();
    let (tx, rx) = tokio::sync::mpsc::channel(65_536);
    let config = ProxyConfig {
        listen: args.listen,
        backend: args.backend.clone(),
        max_connections: args.max_connections,
        connect_timeout: Duration::from_millis(args.connect_timeout_ms),
        ..ProxyConfig::default()
    };
    let proxy = Proxy::bind(config, Some(tx)).await?;
    if headless {
        eprintln!(
            "memshark proxy: {} → {}{}",
            proxy.local_addr()?,
            args.backend,
            args.record
                .as_ref()
                .map(|p| format!(", recording to {}", p.display()))
                .unwrap_or_default()
        );
    }
    let counters = proxy.counters();
    let window = Arc::new(Mutex::new(Window::new()));
    let consumer = {
        let window = Arc::clone(&window);
        let sink = Consumer {
            window,
            dump,
            ui,
            last_tick: std::time::Instant::now(),
        };
        tokio::spawn(async move { TapConsumer::new(recorder).run(rx, sink).await })
    };
    let ticker = headless.then(|| {
        let counters = Arc::clone(&counters);
        let window = Arc::clone(&window);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            loop {
                tick.tick().await;
                let w = std::mem::replace(&mut *window.lock().unwrap_or_else(|p| p.into_inner()), Window::new());
                let p = w.latency.percentiles().unwrap_or_default();
                let (p50, p99) = (p.p50_us, p.p99_us);
                eprintln!(
                    "conns {} | {} ops/s | p50 {} us p99 {} us | errors {} | up {} B down {} B | tap dropped {} | backend failures {}",
                    counters.open.load(Ordering::Relaxed), w.ops, p50, p99, w.errors,
                    counters.bytes_up.load(Ordering::Relaxed), counters.bytes_down.load(Ordering::Relaxed),
                    counters.tap_dropped.load(Ordering::Relaxed), counters.backend_failures.load(Ordering::Relaxed),
                );
            }
        })
    });
    proxy
        .run(shutdown, Duration::from_secs_f64(args.grace.max(0.0)))
        .await;
    if let Some(t) = ticker {
        t.abort();
    }
    if let Ok(Ok(Some(recorder))) = consumer.await {
        if headless {
            eprintln!(
                "memshark proxy: recording closed ({} bytes)",
                recorder.size()
            );
        }
    }
    Ok(())
}

/// What the proxy does with each message it sees: the stats window, the dump, the UI.
struct Consumer {
    window: Arc<Mutex<Window>>,
    dump: Option<super::proxy_dump::Dump>,
    ui: Option<memshark::tui::feed::Collector>,
    last_tick: std::time::Instant,
}

impl Consumer {
    /// Runs `f` on the dump; a failure is told once and ends the dump.
    fn on_dump(&mut self, f: impl FnOnce(&mut super::proxy_dump::Dump) -> anyhow::Result<()>) {
        if let Some(d) = &mut self.dump {
            if let Err(e) = f(d) {
                eprintln!("memshark proxy: the dump failed, dumping stops: {e:#}");
                self.dump = None;
            }
        }
    }
}

impl Sink for Consumer {
    type Error = SourceError;

    fn message(&mut self, m: Message) -> Result<bool, SourceError> {
        if m.kind() == Kind::Response {
            let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
            w.ops += u64::from(m.latency_ns.is_some());
            w.errors += u64::from(m.is_error());
            if let Some(l) = m.latency_ns {
                w.latency.record_ns(l);
            }
        }
        self.on_dump(|d| d.write(&m));
        if self.last_tick.elapsed() >= Duration::from_secs(1) {
            self.last_tick = std::time::Instant::now();
            self.on_dump(|d| d.tick());
        }
        if let Some(ui) = &self.ui {
            ui.push(m);
        }
        Ok(true)
    }

    fn finish(&mut self, _: &memshark::pipeline::PassStats) -> Result<(), SourceError> {
        if let Some(d) = self.dump.take() {
            match d.close() {
                Ok(files) if !files.is_empty() => {
                    eprintln!(
                        "memshark proxy: dump closed: {} Parquet file(s)",
                        files.len()
                    )
                }
                Ok(_) => {}
                Err(e) => eprintln!("memshark proxy: closing the dump failed: {e:#}"),
            }
        }
        Ok(())
    }
}
