//! `stats slabs`: each slab class with pages, its chunks and what was done to its items, then
//! the totals, as memcached lists them (only classes that were given a page).

use std::sync::atomic::Ordering;

use super::{Stat, StatsGroup};
use crate::storage::slabs::PAGE_SIZE;
use crate::{Session, Shared};

/// The slab classes (`stats slabs`).
#[derive(Debug, Clone, Copy)]
pub struct Slabs;

impl StatsGroup for Slabs {
    fn name(&self) -> &'static str {
        "slabs"
    }

    fn collect(&self, shared: &Shared, _session: &Session) -> Vec<Stat> {
        let slabs = &shared.store.slabs;
        let mut stats = Vec::new();
        let (mut active, mut pages_total) = (0u64, 0u64);
        for (id, c) in slabs.iter() {
            let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
            let pages = load(&c.total_pages);
            if pages == 0 {
                continue;
            }
            active += 1;
            pages_total += pages;
            let per_page = slabs.classes.per_page(id) as u64;
            let total_chunks = pages * per_page;
            let used = load(&c.used_chunks).min(total_chunks);
            let mut put =
                |name: &str, value: u64| stats.push(Stat::new(format!("{id}:{name}"), value));
            put("chunk_size", slabs.classes.chunk_size(id) as u64);
            put("chunks_per_page", per_page);
            put("total_pages", pages);
            put("total_chunks", total_chunks);
            put("used_chunks", used);
            put("free_chunks", total_chunks - used);
            put("free_chunks_end", 0);
            put("get_hits", load(&c.get_hits));
            put("cmd_set", load(&c.cmd_set));
            put("delete_hits", load(&c.delete_hits));
            put("incr_hits", load(&c.incr_hits));
            put("decr_hits", load(&c.decr_hits));
            put("cas_hits", load(&c.cas_hits));
            put("cas_badval", load(&c.cas_badval));
            put("touch_hits", load(&c.touch_hits));
        }
        stats.push(Stat::new("active_slabs", active));
        stats.push(Stat::new("total_malloced", pages_total * PAGE_SIZE as u64));
        stats
    }
}
