//! `stats settings`: how the server was configured, with memcached's names and in its order.
//! Settings memshark has no counterpart for are left out rather than invented.

use std::sync::atomic::Ordering;

use super::{Stat, StatsGroup};
use crate::{Session, Shared};

/// The configuration (`stats settings`).
#[derive(Debug, Clone, Copy)]
pub struct Settings;

impl StatsGroup for Settings {
    fn name(&self) -> &'static str {
        "settings"
    }

    fn collect(&self, shared: &Shared, _session: &Session) -> Vec<Stat> {
        let config = &shared.config;
        let runtime = &shared.runtime;
        let store = &shared.store;
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        vec![
            Stat::new("maxbytes", store.memory_limit()),
            Stat::new("maxconns", config.max_connections),
            Stat::new("tcpport", config.listen.port()),
            Stat::new("udpport", config.udp_port),
            Stat::new("inter", config.listen.ip()),
            Stat::new("verbosity", runtime.verbosity.load(Ordering::Relaxed)),
            Stat::new("oldest", 0),
            Stat::new("evictions", "on"),
            Stat::new("domain_socket", "NULL"),
            Stat::new("umask", 700),
            Stat::new("shutdown_command", yes_no(config.enable_shutdown)),
            Stat::new("growth_factor", format!("{:.2}", config.store.slabs.factor)),
            Stat::new("chunk_size", config.store.slabs.min_space),
            Stat::new("num_threads", config.threads),
            Stat::new("num_threads_per_udp", config.threads),
            Stat::new("stat_key_prefix", ":"),
            Stat::new("detail_enabled", yes_no(runtime.detail.enabled())),
            Stat::new("cas_enabled", "yes"),
            Stat::new("binding_protocol", "auto-negotiate"),
            Stat::new("auth_enabled_sasl", yes_no(config.sasl.is_some())),
            Stat::new("auth_enabled_ascii", "no"),
            Stat::new("item_size_max", config.store.max_item_size),
            Stat::new("slab_reassign", "yes"),
            Stat::new(
                "slab_automove",
                runtime.slab_automove.load(Ordering::Relaxed),
            ),
            Stat::new("slab_chunk_max", store.slabs.classes.chunk_max()),
            Stat::new("lru_crawler", "yes"),
            Stat::new("flush_enabled", "yes"),
            Stat::new("dump_enabled", "yes"),
            Stat::new(
                "lru_segmented",
                yes_no(!runtime.lru_flat.load(Ordering::Relaxed)),
            ),
            Stat::new("temporary_ttl", runtime.temp_ttl.load(Ordering::Relaxed)),
            Stat::new(
                "idle_timeout",
                config.idle_timeout.map_or(0, |d| d.as_secs()),
            ),
        ]
    }
}
