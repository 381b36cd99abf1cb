//! Item storage with memcached 1.6's semantics: CAS, expiry, flush, counters, and a memory
//! limit enforced by least-recently-used eviction.
//!
//! The key space is split over [`SHARDS`] shards, each a `Mutex` around a hash map and an LRU
//! list, so connections on different cores rarely meet on a lock and a lock is held only for a
//! map operation. Values are [`Bytes`]: a hit hands out a reference-counted view of the stored
//! value, no copy.
//!
//! Keys come from the network, so every hash of a key is randomly seeded (foldhash): the shard
//! a key lands in and its place in the shard's map cannot be predicted, and a client cannot
//! send keys that collide to turn lookups into linear scans.

mod outcome;
mod shard;

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{Bytes, BytesMut};
use foldhash::fast::RandomState;

use super::clock::{Clock, Expiry};
use super::stats::Counters;
pub use outcome::{CounterOutcome, DeleteOutcome, Direction, ItemView, StoreMode, StoreOutcome};
pub use shard::ITEM_OVERHEAD;
use shard::{Shard, Slot, NIL};

/// Number of shards; a power of two.
pub const SHARDS: usize = 64;

/// The storage limits.
#[derive(Debug, Clone, Copy)]
pub struct StoreConfig {
    /// Bytes for items, keys and overhead (memcached `-m`); default 64 MiB.
    pub memory_limit: usize,
    /// Largest value accepted (memcached `-I`); default 1 MiB.
    pub max_item_size: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            memory_limit: 64 * 1024 * 1024,
            max_item_size: 1024 * 1024,
        }
    }
}

/// The item store shared by every connection.
#[derive(Debug)]
pub struct Store {
    shards: Box<[Mutex<Shard>]>,
    /// Picks a key's shard. Randomly seeded, and apart from the shards' own map hashers, so
    /// that neither the shard nor the place in its map can be predicted from a key.
    shard_hasher: RandomState,
    shard_limit: usize,
    config: StoreConfig,
    next_cas: AtomicU64,
    /// Items stored at or before this unix second are invalid once it has passed (flush_all
    /// with a delay); 0 when no flush is pending.
    oldest_live: AtomicU64,
    /// The clock every expiry is read against.
    pub clock: Clock,
    /// Counters for `stats`.
    pub counters: Arc<Counters>,
}

enum Lookup {
    Live(usize),
    Missing,
}

impl Store {
    /// An empty store.
    pub fn new(config: StoreConfig) -> Store {
        Store {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            shard_hasher: RandomState::default(),
            shard_limit: (config.memory_limit / SHARDS).max(1),
            config,
            next_cas: AtomicU64::new(1),
            oldest_live: AtomicU64::new(0),
            clock: Clock::default(),
            counters: Arc::new(Counters::default()),
        }
    }

    /// The limits this store was made with.
    pub fn config(&self) -> StoreConfig {
        self.config
    }

    /// Which shard holds `key`.
    fn shard_index(&self, key: &[u8]) -> usize {
        (self.shard_hasher.hash_one(key) as usize) & (SHARDS - 1)
    }

    fn shard(&self, key: &[u8]) -> MutexGuard<'_, Shard> {
        let i = self.shard_index(key);
        // A poisoned shard only means another thread panicked mid-operation; the shard's
        // structure is updated in orders that stay consistent, so keep serving it.
        self.shards[i]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn new_cas(&self) -> u64 {
        self.next_cas.fetch_add(1, Ordering::Relaxed)
    }

    /// Finds a live item, removing it if it has expired or been flushed.
    fn lookup(&self, shard: &mut Shard, key: &[u8], now: u64) -> Lookup {
        let Some(&i) = shard.map.get(key) else {
            return Lookup::Missing;
        };
        let slot = &shard.slots[i];
        let oldest = self.oldest_live.load(Ordering::Relaxed);
        let flushed = oldest != 0 && oldest <= now && slot.stored_at <= oldest;
        let expired = slot.expires_at != 0 && slot.expires_at <= now;
        if flushed || expired {
            Counters::bump(if flushed {
                &self.counters.get_flushed
            } else {
                &self.counters.get_expired
            });
            shard.remove(i);
            return Lookup::Missing;
        }
        Lookup::Live(i)
    }

