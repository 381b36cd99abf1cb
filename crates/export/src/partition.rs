//! A Hive-style partitioned directory: `DIR/date=2024-05-01/hour=13/capture=web1/NAME.parquet`,
//! which DuckDB (`read_parquet('DIR/**/*.parquet', hive_partitioning = true)`), Spark
//! (`spark.read.parquet('DIR')`) and ClickHouse read as one table with the partition columns
//! added.
//!
//! Rows go to the file of their partition, opened on first use. At most
//! [`Partitioned::MAX_OPEN`] files are open at once (each holds at most a row group in memory);
//! past that the least recently used is closed, and a later row of its partition starts the
//! next file there (`NAME-0001.parquet`, …).

use std::path::{Path, PathBuf};

use crate::civil::utc_date_hour;
use crate::file::{ParquetFile, WriteOptions};
use crate::table::Table;
use crate::ExportError;

/// One level of the directory tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartitionKey {
    /// `date=YYYY-MM-DD` (UTC) of the row's time.
    Date,
    /// `hour=HH` (UTC, 00–23) of the row's time.
    Hour,
    /// `capture=NAME`: which capture the row comes from.
    Capture,
}

impl PartitionKey {
    /// The column name.
    pub fn name(self) -> &'static str {
        match self {
            PartitionKey::Date => "date",
            PartitionKey::Hour => "hour",
            PartitionKey::Capture => "capture",
        }
    }

    /// Parses a comma-separated list (`date,hour,capture`).
    pub fn parse_list(s: &str) -> Result<Vec<PartitionKey>, String> {
        let mut keys = Vec::new();
        for word in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let key = match word {
                "date" => PartitionKey::Date,
                "hour" => PartitionKey::Hour,
                "capture" => PartitionKey::Capture,
                _ => return Err(format!("unknown partition {word:?} (date, hour, capture)")),
            };
            if keys.contains(&key) {
                return Err(format!("partition {word:?} given twice"));
            }
            keys.push(key);
        }
        Ok(keys)
    }
}

/// A name made safe for a path segment: anything but letters, digits, `.`, `_` and `-`
/// becomes `_` (a leading `.` too, which would hide the file).
pub fn safe_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        s.insert(0, '_');
    }
    s
}

struct Open<T: Table> {
    dir: PathBuf,
    hour: u64,
    file: ParquetFile<T>,
}

/// Rows of table `T` into a partitioned directory.
pub struct Partitioned<T: Table> {
    root: PathBuf,
    keys: Vec<PartitionKey>,
    options: WriteOptions,
    capture: String,
    /// Open files, least recently used first.
    open: Vec<Open<T>>,
    /// Files started per partition directory and capture (for the next file's number).
    started: rustc_hash::FxHashMap<PathBuf, u32>,
    written: Vec<PathBuf>,
    rows: u64,
}

impl<T: Table> std::fmt::Debug for Partitioned<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Partitioned")
            .field("root", &self.root)
            .field("keys", &self.keys)
            .field("capture", &self.capture)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl<T: Table> Partitioned<T> {
    /// Files open at once.
    pub const MAX_OPEN: usize = 32;

    /// Writes under `root` (created if missing), cut by `keys` in that order.
    pub fn create(
        root: impl Into<PathBuf>,
        keys: Vec<PartitionKey>,
        options: WriteOptions,
    ) -> Result<Self, ExportError> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(|e| ExportError::io(&root, e))?;
        Ok(Partitioned {
            root,
            keys,
            options,
            capture: "capture".into(),
            open: Vec::new(),
            started: Default::default(),
            written: Vec::new(),
            rows: 0,
        })
    }

    /// The capture the next rows come from: the `capture=` value, and the start of every
    /// file's name (made safe with [`safe_name`]). Closes the files of the previous one.
    pub fn set_capture(&mut self, name: &str) -> Result<(), ExportError> {
        self.close_open()?;
        self.capture = safe_name(name);
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn partition_dir(&self, nanos: u64) -> PathBuf {
        let (y, m, d, h) = utc_date_hour(nanos);
        let mut dir = self.root.clone();
        for k in &self.keys {
            dir.push(match k {
                PartitionKey::Date => format!("date={y:04}-{m:02}-{d:02}"),
                PartitionKey::Hour => format!("hour={h:02}"),
                PartitionKey::Capture => format!("capture={}", self.capture),
            });
        }
        dir
    }

    /// Appends one row to its partition's file.
    pub fn push(&mut self, row: &T::Row) -> Result<(), ExportError> {
        let nanos = T::time(row).as_nanos();
        let hour = nanos / 3_600_000_000_000;
        self.rows += 1;
        // Most rows fall in the hour of the row before.
        if let Some(last) = self.open.last_mut() {
            if last.hour == hour {
                return last.file.push(row);
            }
        }
        let dir = self.partition_dir(nanos);
        let i = match self.open.iter().position(|o| o.dir == dir) {
            Some(i) => i,
            None => self.open_file(dir)?,
        };
        let mut entry = self.open.remove(i);
        entry.hour = hour;
        let result = entry.file.push(row);
        self.open.push(entry);
        result
    }

    fn open_file(&mut self, dir: PathBuf) -> Result<usize, ExportError> {
        if self.open.len() >= Self::MAX_OPEN {
            let oldest = self.open.remove(0);
            self.written.push(oldest.file.path().to_owned());
            oldest.file.close()?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| ExportError::io(&dir, e))?;
        let n = self.started.entry(dir.join(&self.capture)).or_insert(0);
        let name = if *n == 0 {
            format!("{}.parquet", self.capture)
        } else {
            format!("{}-{n:04}.parquet", self.capture)
        };
        *n += 1;
        let file = ParquetFile::create(dir.join(name), &self.options)?;
        // u64::MAX: no row's hour, so the fast path never picks a file by it by mistake.
        self.open.push(Open {
            dir,
            hour: u64::MAX,
            file,
        });
        Ok(self.open.len() - 1)
    }

    fn close_open(&mut self) -> Result<(), ExportError> {
        for o in self.open.drain(..) {
            self.written.push(o.file.path().to_owned());
            o.file.close()?;
        }
        Ok(())
    }

    /// Closes every open file; returns the files written.
    pub fn close(mut self) -> Result<Vec<PathBuf>, ExportError> {
        self.close_open()?;
        Ok(std::mem::take(&mut self.written))
    }

    /// The directory written under.
    pub fn root(&self) -> &Path {
        &self.root
    }
}
