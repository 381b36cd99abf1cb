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
        if self.len.is_multiple_of(64) {
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
        if !self.len.is_multiple_of(64) {
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

    /// Rows appended.
    pub(crate) fn len(&self) -> usize {
        self.valid.len()
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::builder::{Int64Builder, ListBuilder, StringBuilder};
    use arrow_array::types::{Int64Type, Utf8Type};
    use arrow_array::Array;

    /// Rows with a value or a null, in runs that end on and off 64-row word boundaries.
    fn pattern(rows: usize, seed: u64) -> Vec<Option<i64>> {
        let mut x = seed;
        (0..rows)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (!(x >> 33).is_multiple_of(3)).then_some(i as i64 * 7 - 1000)
            })
            .collect()
    }

    #[test]
    fn primitive_columns_equal_arrow_builders() {
        for (rows, seed) in [(0, 1), (1, 2), (63, 3), (64, 4), (65, 5), (1000, 6)] {
            let mut all_valid = Prim::<Int64Type>::with_capacity(rows);
            let mut mixed = Prim::<Int64Type>::with_capacity(4);
            let (mut arrow_valid, mut arrow_mixed) = (Int64Builder::new(), Int64Builder::new());
            for v in pattern(rows, seed) {
                all_valid.append(v.unwrap_or(1));
                arrow_valid.append_value(v.unwrap_or(1));
                mixed.append_option(v);
                arrow_mixed.append_option(v);
            }
            let (ours, theirs) = (all_valid.finish(), arrow_valid.finish());
            assert_eq!(ours, theirs);
            assert!(ours.nulls().is_none());
            let (ours, theirs) = (mixed.finish(), arrow_mixed.finish());
            assert_eq!(ours, theirs, "{rows} rows");
            assert_eq!(ours.null_count(), theirs.null_count());
        }
    }

    #[test]
    fn byte_and_list_columns_equal_arrow_builders() {
        let rows = pattern(300, 9);
        let mut ours = ByteColumn::<Utf8Type>::with_capacity(2, 0);
        let mut theirs = StringBuilder::new();
        let mut lists = StringLists::with_capacity(2);
        let mut arrow_lists = ListBuilder::new(StringBuilder::new());
        for v in &rows {
            let s = v.map(|v| format!("key:{v}"));
            ours.append_option(s.as_deref());
            theirs.append_option(s.as_deref());
            if let Some(v) = v {
                for k in 0..(v % 4) {
                    lists.push_item(&format!("{v}-{k}"));
                    arrow_lists.values().append_value(format!("{v}-{k}"));
                }
            }
            lists.end_row(v.is_some());
            arrow_lists.append(v.is_some());
        }
        assert_eq!(ours.len(), rows.len());
        assert!(!ours.is_full() && !lists.is_full());
        assert_eq!(ours.finish().expect("valid UTF-8"), theirs.finish());
        let item = Arc::new(Field::new("item", arrow_schema::DataType::Utf8, true));
        assert_eq!(lists.finish(item).expect("lists"), arrow_lists.finish());
    }

    #[test]
    fn bytes_that_are_not_utf8_fail_as_a_string_column() {
        let mut column = ByteColumn::<Utf8Type>::with_capacity(1, 1);
        // Only reachable by a bug (the key column takes `&str`), and an error, not a panic.
        column.data.push(0xff);
        column.end_row(true);
        assert!(column.finish().is_err());
    }
}