    fn view(slot: &Slot) -> ItemView {
        ItemView {
            value: slot.value.clone(),
            flags: slot.flags,
            cas: slot.cas,
            expires_at: slot.expires_at,
        }
    }

    /// Number of live-or-not-yet-reaped items and bytes charged, summed over shards.
    pub fn usage(&self) -> (u64, u64) {
        self.shards.iter().fold((0, 0), |(n, b), s| {
            let s = s.lock().unwrap_or_else(|p| p.into_inner());
            (n + s.map.len() as u64, b + s.used as u64)
        })
    }

    /// Looks an item up (counts a get hit or miss).
    pub fn get(&self, key: &[u8]) -> Option<ItemView> {
        let now = self.clock.now();
        let mut shard = self.shard(key);
        Counters::bump(&self.counters.cmd_get);
        match self.lookup(&mut shard, key, now) {
            Lookup::Live(i) => {
                shard.touch(i);
                Counters::bump(&self.counters.get_hits);
                Some(Self::view(&shard.slots[i]))
            }
            Lookup::Missing => {
                Counters::bump(&self.counters.get_misses);
                None
            }
        }
    }

    /// Looks an item up and sets its expiration (GAT); counts as a get and a touch.
    pub fn get_and_touch(&self, key: &[u8], exptime: i64) -> Option<ItemView> {
        self.retouch(key, exptime, true)
    }

    /// Sets an item's expiration; the item as it now is, or `None` when it is missing.
    pub fn touch(&self, key: &[u8], exptime: i64) -> Option<ItemView> {
        self.retouch(key, exptime, false)
    }

    /// TOUCH, and GAT when `as_get` (which also counts a get).
    fn retouch(&self, key: &[u8], exptime: i64, as_get: bool) -> Option<ItemView> {
        let now = self.clock.now();
        let expiry = self.clock.expiry(exptime);
        let mut shard = self.shard(key);
        let c = &self.counters;
        if as_get {
            Counters::bump(&c.cmd_get);
        }
        Counters::bump(&c.cmd_touch);
        match self.lookup(&mut shard, key, now) {
            Lookup::Live(i) => {
                if as_get {
                    Counters::bump(&c.get_hits);
                }
                Counters::bump(&c.touch_hits);
                let view = Self::view(&shard.slots[i]);
                let expires_at = match expiry {
                    Expiry::Expired => {
                        shard.remove(i);
                        return Some(view);
                    }
                    Expiry::Never => 0,
                    Expiry::At(t) => t,
                };
                shard.slots[i].expires_at = expires_at;
                shard.touch(i);
                Some(ItemView { expires_at, ..view })
            }
            Lookup::Missing => {
                if as_get {
                    Counters::bump(&c.get_misses);
                }
                Counters::bump(&c.touch_misses);
                None
            }
        }
    }

