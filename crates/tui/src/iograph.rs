//! The I/O graph's numbers (Wireshark's *Statistics → I/O Graphs*): requests per second,
//! errors per second and p99 latency in equal slices of the whole capture's time, for all
//! traffic and for the rows the filter shows.

use crate::timeline::store::{Store, ERROR, NONE};
use crate::timeline::Txn;

/// The shortest slice of time (captures have microseconds).
const MIN_SLICE: u64 = 1_000;

/// Latency bins: 8 per power of two (about 9% wide), 64 powers.
const SUB: u32 = 8;
const BINS: usize = 64 * SUB as usize;

/// The bin of a latency.
fn bin(ns: u64) -> usize {
    if ns < u64::from(SUB) {
        return ns as usize;
    }
    let bits = 64 - ns.leading_zeros(); // ≥ 4
    let sub = (ns >> (bits - 4)) & u64::from(SUB - 1);
    ((bits - 3) * SUB + sub as u32) as usize
}

/// The smallest latency a bin holds (its upper neighbour's lower bound minus one is its top).
fn bin_floor(b: usize) -> u64 {
    let b = b as u32;
    if b < SUB {
        return u64::from(b);
    }
    let bits = b / SUB + 3;
    let sub = u64::from(b % SUB);
    (u64::from(SUB) | sub) << (bits - 4)
}

/// One series: per slice, requests, errors and the latency bins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// Requests started in each slice.
    pub requests: Vec<u32>,
    /// Transactions that failed, per slice.
    pub errors: Vec<u32>,
    /// p99 latency of each slice (ns), when any latency is known.
    pub p99: Vec<Option<u64>>,
}

impl Series {
    fn build<'a>(txns: impl Iterator<Item = &'a Txn>, start: u64, slice: u64, n: usize) -> Series {
        let mut requests = vec![0u32; n];
        let mut errors = vec![0u32; n];
        let mut bins: Vec<Option<Box<[u32; BINS]>>> = vec![None; n];
        for t in txns {
            let i = ((t.ts_ns.saturating_sub(start)) / slice).min(n as u64 - 1) as usize;
            if t.req != NONE {
                requests[i] = requests[i].saturating_add(1);
            }
            if t.has(ERROR) {
                errors[i] = errors[i].saturating_add(1);
            }
            if let Some(l) = t.latency() {
                let b = bins[i].get_or_insert_with(|| Box::new([0; BINS]));
                b[bin(l)] += 1;
            }
        }
        let p99 = bins
            .iter()
            .map(|b| {
                let b = b.as_ref()?;
                let total: u64 = b.iter().map(|&c| u64::from(c)).sum();
                let want = (total * 99).div_ceil(100);
                let mut seen = 0u64;
                b.iter().enumerate().find_map(|(i, &c)| {
                    seen += u64::from(c);
                    (seen >= want && c > 0).then(|| bin_floor(i))
                })
            })
            .collect();
        Series {
            requests,
            errors,
            p99,
        }
    }
}

/// The graph's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoGraph {
    /// The first transaction's time (ns since the epoch).
    pub start_ns: u64,
    /// How long a slice is (ns, at least 1 ms).
    pub slice_ns: u64,
    /// Everything stored.
    pub all: Series,
    /// The rows the filter shows.
    pub filtered: Series,
}

impl IoGraph {
    /// The graph of `store` in at most `slices` slices (at least one, each at least a
    /// microsecond), `shown` being the rows the filter passes.
    pub fn of(store: &Store, shown: &[u32], slices: usize) -> IoGraph {
        let txns = store.txns();
        let (lo, hi) = txns.iter().fold((u64::MAX, 0), |(lo, hi), t| {
            (lo.min(t.ts_ns), hi.max(t.ts_ns))
        });
        let start = if lo == u64::MAX { 0 } else { lo };
        let span = hi.saturating_sub(start) + 1;
        // Slices of at least a microsecond: a short capture gets fewer of them.
        let n = slices.min(span.div_ceil(MIN_SLICE) as usize).max(1);
        let slice = span.div_ceil(n as u64).max(MIN_SLICE);
        let n = span.div_ceil(slice) as usize;
        let all = Series::build(txns.iter(), start, slice, n);
        let filtered = Series::build(
            shown.iter().filter_map(|&r| txns.get(r as usize)),
            start,
            slice,
            n,
        );
        IoGraph {
            start_ns: start,
            slice_ns: slice,
            all,
            filtered,
        }
    }

    /// How many slices.
    pub fn len(&self) -> usize {
        self.all.requests.len()
    }

    /// Whether there are none (never: there is always one).
    pub fn is_empty(&self) -> bool {
        self.all.requests.is_empty()
    }

    /// A count per slice as a rate per second.
    pub fn per_second(&self, count: u32) -> f64 {
        f64::from(count) * 1e9 / self.slice_ns as f64
    }

    /// When slice `i` starts (ns since the epoch).
    pub fn time_of(&self, i: usize) -> u64 {
        self.start_ns + self.slice_ns * i as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_bins_are_ordered_and_within_a_ninth() {
        let mut last = 0;
        for ns in [
            0u64,
            1,
            7,
            8,
            9,
            15,
            16,
            100,
            999,
            1_000_000,
            123_456_789,
            u64::MAX / 2,
        ] {
            let b = bin(ns);
            assert!(b >= last, "{ns}");
            last = b;
            let f = bin_floor(b);
            assert!(f <= ns && ns - f <= ns / 8 + 1, "{ns}: floor {f}");
        }
        assert!(bin(u64::MAX) < BINS);
    }
}
