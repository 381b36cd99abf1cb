//! Answers on their way back to a client: what a backend delivers, what a failure says in each
//! protocol, and how the pieces of a split request are put back together.

use bytes::{BufMut, Bytes, BytesMut};
use memshark_protocol::ascii::{ParseLimits, Parsed, Response};
use memshark_protocol::binary::{Opcode, Response as BinResponse, Status};

/// Why a request got no answer from its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No answer within the pool's `timeout`.
    Timeout,
    /// The server connection was refused, lost or reset.
    Connection,
    /// No server is in the placement (all ejected).
    NoServer,
}

impl Failure {
    /// The text after `SERVER_ERROR ` (twemproxy's wording for the first two).
    pub fn message(self) -> &'static str {
        match self {
            Failure::Timeout => "Connection timed out",
            Failure::Connection => "Connection refused",
            Failure::NoServer => "no server available",
        }
    }
}

/// What a backend hands back for one job.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    /// The answer's bytes as the client must see them (empty: a quiet request settled without
    /// an answer).
    Bytes(Bytes),
    /// No answer: the request failed.
    Failed(Failure),
}

/// The protocol a client speaks, and for binary what a failure answer must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Speaks {
    /// Text or meta: `SERVER_ERROR …`.
    Text,
    /// Binary: an error response with the request's opcode and opaque.
    Binary {
        /// The client's opcode.
        opcode: Opcode,
        /// The client's opaque.
        opaque: u32,
    },
}

/// Writes the answer to a failed request in the client's protocol.
pub(crate) fn write_failure(out: &mut BytesMut, speaks: Speaks, f: Failure) {
    match speaks {
        Speaks::Text => {
            out.put_slice(b"SERVER_ERROR ");
            out.put_slice(f.message().as_bytes());
            out.put_slice(b"\r\n");
        }
        Speaks::Binary { opcode, opaque } => {
            let status = match f {
                Failure::Timeout | Failure::Connection => Status::TemporaryFailure,
                Failure::NoServer => Status::NotSupported,
            };
            BinResponse::new(opcode, status, b"", b"", f.message().as_bytes())
                .with_opaque(opaque)
                .write_to(out);
        }
    }
}

/// Puts the fragments of a multi-key text get back in the client's key order.
///
/// `keys` is the client's key list; `frag_of_key[i]` the fragment key `i` was sent in; `frags`
/// each fragment's answer without its `END` line. Each fragment's `VALUE` entries come in that
/// fragment's key order, so walking the client's keys and taking the next entry of the key's
/// fragment when its key matches restores memcached's own order. Writes `END` last.
pub(crate) fn merge_get(out: &mut BytesMut, keys: &[Bytes], frag_of_key: &[u16], frags: &[Bytes]) {
    let limits = ParseLimits::permissive();
    let mut pos = vec![0usize; frags.len()];
    for (key, &f) in keys.iter().zip(frag_of_key) {
        let f = usize::from(f);
        let Some(frag) = frags.get(f) else { continue };
        let rest = &frag[pos[f].min(frag.len())..];
        if let Ok(Parsed::Complete {
            message: Response::Value { key: k, .. },
            len,
        }) = Response::parse(rest, &limits)
        {
            if k == &key[..] {
                out.put_slice(&rest[..len]);
                pos[f] += len;
            }
        }
    }
    // Anything a fragment held that matched no key (never for memcached) still reaches the
    // client rather than vanishing.
    for (f, frag) in frags.iter().enumerate() {
        if pos[f] < frag.len() {
            out.put_slice(&frag[pos[f]..]);
        }
    }
    out.put_slice(b"END\r\n");
}

/// Merges the answers of a request sent to several servers (`flush_all`, `verbosity`, the `mn`s
/// that settle `noreply` requests): the first answer that is not a success, else the first answer.
pub(crate) fn merge_broadcast(out: &mut BytesMut, speaks: Speaks, answers: &[Bytes]) {
    let ok = |a: &Bytes| match speaks {
        Speaks::Text => a.starts_with(b"OK") || a.starts_with(b"MN") || a.is_empty(),
        Speaks::Binary { .. } => a.len() < 8 || (a[6] == 0 && a[7] == 0),
    };
    let pick = answers.iter().find(|a| !ok(a)).or_else(|| answers.first());
    if let Some(a) = pick {
        out.put_slice(a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_get_restores_the_client_key_order() {
        let keys: Vec<Bytes> = ["a", "b", "c", "d"]
            .iter()
            .map(|k| Bytes::from_static(k.as_bytes()))
            .collect();
        // a, c on fragment 0; b, d on fragment 1; c and d missed.
        let frags = [
            Bytes::from_static(b"VALUE a 0 1\r\n1\r\n"),
            Bytes::from_static(b"VALUE b 0 2\r\n22\r\n"),
        ];
        let mut out = BytesMut::new();
        merge_get(&mut out, &keys, &[0, 1, 0, 1], &frags);
        assert_eq!(
            &out[..],
            b"VALUE a 0 1\r\n1\r\nVALUE b 0 2\r\n22\r\nEND\r\n"
        );
    }

    #[test]
    fn merge_get_keeps_duplicate_keys() {
        let keys: Vec<Bytes> = ["a", "b", "a"]
            .iter()
            .map(|k| Bytes::from_static(k.as_bytes()))
            .collect();
        let frags = [
            Bytes::from_static(b"VALUE a 0 1\r\n1\r\nVALUE a 0 1\r\n1\r\n"),
            Bytes::from_static(b"VALUE b 0 1\r\n2\r\n"),
        ];
        let mut out = BytesMut::new();
        merge_get(&mut out, &keys, &[0, 1, 0], &frags);
        assert_eq!(
            &out[..],
            b"VALUE a 0 1\r\n1\r\nVALUE b 0 1\r\n2\r\nVALUE a 0 1\r\n1\r\nEND\r\n"
        );
    }

    #[test]
    fn broadcast_reports_the_first_failure() {
        let mut out = BytesMut::new();
        merge_broadcast(
            &mut out,
            Speaks::Text,
            &[
                Bytes::from_static(b"OK\r\n"),
                Bytes::from_static(b"SERVER_ERROR Connection refused\r\n"),
            ],
        );
        assert_eq!(&out[..], b"SERVER_ERROR Connection refused\r\n");
    }

    #[test]
    fn a_binary_failure_carries_the_opaque() {
        let mut out = BytesMut::new();
        write_failure(
            &mut out,
            Speaks::Binary {
                opcode: Opcode::Get,
                opaque: 0xdead_beef,
            },
            Failure::Timeout,
        );
        assert_eq!(out[0], 0x81);
        assert_eq!(&out[12..16], &0xdead_beefu32.to_be_bytes());
        assert_eq!(u16::from_be_bytes([out[6], out[7]]), 0x86);
    }
}
