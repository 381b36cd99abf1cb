//! `memshark stats`: what a capture's traffic amounts to — per-op counts and latency
//! percentiles, the get hit ratio, bytes each way, top keys and clients, errors and the damage
//! a capture can have (gaps, malformed messages, unpaired messages, drops).

use std::collections::BinaryHeap;
use std::net::IpAddr;

use bytes::Bytes;
use memshark_latency::LatencyHistogram;

use crate::dissect::{Kind, Message};
use crate::hash::SeededMap;
use crate::pipeline::PassStats;
use memshark_protocol::op::Op;
use rustc_hash::FxHashMap;

/// Distinct keys tracked for the top-keys tables; past this, new keys are counted together
/// as "other" so memory stays bounded on captures with millions of keys.
pub const MAX_TRACKED_KEYS: usize = 1_000_000;

/// A key as the statistics hold it: up to 30 bytes inline in the table slot itself (a
/// lookup compares it without following a pointer), longer ones on the heap. Hashes, compares
/// and orders as its bytes, so the table is searched with a plain `&[u8]`.
#[derive(Clone)]
pub enum KeyName {
    /// A key of at most 30 bytes.
    Inline {
        /// Its length.
        len: u8,
        /// Its bytes, then zeros.
        bytes: [u8; 30],
    },
    /// A longer key.
    Heap(Box<[u8]>),
}

impl KeyName {
    /// Copies `key`.
    pub fn new(key: &[u8]) -> KeyName {
        if key.len() <= 30 {
            let mut bytes = [0; 30];
            bytes[..key.len()].copy_from_slice(key);
            KeyName::Inline {
                len: key.len() as u8,
                bytes,
            }
        } else {
            KeyName::Heap(key.into())
        }
    }

    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            KeyName::Inline { len, bytes } => &bytes[..usize::from(*len)],
            KeyName::Heap(b) => b,
        }
    }
}

impl std::fmt::Debug for KeyName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl PartialEq for KeyName {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for KeyName {}

impl PartialOrd for KeyName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for KeyName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl std::hash::Hash for KeyName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl std::borrow::Borrow<[u8]> for KeyName {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// What the top tables order equal counts by: the key's own order, which
/// [`order_prefix`](TopKey::order_prefix) settles without comparing keys when it can.
trait TopKey: Ord + Clone {
    /// A number that orders like the key: `a < b` implies `a.order_prefix() <= b.order_prefix()`.
    fn order_prefix(&self) -> u64 {
        0
    }
}

impl TopKey for KeyName {
    /// The first 8 bytes, big-endian, zero-padded: byte strings order like them, and only
    /// keys that share their first 8 bytes need comparing.
    fn order_prefix(&self) -> u64 {
        let mut first = [0; 8];
        let b = self.as_bytes();
        let n = b.len().min(8);
        first[..n].copy_from_slice(&b[..n]);
        u64::from_be_bytes(first)
    }
}

impl TopKey for IpAddr {}

impl TopKey for &'static str {}

/// An entry of a top table, ordered best first: the larger count, then the smaller key.
struct Ranked<'a, K, V> {
    by: u64,
    /// `key.order_prefix()`.
    prefix: u64,
    key: &'a K,
    value: &'a V,
}

impl<'a, K: TopKey, V> Ranked<'a, K, V> {
    fn new(by: u64, key: &'a K, value: &'a V) -> Self {
        Ranked {
            by,
            prefix: key.order_prefix(),
            key,
            value,
        }
    }
}

impl<K: TopKey, V> Ord for Ranked<'_, K, V> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other
            .by
            .cmp(&self.by)
            .then(self.prefix.cmp(&other.prefix))
            .then_with(|| self.key.cmp(other.key))
    }
}

impl<K: TopKey, V> PartialOrd for Ranked<'_, K, V> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<K: TopKey, V> PartialEq for Ranked<'_, K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl<K: TopKey, V> Eq for Ranked<'_, K, V> {}

