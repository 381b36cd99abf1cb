//! `memshark dump`: one line per memcached message of a capture, for scripts.

use memshark::dump::{self, DumpFormat};
use std::io::{IsTerminal, Write};

/// Print every memcached message of a pcap/pcapng file (or a live interface), one line each
/// (jsonl schema v1, csv or text). A closed pipe (`| head`) ends it quietly.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: super::source::Source,
    /// Output format.
    #[arg(long, default_value = "jsonl")]
    format: DumpFormat,
}

/// A progress line on stderr for big files, when stderr is a terminal.
pub fn progress_for(path: &std::path::Path) -> impl FnMut(u64) {
    let total = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let show = std::io::stderr().is_terminal() && total > 64 * 1024 * 1024;
    let started = std::time::Instant::now();
    move |done: u64| {
        if show {
            let pct = (done as f64 / total.max(1) as f64 * 100.0).min(100.0);
            let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-3) / 1e6;
            eprint!("\r{pct:5.1}%  {:.0} MB/s   ", rate);
        }
    }
}

/// Runs `memshark dump`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut buf = Vec::with_capacity(1 << 20);
    if args.format == DumpFormat::Csv {
        buf.extend_from_slice(dump::CSV_HEADER.as_bytes());
    }
    let mut failed = None;
    let mut jsonl = dump::JsonlWriter::default();
    let outcome = super::source::read(&args.source, &mut |m| {
        match args.format {
            DumpFormat::Jsonl => jsonl.write(&mut buf, &m),
            DumpFormat::Csv => dump::csv(&mut buf, &m),
            DumpFormat::Text => dump::text(&mut buf, &m),
        }
        if buf.len() >= 1 << 19 {
            match dump::flush_to(&mut out, &mut buf) {
                Ok(true) => {}
                Ok(false) => return false,
                Err(e) => {
                    failed = Some(e);
                    return false;
                }
            }
        }
        true
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    if dump::flush_to(&mut out, &mut buf)? {
        match out.flush() {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
            _ => {}
        }
    }
    if outcome.pass.truncated_file {
        eprintln!("memshark dump: the file ends inside a record; everything before it was read");
    }
    Ok(())
}
