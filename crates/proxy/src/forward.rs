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

/// Copies one direction until EOF or error; returns whether it ended cleanly.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    dir: Direction,
    id: u64,
    bytes: &AtomicU64,
    counters: &ProxyCounters,
    tap_tx: &Option<mpsc::Sender<TapEvent>>,
) -> bool {
    let mut buf = BytesMut::with_capacity(CHUNK);
    loop {
        buf.reserve(CHUNK);
        match from.read_buf(&mut buf).await {
            Ok(0) => {
                let _ = to.shutdown().await;
                return true;
            }
            Ok(n) => {
                let chunk = buf.split().freeze();
                let ts = Timestamp::now();
                if to.write_all(&chunk).await.is_err() {
                    return false;
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
            Err(_) => return false,
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
        },
    );
    let (cr, cw) = client.into_split();
    let (br, bw) = backend.into_split();
    let counters = Arc::clone(&ctx.counters);
    let up = pump(
        cr,
        bw,
        Direction::ToServer,
        ctx.id,
        &counters.bytes_up,
        &counters,
        &ctx.tap,
    );
    let down = pump(
        br,
        cw,
        Direction::ToClient,
        ctx.id,
        &counters.bytes_down,
        &counters,
        &ctx.tap,
    );
    tokio::pin!(up, down);
    // Both directions until both end; an error on either ends the connection at once (the
    // halves drop, closing both sockets), as does a shutdown after the grace period.
    // The client finishing its requests waits for the backend's last answers; the backend
    // ending (or any error) ends the connection at once.
    let clean = tokio::select! {
        ok = &mut up => ok && tokio::select! {
            ok = &mut down => ok,
            _ = ctx.stop.changed() => false,
        },
        ok = &mut down => ok,
        _ = ctx.stop.changed() => false,
    };
    if !clean {
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
