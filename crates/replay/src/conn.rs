//! Replaying one captured connection: requests sent in order with the captured pipelining and
//! pacing; the answers read back through a dissector of their own, which pairs them.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::order::Order;
use super::plan::ConnPlan;
use super::{Progress, ReplayConfig, ReplayError};
use memshark_traffic::capture::{Direction, Origin, StreamEvent, StreamEventKind, Timestamp};
use memshark_traffic::dissect::{Dissector, Kind, Message};

/// What one replayed request got.
#[derive(Debug, Clone, Default)]
pub struct Replayed {
    /// Whether it was sent.
    pub sent: bool,
    /// The answers, in order.
    pub answers: Vec<Message>,
    /// Send → first answer.
    pub latency: Option<Duration>,
}

fn event(dir: Direction, local: SocketAddr, to: SocketAddr, data: Bytes) -> StreamEvent {
    StreamEvent {
        origin: Origin::new(1, local, to, dir).at(0, Timestamp::now()),
        kind: StreamEventKind::Data(data),
    }
}

/// Replays one connection; returns what each request got, in plan order.
pub async fn replay_conn(
    plan: &ConnPlan,
    cfg: &ReplayConfig,
    start_ns: u64,
    started: Instant,
    progress: Arc<Progress>,
    order: &Order,
) -> Result<Vec<Replayed>, ReplayError> {
    let mut stream = tokio::time::timeout(cfg.connect_timeout, TcpStream::connect(cfg.to))
        .await
        .map_err(|_| ReplayError::Connect(cfg.to, "timed out".into()))?
        .map_err(|e| ReplayError::Connect(cfg.to, e.to_string()))?;
    let _ = stream.set_nodelay(true);
    let local = stream.local_addr().unwrap_or(cfg.to);
    let n = plan.exchanges.len();
    let mut out = vec![Replayed::default(); n];
    let mut sent_at: Vec<Option<Instant>> = vec![None; n];
    let mut dissector = Dissector::new();
    let mut next = 0; // next request to send
    let mut settled = 0; // one past the last request answered
    let mut marked = 0; // requests whose answer rank is marked in `order`
    let mut waiting_since: Option<Instant> = None;
    // Last send or answer: the answer timeout runs from whichever came later.
    let mut last_activity = Instant::now();
    let mut buf = vec![0u8; 256 * 1024];
    let mut batch = Vec::new();
    loop {
        // Send every request whose time has come and whose predecessors are answered.
        batch.clear();
        let now = Instant::now();
        let mut next_due: Option<Instant> = None;
        while next < n {
            let ex = &plan.exchanges[next];
            if let Some(speed) = cfg.speed {
                let offset =
                    ex.request.origin.ts.as_nanos().saturating_sub(start_ns) as f64 / 1e9 / speed;
                let due = started + Duration::from_secs_f64(offset);
                if due > now {
                    next_due = Some(due);
                    break;
                }
            }
            let blocked_here = settled < ex.settled_before;
            let blocked_elsewhere =
                cfg.cross_order && order.watermark() < ex.answered_anywhere_before;
            if blocked_here || blocked_elsewhere {
                let since = *waiting_since.get_or_insert(now);
                if now.duration_since(since) < cfg.answer_timeout {
                    break;
                }
                // The new server did not answer what the old one did: go on without it.
                order.give_up_to(ex.answered_anywhere_before);
            }
            waiting_since = None;
            batch.extend_from_slice(&ex.request.raw);
            let mut taken = false;
            dissector.push(
                event(Direction::ToServer, local, cfg.to, ex.request.raw.clone()),
                &mut |_m: Message| taken = true,
            );
            let _ = taken;
            sent_at[next] = Some(now);
            out[next].sent = true;
            next += 1;
            progress.sent.fetch_add(1, Ordering::Relaxed);
        }
        if !batch.is_empty() {
            stream
                .write_all(&batch)
                .await
                .map_err(|e| ReplayError::Io(cfg.to, e.to_string()))?;
            last_activity = Instant::now();
        }
        let all_sent = next == n;
        let idle = last_activity.elapsed();
        if all_sent && (answered_all(&out, plan) || idle >= cfg.answer_timeout) {
            break;
        }
        // Wait for answers, the next pacing deadline, or the answer timeout (other connections'
        // answers are looked for every millisecond).
        let wait = match (next_due, waiting_since) {
            (Some(d), _) => d.saturating_duration_since(Instant::now()),
            (None, Some(s)) => (s + cfg.answer_timeout)
                .saturating_duration_since(Instant::now())
                .min(Duration::from_millis(1)),
            (None, None) if all_sent => cfg.answer_timeout.saturating_sub(idle),
            (None, None) => Duration::from_millis(1),
        }
        .max(Duration::from_micros(50));
        match tokio::time::timeout(wait, stream.read(&mut buf)).await {
            Err(_) => continue,
            Ok(Ok(0)) => break,
            Ok(Err(e)) => return Err(ReplayError::Io(cfg.to, e.to_string())),
            Ok(Ok(k)) => {
                let at = Instant::now();
                last_activity = at;
                let data = Bytes::copy_from_slice(&buf[..k]);
                dissector.push(
                    event(Direction::ToClient, local, cfg.to, data),
                    &mut |m: Message| {
                        if m.kind() != Kind::Response {
                            return;
                        }
                        let Some(i) = m.txn.map(|t| t as usize).filter(|&i| i < n) else {
                            return;
                        };
                        let r = &mut out[i];
                        settled = settled.max(i + 1);
                        // Everything up to here is settled: its ranks let other connections on.
                        while marked < settled {
                            if let Some(rank) = plan.exchanges[marked].answer_rank {
                                order.mark(rank);
                            }
                            marked += 1;
                        }
                        if r.answers.is_empty() {
                            progress.answered.fetch_add(1, Ordering::Relaxed);
                            r.latency = sent_at[i].map(|s| at.duration_since(s));
                        }
                        // Keep the answer's bytes, not the read buffer they came in.
                        let mut m = m;
                        m.raw = Bytes::copy_from_slice(&m.raw);
                        m.key = m.key.as_ref().map(|k| Bytes::copy_from_slice(k));
                        m.keys.clear();
                        r.answers.push(m);
                    },
                );
            }
        }
    }
    Ok(out)
}

/// Whether every request that was answered in the capture has an answer now.
fn answered_all(out: &[Replayed], plan: &ConnPlan) -> bool {
    out.iter()
        .zip(&plan.exchanges)
        .all(|(r, e)| e.answers.is_empty() || !r.answers.is_empty())
}
