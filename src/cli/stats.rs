//! `memshark stats`: the statistics of a capture.

use memshark::summary::TrafficStats;

/// Per-op counts and rates, get hit ratio, latency percentiles, bytes each way, top keys and
/// clients, errors, and what the capture lost (gaps, malformed and unpaired messages).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: super::source::Source,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// How many top keys and clients.
    #[arg(long, default_value_t = 10)]
    top: usize,
}

/// Runs `memshark stats`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let mut stats = TrafficStats::default();
    let outcome = super::source::read(&args.source, &mut |m| {
        stats.add(&m);
        true
    })?;
    stats.pass = outcome.pass;
    stats.kernel = outcome.kernel;
    if args.json {
        println!("{}", stats.to_json(args.top));
    } else {
        print!("{}", stats.to_text(args.top));
    }
    Ok(())
}
