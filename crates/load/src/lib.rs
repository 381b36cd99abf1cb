//! The workload generator behind `memshark load`: a memaslap for this toolkit.
//!
//! Each connection runs a closed loop: it writes a batch of `pipeline` requests drawn from the
//! op mix, reads exactly their answers, and records each request's latency (from the batch's
//! write to its answer) in a per-op [`memshark_latency::LatencyHistogram`]. Keys are `PREFIX:N` with `N` drawn
//! uniformly or from a Zipf distribution; values are random-sized within a range.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod keys;
mod report;
mod worker;

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use keys::{Distribution, KeyChooser, Rng};
pub use report::{OpReport, Report};

/// Errors of the load generator.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A setting could not be read.
    #[error("{0}")]
    Config(String),
    /// A connection failed.
    #[error("connection to {addr} failed: {source}")]
    Io {
        /// Where.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server answered something unreadable.
    #[error("protocol error: {0}")]
    Protocol(String),
}

/// Which wire protocol to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// The binary protocol.
    Binary,
    /// The classic text protocol.
    Ascii,
}

impl FromStr for Protocol {
    type Err = LoadError;
    fn from_str(s: &str) -> Result<Self, LoadError> {
        match s {
            "binary" => Ok(Protocol::Binary),
            "ascii" | "text" => Ok(Protocol::Ascii),
            _ => Err(LoadError::Config(format!(
                "unknown protocol {s:?} (binary or ascii)"
            ))),
        }
    }
}

macro_rules! ops {
    ($( $variant:ident = $name:literal ),* $(,)?) => {
        /// An operation the generator can issue.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Op { $( #[doc = $name] $variant, )* }

        impl Op {
            /// Every op.
            pub const ALL: &'static [Op] = &[ $( Op::$variant, )* ];

            /// The name used in `--mix` and reports.
            pub fn name(self) -> &'static str {
                match self { $( Op::$variant => $name, )* }
            }
        }

        impl FromStr for Op {
            type Err = LoadError;
            fn from_str(s: &str) -> Result<Op, LoadError> {
                match s {
                    $( $name => Ok(Op::$variant), )*
                    _ => Err(LoadError::Config(format!(
                        "unknown op {s:?}; known: {}",
                        Op::ALL.iter().map(|o| o.name()).collect::<Vec<_>>().join(", ")
                    ))),
                }
            }
        }
    };
}

ops! {
    Get = "get", Set = "set", Add = "add", Replace = "replace", Append = "append",
    Prepend = "prepend", Delete = "delete", Incr = "incr", Decr = "decr", Touch = "touch",
    Gat = "gat", MultiGet = "mget", Noop = "noop",
}

/// The op mix: ops with integer weights (`get=90,set=10`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mix(pub Vec<(Op, u32)>);

impl FromStr for Mix {
    type Err = LoadError;
    fn from_str(s: &str) -> Result<Mix, LoadError> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part.split_once('=').unwrap_or((part, "1"));
            let weight: u32 = weight
                .trim()
                .parse()
                .map_err(|_| LoadError::Config(format!("bad weight in {part:?}")))?;
            out.push((name.trim().parse()?, weight));
        }
        if out.iter().map(|(_, w)| *w as u64).sum::<u64>() == 0 {
            return Err(LoadError::Config("the mix has no op with a weight".into()));
        }
        Ok(Mix(out))
    }
}

impl Mix {
    /// Picks an op with probability proportional to its weight.
    pub fn pick(&self, rng: &mut Rng) -> Op {
        let total: u64 = self.0.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut x = rng.below(total.max(1));
        for &(op, w) in &self.0 {
            if x < u64::from(w) {
                return op;
            }
            x -= u64::from(w);
        }
        self.0.first().map_or(Op::Noop, |(op, _)| *op)
    }
}

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// The server.
    pub to: SocketAddr,
    /// Connections, each its own task.
    pub connections: usize,
    /// Requests per batch on a connection.
    pub pipeline: usize,
    /// The op mix.
    pub mix: Mix,
    /// How many distinct keys.
    pub keys: u64,
    /// How keys are drawn.
    pub distribution: Distribution,
    /// Value sizes, inclusive.
    pub value_size: (usize, usize),
    /// Stop after this long…
    pub duration: Option<Duration>,
    /// …or after this many ops in all.
    pub ops: Option<u64>,
    /// Wire protocol.
    pub protocol: Protocol,
    /// Key prefix.
    pub key_prefix: String,
    /// Store every key once before measuring, so gets can hit.
    pub prefill: bool,
    /// Keys per multi-get.
    pub mget_keys: usize,
    /// Pace the run to about this many requests per second in all (spread over the
    /// connections); `None` runs closed-loop, as fast as the server answers.
    pub rate: Option<f64>,
    /// Write values derived from their key and check every value read back against it
    /// (stores, gets, deletes, touches only: appends and counters would change values).
    pub verify: bool,
}

