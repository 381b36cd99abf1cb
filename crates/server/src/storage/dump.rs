//! A walk over every live item, a piece at a time (`lru_crawler metadump`): the shards are
//! visited in turn, each locked only while its piece is read.

use std::sync::atomic::Ordering;

use super::{Store, SHARDS};

/// A live item as a dump shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DumpItem<'a> {
    /// The key.
    pub key: &'a [u8],
    /// Expiration as a unix second (0: never).
    pub expires_at: u64,
    /// Last access as a unix second.
    pub accessed_at: u64,
    /// CAS unique.
    pub cas: u64,
    /// Whether a get has read it.
    pub fetched: bool,
    /// Its slab class.
    pub class: u8,
    /// Its size as memcached accounts it.
    pub total: usize,
}

/// An item's bookkeeping as `me` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemMeta {
    /// Expiration as a unix second (0: never).
    pub expires_at: u64,
    /// Last access as a unix second.
    pub accessed_at: u64,
    /// CAS unique.
    pub cas: u64,
    /// Whether a get has read it.
    pub fetched: bool,
    /// Its slab class.
    pub class: u8,
    /// Its size as memcached accounts it.
    pub total: usize,
    /// The length of its value.
    pub value_len: usize,
}

/// Where a walk stands: the next shard and slot to look at.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    shard: usize,
    slot: usize,
}

impl Store {
    /// Shows live items to `visit` from `cursor` on, until `visit` answers `false` (the cursor
    /// then stands after that item) or every shard has been seen (`true`). Items changed while
    /// a walk is paused may be seen twice or not at all, as with memcached's crawler.
    pub fn walk(&self, cursor: &mut Cursor, mut visit: impl FnMut(&DumpItem<'_>) -> bool) -> bool {
        let now = self.clock.now();
        let oldest = self.oldest_live.load(Ordering::Relaxed);
        while cursor.shard < SHARDS {
            let shard = self.shards[cursor.shard]
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            while cursor.slot < shard.slots.len() {
                let slot = &shard.slots[cursor.slot];
                cursor.slot += 1;
                let flushed = oldest != 0 && oldest <= now && slot.stored_at <= oldest;
                let expired = slot.expires_at != 0 && slot.expires_at <= now;
                if slot.key.is_empty() || flushed || expired {
                    continue;
                }
                let item = DumpItem {
                    key: &slot.key,
                    expires_at: slot.expires_at,
                    accessed_at: slot.accessed_at,
                    cas: slot.cas,
                    fetched: slot.fetched,
                    class: slot.placement.class,
                    total: slot.total(),
                };
                if !visit(&item) {
                    return false;
                }
            }
            cursor.shard += 1;
            cursor.slot = 0;
        }
        true
    }

    /// A live item's bookkeeping, without reading it (nothing counted, nothing touched).
    pub fn peek(&self, key: &[u8]) -> Option<ItemMeta> {
        let now = self.clock.now();
        let oldest = self.oldest_live.load(Ordering::Relaxed);
        let shard = self.shard(key);
        let slot = &shard.slots[*shard.map.get(key)?];
        let flushed = oldest != 0 && oldest <= now && slot.stored_at <= oldest;
        let expired = slot.expires_at != 0 && slot.expires_at <= now;
        (!flushed && !expired).then(|| ItemMeta {
            expires_at: slot.expires_at,
            accessed_at: slot.accessed_at,
            cas: slot.cas,
            fetched: slot.fetched,
            class: slot.placement.class,
            total: slot.total(),
            value_len: slot.value.len(),
        })
    }

    /// For each class (index = class id - 1), seconds since its least recently used live item
    /// was last accessed (`age` in `stats items`).
    pub fn class_ages(&self) -> Vec<u64> {
        let now = self.clock.now();
        let mut oldest = vec![u64::MAX; self.slabs.classes.len()];
        for shard in self.shards.iter() {
            let shard = shard.lock().unwrap_or_else(|p| p.into_inner());
            for slot in shard.slots.iter().filter(|s| !s.key.is_empty()) {
                if let Some(o) = oldest.get_mut(usize::from(slot.placement.class).wrapping_sub(1)) {
                    *o = (*o).min(slot.accessed_at);
                }
            }
        }
        oldest
            .into_iter()
            .map(|t| {
                if t == u64::MAX {
                    0
                } else {
                    now.saturating_sub(t)
                }
            })
            .collect()
    }
}
