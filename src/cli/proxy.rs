//! `memshark proxy`: the recording proxy.

use std::net::SocketAddr;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use memshark::dissect::{Kind, Message};
use memshark::latency::LatencyHistogram;
use memshark::proxy::pool::SaslCredentials;
use memshark::proxy::{
    pool_from_servers, Monitor, Proxy, ProxyConfig, ProxyCounters, RecordConfig, Recorder, Router,
    RouterConfig, TapConsumer,
};
use memshark::source::{Sink, SourceError};

/// Sit between clients and a pool of memcached servers: route each key to its server over a few
/// shared connections (text, meta and binary), show what passes, and optionally record it as a
/// pcap/pcapng file. `--transparent` forwards every byte unchanged to one server instead.
/// With --server-sasl-user the proxy authenticates to its servers; with --sasl-user clients
/// must authenticate to it.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where clients connect.
    #[arg(long, default_value = "127.0.0.1:11311")]
    listen: SocketAddr,
    /// A memcached behind the proxy (host:port); repeat for a pool.
    #[arg(long)]
    backend: Vec<String>,
    /// The pool's servers, comma-separated (host:port,host:port,…); adds to --backend.
    #[arg(long, value_delimiter = ',')]
    pool: Vec<String>,
    /// A twemproxy (nutcracker) YAML configuration file: one router per pool, each on the
    /// pool's own `listen` address with its settings (--listen and the pool flags are not used).
    #[arg(long, conflicts_with_all = ["backend", "pool", "transparent"])]
    config: Option<PathBuf>,
    /// Forward every byte unchanged, one server connection per client (the 1:1 pipe of
    /// earlier versions; needs exactly one server).
    #[arg(long)]
    transparent: bool,
    /// Connections to each server shared by all clients (per protocol family: text/meta and
    /// binary).
    #[arg(long, default_value_t = 1)]
    server_connections: u32,
    /// Answer a request with SERVER_ERROR when its server has not answered within this many
    /// milliseconds (the server connection is then closed and reopened); default: wait.
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// Take a server out of the placement after --server-failure-limit consecutive failures,
    /// and back after --server-retry-timeout-ms.
    #[arg(long)]
    auto_eject_hosts: bool,
    /// Consecutive failures that eject a server (with --auto-eject-hosts).
    #[arg(long, default_value_t = 2)]
    server_failure_limit: u32,
    /// How long an ejected server stays out, in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    server_retry_timeout_ms: u64,
    /// Most requests one client may have unanswered; past it the proxy stops reading from it.
    #[arg(long, default_value_t = 1024)]
    max_pending: usize,
    /// Most answer bytes held for one client that does not read them (suffixes k, m, g).
    #[arg(long, default_value = "8m", value_parser = super::serve::parse_size)]
    max_buffered: usize,
    /// Largest value a request may carry (memcached's -I; suffixes k, m, g); larger ones are
    /// answered with memcached's own error.
    #[arg(long, default_value = "1m", value_parser = super::serve::parse_size)]
    max_item: usize,
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
    /// Also record the proxy's own connections to its servers, as extra connections of the
    /// same recording (the stats, dump and timeline still show the client side only).
    #[arg(long, requires = "record", conflicts_with = "transparent")]
    record_backends: bool,
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
    /// nor --dump-roll-size is given; a quiet proxy closes its file on time too).
    #[arg(long, requires = "dump")]
    dump_roll_minutes: Option<f64>,
    /// Parquet dump: start a new file at about this size (suffixes k, m, g).
    #[arg(long, requires = "dump", value_parser = super::serve::parse_size)]
    dump_roll_size: Option<usize>,
    #[command(flatten)]
    placement: super::route::PlacementArgs,
    /// Most client connections at once.
    #[arg(long, default_value_t = 4096)]
    max_connections: usize,
    /// Backend connect timeout in milliseconds.
    #[arg(long, default_value_t = 2000)]
    connect_timeout_ms: u64,
    /// Seconds open connections get to finish after Ctrl-C/SIGTERM.
    #[arg(long, default_value_t = 2.0)]
    grace: f64,
    /// A shadow pool for the pool of the flags (host:port,…): the requests of a fraction of
    /// the keys (--shadow-fraction) are also sent there, its answers compared with the
    /// primary's and never sent to the client (with --config: the file's `shadow` key).
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["config", "transparent"])]
    shadow: Vec<String>,
    /// With --shadow: the fraction of keys shadowed, by key hash (0 to 1).
    #[arg(long, default_value_t = 1.0, requires = "shadow")]
    shadow_fraction: f64,
    /// Most shadowed requests in flight; past it copies are dropped and counted.
    #[arg(long, default_value_t = 1024)]
    shadow_queue: usize,
    /// Write every difference between a primary answer and its shadow's to this file, one
    /// JSON object a line (created 0600).
    #[arg(long, conflicts_with = "transparent")]
    shadow_diffs: Option<PathBuf>,
    /// Authenticate to every server as this user: SASL PLAIN on binary connections (memcached
    /// -S), memcached's ASCII authentication on text/meta ones (-Y), right after connecting
    /// (with --config: the pool's `sasl_username`/`sasl_password`).
    #[arg(long, requires = "server_sasl_password", conflicts_with_all = ["config", "transparent"])]
    server_sasl_user: Option<String>,
    /// The password for --server-sasl-user.
    #[arg(long, requires = "server_sasl_user", conflicts_with_all = ["config", "transparent"])]
    server_sasl_password: Option<String>,
    /// Require clients to authenticate as this user, as `memshark serve --sasl-user` and
    /// memcached do: binary clients with SASL PLAIN, text/meta clients with memcached's ASCII
    /// authentication (`set <any key> 0 0 <n>` whose data is `user password`); nothing of an
    /// unauthenticated client reaches a server (with --config: the pool's
    /// `client_sasl_username`/`client_sasl_password`).
    #[arg(long, requires = "sasl_password", conflicts_with_all = ["config", "transparent"])]
    sasl_user: Option<String>,
    /// The password for --sasl-user.
    #[arg(long, requires = "sasl_user", conflicts_with_all = ["config", "transparent"])]
    sasl_password: Option<String>,
}

