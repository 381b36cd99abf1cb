//! The router's own counters: the `stats` answer of a pool of several servers (text and binary)
//! and the per-server snapshot the headless stats line prints.

use std::sync::atomic::Ordering;

use bytes::{BufMut, BytesMut};
use memshark_protocol::binary::{Opcode, Response, Status};

use super::Shared;

/// One server's counters at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSnapshot {
    /// `host:port` as configured.
    pub addr: String,
    /// Requests written to it.
    pub requests: u64,
    /// Requests that failed on it (connection refused or lost, timed out).
    pub errors: u64,
    /// Requests that timed out.
    pub timeouts: u64,
    /// Times it was ejected from the placement.
    pub ejections: u64,
    /// Out of the placement now.
    pub ejected: bool,
    /// Median time from writing a request to its answer, in µs (0: no answer yet).
    pub p50_us: u64,
    /// 99th percentile of the same.
    pub p99_us: u64,
}

/// Every server's snapshot, in the pool's order.
pub(crate) fn snapshots(shared: &Shared, reset: bool) -> Vec<ServerSnapshot> {
    shared
        .placement()
        .1
        .servers
        .iter()
        .map(|s| {
            let spec = &s.spec;
            let s = &s.state;
            let (p50_us, p99_us) = {
                let mut h = s.latency.lock().unwrap_or_else(|p| p.into_inner());
                let p = h.percentiles().unwrap_or_default();
                if reset {
                    h.reset();
                }
                (p.p50_us, p.p99_us)
            };
            ServerSnapshot {
                addr: spec.addr.clone(),
                requests: s.requests.load(Ordering::Relaxed),
                errors: s.errors.load(Ordering::Relaxed),
                timeouts: s.timeouts.load(Ordering::Relaxed),
                ejections: s.ejections.load(Ordering::Relaxed),
                ejected: s.ejected.load(Ordering::Relaxed),
                p50_us,
                p99_us,
            }
        })
        .collect()
}

/// The version the proxy answers `version` with for a pool of several servers.
pub(crate) fn version() -> String {
    format!("memshark-proxy-{}", env!("CARGO_PKG_VERSION"))
}

/// The `(name, value)` pairs of the proxy's `stats`.
fn pairs(shared: &Shared) -> Vec<(String, String)> {
    let c = &shared.counters;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let servers = snapshots(shared, false);
    let mut v = vec![
        ("pid".to_string(), std::process::id().to_string()),
        (
            "uptime".into(),
            shared.started.elapsed().as_secs().to_string(),
        ),
        ("time".into(), now.to_string()),
        ("version".into(), version()),
        ("pool".into(), shared.placement().1.pool.name.clone()),
        (
            "curr_connections".into(),
            c.open.load(Ordering::Relaxed).to_string(),
        ),
        (
            "total_connections".into(),
            c.accepted.load(Ordering::Relaxed).to_string(),
        ),
        (
            "rejected_connections".into(),
            c.rejected.load(Ordering::Relaxed).to_string(),
        ),
        (
            "auth_cmds".into(),
            c.auth_cmds.load(Ordering::Relaxed).to_string(),
        ),
        (
            "auth_errors".into(),
            c.auth_errors.load(Ordering::Relaxed).to_string(),
        ),
        (
            "bytes_read".into(),
            c.bytes_up.load(Ordering::Relaxed).to_string(),
        ),
        (
            "bytes_written".into(),
            c.bytes_down.load(Ordering::Relaxed).to_string(),
        ),
        (
            "server_failures".into(),
            c.backend_failures.load(Ordering::Relaxed).to_string(),
        ),
        ("servers".into(), servers.len().to_string()),
        (
            "servers_alive".into(),
            servers.iter().filter(|s| !s.ejected).count().to_string(),
        ),
    ];
    if let Some(shadow) = &shared.placement().1.shadow {
        let c = shared.shadow_counters.snapshot();
        v.push(("shadow_pool".into(), shadow.pool.name.clone()));
        v.push(("shadow_requests".into(), c.requests.to_string()));
        v.push(("shadow_compared".into(), c.compared.to_string()));
        v.push(("shadow_differences".into(), c.differences.to_string()));
        v.push(("shadow_dropped".into(), c.dropped.to_string()));
        v.push(("shadow_diffs_dropped".into(), c.diffs_dropped.to_string()));
    }
    for s in servers {
        let p = format!("server:{}:", s.addr);
        v.push((format!("{p}requests"), s.requests.to_string()));
        v.push((format!("{p}errors"), s.errors.to_string()));
        v.push((format!("{p}timeouts"), s.timeouts.to_string()));
        v.push((format!("{p}ejections"), s.ejections.to_string()));
        v.push((format!("{p}ejected"), u8::from(s.ejected).to_string()));
        v.push((format!("{p}latency_p50_us"), s.p50_us.to_string()));
        v.push((format!("{p}latency_p99_us"), s.p99_us.to_string()));
    }
    v
}

/// The text `stats` answer: `STAT name value` lines and `END`.
pub(crate) fn text(shared: &Shared, out: &mut BytesMut) {
    for (k, v) in pairs(shared) {
        out.put_slice(b"STAT ");
        out.put_slice(k.as_bytes());
        out.put_u8(b' ');
        out.put_slice(v.as_bytes());
        out.put_slice(b"\r\n");
    }
    out.put_slice(b"END\r\n");
}

/// The binary `stat` answer: one response per statistic, then one with an empty key.
pub(crate) fn binary(shared: &Shared, opaque: u32, out: &mut BytesMut) {
    for (k, v) in pairs(shared) {
        Response::new(
            Opcode::Stat,
            Status::NoError,
            b"",
            k.as_bytes(),
            v.as_bytes(),
        )
        .with_opaque(opaque)
        .write_to(out);
    }
    Response::new(Opcode::Stat, Status::NoError, b"", b"", b"")
        .with_opaque(opaque)
        .write_to(out);
}