impl Default for LoadConfig {
    fn default() -> Self {
        LoadConfig {
            to: SocketAddr::from(([127, 0, 0, 1], 11211)),
            connections: 16,
            pipeline: 1,
            mix: Mix(vec![(Op::Get, 90), (Op::Set, 10)]),
            keys: 10_000,
            distribution: Distribution::Uniform,
            value_size: (100, 100),
            duration: Some(Duration::from_secs(10)),
            ops: None,
            protocol: Protocol::Binary,
            key_prefix: "memshark".into(),
            prefill: true,
            mget_keys: 10,
            rate: None,
            verify: false,
        }
    }
}

/// Live progress shared by the workers, for a progress line.
#[derive(Debug, Default)]
pub struct Progress {
    /// Ops answered so far.
    pub done: AtomicU64,
    /// Set to stop the workers.
    pub stop: AtomicBool,
}

/// Runs a workload to completion and reports.
pub async fn run(config: LoadConfig, progress: Arc<Progress>) -> Result<Report, LoadError> {
    if config.verify {
        if let Some((op, _)) =
            config.mix.0.iter().find(|(op, w)| {
                *w > 0 && matches!(op, Op::Append | Op::Prepend | Op::Incr | Op::Decr)
            })
        {
            return Err(LoadError::Config(format!(
                "--verify cannot check values changed by {}: leave it out of the mix",
                op.name()
            )));
        }
    }
    if config.connections == 0 || config.pipeline == 0 {
        return Err(LoadError::Config(
            "connections and pipeline must be at least 1".into(),
        ));
    }
    let chooser = Arc::new(KeyChooser::new(config.keys.max(1), config.distribution));
    if config.prefill {
        worker::prefill(&config).await?;
    }
    let started = Instant::now();
    let per_conn_ops = config.ops.map(|n| n.div_ceil(config.connections as u64));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..config.connections {
        let cfg = config.clone();
        let chooser = Arc::clone(&chooser);
        let progress = Arc::clone(&progress);
        tasks.spawn(worker::run_connection(
            cfg,
            chooser,
            progress,
            i as u64,
            per_conn_ops,
        ));
    }
    let deadline = config.duration.map(|d| started + d);
    let stopper = {
        let progress = Arc::clone(&progress);
        tokio::spawn(async move {
            if let Some(d) = deadline {
                tokio::time::sleep_until(d.into()).await;
                progress.stop.store(true, Ordering::Relaxed);
            }
        })
    };
    let mut report = Report::default();
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(part)) => report.merge(part),
            Ok(Err(e)) => {
                progress.stop.store(true, Ordering::Relaxed);
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(LoadError::Protocol(format!("worker failed: {e}")));
            }
        }
    }
    stopper.abort();
    if let Some(e) = first_error {
        return Err(e);
    }
    report.elapsed = started.elapsed();
    report.connections = config.connections;
    report.pipeline = config.pipeline;
    report.protocol = config.protocol;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_parses_and_picks_by_weight() {
        let mix: Mix = "get=90,set=10".parse().unwrap();
        assert_eq!(mix.0, vec![(Op::Get, 90), (Op::Set, 10)]);
        let mut rng = Rng::new(1);
        let gets = (0..10_000)
            .filter(|_| mix.pick(&mut rng) == Op::Get)
            .count();
        assert!((8_700..9_300).contains(&gets), "{gets}");
        assert!("get=x".parse::<Mix>().is_err());
        assert!("frob=1".parse::<Mix>().is_err());
        assert!("get=0".parse::<Mix>().is_err());
        assert_eq!("mget".parse::<Mix>().unwrap().0, vec![(Op::MultiGet, 1)]);
    }
}
