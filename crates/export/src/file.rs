//! One Parquet file: rows buffered into record batches, written as zstd-compressed row groups
//! as they fill, under a temporary name until the footer is written.
//!
//! A Parquet file is only readable once its footer is written, so a file is created as
//! `.NAME.partial` beside its final name and renamed to `NAME` by [`ParquetFile::close`]: an
//! interrupted writer (a crash, `kill -9`) leaves a hidden partial file that DuckDB's and
//! Spark's globs pass over, never an unreadable file under a final name. A file dropped
//! without being closed removes its partial file.
//!
//! Parquet encoding and zstd run on a thread of each file's own, fed record batches through a
//! short queue, so that reading and dissecting go on meanwhile (memory stays bounded: at most
//! a few batches wait).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use arrow_array::RecordBatch;

use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::table::Table;
use crate::ExportError;

/// How files are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Rows per row group: the unit a reader skips or scans (default 131 072).
    pub row_group_rows: usize,
    /// Rows buffered in column builders before they go to the Parquet encoder (default
    /// 16 384): a smaller figure makes [`ParquetFile::bytes`] follow the file more closely.
    pub batch_rows: usize,
    /// zstd level (default 1: fast, and most of the ratio on this data).
    pub zstd_level: i32,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            row_group_rows: 128 * 1024,
            batch_rows: 16 * 1024,
            zstd_level: 1,
        }
    }
}

impl WriteOptions {
    fn properties(&self) -> Result<WriterProperties, ExportError> {
        let mut builder = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(self.zstd_level)?))
            .set_max_row_group_size(self.row_group_rows.max(1))
            // Min/max per column chunk (what engines prune row groups by), not per page: page
            // statistics cost a comparison per value and a column index nobody asked for.
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_created_by(format!("memshark-export {}", env!("CARGO_PKG_VERSION")));
        // Columns of (nearly) distinct values: a dictionary costs a hash lookup per value, then
        // outgrows its page and falls back to plain anyway. Plain values compress smaller.
        for column in PLAIN_COLUMNS {
            builder = builder.set_column_dictionary_enabled(ColumnPath::from(*column), false);
        }
        // A handful of names: min/max would cost a string comparison per value and prune
        // nothing a dictionary page does not already tell.
        for column in NAME_COLUMNS {
            builder = builder
                .set_column_statistics_enabled(ColumnPath::from(*column), EnabledStatistics::None);
        }
        Ok(builder.build())
    }
}

/// Columns (of either table) written without a dictionary: counters, times, ids and keys.
const PLAIN_COLUMNS: &[&str] = &[
    "txn",
    "conn",
    "frame",
    "ts",
    "opaque",
    "cas",
    "value_len",
    "latency_us",
    "key",
];

/// Dictionary columns (of either table) of a few fixed names, written without statistics.
const NAME_COLUMNS: &[&str] = &["proto", "kind", "op", "status_name", "outcome"];

/// The hidden name a file is written under until it is complete.
pub fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.partial"))
}

/// The encoder thread and the queue to it.
struct Encoder {
    batches: Option<SyncSender<RecordBatch>>,
    /// Batches the encoder is done with, handed back to be freed on the thread that made them.
    written: Receiver<RecordBatch>,
    thread: Option<JoinHandle<Result<File, ExportError>>>,
    /// Bytes written plus the row group in progress, as of the last batch encoded.
    bytes: Arc<AtomicU64>,
}

impl Encoder {
    fn start(
        mut writer: ArrowWriter<BufWriter<File>>,
        partial: PathBuf,
    ) -> Result<Encoder, ExportError> {
        let (tx, rx) = sync_channel::<RecordBatch>(2);
        // A batch's buffers are freed where they were allocated: freed on the encoder thread,
        // they went back to the decoding thread's malloc arena through its lock, and the arena,
        // churned from two threads, kept handing the reader's 4 MiB chunks fresh pages
        // (1 000 to 15 000 page faults more a run on a 315 MB capture than jsonl's; now 10%).
        let (back, written) = sync_channel::<RecordBatch>(2);
        let bytes = Arc::new(AtomicU64::new(0));
        let seen = Arc::clone(&bytes);
        let thread = std::thread::Builder::new()
            .name("memshark-parquet".into())
            .spawn(move || {
                for batch in rx {
                    writer.write(&batch)?;
                    // Queue full (the decoding thread is between batches): freed here.
                    let _ = back.try_send(batch);
                    let size = writer.bytes_written() + writer.in_progress_size();
                    seen.store(size as u64, Ordering::Relaxed);
                }
                let buffered = writer.into_inner()?;
                buffered
                    .into_inner()
                    .map_err(|e| ExportError::io(&partial, e.into_error()))
            })
            .map_err(|e| ExportError::io("memshark-parquet thread", e))?;
        Ok(Encoder {
            batches: Some(tx),
            written,
            thread: Some(thread),
            bytes,
        })
    }

