//! `stats items`: the items of each slab class that holds some (count, age of the least
//! recently used, evictions, memory), in memcached's names and order. memshark keeps one LRU
//! per shard rather than memcached's hot/warm/cold segments: every item counts as cold.

use std::sync::atomic::Ordering;

use super::{Stat, StatsGroup};
use crate::{Session, Shared};

/// The items per slab class (`stats items`).
#[derive(Debug, Clone, Copy)]
pub struct Items;

impl StatsGroup for Items {
    fn name(&self) -> &'static str {
        "items"
    }

    fn collect(&self, shared: &Shared, _session: &Session) -> Vec<Stat> {
        let store = &shared.store;
        let ages = store.class_ages();
        let mut stats = Vec::new();
        for (id, c) in store.slabs.iter() {
            let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
            let number = load(&c.number);
            if number == 0 {
                continue;
            }
            let age = ages.get(id - 1).copied().unwrap_or(0);
            let mut put =
                |name: &str, value: u64| stats.push(Stat::new(format!("items:{id}:{name}"), value));
            put("number", number);
            put("number_hot", 0);
            put("number_warm", 0);
            put("number_cold", number);
            put("age_hot", 0);
            put("age_warm", 0);
            put("age", age);
            put("mem_requested", load(&c.mem_requested));
            put("evicted", load(&c.evicted));
            put("evicted_nonzero", load(&c.evicted_nonzero));
            put("evicted_time", load(&c.evicted_time));
            put("outofmemory", load(&c.outofmemory));
            put("tailrepairs", 0);
            put("reclaimed", load(&c.reclaimed));
            put("expired_unfetched", load(&c.expired_unfetched));
            put("evicted_unfetched", load(&c.evicted_unfetched));
            for name in [
                "evicted_active",
                "crawler_reclaimed",
                "crawler_items_checked",
                "lrutail_reflocked",
                "moves_to_cold",
                "moves_to_warm",
                "moves_within_lru",
                "direct_reclaims",
                "hits_to_hot",
                "hits_to_warm",
            ] {
                put(name, 0);
            }
            put("hits_to_cold", load(&c.get_hits));
            put("hits_to_temp", 0);
        }
        stats
    }
}
