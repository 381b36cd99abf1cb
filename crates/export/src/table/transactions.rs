//! The transactions table: one row per request with its answers joined.

use std::net::SocketAddr;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Int32Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
    UInt16Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use memshark_traffic::capture::Timestamp;
use memshark_traffic::transaction::Transaction;

use super::{micros, ts_type, Table};
use crate::columns::{dict_type, DictColumn, KeyColumns};

/// Builders for the transactions table (see ARCHITECTURE.md for its columns and types).
#[derive(Debug)]
pub struct TransactionsTable {
    schema: SchemaRef,
    txn: Int64Builder,
    conn: Int64Builder,
    frame: Int64Builder,
    ts: TimestampMicrosecondBuilder,
    client: DictColumn<SocketAddr>,
    server: DictColumn<SocketAddr>,
    proto: DictColumn<&'static str>,
    op: DictColumn<&'static str>,
    keys: KeyColumns,
    key_count: Int32Builder,
    quiet: BooleanBuilder,
    outcome: DictColumn<&'static str>,
    status: UInt16Builder,
    hit: BooleanBuilder,
    hits: Int32Builder,
    answers: Int32Builder,
    value_len: Int64Builder,
    latency_us: Int64Builder,
    failed: BooleanBuilder,
    error: StringBuilder,
    rows: usize,
}

impl Default for TransactionsTable {
    fn default() -> Self {
        TransactionsTable {
            schema: Self::schema(),
            txn: Int64Builder::new(),
            conn: Int64Builder::new(),
            frame: Int64Builder::new(),
            ts: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            client: DictColumn::default(),
            server: DictColumn::default(),
            proto: DictColumn::default(),
            op: DictColumn::default(),
            keys: KeyColumns::default(),
            key_count: Int32Builder::new(),
            quiet: BooleanBuilder::new(),
            outcome: DictColumn::default(),
            status: UInt16Builder::new(),
            hit: BooleanBuilder::new(),
            hits: Int32Builder::new(),
            answers: Int32Builder::new(),
            value_len: Int64Builder::new(),
            latency_us: Int64Builder::new(),
            failed: BooleanBuilder::new(),
            error: StringBuilder::new(),
            rows: 0,
        }
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

    fn push(&mut self, t: &Transaction) {
        let show = |a: SocketAddr| a.to_string();
        let name = |s: &'static str| s.to_owned();
        self.txn.append_value(i64_of(t.txn));
        self.conn.append_value(i64_of(t.conn));
        self.frame.append_value(i64_of(t.frame));
        self.ts.append_value(micros(t.ts));
        self.client.append(t.client, show);
        self.server.append(t.server, show);
        self.proto.append(t.proto.name(), name);
        self.op.append(t.op, name);
        self.keys.append(t.key.as_deref(), &t.keys);
        self.key_count.append_value(i32_of(t.key_count()));
        self.quiet.append_value(t.quiet);
        match t.outcome {
            Some(o) => self.outcome.append(o, name),
            None => self.outcome.append_null(),
        }
        self.status.append_option(t.status);
        self.hit.append_option(t.hit());
        self.hits.append_option(t.lookup.then(|| i32_of(t.hits)));
        self.answers.append_value(i32_of(t.answers));
        self.value_len.append_value(i64_of(t.value_len));
        self.latency_us
            .append_option(t.latency_ns.map(|l| i64_of(l / 1_000)));
        self.failed.append_value(t.failed);
        self.error.append_option(t.error.as_deref());
        self.rows += 1;
    }

    fn len(&self) -> usize {
        self.rows
    }

    fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let [key, key_bin, keys] = self.keys.finish();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.txn.finish()),
            Arc::new(self.conn.finish()),
            Arc::new(self.frame.finish()),
            Arc::new(self.ts.finish()),
            self.client.finish()?,
            self.server.finish()?,
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
            Arc::new(self.error.finish()),
        ];
        self.rows = 0;
        RecordBatch::try_new(Arc::clone(&self.schema), columns)
    }

    fn time(t: &Transaction) -> Timestamp {
        t.ts
    }
}
