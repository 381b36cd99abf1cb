//! The replay's findings: counts, differences grouped by op and status change, latency of
//! the new server against the captured one, and the differing transactions for `--diff`.

use std::collections::BTreeMap;
use std::time::Duration;

use memshark_latency::LatencyHistogram;

use super::compare::{outcomes, summary, Outcome};
use super::conn::Replayed;
use super::plan::Exchange;

/// One request whose answer changed.
#[derive(Debug, Clone)]
pub struct Difference {
    /// Captured connection.
    pub conn: u64,
    /// Position of the request on it.
    pub index: usize,
    /// The request's op as `dump` prints it.
    pub op: &'static str,
    /// Its key.
    pub key: Option<Vec<u8>>,
    /// What the capture had.
    pub captured: Vec<Outcome>,
    /// What the replay got.
    pub replayed: Vec<Outcome>,
    /// Whether the capture shows a race on its key (see [`super::plan::Exchange::raced`]).
    pub raced: bool,
}

impl Difference {
    /// One jsonl line for `--diff`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "conn": self.conn,
            "index": self.index,
            "op": self.op,
            "key": self.key.as_ref().map(|k| String::from_utf8_lossy(k).into_owned()),
            "captured": self.captured.iter().map(Outcome::to_json).collect::<Vec<_>>(),
            "replayed": self.replayed.iter().map(Outcome::to_json).collect::<Vec<_>>(),
            "raced": self.raced,
        })
    }
}

/// What a replay found.
#[derive(Debug, Clone)]
pub struct Report {
    /// Requests sent.
    pub sent: u64,
    /// Requests that got at least one answer.
    pub answered: u64,
    /// Requests that were answered in the capture but not in the replay.
    pub unanswered: u64,
    /// Requests whose answers compare equal (quiet ones answered by silence both times too).
    pub identical: u64,
    /// Requests whose answers differ.
    pub different: u64,
    /// How many of the differences are on keys the capture shows clients racing on.
    pub raced: u64,
    /// Requests in the capture that were not replayed.
    pub skipped: u64,
    /// Differences counted by (op, captured summary, replayed summary).
    pub changes: BTreeMap<(String, String, String), u64>,
    /// Every differing request.
    pub differences: Vec<Difference>,
    /// Latency of the captured answers, µs.
    pub captured_latency: LatencyHistogram,
    /// Latency of the replayed answers, µs.
    pub replayed_latency: LatencyHistogram,
    /// How long the replay took.
    pub elapsed: Duration,
}

impl Report {
    /// An empty report.
    pub fn new(elapsed: Duration, skipped: u64) -> Report {
        Report {
            sent: 0,
            answered: 0,
            unanswered: 0,
            identical: 0,
            different: 0,
            raced: 0,
            skipped,
            changes: BTreeMap::new(),
            differences: Vec::new(),
            captured_latency: LatencyHistogram::new(),
            replayed_latency: LatencyHistogram::new(),
            elapsed,
        }
    }

    /// Adds one request's outcome.
    pub fn add(&mut self, conn: u64, index: usize, e: &Exchange, r: Option<&Replayed>) {
        let Some(r) = r.filter(|r| r.sent) else {
            return;
        };
        self.sent += 1;
        if !r.answers.is_empty() {
            self.answered += 1;
        } else if !e.answers.is_empty() {
            self.unanswered += 1;
        }
        if let Some(l) = e.answers.first().and_then(|a| a.latency_ns) {
            self.captured_latency.record_ns(l);
        }
        if let Some(l) = r.latency {
            self.replayed_latency.record(l);
        }
        let op = e.request.op;
        let captured = outcomes(&e.answers, op);
        let replayed = outcomes(&r.answers, op);
        let op = e.request.op_name();
        if captured == replayed {
            self.identical += 1;
            return;
        }
        self.different += 1;
        *self
            .changes
            .entry((op.to_string(), summary(&captured), summary(&replayed)))
            .or_default() += 1;
        self.differences.push(Difference {
            conn,
            index,
            op,
            key: e.request.key.as_ref().map(|k| k.to_vec()),
            captured,
            replayed,
            raced: e.raced,
        });
        if e.raced {
            self.raced += 1;
        }
    }

    fn percentiles(h: &LatencyHistogram) -> String {
        if h.is_empty() {
            return "-".into();
        }
        format!(
            "p50 {} µs, p90 {} µs, p99 {} µs, max {} µs",
            h.value_at_quantile(0.5),
            h.value_at_quantile(0.9),
            h.value_at_quantile(0.99),
            h.max_us()
        )
    }

    /// The report for people.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} requests sent in {:.2} s, {} answered; {} identical, {} different{}{}",
            self.sent,
            self.elapsed.as_secs_f64(),
            self.answered,
            self.identical,
            self.different,
            if self.unanswered > 0 {
                format!(
                    " ({} answered in the capture got no answer)",
                    self.unanswered
                )
            } else {
                String::new()
            },
            if self.skipped > 0 {
                format!("; {} captured requests not replayed", self.skipped)
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            s,
            "latency, captured: {}",
            Self::percentiles(&self.captured_latency)
        );
        let _ = writeln!(
            s,
            "latency, replayed: {}",
            Self::percentiles(&self.replayed_latency)
        );
        if self.raced > 0 {
            let _ = writeln!(
                s,
                "{} of the differences are on keys that another connection changed while the \
                 request was in flight in the capture: which came first there cannot be known, \
                 so the new server may rightly answer otherwise (`raced` in --diff)",
                self.raced
            );
        }
        if !self.changes.is_empty() {
            let _ = writeln!(s, "differences (op: captured → replayed):");
            let mut v: Vec<_> = self.changes.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for ((op, a, b), n) in v {
                let _ = writeln!(s, "  {n:>8}  {op}: {a} → {b}");
            }
        }
        s
    }

    /// The report as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let lat = |h: &LatencyHistogram| h.percentiles().map(|p| p.to_json());
        serde_json::json!({
            "sent": self.sent,
            "answered": self.answered,
            "unanswered": self.unanswered,
            "identical": self.identical,
            "different": self.different,
            "raced": self.raced,
            "skipped": self.skipped,
            "seconds": self.elapsed.as_secs_f64(),
            "changes": self.changes.iter().map(|((op, a, b), n)| serde_json::json!({"op": op, "captured": a, "replayed": b, "count": n})).collect::<Vec<_>>(),
            "captured_latency": lat(&self.captured_latency),
            "replayed_latency": lat(&self.replayed_latency),
        })
    }
}
