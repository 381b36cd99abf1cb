//! `memshark replay`: re-send a capture's requests to a server and compare its answers with
//! the captured ones.
//!
//! Each captured connection gets a connection of its own; its requests go out in captured
//! order with the captured pipelining (a request is sent once as many earlier requests have
//! been answered as had been when it was captured) and, unless `speed` is `None`, at the
//! captured pace scaled by `speed`. The answers are paired with the requests by the same
//! [`memshark_traffic::dissect::Dissector`] that reads captures, and compared on status, key, value and
//! flags (CAS and opaque never; statistics by status alone).
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use memshark_traffic::filter::Filter;
//! use memshark_replay::{replay, Plan, ReplayConfig};
//!
//! let plan = Plan::from_file("traffic.pcap".as_ref(), &[11211], &Filter::all())?;
//! let report = replay(&plan, &ReplayConfig::to("127.0.0.1:11211".parse()?), Default::default()).await?;
//! println!("{}", report.to_text());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod compare;
mod conn;
mod order;
mod plan;
mod report;

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use compare::{outcomes, summary, Outcome};
pub use conn::Replayed;
pub use plan::{ConnPlan, Exchange, Plan};
pub use report::{Difference, Report};

/// Errors of a replay.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The server could not be reached.
    #[error("cannot connect to {0}: {1}")]
    Connect(SocketAddr, String),
    /// A connection failed mid-way.
    #[error("connection to {0} failed: {1}")]
    Io(SocketAddr, String),
}

/// How to replay.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    /// The server to send to.
    pub to: SocketAddr,
    /// `Some(x)`: the captured pace, `x` times faster; `None`: as fast as possible.
    pub speed: Option<f64>,
    /// How long to wait for an answer the capture had before going on without it.
    pub answer_timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Keep the captured order across connections: a request waits until everything answered
    /// before it in the capture, on any connection, is answered in the replay.
    pub cross_order: bool,
}

impl ReplayConfig {
    /// Real-time pace to `to`, one second for missing answers.
    pub fn to(to: SocketAddr) -> ReplayConfig {
        ReplayConfig {
            to,
            speed: Some(1.0),
            answer_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(3),
            cross_order: true,
        }
    }
}

/// Live counters, for a progress line.
#[derive(Debug, Default)]
pub struct Progress {
    /// Requests sent.
    pub sent: AtomicU64,
    /// Requests with at least one answer.
    pub answered: AtomicU64,
}

/// Replays the plan, every connection at once, and compares.
pub async fn replay(
    plan: &Plan,
    cfg: &ReplayConfig,
    progress: Arc<Progress>,
) -> Result<Report, ReplayError> {
    let started = Instant::now();
    let ranked = plan
        .conns
        .iter()
        .flat_map(|c| &c.exchanges)
        .filter(|e| e.answer_rank.is_some())
        .count();
    let order = Arc::new(order::Order::new(ranked));
    let mut tasks = tokio::task::JoinSet::new();
    for (slot, c) in plan.conns.iter().enumerate() {
        let c = c.clone();
        let cfg = cfg.clone();
        let progress = Arc::clone(&progress);
        let start_ns = plan.start_ns;
        let order = Arc::clone(&order);
        tasks.spawn(async move {
            let r = conn::replay_conn(&c, &cfg, start_ns, started, progress, &order).await;
            // A failed connection must not hold the others back.
            if let Ok(r) = &r {
                for (e, got) in c.exchanges.iter().zip(r) {
                    if let (Some(rank), true) = (e.answer_rank, got.answers.is_empty()) {
                        order.mark(rank);
                    }
                }
            } else {
                for rank in c.exchanges.iter().filter_map(|e| e.answer_rank) {
                    order.mark(rank);
                }
            }
            (slot, r)
        });
    }
    let mut results: Vec<Option<Vec<Replayed>>> = vec![None; plan.conns.len()];
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((slot, Ok(r))) => results[slot] = Some(r),
            Ok((_, Err(e))) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error
                    .get_or_insert(ReplayError::Io(cfg.to, format!("replay task failed: {e}")));
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    let mut report = Report::new(started.elapsed(), plan.skipped);
    for (c, r) in plan.conns.iter().zip(results) {
        let r = r.unwrap_or_default();
        for (i, e) in c.exchanges.iter().enumerate() {
            report.add(c.conn, i, e, r.get(i));
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests;
