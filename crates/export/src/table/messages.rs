//! The messages table: one row per memcached message, the columns of jsonl schema v1.

use std::net::SocketAddr;
use std::sync::Arc;

use arrow_array::builder::{
    Int64Builder, StringBuilder, TimestampMicrosecondBuilder, UInt16Builder, UInt32Builder,
    UInt64Builder, UInt8Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use memshark_traffic::capture::Timestamp;
use memshark_traffic::dissect::Message;

use super::{micros, ts_type, Table};
use crate::columns::{dict_type, DictColumn, KeyColumns};

/// Builders for the messages table (see ARCHITECTURE.md for its columns and types).
#[derive(Debug)]
pub struct MessagesTable {
    schema: SchemaRef,
    frame: Int64Builder,
    ts: TimestampMicrosecondBuilder,
    src: DictColumn<SocketAddr>,
    dst: DictColumn<SocketAddr>,
    proto: DictColumn<&'static str>,
    kind: DictColumn<&'static str>,
    op: DictColumn<&'static str>,
    opcode: UInt8Builder,
    keys: KeyColumns,
    status: UInt16Builder,
    status_name: DictColumn<&'static str>,
    opaque: UInt32Builder,
    cas: UInt64Builder,
    flags: UInt32Builder,
    exptime: Int64Builder,
    extras_len: UInt8Builder,
    value_len: Int64Builder,
    latency_us: Int64Builder,
    error: StringBuilder,
    rows: usize,
}

impl Default for MessagesTable {
    fn default() -> Self {
        MessagesTable {
            schema: Self::schema(),
            frame: Int64Builder::new(),
            ts: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            src: DictColumn::default(),
            dst: DictColumn::default(),
            proto: DictColumn::default(),
            kind: DictColumn::default(),
            op: DictColumn::default(),
            opcode: UInt8Builder::new(),
            keys: KeyColumns::default(),
            status: UInt16Builder::new(),
            status_name: DictColumn::default(),
            opaque: UInt32Builder::new(),
            cas: UInt64Builder::new(),
            flags: UInt32Builder::new(),
            exptime: Int64Builder::new(),
            extras_len: UInt8Builder::new(),
            value_len: Int64Builder::new(),
            latency_us: Int64Builder::new(),
            error: StringBuilder::new(),
            rows: 0,
        }
    }
}

fn i64_of(v: Option<u64>) -> Option<i64> {
    v.map(|v| i64::try_from(v).unwrap_or(i64::MAX))
}

impl Table for MessagesTable {
    type Row = Message;
    const NAME: &'static str = "messages";

    fn schema() -> SchemaRef {
        let [key, key_bin, keys] = KeyColumns::fields();
        Arc::new(Schema::new(vec![
            Field::new("frame", DataType::Int64, false),
            Field::new("ts", ts_type(), false),
            Field::new("src", dict_type(), false),
            Field::new("dst", dict_type(), false),
            Field::new("proto", dict_type(), false),
            Field::new("kind", dict_type(), false),
            Field::new("op", dict_type(), false),
            Field::new("opcode", DataType::UInt8, true),
            key,
            key_bin,
            keys,
            Field::new("status", DataType::UInt16, true),
            Field::new("status_name", dict_type(), true),
            Field::new("opaque", DataType::UInt32, true),
            Field::new("cas", DataType::UInt64, true),
            Field::new("flags", DataType::UInt32, true),
            Field::new("exptime", DataType::Int64, true),
            Field::new("extras_len", DataType::UInt8, true),
            Field::new("value_len", DataType::Int64, true),
            Field::new("latency_us", DataType::Int64, true),
            Field::new("error", DataType::Utf8, true),
        ]))
    }

    fn push(&mut self, m: &Message) {
        let show = |a: SocketAddr| a.to_string();
        let name = |s: &'static str| s.to_owned();
        self.frame
            .append_value(i64::try_from(m.origin.frame).unwrap_or(i64::MAX));
        self.ts.append_value(micros(m.origin.ts));
        self.src.append(m.src(), show);
        self.dst.append(m.dst(), show);
        self.proto.append(m.proto.name(), name);
        self.kind.append(m.kind().name(), name);
        self.op.append(m.op_name(), name);
        self.opcode.append_option(m.opcode().map(u8::from));
        self.keys.append(m.key.as_deref(), &m.keys);
        self.status.append_option(m.status.map(u16::from));
        match m.status {
            Some(s) => self.status_name.append(s.name(), name),
            None => self.status_name.append_null(),
        }
        self.opaque.append_option(m.opaque);
        self.cas.append_option(m.cas);
        self.flags.append_option(m.flags);
        self.exptime.append_option(m.exptime);
        self.extras_len.append_option(m.extras_len);
        self.value_len.append_option(i64_of(m.value_len));
        self.latency_us
            .append_option(i64_of(m.latency_ns.map(|l| l / 1_000)));
        // Flagged messages are few: rendering the problem's text is off the hot path.
        self.error.append_option(m.problem.map(|p| p.to_string()));
        self.rows += 1;
    }

    fn len(&self) -> usize {
        self.rows
    }

    fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let [key, key_bin, keys] = self.keys.finish();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.frame.finish()),
            Arc::new(self.ts.finish()),
            self.src.finish()?,
            self.dst.finish()?,
            self.proto.finish()?,
            self.kind.finish()?,
            self.op.finish()?,
            Arc::new(self.opcode.finish()),
            key,
            key_bin,
            keys,
            Arc::new(self.status.finish()),
            self.status_name.finish()?,
            Arc::new(self.opaque.finish()),
            Arc::new(self.cas.finish()),
            Arc::new(self.flags.finish()),
            Arc::new(self.exptime.finish()),
            Arc::new(self.extras_len.finish()),
            Arc::new(self.value_len.finish()),
            Arc::new(self.latency_us.finish()),
            Arc::new(self.error.finish()),
        ];
        self.rows = 0;
        RecordBatch::try_new(Arc::clone(&self.schema), columns)
    }

    fn time(m: &Message) -> Timestamp {
        m.origin.ts
    }
}
