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

mod dump;
mod outcome;
mod shard;
pub mod slabs;

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{Bytes, BytesMut};
use foldhash::fast::RandomState;

use super::clock::{Clock, Expiry};
use super::logger::Logger;
use super::stats::Counters;
pub use dump::{Cursor, DumpItem, ItemMeta};
pub use outcome::{
    CounterOutcome, DeleteOutcome, Direction, ItemView, MetaGet, StoreMode, StoreOutcome, Tokens,
};
pub use shard::ITEM_OVERHEAD;
use shard::{Shard, Slot, NIL};
use slabs::{item_total, SlabClasses, SlabConfig, SlabStats};

/// Number of shards; a power of two.
pub const SHARDS: usize = 64;

/// The storage limits.
#[derive(Debug, Clone, Copy)]
pub struct StoreConfig {
    /// Bytes for items, keys and overhead (memcached `-m`); default 64 MiB.
    pub memory_limit: usize,
    /// Largest item accepted, as memcached accounts it (memcached `-I`); default 1 MiB.
    pub max_item_size: usize,
    /// The slab class layout (memcached `-n`, `-f`).
    pub slabs: SlabConfig,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            memory_limit: 64 * 1024 * 1024,
            max_item_size: 1024 * 1024,
            slabs: SlabConfig::default(),
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
    /// The memory limit: bytes the chunks of all items may take.
    limit: AtomicUsize,
    config: StoreConfig,
    /// The per-class figures (`stats slabs`, `stats items`).
    pub slabs: Arc<SlabStats>,
    /// The log `watch` streams (evictions are logged here).
    pub log: Logger,
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
        let slabs = Arc::new(SlabStats::new(SlabClasses::new(
            config.slabs,
            config.max_item_size,
        )));
        Store {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(Shard::new(Arc::clone(&slabs))))
                .collect(),
            shard_hasher: RandomState::default(),
            limit: AtomicUsize::new(config.memory_limit.max(1)),
            config,
            slabs,
            log: Logger::default(),
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

