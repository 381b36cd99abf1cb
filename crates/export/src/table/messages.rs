//! The messages table: one row per memcached message, the columns of jsonl schema v1.

use std::sync::Arc;

use arrow_array::types::{
    Int64Type, TimestampMicrosecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type, Utf8Type,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use memshark_protocol::binary::Status;
use memshark_protocol::op::Op;
use memshark_traffic::capture::{Direction, Timestamp};
use memshark_traffic::dissect::{Kind, Message, Proto};

use super::{micros, ts_type, Table, DEFAULT_CAPACITY};
use crate::columns::{dict_type, ByteColumn, DictColumn, Ends, KeyColumns, Prim};

/// Builders for the messages table (see ARCHITECTURE.md for its columns and types).
#[derive(Debug)]
pub struct MessagesTable {
    schema: SchemaRef,
    /// Rows a batch is sized for: each batch's builders start with room for this many.
    capacity: usize,
    columns: Columns,
    rows: usize,
}

/// What the `op` column is made from: the typed op, else the word `dump` prints for a
/// message without one (`gap`, `malformed`, `unknown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum OpKey {
    Op(Op),
    Word(&'static str),
}

impl OpKey {
    fn of(m: &Message) -> OpKey {
        match m.op {
            Some(op) => OpKey::Op(op),
            None => OpKey::Word(m.op_name()),
        }
    }

    fn name(self) -> String {
        match self {
            OpKey::Op(op) => op.name(),
            OpKey::Word(word) => word,
        }
        .to_owned()
    }
}

/// One batch's builders.
#[derive(Debug)]
struct Columns {
    frame: Prim<Int64Type>,
    ts: Prim<TimestampMicrosecondType>,
    /// `src` and `dst`.
    ends: Ends,
    proto: DictColumn<Proto>,
    kind: DictColumn<Kind>,
    op: DictColumn<OpKey>,
    opcode: Prim<UInt8Type>,
    keys: KeyColumns,
    status: Prim<UInt16Type>,
    status_name: DictColumn<Status>,
    opaque: Prim<UInt32Type>,
    cas: Prim<UInt64Type>,
    flags: Prim<UInt32Type>,
    exptime: Prim<Int64Type>,
    extras_len: Prim<UInt8Type>,
    value_len: Prim<Int64Type>,
    latency_us: Prim<Int64Type>,
    error: ByteColumn<Utf8Type>,
}

impl Columns {
    fn with_capacity(rows: usize) -> Columns {
        Columns {
            frame: Prim::with_capacity(rows),
            ts: Prim::with_capacity(rows),
            ends: Ends::with_capacity(rows),
            proto: DictColumn::with_capacity(rows),
            kind: DictColumn::with_capacity(rows),
            op: DictColumn::with_capacity(rows),
            opcode: Prim::with_capacity(rows),
            keys: KeyColumns::with_capacity(rows),
            status: Prim::with_capacity(rows),
            status_name: DictColumn::with_capacity(rows),
            opaque: Prim::with_capacity(rows),
            cas: Prim::with_capacity(rows),
            flags: Prim::with_capacity(rows),
            exptime: Prim::with_capacity(rows),
            extras_len: Prim::with_capacity(rows),
            value_len: Prim::with_capacity(rows),
            latency_us: Prim::with_capacity(rows),
            // Flagged messages are few: room for the offsets only.
            error: ByteColumn::with_capacity(rows, 0),
        }
    }

    /// The columns in the schema's order.
    fn finish(self) -> Result<Vec<ArrayRef>, ArrowError> {
        let [key, key_bin, keys] = self.keys.finish()?;
        let [src, dst] = self.ends.finish()?;
        Ok(vec![
            Arc::new(self.frame.finish()),
            Arc::new(self.ts.finish().with_timezone("UTC")),
            src,
            dst,
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
            Arc::new(self.error.finish()?),
        ])
    }
}

impl Default for MessagesTable {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
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

    fn with_capacity(rows: usize) -> Self {
        MessagesTable {
            schema: Self::schema(),
            capacity: rows,
            columns: Columns::with_capacity(rows),
            rows: 0,
        }
    }

    fn push(&mut self, m: &Message) {
        let c = &mut self.columns;
        c.frame
            .append(i64::try_from(m.origin.frame).unwrap_or(i64::MAX));
        c.ts.append(micros(m.origin.ts));
        c.ends.append(
            m.origin.client,
            m.origin.server,
            m.origin.dir == Direction::ToClient,
        );
        c.proto.append(m.proto, |p| p.name().to_owned());
        c.kind.append(m.kind(), |k| k.name().to_owned());
        c.op.append(OpKey::of(m), OpKey::name);
        c.opcode.append_option(m.opcode().map(u8::from));
        c.keys.append(m.key.as_deref(), &m.keys);
        c.status.append_option(m.status.map(u16::from));
        match m.status {
            Some(s) => c.status_name.append(s, |s| s.name().to_owned()),
            None => c.status_name.append_null(),
        }
        c.opaque.append_option(m.opaque);
        c.cas.append_option(m.cas);
        c.flags.append_option(m.flags);
        c.exptime.append_option(m.exptime);
        c.extras_len.append_option(m.extras_len);
        c.value_len.append_option(i64_of(m.value_len));
        c.latency_us
            .append_option(i64_of(m.latency_ns.map(|l| l / 1_000)));
        // Flagged messages are few: rendering the problem's text is off the hot path.
        c.error
            .append_option(m.problem.map(|p| p.to_string()).as_deref());
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

    fn time(m: &Message) -> Timestamp {
        m.origin.ts
    }
}
