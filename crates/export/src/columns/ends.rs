//! A row's two address columns — a message's `src` and `dst`, a transaction's `client` and
//! `server` — filled by one lookup of the connection's two ends instead of one per column.
//!
//! Both columns are Arrow dictionaries over one list of the batch's addresses (`ip:port`,
//! formatted once per batch). The Parquet writer interns each column's values again, in the
//! order its rows use them, so sharing the list changes nothing in the file. Addresses come from
//! the network: both tables are seeded, so that nobody can open connections whose addresses
//! collide and turn the lookups into scans.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, DictionaryArray, StringArray};
use arrow_schema::ArrowError;
use memshark_traffic::hash::{SeededState, SocketKey, SocketPairKey};

use super::Prim;

/// The two address columns of a batch.
#[derive(Debug)]
pub(crate) struct Ends {
    /// A connection's (client, server) to the two addresses' places in `values`.
    pairs: HashMap<SocketPairKey, (i32, i32), SeededState>,
    /// An address to its place in `values`.
    addrs: HashMap<SocketKey, i32, SeededState>,
    /// The last pair looked up: rows in a row are often one connection's.
    last: Option<(SocketPairKey, (i32, i32))>,
    values: Vec<String>,
    first: Prim<Int32Type>,
    second: Prim<Int32Type>,
}

impl Ends {
    /// Empty columns with room for `rows` rows.
    pub(crate) fn with_capacity(rows: usize) -> Self {
        Ends {
            pairs: HashMap::default(),
            addrs: HashMap::default(),
            last: None,
            values: Vec::new(),
            first: Prim::with_capacity(rows),
            second: Prim::with_capacity(rows),
        }
    }

    /// Appends a row of connection (`client`, `server`): the first column gets the client and
    /// the second the server, or the other way round when `swapped` (a response's `src` is
    /// the server).
    #[inline]
    pub(crate) fn append(&mut self, client: SocketAddr, server: SocketAddr, swapped: bool) {
        let key = SocketPairKey(client, server);
        let (c, s) = match self.last {
            Some((last, places)) if last == key => places,
            _ => {
                let places = self.places(key);
                self.last = Some((key, places));
                places
            }
        };
        let (first, second) = if swapped { (s, c) } else { (c, s) };
        self.first.append(first);
        self.second.append(second);
    }

    fn places(&mut self, key: SocketPairKey) -> (i32, i32) {
        if let Some(&places) = self.pairs.get(&key) {
            return places;
        }
        let places = (self.place(key.0), self.place(key.1));
        self.pairs.insert(key, places);
        places
    }

    fn place(&mut self, addr: SocketAddr) -> i32 {
        let next = self.values.len();
        *self.addrs.entry(SocketKey(addr)).or_insert_with(|| {
            self.values.push(addr.to_string());
            i32::try_from(next).unwrap_or(i32::MAX)
        })
    }

    /// The two columns.
    pub(crate) fn finish(self) -> Result<[ArrayRef; 2], ArrowError> {
        let values: ArrayRef = Arc::new(StringArray::from(self.values));
        let column = |keys: Prim<Int32Type>, values| -> Result<ArrayRef, ArrowError> {
            Ok(Arc::new(DictionaryArray::try_new(keys.finish(), values)?))
        };
        Ok([
            column(self.first, Arc::clone(&values))?,
            column(self.second, values)?,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use memshark_traffic::hash::collisions::{
        assert_no_slowdown, fx_colliding_v6, fx_hash, random_v6, N,
    };

    fn rows(array: &ArrayRef) -> Vec<String> {
        let dict = array.as_dictionary::<Int32Type>();
        let strings = dict.downcast_dict::<StringArray>().expect("utf8 values");
        strings
            .into_iter()
            .map(|s| s.unwrap_or("-").to_owned())
            .collect()
    }

    #[test]
    fn each_row_gets_its_two_ends_in_the_order_asked() {
        let client: SocketAddr = "10.0.0.1:40000".parse().expect("addr");
        let other: SocketAddr = "10.0.0.2:40001".parse().expect("addr");
        let server: SocketAddr = "10.0.0.9:11211".parse().expect("addr");
        let mut ends = Ends::with_capacity(2);
        for (c, swapped) in [
            (client, false),
            (client, true),
            (other, false),
            (client, true),
        ] {
            ends.append(c, server, swapped);
        }
        let [src, dst] = ends.finish().expect("columns");
        assert_eq!(
            rows(&src),
            [
                "10.0.0.1:40000",
                "10.0.0.9:11211",
                "10.0.0.2:40001",
                "10.0.0.9:11211"
            ]
        );
        assert_eq!(
            rows(&dst),
            [
                "10.0.0.9:11211",
                "10.0.0.1:40000",
                "10.0.0.9:11211",
                "10.0.0.1:40000"
            ]
        );
        // One list of the three addresses under both columns.
        assert_eq!(src.as_dictionary::<Int32Type>().values().len(), 3);
    }

    #[test]
    fn connections_colliding_under_fxhash_are_looked_up_as_fast_as_random_ones() {
        let server: SocketAddr = "[::1]:11211".parse().expect("addr");
        let random = random_v6(N, 40000);
        let crafted = fx_colliding_v6(N, 40000, |_, _| {});
        // Under FxHash, every crafted client, and every crafted client's pair with the
        // server, lands in one bucket.
        let (one, pair) = (
            fx_hash(&SocketKey(crafted[0])),
            fx_hash(&SocketPairKey(crafted[0], server)),
        );
        assert!(crafted
            .iter()
            .all(|&c| fx_hash(&SocketKey(c)) == one && fx_hash(&SocketPairKey(c, server)) == pair));
        assert_no_slowdown(
            "address columns",
            &random[..],
            &crafted[..],
            |clients, deadline| {
                let mut ends = Ends::with_capacity(2 * clients.len());
                // Each connection twice: a new entry, then a lookup.
                for swapped in [false, true] {
                    for (i, &c) in clients.iter().enumerate() {
                        ends.append(c, server, swapped);
                        if i % 1024 == 0 && deadline.passed() {
                            return false;
                        }
                    }
                }
                let [first, _] = ends.finish().expect("columns");
                let dict = first.as_dictionary::<Int32Type>();
                assert_eq!(dict.values().len(), clients.len() + 1);
                true
            },
        );
    }
}
