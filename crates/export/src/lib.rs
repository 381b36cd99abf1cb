//! # memshark-export
//!
//! Parquet output for memshark, for analysis past one machine (DuckDB, Spark, ClickHouse):
//! the messages table (one row per memcached message, the columns of `dump`'s jsonl schema v1
//! with types) and the transactions table (one row per request, its answers joined), written
//! with the Apache Arrow project's `parquet` crate.
//!
//! | module | what it holds |
//! |---|---|
//! | [`table`] | the [`Table`] trait: rows into Arrow record batches; [`MessagesTable`], [`TransactionsTable`] |
//! | [`file`](mod@file) | [`ParquetFile`]: one file, zstd, row groups flushed as they fill, written under a temporary name and renamed when its footer is written |
//! | [`partition`] | [`Partitioned`]: a Hive-style directory (`date=…/hour=…/capture=…/`) |
//! | [`rolling`] | [`Rolling`]: a new file every N minutes or bytes (the proxy's `--dump x.parquet`) |
//!
//! Writing is incremental: at most one row group per open file is held in memory.
//!
//! ```
//! use memshark_export::{ParquetFile, MessagesTable, WriteOptions};
//! use memshark_traffic::source::{self, Source};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("binary.parquet");
//! let mut out = ParquetFile::<MessagesTable>::create(&path, &WriteOptions::default())?;
//! let mut failed = None;
//! source::run(Source::file("../../fixtures/binary.pcap"), &[11211], source::from_fn(|m| {
//!     failed = out.push(&m).err();
//!     failed.is_none()
//! }))?;
//! assert!(failed.is_none());
//! let rows = out.close()?;
//! assert!(rows > 0 && path.exists());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod civil;
mod columns;
mod error;
pub mod file;
pub mod partition;
pub mod rolling;
pub mod table;

pub use error::ExportError;
pub use file::{ParquetFile, WriteOptions};
pub use partition::{PartitionKey, Partitioned};
pub use rolling::{RollPolicy, Rolling};
pub use table::{MessagesTable, Table, TransactionsTable};
