//! `memshark stats`: the statistics of a capture.

use memshark::dissect::Message;
use memshark::source::{Progress, Sink, SourceError};
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

/// Every message into the statistics.
struct Counted<'a> {
    stats: &'a mut TrafficStats,
    progress: super::dump::Progress,
}

impl Sink for Counted<'_> {
    type Error = SourceError;

    #[inline]
    fn message(&mut self, m: Message) -> Result<bool, SourceError> {
        self.stats.add(&m);
        Ok(true)
    }

    fn progress(&mut self, p: Progress) -> Result<bool, SourceError> {
        self.progress.show(p);
        Ok(true)
    }
}

/// Runs `memshark stats`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let mut stats = TrafficStats::default();
    let progress = super::dump::Progress::new();
    let pass = super::source::read(
        &args.source,
        Counted {
            stats: &mut stats,
            progress,
        },
    )?;
    stats.pass = pass;
    stats.kernel = pass.kernel.map(|k| (k.received, k.dropped, k.if_dropped));
    if args.json {
        println!("{}", stats.to_json(args.top));
    } else {
        print!("{}", stats.to_text(args.top));
    }
    Ok(())
}
