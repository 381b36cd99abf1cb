//! The tables: rows ([`Message`](memshark_traffic::dissect::Message)s or
//! [`Transaction`](memshark_traffic::transaction::Transaction)s) into Arrow record batches with
//! a fixed schema. The columns and their types are written down in the repository's
//! ARCHITECTURE.md.

mod messages;
mod transactions;

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, SchemaRef};
use memshark_traffic::capture::Timestamp;

pub use messages::MessagesTable;
pub use transactions::TransactionsTable;

/// Column builders for one table: rows go in one by one, a record batch comes out.
pub trait Table: Default {
    /// What one row is made from.
    type Row;

    /// The table's name (`messages`, `transactions`).
    const NAME: &'static str;

    /// The table's Arrow schema.
    fn schema() -> SchemaRef;

    /// Empty builders with room for `rows` rows a batch (each batch after
    /// [`finish`](Self::finish) starts with that room again, so that appending a row seldom
    /// grows a buffer); `Default` is [`DEFAULT_CAPACITY`].
    fn with_capacity(rows: usize) -> Self;

    /// Appends one row.
    fn push(&mut self, row: &Self::Row);

    /// Rows appended since the last batch.
    fn len(&self) -> usize;

    /// Whether the batch must be written before its row count is reached: a column holds so
    /// many bytes that another batch of rows like these could overflow its 32-bit offsets.
    fn is_full(&self) -> bool {
        false
    }

    /// Whether no row was appended since the last batch.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows so far as a record batch; the builders start again empty.
    fn finish(&mut self) -> Result<RecordBatch, ArrowError>;

    /// A row's time (what `date` and `hour` partitions are cut by).
    fn time(row: &Self::Row) -> Timestamp;
}

/// The rows a table's builders have room for by default (the default
/// [`WriteOptions::batch_rows`](crate::WriteOptions::batch_rows)).
pub const DEFAULT_CAPACITY: usize = 16 * 1024;

/// A capture time as microseconds since the epoch.
pub(crate) fn micros(ts: Timestamp) -> i64 {
    i64::try_from(ts.as_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// The Arrow type of a capture time: UTC, microseconds.
pub(crate) fn ts_type() -> arrow_schema::DataType {
    arrow_schema::DataType::Timestamp(arrow_schema::TimeUnit::Microsecond, Some("UTC".into()))
}

#[cfg(test)]
mod tests;
