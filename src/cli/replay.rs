//! `memshark replay`: re-send a capture's requests to a server and report what changed.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use memshark::filter::Filter;
use memshark::replay::{replay, Plan, Progress, ReplayConfig};

/// Re-send the requests of a capture to a server (one connection per captured connection,
/// captured order and pipelining, captured pace) and compare every answer with the captured
/// one: status, key, value and flags; CAS never.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The capture (pcap, pcapng, optionally gzipped); several files, directories of them or
    /// the base name FILE of a recording ring (FILE0, FILE1, …) are merged by time into one.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The server to send to (host:port).
    #[arg(long)]
    to: String,
    /// Replay at the captured pace, X times faster.
    #[arg(long, default_value_t = 1.0, conflicts_with = "max")]
    speed: f64,
    /// As fast as the server answers (the captured pipelining is still kept).
    #[arg(long)]
    max: bool,
    /// Only the transactions this display filter matches (request and captured answers).
    #[arg(long)]
    filter: Option<Filter>,
    /// Write every differing transaction to this file as jsonl.
    #[arg(long)]
    diff: Option<PathBuf>,
    /// Seconds to wait for an answer the capture had before going on without it.
    #[arg(long, default_value_t = 1.0)]
    answer_timeout: f64,
    /// Let connections run independently: by default a request also waits until everything
    /// answered before it in the capture, on any connection, has been answered (so a get on
    /// one connection still follows the set on another).
    #[arg(long)]
    no_order: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// TCP/UDP ports that carry memcached in the capture (repeatable).
    #[arg(long = "port", default_values_t = [11211u16])]
    ports: Vec<u16>,
}

fn resolve(to: &str) -> anyhow::Result<SocketAddr> {
    use std::net::ToSocketAddrs;
    to.to_socket_addrs()
        .with_context(|| format!("resolving {to}"))?
        .next()
        .with_context(|| format!("{to} resolves to no address"))
}

/// Runs `memshark replay`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let filter = args.filter.clone().unwrap_or_default();
    let plan = Plan::from_source(
        memshark::source::resolve(&args.files)?,
        &args.ports,
        &filter,
    )?;
    let total = plan.requests();
    eprintln!(
        "memshark replay: {} requests on {} connections{}",
        total,
        plan.conns.len(),
        if args.max {
            ", as fast as possible".to_string()
        } else {
            format!(", at {}x the captured pace", args.speed)
        }
    );
    let cfg = ReplayConfig {
        speed: (!args.max).then_some(args.speed.max(1e-6)),
        answer_timeout: Duration::from_secs_f64(args.answer_timeout.max(0.001)),
        cross_order: !args.no_order,
        ..ReplayConfig::to(resolve(&args.to)?)
    };
    let progress = Arc::new(Progress::default());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let show = std::io::stderr().is_terminal();
    let report = runtime.block_on(async {
        let ticker = {
            let progress = Arc::clone(&progress);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(200));
                loop {
                    tick.tick().await;
                    if show {
                        let sent = progress.sent.load(Ordering::Relaxed);
                        let answered = progress.answered.load(Ordering::Relaxed);
                        let pct = sent as f64 / total.max(1) as f64 * 100.0;
                        let bar = "#".repeat((pct / 5.0) as usize);
                        eprint!(
                            "\r[{bar:<20}] {pct:5.1}%  sent {sent}/{total}  answered {answered}   "
                        );
                    }
                }
            })
        };
        let r = replay(&plan, &cfg, Arc::clone(&progress)).await;
        ticker.abort();
        r
    })?;
    if show {
        eprintln!();
    }
    if let Some(path) = &args.diff {
        let mut f = std::io::BufWriter::new(memshark::capture::create_private(path)?);
        for d in &report.differences {
            serde_json::to_writer(&mut f, &d.to_json())?;
            f.write_all(b"\n")?;
        }
        f.flush()?;
        eprintln!(
            "memshark replay: {} differing transactions written to {}",
            report.differences.len(),
            path.display()
        );
    }
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}
