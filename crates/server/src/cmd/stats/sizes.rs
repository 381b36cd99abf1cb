//! `stats sizes`: memcached's item size histogram, off until `stats sizes_enable`; then the
//! items stored since, by size rounded up to 32 bytes.

use super::{Stat, StatsGroup};
use crate::{Session, Shared};

/// The size histogram's status (`stats sizes`).
#[derive(Debug, Clone, Copy)]
pub struct Sizes;

impl StatsGroup for Sizes {
    fn name(&self) -> &'static str {
        "sizes"
    }

    fn collect(&self, shared: &Shared, _session: &Session) -> Vec<Stat> {
        let sizes = &shared.store.slabs.sizes;
        if !sizes.enabled() {
            return vec![Stat::new("sizes_status", "disabled")];
        }
        sizes
            .snapshot()
            .into_iter()
            .map(|(bucket, n)| Stat::new(bucket.to_string(), n))
            .collect()
    }
}