    /// The memory limit now (`cache_memlimit` changes it).
    pub fn memory_limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    /// Changes the memory limit; items over it are evicted as new ones arrive.
    pub fn set_memory_limit(&self, bytes: usize) {
        self.limit.store(bytes.max(1), Ordering::Relaxed);
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
            if expired && !slot.fetched {
                self.slabs
                    .bump(slot.placement.class, |c| &c.expired_unfetched);
            }
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
            fetched_before: slot.fetched,
            accessed_before: slot.accessed_at,
            tokens: Tokens::default(),
        }
    }

    /// Number of live-or-not-yet-reaped items, and their bytes as memcached accounts them.
    pub fn usage(&self) -> (u64, u64) {
        let items = self.shards.iter().fold(0, |n, s| {
            let s = s.lock().unwrap_or_else(|p| p.into_inner());
            n + s.map.len() as u64
        });
        (items, self.slabs.bytes())
    }

    /// Looks an item up (counts a get hit or miss).
    pub fn get(&self, key: &[u8]) -> Option<ItemView> {
        let now = self.clock.now();
        let mut shard = self.shard(key);
        Counters::bump(&self.counters.cmd_get);
        match self.lookup(&mut shard, key, now) {
            Lookup::Live(i) => {
                let view = Self::view(&shard.slots[i]);
                shard.touch(i, now);
                shard.slots[i].fetched = true;
                self.slabs
                    .bump(shard.slots[i].placement.class, |c| &c.get_hits);
                Counters::bump(&self.counters.get_hits);
                Some(view)
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
                let view = Self::view(&shard.slots[i]);
                if as_get {
                    Counters::bump(&c.get_hits);
                    shard.slots[i].fetched = true;
                    self.slabs
                        .bump(shard.slots[i].placement.class, |c| &c.get_hits);
                }
                Counters::bump(&c.touch_hits);
                self.slabs
                    .bump(shard.slots[i].placement.class, |c| &c.touch_hits);
                let expires_at = match expiry {
                    Expiry::Expired => {
                        shard.remove(i);
                        return Some(view);
                    }
                    Expiry::Never => 0,
                    Expiry::At(t) => t,
                };
                shard.slots[i].expires_at = expires_at;
                shard.touch(i, now);
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
        let Some(placement) =
            self.slabs
                .classes
                .place(key.len(), flags, item_total(key.len(), value.len(), flags))
        else {
            // memcached drops the old item when a too-large set replaces it.
            if mode == StoreMode::Set && cas == 0 {
                self.unlink(key);
            }
            Counters::bump(&self.counters.store_too_large);
            return StoreOutcome::TooLarge;
        };
        let class = placement.class;
        self.slabs.bump(class, |c| &c.cmd_set);
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
                    self.slabs.bump(class, |c| &c.cas_badval);
                    return StoreOutcome::Exists;
                }
                Some(_) => {
                    Counters::bump(&self.counters.cas_hits);
                    self.slabs.bump(class, |c| &c.cas_hits);
                }
            }
        }
        let (value, flags, expires_at) = match (mode, existing) {
            (StoreMode::Add, Some(i)) => {
                shard.touch(i, now);
                return StoreOutcome::NotStored;
            }
            (StoreMode::Replace | StoreMode::Append | StoreMode::Prepend, None) => {
                return StoreOutcome::NotStored;
            }
            (StoreMode::Append | StoreMode::Prepend, Some(i)) => {
                let old = &shard.slots[i];
                let total = item_total(key.len(), old.value.len() + value.len(), old.flags);
                if self
                    .slabs
                    .classes
                    .place(key.len(), old.flags, total)
                    .is_none()
                {
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
        let placement = self
            .slabs
            .classes
            .place(key.len(), flags, item_total(key.len(), value.len(), flags))
            .unwrap_or(placement);
        let slot = Slot {
            key,
            value,
            flags,
            expires_at,
            stored_at: now,
            cas: new_cas,
            accessed_at: now,
            fetched: false,
            token_sent: false,
            stale: false,
            placement,
            sized: false,
            prev: NIL,
            next: NIL,
        };
        let charge = placement.charge(&self.slabs.classes);
        if !self.make_room(&mut shard, charge, now) {
            self.slabs.bump(placement.class, |c| &c.outofmemory);
            Counters::bump(&self.counters.store_no_memory);
            return StoreOutcome::OutOfMemory;
        }
        shard.insert(slot);
        Counters::bump(&self.counters.total_items);
        StoreOutcome::Stored(new_cas)
    }

    /// Evicts until `size` more bytes fit under the memory limit: from this shard's LRU tail
    /// first, then from the tails of other shards not busy now; `false` if they never can.
    fn make_room(&self, shard: &mut Shard, size: usize, now: u64) -> bool {
        let limit = self.limit.load(Ordering::Relaxed);
        if size > limit {
            return false;
        }
        let mut other = 0;
        while self.slabs.charged() + size > limit {
            if shard.tail.is_some() {
                self.evict_tail(shard, now);
                continue;
            }
            // This shard is empty: take from another, never waiting for its lock (two
            // shards locked in turn by two threads must not deadlock).
            let mut freed = false;
            while other < SHARDS && !freed {
                if let Ok(mut s) = self.shards[other].try_lock() {
                    if s.tail.is_some() {
                        self.evict_tail(&mut s, now);
                        freed = true;
                    }
                }
                if !freed {
                    other += 1;
                }
            }
            if !freed {
                return false;
            }
        }
        true
    }

    /// Evicts the least recently used item of `shard`, counting it as memcached does.
    fn evict_tail(&self, shard: &mut Shard, now: u64) {
        let Some(t) = shard.tail else {
            return;
        };
        let slot = &shard.slots[t];
        let expired = slot.expires_at != 0 && slot.expires_at <= now;
        let class = self.slabs.class(slot.placement.class);
        if expired {
            Counters::bump(&self.counters.reclaimed);
            Counters::bump(&class.reclaimed);
        } else {
            Counters::bump(&self.counters.evictions);
            Counters::bump(&class.evicted);
            if slot.expires_at != 0 {
                Counters::bump(&class.evicted_nonzero);
            }
            if !slot.fetched {
                Counters::bump(&class.evicted_unfetched);
            }
            class
                .evicted_time
                .store(now.saturating_sub(slot.accessed_at), Ordering::Relaxed);
            let ttl = if slot.expires_at == 0 {
                -1
            } else {
                slot.expires_at.saturating_sub(now) as i64
            };
            self.log.eviction(
                &slot.key,
                slot.fetched,
                ttl,
                now.saturating_sub(slot.accessed_at),
                slot.placement.class,
            );
        }
        shard.remove(t);
    }

    /// Removes an item, whatever its state, counting nothing (memcached's `item_unlink`: a
    /// `set` refused as too large leaves no stale value behind).
    pub fn unlink(&self, key: &[u8]) {
        let mut shard = self.shard(key);
        if let Some(&i) = shard.map.get(key) {
            shard.remove(i);
        }
    }

    /// A meta get (`mg`): a get, or a get-and-touch, that also creates a missing item when
    /// asked (`N`) and hands out memcached's recache tokens (`W`, `X`, `Z`).
    pub fn meta_get(&self, key: &[u8], options: MetaGet) -> Option<ItemView> {
        let mut created = false;
        let mut view = match options.touch {
            Some(exptime) => self.get_and_touch(key, exptime),
            None => self.get(key),
        };
        if view.is_none() {
            let ttl = options.vivify?;
            // An empty item stands in while the winner computes the value.
            if let StoreOutcome::Stored(_) = self.store(StoreMode::Add, key, b"", 0, ttl, 0) {
                created = true;
            }
            view = self.peek_view(key);
        }
        let mut view = view?;
        let now = self.clock.now();
        let mut shard = self.shard(key);
        // Touched with a past expiration: served this once, gone now.
        let Some(&i) = shard.map.get(key) else {
            return Some(view);
        };
        let slot = &mut shard.slots[i];
        let mut tokens = Tokens {
            already_sent: slot.token_sent,
            stale: slot.stale,
            won: created,
        };
        if let Some(recache) = options.recache {
            let left = slot.expires_at.saturating_sub(now);
            if !slot.token_sent && !created && slot.expires_at != 0 && (left as i64) < recache {
                tokens.won = true;
            }
        }
        if slot.stale && !slot.token_sent {
            tokens.won = true;
        }
        if tokens.won {
            slot.token_sent = true;
        }
        view.tokens = tokens;
        Some(view)
    }

    /// A live item's view, without counting or touching it.
    fn peek_view(&self, key: &[u8]) -> Option<ItemView> {
        let now = self.clock.now();
        let mut shard = self.shard(key);
        match self.lookup(&mut shard, key, now) {
            Lookup::Live(i) => Some(Self::view(&shard.slots[i])),
            Lookup::Missing => None,
        }
    }

    /// Meta `md … I`: marks an item stale instead of deleting it (it is still served, with
    /// `X`, and the next meta get wins the right to recache it), with a new CAS and, when
    /// given, a new expiration. `cas` 0 means no compare.
    pub fn invalidate(&self, key: &[u8], cas: u64, exptime: Option<i64>) -> DeleteOutcome {
        let now = self.clock.now();
        let expiry = exptime.map(|e| self.clock.expiry(e));
        let mut shard = self.shard(key);
        match self.lookup(&mut shard, key, now) {
            Lookup::Live(i) if cas != 0 && shard.slots[i].cas != cas => DeleteOutcome::Exists,
            Lookup::Live(i) => {
                Counters::bump(&self.counters.delete_hits);
                let new_cas = self.new_cas();
                let slot = &mut shard.slots[i];
                match expiry {
                    Some(Expiry::At(t)) => slot.expires_at = t,
                    Some(Expiry::Never) => slot.expires_at = 0,
                    Some(Expiry::Expired) => {
                        shard.remove(i);
                        return DeleteOutcome::Deleted;
                    }
                    None => {}
                }
                slot.stale = true;
                slot.token_sent = false;
                slot.cas = new_cas;
                DeleteOutcome::Deleted
            }
            Lookup::Missing => {
                Counters::bump(&self.counters.delete_misses);
                DeleteOutcome::NotFound
            }
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
                self.slabs
                    .bump(shard.slots[i].placement.class, |c| &c.delete_hits);
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
                self.slabs.bump(slot.placement.class, |c| {
                    if incr {
                        &c.incr_hits
                    } else {
                        &c.decr_hits
                    }
                });
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
                shard.set_value(i, Bytes::from(text));
                shard.slots[i].cas = new_cas;
                shard.touch(i, now);
                CounterOutcome::Value {
                    value,
                    cas: new_cas,
                    expires_at: shard.slots[i].expires_at,
                    created: false,
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
                        expires_at: match self.clock.expiry(exptime) {
                            Expiry::At(t) => t,
                            _ => 0,
                        },
                        created: true,
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
                shard.lock().unwrap_or_else(|p| p.into_inner()).clear();
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
