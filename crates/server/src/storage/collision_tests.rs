//! Keys chosen to collide under an unkeyed hash must not make the store slow.
//!
//! The store is keyed by bytes from the network. With an unkeyed hash (FxHash, as the store
//! once used) a client can compute keys that all hash alike: they land in one shard and in one
//! probe sequence of its map, and every lookup turns into a linear scan. The keys built here
//! have identical FxHash values; the test times storing and reading them against random keys
//! and fails when they are much slower.

use std::time::{Duration, Instant};

// The key constructions are shared with the traffic crate's collision tests (a dev-dependency:
// the server itself does not depend on it).
use memshark_traffic::hash::collisions::{
    fx_colliding_keys, fx_hash, random_keys, N, SLOWDOWN_ALLOWED,
};

use super::*;

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
    let first = fx_hash(&keys[0][..]);
    assert!(keys.iter().all(|k| fx_hash(&k[..]) == first));
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
