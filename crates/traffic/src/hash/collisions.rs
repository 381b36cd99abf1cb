//! Inputs that all hash alike under rustc-hash 2's `FxHasher` (on 64-bit targets), and the
//! timing check the collision tests share (`summary`, `capture::reassembly`, the TUI's store):
//! a table keyed by such inputs must not be much slower than one keyed by random inputs. For
//! tests; not part of the API.
//!
//! The constructions follow `memshark-server`'s storage collision test: FxHash is a chain of
//! `state = (state + word) × K` steps (byte strings are first folded to one word by a multiply
//! mix), so whoever knows the state before a word they control can pick the word that lands
//! every input on one state.

use std::hash::{BuildHasher, Hash, Hasher};
use std::net::{Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use rustc_hash::{FxBuildHasher, FxHasher};

/// How many inputs each collision test uses.
pub const N: usize = 50_000;

/// How much slower crafted inputs may be than random ones before a test fails. Fair hashing
/// makes the two runs alike; [`N`] inputs colliding under FxHash are hundreds of times slower.
pub const SLOWDOWN_ALLOWED: u32 = 10;

/// FxHasher's multiplier.
const K: u64 = 0xf135_7aea_2e62_a9c5;
/// FxHasher's `finish` rotates its state left by this much.
const FINISH_ROTATE: u32 = 26;

/// The 128-bit multiply folded to 64 bits that rustc-hash 2 mixes byte strings with.
fn multiply_mix(x: u64, y: u64) -> u64 {
    let full = u128::from(x) * u128::from(y);
    (full as u64) ^ ((full >> 64) as u64)
}

/// A xorshift generator: the same numbers in every run.
fn xorshift() -> impl FnMut() -> u64 {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// `n` distinct 32-byte keys on which FxHasher gives one value.
///
/// For 17 to 32 bytes, rustc-hash folds the first 16 bytes `x, y` into
/// `t = mix(SEED1 ^ x, P ^ y)`, then XORs the last 16 bytes `lo, hi` into `(SEED2, t)` and mixes
/// the pair. With `lo` fixed and `hi = t ^ C`, the pair is `(SEED2 ^ lo, C)` whatever `x` and
/// `y` are, so every key hashes alike.
pub fn fx_colliding_keys(n: usize) -> Vec<Vec<u8>> {
    const SEED1: u64 = 0x243f_6a88_85a3_08d3;
    const P: u64 = 0xa409_3822_299f_31d0;
    const C: u64 = 0x6d65_6d73_6861_726b;
    let lo = u64::from_le_bytes(*b"memshark");
    (0..n as u64)
        .map(|i| {
            let (x, y) = (i.wrapping_mul(0x9e37_79b9_7f4a_7c15), !i);
            let hi = multiply_mix(SEED1 ^ x, P ^ y) ^ C;
            [x, y, lo, hi]
                .iter()
                .flat_map(|w| w.to_le_bytes())
                .collect()
        })
        .collect()
}

/// `n` random 32-byte keys (the same in every run).
pub fn random_keys(n: usize) -> Vec<Vec<u8>> {
    let mut next = xorshift();
    (0..n)
        .map(|_| (0..4).flat_map(|_| next().to_le_bytes()).collect())
        .collect()
}

/// `n` distinct IPv6 socket addresses (port `port`) such that hashing the words `prefix(i, _)`
/// writes, then address `i` as one `u128` ([`SocketKey`](super::SocketKey) and
/// [`SocketPairKey`](super::SocketPairKey) write IPv6 addresses so), leaves FxHasher in one
/// state for every `i`: keys made of such a prefix, the address and a fixed rest all hash
/// alike. The prefix is what the key hashes before the address (a connection number, the
/// flow's other end).
///
/// FxHasher takes a `u128` as its low word, then its high word: the low word counts, the high
/// word cancels everything before it.
pub fn fx_colliding_v6(
    n: usize,
    port: u16,
    prefix: impl Fn(usize, &mut FxHasher),
) -> Vec<SocketAddr> {
    const TARGET: u64 = 0x6d65_6d73_6861_726b;
    (0..n)
        .map(|i| {
            let mut h = FxHasher::default();
            prefix(i, &mut h);
            let state = h.finish().rotate_right(FINISH_ROTATE);
            let lo = 0x2001_0db8 << 32 | i as u64;
            let after_lo = state.wrapping_add(lo).wrapping_mul(K);
            let hi = TARGET.wrapping_sub(after_lo);
            let ip = Ipv6Addr::from_bits(u128::from(lo) | u128::from(hi) << 64);
            SocketAddr::new(ip.into(), port)
        })
        .collect()
}

/// `n` random IPv6 socket addresses with port `port` (the same in every run).
pub fn random_v6(n: usize, port: u16) -> Vec<SocketAddr> {
    let mut next = xorshift();
    (0..n)
        .map(|_| {
            let ip = Ipv6Addr::from_bits(u128::from(next()) << 64 | u128::from(next()));
            SocketAddr::new(ip.into(), port)
        })
        .collect()
}

/// What a `HashMap` under FxHash computes for `value`.
pub fn fx_hash<T: Hash + ?Sized>(value: &T) -> u64 {
    FxBuildHasher.hash_one(value)
}

/// A time limit that a timed run checks now and then, giving up once it has passed.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Instant);

impl Deadline {
    /// Whether the limit has passed.
    pub fn passed(&self) -> bool {
        Instant::now() > self.0
    }
}

/// One timed run: `Some(time)`, or `None` when `run` gave up (returned `false`).
fn timed<T: ?Sized>(
    input: &T,
    limit: Duration,
    run: &mut impl FnMut(&T, &Deadline) -> bool,
) -> Option<Duration> {
    let start = Instant::now();
    let deadline = Deadline(start + limit);
    run(input, &deadline).then(|| start.elapsed())
}

/// Times `run` on `random` (the best of three runs, so a busy machine does not inflate the
/// reference) and on `crafted` (the best of two, each given up past [`SLOWDOWN_ALLOWED`] times
/// the reference plus 100 ms), and panics, naming `what`, when the crafted input never finishes
/// in time. `run` processes its input, checks the [`Deadline`] every thousand items or so and
/// returns `false` when it gave up.
pub fn assert_no_slowdown<T: ?Sized>(
    what: &str,
    random: &T,
    crafted: &T,
    mut run: impl FnMut(&T, &Deadline) -> bool,
) {
    let reference = (0..3)
        .filter_map(|_| timed(random, Duration::from_secs(600), &mut run))
        .min()
        .unwrap_or_else(|| panic!("{what}: random inputs never finished"));
    let limit = reference * SLOWDOWN_ALLOWED + Duration::from_millis(100);
    let best = (0..2).find_map(|_| timed(crafted, limit, &mut run));
    assert!(
        best.is_some(),
        "{what}: inputs colliding under FxHash took over {limit:?}; random inputs took {reference:?}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crafted_keys_collide_under_fxhash() {
        let keys = fx_colliding_keys(1000);
        let first = fx_hash(&keys[0][..]);
        assert!(keys.iter().all(|k| fx_hash(&k[..]) == first));
        let distinct: std::collections::HashSet<&Vec<u8>> = keys.iter().collect();
        assert_eq!(distinct.len(), keys.len());
    }

    #[test]
    fn the_crafted_addresses_collide_under_fxhash_after_any_prefix() {
        use crate::hash::SocketPairKey;
        let server: SocketAddr = "[::1]:11211".parse().expect("address");
        let after_server = fx_colliding_v6(N, 40000, |_, h| h.write_u128(1));
        let first = fx_hash(&SocketPairKey(server, after_server[0]));
        assert!(after_server
            .iter()
            .all(|&a| fx_hash(&SocketPairKey(server, a)) == first));
        let after_conn = fx_colliding_v6(N, 40000, |i, h| h.write_u64(i as u64 + 1));
        let first = fx_hash(&(1u64, SocketPairKey(after_conn[0], server)));
        assert!(after_conn
            .iter()
            .zip(1u64..)
            .all(|(&a, conn)| fx_hash(&(conn, SocketPairKey(a, server))) == first));
        for addrs in [&after_server, &after_conn] {
            let distinct: std::collections::HashSet<&SocketAddr> = addrs.iter().collect();
            assert_eq!(distinct.len(), addrs.len());
        }
    }
}
