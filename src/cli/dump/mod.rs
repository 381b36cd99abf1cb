//! `memshark dump`: one row per memcached message (or per transaction) of a capture, as lines
//! for scripts or as Parquet for analysis engines.

mod rows;
mod write;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use memshark::dump::{self, DumpFormat};
use memshark::export::{
    MessagesTable, ParquetFile, PartitionKey, Partitioned, Table, TransactionsTable, WriteOptions,
};
use memshark::pipeline::PassStats;
use memshark::transaction::{self, Joiner};

use rows::{Lines, MessageRows, RowOut, TransactionRows};

/// Print every memcached message of a pcap/pcapng file (or a live interface), one line each
/// (jsonl schema v1, csv or text), or write them as Parquet; `--table transactions` gives one
/// row per request with its answers joined. A closed pipe (`| head`) ends it quietly.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: super::source::Source,
    /// Output format: jsonl, csv, text or parquet (parquet needs -o or --out-dir).
    #[arg(long, default_value = "jsonl")]
    format: Format,
    /// Which table: `messages` (one row per message) or `transactions` (one row per
    /// request, its answers joined; jsonl, csv and parquet).
    #[arg(long, default_value = "messages")]
    table: TableName,
    /// Write to this file instead of stdout (for parquet: the one file of every input).
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    /// Parquet: write under this directory, one file per input (and per partition).
    #[arg(long, conflicts_with = "output")]
    out_dir: Option<PathBuf>,
    /// With --out-dir: Hive-style partitions, any of `date,hour,capture` in the order given
    /// (`capture` is the input file's name without extensions, or --capture-name).
    #[arg(long, requires = "out_dir", value_parser = parse_partitions)]
    partition_by: Option<Partitions>,
    /// With --out-dir: the capture's name (`capture=` partition, file names) instead of the
    /// input file's name.
    #[arg(long, requires = "out_dir")]
    capture_name: Option<String>,
    /// Write the original frames of the transactions --filter shows to a new capture
    /// (pcapng for `.pcapng`, else pcap), as tshark's `-Y FILTER -w OUT` does; one input file.
    #[arg(short = 'w', long = "write", value_name = "OUT", conflicts_with_all = ["output", "out_dir"])]
    write: Option<PathBuf>,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Lines(DumpFormat),
    Parquet,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "parquet" => Ok(Format::Parquet),
            _ => s
                .parse()
                .map(Format::Lines)
                .map_err(|_| format!("unknown format {s:?} (jsonl, csv, text or parquet)")),
        }
    }
}

/// The table written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TableName {
    Messages,
    Transactions,
}

/// `--partition-by`'s list.
#[derive(Debug, Clone)]
struct Partitions(Vec<PartitionKey>);

fn parse_partitions(s: &str) -> Result<Partitions, String> {
    PartitionKey::parse_list(s).map(Partitions)
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

/// Runs `memshark dump`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(out) = &args.write {
        return write::frames(&args.source, out);
    }
    match (args.format, args.table) {
        (Format::Lines(DumpFormat::Text), TableName::Transactions) => {
            bail!("--table transactions is written as jsonl, csv or parquet, not text")
        }
        (Format::Lines(_), _) if args.out_dir.is_some() => {
            bail!("--out-dir writes Parquet: add --format parquet")
        }
        (Format::Parquet, _) if args.output.is_none() && args.out_dir.is_none() => {
            bail!("--format parquet writes a file: give -o FILE or --out-dir DIR")
        }
        _ => {}
    }
    let progress = Progress::new();
    let truncated = match args.format {
        Format::Lines(format) => lines(&args, format, &progress)?,
        Format::Parquet => match args.table {
            TableName::Messages => parquet::<MessagesTable>(&args, &progress)?,
            TableName::Transactions => parquet::<TransactionsTable>(&args, &progress)?,
        },
    };
    if truncated {
        eprintln!("memshark dump: the file ends inside a record; everything before it was read");
    }
    Ok(())
}

/// A table `dump` writes, and the sink that makes its rows.
trait Rows: Table {
    /// Reads `input` (or the whole source) into `out`.
    fn pass<O: RowOut<Self::Row>>(
        args: &Args,
        file: Option<memshark::source::Source>,
        out: &mut O,
        progress: &Progress,
    ) -> anyhow::Result<PassStats>;
}

