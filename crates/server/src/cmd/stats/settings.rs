//! `stats settings`: how the server was configured.

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
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        vec![
            Stat::new("maxbytes", config.store.memory_limit),
            Stat::new("maxconns", config.max_connections),
            Stat::new("tcpport", config.listen.port()),
            Stat::new("udpport", 0),
            Stat::new("interface", config.listen.ip()),
            Stat::new("evictions", "on"),
            Stat::new("cas_enabled", "yes"),
            Stat::new("item_size_max", config.store.max_item_size),
            Stat::new("binding_protocol", "auto-negotiate"),
            Stat::new("sasl_enabled", yes_no(config.sasl.is_some())),
            Stat::new(
                "idle_timeout",
                config.idle_timeout.map_or(0, |d| d.as_secs()),
            ),
        ]
    }
}
