//! `stats sizes`: memcached's item size histogram, off unless enabled at start; memshark's is
//! always off, and says so as memcached does.

use super::{Stat, StatsGroup};
use crate::{Session, Shared};

/// The size histogram's status (`stats sizes`).
#[derive(Debug, Clone, Copy)]
pub struct Sizes;

impl StatsGroup for Sizes {
    fn name(&self) -> &'static str {
        "sizes"
    }

    fn collect(&self, _shared: &Shared, _session: &Session) -> Vec<Stat> {
        vec![Stat::new("sizes_status", "disabled")]
    }
}
