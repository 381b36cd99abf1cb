//! `memshark load`: the workload generator.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use memshark::load::{Distribution, LoadConfig, Mix, Progress, Protocol};

/// Drive a memcached server with a configurable workload and report throughput and latency
/// percentiles per op (a memaslap for this toolkit).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server.
    #[arg(long)]
    to: SocketAddr,
    /// Concurrent connections.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Requests in flight per connection (sent as one batch).
    #[arg(long, default_value_t = 1)]
    pipeline: usize,
    /// Op mix with weights: get, set, add, replace, append, prepend, delete, incr, decr,
    /// touch, gat, mget, noop.
    #[arg(long, default_value = "get=90,set=10")]
    mix: Mix,
    /// Distinct keys.
    #[arg(long, default_value_t = 10_000)]
    keys: u64,
    /// Key popularity: uniform or zipf:S.
    #[arg(long, default_value = "uniform")]
    distribution: Distribution,
    /// Value size in bytes: N or MIN-MAX.
    #[arg(long, default_value = "100", value_parser = parse_range)]
    value_size: (usize, usize),
    /// Run this many seconds (default 10 unless --ops is given).
    #[arg(long)]
    duration: Option<f64>,
    /// Stop after this many ops in all.
    #[arg(long)]
    ops: Option<u64>,
    /// binary or ascii.
    #[arg(long, default_value = "binary")]
    protocol: Protocol,
    /// Key prefix.
    #[arg(long, default_value = "memshark")]
    key_prefix: String,
    /// Keys per mget.
    #[arg(long, default_value_t = 10)]
    mget_keys: usize,
    /// Pace the run to about this many requests per second in all (like memaslap --tps);
    /// without it each connection sends as fast as it is answered.
    #[arg(long)]
    rate: Option<f64>,
    /// Write values derived from their key and check every value read back (get, set, add,
    /// replace, delete, touch, gat, mget, noop mixes): the report counts wrong values.
    #[arg(long)]
    verify: bool,
    /// Do not store every key before measuring.
    #[arg(long)]
    no_prefill: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_range(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("not a size or range: {s:?} (examples: 100, 10-1000)");
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (
                a.trim().parse().map_err(|_| bad())?,
                b.trim().parse().map_err(|_| bad())?,
            );
            if a > b {
                return Err(bad());
            }
            Ok((a, b))
        }
        None => s.trim().parse().map(|n| (n, n)).map_err(|_| bad()),
    }
}

/// Runs `memshark load`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let duration = match (args.duration, args.ops) {
        (Some(d), _) => Some(Duration::from_secs_f64(d.max(0.0))),
        (None, Some(_)) => None,
        (None, None) => Some(Duration::from_secs(10)),
    };
    let config = LoadConfig {
        to: args.to,
        connections: args.connections,
        pipeline: args.pipeline,
        mix: args.mix,
        keys: args.keys,
        distribution: args.distribution,
        value_size: args.value_size,
        duration,
        ops: args.ops,
        protocol: args.protocol,
        key_prefix: args.key_prefix,
        prefill: !args.no_prefill,
        mget_keys: args.mget_keys,
        rate: args.rate,
        verify: args.verify,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(async {
        let progress = Arc::new(Progress::default());
        let ticker = std::io::stderr().is_terminal().then(|| {
            let progress = Arc::clone(&progress);
            tokio::spawn(async move {
                let mut last = 0;
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                tick.tick().await;
                loop {
                    tick.tick().await;
                    let done = progress.done.load(Ordering::Relaxed);
                    eprint!("\r{done} ops, {} ops/s   ", done - last);
                    last = done;
                }
            })
        });
        let stop = Arc::clone(&progress);
        let ctrl_c = tokio::spawn(async move {
            super::shutdown_signal().await;
            stop.stop.store(true, Ordering::Relaxed);
        });
        let report = memshark::load::run(config, progress).await;
        if let Some(t) = ticker {
            t.abort();
            eprintln!();
        }
        ctrl_c.abort();
        report
    })?;
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_table());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("100"), Ok((100, 100)));
        assert_eq!(parse_range("10-1000"), Ok((10, 1000)));
        assert!(parse_range("9-1").is_err());
        assert!(parse_range("x").is_err());
    }
}