    /// A storage command. `cas` 0 means no compare; otherwise the item must exist with that
    /// CAS. Append and prepend keep the item's flags and expiration.
    pub fn store(
        &self,
        mode: StoreMode,
        key: &[u8],
        value: impl AsRef<[u8]>,
        flags: u32,
        exptime: i64,
        cas: u64,
    ) -> StoreOutcome {
        Counters::bump(&self.counters.cmd_set);
        let value = value.as_ref();
        if value.len() > self.config.max_item_size {
            // memcached drops the old item when a too-large set replaces it.
            if mode == StoreMode::Set {
                self.delete_quietly(key);
            }
            return StoreOutcome::TooLarge;
        }
        let now = self.clock.now();
        let expiry = self.clock.expiry(exptime);
        let mut shard = self.shard(key);
        let existing = match self.lookup(&mut shard, key, now) {
            Lookup::Live(i) => Some(i),
            Lookup::Missing => None,
        };
        if cas != 0 {
            match existing {
                None => {
                    Counters::bump(&self.counters.cas_misses);
                    return StoreOutcome::NotFound;
                }
                Some(i) if shard.slots[i].cas != cas => {
                    Counters::bump(&self.counters.cas_badval);
                    return StoreOutcome::Exists;
                }
                Some(_) => Counters::bump(&self.counters.cas_hits),
            }
        }
        let (value, flags, expires_at) = match (mode, existing) {
            (StoreMode::Add, Some(i)) => {
                shard.touch(i);
                return StoreOutcome::NotStored;
            }
            (StoreMode::Replace | StoreMode::Append | StoreMode::Prepend, None) => {
                return StoreOutcome::NotStored;
            }
            (StoreMode::Append | StoreMode::Prepend, Some(i)) => {
                let old = &shard.slots[i];
                if old.value.len() + value.len() > self.config.max_item_size {
                    return StoreOutcome::TooLarge;
                }
                let mut joined = BytesMut::with_capacity(old.value.len() + value.len());
                if mode == StoreMode::Append {
                    joined.extend_from_slice(&old.value);
                    joined.extend_from_slice(value);
                } else {
                    joined.extend_from_slice(value);
                    joined.extend_from_slice(&old.value);
                }
                (joined.freeze(), old.flags, old.expires_at)
            }
            _ => {
                let at = match expiry {
                    Expiry::Never => 0,
                    Expiry::At(t) => t,
                    // Stored and at once invisible: memcached's behaviour for a past exptime.
                    Expiry::Expired => {
                        if let Some(i) = existing {
                            shard.remove(i);
                        }
                        return StoreOutcome::Stored(self.new_cas());
                    }
                };
                // Own a compact copy: the value arrives as a slice of the connection's read
                // buffer, and keeping that slice would keep the whole buffer alive for as long
                // as the item lives, far beyond what the memory limit accounts for.
                (Bytes::copy_from_slice(value), flags, at)
            }
        };
        if let Some(i) = existing {
            shard.remove(i);
        }
        let key = Bytes::copy_from_slice(key);
        let new_cas = self.new_cas();
        let slot = Slot {
            key,
            value,
            flags,
            expires_at,
            stored_at: now,
            cas: new_cas,
            prev: NIL,
            next: NIL,
        };
        if !self.make_room(&mut shard, slot.size(), now) {
            return StoreOutcome::OutOfMemory;
        }
        shard.insert(slot);
        Counters::bump(&self.counters.total_items);
        StoreOutcome::Stored(new_cas)
    }

    /// Evicts from the LRU tail until `size` more bytes fit; `false` if they never can.
    fn make_room(&self, shard: &mut Shard, size: usize, now: u64) -> bool {
        if size > self.shard_limit {
            return false;
        }
        while shard.used + size > self.shard_limit {
            let Some(t) = shard.tail else {
                return false;
            };
            let slot = &shard.slots[t];
            let expired = slot.expires_at != 0 && slot.expires_at <= now;
            Counters::bump(if expired {
                &self.counters.reclaimed
            } else {
                &self.counters.evictions
            });
            shard.remove(t);
        }
        true
    }

    fn delete_quietly(&self, key: &[u8]) {
        let mut shard = self.shard(key);
        if let Some(&i) = shard.map.get(key) {
            shard.remove(i);
        }
    }

    /// Deletes an item; `cas` 0 means no compare.
    pub fn delete(&self, key: &[u8], cas: u64) -> DeleteOutcome {
        let now = self.clock.now();
        let mut shard = self.shard(key);
        match self.lookup(&mut shard, key, now) {
            Lookup::Live(i) if cas != 0 && shard.slots[i].cas != cas => DeleteOutcome::Exists,
            Lookup::Live(i) => {
                Counters::bump(&self.counters.delete_hits);
                shard.remove(i);
                DeleteOutcome::Deleted
            }
            Lookup::Missing => {
                Counters::bump(&self.counters.delete_misses);
                DeleteOutcome::NotFound
            }
        }
    }

