//! Rolling files for a long-running writer (the proxy's `--dump x.parquet`): a new file every
//! N minutes or bytes, each one closed cleanly (footer written, then renamed from its partial
//! name) before the next starts.
//!
//! For a base of `dir/x.parquet`, files are named `dir/x-YYYYMMDDTHHMMSSZ-N.parquet` by the
//! time (UTC) they were started, so `read_parquet('dir/x-*.parquet')` reads them all and a
//! restarted writer never overwrites an earlier file.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use memshark_traffic::capture::Timestamp;

use crate::civil::utc_stamp;
use crate::file::{ParquetFile, WriteOptions};
use crate::table::Table;
use crate::ExportError;

/// When to start the next file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollPolicy {
    /// After the file has been open this long.
    pub max_age: Option<Duration>,
    /// Once the file holds about this many bytes (checked every
    /// [`WriteOptions::batch_rows`] rows, so a file may pass it by one batch).
    pub max_bytes: Option<u64>,
}

/// Rows of table `T` into rolling files.
pub struct Rolling<T: Table> {
    base: PathBuf,
    options: WriteOptions,
    policy: RollPolicy,
    current: Option<(ParquetFile<T>, Instant)>,
    seq: u64,
    written: Vec<PathBuf>,
}

impl<T: Table> std::fmt::Debug for Rolling<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rolling")
            .field("base", &self.base)
            .field("policy", &self.policy)
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl<T: Table> Rolling<T> {
    /// Files named after `base`; the first is started by the first row.
    pub fn new(base: impl Into<PathBuf>, options: WriteOptions, policy: RollPolicy) -> Self {
        Rolling {
            base: base.into(),
            options,
            policy,
            current: None,
            seq: 0,
            written: Vec::new(),
        }
    }

    fn next_path(&mut self) -> PathBuf {
        let stem = self
            .base
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "dump".into());
        let name = format!(
            "{stem}-{}-{}.parquet",
            utc_stamp(Timestamp::now().as_nanos()),
            self.seq
        );
        self.seq += 1;
        self.base.with_file_name(name)
    }

    /// Appends one row, starting a file first if none is open and closing it after if it is
    /// due.
    pub fn push(&mut self, row: &T::Row) -> Result<(), ExportError> {
        let (file, _) = match &mut self.current {
            Some(c) => c,
            None => {
                let path = self.next_path();
                let file = ParquetFile::create(path, &self.options)?;
                self.current.insert((file, Instant::now()))
            }
        };
        file.push(row)?;
        self.roll_if_due()
    }

    /// Closes the current file if it is due (its age or size), even with no new row: call
    /// it now and then so that a quiet writer still rolls on time.
    pub fn roll_if_due(&mut self) -> Result<(), ExportError> {
        let due = self.current.as_ref().is_some_and(|(f, started)| {
            self.policy.max_age.is_some_and(|a| started.elapsed() >= a)
                || self.policy.max_bytes.is_some_and(|b| f.bytes() >= b)
        });
        if due {
            self.close_current()?;
        }
        Ok(())
    }

    fn close_current(&mut self) -> Result<(), ExportError> {
        if let Some((file, _)) = self.current.take() {
            let path = file.path().to_owned();
            file.close()?;
            self.written.push(path);
        }
        Ok(())
    }

    /// The files completed so far.
    pub fn written(&self) -> &[PathBuf] {
        &self.written
    }

    /// The base name.
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// Closes the current file; returns every file written.
    pub fn close(mut self) -> Result<Vec<PathBuf>, ExportError> {
        self.close_current()?;
        Ok(std::mem::take(&mut self.written))
    }
}
