//! Storage semantics, with the clock moved instead of slept.

use bytes::Bytes;
use proptest::prelude::*;

use super::*;

fn store() -> Store {
    Store::new(StoreConfig::default())
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn set(s: &Store, k: &str, v: &str) -> StoreOutcome {
    s.store(StoreMode::Set, k.as_bytes(), b(v), 0, 0, 0)
}

#[test]
fn set_get_and_cas() {
    let s = store();
    let StoreOutcome::Stored(cas) = set(&s, "k", "v1") else {
        panic!("stored")
    };
    let item = s.get(b"k").unwrap();
    assert_eq!((&item.value[..], item.cas), (&b"v1"[..], cas));
    assert_eq!(
        s.store(StoreMode::Set, b"k", b("v2"), 0, 0, cas + 1000),
        StoreOutcome::Exists
    );
    assert!(matches!(
        s.store(StoreMode::Set, b"k", b("v2"), 0, 0, cas),
        StoreOutcome::Stored(c) if c != cas
    ));
    assert_eq!(
        s.store(StoreMode::Set, b"missing", b("v"), 0, 0, 5),
        StoreOutcome::NotFound
    );
    assert_eq!(s.get(b"k").unwrap().value, b("v2"));
}

#[test]
fn add_replace_append_prepend() {
    let s = store();
    assert_eq!(
        s.store(StoreMode::Replace, b"k", b("x"), 0, 0, 0),
        StoreOutcome::NotStored
    );
    assert_eq!(
        s.store(StoreMode::Append, b"k", b("x"), 0, 0, 0),
        StoreOutcome::NotStored
    );
    assert!(matches!(
        s.store(StoreMode::Add, b"k", b("mid"), 7, 0, 0),
        StoreOutcome::Stored(_)
    ));
    assert_eq!(
        s.store(StoreMode::Add, b"k", b("x"), 0, 0, 0),
        StoreOutcome::NotStored
    );
    s.store(StoreMode::Append, b"k", b(">"), 99, 0, 0);
    s.store(StoreMode::Prepend, b"k", b("<"), 99, 0, 0);
    let item = s.get(b"k").unwrap();
    assert_eq!((item.value, item.flags), (b("<mid>"), 7));
}

#[test]
fn counters_wrap_floor_create_and_reject_text() {
    let s = store();
    set(&s, "n", "18446744073709551615");
    assert!(matches!(
        s.arithmetic(b"n", Direction::Incr, 2, None, 0),
        CounterOutcome::Value { value: 1, .. }
    ));
    set(&s, "d", "10");
    assert!(matches!(
        s.arithmetic(b"d", Direction::Decr, 100, None, 0),
        CounterOutcome::Value { value: 0, .. }
    ));
    // In place, padded as memcached does.
    assert_eq!(s.get(b"d").unwrap().value, b("0 "));
    assert!(matches!(
        s.arithmetic(b"d", Direction::Incr, 5, None, 0),
        CounterOutcome::Value { value: 5, .. }
    ));
    assert_eq!(
        s.arithmetic(b"nope", Direction::Incr, 1, None, 0),
        CounterOutcome::NotFound
    );
    assert!(matches!(
        s.arithmetic(b"new", Direction::Incr, 1, Some((40, 0)), 0),
        CounterOutcome::Value { value: 40, .. }
    ));
    set(&s, "t", "12a");
    assert_eq!(
        s.arithmetic(b"t", Direction::Incr, 1, None, 0),
        CounterOutcome::NonNumeric
    );
}

#[test]
fn expiry_relative_absolute_negative_and_touch() {
    let s = store();
    s.store(StoreMode::Set, b"r", b("v"), 0, 10, 0);
    let abs = s.clock.now() as i64 + 20;
    s.store(StoreMode::Set, b"a", b("v"), 0, abs, 0);
    s.store(StoreMode::Set, b"neg", b("v"), 0, -1, 0);
    assert!(s.get(b"neg").is_none());
    s.clock.advance(11);
    assert!(s.get(b"r").is_none());
    assert!(s.get(b"a").is_some());
    assert!(s.touch(b"a", 100).is_some());
    s.clock.advance(20);
    assert!(s.get(b"a").is_some());
    assert!(s.touch(b"missing", 1).is_none());
    assert!(s.get_and_touch(b"a", -1).is_some());
    assert!(s.get(b"a").is_none());
}

#[test]
fn flush_now_and_delayed() {
    let s = store();
    set(&s, "a", "1");
    s.flush_all(0);
    assert!(s.get(b"a").is_none());
    set(&s, "b", "1");
    s.flush_all(10);
    assert!(s.get(b"b").is_some());
    s.clock.advance(11);
    assert!(s.get(b"b").is_none());
    set(&s, "c", "1");
    assert!(s.get(b"c").is_some(), "stored after the flush time");
}

#[test]
fn lru_evicts_least_recently_used_within_the_limit() {
    let s = Store::new(StoreConfig {
        // A 1 KiB value and a short key take a 1184-byte chunk (slab class 12): room for 4.
        memory_limit: 4 * 1184 + 100,
        max_item_size: 1 << 20,
        ..StoreConfig::default()
    });
    // Find keys that land in one shard.
    let shard_of = |k: &str| s.shard_index(k.as_bytes());
    let target = shard_of("k0");
    let keys: Vec<String> = (0..10_000)
        .map(|i| format!("k{i}"))
        .filter(|k| shard_of(k) == target)
        .take(6)
        .collect();
    let value = Bytes::from(vec![b'x'; 1024]);
    for k in &keys[..4] {
        s.store(StoreMode::Set, k.as_bytes(), value.clone(), 0, 0, 0);
    }
    // Reading the oldest makes the second oldest the next victim.
    assert!(s.get(keys[0].as_bytes()).is_some());
    s.store(StoreMode::Set, keys[4].as_bytes(), value.clone(), 0, 0, 0);
    assert!(s.get(keys[1].as_bytes()).is_none());
    assert!(s.get(keys[0].as_bytes()).is_some());
    assert_eq!(s.counters.evictions.load(Ordering::Relaxed), 1);
    let (_, bytes) = s.usage();
    assert!(bytes as usize <= s.memory_limit());
}

#[test]
fn too_large_is_refused() {
    let s = Store::new(StoreConfig {
        memory_limit: 1 << 20,
        max_item_size: 100 + ITEM_OVERHEAD + 1,
        ..StoreConfig::default()
    });
    set(&s, "k", "old");
    assert_eq!(
        s.store(StoreMode::Set, b"k", Bytes::from(vec![0; 101]), 0, 0, 0),
        StoreOutcome::TooLarge
    );
    assert!(s.get(b"k").is_none(), "memcached drops the old item");
}

#[test]
fn concurrent_increments_lose_nothing() {
    let s = Arc::new(store());
    set(&s, "n", "0");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                for _ in 0..2_000 {
                    s.arithmetic(b"n", Direction::Incr, 1, None, 0);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let v = s.get(b"n").unwrap().value;
    assert_eq!(&v[..], b"8000");
}

#[derive(Debug, Clone)]
enum Op {
    Set(u8, u8),
    Add(u8, u8),
    Replace(u8, u8),
    Append(u8, u8),
    Delete(u8),
    Get(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..8, any::<u8>()).prop_map(|(k, v)| Op::Set(k, v)),
        (0u8..8, any::<u8>()).prop_map(|(k, v)| Op::Add(k, v)),
        (0u8..8, any::<u8>()).prop_map(|(k, v)| Op::Replace(k, v)),
        (0u8..8, any::<u8>()).prop_map(|(k, v)| Op::Append(k, v)),
        (0u8..8).prop_map(Op::Delete),
        (0u8..8).prop_map(Op::Get),
    ]
}

proptest! {
    /// Without memory pressure the store agrees with a plain map.
    #[test]
    fn agrees_with_a_model(ops in proptest::collection::vec(op(), 1..200)) {
        let s = store();
        let mut model: std::collections::HashMap<u8, Vec<u8>> = Default::default();
        for op in ops {
            match op {
                Op::Set(k, v) => {
                    s.store(StoreMode::Set, &[k], Bytes::from(vec![v]), 0, 0, 0);
                    model.insert(k, vec![v]);
                }
                Op::Add(k, v) => {
                    let r = s.store(StoreMode::Add, &[k], Bytes::from(vec![v]), 0, 0, 0);
                    prop_assert_eq!(matches!(r, StoreOutcome::Stored(_)), !model.contains_key(&k));
                    model.entry(k).or_insert(vec![v]);
                }
                Op::Replace(k, v) => {
                    let r = s.store(StoreMode::Replace, &[k], Bytes::from(vec![v]), 0, 0, 0);
                    prop_assert_eq!(matches!(r, StoreOutcome::Stored(_)), model.contains_key(&k));
                    if let Some(e) = model.get_mut(&k) { *e = vec![v]; }
                }
                Op::Append(k, v) => {
                    s.store(StoreMode::Append, &[k], Bytes::from(vec![v]), 0, 0, 0);
                    if let Some(e) = model.get_mut(&k) { e.push(v); }
                }
                Op::Delete(k) => {
                    let r = s.delete(&[k], 0);
                    prop_assert_eq!(r == DeleteOutcome::Deleted, model.remove(&k).is_some());
                }
                Op::Get(k) => {
                    let got = s.get(&[k]).map(|i| i.value.to_vec());
                    prop_assert_eq!(got, model.get(&k).cloned());
                }
            }
        }
    }
}
