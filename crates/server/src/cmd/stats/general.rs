//! `stats`: the process, the counters and the store's usage, with memcached's names and in its
//! order. Figures memshark has no counterpart for (rusage, memcached's buffer pools, its hash
//! table) are left out rather than invented.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use super::{Stat, StatsGroup};
use crate::{Session, Shared};

/// The general statistics (plain `stats`).
#[derive(Debug, Clone, Copy)]
pub struct General;

/// The counters listed before `limit_maxbytes`, in memcached's order.
const COUNTERS: &[&str] = &[
    "cmd_get",
    "cmd_set",
    "cmd_flush",
    "cmd_touch",
    "cmd_meta",
    "get_hits",
    "get_misses",
    "get_expired",
    "get_flushed",
    "delete_misses",
    "delete_hits",
    "incr_misses",
    "incr_hits",
    "decr_misses",
    "decr_hits",
    "cas_misses",
    "cas_hits",
    "cas_badval",
    "touch_hits",
    "touch_misses",
    "store_too_large",
    "store_no_memory",
    "auth_cmds",
    "auth_errors",
    "bytes_read",
    "bytes_written",
];

impl StatsGroup for General {
    fn name(&self) -> &'static str {
        ""
    }

    fn collect(&self, shared: &Shared, _session: &Session) -> Vec<Stat> {
        let store = &shared.store;
        let now = store.clock.now();
        let uptime = shared.info.started.elapsed().as_secs();
        let (items, bytes) = store.usage();
        let counters: HashMap<&str, u64> = store.counters.snapshot().into_iter().collect();
        let counter = |name: &str| counters.get(name).copied().unwrap_or(0);
        let classes = |f: fn(&crate::storage::slabs::ClassCounters) -> u64| -> u64 {
            store.slabs.iter().map(|(_, c)| f(c)).sum()
        };
        let mut stats = vec![
            Stat::new("pid", std::process::id()),
            Stat::new("uptime", uptime),
            Stat::new("time", now),
            Stat::new("version", shared.info.version),
            Stat::new("libevent", "tokio"),
            Stat::new("pointer_size", usize::BITS),
            Stat::new("max_connections", shared.config.max_connections),
        ];
        for name in [
            "curr_connections",
            "total_connections",
            "rejected_connections",
        ] {
            stats.push(Stat::new(name, counter(name)));
        }
        for &name in COUNTERS {
            stats.push(Stat::new(name, counter(name)));
        }
        stats.push(Stat::new("limit_maxbytes", store.memory_limit()));
        stats.push(Stat::new("accepting_conns", 1));
        stats.push(Stat::new("listen_disabled_num", 0));
        stats.push(Stat::new("threads", shared.config.threads));
        stats.push(Stat::new("slabs_moved", counter("slabs_moved")));
        stats.push(Stat::new("malloc_fails", 0));
        stats.push(Stat::new("log_watchers", store.log.watchers()));
        stats.push(Stat::new("bytes", bytes));
        stats.push(Stat::new("curr_items", items));
        stats.push(Stat::new("total_items", counter("total_items")));
        stats.push(Stat::new(
            "expired_unfetched",
            classes(|c| c.expired_unfetched.load(Ordering::Relaxed)),
        ));
        stats.push(Stat::new(
            "evicted_unfetched",
            classes(|c| c.evicted_unfetched.load(Ordering::Relaxed)),
        ));
        stats.push(Stat::new("evictions", counter("evictions")));
        stats.push(Stat::new("reclaimed", counter("reclaimed")));
        stats
    }
}
