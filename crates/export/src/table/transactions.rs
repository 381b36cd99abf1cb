//! The transactions table: one row per request with its answers joined.

use std::sync::Arc;

use arrow_array::builder::BooleanBuilder;
use arrow_array::types::{Int32Type, Int64Type, TimestampMicrosecondType, UInt16Type, Utf8Type};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use memshark_traffic::capture::Timestamp;
use memshark_traffic::dissect::Proto;
use memshark_traffic::transaction::Transaction;

use super::{micros, ts_type, Table, DEFAULT_CAPACITY};
use crate::columns::{dict_type, ByteColumn, DictColumn, Ends, KeyColumns, Prim};

/// Builders for the transactions table (see ARCHITECTURE.md for its columns and types).
#[derive(Debug)]
pub struct TransactionsTable {
    schema: SchemaRef,
    /// Rows a batch is sized for: each batch's builders start with room for this many.
    capacity: usize,
    columns: Columns,
    rows: usize,
}

/// One batch's builders.
#[derive(Debug)]
struct Columns {
    txn: Prim<Int64Type>,
    conn: Prim<Int64Type>,
    frame: Prim<Int64Type>,
    ts: Prim<TimestampMicrosecondType>,
    /// `client` and `server`.
    ends: Ends,
    proto: DictColumn<Proto>,
    op: DictColumn<&'static str>,
    keys: KeyColumns,
    key_count: Prim<Int32Type>,
    quiet: BooleanBuilder,
    outcome: DictColumn<&'static str>,
    status: Prim<UInt16Type>,
    hit: BooleanBuilder,
    hits: Prim<Int32Type>,
    answers: Prim<Int32Type>,
    value_len: Prim<Int64Type>,
    latency_us: Prim<Int64Type>,
    failed: BooleanBuilder,
    error: ByteColumn<Utf8Type>,
}

impl Columns {
    fn with_capacity(rows: usize) -> Columns {
        Columns {
            txn: Prim::with_capacity(rows),
            conn: Prim::with_capacity(rows),
            frame: Prim::with_capacity(rows),
            ts: Prim::with_capacity(rows),
            ends: Ends::with_capacity(rows),
            proto: DictColumn::with_capacity(rows),
            op: DictColumn::with_capacity(rows),
            keys: KeyColumns::with_capacity(rows),
            key_count: Prim::with_capacity(rows),
            quiet: BooleanBuilder::with_capacity(rows),
            outcome: DictColumn::with_capacity(rows),
            status: Prim::with_capacity(rows),
            hit: BooleanBuilder::with_capacity(rows),
            hits: Prim::with_capacity(rows),
            answers: Prim::with_capacity(rows),
            value_len: Prim::with_capacity(rows),
            latency_us: Prim::with_capacity(rows),
            failed: BooleanBuilder::with_capacity(rows),
            // Failed transactions are few: room for the offsets only.
            error: ByteColumn::with_capacity(rows, 0),
        }
    }

    /// The columns in the schema's order.
    fn finish(mut self) -> Result<Vec<ArrayRef>, ArrowError> {
        let [key, key_bin, keys] = self.keys.finish()?;
        let [client, server] = self.ends.finish()?;
        Ok(vec![
            Arc::new(self.txn.finish()),
            Arc::new(self.conn.finish()),
            Arc::new(self.frame.finish()),
            Arc::new(self.ts.finish().with_timezone("UTC")),
            client,
            server,
            self.proto.finish()?,
            self.op.finish()?,
            key,
            key_bin,
            keys,
            Arc::new(self.key_count.finish()),
            Arc::new(self.quiet.finish()),
            self.outcome.finish()?,
            Arc::new(self.status.finish()),
            Arc::new(self.hit.finish()),
            Arc::new(self.hits.finish()),
            Arc::new(self.answers.finish()),
            Arc::new(self.value_len.finish()),
            Arc::new(self.latency_us.finish()),
            Arc::new(self.failed.finish()),
            Arc::new(self.error.finish()?),
        ])
    }
}

impl Default for TransactionsTable {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn i32_of(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

impl Table for TransactionsTable {
    type Row = Transaction;
    const NAME: &'static str = "transactions";

    fn schema() -> SchemaRef {
        let [key, key_bin, keys] = KeyColumns::fields();
        Arc::new(Schema::new(vec![
            Field::new("txn", DataType::Int64, false),
            Field::new("conn", DataType::Int64, false),
            Field::new("frame", DataType::Int64, false),
            Field::new("ts", ts_type(), false),
            Field::new("client", dict_type(), false),
            Field::new("server", dict_type(), false),
            Field::new("proto", dict_type(), false),
            Field::new("op", dict_type(), false),
            key,
            key_bin,
            keys,
            Field::new("key_count", DataType::Int32, false),
            Field::new("quiet", DataType::Boolean, false),
            Field::new("outcome", dict_type(), true),
            Field::new("status", DataType::UInt16, true),
            Field::new("hit", DataType::Boolean, true),
            Field::new("hits", DataType::Int32, true),
            Field::new("answers", DataType::Int32, false),
            Field::new("value_len", DataType::Int64, false),
            Field::new("latency_us", DataType::Int64, true),
            Field::new("failed", DataType::Boolean, false),
            Field::new("error", DataType::Utf8, true),
        ]))
    }

    fn with_capacity(rows: usize) -> Self {
        TransactionsTable {
            schema: Self::schema(),
            capacity: rows,
            columns: Columns::with_capacity(rows),
            rows: 0,
        }
    }

    fn push(&mut self, t: &Transaction) {
        let c = &mut self.columns;
        let name = |s: &'static str| s.to_owned();
        c.txn.append(i64_of(t.txn));
        c.conn.append(i64_of(t.conn));
        c.frame.append(i64_of(t.frame));
        c.ts.append(micros(t.ts));
        c.ends.append(t.client, t.server, false);
        c.proto.append(t.proto, |p| p.name().to_owned());
        c.op.append(t.op, name);
        c.keys.append(t.key.as_deref(), &t.keys);
        c.key_count.append(i32_of(t.key_count()));
        c.quiet.append_value(t.quiet);
        match t.outcome {
            Some(o) => c.outcome.append(o, name),
            None => c.outcome.append_null(),
        }
        c.status.append_option(t.status);
        c.hit.append_option(t.hit());
        c.hits.append_option(t.lookup.then(|| i32_of(t.hits)));
        c.answers.append(i32_of(t.answers));
        c.value_len.append(i64_of(t.value_len));
        c.latency_us
            .append_option(t.latency_ns.map(|l| i64_of(l / 1_000)));
        c.failed.append_value(t.failed);
        c.error.append_option(t.error.as_deref());
        self.rows += 1;
    }

    fn len(&self) -> usize {
        self.rows
    }

    #[inline]
    fn is_full(&self) -> bool {
        self.columns.keys.is_full()
    }

    fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let full = std::mem::replace(&mut self.columns, Columns::with_capacity(self.capacity));
        self.rows = 0;
        RecordBatch::try_new(Arc::clone(&self.schema), full.finish()?)
    }

    fn time(t: &Transaction) -> Timestamp {
        t.ts
    }
}