    /// INCR or DECR by `delta`. A missing item is created with `initial` and the given exptime
    /// when `initial` is `Some`. Incr wraps at 2^64, decr stops at 0; the value is stored as
    /// ASCII decimal.
    pub fn arithmetic(
        &self,
        key: &[u8],
        direction: Direction,
        delta: u64,
        initial: Option<(u64, i64)>,
        cas: u64,
    ) -> CounterOutcome {
        let now = self.clock.now();
        let mut shard = self.shard(key);
        let incr = direction == Direction::Incr;
        let (hits, misses) = if incr {
            (&self.counters.incr_hits, &self.counters.incr_misses)
        } else {
            (&self.counters.decr_hits, &self.counters.decr_misses)
        };
        match self.lookup(&mut shard, key, now) {
            Lookup::Live(i) => {
                let slot = &shard.slots[i];
                if cas != 0 && slot.cas != cas {
                    return CounterOutcome::Exists;
                }
                let Some(current) = parse_counter(&slot.value) else {
                    return CounterOutcome::NonNumeric;
                };
                Counters::bump(hits);
                let value = if incr {
                    current.wrapping_add(delta)
                } else {
                    current.saturating_sub(delta)
                };
                let new_cas = self.new_cas();
                let mut text = value.to_string().into_bytes();
                // memcached rewrites a counter in place, padding a shorter number with spaces.
                if text.len() < slot.value.len() {
                    text.resize(slot.value.len(), b' ');
                }
                let text = Bytes::from(text);
                let slot = &mut shard.slots[i];
                let old_len = slot.value.len();
                slot.value = text;
                slot.cas = new_cas;
                let new_len = slot.value.len();
                shard.used = shard.used + new_len - old_len;
                shard.touch(i);
                CounterOutcome::Value {
                    value,
                    cas: new_cas,
                }
            }
            Lookup::Missing => {
                Counters::bump(misses);
                let Some((initial, exptime)) = initial else {
                    return CounterOutcome::NotFound;
                };
                drop(shard);
                match self.store(
                    StoreMode::Add,
                    key,
                    Bytes::from(initial.to_string()),
                    0,
                    exptime,
                    0,
                ) {
                    StoreOutcome::Stored(cas) => CounterOutcome::Value {
                        value: initial,
                        cas,
                    },
                    // Raced with another creator: apply the delta to what it stored.
                    StoreOutcome::NotStored => self.arithmetic(key, direction, delta, None, 0),
                    _ => CounterOutcome::NotFound,
                }
            }
        }
    }

    /// Invalidates every item now (`delay` 0) or, with a delay, every item stored before the
    /// moment the delay runs out.
    pub fn flush_all(&self, delay: i64) {
        Counters::bump(&self.counters.cmd_flush);
        if delay <= 0 {
            self.oldest_live.store(0, Ordering::Relaxed);
            for shard in self.shards.iter() {
                let mut s = shard.lock().unwrap_or_else(|p| p.into_inner());
                *s = Shard::default();
            }
        } else {
            let at = match self.clock.expiry(delay) {
                Expiry::At(t) => t,
                _ => self.clock.now(),
            };
            self.oldest_live.store(at, Ordering::Relaxed);
        }
    }
}

/// memcached's reading of a counter: decimal digits (at most 20, fitting in u64), then maybe the
/// spaces an in-place update left.
fn parse_counter(value: &[u8]) -> Option<u64> {
    let digits = value.iter().rposition(|&b| b != b' ').map_or(0, |p| p + 1);
    let value = &value[..digits];
    if value.is_empty() || value.len() > 20 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse().ok()
}

#[cfg(test)]
mod collision_tests;
#[cfg(test)]
mod tests;
