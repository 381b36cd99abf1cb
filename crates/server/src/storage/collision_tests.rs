//! Keys chosen to collide under an unkeyed hash must not make the store slow.
//!
//! The store is keyed by bytes from the network. With an unkeyed hash (FxHash, as the store
//! once used) a client can compute keys that all hash alike: they land in one shard and in one
//! probe sequence of its map, and every lookup turns into a linear scan. The keys built here
//! have identical FxHash values; the test times storing and reading them against random keys
//! and fails when they are much slower.

use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use rustc_hash::FxHasher;

use super::*;

/// How many keys each run stores and reads back.
const N: usize = 50_000;

/// How much slower the colliding keys may be than random ones before the test fails. Fair
/// hashing makes the two runs alike; colliding keys under FxHash are hundreds of times slower.
const SLOWDOWN_ALLOWED: u32 = 10;

/// The 128-bit multiply folded to 64 bits that rustc-hash 2 mixes with.
fn multiply_mix(x: u64, y: u64) -> u64 {
    let full = u128::from(x) * u128::from(y);
    (full as u64) ^ ((full >> 64) as u64)
}

/// `N` distinct 32-byte keys on which rustc-hash 2's `FxHasher` gives one value.
///
/// For 17 to 32 bytes, rustc-hash folds the first 16 bytes `x, y` into
/// `t = mix(SEED1 ^ x, P ^ y)`, then XORs the last 16 bytes `lo, hi` into `(SEED2, t)` and mixes
/// the pair. With `lo` fixed and `hi = t ^ C`, the pair is `(SEED2 ^ lo, C)` whatever `x` and
/// `y` are, so every key hashes alike.
fn fx_colliding_keys(n: usize) -> Vec<Vec<u8>> {
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

/// `n` 32-byte keys from a xorshift generator.
fn random_keys(n: usize) -> Vec<Vec<u8>> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|_| (0..4).flat_map(|_| next().to_le_bytes()).collect())
        .collect()
}

/// What `HashMap` computes for a key under FxHash.
fn fx_hash(key: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    key.hash(&mut h);
    h.finish()
}

/// Stores every key and reads every key back; gives up (returns `None`) past `limit`.
fn store_and_read(keys: &[Vec<u8>], limit: Duration) -> Option<Duration> {
    // Room for every key in any one shard, so nothing is evicted however keys spread.
    let s = Store::new(StoreConfig {
        memory_limit: SHARDS * N * (32 + 1 + ITEM_OVERHEAD) * 2,
        max_item_size: 1024,
        ..StoreConfig::default()
    });
    let start = Instant::now();
    for (i, k) in keys.iter().enumerate() {
        s.store(StoreMode::Set, k, b"v", 0, 0, 0);
        if i % 1024 == 0 && start.elapsed() > limit {
            return None;
        }
    }
    for (i, k) in keys.iter().enumerate() {
        assert!(s.get(k).is_some(), "key {i} stored");
        if i % 1024 == 0 && start.elapsed() > limit {
            return None;
        }
    }
    Some(start.elapsed())
}

#[test]
fn the_crafted_keys_collide_under_fxhash() {
    let keys = fx_colliding_keys(1000);
    let first = fx_hash(&keys[0]);
    assert!(keys.iter().all(|k| fx_hash(k) == first));
    let distinct: std::collections::HashSet<&Vec<u8>> = keys.iter().collect();
    assert_eq!(distinct.len(), keys.len());
}

#[test]
fn keys_colliding_under_fxhash_are_as_fast_as_random_ones() {
    let random = random_keys(N);
    let colliding = fx_colliding_keys(N);
    // The best of three runs, so a busy machine does not inflate the reference.
    let reference = (0..3)
        .filter_map(|_| store_and_read(&random, Duration::from_secs(600)))
        .min()
        .expect("random keys finish");
    let limit = reference * SLOWDOWN_ALLOWED + Duration::from_millis(100);
    let best = (0..2).find_map(|_| store_and_read(&colliding, limit));
    assert!(
        best.is_some(),
        "{N} keys colliding under FxHash took over {limit:?}; random keys took {reference:?}"
    );
}