/// Per-op figures.
#[derive(Debug, Clone)]
pub struct OpStats {
    /// Requests seen.
    pub requests: u64,
    /// Answers paired with a request of this op.
    pub answered: u64,
    /// Latency of paired answers, in microseconds.
    pub latency: LatencyHistogram,
}

impl Default for OpStats {
    fn default() -> Self {
        OpStats {
            requests: 0,
            answered: 0,
            latency: LatencyHistogram::new(),
        }
    }
}

/// The accumulated statistics of a capture.
///
/// The key and client tables are keyed by data from the network and hashed under a random
/// seed ([`SeededMap`]), so they iterate in a different order in every run: the reports list
/// them sorted by count, ties by key (or address) ascending.
#[derive(Debug, Default)]
pub struct TrafficStats {
    /// Per request op, by name (a binary and a text `get` count together).
    pub ops: FxHashMap<&'static str, OpStats>,
    /// Key lookups by get-family requests.
    pub lookups: u64,
    /// Lookups that hit.
    pub hits: u64,
    /// Per key: (requests, value bytes).
    pub keys: SeededMap<KeyName, (u64, u64)>,
    /// Keys not tracked because of [`MAX_TRACKED_KEYS`].
    pub untracked_key_requests: u64,
    /// Requests per client address.
    pub clients: SeededMap<IpAddr, u64>,
    /// Error answers by binary status name or text answer word.
    pub errors: FxHashMap<&'static str, u64>,
    /// Malformed or gap-flagged messages.
    pub flagged: u64,
    /// First and last message time (ns).
    pub span: Option<(u64, u64)>,
    /// Capture and decoder counters, once the pass is over.
    pub pass: PassStats,
    /// Live captures: the kernel's (received, dropped, interface-dropped) packet counts.
    pub kernel: Option<(u32, u32, u32)>,
}

impl TrafficStats {
    /// Adds one message.
    pub fn add(&mut self, m: &Message) {
        let t = m.origin.ts.as_nanos();
        self.span = Some(match self.span {
            None => (t, t),
            Some((a, b)) => (a.min(t), b.max(t)),
        });
        if m.problem.is_some() {
            self.flagged += 1;
        }
        match m.kind() {
            Kind::Request => {
                // A request is counted when it was decoded, flagged or not (a set whose value a
                // capture gap cut, a command memcached rejects): only bytes that are no request
                // are left out.
                if m.op.is_none() {
                    return;
                }
                self.ops.entry(m.op_name()).or_default().requests += 1;
                *self.clients.entry(m.origin.client.ip()).or_default() += 1;
                let keys: Vec<&Bytes> = if m.keys.is_empty() {
                    m.key.iter().collect()
                } else {
                    m.keys.iter().collect()
                };
                if m.op.is_some_and(Op::is_lookup) {
                    self.lookups += keys.len() as u64;
                }
                for k in keys {
                    self.count_key(k, m.value_len.unwrap_or(0));
                }
            }
            Kind::Response => {
                if let Some(req_name) = m.request_op_name() {
                    let op = self.ops.entry(req_name).or_default();
                    let is_final = !m.is_in_series();
                    if is_final {
                        op.answered += 1;
                        if let Some(l) = m.latency_ns {
                            op.latency.record_ns(l);
                        }
                    }
                    if m.is_lookup_hit() {
                        self.hits += 1;
                        if let Some(k) = &m.key {
                            if let Some(e) = self.keys.get_mut(&k[..]) {
                                e.1 += m.value_len.unwrap_or(0);
                            }
                        }
                    }
                }
                if m.problem.is_none() {
                    if let Some(o) = m.outcome().filter(|o| o.is_error()) {
                        *self.errors.entry(o.name()).or_default() += 1;
                    }
                }
            }
        }
    }

    fn count_key(&mut self, k: &Bytes, bytes: u64) {
        if let Some(e) = self.keys.get_mut(&k[..]) {
            e.0 += 1;
            e.1 += bytes;
        } else if self.keys.len() < MAX_TRACKED_KEYS {
            // Copy the key: holding a slice would keep its whole capture chunk alive.
            self.keys.insert(KeyName::new(k), (1, bytes));
        } else {
            self.untracked_key_requests += 1;
        }
    }

