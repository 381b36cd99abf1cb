//! `memshark demo`: a pool of three embedded servers, the recording proxy routing over them, and
//! a workload through the proxy that makes every kind of row, shown in the timeline.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use memshark::dissect::Message;
use memshark::load::{self, LoadConfig, Protocol};
use memshark::proxy::{
    pool_from_servers, RecordConfig, Recorder, Router, RouterConfig, TapConsumer,
};
use memshark::server::{Server, ServerConfig};
use memshark::summary::TrafficStats;
use memshark::tui::{self, App, SourceInfo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Start three reference servers, the recording proxy routing over them as a pool and a workload
/// through the proxy (binary and ASCII clients, meta commands, hits, misses, multi-gets, quiet ops, errors,
/// big slow values), then open the timeline on the proxy's traffic. Everything binds 127.0.0.1.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the stats at the end instead of opening the terminal UI.
    #[arg(long)]
    headless: bool,
    /// Stop after this many seconds (default with --headless: 10; in the UI: when you quit).
    #[arg(long)]
    duration: Option<f64>,
    /// Where the proxy records the traffic (default: memshark-demo-<time>.pcap in the
    /// system's temporary directory).
    #[arg(long)]
    record: Option<PathBuf>,
    /// Requests per second of the workload, about.
    #[arg(long, default_value_t = 200.0)]
    rate: f64,
}

/// What the background side hands back at the end.
struct Finished {
    recording: Option<u64>,
    reports: Vec<(&'static str, load::Report)>,
}

fn workloads(to: SocketAddr, rate: f64) -> Vec<(&'static str, LoadConfig)> {
    let base = LoadConfig {
        to,
        keys: 300,
        duration: None,
        key_prefix: "demo".into(),
        mget_keys: 4,
        ..LoadConfig::default()
    };
    vec![
        (
            "binary clients",
            LoadConfig {
                connections: 2,
                pipeline: 4,
                mix: "get=40,set=12,mget=6,delete=8,incr=6,add=6,touch=4,gat=3,noop=1"
                    .parse()
                    .unwrap_or_else(|_| unreachable!("a fixed mix")),
                value_size: (20, 2000),
                rate: Some(rate * 0.6),
                ..base.clone()
            },
        ),
        (
            "ascii clients",
            LoadConfig {
                connections: 2,
                pipeline: 1,
                protocol: Protocol::Ascii,
                mix: "get=40,set=12,mget=6,delete=8,incr=6,add=6,touch=4,append=2"
                    .parse()
                    .unwrap_or_else(|_| unreachable!("a fixed mix")),
                value_size: (10, 500),
                rate: Some(rate * 0.35),
                prefill: false,
                ..base.clone()
            },
        ),
        (
            "big values",
            LoadConfig {
                connections: 1,
                pipeline: 1,
                mix: "set=1,get=2"
                    .parse()
                    .unwrap_or_else(|_| unreachable!("a fixed mix")),
                keys: 8,
                value_size: (200_000, 1_000_000),
                key_prefix: "demo:big".into(),
                rate: Some(2.0),
                ..base
            },
        ),
    ]
}

/// Meta commands, some quiet, and an unknown command now and then, on one text connection.
async fn meta_client(to: SocketAddr, stop: Arc<AtomicBool>) -> std::io::Result<()> {
    let mut s = TcpStream::connect(to).await?;
    let mut buf = Vec::with_capacity(4096);
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let mut req = String::new();
        if i % 10 == 9 {
            req.push_str("frobnicate\r\n");
        }
        req.push_str(&format!(
            "ms demo:meta:{i} 5 T300 F7\r\nhello\r\nmg demo:meta:{i} v k f t\r\nmg demo:absent:{i} v q k\r\nmd demo:meta:{} q\r\nma demo:meta:{i}\r\nmn\r\n",
            i.saturating_sub(3)
        ));
        s.write_all(req.as_bytes()).await?;
        buf.clear();
        while !buf.ends_with(b"MN\r\n") {
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk))
                .await
                .map_err(|_| std::io::Error::other("meta client: no answer"))??;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        i += 1;
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    Ok(())
}

