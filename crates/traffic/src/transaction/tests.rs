use super::*;
use crate::source::{self, Source};
use crate::summary::TrafficStats;

/// Every fixture's transactions agree with `memshark stats`: one per numbered request, the
/// same hits and lookups, the same answered counts per op.
#[test]
fn transactions_agree_with_stats() {
    for fixture in ["ascii", "binary", "meta", "large", "any-sll2"] {
        let path = format!("../../fixtures/{fixture}.pcap");
        let mut stats = TrafficStats::default();
        let mut joiner = Joiner::new();
        let mut rows = Vec::new();
        let mut requests = 0u64;
        source::run(
            Source::file(&path),
            &[11211],
            source::from_fn(|m| {
                stats.add(&m);
                if m.kind() == Kind::Request && m.txn.is_some() {
                    requests += 1;
                }
                joiner.push(&m, &mut |t| rows.push(t));
                true
            }),
        )
        .expect("fixture reads");
        joiner.finish(&mut |t| rows.push(t));
        assert_eq!(
            rows.len() as u64,
            requests,
            "{fixture}: one row per request"
        );
        let lookups: u64 = rows
            .iter()
            .filter(|t| t.lookup && t.error.is_none())
            .map(|t| u64::from(t.key_count()))
            .sum();
        let hits: u64 = rows.iter().map(|t| u64::from(t.hits)).sum();
        assert_eq!((lookups, hits), (stats.lookups, stats.hits), "{fixture}");
        for (op, o) in &stats.ops {
            let answered = rows
                .iter()
                .filter(|t| t.op == *op && t.outcome.is_some())
                .count() as u64;
            assert_eq!(answered, o.answered, "{fixture}: {op} answered");
        }
        let mut line = Vec::new();
        for t in &rows {
            jsonl(&mut line, t);
            csv(&mut line, t);
        }
        for l in line.split(|&b| b == b'\n').filter(|l| l.starts_with(b"{")) {
            serde_json::from_slice::<serde_json::Value>(l).expect("valid json");
        }
    }
}
