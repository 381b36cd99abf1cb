//! `memshark dump`: one line per memcached message of a capture, for scripts.

use std::io::{IsTerminal, Write};

use memshark::dissect::Message;
use memshark::dump::{self, DumpFormat};
use memshark::source::Sink;

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

/// A progress line on stderr for big files (over 64 MiB), when stderr is a terminal.
pub struct Progress {
    terminal: bool,
    started: std::time::Instant,
}

impl Progress {
    /// Starts the clock.
    pub fn new() -> Progress {
        Progress {
            terminal: std::io::stderr().is_terminal(),
            started: std::time::Instant::now(),
        }
    }

    /// Shows how far the read is.
    pub fn show(&self, p: memshark::source::Progress) {
        if self.terminal && p.total > 64 * 1024 * 1024 {
            let pct = (p.read as f64 / p.total as f64 * 100.0).min(100.0);
            let rate = p.read as f64 / self.started.elapsed().as_secs_f64().max(1e-3) / 1e6;
            eprint!("\r{pct:5.1}%  {:.0} MB/s   ", rate);
        }
    }
}

/// The lines, buffered and written to stdout in large pieces; a closed pipe stops the pass.
struct Lines<W: Write> {
    format: DumpFormat,
    jsonl: dump::JsonlWriter,
    buf: Vec<u8>,
    out: W,
    progress: Progress,
}

impl<W: Write> Sink for Lines<W> {
    type Error = anyhow::Error;

    #[inline]
    fn message(&mut self, m: Message) -> anyhow::Result<bool> {
        match self.format {
            DumpFormat::Jsonl => self.jsonl.write(&mut self.buf, &m),
            DumpFormat::Csv => dump::csv(&mut self.buf, &m),
            DumpFormat::Text => dump::text(&mut self.buf, &m),
        }
        if self.buf.len() >= 1 << 19 {
            return Ok(dump::flush_to(&mut self.out, &mut self.buf)?);
        }
        Ok(true)
    }

    fn progress(&mut self, p: memshark::source::Progress) -> anyhow::Result<bool> {
        self.progress.show(p);
        Ok(true)
    }
}

/// Runs `memshark dump`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut lines = Lines {
        format: args.format,
        jsonl: dump::JsonlWriter::default(),
        buf: Vec::with_capacity(1 << 20),
        out: std::io::BufWriter::with_capacity(1 << 20, stdout.lock()),
        progress: Progress::new(),
    };
    if args.format == DumpFormat::Csv {
        lines.buf.extend_from_slice(dump::CSV_HEADER.as_bytes());
    }
    let pass = super::source::read(&args.source, &mut lines)?;
    if dump::flush_to(&mut lines.out, &mut lines.buf)? {
        match lines.out.flush() {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
            _ => {}
        }
    }
    if pass.truncated_file {
        eprintln!("memshark dump: the file ends inside a record; everything before it was read");
    }
    Ok(())
}