/// Credentials from a user flag and a password flag (clap makes them come together); one
/// word each, as memcached's ASCII authentication needs.
fn credentials(
    user: &Option<String>,
    password: &Option<String>,
    flag: &str,
) -> anyhow::Result<Option<SaslCredentials>> {
    let (Some(user), Some(password)) = (user, password) else {
        return Ok(None);
    };
    let c = SaslCredentials::new(user.clone(), password.clone());
    if !c.ascii_safe() {
        anyhow::bail!(
            "{flag}: the user and the password must be one word each, without spaces \
             (memcached's ASCII authentication splits on them)"
        );
    }
    Ok(Some(c))
}

/// The servers the terminal UI's stats screen shows, shared with the proxy.
pub(super) type ServerRows = Arc<Mutex<Vec<memshark::tui::ServerRow>>>;

/// Keeps the stats screen's servers panel up to date: every second, every server of the
/// routers `monitors` gives (asked each time: a reload changes them), with its latency over
/// the last second.
pub(super) fn spawn_server_panel(
    rows: ServerRows,
    monitors: impl Fn() -> Vec<Monitor> + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let now = server_rows_of(&monitors());
            *rows.lock().unwrap_or_else(|p| p.into_inner()) = now;
        }
    })
}

/// The rows of the stats screen's servers panel: every server of these routers, with its
/// latency over the time since the last call.
fn server_rows_of(monitors: &[Monitor]) -> Vec<memshark::tui::ServerRow> {
    monitors
        .iter()
        .flat_map(|m| m.servers(true))
        .map(|s| memshark::tui::ServerRow {
            addr: s.addr,
            ejected: s.ejected,
            requests: s.requests,
            errors: s.errors,
            timeouts: s.timeouts,
            ejections: s.ejections,
            p50_us: s.p50_us,
            p99_us: s.p99_us,
        })
        .collect()
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
        return runtime.block_on(serve(args, recorder, None, None, super::shutdown_signal()));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let dropped = Arc::default();
    let (collector, rx) = memshark::tui::feed::collector(500_000, Arc::clone(&dropped));
    let label = match &args.config {
        Some(path) => format!("proxy --config {}", path.display()),
        None => format!("proxy {} → {}", args.listen, servers(&args)?.join(",")),
    };
    let record = args.record.clone();
    // The stats screen's servers panel, refreshed by the proxy every second.
    let server_rows: ServerRows = Arc::default();
    let worker = {
        let stop = Arc::clone(&stop);
        let server_rows = Arc::clone(&server_rows);
        std::thread::Builder::new()
            .name("memshark-proxy".into())
            .spawn(move || {
                let signalled = Arc::new(AtomicBool::new(false));
                let outcome = runtime.block_on({
                    let signalled = Arc::clone(&signalled);
                    serve(args, recorder, Some(collector), Some(server_rows), async move {
                        let quit = async {
                            while !stop.load(Ordering::Relaxed) {
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                        };
                        tokio::select! {
                            _ = quit => {}
                            _ = super::shutdown_signal() => signalled.store(true, Ordering::Relaxed),
                        }
                    })
                });
                if signalled.load(Ordering::Relaxed) {
                    // SIGTERM or Ctrl-C from outside while the screen is up: the proxy has
                    // stopped and closed its recording and dump files; give the terminal back
                    // and end, as the signal asked.
                    memshark::tui::restore_terminal();
                    if let Err(e) = &outcome {
                        eprintln!("memshark proxy: {e:#}");
                    }
                    std::process::exit(143);
                }
                outcome
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
    app.source.servers = server_rows;
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
    server_rows: Option<ServerRows>,
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
    if !(0.0..=1.0).contains(&args.shadow_fraction) {
        anyhow::bail!("--shadow-fraction is between 0 and 1");
    }
    let (diffs_file, diffs) = match &args.shadow_diffs {
        Some(p) => {
            let (f, tx) = super::proxy_shadow::DiffsFile::create(p)?;
            (Some(f), Some(tx))
        }
        None => (None, None),
    };
    let limits = {
        let (max_connections, max_pending, max_buffered, max_item) = (
            args.max_connections,
            args.max_pending,
            args.max_buffered,
            args.max_item,
        );
        let (connect_timeout, record_backends, shadow_queue) = (
            Duration::from_millis(args.connect_timeout_ms),
            args.record_backends,
            args.shadow_queue,
        );
        move |pool| RouterConfig {
            max_connections,
            max_pending,
            max_buffered,
            max_item,
            connect_timeout,
            record_backends,
            shadow_queue,
            shadow_diffs: diffs.clone(),
            ..RouterConfig::new(pool)
        }
    };
    let proxy = if let Some(path) = &args.config {
        Running::Config(
            super::proxy_pools::Pools::bind(path, Box::new(limits), tx, headless).await?,
        )
    } else {
        let servers = servers(&args)?;
        let proxy = if args.transparent {
            let [backend] = servers.as_slice() else {
                anyhow::bail!(
                    "--transparent forwards to exactly one server; {} given",
                    servers.len()
                );
            };
            let config = ProxyConfig {
                listen: args.listen,
                backend: backend.clone(),
                max_connections: args.max_connections,
                connect_timeout: Duration::from_millis(args.connect_timeout_ms),
                ..ProxyConfig::default()
            };
            Running::Pipe(Proxy::bind(config, Some(tx)).await?)
        } else {
            let mut pool = pool_from_servers(args.listen, &servers);
            args.placement.apply(&mut pool)?;
            pool.server_connections = args.server_connections.max(1);
            pool.timeout = args.timeout_ms.map(Duration::from_millis);
            pool.auto_eject_hosts = args.auto_eject_hosts;
            pool.server_failure_limit = args.server_failure_limit;
            pool.server_retry_timeout = Duration::from_millis(args.server_retry_timeout_ms);
            pool.server_sasl = credentials(
                &args.server_sasl_user,
                &args.server_sasl_password,
                "--server-sasl-user",
            )?;
            pool.client_sasl = credentials(&args.sasl_user, &args.sasl_password, "--sasl-user")?;
            let mut config = limits(pool.clone());
            if !args.shadow.is_empty() {
                let mut shadow = pool_from_servers(args.listen, &args.shadow);
                args.placement.apply(&mut shadow)?;
                shadow.name = "shadow".into();
                shadow.server_connections = pool.server_connections;
                shadow.timeout = pool.timeout;
                // The shadow's servers take the same credentials as the primary's.
                shadow.server_sasl = pool.server_sasl.clone();
                config.pool.shadow = Some(memshark::proxy::pool::ShadowConfig {
                    pool: shadow.name.clone(),
                    key_fraction: (0.0, args.shadow_fraction),
                });
                config.shadow_pool = Some(shadow);
            }
            Running::Routers(vec![Router::bind(config, Some(tx)).await?])
        };
        if headless {
            eprintln!(
                "memshark proxy: {} → {}{}",
                proxy.local_addr()?,
                servers.join(","),
                if args.transparent {
                    " (transparent)"
                } else {
                    ""
                },
            );
        }
        proxy
    };
    if headless {
        if let Some(p) = &args.record {
            eprintln!("memshark proxy: recording to {}", p.display());
        }
    }
    let board = proxy.board();
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
        let board = Arc::clone(&board);
        let window = Arc::clone(&window);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            loop {
                tick.tick().await;
                let w = std::mem::replace(&mut *window.lock().unwrap_or_else(|p| p.into_inner()), Window::new());
                let p = w.latency.percentiles().unwrap_or_default();
                let (p50, p99) = (p.p50_us, p.p99_us);
                let board = board.lock().unwrap_or_else(|p| p.into_inner()).clone();
                let sum = |f: fn(&ProxyCounters) -> &std::sync::atomic::AtomicU64| {
                    board.iter().map(|(_, c, _)| f(c).load(Ordering::Relaxed)).sum::<u64>()
                };
                // Client authentication, once there is any (a pool with client credentials).
                let auth = match sum(|c| &c.auth_cmds) {
                    0 => String::new(),
                    n => format!(" | auth {n} failed {}", sum(|c| &c.auth_errors)),
                };
                eprintln!(
                    "conns {} | {} ops/s | p50 {} us p99 {} us | errors {} | up {} B down {} B | tap dropped {} | backend failures {}{auth}",
                    sum(|c| &c.open), w.ops, p50, p99, w.errors,
                    sum(|c| &c.bytes_up), sum(|c| &c.bytes_down),
                    sum(|c| &c.tap_dropped), sum(|c| &c.backend_failures),
                );
                for m in board.iter().filter_map(|(_, _, m)| m.as_ref()) {
                    eprintln!("{}", server_line(m));
                    if let Some(s) = m.shadow() {
                        eprintln!(
                            "  shadow: requests {} compared {} differences {} dropped {} diffs dropped {}",
                            s.requests, s.compared, s.differences, s.dropped, s.diffs_dropped
                        );
                    }
                }
            }
        })
    });
    // With the terminal UI: the servers panel of the stats screen, every second.
    let panel = server_rows.map(|rows| {
        let board = Arc::clone(&board);
        spawn_server_panel(rows, move || {
            let board = board.lock().unwrap_or_else(|p| p.into_inner());
            board.iter().filter_map(|(_, _, m)| m.clone()).collect()
        })
    });
    proxy
        .run(shutdown, Duration::from_secs_f64(args.grace.max(0.0)))
        .await;
    if let Some(t) = ticker {
        t.abort();
    }
    if let Some(t) = panel {
        t.abort();
    }
    drop(board);
    if let Some(f) = diffs_file {
        f.close();
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

/// The servers named by --backend and --pool.
fn servers(args: &Args) -> anyhow::Result<Vec<String>> {
    let all: Vec<String> = args
        .backend
        .iter()
        .chain(&args.pool)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if all.is_empty() {
        anyhow::bail!(
            "no server: give --backend HOST:PORT (repeatable), --pool A,B,C or --config FILE"
        );
    }
    Ok(all)
}

/// The proxy in either mode.
enum Running {
    /// `--transparent`: the 1:1 byte pipe.
    Pipe(Proxy),
    /// The multiplexing router over the pool of the flags.
    Routers(Vec<Router>),
    /// One router per pool of a configuration file, reloaded on SIGHUP.
    Config(super::proxy_pools::Pools),
}

impl Running {
    /// The first listening address (the only one but with a configuration of several pools).
    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match self {
            Running::Pipe(p) => p.local_addr(),
            Running::Routers(r) => r
                .first()
                .map_or_else(|| Err(std::io::Error::other("no pool")), Router::local_addr),
            Running::Config(p) => p.local_addr(),
        }
    }

    /// The counters and per-server monitors for the stats line.
    fn board(&self) -> super::proxy_pools::Board {
        match self {
            Running::Pipe(p) => Arc::new(Mutex::new(vec![(
                p.local_addr()
                    .unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0))),
                p.counters(),
                None,
            )])),
            Running::Routers(r) => Arc::new(Mutex::new(
                r.iter()
                    .map(|r| {
                        (
                            r.local_addr()
                                .unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0))),
                            r.counters(),
                            Some(r.monitor()),
                        )
                    })
                    .collect(),
            )),
            Running::Config(p) => p.board(),
        }
    }

    async fn run(self, shutdown: impl std::future::Future<Output = ()>, grace: Duration) {
        match self {
            Running::Pipe(p) => p.run(shutdown, grace).await,
            Running::Config(p) => p.run(shutdown, grace).await,
            Running::Routers(routers) => {
                let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
                let mut runs = tokio::task::JoinSet::new();
                for r in routers {
                    let mut stop = stop_rx.clone();
                    runs.spawn(r.run(
                        async move {
                            let _ = stop.changed().await;
                        },
                        grace,
                    ));
                }
                shutdown.await;
                let _ = stop_tx.send(true);
                while runs.join_next().await.is_some() {}
            }
        }
    }
}

/// The per-server part of the headless stats line: requests, errors, timeouts, ejections and
/// latency over the last second, per server.
fn server_line(m: &Monitor) -> String {
    let parts: Vec<String> = m
        .servers(true)
        .iter()
        .map(|s| {
            format!(
                "{}{} req {} err {} timeouts {} ejections {} p50 {} us p99 {} us",
                s.addr,
                if s.ejected { " (ejected)" } else { "" },
                s.requests,
                s.errors,
                s.timeouts,
                s.ejections,
                s.p50_us,
                s.p99_us
            )
        })
        .collect();
    format!("  servers: {}", parts.join(" | "))
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

impl Consumer {
    /// At most once a second: flushes the jsonl dump, closes a Parquet file that is due.
    fn tick(&mut self) {
        if self.last_tick.elapsed() >= Duration::from_secs(1) {
            self.last_tick = std::time::Instant::now();
            self.on_dump(|d| d.tick());
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
        self.tick();
        if let Some(ui) = &self.ui {
            ui.push(m);
        }
        Ok(true)
    }

    fn idle(&mut self) -> Result<bool, SourceError> {
        self.tick();
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
