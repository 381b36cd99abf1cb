//! Column builders the two tables share: dictionary-encoded strings keyed by what they are
//! made from (an address is formatted once per batch, not once per row), the key columns
//! (UTF-8, with a binary column beside it for keys that are not), and ([`plain`]) the plain
//! columns under them.

mod ends;
mod plain;

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

use arrow_array::types::{BinaryType, Int32Type, Utf8Type};
use arrow_array::{ArrayRef, DictionaryArray, StringArray};
use arrow_schema::{ArrowError, DataType, Field};
use rustc_hash::FxBuildHasher;

pub(crate) use ends::Ends;
use plain::StringLists;
pub(crate) use plain::{ByteColumn, Prim};

/// The Arrow type of a dictionary-encoded string column.
pub(crate) fn dict_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// Bytes a key column reserves per row: room for a typical key, so that a batch seldom grows
/// its buffer.
const KEY_BYTES: usize = 24;

/// The Arrow type of a list of keys.
pub(crate) fn key_list_type() -> DataType {
    DataType::List(key_item())
}

/// The items of a list of keys.
fn key_item() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Utf8, true))
}

/// A dictionary-encoded string column whose values are made from `K`s: `K` is what the row
/// already has (an address, a typed op or status), so a row costs a lookup of a small key, and
/// its string is made once per batch.
///
/// The Arrow dictionary is the batch's own; the Parquet writer interns the values again into
/// its per-row-group dictionary, so two `K`s with one string (every unknown opcode is
/// `unknown`) only cost a second dictionary entry here, never a different file.
///
/// Keys memshark assigns (the typed names) are hashed with `rustc-hash` by default; addresses
/// come from the network and go in [`Ends`], whose tables are seeded.
pub(crate) struct DictColumn<K, S = FxBuildHasher> {
    index: HashMap<K, i32, S>,
    /// The last key appended and its index: rows in a row often share a value (the protocol,
    /// a connection's address), and then the hash lookup is skipped.
    last: Option<(K, i32)>,
    values: Vec<String>,
    keys: Prim<Int32Type>,
}

impl<K, S> std::fmt::Debug for DictColumn<K, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DictColumn")
            .field("values", &self.values)
            .field("rows", &self.keys.len())
            .finish()
    }
}

impl<K, S: Default> DictColumn<K, S> {
    /// An empty column with room for `rows` rows.
    pub(crate) fn with_capacity(rows: usize) -> Self {
        DictColumn {
            index: HashMap::default(),
            last: None,
            values: Vec::new(),
            keys: Prim::with_capacity(rows),
        }
    }
}

impl<K: Hash + Eq + Copy, S: BuildHasher> DictColumn<K, S> {
    /// Appends `k`'s string (`show` makes it the first time `k` is seen in the batch).
    #[inline]
    pub(crate) fn append(&mut self, k: K, show: impl FnOnce(K) -> String) {
        if let Some((last, i)) = self.last {
            if last == k {
                self.keys.append(i);
                return;
            }
        }
        let next = self.values.len();
        let i = *self.index.entry(k).or_insert_with(|| {
            self.values.push(show(k));
            i32::try_from(next).unwrap_or(i32::MAX)
        });
        self.last = Some((k, i));
        self.keys.append(i);
    }

    /// Appends a null.
    #[inline]
    pub(crate) fn append_null(&mut self) {
        self.keys.append_null();
    }

    /// The column.
    pub(crate) fn finish(self) -> Result<ArrayRef, ArrowError> {
        let keys = self.keys.finish();
        let values = StringArray::from(self.values);
        Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(
            keys,
            Arc::new(values),
        )?))
    }
}

/// `key` (UTF-8), `key_bin` (keys that are not UTF-8) and `keys` (every key of a multi-key
/// get; keys that are not UTF-8 in hex, as in jsonl).
#[derive(Debug)]
pub(crate) struct KeyColumns {
    key: ByteColumn<Utf8Type>,
    key_bin: ByteColumn<BinaryType>,
    keys: StringLists,
}

impl KeyColumns {
    /// Empty columns with room for `rows` rows (and keys of about [`KEY_BYTES`] bytes).
    pub(crate) fn with_capacity(rows: usize) -> Self {
        KeyColumns {
            key: ByteColumn::with_capacity(rows, rows * KEY_BYTES),
            // Keys that are not UTF-8 and multi-key gets are rare: room for the offsets only.
            key_bin: ByteColumn::with_capacity(rows, 0),
            keys: StringLists::with_capacity(rows),
        }
    }

    /// The three fields.
    pub(crate) fn fields() -> [Field; 3] {
        [
            Field::new("key", DataType::Utf8, true),
            Field::new("key_bin", DataType::Binary, true),
            Field::new("keys", key_list_type(), true),
        ]
    }

    /// Appends the first key and, for more than one, every key.
    #[inline]
    pub(crate) fn append(&mut self, key: Option<&[u8]>, keys: &[bytes::Bytes]) {
        match key.map(|k| (k, std::str::from_utf8(k))) {
            Some((_, Ok(s))) => {
                self.key.append(s);
                self.key_bin.append_null();
            }
            Some((k, Err(_))) => {
                self.key.append_null();
                self.key_bin.append(k);
            }
            None => {
                self.key.append_null();
                self.key_bin.append_null();
            }
        }
        if keys.len() > 1 {
            for k in keys {
                match std::str::from_utf8(k) {
                    Ok(s) => self.keys.push_item(s),
                    Err(_) => self.keys.push_item(&hex(k)),
                }
            }
            self.keys.end_row(true);
        } else {
            self.keys.end_row(false);
        }
    }

    /// Whether the columns hold so many bytes that the batch should be written now.
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.key.is_full() || self.key_bin.is_full() || self.keys.is_full()
    }

    /// The three columns.
    pub(crate) fn finish(self) -> Result<[ArrayRef; 3], ArrowError> {
        Ok([
            Arc::new(self.key.finish()?),
            Arc::new(self.key_bin.finish()?),
            Arc::new(self.keys.finish(key_item())?),
        ])
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;

    #[test]
    fn a_dictionary_column_keeps_each_rows_string_and_nulls() {
        let mut column: DictColumn<&'static str> = DictColumn::with_capacity(4);
        for k in [Some("get"), Some("get"), None, Some("set"), Some("get")] {
            match k {
                Some(k) => column.append(k, str::to_owned),
                None => column.append_null(),
            }
        }
        let array = column.finish().expect("dictionary");
        let dict = array.as_dictionary::<Int32Type>();
        let strings = dict.downcast_dict::<StringArray>().expect("utf8 values");
        let rows: Vec<Option<&str>> = strings.into_iter().collect();
        assert_eq!(
            rows,
            [Some("get"), Some("get"), None, Some("set"), Some("get")]
        );
        assert_eq!(dict.values().len(), 2);
    }
}
