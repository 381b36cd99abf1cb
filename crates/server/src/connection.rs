//! One client connection: read, answer every whole request in the buffer, write the answers
//! in one go (so pipelined requests cost one write), repeat.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::binary::{self, After};
use super::{Session, Shared};
use memshark_protocol::ascii::{ParseLimits, Parsed, Request};
use memshark_protocol::binary::{check, FrameCheck, Opcode, Packet, Response, Status};

/// Initial read buffer; it grows to the largest message in flight.
const READ_BUFFER: usize = 16 * 1024;

/// A binary body longer than this is not swallowed but answered by closing the connection, so
/// a lying header can neither make the server allocate it nor keep it reading forever.
const MAX_SWALLOW: u64 = 128 * 1024 * 1024;

enum Protocol {
    Binary,
    Text,
}

/// Serves one connection until the client leaves, a request asks to close, or shutdown.
pub async fn serve(mut stream: TcpStream, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let counters = &shared.store.counters;
    counters.curr_connections.fetch_add(1, Ordering::Relaxed);
    let mut buf = BytesMut::with_capacity(READ_BUFFER);
    let mut out = BytesMut::with_capacity(READ_BUFFER);
    let mut session = Session::default();
    let mut protocol = None;
    // Bytes still to drop from the stream (the body of a rejected too-large item).
    let mut swallow: u64 = 0;
    let limits = ParseLimits {
        max_value: shared.config.store.max_item_size,
        ..ParseLimits::default()
    };
    let binary_max_body =
        (shared.config.store.max_item_size as u64 + 64 * 1024).min(u64::from(u32::MAX)) as u32;
    'conn: loop {
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
        let mut after = After::Continue;
        loop {
            if swallow > 0 {
                let drop_now = swallow.min(buf.len() as u64);
                buf.advance(drop_now as usize);
                swallow -= drop_now;
                if swallow > 0 {
                    break;
                }
            }
            if buf.is_empty() {
                break;
            }
            let proto = protocol.get_or_insert(if buf[0] == 0x80 {
                Protocol::Binary
            } else {
                Protocol::Text
            });
            match proto {
                Protocol::Binary => match check(&buf, binary_max_body) {
                    Ok(FrameCheck::Complete(len)) => {
                        let frame = Packet::new_unchecked(buf.split_to(len).freeze());
                        after = binary::handle(frame, &shared, &mut session, &mut out);
                    }
                    Ok(FrameCheck::Incomplete { .. }) => break,
                    Err(memshark_protocol::binary::Error::BodyTooLarge { declared, .. }) => {
                        let p = Packet::new_unchecked(&buf[..]);
                        let (op, opaque) = (p.opcode(), p.opaque());
                        if u64::from(declared) > MAX_SWALLOW {
                            break 'conn;
                        }
                        Response::error(op, Status::ValueTooLarge)
                            .with_opaque(opaque)
                            .write_to(&mut out);
                        let head = 24.min(buf.len());
                        buf.advance(head);
                        swallow = u64::from(declared);
                    }
                    Err(_) => {
                        let p = Packet::new_unchecked(&buf[..]);
                        let op = if p.magic().is_known() {
                            p.opcode()
                        } else {
                            Opcode::Noop
                        };
                        Response::error(op, Status::InvalidArguments)
                            .with_opaque(p.opaque())
                            .write_to(&mut out);
                        after = After::Close;
                    }
                },
                Protocol::Text => match Request::parse(&buf, &limits) {
                    Ok(Parsed::Complete { message, len }) => {
                        after = super::ascii::handle(&message, &shared, &mut session, &mut out);
                        buf.advance(len);
                    }
                    Ok(Parsed::Incomplete { .. }) => break,
                    Err(e) => {
                        out.extend_from_slice(e.kind.reply().as_bytes());
                        out.extend_from_slice(b"\r\n");
                        let now = (e.skip as u64).min(buf.len() as u64);
                        buf.advance(now as usize);
                        swallow = e.skip as u64 - now;
                    }
                },
            }
            if after == After::Close {
                break;
            }
        }
        if !out.is_empty() {
            counters
                .bytes_written
                .fetch_add(out.len() as u64, Ordering::Relaxed);
            if stream.write_all(&out).await.is_err() {
                break;
            }
            out.clear();
        }
        if after == After::Close {
            break;
        }
    }
    let _ = stream.shutdown().await;
    counters.curr_connections.fetch_sub(1, Ordering::Relaxed);
}
