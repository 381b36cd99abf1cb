//! memcached's slab classes, as its tools see them: every item is assigned the class memcached
//! would give it (chunk sizes from `48 + -n` bytes, each `-f` times the last, 8-byte aligned, up
//! to half a page; larger items are chained from chunks of the largest class), and each class
//! keeps the figures `stats slabs` and `stats items` report.
//!
//! The store underneath stays sharded; an item's memory is charged at the size of the chunks
//! memcached would give it, so eviction under `-m` sees the same sizes memcached does.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// memcached's item header on a 64-bit build (`sizeof(item)`).
pub const ITEM_HEADER: usize = 48;

/// The CAS field every item carries (CAS is always on).
pub const CAS_LEN: usize = 8;

/// memcached's slab page (`slab_page_size`): 1 MiB.
pub const PAGE_SIZE: usize = 1024 * 1024;

/// Most classes memcached has (`MAX_NUMBER_OF_SLAB_CLASSES` less class 0).
pub const MAX_CLASSES: usize = 63;

/// How the slab classes are laid out (memcached `-n`, `-f`, `-I`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlabConfig {
    /// Room for key and value in the smallest chunk (`-n`, default 48).
    pub min_space: usize,
    /// Growth factor between classes (`-f`, default 1.25).
    pub factor: f64,
}

impl Default for SlabConfig {
    fn default() -> Self {
        SlabConfig {
            min_space: 48,
            factor: 1.25,
        }
    }
}

/// The bytes memcached accounts an item at (`ITEM_ntotal`): header, CAS, key and its NUL,
/// the client flags when they are not 0, value and its `\r\n`.
pub const fn item_total(key_len: usize, value_len: usize, flags: u32) -> usize {
    ITEM_HEADER + CAS_LEN + key_len + 1 + flags_len(flags) + value_len + 2
}

/// Bytes memcached spends on an item's client flags: none when they are 0.
pub const fn flags_len(flags: u32) -> usize {
    if flags == 0 {
        0
    } else {
        4
    }
}

/// The slab classes: chunk sizes, 1-based like memcached's class ids.
#[derive(Debug, Clone)]
pub struct SlabClasses {
    sizes: Vec<usize>,
    item_size_max: usize,
}

impl SlabClasses {
    /// The classes memcached lays out for these settings (`slabs_init`).
    pub fn new(config: SlabConfig, item_size_max: usize) -> SlabClasses {
        let chunk_max = PAGE_SIZE / 2;
        let factor = if config.factor > 1.0 {
            config.factor
        } else {
            1.25
        };
        let mut sizes = Vec::new();
        let mut size = ITEM_HEADER + config.min_space;
        while sizes.len() < MAX_CLASSES - 1 && (size as f64) < chunk_max as f64 / factor {
            size = size.next_multiple_of(8);
            sizes.push(size);
            size = (size as f64 * factor) as usize;
        }
        sizes.push(chunk_max);
        SlabClasses {
            sizes,
            item_size_max,
        }
    }

    /// How many classes there are.
    pub fn len(&self) -> usize {
        self.sizes.len()
    }

    /// Whether there are none (never).
    pub fn is_empty(&self) -> bool {
        self.sizes.is_empty()
    }

    /// The chunk size of class `id` (1-based).
    pub fn chunk_size(&self, id: usize) -> usize {
        self.sizes.get(id.wrapping_sub(1)).copied().unwrap_or(0)
    }

    /// Chunks in one page of class `id`.
    pub fn per_page(&self, id: usize) -> usize {
        PAGE_SIZE / self.chunk_size(id).max(1)
    }

    /// The largest chunk (`slab_chunk_max`).
    pub fn chunk_max(&self) -> usize {
        self.sizes.last().copied().unwrap_or(PAGE_SIZE / 2)
    }

    /// Where an item with a key of `key_len` bytes and `total` bytes in all goes; `None` when
    /// memcached refuses it as too large for the cache. An item over the largest chunk is
    /// chained as memcached chains it: a header chunk sized for the key, full chunks of the
    /// largest class, and a tail chunk from the smallest class it fits.
    pub fn place(&self, key_len: usize, flags: u32, total: usize) -> Option<Placement> {
        if total > self.item_size_max {
            return None;
        }
        let largest = self.sizes.len() as u8;
        if total <= self.chunk_max() {
            let i = self.sizes.iter().position(|&s| s >= total)?;
            let class = i as u8 + 1;
            return Some(Placement {
                class,
                runs: [(class, 1), (0, 0), (0, 0)],
            });
        }
        let suffix = key_len + 1 + flags_len(flags);
        let header = self.class_of(suffix + ITEM_HEADER + CHUNK_HEADER + CAS_LEN)?;
        let data = total - (ITEM_HEADER + CAS_LEN + suffix);
        let per_chunk = self.chunk_max() - CHUNK_HEADER;
        let full = data / per_chunk;
        let rest = data % per_chunk;
        let tail = if rest == 0 {
            (0, 0)
        } else {
            (self.class_of(rest + CHUNK_HEADER)?, 1)
        };
        Some(Placement {
            class: largest,
            runs: [(header, 1), (largest, full as u32), tail],
        })
    }

