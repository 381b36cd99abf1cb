//! Column builders the two tables share: dictionary-encoded strings keyed by what they are
//! made from (an address is formatted once per row group, not once per row), and the key
//! columns (UTF-8, with a binary column beside it for keys that are not).

use std::hash::Hash;
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, ListBuilder, StringBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, DictionaryArray, Int32Array, StringArray};
use arrow_schema::{ArrowError, DataType, Field};
use rustc_hash::FxHashMap;

/// The Arrow type of a dictionary-encoded string column.
pub(crate) fn dict_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// The Arrow type of a list of keys.
pub(crate) fn key_list_type() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// A dictionary-encoded string column whose values are made from `K`s.
#[derive(Debug)]
pub(crate) struct DictColumn<K> {
    index: FxHashMap<K, i32>,
    /// The last key appended and its index: rows in a row often share a value (the protocol,
    /// a connection's address), and then the hash lookup is skipped.
    last: Option<(K, i32)>,
    values: Vec<String>,
    keys: Vec<Option<i32>>,
}

impl<K> Default for DictColumn<K> {
    fn default() -> Self {
        DictColumn {
            index: FxHashMap::default(),
            last: None,
            values: Vec::new(),
            keys: Vec::new(),
        }
    }
}

impl<K: Hash + Eq + Copy> DictColumn<K> {
    /// Appends `k`'s string (`show` makes it the first time `k` is seen in the batch).
    #[inline]
    pub(crate) fn append(&mut self, k: K, show: impl FnOnce(K) -> String) {
        if let Some((last, i)) = self.last {
            if last == k {
                self.keys.push(Some(i));
                return;
            }
        }
        let next = self.values.len();
        let i = *self.index.entry(k).or_insert_with(|| {
            self.values.push(show(k));
            i32::try_from(next).unwrap_or(i32::MAX)
        });
        self.last = Some((k, i));
        self.keys.push(Some(i));
    }

    /// Appends a null.
    #[inline]
    pub(crate) fn append_null(&mut self) {
        self.keys.push(None);
    }

    /// The column so far; the builder starts again empty.
    pub(crate) fn finish(&mut self) -> Result<ArrayRef, ArrowError> {
        let keys = Int32Array::from(std::mem::take(&mut self.keys));
        let values = StringArray::from(std::mem::take(&mut self.values));
        self.index.clear();
        self.last = None;
        Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(
            keys,
            Arc::new(values),
        )?))
    }
}

/// `key` (UTF-8), `key_bin` (keys that are not UTF-8) and `keys` (every key of a multi-key
/// get; keys that are not UTF-8 in hex, as in jsonl).
#[derive(Debug, Default)]
pub(crate) struct KeyColumns {
    key: StringBuilder,
    key_bin: BinaryBuilder,
    keys: ListBuilder<StringBuilder>,
}

impl KeyColumns {
    /// The three fields.
    pub(crate) fn fields() -> [Field; 3] {
        [
            Field::new("key", DataType::Utf8, true),
            Field::new("key_bin", DataType::Binary, true),
            Field::new("keys", key_list_type(), true),
        ]
    }

    /// Appends the first key and, for more than one, every key.
    pub(crate) fn append(&mut self, key: Option<&[u8]>, keys: &[bytes::Bytes]) {
        match key.map(|k| (k, std::str::from_utf8(k))) {
            Some((_, Ok(s))) => {
                self.key.append_value(s);
                self.key_bin.append_null();
            }
            Some((k, Err(_))) => {
                self.key.append_null();
                self.key_bin.append_value(k);
            }
            None => {
                self.key.append_null();
                self.key_bin.append_null();
            }
        }
        if keys.len() > 1 {
            for k in keys {
                match std::str::from_utf8(k) {
                    Ok(s) => self.keys.values().append_value(s),
                    Err(_) => self.keys.values().append_value(hex(k)),
                }
            }
            self.keys.append(true);
        } else {
            self.keys.append(false);
        }
    }

    /// The three columns so far; the builders start again empty.
    pub(crate) fn finish(&mut self) -> [ArrayRef; 3] {
        [
            Arc::new(self.key.finish()),
            Arc::new(self.key_bin.finish()),
            Arc::new(self.keys.finish()),
        ]
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
