//! One Parquet file: rows buffered into record batches, written as zstd-compressed row groups
//! as they fill, under a temporary name until the footer is written.
//!
//! A Parquet file is only readable once its footer is written, so a file is created as
//! `.NAME.partial` beside its final name and renamed to `NAME` by [`ParquetFile::close`]: an
//! interrupted writer (a crash, `kill -9`) leaves a hidden partial file that DuckDB's and
//! Spark's globs pass over, never an unreadable file under a final name. A file dropped
//! without being closed removes its partial file.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

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
        Ok(WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(self.zstd_level)?))
            .set_max_row_group_size(self.row_group_rows.max(1))
            .set_created_by(format!("memshark-export {}", env!("CARGO_PKG_VERSION")))
            .build())
    }
}

/// The hidden name a file is written under until it is complete.
pub fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.partial"))
}

/// One Parquet file of table `T` being written.
pub struct ParquetFile<T: Table> {
    path: PathBuf,
    partial: PathBuf,
    writer: Option<ArrowWriter<BufWriter<File>>>,
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
        Ok(ParquetFile {
            path,
            partial,
            writer: Some(writer),
            table: T::default(),
            batch_rows: options.batch_rows.clamp(1, options.row_group_rows.max(1)),
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

    /// About how big the file is so far: bytes written plus the row group being encoded.
    pub fn bytes(&self) -> u64 {
        self.writer
            .as_ref()
            .map_or(0, |w| (w.bytes_written() + w.in_progress_size()) as u64)
    }

    /// Appends one row; a full batch goes to the encoder, a full row group to the file.
    #[inline]
    pub fn push(&mut self, row: &T::Row) -> Result<(), ExportError> {
        self.table.push(row);
        self.rows += 1;
        if self.table.len() >= self.batch_rows {
            self.write_batch()?;
        }
        Ok(())
    }

    fn write_batch(&mut self) -> Result<(), ExportError> {
        if self.table.is_empty() {
            return Ok(());
        }
        let batch = self.table.finish()?;
        if let Some(w) = &mut self.writer {
            w.write(&batch)?;
        }
        Ok(())
    }

    /// Writes what is buffered and the footer, syncs, and gives the file its final name.
    /// Returns the rows written.
    pub fn close(mut self) -> Result<u64, ExportError> {
        self.write_batch()?;
        if let Some(w) = self.writer.take() {
            let buffered = w.into_inner()?;
            let file = buffered
                .into_inner()
                .map_err(|e| ExportError::io(&self.partial, e.into_error()))?;
            file.sync_all()
                .map_err(|e| ExportError::io(&self.partial, e))?;
        }
        std::fs::rename(&self.partial, &self.path).map_err(|e| ExportError::io(&self.path, e))?;
        Ok(self.rows)
    }
}

impl<T: Table> Drop for ParquetFile<T> {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            // Never closed: it has no footer, so it is no Parquet file.
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}
