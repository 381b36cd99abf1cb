//! Per-op counts and latency histograms, merged across connections.

use std::collections::BTreeMap;
use std::time::Duration;

use memshark_latency::LatencyHistogram;

use super::{Op, Protocol};

/// What one op did during a run.
#[derive(Debug, Clone)]
pub struct OpReport {
    /// Answered requests.
    pub count: u64,
    /// Answers that were misses (get/gat/mget keys not found, NOT_FOUND, …).
    pub misses: u64,
    /// Answers that were errors (any other failure status).
    pub errors: u64,
    /// Latency.
    pub latency: LatencyHistogram,
}

impl Default for OpReport {
    fn default() -> Self {
        OpReport {
            count: 0,
            misses: 0,
            errors: 0,
            latency: LatencyHistogram::new(),
        }
    }
}

impl OpReport {
    /// Records one answer.
    pub fn record(&mut self, latency: Duration, miss: bool, error: bool) {
        self.count += 1;
        self.misses += u64::from(miss);
        self.errors += u64::from(error);
        self.latency.record(latency);
    }
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct Report {
    /// Per op.
    pub ops: BTreeMap<Op, OpReport>,
    /// Wall time of the measured phase.
    pub elapsed: Duration,
    /// Connections used.
    pub connections: usize,
    /// Pipeline depth.
    pub pipeline: usize,
    /// Protocol spoken.
    pub protocol: Protocol,
    /// With `verify`: values read back and checked against what their key's writes hold.
    pub verified: u64,
    /// With `verify`: values that were not what any write of their key could have stored.
    pub wrong: u64,
}

impl Default for Report {
    fn default() -> Self {
        Report {
            ops: BTreeMap::new(),
            elapsed: Duration::ZERO,
            connections: 0,
            pipeline: 0,
            protocol: Protocol::Binary,
            verified: 0,
            wrong: 0,
        }
    }
}

impl Report {
    /// Adds another connection's counts.
    pub fn merge(&mut self, other: Report) {
        self.verified += other.verified;
        self.wrong += other.wrong;
        for (op, r) in other.ops {
            let mine = self.ops.entry(op).or_default();
            mine.count += r.count;
            mine.misses += r.misses;
            mine.errors += r.errors;
            mine.latency.merge(&r.latency);
        }
    }

    /// Every op's latencies together.
    pub fn total(&self) -> OpReport {
        let mut all = OpReport::default();
        for r in self.ops.values() {
            all.count += r.count;
            all.misses += r.misses;
            all.errors += r.errors;
            all.latency.merge(&r.latency);
        }
        all
    }

    /// Answered ops per second.
    pub fn ops_per_sec(&self) -> f64 {
        self.total().count as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn row(name: &str, r: &OpReport, secs: f64) -> String {
        let h = &r.latency;
        format!(
            "{name:<8} {:>10} {:>11.0} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>9}",
            r.count,
            r.count as f64 / secs,
            r.misses,
            r.errors,
            h.value_at_quantile(0.5),
            h.value_at_quantile(0.9),
            h.value_at_quantile(0.99),
            h.value_at_quantile(0.999),
            h.max_us()
        )
    }

    /// A table for people.
    pub fn to_table(&self) -> String {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let mut out = format!(
            "{:?} protocol, {} connections, pipeline {}, {:.2} s\n{:<8} {:>10} {:>11} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>9}\n",
            self.protocol, self.connections, self.pipeline, secs,
            "op", "count", "ops/s", "misses", "errors", "p50_us", "p90_us", "p99_us", "p99.9_us", "max_us"
        );
        for (op, r) in &self.ops {
            out.push_str(&Self::row(op.name(), r, secs));
            out.push('\n');
        }
        out.push_str(&Self::row("total", &self.total(), secs));
        out.push('\n');
        if self.verified > 0 || self.wrong > 0 {
            out.push_str(&format!(
                "verified {} values read back: {} wrong\n",
                self.verified, self.wrong
            ));
        }
        out
    }

    /// A JSON object for scripts.
    pub fn to_json(&self) -> serde_json::Value {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let op = |r: &OpReport| {
            let mut json = serde_json::json!({
                "count": r.count,
                "ops_per_sec": r.count as f64 / secs,
                "misses": r.misses,
                "errors": r.errors,
            });
            // The percentiles under the names every report uses (0 when nothing was answered).
            let percentiles = r.latency.percentiles().unwrap_or_default();
            if let (Some(o), serde_json::Value::Object(p)) =
                (json.as_object_mut(), percentiles.to_json())
            {
                o.extend(p);
            }
            json
        };
        let ops: serde_json::Map<String, serde_json::Value> = self
            .ops
            .iter()
            .map(|(o, r)| (o.name().to_string(), op(r)))
            .collect();
        serde_json::json!({
            "protocol": format!("{:?}", self.protocol).to_lowercase(),
            "connections": self.connections,
            "pipeline": self.pipeline,
            "seconds": secs,
            "ops_per_sec": self.ops_per_sec(),
            "total": op(&self.total()),
            "verified_values": self.verified,
            "wrong_values": self.wrong,
            "ops": ops,
        })
    }
}