    /// The `n` entries of `map` with the largest `by`, largest first; equal ones by key
    /// ascending. A total order: the result does not depend on the map's iteration order
    /// (which a seeded map changes from run to run).
    fn top<K: TopKey, V: Copy, S>(
        map: &std::collections::HashMap<K, V, S>,
        n: usize,
        by: impl Fn(&V) -> u64,
    ) -> Vec<(K, V)> {
        if n == 0 {
            return Vec::new();
        }
        // One pass, keeping the best n so far with the worst of them on top: a million keys
        // stay cheap, and most are turned away by their count alone.
        let mut best: BinaryHeap<Ranked<'_, K, V>> = BinaryHeap::with_capacity(n.min(map.len()));
        for (key, value) in map {
            let by = by(value);
            if best.len() < n {
                best.push(Ranked::new(by, key, value));
            } else if let Some(mut worst) = best.peek_mut() {
                if by >= worst.by {
                    let candidate = Ranked::new(by, key, value);
                    if candidate < *worst {
                        *worst = candidate;
                    }
                }
            }
        }
        best.into_sorted_vec()
            .into_iter()
            .map(|r| (r.key.clone(), *r.value))
            .collect()
    }

    /// The `n` keys requested most (`by_bytes`: moving the most value bytes), with their
    /// (requests, bytes); equal counts by key bytes ascending.
    pub fn top_keys(&self, n: usize, by_bytes: bool) -> Vec<(Bytes, (u64, u64))> {
        if by_bytes {
            Self::top(&self.keys, n, |v| v.1)
        } else {
            Self::top(&self.keys, n, |v| v.0)
        }
        .into_iter()
        .map(|(k, v)| (Bytes::copy_from_slice(k.as_bytes()), v))
        .collect()
    }

    /// The `n` clients sending the most requests; equal counts by address ascending.
    pub fn top_clients(&self, n: usize) -> Vec<(IpAddr, u64)> {
        Self::top(&self.clients, n, |v| *v)
    }

    /// The `n` most frequent error answers; equal counts by name ascending.
    pub fn top_errors(&self, n: usize) -> Vec<(&'static str, u64)> {
        Self::top(&self.errors, n, |v| *v)
    }

    fn seconds(&self) -> f64 {
        self.span.map_or(0.0, |(a, b)| (b - a) as f64 / 1e9)
    }

    /// The hit ratio of get-family lookups.
    pub fn hit_ratio(&self) -> Option<f64> {
        (self.lookups > 0).then(|| self.hits as f64 / self.lookups as f64)
    }

