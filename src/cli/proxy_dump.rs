//! The proxy's `--dump FILE`: every message the proxy sees, written live as schema-v1 jsonl
//! or, for a `.parquet` name, as rolling Parquet files closed cleanly (also on Ctrl-C and
//! SIGTERM: the proxy stops, the tap drains, the pass ends and the last file is closed).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use memshark::dissect::Message;
use memshark::export::{MessagesTable, RollPolicy, Rolling, WriteOptions};

/// Where the dump goes.
pub enum Dump {
    /// jsonl lines to one file.
    Jsonl {
        /// The file.
        out: std::io::BufWriter<std::fs::File>,
        /// The line writer.
        lines: memshark::dump::JsonlWriter,
        /// One line.
        line: Vec<u8>,
    },
    /// Rolling Parquet files.
    Parquet(Box<Rolling<MessagesTable>>),
}

/// Files roll this often when neither a time nor a size is given.
const DEFAULT_ROLL: Duration = Duration::from_secs(3_600);

impl Dump {
    /// A dump to `path`: Parquet for a `.parquet` name (rolling every `minutes` or `bytes`,
    /// hourly when neither is given), else jsonl.
    pub fn create(path: &Path, minutes: Option<f64>, bytes: Option<u64>) -> anyhow::Result<Dump> {
        if path.extension().is_some_and(|e| e == "parquet") {
            let mut policy = RollPolicy {
                max_age: minutes.map(|m| {
                    Duration::try_from_secs_f64(m.max(0.0) * 60.0).unwrap_or(Duration::MAX)
                }),
                max_bytes: bytes,
            };
            if policy == RollPolicy::default() {
                policy.max_age = Some(DEFAULT_ROLL);
            }
            let options = WriteOptions {
                batch_rows: 4_096,
                ..WriteOptions::default()
            };
            return Ok(Dump::Parquet(Box::new(Rolling::new(path, options, policy))));
        }
        Ok(Dump::Jsonl {
            out: std::io::BufWriter::new(memshark::capture::create_private(path)?),
            lines: memshark::dump::JsonlWriter::default(),
            line: Vec::new(),
        })
    }

    /// Writes one message.
    pub fn write(&mut self, m: &Message) -> anyhow::Result<()> {
        match self {
            Dump::Jsonl { out, lines, line } => {
                line.clear();
                lines.write(line, m);
                out.write_all(line)?;
            }
            Dump::Parquet(files) => files.push(m)?,
        }
        Ok(())
    }

    /// Flushes jsonl; closes the Parquet file that is due (call it now and then).
    pub fn tick(&mut self) -> anyhow::Result<()> {
        match self {
            Dump::Jsonl { out, .. } => out.flush()?,
            Dump::Parquet(files) => files.roll_if_due()?,
        }
        Ok(())
    }

    /// Flushes and closes; returns the Parquet files written.
    pub fn close(self) -> anyhow::Result<Vec<PathBuf>> {
        match self {
            Dump::Jsonl { mut out, .. } => {
                out.flush()?;
                Ok(Vec::new())
            }
            Dump::Parquet(files) => Ok((*files).close()?),
        }
    }
}
