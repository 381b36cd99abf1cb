//! One shard of the store: a map from key to slot, and the slots in an intrusive LRU list.
//!
//! The map is keyed by bytes from the network, so it hashes with a randomly seeded hasher
//! (foldhash): a client cannot compute keys that collide and turn lookups into scans.

use std::collections::HashMap;

use bytes::Bytes;
use foldhash::fast::RandomState;

/// Memory charged per item beyond its key and value, close to memcached's item header.
pub const ITEM_OVERHEAD: usize = 56;

/// The end of the LRU list.
pub(super) const NIL: usize = usize::MAX;

/// A stored item and its place in the LRU list.
#[derive(Debug)]
pub(super) struct Slot {
    pub(super) key: Bytes,
    pub(super) value: Bytes,
    pub(super) flags: u32,
    pub(super) expires_at: u64,
    pub(super) stored_at: u64,
    pub(super) cas: u64,
    pub(super) prev: usize,
    pub(super) next: usize,
}

impl Slot {
    /// The memory charged for the item.
    pub(super) fn size(&self) -> usize {
        self.key.len() + self.value.len() + ITEM_OVERHEAD
    }
}

/// One shard: a map from key to slot, and slots in an intrusive LRU list (head = most recent).
#[derive(Debug, Default)]
pub(super) struct Shard {
    pub(super) map: HashMap<Bytes, usize, RandomState>,
    pub(super) slots: Vec<Slot>,
    pub(super) free: Vec<usize>,
    pub(super) head: Option<usize>,
    pub(super) tail: Option<usize>,
    pub(super) used: usize,
}

impl Shard {
    fn unlink(&mut self, i: usize) {
        let (prev, next) = (self.slots[i].prev, self.slots[i].next);
        if prev != NIL {
            self.slots[prev].next = next;
        } else {
            self.head = (next != NIL).then_some(next);
        }
        if next != NIL {
            self.slots[next].prev = prev;
        } else {
            self.tail = (prev != NIL).then_some(prev);
        }
        self.slots[i].prev = NIL;
        self.slots[i].next = NIL;
    }

    fn push_front(&mut self, i: usize) {
        self.slots[i].prev = NIL;
        self.slots[i].next = self.head.unwrap_or(NIL);
        if let Some(h) = self.head {
            self.slots[h].prev = i;
        }
        self.head = Some(i);
        if self.tail.is_none() {
            self.tail = Some(i);
        }
    }

    /// Marks slot `i` most recently used.
    pub(super) fn touch(&mut self, i: usize) {
        if self.head != Some(i) {
            self.unlink(i);
            self.push_front(i);
        }
    }

    /// Drops slot `i` from the map, the list and the memory charged.
    pub(super) fn remove(&mut self, i: usize) {
        self.unlink(i);
        let slot = &mut self.slots[i];
        self.used -= slot.key.len() + slot.value.len() + ITEM_OVERHEAD;
        let key = std::mem::take(&mut slot.key);
        slot.value = Bytes::new();
        self.map.remove(&key);
        self.free.push(i);
    }

    /// Adds an item as the most recently used; its slot index.
    pub(super) fn insert(&mut self, slot: Slot) -> usize {
        self.used += slot.size();
        let key = slot.key.clone();
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i] = slot;
                i
            }
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        };
        self.map.insert(key, i);
        self.push_front(i);
        i
    }
}
