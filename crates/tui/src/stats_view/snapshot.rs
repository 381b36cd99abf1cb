//! The stats screen's numbers, computed from the traffic totals.

use memshark_traffic::summary::TrafficStats;

use super::LATENCY_BUCKETS;
use crate::timeline::fields::printable;

/// What the stats screen shows, computed from the app's totals.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// (op, requests, answered, p50, p90, p99, p99.9, max) in µs, busiest first.
    pub ops: Vec<(&'static str, u64, u64, [u64; 5])>,
    /// Requests per latency bucket ([`LATENCY_BUCKETS`]).
    pub histogram: Vec<u64>,
    /// Top keys by calls: (key, calls, bytes).
    pub keys_by_calls: Vec<(String, u64, u64)>,
    /// Top keys by bytes.
    pub keys_by_bytes: Vec<(String, u64, u64)>,
    /// Top clients.
    pub clients: Vec<(String, u64)>,
    /// Errors by name.
    pub errors: Vec<(&'static str, u64)>,
    /// Hit ratio.
    pub hit_ratio: Option<f64>,
    /// (hits, lookups).
    pub lookups: (u64, u64),
    /// Seconds of traffic.
    pub seconds: f64,
}

/// Computes the snapshot of `s`, listing the `top` busiest keys, clients and errors.
pub fn snapshot(s: &TrafficStats, top: usize) -> Snapshot {
    let mut ops: Vec<_> = s
        .ops
        .iter()
        .map(|(name, o)| {
            let h = &o.latency;
            let q = |x: f64| {
                if h.is_empty() {
                    0
                } else {
                    h.value_at_quantile(x)
                }
            };
            (
                *name,
                o.requests,
                o.answered,
                [q(0.5), q(0.9), q(0.99), q(0.999), h.max_us()],
            )
        })
        .collect();
    ops.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut histogram = vec![0u64; LATENCY_BUCKETS.len()];
    for o in s.ops.values() {
        for (us, count) in o.latency.recorded() {
            let i = LATENCY_BUCKETS
                .iter()
                .position(|(hi, _)| us < *hi)
                .unwrap_or(LATENCY_BUCKETS.len() - 1);
            histogram[i] += count;
        }
    }
    let key = |k: &bytes::Bytes| printable(k);
    Snapshot {
        ops,
        histogram,
        keys_by_calls: s
            .top_keys(top, false)
            .iter()
            .map(|(k, v)| (key(k), v.0, v.1))
            .collect(),
        keys_by_bytes: s
            .top_keys(top, true)
            .iter()
            .map(|(k, v)| (key(k), v.0, v.1))
            .collect(),
        clients: s
            .top_clients(top)
            .iter()
            .map(|(c, n)| (c.to_string(), *n))
            .collect(),
        errors: s.top_errors(top),
        hit_ratio: s.hit_ratio(),
        lookups: (s.hits, s.lookups),
        seconds: s.span.map_or(0.0, |(a, b)| (b - a) as f64 / 1e9),
    }
}
