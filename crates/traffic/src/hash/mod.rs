//! Hash maps and sets keyed by data from the network.
//!
//! Keys, client addresses and flow tuples are chosen by whoever sends the traffic. Under an
//! unkeyed multiply hash (FxHash, which these tables once used) a sender can compute inputs
//! that all hash alike: they share one probe sequence, and every lookup in the table turns into
//! a linear scan — a capture of a few thousand crafted keys or connections would make `stats`,
//! `dump` or the TUI crawl. [`SeededMap`] and [`SeededSet`] hash with foldhash's fast hasher
//! under a random seed chosen per table, which is about as quick as FxHash on short keys and
//! gives a sender nothing to aim at.
//!
//! Use them for every table keyed by network data: keys, addresses, ports, flow tuples (as
//! [`SocketKey`] and [`SocketPairKey`], which hash addresses in fewer, wider words than
//! `SocketAddr` does: per packet, that difference shows). Tables keyed by numbers memshark
//! assigns itself (connection ids, record numbers) or by static names (op names) may keep
//! `rustc_hash`.
//!
//! A seeded table iterates in a different order in every run, and in every table of one run:
//! whatever is printed from iterating one must be sorted first, by a total order (counts, then
//! the key itself; see [`crate::summary::TrafficStats::top_keys`]).

use std::hash::{Hash, Hasher};
use std::net::{IpAddr, SocketAddr};

#[doc(hidden)]
pub mod collisions;

/// The hasher builder of [`SeededMap`] and [`SeededSet`]: foldhash's fast hasher, seeded at
/// random for each table.
pub type SeededState = foldhash::fast::RandomState;

/// A hash map for keys from the network, hashed under a random seed (see the [module
/// docs](self)). Create one with `SeededMap::default()`.
pub type SeededMap<K, V> = std::collections::HashMap<K, V, SeededState>;

/// A hash set for values from the network, hashed under a random seed (see the [module
/// docs](self)). Create one with `SeededSet::default()`.
pub type SeededSet<T> = std::collections::HashSet<T, SeededState>;

/// A socket address as a table key: equal as the address, hashed as wide words (an IPv4
/// address and its port in one 64-bit word), which foldhash folds in one multiply where
/// `SocketAddr`'s own hash makes three narrow writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SocketKey(pub SocketAddr);

impl Hash for SocketKey {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self.0 {
            SocketAddr::V4(a) => {
                state.write_u64(u64::from(a.ip().to_bits()) << 16 | u64::from(a.port()))
            }
            SocketAddr::V6(a) => {
                state.write_u128(a.ip().to_bits());
                state.write_u16(a.port());
            }
        }
    }
}

/// Two socket addresses as a table key (a flow's ends): equal as the two addresses, hashed as
/// wide words — two IPv4 ends and their ports in one 128-bit word, which foldhash folds in one
/// multiply where a pair of `SocketAddr`s makes six narrow writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SocketPairKey(pub SocketAddr, pub SocketAddr);

impl Hash for SocketPairKey {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        let ports = u32::from(self.0.port()) << 16 | u32::from(self.1.port());
        match (self.0, self.1) {
            (SocketAddr::V4(a), SocketAddr::V4(b)) => state.write_u128(
                u128::from(a.ip().to_bits()) << 96
                    | u128::from(b.ip().to_bits()) << 64
                    | u128::from(ports),
            ),
            (a, b) => {
                state.write_u128(ip_bits(a.ip()));
                state.write_u128(ip_bits(b.ip()));
                state.write_u32(ports);
            }
        }
    }
}

/// An address's bits, IPv4 in the low 32.
fn ip_bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(a.to_bits()),
        IpAddr::V6(a) => a.to_bits(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_keys_find_what_equals_them_and_nothing_else() {
        let addrs: Vec<SocketAddr> = [
            "10.0.0.1:11211",
            "10.0.0.1:11212",
            "10.0.0.2:11211",
            "[::a00:1]:11211",
            "[::ffff:10.0.0.1]:11211",
            "[2001:db8::1]:40000",
        ]
        .iter()
        .map(|a| a.parse().expect("address"))
        .collect();
        let mut one: SeededMap<SocketKey, usize> = SeededMap::default();
        let mut two: SeededMap<SocketPairKey, usize> = SeededMap::default();
        for (i, &a) in addrs.iter().enumerate() {
            one.insert(SocketKey(a), i);
            for (j, &b) in addrs.iter().enumerate() {
                two.insert(SocketPairKey(a, b), i * addrs.len() + j);
            }
        }
        assert_eq!(one.len(), addrs.len());
        assert_eq!(two.len(), addrs.len() * addrs.len());
        for (i, &a) in addrs.iter().enumerate() {
            assert_eq!(one.get(&SocketKey(a)), Some(&i));
            for (j, &b) in addrs.iter().enumerate() {
                assert_eq!(two.get(&SocketPairKey(a, b)), Some(&(i * addrs.len() + j)));
            }
        }
    }
}
