//! One shard of the store: a map from key to slot, and the slots in an intrusive LRU list.
//!
//! The map is keyed by bytes from the network, so it hashes with a randomly seeded hasher
//! (foldhash): a client cannot compute keys that collide and turn lookups into scans.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use foldhash::fast::RandomState;

use super::slabs::{item_total, Placement, SlabStats};

/// Bytes memcached accounts per item beyond its key and value (header, CAS, the key's NUL and
/// the value's `\r\n`; 4 more when its client flags are not 0).
pub const ITEM_OVERHEAD: usize = item_total(0, 0, 0);

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
    /// When it was last read or written (unix seconds).
    pub(super) accessed_at: u64,
    /// Whether a get has read it since it was stored.
    pub(super) fetched: bool,
    /// Meta: a client has been handed the right to recache it (`W` sent).
    pub(super) token_sent: bool,
    /// Meta: invalidated by `md … I`, still served, marked stale (`X`).
    pub(super) stale: bool,
    /// Its slab class and chunks.
    pub(super) placement: Placement,
    /// Counted in the size histogram (stored while it was on).
    pub(super) sized: bool,
    pub(super) prev: usize,
    pub(super) next: usize,
}

impl Slot {
    /// The bytes memcached accounts the item at (`ITEM_ntotal`).
    pub(super) fn total(&self) -> usize {
        item_total(self.key.len(), self.value.len(), self.flags)
    }
}

/// One shard: a map from key to slot, and slots in an intrusive LRU list (head = most recent).
#[derive(Debug)]
pub(super) struct Shard {
    pub(super) map: HashMap<Bytes, usize, RandomState>,
    pub(super) slots: Vec<Slot>,
    pub(super) free: Vec<usize>,
    pub(super) head: Option<usize>,
    pub(super) tail: Option<usize>,
    /// Memory charged: the chunks its items take.
    pub(super) used: usize,
    /// The per-class figures every shard of the store updates.
    pub(super) slabs: Arc<SlabStats>,
}

impl Shard {
    /// An empty shard accounting into `slabs`.
    pub(super) fn new(slabs: Arc<SlabStats>) -> Shard {
        Shard {
            map: HashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            head: None,
            tail: None,
            used: 0,
            slabs,
        }
    }

    /// Gives slot `i` a new value of the same item (a counter rewritten), moving it to the
    /// class the new size needs.
    pub(super) fn set_value(&mut self, i: usize, value: Bytes) {
        let (placement, total) = {
            let slot = &self.slots[i];
            (slot.placement, slot.total())
        };
        self.used -= placement.charge(&self.slabs.classes);
        self.slabs.remove_item(&placement, total);
        if self.slots[i].sized {
            self.slabs.sizes.count(total, false);
        }
        let slot = &mut self.slots[i];
        slot.value = value;
        let total = slot.total();
        if let Some(placement) = self.slabs.classes.place(slot.key.len(), slot.flags, total) {
            slot.placement = placement;
        }
        let placement = slot.placement;
        slot.sized = self.slabs.sizes.count(total, true);
        self.used += placement.charge(&self.slabs.classes);
        self.slabs.add_item(&placement, total);
    }

    /// Drops every item.
    pub(super) fn clear(&mut self) {
        while let Some(t) = self.tail {
            self.remove(t);
        }
    }

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
    pub(super) fn touch(&mut self, i: usize, now: u64) {
        self.slots[i].accessed_at = now;
        if self.head != Some(i) {
            self.unlink(i);
            self.push_front(i);
        }
    }

    /// Drops slot `i` from the map, the list and the memory charged.
    pub(super) fn remove(&mut self, i: usize) {
        self.unlink(i);
        let (placement, total) = {
            let slot = &self.slots[i];
            (slot.placement, slot.total())
        };
        self.used -= placement.charge(&self.slabs.classes);
        self.slabs.remove_item(&placement, total);
        if self.slots[i].sized {
            self.slabs.sizes.count(total, false);
        }
        let slot = &mut self.slots[i];
        let key = std::mem::take(&mut slot.key);
        slot.value = Bytes::new();
        self.map.remove(&key);
        self.free.push(i);
    }

    /// Adds an item as the most recently used; its slot index.
    pub(super) fn insert(&mut self, slot: Slot) -> usize {
        self.used += slot.placement.charge(&self.slabs.classes);
        self.slabs.add_item(&slot.placement, slot.total());
        let mut slot = slot;
        slot.sized = self.slabs.sizes.count(slot.total(), true);
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