    /// A JSON report.
    pub fn to_json(&self, top: usize) -> serde_json::Value {
        use serde_json::json;
        let secs = self.seconds();
        // A `serde_json::Map` orders its entries by name (unless serde_json's `preserve_order`
        // is on: then in this order, which is total).
        let mut ops: Vec<_> = self.ops.iter().collect();
        ops.sort_by(|a, b| b.1.requests.cmp(&a.1.requests).then(a.0.cmp(b.0)));
        let ops: serde_json::Map<_, _> = ops
            .into_iter()
            .map(|(name, o)| {
                let lat = o.latency.percentiles().map(|p| p.to_json());
                (
                    name.to_string(),
                    json!({
                        "requests": o.requests,
                        "answered": o.answered,
                        "rate_per_sec": if secs > 0.0 { o.requests as f64 / secs } else { 0.0 },
                        "latency": lat,
                    }),
                )
            })
            .collect();
        let key_name = |k: &KeyName| String::from_utf8_lossy(k.as_bytes()).into_owned();
        let d = &self.pass.dissect;
        let r = &self.pass.reassembly;
        json!({
            "seconds": secs,
            "ops": ops,
            "get_lookups": self.lookups,
            "get_hits": self.hits,
            "hit_ratio": self.hit_ratio(),
            "bytes_to_server": d.bytes_to_server,
            "bytes_to_client": d.bytes_to_client,
            "top_keys_by_count": Self::top(&self.keys, top, |v| v.0).iter().map(|(k, v)| json!({"key": key_name(k), "count": v.0, "bytes": v.1})).collect::<Vec<_>>(),
            "top_keys_by_bytes": Self::top(&self.keys, top, |v| v.1).iter().map(|(k, v)| json!({"key": key_name(k), "count": v.0, "bytes": v.1})).collect::<Vec<_>>(),
            "top_clients": Self::top(&self.clients, top, |v| *v).iter().map(|(k, v)| json!({"client": k.to_string(), "requests": v})).collect::<Vec<_>>(),
            "errors": self.errors.iter().collect::<std::collections::BTreeMap<_, _>>(),
            "messages": d.messages,
            "requests": d.requests,
            "responses": d.responses,
            "unpaired_requests": d.unpaired_requests,
            "unpaired_responses": d.unpaired_responses,
            "malformed": d.malformed,
            "gaps": d.gaps,
            "gap_bytes": r.gap_bytes,
            "frames": self.pass.frames,
            "skipped_frames": self.pass.skipped_frames,
            "connections": r.connections,
            "retransmitted_bytes": r.retransmitted_bytes,
            "reassembly_dropped_bytes": r.dropped_for_memory,
            "acked_unseen_gaps": r.acked_unseen_gaps,
            "acked_unseen_bytes": r.acked_unseen_bytes,
            "cap_gaps": r.cap_gaps,
            "cap_gap_bytes": r.cap_gap_bytes,
            "skipped_bytes": d.skipped_bytes,
            "gaps_in_values": d.gaps_in_values,
            "udp_multi_datagram_answers": d.udp_multi_datagram_answers,
            "udp_unfinished_answers": d.udp_unfinished_answers,
            "truncated_file": self.pass.truncated_file,
            "capture_received": self.kernel.map(|k| k.0),
            "capture_dropped": self.kernel.map(|k| k.1 + k.2),
        })
    }

