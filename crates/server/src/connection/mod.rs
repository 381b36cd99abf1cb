//! One client connection: read, answer every whole request in the buffer, write the answers
//! in one go (so pipelined requests cost one write), repeat.

mod line;
mod requests;
pub(crate) mod udp;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use crate::cmd::watch::Watching;

use crate::state::Shared;
use requests::{Flow, Requests};

/// Initial read buffer; it grows to the largest message in flight.
const READ_BUFFER: usize = 16 * 1024;

/// Streams log lines to a watching connection until it leaves or the server stops; what it
/// sends is read and dropped.
async fn watch(stream: &mut TcpStream, watching: &mut Watching, stop: &mut watch::Receiver<bool>) {
    let mut sink = [0u8; 4096];
    loop {
        tokio::select! {
            line = watching.feed.recv() => {
                let text = match line {
                    Ok(line) if line.kind.bit() & watching.filter != 0 => {
                        format!("{}\n", line.text)
                    }
                    Ok(_) => continue,
                    Err(RecvError::Lagged(n)) => format!("ts=0.0 gid=0 type=skipped count={n}\n"),
                    Err(RecvError::Closed) => return,
                };
                if stream.write_all(text.as_bytes()).await.is_err() {
                    return;
                }
            }
            read = stream.read(&mut sink) => {
                if !matches!(read, Ok(n) if n > 0) {
                    return;
                }
            }
            _ = stop.changed() => return,
        }
    }
}

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
        if let Some(watching) = requests.watching() {
            watch(&mut stream, watching, &mut stop).await;
            break;
        }
    }
    drop(registered);
    let _ = stream.shutdown().await;
    counters.curr_connections.fetch_sub(1, Ordering::Relaxed);
}
