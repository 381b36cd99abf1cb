//! Plain column builders for the per-row hot path: a value and a validity bit per row, into
//! vectors sized for the batch, turned into Arrow arrays without a copy.
//!
//! Arrow's own builders do the same with more bookkeeping per row (a lazily materialised
//! bitmap that is resized, and a call per append that does not inline across crates); a row
//! appends to about twenty columns, so that bookkeeping was a fifth of a row's cost. The
//! arrays are the ones Arrow's builders make: a null slot holds the type's default, and a
//! column without nulls has no null buffer.

use std::sync::Arc;

use arrow_array::types::{ByteArrayType, GenericStringType};
use arrow_array::{ArrowPrimitiveType, GenericByteArray, ListArray, PrimitiveArray};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, Field};

/// One validity bit per row, packed 64 to a word as Arrow lays them out.
#[derive(Debug, Default)]
pub(crate) struct Validity {
    words: Vec<u64>,
    /// The bits of the word being filled.
    word: u64,
    len: usize,
    nulls: usize,
}

impl Validity {
    /// Room for `rows` bits.
    pub(crate) fn with_capacity(rows: usize) -> Self {
        Validity {
            words: Vec::with_capacity(rows.div_ceil(64)),
            ..Validity::default()
        }
    }

    /// Appends one bit.
    #[inline(always)]
    pub(crate) fn push(&mut self, valid: bool) {
        self.word |= u64::from(valid) << (self.len % 64);
        self.nulls += usize::from(!valid);
        self.len += 1;
        if self.len % 64 == 0 {
            self.words.push(self.word);
            self.word = 0;
        }
    }

    /// Bits appended.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The null buffer: none when every row is valid.
    pub(crate) fn finish(mut self) -> Option<NullBuffer> {
        if self.nulls == 0 {
            return None;
        }
        if self.len % 64 != 0 {
            self.words.push(self.word);
        }
        let bits = BooleanBuffer::new(Buffer::from_vec(self.words), 0, self.len);
        Some(NullBuffer::new(bits))
    }
}

/// A column of fixed-width values (integers, timestamps).
#[derive(Debug)]
pub(crate) struct Prim<T: ArrowPrimitiveType> {
    values: Vec<T::Native>,
    valid: Validity,
}

impl<T: ArrowPrimitiveType> Prim<T> {
    /// Room for `rows` rows.
    pub(crate) fn with_capacity(rows: usize) -> Self {
        Prim {
            values: Vec::with_capacity(rows),
            valid: Validity::with_capacity(rows),
        }
    }

    /// Appends a value.
    #[inline(always)]
    pub(crate) fn append(&mut self, v: T::Native) {
        self.values.push(v);
        self.valid.push(true);
    }

    /// Appends a value or a null.
    #[inline(always)]
    pub(crate) fn append_option(&mut self, v: Option<T::Native>) {
        self.values.push(v.unwrap_or_default());
        self.valid.push(v.is_some());
    }

    /// Appends a null.
    #[inline(always)]
    pub(crate) fn append_null(&mut self) {
        self.append_option(None);
    }

    /// The array.
    pub(crate) fn finish(self) -> PrimitiveArray<T> {
        PrimitiveArray::new(ScalarBuffer::from(self.values), self.valid.finish())
    }
}

/// A column of variable-length values: UTF-8 (`Utf8Type`) or bytes (`BinaryType`).
pub(crate) struct ByteColumn<T: ByteArrayType<Offset = i32>> {
    offsets: Vec<i32>,
    data: Vec<u8>,
    valid: Validity,
    kind: std::marker::PhantomData<T>,
}

impl<T: ByteArrayType<Offset = i32>> std::fmt::Debug for ByteColumn<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByteColumn")
            .field("type", &T::DATA_TYPE)
            .field("rows", &self.len())
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// Bytes a byte column holds at most before its batch must be written (its offsets are
/// 32-bit); [`ByteColumn::is_full`] says when a batch has come near.
const FULL_BYTES: usize = 1 << 30;

impl<T: ByteArrayType<Offset = i32>> ByteColumn<T> {
    /// Room for `rows` rows of `bytes` bytes in all.
    pub(crate) fn with_capacity(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        ByteColumn {
            offsets,
            data: Vec::with_capacity(bytes),
            valid: Validity::with_capacity(rows),
            kind: std::marker::PhantomData,
        }
    }

    #[inline(always)]
    fn end_row(&mut self, valid: bool) {
        // Never past i32::MAX: the table's batch is written once a column is full.
        self.offsets
            .push(i32::try_from(self.data.len()).unwrap_or(i32::MAX));
        self.valid.push(valid);
    }

    /// Appends a value.
    #[inline(always)]
    pub(crate) fn append(&mut self, v: &T::Native) {
        self.data.extend_from_slice(v.as_ref());
        self.end_row(true);
    }

    /// Appends a value or a null.
    #[inline(always)]
    pub(crate) fn append_option(&mut self, v: Option<&T::Native>) {
        match v {
            Some(v) => self.append(v),
            None => self.append_null(),
        }
    }

    /// Appends a null.
    #[inline(always)]
    pub(crate) fn append_null(&mut self) {
        self.end_row(false);
    }

    /// Rows appended.
    pub(crate) fn len(&self) -> usize {
        self.valid.len()
    }

    /// Whether the column holds so many bytes that its batch should be written now.
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.data.len() >= FULL_BYTES
    }

    /// The array (UTF-8 is checked once here, for the whole column).
    pub(crate) fn finish(self) -> Result<GenericByteArray<T>, ArrowError> {
        GenericByteArray::try_new(
            OffsetBuffer::new(ScalarBuffer::from(self.offsets)),
            Buffer::from_vec(self.data),
            self.valid.finish(),
        )
    }
}

/// A column of lists of strings (`keys`): most rows are null.
#[derive(Debug)]
pub(crate) struct StringLists {
    offsets: Vec<i32>,
    items: ByteColumn<GenericStringType<i32>>,
    valid: Validity,
}

impl StringLists {
    /// Room for `rows` rows (and no items).
    pub(crate) fn with_capacity(rows: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        StringLists {
            offsets,
            items: ByteColumn::with_capacity(0, 0),
            valid: Validity::with_capacity(rows),
        }
    }

    /// Appends one item to the list being made.
    pub(crate) fn push_item(&mut self, s: &str) {
        self.items.append(s);
    }

    /// Ends the row: the list of the items pushed since the last row, or a null (`valid` is
    /// false, and no item was pushed).
    #[inline(always)]
    pub(crate) fn end_row(&mut self, valid: bool) {
        self.offsets
            .push(i32::try_from(self.items.len()).unwrap_or(i32::MAX));
        self.valid.push(valid);
    }

    /// Whether the items hold so many bytes that the batch should be written now.
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.items.is_full() || self.items.len() >= FULL_BYTES
    }

    /// The array, its items typed as `item`.
    pub(crate) fn finish(self, item: Arc<Field>) -> Result<ListArray, ArrowError> {
        ListArray::try_new(
            item,
            OffsetBuffer::new(ScalarBuffer::from(self.offsets)),
            Arc::new(self.items.finish()?),
            self.valid.finish(),
        )
    }
}