    /// Hands a batch on; an encoder that has failed gives its error.
    fn write(&mut self, batch: RecordBatch) -> Result<(), ExportError> {
        while let Ok(done) = self.written.try_recv() {
            drop(done);
        }
        if self
            .batches
            .as_ref()
            .is_some_and(|tx| tx.send(batch).is_ok())
        {
            return Ok(());
        }
        // The thread ended early: it failed, and says why.
        self.finish().map(drop)
    }

    /// Ends the queue: the footer is written and the file handed back.
    fn finish(&mut self) -> Result<File, ExportError> {
        self.batches = None;
        let gone = |what: &str| {
            ExportError::io(
                "memshark-parquet thread",
                std::io::Error::other(what.to_owned()),
            )
        };
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(gone("the Parquet encoder panicked")),
            None => Err(gone("the Parquet encoder has already ended")),
        }
    }
}

/// One Parquet file of table `T` being written.
pub struct ParquetFile<T: Table> {
    path: PathBuf,
    partial: PathBuf,
    encoder: Encoder,
    closed: bool,
    table: T,
    batch_rows: usize,
    rows: u64,
}

impl<T: Table> std::fmt::Debug for ParquetFile<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetFile")
            .field("path", &self.path)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl<T: Table> ParquetFile<T> {
    /// Starts `path` (written as its [`partial_path`] until [`close`](Self::close)); readable
    /// by its owner only, like every file of users' traffic.
    pub fn create(path: impl Into<PathBuf>, options: &WriteOptions) -> Result<Self, ExportError> {
        let path = path.into();
        let partial = partial_path(&path);
        let file = memshark_traffic::capture::create_private(&partial)
            .map_err(|e| ExportError::io(&partial, e))?;
        let writer = ArrowWriter::try_new(
            BufWriter::with_capacity(1 << 20, file),
            T::schema(),
            Some(options.properties()?),
        )?;
        let encoder = Encoder::start(writer, partial.clone())?;
        let batch_rows = options.batch_rows.clamp(1, options.row_group_rows.max(1));
        Ok(ParquetFile {
            path,
            partial,
            encoder,
            closed: false,
            table: T::with_capacity(batch_rows),
            batch_rows,
            rows: 0,
        })
    }

    /// The final name.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// About how big the file is so far: bytes written plus the row group being encoded, as
    /// of the last batch encoded.
    pub fn bytes(&self) -> u64 {
        self.encoder.bytes.load(Ordering::Relaxed)
    }

    /// Appends one row; a full batch goes to the encoder, a full row group to the file.
    #[inline]
    pub fn push(&mut self, row: &T::Row) -> Result<(), ExportError> {
        self.table.push(row);
        self.rows += 1;
        if self.table.len() >= self.batch_rows || self.table.is_full() {
            self.write_batch()?;
        }
        Ok(())
    }

    fn write_batch(&mut self) -> Result<(), ExportError> {
        if self.table.is_empty() {
            return Ok(());
        }
        let batch = self.table.finish()?;
        self.encoder.write(batch)
    }

    /// Writes what is buffered and the footer, syncs, and gives the file its final name.
    /// Returns the rows written.
    pub fn close(mut self) -> Result<u64, ExportError> {
        self.write_batch()?;
        self.closed = true;
        let file = self.encoder.finish()?;
        file.sync_all()
            .map_err(|e| ExportError::io(&self.partial, e))?;
        std::fs::rename(&self.partial, &self.path).map_err(|e| ExportError::io(&self.path, e))?;
        Ok(self.rows)
    }
}

impl<T: Table> Drop for ParquetFile<T> {
    fn drop(&mut self) {
        if !self.closed {
            // Never closed: it has no footer, so it is no Parquet file. End the encoder, then
            // remove what it wrote.
            let _ = self.encoder.finish();
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}