    /// A report for people.
    pub fn to_text(&self, top: usize) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let secs = self.seconds();
        let d = &self.pass.dissect;
        let r = &self.pass.reassembly;
        if self.pass.frames > 0 {
            let _ = writeln!(
                s,
                "{} frames, {} connections, {} messages over {secs:.3} s",
                self.pass.frames, r.connections, d.messages
            );
        } else {
            let requests: u64 = self.ops.values().map(|o| o.requests).sum();
            let _ = writeln!(s, "{requests} requests over {secs:.3} s");
        }
        if self.pass.frames > 0 {
            let _ = writeln!(
                s,
                "bytes: {} to servers, {} to clients",
                d.bytes_to_server, d.bytes_to_client
            );
        }
        if let Some(h) = self.hit_ratio() {
            let _ = writeln!(
                s,
                "get hit ratio: {:.1}% ({} of {} lookups)",
                h * 100.0,
                self.hits,
                self.lookups
            );
        }
        let _ = writeln!(
            s,
            "\n{:<14} {:>10} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8} {:>9}",
            "op", "requests", "answered", "rate/s", "p50_us", "p90_us", "p99_us", "p99.9", "max_us"
        );
        let mut ops: Vec<_> = self.ops.iter().collect();
        ops.sort_by(|a, b| b.1.requests.cmp(&a.1.requests).then(a.0.cmp(b.0)));
        for (name, o) in ops {
            let h = &o.latency;
            let q = |x: f64| {
                if h.is_empty() {
                    "-".to_string()
                } else {
                    h.value_at_quantile(x).to_string()
                }
            };
            let rate = if secs > 0.0 {
                o.requests as f64 / secs
            } else {
                0.0
            };
            let max = if h.is_empty() {
                "-".to_string()
            } else {
                h.max_us().to_string()
            };
            let _ = writeln!(
                s,
                "{name:<14} {:>10} {:>10} {rate:>10.1} {:>8} {:>8} {:>8} {:>8} {max:>9}",
                o.requests,
                o.answered,
                q(0.5),
                q(0.9),
                q(0.99),
                q(0.999)
            );
        }
        let _ = writeln!(s, "\ntop keys by count:");
        for (k, v) in Self::top(&self.keys, top, |v| v.0) {
            let _ = writeln!(
                s,
                "  {:>8}  {:>10} B  {}",
                v.0,
                v.1,
                String::from_utf8_lossy(k.as_bytes())
            );
        }
        let _ = writeln!(s, "top keys by bytes:");
        for (k, v) in Self::top(&self.keys, top, |v| v.1) {
            let _ = writeln!(
                s,
                "  {:>8}  {:>10} B  {}",
                v.0,
                v.1,
                String::from_utf8_lossy(k.as_bytes())
            );
        }
        let _ = writeln!(s, "top clients:");
        for (c, n) in Self::top(&self.clients, top, |v| *v) {
            let _ = writeln!(s, "  {n:>8}  {c}");
        }
        if !self.errors.is_empty() {
            let _ = writeln!(s, "errors:");
            for (e, n) in Self::top(&self.errors, top, |v| *v) {
                let _ = writeln!(s, "  {n:>8}  {e}");
            }
        }
        let _ = writeln!(
            s,
            "\nunpaired: {} requests, {} responses; malformed: {}; gaps: {} ({} bytes); retransmitted: {} bytes; dropped by reassembly caps: {} bytes; skipped frames: {}{}",
            d.unpaired_requests, d.unpaired_responses, d.malformed, d.gaps, r.gap_bytes, r.retransmitted_bytes, r.dropped_for_memory, self.pass.skipped_frames,
            if self.pass.truncated_file { "; the file ends inside a record" } else { "" }
        );
        if r.acked_unseen_gaps + r.cap_gaps + d.skipped_bytes + d.gaps_in_values > 0 {
            let _ = writeln!(
                s,
                "capture losses: {} holes acknowledged by the peer but never seen ({} bytes); {} holes declared at the reassembly caps ({} bytes); {} messages cut inside their value; {} bytes skipped to resync",
                r.acked_unseen_gaps, r.acked_unseen_bytes, r.cap_gaps, r.cap_gap_bytes, d.gaps_in_values, d.skipped_bytes
            );
        }
        if let Some((received, dropped, if_dropped)) = self.kernel {
            let _ = writeln!(s, "capture: {received} packets received, {dropped} dropped by the kernel, {if_dropped} by the interface");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_inline_and_on_the_heap_are_found_by_their_bytes() {
        let mut map: SeededMap<KeyName, u32> = SeededMap::default();
        let short = b"user:42".as_slice();
        let edge = [b'a'; 30];
        let long = [b'b'; 31];
        for (i, k) in [short, &edge[..], &long[..]].into_iter().enumerate() {
            map.insert(KeyName::new(k), i as u32);
        }
        assert!(matches!(
            KeyName::new(&edge),
            KeyName::Inline { len: 30, .. }
        ));
        assert!(matches!(KeyName::new(&long), KeyName::Heap(_)));
        assert_eq!(map.get(short), Some(&0));
        assert_eq!(map.get(&edge[..]), Some(&1));
        assert_eq!(map.get(&long[..]), Some(&2));
        assert_eq!(map.get(&b"user:4"[..]), None);
        assert_eq!(map.get(&edge[..29]), None);
        assert_eq!(KeyName::new(b"").as_bytes(), b"");
    }
}

#[cfg(test)]
mod hash_tests {
    //! The key and client tables are seeded at random: their reports must not depend on the
    //! tables' order, and keys crafted to collide under FxHash must not slow them down.

    use super::*;
    use crate::hash::collisions::{assert_no_slowdown, fx_colliding_keys, random_keys, N};

