//! # memshark-latency
//!
//! One latency histogram for every memshark report. `memshark stats`, `load`, `replay`, the
//! proxy's stats line and the terminal UI all record into a [`LatencyHistogram`], so a p99 means
//! the same everywhere: the same bounds ([`LOWEST_US`] to [`HIGHEST_US`]), the same precision
//! ([`SIGNIFICANT_DIGITS`]), and the same JSON names ([`Percentiles::to_json`]).
//!
//! ```
//! use memshark_latency::LatencyHistogram;
//!
//! let mut h = LatencyHistogram::new();
//! for us in [100, 200, 300, 400, 10_000] {
//!     h.record_us(us);
//! }
//! let p = h.percentiles().expect("not empty");
//! assert_eq!(p.p50_us, 300);
//! assert_eq!(p.max_us, 10_007); // three significant digits: within 0.1%
//! assert_eq!(p.to_json()["p99_us"], 10_007);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use hdrhistogram::Histogram;

/// Smallest latency told apart, in microseconds; anything below is counted as this.
pub const LOWEST_US: u64 = 1;

/// Largest latency recorded, in microseconds (one hour); anything above is counted as this.
pub const HIGHEST_US: u64 = 3_600_000_000;

/// Precision: values are kept to this many significant decimal digits (within 0.1%).
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// A latency histogram in microseconds with memshark's fixed bounds and precision.
///
/// Recording saturates at the bounds instead of failing, so no input can make it panic or
/// grow: its memory is fixed at creation (about 190 KB).
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    inner: Histogram<u64>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram::new()
    }
}

impl LatencyHistogram {
    /// An empty histogram.
    pub fn new() -> LatencyHistogram {
        let inner = Histogram::new_with_bounds(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
            .unwrap_or_else(|_| unreachable!("the bounds are constants that hdrhistogram accepts"));
        LatencyHistogram { inner }
    }

    /// Records one latency in microseconds (clamped to the bounds).
    #[inline]
    pub fn record_us(&mut self, us: u64) {
        self.inner
            .saturating_record(us.clamp(LOWEST_US, HIGHEST_US));
    }

    /// Records one latency in nanoseconds.
    #[inline]
    pub fn record_ns(&mut self, ns: u64) {
        self.record_us(ns / 1_000);
    }

    /// Records one latency given as a [`std::time::Duration`].
    #[inline]
    pub fn record(&mut self, latency: std::time::Duration) {
        self.record_us(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.inner.add(&other.inner);
    }

    /// Forgets every value.
    pub fn reset(&mut self) {
        self.inner.reset();
    }

    /// Values recorded.
    pub fn len(&self) -> u64 {
        self.inner.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The value at quantile `q` (0.0–1.0), in microseconds; 0 when empty.
    pub fn value_at_quantile(&self, q: f64) -> u64 {
        self.inner.value_at_quantile(q)
    }

    /// The largest value recorded, in microseconds; 0 when empty.
    pub fn max_us(&self) -> u64 {
        self.inner.max()
    }

    /// The smallest value recorded, in microseconds; 0 when empty.
    pub fn min_us(&self) -> u64 {
        self.inner.min()
    }

    /// The mean, in microseconds; 0.0 when empty.
    pub fn mean_us(&self) -> f64 {
        self.inner.mean()
    }

    /// The percentiles every report shows, or `None` when nothing was recorded.
    pub fn percentiles(&self) -> Option<Percentiles> {
        (!self.is_empty()).then(|| Percentiles {
            p50_us: self.value_at_quantile(0.5),
            p90_us: self.value_at_quantile(0.9),
            p99_us: self.value_at_quantile(0.99),
            p999_us: self.value_at_quantile(0.999),
            max_us: self.max_us(),
        })
    }

    /// Every distinct recorded value (in µs, to the histogram's precision) with its count, in
    /// increasing order: what a drawn histogram buckets.
    pub fn recorded(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.inner
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_since_last_iteration()))
    }

    /// The underlying [`hdrhistogram::Histogram`], for what this type does not offer.
    pub fn as_hdr(&self) -> &Histogram<u64> {
        &self.inner
    }
}

/// The percentiles of a [`LatencyHistogram`], in microseconds, named as every JSON report
/// names them. The default is all zeros: what a report shows for an op nothing answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Percentiles {
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Largest value.
    pub max_us: u64,
}

impl Percentiles {
    /// The JSON form used by every report: `{"p50_us", "p90_us", "p99_us", "p999_us",
    /// "max_us"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "p50_us": self.p50_us,
            "p90_us": self.p90_us,
            "p99_us": self.p99_us,
            "p999_us": self.p999_us,
            "max_us": self.max_us,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_outside_the_bounds_saturate_instead_of_failing() {
        let mut h = LatencyHistogram::new();
        h.record_us(0);
        h.record_us(u64::MAX);
        h.record_ns(5);
        assert_eq!(h.len(), 3);
        assert_eq!(h.min_us(), LOWEST_US);
        assert!(h.max_us() >= HIGHEST_US);
    }

    #[test]
    fn merge_adds_counts() {
        let (mut a, mut b) = (LatencyHistogram::new(), LatencyHistogram::new());
        a.record_us(10);
        b.record_us(1_000);
        b.record_us(1_000);
        a.merge(&b);
        assert_eq!(a.len(), 3);
        assert_eq!(a.percentiles().map(|p| p.p50_us), Some(1_000));
    }

    #[test]
    fn recorded_lists_each_value_once_with_its_count() {
        let mut h = LatencyHistogram::new();
        for us in [5, 5, 900, 5] {
            h.record_us(us);
        }
        assert_eq!(h.recorded().collect::<Vec<_>>(), [(5, 3), (900, 1)]);
    }

    #[test]
    fn empty_has_no_percentiles_and_reset_empties() {
        let mut h = LatencyHistogram::new();
        assert!(h.percentiles().is_none());
        h.record_us(7);
        h.reset();
        assert!(h.is_empty());
    }

    #[test]
    fn json_names_are_the_same_everywhere() {
        let mut h = LatencyHistogram::new();
        h.record_us(42);
        let json = h.percentiles().map(|p| p.to_json()).unwrap_or_default();
        let mut keys: Vec<_> = json
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        assert_eq!(keys, ["max_us", "p50_us", "p90_us", "p999_us", "p99_us"]);
    }
}