/// Runs server, proxy and workload until `stop` is set; messages go to `on_message`.
async fn background(
    record: PathBuf,
    rate: f64,
    stop: Arc<AtomicBool>,
    mut on_message: Box<dyn FnMut(Message) + Send>,
    ready: std::sync::mpsc::Sender<(SocketAddr, String)>,
    server_rows: super::proxy::ServerRows,
) -> anyhow::Result<Finished> {
    let mut servers = Vec::new();
    for _ in 0..3 {
        servers.push(
            Server::bind(ServerConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                ..ServerConfig::default()
            })
            .await?,
        );
    }
    let server_addrs = servers
        .iter()
        .map(|s| s.local_addr().map(|a| a.to_string()))
        .collect::<std::io::Result<Vec<_>>>()?;
    let (tap_tx, tap_rx) = tokio::sync::mpsc::channel(65_536);
    // md5 (libmemcached's ketama hash) rather than twemproxy's default fnv1a_64, which would
    // put most of the demo's `demo:N` keys on one server.
    let mut pool = pool_from_servers(SocketAddr::from(([127, 0, 0, 1], 0)), &server_addrs);
    pool.hash = memshark::proxy::pool::HashKind::Md5;
    let proxy = Router::bind(RouterConfig::new(pool), Some(tap_tx)).await?;
    let proxy_addr = proxy.local_addr()?;
    let recorder = Recorder::create(&RecordConfig {
        path: record,
        max_size: None,
        files: 0,
        redact_values: false,
    })?;
    let consumer = tokio::spawn(async move {
        let sink = memshark::source::from_fn(move |m| {
            on_message(m);
            true
        });
        TapConsumer::new(Some(recorder)).run(tap_rx, sink).await
    });
    let stopped = |stop: Arc<AtomicBool>| async move {
        while !stop.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let (server_stop_tx, server_stop_rx) = tokio::sync::watch::channel(false);
    let mut server_tasks = tokio::task::JoinSet::new();
    for server in servers {
        let mut stop_rx = server_stop_rx.clone();
        server_tasks.spawn(server.run(async move {
            let _ = stop_rx.changed().await;
        }));
    }
    // The stats screen's servers panel, every second.
    let monitor = proxy.monitor();
    let panel = super::proxy::spawn_server_panel(server_rows, move || vec![monitor.clone()]);
    let proxy_task = tokio::spawn(proxy.run(stopped(Arc::clone(&stop)), Duration::from_secs(1)));
    let _ = ready.send((proxy_addr, server_addrs.join(",")));
    let progress = Arc::new(load::Progress::default());
    let mut loads = tokio::task::JoinSet::new();
    for (name, cfg) in workloads(proxy_addr, rate) {
        let progress = Arc::clone(&progress);
        loads.spawn(async move { (name, load::run(cfg, progress).await) });
    }
    let meta = tokio::spawn(meta_client(proxy_addr, Arc::clone(&stop)));
    stopped(Arc::clone(&stop)).await;
    progress.stop.store(true, Ordering::Relaxed);
    let mut reports = Vec::new();
    while let Ok(Some(joined)) =
        tokio::time::timeout(Duration::from_secs(3), loads.join_next()).await
    {
        match joined {
            Ok((name, Ok(r))) => reports.push((name, r)),
            Ok((name, Err(e))) => eprintln!("memshark demo: the {name} workload failed: {e}"),
            Err(e) => eprintln!("memshark demo: a workload failed: {e}"),
        }
    }
    if let Ok(Ok(Err(e))) = tokio::time::timeout(Duration::from_secs(3), meta).await {
        eprintln!("memshark demo: the meta client failed: {e}");
    }
    let _ = proxy_task.await;
    panel.abort();
    let recording = match tokio::time::timeout(Duration::from_secs(5), consumer).await {
        Ok(Ok(Ok(Some(r)))) => Some(r.size()),
        _ => None,
    };
    let _ = server_stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while server_tasks.join_next().await.is_some() {}
    })
    .await;
    Ok(Finished { recording, reports })
}

/// Runs `memshark demo`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if !args.headless {
        super::view::need_terminal("memshark demo (without --headless)")?;
    }
    let record = args.record.clone().unwrap_or_else(|| {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        std::env::temp_dir().join(format!("memshark-demo-{secs}.pcap"))
    });
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(Mutex::new(TrafficStats::default()));
    let dropped = Arc::default();
    let (collector, rx) = tui::feed::collector(500_000, Arc::clone(&dropped));
    let on_message: Box<dyn FnMut(Message) + Send> = if args.headless {
        let stats = Arc::clone(&stats);
        drop(collector);
        Box::new(move |m: Message| stats.lock().unwrap_or_else(|e| e.into_inner()).add(&m))
    } else {
        Box::new(move |m: Message| collector.push(m))
    };
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let server_rows: super::proxy::ServerRows = Arc::default();
    let worker = {
        let stop = Arc::clone(&stop);
        let server_rows = Arc::clone(&server_rows);
        let record = record.clone();
        let rate = args.rate.max(1.0);
        std::thread::Builder::new()
            .name("memshark-demo".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()?;
                rt.block_on(background(
                    record,
                    rate,
                    stop,
                    on_message,
                    ready_tx,
                    server_rows,
                ))
            })?
    };
    let Ok((proxy_addr, server_addr)) = ready_rx.recv() else {
        return match worker.join() {
            Ok(Err(e)) => Err(e.context("starting the demo")),
            _ => Err(anyhow::anyhow!("the demo could not start")),
        };
    };
    let duration = args.duration.or(args.headless.then_some(10.0));
    if let Some(d) = duration {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs_f64(d.max(0.0)));
            stop.store(true, Ordering::Relaxed);
        });
    }
    if args.headless {
        eprintln!(
            "memshark demo: servers {server_addr}, proxy {proxy_addr}, recording to {}; running {:.0} s",
            record.display(),
            duration.unwrap_or(0.0)
        );
        let stop2 = Arc::clone(&stop);
        std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(super::shutdown_signal());
                stop2.store(true, Ordering::Relaxed);
            }
        });
    } else {
        let mut app = App::new(SourceInfo::new(
            format!("demo: load → proxy {proxy_addr} → servers {server_addr}"),
            true,
        ));
        app.source.dropped = dropped;
        app.source.servers = server_rows;
        app.max_rows = Some(2_000_000);
        let result = super::view::open(app, rx);
        stop.store(true, Ordering::Relaxed);
        result?;
    }
    let finished = match worker.join() {
        Ok(r) => r?,
        Err(_) => anyhow::bail!("the demo's background thread panicked"),
    };
    if args.headless {
        print!(
            "{}",
            stats.lock().unwrap_or_else(|e| e.into_inner()).to_text(10)
        );
        for (name, r) in &finished.reports {
            let ops = r.total().count;
            println!("workload {name}: {ops} requests answered");
        }
    }
    match finished.recording {
        Some(size) => eprintln!(
            "memshark demo: recording written to {} ({size} bytes); open it with `memshark view {}`",
            record.display(),
            record.display()
        ),
        None => eprintln!("memshark demo: the recording at {} may be incomplete", record.display()),
    }
    Ok(())
}