    /// Statistics with many ties: keys `key:0000`… (every third requested twice, `n % 7`
    /// bytes a request), clients `10.0.x.y` and `::x` with equal counts, two errors counted
    /// alike. `reverse` feeds everything in the opposite order.
    fn tied(reverse: bool) -> TrafficStats {
        let mut s = TrafficStats::default();
        let mut keys: Vec<u64> = (0..2000).collect();
        if reverse {
            keys.reverse();
        }
        for n in keys {
            let k = Bytes::from(format!("key:{n:04}"));
            for _ in 0..1 + u64::from(n % 3 == 0) {
                s.count_key(&k, n % 7);
            }
            let client = if n % 2 == 0 {
                IpAddr::from([10, 0, (n >> 8) as u8, n as u8])
            } else {
                IpAddr::from(std::net::Ipv6Addr::from(u128::from(n)))
            };
            *s.clients.entry(client).or_default() += 5;
        }
        let errors = [("NOT_STORED", 2), ("EXISTS", 2), ("ERROR", 1)];
        for (e, n) in if reverse {
            errors.into_iter().rev().collect::<Vec<_>>()
        } else {
            errors.to_vec()
        } {
            s.errors.insert(e, n);
        }
        s
    }

    #[test]
    fn ties_are_broken_by_key_so_reports_do_not_depend_on_the_tables_order() {
        let (a, b) = (tied(false), tied(true));
        let key = |k: &str| Bytes::copy_from_slice(k.as_bytes());
        assert_eq!(
            a.top_keys(3, false),
            [
                (key("key:0000"), (2, 0)),
                (key("key:0003"), (2, 6)),
                (key("key:0006"), (2, 12))
            ]
        );
        assert_eq!(
            a.top_keys(3, true),
            [
                (key("key:0006"), (2, 12)),
                (key("key:0027"), (2, 12)),
                (key("key:0048"), (2, 12))
            ]
        );
        assert_eq!(
            a.top_clients(3),
            [
                (IpAddr::from([10, 0, 0, 0]), 5),
                (IpAddr::from([10, 0, 0, 2]), 5),
                (IpAddr::from([10, 0, 0, 4]), 5)
            ]
        );
        assert_eq!(
            a.top_errors(3),
            [("EXISTS", 2), ("NOT_STORED", 2), ("ERROR", 1)]
        );
        // Each table has its own random seed, so `a` and `b` iterate in different orders.
        for top in [0, 1, 10, 1000, 5000] {
            assert_eq!(a.top_keys(top, false), b.top_keys(top, false));
            assert_eq!(a.top_keys(top, true), b.top_keys(top, true));
            assert_eq!(a.top_clients(top), b.top_clients(top));
            assert_eq!(a.to_text(top), b.to_text(top));
            assert_eq!(a.to_json(top), b.to_json(top));
        }
    }

    #[test]
    fn order_prefixes_order_like_the_keys() {
        let keys: Vec<KeyName> = [
            &b""[..],
            b"\0",
            b"a",
            b"a\0",
            b"a\0\0\0\0\0\0\0\0",
            b"ab",
            b"abcdefgh",
            b"abcdefgh\0",
            b"abcdefghi",
            b"abcdefgi",
            b"\xff",
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff",
        ]
        .iter()
        .map(|k| KeyName::new(k))
        .collect();
        for a in &keys {
            for b in &keys {
                if a < b {
                    assert!(a.order_prefix() <= b.order_prefix(), "{a:?} {b:?}");
                }
            }
        }
    }

    #[test]
    fn keys_colliding_under_fxhash_are_counted_as_fast_as_random_ones() {
        let as_bytes = |keys: Vec<Vec<u8>>| keys.into_iter().map(Bytes::from).collect::<Vec<_>>();
        let random = as_bytes(random_keys(N));
        let crafted = as_bytes(fx_colliding_keys(N));
        assert_no_slowdown(
            "stats key table",
            &random[..],
            &crafted[..],
            |keys, deadline| {
                let mut s = TrafficStats::default();
                // Each key counted twice: an insertion, then a lookup.
                for _ in 0..2 {
                    for (i, k) in keys.iter().enumerate() {
                        s.count_key(k, 1);
                        if i % 1024 == 0 && deadline.passed() {
                            return false;
                        }
                    }
                }
                assert_eq!(s.keys.len(), keys.len());
                true
            },
        );
    }
}