fn read_into<S>(
    args: &Args,
    file: Option<memshark::source::Source>,
    sink: S,
) -> anyhow::Result<PassStats>
where
    S: memshark::source::Sink<Error = anyhow::Error>,
{
    match file {
        Some(f) => super::source::read_input(&args.source, f, sink),
        None => super::source::read(&args.source, sink),
    }
}

impl Rows for MessagesTable {
    fn pass<O: RowOut<Self::Row>>(
        args: &Args,
        file: Option<memshark::source::Source>,
        out: &mut O,
        progress: &Progress,
    ) -> anyhow::Result<PassStats> {
        read_into(args, file, MessageRows { out, progress })
    }
}

impl Rows for TransactionsTable {
    fn pass<O: RowOut<Self::Row>>(
        args: &Args,
        file: Option<memshark::source::Source>,
        out: &mut O,
        progress: &Progress,
    ) -> anyhow::Result<PassStats> {
        let joiner = Joiner::new();
        read_into(
            args,
            file,
            TransactionRows {
                out,
                progress,
                joiner,
            },
        )
    }
}

/// Lines to stdout or `-o FILE`; returns whether the file ended inside a record.
fn lines(args: &Args, format: DumpFormat, progress: &Progress) -> anyhow::Result<bool> {
    let header = match (format, args.table) {
        (DumpFormat::Csv, TableName::Messages) => dump::CSV_HEADER,
        (DumpFormat::Csv, TableName::Transactions) => transaction::CSV_HEADER,
        _ => "",
    };
    let out: Box<dyn std::io::Write> = match &args.output {
        Some(path) => Box::new(
            memshark::capture::create_private(path)
                .with_context(|| format!("creating {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut lines = Lines::new(
        format,
        std::io::BufWriter::with_capacity(1 << 20, out),
        header,
    );
    let stats = match args.table {
        TableName::Messages => MessagesTable::pass(args, None, &mut lines, progress)?,
        TableName::Transactions => TransactionsTable::pass(args, None, &mut lines, progress)?,
    };
    lines.close()?;
    Ok(stats.truncated_file)
}

/// Parquet to `-o FILE` (every input as one pass) or under `--out-dir` (one pass per input).
fn parquet<T: Rows>(args: &Args, progress: &Progress) -> anyhow::Result<bool> {
    let options = WriteOptions::default();
    if let Some(path) = &args.output {
        let mut file = ParquetFile::<T>::create(path, &options)?;
        let stats = T::pass(args, None, &mut file, progress)?;
        file.close()?;
        return Ok(stats.truncated_file);
    }
    let Some(dir) = &args.out_dir else {
        bail!("--format parquet writes a file: give -o FILE or --out-dir DIR");
    };
    let keys = args.partition_by.clone().map(|p| p.0).unwrap_or_default();
    let mut out = Partitioned::<T>::create(dir, keys, options)?;
    let mut truncated = false;
    let inputs = super::source::inputs(&args.source)?;
    if inputs.is_empty() {
        let name = args
            .capture_name
            .clone()
            .or_else(|| args.source.interface.clone())
            .unwrap_or_else(|| "live".into());
        out.set_capture(&name)?;
        truncated |= T::pass(args, None, &mut out, progress)?.truncated_file;
    }
    for (file, input) in inputs {
        // Two inputs of one name (a/web1.pcap, b/web1.pcap) share the partition, in files of
        // their own (web1.parquet, web1-0001.parquet).
        let name = args
            .capture_name
            .clone()
            .unwrap_or_else(|| capture_name(&file));
        out.set_capture(&name)?;
        truncated |= T::pass(args, Some(input), &mut out, progress)?.truncated_file;
    }
    out.close()?;
    Ok(truncated)
}

/// A capture's name from its file: the name without `.gz`, `.pcap`, `.pcapng`, `.cap`
/// (`captures/web1.pcap.gz` → `web1`).
fn capture_name(path: &Path) -> String {
    let mut name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "capture".into());
    for ext in [".gz", ".pcapng", ".pcap", ".cap"] {
        if let Some(stripped) = name.strip_suffix(ext) {
            name = stripped.to_owned();
        }
    }
    name
}