    /// The smallest class whose chunks hold `size` bytes.
    fn class_of(&self, size: usize) -> Option<u8> {
        let i = self.sizes.iter().position(|&s| s >= size)?;
        Some(i as u8 + 1)
    }
}

/// memcached's header of each chunk of a chained item (`sizeof(item_chunk)`).
pub const CHUNK_HEADER: usize = 48;

/// Where an item's memory comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// The class whose LRU and `stats items` the item counts in.
    pub class: u8,
    /// The chunks it takes: up to three runs of `(class, count)` (class 0: none).
    pub runs: [(u8, u32); 3],
}

impl Placement {
    /// The bytes its chunks take.
    pub fn charge(&self, classes: &SlabClasses) -> usize {
        self.runs
            .iter()
            .map(|&(class, n)| classes.chunk_size(usize::from(class)) * n as usize)
            .sum()
    }
}

macro_rules! class_counters {
    ($( $(#[$doc:meta])* $name:ident, )*) => {
        /// The figures of one class, as relaxed atomics.
        #[derive(Debug, Default)]
        pub struct ClassCounters {
            $( $(#[$doc])* pub $name: AtomicU64, )*
        }

        impl ClassCounters {
            fn zero_events(&self) {
                $( self.$name.store(0, Ordering::Relaxed); )*
            }
        }
    };
}

class_counters! {
    /// Live items.
    number,
    /// Bytes they take as memcached accounts them (`ITEM_ntotal`).
    mem_requested,
    /// Chunks they take.
    used_chunks,
    /// Pages given to the class (they are never taken back).
    total_pages,
    /// Live items evicted.
    evicted,
    /// Of them, items with an expiration time.
    evicted_nonzero,
    /// Seconds since the last evicted item was accessed.
    evicted_time,
    /// Evicted items never fetched.
    evicted_unfetched,
    /// Items that could not be stored for want of memory.
    outofmemory,
    /// Expired items whose memory was reused.
    reclaimed,
    /// Expired items never fetched.
    expired_unfetched,
    /// Gets that hit.
    get_hits,
    /// Stores.
    cmd_set,
    /// Deletes that hit.
    delete_hits,
    /// Increments that hit.
    incr_hits,
    /// Decrements that hit.
    decr_hits,
    /// CAS that stored.
    cas_hits,
    /// CAS that found another unique.
    cas_badval,
    /// Touches that hit.
    touch_hits,
}

/// The per-class figures of a store.
#[derive(Debug)]
pub struct SlabStats {
    /// The class layout.
    pub classes: SlabClasses,
    counters: Box<[ClassCounters]>,
    charged: AtomicUsize,
    /// `stats sizes`: the histogram of item sizes by 32-byte bucket, kept while enabled.
    pub sizes: SizeHistogram,
}

/// memcached's item size histogram (`stats sizes_enable`): items stored while it is on are
/// counted by their size rounded up to 32 bytes.
#[derive(Debug, Default)]
pub struct SizeHistogram {
    enabled: std::sync::atomic::AtomicBool,
    buckets: std::sync::Mutex<std::collections::BTreeMap<u64, u64>>,
}

/// The histogram's bucket width.
pub const SIZE_BUCKET: u64 = 32;

impl SizeHistogram {
    /// Whether items are being counted.
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Turns counting on or off (turning it off forgets the counts).
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
        if !on {
            self.buckets
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clear();
        }
    }

    /// Counts an item of `total` bytes in (`true`) or out; `false` when not counting.
    pub fn count(&self, total: usize, add: bool) -> bool {
        if !self.enabled() {
            return false;
        }
        let bucket = (total as u64).div_ceil(SIZE_BUCKET) * SIZE_BUCKET;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let n = buckets.entry(bucket).or_insert(0);
        if add {
            *n += 1;
        } else {
            *n = n.saturating_sub(1);
        }
        true
    }

    /// The buckets holding items, smallest first.
    pub fn snapshot(&self) -> Vec<(u64, u64)> {
        self.buckets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(_, &n)| n > 0)
            .map(|(&b, &n)| (b, n))
            .collect()
    }
}

impl SlabStats {
    /// Zeroed figures for these classes.
    pub fn new(classes: SlabClasses) -> SlabStats {
        let counters = (0..classes.len())
            .map(|_| ClassCounters::default())
            .collect();
        SlabStats {
            classes,
            counters,
            charged: AtomicUsize::new(0),
            sizes: SizeHistogram::default(),
        }
    }

    /// The figures of class `id` (1-based); class 0 or one out of range reads as the last.
    pub fn class(&self, id: u8) -> &ClassCounters {
        let i = usize::from(id)
            .saturating_sub(1)
            .min(self.counters.len() - 1);
        &self.counters[i]
    }

    /// Adds one to a counter of class `id`.
    pub fn bump(&self, id: u8, counter: impl Fn(&ClassCounters) -> &AtomicU64) {
        counter(self.class(id)).fetch_add(1, Ordering::Relaxed);
    }

    /// Accounts a new item of `total` bytes placed so; a class is given a page more whenever
    /// it runs out of chunks.
    pub fn add_item(&self, placement: &Placement, total: usize) {
        let c = self.class(placement.class);
        c.number.fetch_add(1, Ordering::Relaxed);
        c.mem_requested.fetch_add(total as u64, Ordering::Relaxed);
        for &(id, n) in placement.runs.iter().filter(|r| r.0 != 0 && r.1 != 0) {
            let c = self.class(id);
            let used = c.used_chunks.fetch_add(u64::from(n), Ordering::Relaxed) + u64::from(n);
            let per_page = self.classes.per_page(usize::from(id)).max(1) as u64;
            c.total_pages
                .fetch_max(used.div_ceil(per_page), Ordering::Relaxed);
        }
        self.charged
            .fetch_add(placement.charge(&self.classes), Ordering::Relaxed);
    }

    /// Accounts an item leaving.
    pub fn remove_item(&self, placement: &Placement, total: usize) {
        let c = self.class(placement.class);
        c.number.fetch_sub(1, Ordering::Relaxed);
        c.mem_requested.fetch_sub(total as u64, Ordering::Relaxed);
        for &(id, n) in placement.runs.iter().filter(|r| r.0 != 0 && r.1 != 0) {
            self.class(id)
                .used_chunks
                .fetch_sub(u64::from(n), Ordering::Relaxed);
        }
        self.charged
            .fetch_sub(placement.charge(&self.classes), Ordering::Relaxed);
    }

    /// Bytes the chunks of every item take (what the memory limit bounds).
    pub fn charged(&self) -> usize {
        self.charged.load(Ordering::Relaxed)
    }

    /// Class ids in order, with their figures.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &ClassCounters)> {
        self.counters.iter().enumerate().map(|(i, c)| (i + 1, c))
    }

    /// Live bytes as memcached accounts them, over all classes (`bytes` in `stats`).
    pub fn bytes(&self) -> u64 {
        self.counters
            .iter()
            .map(|c| c.mem_requested.load(Ordering::Relaxed))
            .sum()
    }

    /// Zeroes the event counters (`stats reset`), keeping what describes the items held.
    pub fn reset(&self) {
        for c in self.counters.iter() {
            let keep = [
                c.number.load(Ordering::Relaxed),
                c.mem_requested.load(Ordering::Relaxed),
                c.used_chunks.load(Ordering::Relaxed),
                c.total_pages.load(Ordering::Relaxed),
            ];
            c.zero_events();
            c.number.store(keep[0], Ordering::Relaxed);
            c.mem_requested.store(keep[1], Ordering::Relaxed);
            c.used_chunks.store(keep[2], Ordering::Relaxed);
            c.total_pages.store(keep[3], Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_memcacheds() {
        let c = SlabClasses::new(SlabConfig::default(), 1024 * 1024);
        let first: Vec<usize> = (1..=10).map(|i| c.chunk_size(i)).collect();
        assert_eq!(first, [96, 120, 152, 192, 240, 304, 384, 480, 600, 752]);
        assert_eq!(c.len(), 39);
        assert_eq!(c.chunk_size(38), 394840);
        assert_eq!(c.chunk_size(39), 524288);
        assert_eq!(c.per_page(1), 10922);
        assert_eq!(item_total(1, 1, 0), 61);
        assert_eq!(item_total(1, 1, 7), 65);
        assert_eq!(c.place(1, 0, 61).map(|p| p.class), Some(1));
        assert_eq!(c.place(1, 0, 561).map(|p| p.class), Some(9));
        assert_eq!(c.place(1, 0, 1024 * 1024 + 1), None);
        // memcached's chaining of a 600000-byte value under a 5-byte key: a header chunk of
        // class 2, one chunk of class 39, the tail in class 31.
        let p = c.place(5, 0, item_total(5, 600_000, 0)).expect("fits");
        assert_eq!(p.class, 39);
        assert_eq!(p.runs, [(2, 1), (39, 1), (31, 1)]);
        let p = c.place(5, 0, item_total(5, 1_000_000, 0)).expect("fits");
        assert_eq!(p.runs, [(2, 1), (39, 1), (39, 1)]);
    }
}
