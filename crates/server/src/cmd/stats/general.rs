//! `stats`: the process, the counters and the store's usage.

use super::{Stat, StatsGroup};
use crate::{Session, Shared};

/// The general statistics (plain `stats`).
#[derive(Debug, Clone, Copy)]
pub struct General;

impl StatsGroup for General {
    fn name(&self) -> &'static str {
        ""
    }

    fn collect(&self, shared: &Shared, _session: &Session) -> Vec<Stat> {
        let store = &shared.store;
        let now = store.clock.now();
        let uptime = shared.info.started.elapsed().as_secs();
        let (items, bytes) = store.usage();
        let threads = shared.config.threads;
        let mut stats = vec![
            Stat::new("pid", std::process::id()),
            Stat::new("uptime", uptime),
            Stat::new("time", now),
            Stat::new("version", shared.info.version),
            Stat::new("libevent", "tokio"),
            Stat::new("pointer_size", usize::BITS),
            Stat::new("threads", threads),
        ];
        for (name, value) in store.counters.snapshot() {
            stats.push(Stat::new(name, value));
        }
        stats.push(Stat::new("limit_maxbytes", store.memory_limit()));
        stats.push(Stat::new("curr_items", items));
        stats.push(Stat::new("bytes", bytes));
        stats
    }
}
