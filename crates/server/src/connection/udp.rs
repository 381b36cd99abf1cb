//! memcached's UDP transport (`-U`): each datagram carries an 8-byte frame header (request
//! id, sequence number, datagram count, reserved) and one whole request or more; each answer
//! (and in a multi-get, each item's) goes back as its own message, cut into datagrams of at
//! most 1400 bytes with the same request id. Requests spread over several datagrams are dropped, as memcached drops them.

use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use tokio::net::UdpSocket;
use tokio::sync::watch;

use super::requests::{Flow, Requests};
use crate::state::Shared;

/// The frame header before every datagram's payload.
pub const FRAME_HEADER: usize = 8;

/// Largest datagram sent, header included (memcached's `UDP_MAX_PAYLOAD_SIZE`).
pub const MAX_DATAGRAM: usize = 1400;

/// Largest datagram read.
const MAX_REQUEST: usize = 65_536;

/// Serves datagrams until shutdown.
pub(crate) async fn serve(socket: UdpSocket, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut datagram = vec![0u8; MAX_REQUEST];
    loop {
        let received = tokio::select! {
            r = socket.recv_from(&mut datagram) => r,
            _ = stop.changed() => return,
        };
        let Ok((len, peer)) = received else { continue };
        let Some(answers) = answer(&datagram[..len], &shared) else {
            continue;
        };
        for message in answers {
            if socket.send_to(&message, peer).await.is_err() {
                break;
            }
        }
    }
}

/// The datagrams that answer one datagram (`None`: dropped).
pub(crate) fn answer(datagram: &[u8], shared: &Shared) -> Option<Vec<Vec<u8>>> {
    let header = datagram.get(..FRAME_HEADER)?;
    let id = [header[0], header[1]];
    let count = u16::from_be_bytes([header[4], header[5]]);
    if count != 1 {
        return None;
    }
    let counters = &shared.store.counters;
    counters
        .bytes_read
        .fetch_add(datagram.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let mut buf = BytesMut::from(&datagram[FRAME_HEADER..]);
    let mut requests = Requests::new(&shared.config).for_udp();
    let mut out = BytesMut::new();
    let mut datagrams = Vec::new();
    while let Some(flow) = requests.step(&mut buf, shared, &mut out) {
        if flow == Flow::Abort {
            break;
        }
        let mut start = 0;
        for end in requests.take_marks().into_iter().chain([out.len()]) {
            datagrams.extend(frame(id, &out[start..end.min(out.len())]));
            start = end.min(out.len());
        }
        out.clear();
        if flow != Flow::Continue {
            break;
        }
    }
    Some(datagrams)
}

/// One answer cut into datagrams, each with the frame header.
fn frame(id: [u8; 2], answer: &[u8]) -> Vec<Vec<u8>> {
    if answer.is_empty() {
        return Vec::new();
    }
    let pieces: Vec<&[u8]> = answer.chunks(MAX_DATAGRAM - FRAME_HEADER).collect();
    let count = u16::try_from(pieces.len()).unwrap_or(u16::MAX);
    pieces
        .iter()
        .take(usize::from(count))
        .enumerate()
        .map(|(seq, piece)| {
            let mut d = Vec::with_capacity(FRAME_HEADER + piece.len());
            d.put_slice(&id);
            d.put_u16(seq as u16);
            d.put_u16(count);
            d.put_u16(0);
            d.put_slice(piece);
            d
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ServerConfig;

    #[test]
    fn answers_are_framed_and_cut() {
        let shared = Shared::new(ServerConfig::default());
        let set = format!(
            "\0\x07\0\0\0\x01\0\0set b 0 0 3000\r\n{}\r\n",
            "y".repeat(3000)
        );
        let stored = answer(set.as_bytes(), &shared).expect("answered");
        assert_eq!(stored, vec![b"\0\x07\0\0\0\x01\0\0STORED\r\n".to_vec()]);
        let got = answer(b"\0\x07\0\0\0\x01\0\0get b\r\n", &shared).expect("answered");
        let sizes: Vec<usize> = got.iter().map(Vec::len).collect();
        assert_eq!(sizes, [1400, 1400, 247]);
        assert_eq!(&got[2][..8], b"\0\x07\0\x02\0\x03\0\0");
        assert!(answer(b"\0\x07\0\0\0\x02\0\0get b\r\n", &shared).is_none());
    }
}
