//! One proxied connection: two copy loops and the tap.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

use super::http_guard::{first_line, FirstLine};
use super::{ProxyCounters, TapEvent};
use memshark_traffic::capture::{Direction, Timestamp};

/// Read size per chunk; also the most a connection buffers in each direction.
const CHUNK: usize = 64 * 1024;

/// What a connection task needs.
pub(super) struct Context {
    pub id: u64,
    pub peer: SocketAddr,
    pub backend: String,
    pub connect_timeout: Duration,
    pub counters: Arc<ProxyCounters>,
    pub tap: Option<mpsc::Sender<TapEvent>>,
    pub stop: watch::Receiver<bool>,
}

fn tap(ctx_tap: &Option<mpsc::Sender<TapEvent>>, counters: &ProxyCounters, ev: TapEvent) {
    if let Some(tx) = ctx_tap {
        if tx.try_send(ev).is_err() {
            counters.tap_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// How one direction's copy loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PumpEnd {
    /// End of stream, passed on.
    Clean,
    /// A read or write failed.
    Broken,
    /// The client's first line was an HTTP request: nothing was forwarded.
    HttpRefused,
}

/// One direction of a proxied connection: what its copy loop counts and taps.
struct Leg<'a> {
    dir: Direction,
    id: u64,
    bytes: &'a AtomicU64,
    counters: &'a ProxyCounters,
    tap: &'a Option<mpsc::Sender<TapEvent>>,
    /// Hold the bytes of the first line until it is complete and judged by [`first_line`]
    /// (client to server only).
    screen_first_line: bool,
}

/// Copies one direction until EOF or error.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, leg: Leg<'_>) -> PumpEnd {
    let Leg {
        dir,
        id,
        bytes,
        counters,
        tap: tap_tx,
        mut screen_first_line,
    } = leg;
    let mut buf = BytesMut::with_capacity(CHUNK);
    loop {
        buf.reserve(CHUNK);
        match from.read_buf(&mut buf).await {
            Ok(0) => {
                let _ = to.shutdown().await;
                return PumpEnd::Clean;
            }
            Ok(_) => {
                if screen_first_line {
                    match first_line(&buf) {
                        FirstLine::Incomplete => continue,
                        FirstLine::Http => return PumpEnd::HttpRefused,
                        FirstLine::Pass => screen_first_line = false,
                    }
                }
                let n = buf.len();
                let chunk = buf.split().freeze();
                let ts = Timestamp::now();
                if to.write_all(&chunk).await.is_err() {
                    return PumpEnd::Broken;
                }
                bytes.fetch_add(n as u64, Ordering::Relaxed);
                tap(
                    tap_tx,
                    counters,
                    TapEvent::Data {
                        conn: id,
                        dir,
                        ts,
                        bytes: chunk,
                    },
                );
            }
            Err(_) => return PumpEnd::Broken,
        }
    }
}

/// Serves one client: connects to the backend and forwards both ways.
pub(super) async fn serve(client: TcpStream, mut ctx: Context) {
    let _ = client.set_nodelay(true);
    let backend = match tokio::time::timeout(ctx.connect_timeout, TcpStream::connect(&ctx.backend))
        .await
    {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            ctx.counters
                .backend_failures
                .fetch_add(1, Ordering::Relaxed);
            eprintln!("memshark proxy: client {}: backend {} refused or unreachable: {e}; closing the client", ctx.peer, ctx.backend);
            return;
        }
        Err(_) => {
            ctx.counters
                .backend_failures
                .fetch_add(1, Ordering::Relaxed);
            eprintln!("memshark proxy: client {}: backend {} did not answer within {:?}; closing the client", ctx.peer, ctx.backend, ctx.connect_timeout);
            return;
        }
    };
    let _ = backend.set_nodelay(true);
    let server = backend.peer_addr().unwrap_or(ctx.peer);
    ctx.counters.open.fetch_add(1, Ordering::Relaxed);
    tap(
        &ctx.tap,
        &ctx.counters,
        TapEvent::Open {
            conn: ctx.id,
            client: ctx.peer,
            server,
            ts: Timestamp::now(),
            route: None,
        },
    );
    let (cr, cw) = client.into_split();
    let (br, bw) = backend.into_split();
    let counters = Arc::clone(&ctx.counters);
    let up = pump(
        cr,
        bw,
        Leg {
            dir: Direction::ToServer,
            id: ctx.id,
            bytes: &counters.bytes_up,
            counters: &counters,
            tap: &ctx.tap,
            screen_first_line: true,
        },
    );
    let down = pump(
        br,
        cw,
        Leg {
            dir: Direction::ToClient,
            id: ctx.id,
            bytes: &counters.bytes_down,
            counters: &counters,
            tap: &ctx.tap,
            screen_first_line: false,
        },
    );
    tokio::pin!(up, down);
    // Both directions until both end; an error on either ends the connection at once (the
    // halves drop, closing both sockets), as does a shutdown after the grace period.
    // The client finishing its requests waits for the backend's last answers; the backend
    // ending (or any error) ends the connection at once.
    let end = tokio::select! {
        end = &mut up => match end {
            PumpEnd::Clean => tokio::select! {
                end = &mut down => end,
                _ = ctx.stop.changed() => PumpEnd::Broken,
            },
            other => other,
        },
        end = &mut down => end,
        _ = ctx.stop.changed() => PumpEnd::Broken,
    };
    let clean = end == PumpEnd::Clean;
    if end == PumpEnd::HttpRefused {
        // memcached hangs up on HTTP without a word, and so does the proxy: counted, not logged
        // per connection (a scan would flood the log).
        ctx.counters.http_refused.fetch_add(1, Ordering::Relaxed);
    } else if !clean {
        eprintln!(
            "memshark proxy: connection {} ({}) ended abnormally; both sides closed",
            ctx.id, ctx.peer
        );
    }
    tap(
        &ctx.tap,
        &ctx.counters,
        TapEvent::Closed {
            conn: ctx.id,
            ts: Timestamp::now(),
            reset: !clean,
        },
    );
    ctx.counters.open.fetch_sub(1, Ordering::Relaxed);
}
