//! One client connection: read, answer every whole request in the buffer, write the answers
//! in one go (so pipelined requests cost one write), repeat.

mod line;
mod requests;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::state::Shared;
use requests::{Flow, Requests};

/// Initial read buffer; it grows to the largest message in flight.
const READ_BUFFER: usize = 16 * 1024;

/// Serves one connection until the client leaves, a request asks to close, or shutdown.
pub async fn serve(mut stream: TcpStream, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let counters = &shared.store.counters;
    counters.curr_connections.fetch_add(1, Ordering::Relaxed);
    let mut buf = BytesMut::with_capacity(READ_BUFFER);
    let mut out = BytesMut::with_capacity(READ_BUFFER);
    let mut requests = Requests::new(&shared.config);
    let peer = stream
        .peer_addr()
        .unwrap_or_else(|_| std::net::SocketAddr::from(([0, 0, 0, 0], 0)));
    let registered = shared.runtime.conns.register(peer, shared.info.started);
    requests.set_id(registered.id);
    loop {
        let read = async {
            match shared.config.idle_timeout {
                Some(t) => tokio::time::timeout(t, stream.read_buf(&mut buf))
                    .await
                    .unwrap_or(Ok(0)),
                None => stream.read_buf(&mut buf).await,
            }
        };
        let n = tokio::select! {
            r = read => r,
            _ = stop.changed() => break,
        };
        let Ok(n) = n else { break };
        if n == 0 {
            break;
        }
        counters.bytes_read.fetch_add(n as u64, Ordering::Relaxed);
        registered.info.mark();
        let mut flow = requests.process(&mut buf, &shared, &mut out);
        if flow == Flow::Abort {
            break;
        }
        loop {
            if !out.is_empty() {
                counters
                    .bytes_written
                    .fetch_add(out.len() as u64, Ordering::Relaxed);
                if stream.write_all(&out).await.is_err() {
                    flow = Flow::Abort;
                    break;
                }
                out.clear();
            }
            if !requests.streaming() || *stop.borrow() {
                break;
            }
            requests.produce(&shared, &mut out);
            if !requests.streaming() {
                // The stream ended: answer what the client sent meanwhile.
                flow = requests.process(&mut buf, &shared, &mut out);
                if flow == Flow::Abort {
                    break;
                }
            }
        }
        if flow != Flow::Continue {
            break;
        }
    }
    drop(registered);
    let _ = stream.shutdown().await;
    counters.curr_connections.fetch_sub(1, Ordering::Relaxed);
}
