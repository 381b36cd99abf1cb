//! Per-prefix counters (`stats detail on|off|dump`): for keys holding the delimiter `:`, the
//! part before it counts gets, hits, sets and deletes, as memcached's `stats_prefix` does.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Most prefixes remembered; past it new prefixes are not counted (the table stays bounded).
pub const MAX_PREFIXES: usize = 65_536;

/// What happened to a key, for its prefix's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A get, and whether it hit.
    Get(bool),
    /// A store.
    Set,
    /// A delete.
    Delete,
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    get: u64,
    hit: u64,
    set: u64,
    del: u64,
}

/// The prefixes in the order first seen, and their counts.
type Table = (Vec<Vec<u8>>, HashMap<Vec<u8>, Counts>);

/// The per-prefix table; off until `stats detail on`.
#[derive(Debug, Default)]
pub struct Detail {
    enabled: AtomicBool,
    table: Mutex<Table>,
}

impl Detail {
    /// Turns counting on or off (what was counted stays).
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }

    /// Whether counting is on.
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Counts `event` for `key`'s prefix, if counting is on and the key has one.
    pub fn record(&self, key: &[u8], event: Event) {
        if !self.enabled() {
            return;
        }
        let Some(end) = key.iter().position(|&b| b == b':') else {
            return;
        };
        let prefix = &key[..end];
        let mut guard = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let (order, table) = &mut *guard;
        if !table.contains_key(prefix) {
            if table.len() >= MAX_PREFIXES {
                return;
            }
            order.push(prefix.to_vec());
            table.insert(prefix.to_vec(), Counts::default());
        }
        if let Some(c) = table.get_mut(prefix) {
            match event {
                Event::Get(hit) => {
                    c.get += 1;
                    c.hit += u64::from(hit);
                }
                Event::Set => c.set += 1,
                Event::Delete => c.del += 1,
            }
        }
    }

    /// memcached's dump: a `PREFIX` line per prefix, then `END`.
    pub fn dump(&self) -> String {
        let guard = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let (order, table) = &*guard;
        let mut out = String::new();
        for prefix in order.iter().rev() {
            if let Some(c) = table.get(prefix) {
                let _ = write!(
                    out,
                    "PREFIX {} get {} hit {} set {} del {}\r\n",
                    String::from_utf8_lossy(prefix),
                    c.get,
                    c.hit,
                    c.set,
                    c.del
                );
            }
        }
        out.push_str("END\r\n");
        out
    }

    /// Forgets every prefix (`stats reset`).
    pub fn clear(&self) {
        let mut guard = self.table.lock().unwrap_or_else(|p| p.into_inner());
        guard.0.clear();
        guard.1.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_prefix_when_on() {
        let d = Detail::default();
        d.record(b"a:1", Event::Set);
        d.set_enabled(true);
        d.record(b"a:1", Event::Set);
        d.record(b"a:2", Event::Get(true));
        d.record(b"a:3", Event::Get(false));
        d.record(b"nokey", Event::Delete);
        assert_eq!(d.dump(), "PREFIX a get 2 hit 1 set 1 del 0\r\nEND\r\n");
    }
}
