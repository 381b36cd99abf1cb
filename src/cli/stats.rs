//! `memshark stats`: the statistics of a capture.

use std::path::PathBuf;

use anyhow::Context;
use memshark::pipeline::dissect_file;
use memshark::summary::TrafficStats;

/// Per-op counts and rates, get hit ratio, latency percentiles, bytes each way, top keys and
/// clients, errors, and what the capture lost (gaps, malformed and unpaired messages).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The capture (pcap, pcapng, optionally gzipped).
    file: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// How many top keys and clients.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// TCP/UDP ports that carry memcached (repeatable).
    #[arg(long = "port", default_values_t = [11211u16])]
    ports: Vec<u16>,
}

/// Runs `memshark stats`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let mut stats = TrafficStats::default();
    let mut progress = super::dump::progress_for(&args.file);
    let pass = dissect_file(&args.file, &args.ports, &mut progress, &mut |m| {
        stats.add(&m);
        true
    })
    .with_context(|| format!("reading {}", args.file.display()))?;
    stats.pass = pass;
    if args.json {
        println!("{}", stats.to_json(args.top));
    } else {
        print!("{}", stats.to_text(args.top));
    }
    Ok(())
}
