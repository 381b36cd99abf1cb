//! The counters memcached reports in `stats`, kept as atomics shared by every connection.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

macro_rules! counters {
    ($( $(#[$doc:meta])* $name:ident, )*) => {
        /// Server-wide counters. Each is a relaxed atomic: they are statistics, not
        /// synchronisation.
        #[derive(Debug, Default)]
        pub struct Counters {
            $( $(#[$doc])* pub $name: AtomicU64, )*
        }

        impl Counters {
            /// `(name, value)` for each counter, in memcached's order.
            pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
                vec![ $( (stringify!($name), self.$name.load(Ordering::Relaxed)), )* ]
            }
        }
    };
}

counters! {
    /// Connections open now.
    curr_connections,
    /// Connections accepted since start.
    total_connections,
    /// Connections refused for `--max-connections`.
    rejected_connections,
    /// Retrieval requests (one per key).
    cmd_get,
    /// Storage requests.
    cmd_set,
    /// Flush requests.
    cmd_flush,
    /// Touch requests.
    cmd_touch,
    /// Meta commands as memcached 1.6.18 counts them in `stats`: its text front end never
    /// counts them, so this stays 0.
    cmd_meta,
    /// Keys found.
    get_hits,
    /// Keys not found.
    get_misses,
    /// Keys found expired.
    get_expired,
    /// Keys found flushed.
    get_flushed,
    /// Deletes of missing keys.
    delete_misses,
    /// Deletes of present keys.
    delete_hits,
    /// Increments of missing keys.
    incr_misses,
    /// Increments of present keys.
    incr_hits,
    /// Decrements of missing keys.
    decr_misses,
    /// Decrements of present keys.
    decr_hits,
    /// CAS of missing keys.
    cas_misses,
    /// Successful CAS.
    cas_hits,
    /// CAS with a stale value.
    cas_badval,
    /// Touches of present keys.
    touch_hits,
    /// Touches of missing keys.
    touch_misses,
    /// Values refused as too large.
    store_too_large,
    /// Stores refused for want of memory.
    store_no_memory,
    /// SASL authentication attempts.
    auth_cmds,
    /// Failed SASL authentications.
    auth_errors,
    /// Bytes read from clients.
    bytes_read,
    /// Bytes written to clients.
    bytes_written,
    /// Items ever stored.
    total_items,
    /// Live items evicted to make room.
    evictions,
    /// Expired items whose memory was reused.
    reclaimed,
    /// Pages moved by `slabs reassign`.
    slabs_moved,
}

impl Counters {
    /// Adds one to a counter.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Zeroes what `stats reset` zeroes (all but the gauges).
    pub fn reset(&self) {
        let keep = ["curr_connections"];
        for (name, counter) in self.named() {
            if !keep.contains(&name) {
                counter.store(0, Ordering::Relaxed);
            }
        }
    }

    fn named(&self) -> Vec<(&'static str, &AtomicU64)> {
        vec![
            ("curr_connections", &self.curr_connections),
            ("total_connections", &self.total_connections),
            ("rejected_connections", &self.rejected_connections),
            ("cmd_get", &self.cmd_get),
            ("cmd_set", &self.cmd_set),
            ("cmd_flush", &self.cmd_flush),
            ("cmd_touch", &self.cmd_touch),
            ("cmd_meta", &self.cmd_meta),
            ("get_hits", &self.get_hits),
            ("get_misses", &self.get_misses),
            ("get_expired", &self.get_expired),
            ("get_flushed", &self.get_flushed),
            ("delete_misses", &self.delete_misses),
            ("delete_hits", &self.delete_hits),
            ("incr_misses", &self.incr_misses),
            ("incr_hits", &self.incr_hits),
            ("decr_misses", &self.decr_misses),
            ("decr_hits", &self.decr_hits),
            ("cas_misses", &self.cas_misses),
            ("cas_hits", &self.cas_hits),
            ("cas_badval", &self.cas_badval),
            ("touch_hits", &self.touch_hits),
            ("touch_misses", &self.touch_misses),
            ("store_too_large", &self.store_too_large),
            ("store_no_memory", &self.store_no_memory),
            ("auth_cmds", &self.auth_cmds),
            ("auth_errors", &self.auth_errors),
            ("bytes_read", &self.bytes_read),
            ("bytes_written", &self.bytes_written),
            ("total_items", &self.total_items),
            ("evictions", &self.evictions),
            ("reclaimed", &self.reclaimed),
            ("slabs_moved", &self.slabs_moved),
        ]
    }
}

/// Process-level facts for `stats`.
#[derive(Debug)]
pub struct ProcessInfo {
    /// When the server started.
    pub started: Instant,
    /// The version string reported to clients.
    pub version: &'static str,
}

impl Default for ProcessInfo {
    fn default() -> Self {
        ProcessInfo {
            started: Instant::now(),
            version: VERSION,
        }
    }
}

/// The version memshark's server reports: memcached's protocol level, then memshark's own.
pub const VERSION: &str = concat!("1.6.21-memshark-", env!("CARGO_PKG_VERSION"));
