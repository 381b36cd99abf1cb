//! The stats screen's numbers, recomputed at most once a second.

use std::time::{Duration, Instant};

use memshark_traffic::summary::TrafficStats;

use crate::stats_view::{snapshot, Snapshot};

/// How many keys, clients and errors the stats screen lists.
pub const TOP: usize = 10;

/// The stats screen's last [`Snapshot`]: top-N over up to a million keys is too dear for
/// every frame, so it is taken again only when traffic came in and a second has passed (at
/// once when the source has ended).
#[derive(Debug, Default)]
pub struct StatsPane {
    at: Option<Instant>,
    ingested: u64,
    snap: Snapshot,
}

impl StatsPane {
    /// Takes a new snapshot of `stats` if the last is stale: `ingested` (messages taken in so
    /// far) moved on, and a second has passed or the source has `ended`.
    pub fn refresh(&mut self, stats: &TrafficStats, ingested: u64, ended: bool) {
        let changed = self.at.is_none() || self.ingested != ingested;
        let due = ended
            || self
                .at
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
        if changed && due {
            self.snap = snapshot(stats, TOP);
            self.at = Some(Instant::now());
            self.ingested = ingested;
        }
    }

    /// The last snapshot (empty before the first [`StatsPane::refresh`]).
    pub fn snapshot(&self) -> &Snapshot {
        &self.snap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_is_taken_at_once_then_at_most_once_a_second() {
        let mut p = StatsPane::default();
        let mut stats = TrafficStats::default();
        p.refresh(&stats, 0, false);
        assert_eq!(p.snapshot().lookups, (0, 0));
        stats.lookups = 3;
        p.refresh(&stats, 5, false);
        assert_eq!(p.snapshot().lookups, (0, 0), "within the second: kept");
        p.refresh(&stats, 5, true);
        assert_eq!(p.snapshot().lookups, (0, 3), "ended: at once");
    }
}
