//! `--redact-values`: recordings that keep headers and keys but not the values.
//!
//! Each direction of each connection is cut into messages (the same parsers the dissector
//! uses); a message that carries a value is re-encoded with the value replaced by its length in
//! ASCII decimal (a binary SET of 5 000 bytes is recorded with the 4-byte value `5000` and its
//! body length adjusted; a text `VALUE k 0 5000` becomes `VALUE k 0 4` + `5000`). Messages
//! without values are recorded as they were. Bytes that do not parse are not recorded at all
//! (they might hold a value), only counted. A partial message waits, bounded by the largest
//! accepted value.

use std::collections::HashMap;

use bytes::{Buf, Bytes, BytesMut};

use memshark_protocol::ascii::{self, ParseLimits, Parsed};
use memshark_protocol::binary::{self, FrameCheck, Message, Packet, DEFAULT_MAX_BODY_LEN};
use memshark_traffic::capture::Direction;

/// Per-connection, per-direction state of the redaction.
#[derive(Debug, Default)]
pub struct Redactor {
    streams: HashMap<(u64, bool), Stream>,
    /// Bytes left out because they did not parse.
    pub dropped: u64,
}

#[derive(Debug, Default)]
struct Stream {
    buf: BytesMut,
    binary: Option<bool>,
}

fn redact_binary(frame: &[u8]) -> Vec<u8> {
    let p = Packet::new_unchecked(frame);
    if p.value().is_empty() {
        return frame.to_vec();
    }
    let len = p.value().len().to_string();
    let mut m = Message::new(
        p.magic(),
        p.opcode(),
        p.vbucket_or_status(),
        p.extras(),
        p.key(),
        len.as_bytes(),
    );
    m.set_opaque(p.opaque());
    m.set_cas(p.cas());
    m.to_bytes().to_vec()
}

fn redact_text(
    dir: Direction,
    buf: &[u8],
    limits: &ParseLimits,
) -> Result<Option<(Vec<u8>, usize)>, usize> {
    let mut out = BytesMut::new();
    let len_text;
    if dir == Direction::ToServer {
        match ascii::Request::parse(buf, limits) {
            Ok(Parsed::Complete { message, len }) => {
                let redacted = match message {
                    ascii::Request::Store {
                        command,
                        key,
                        flags,
                        exptime,
                        cas,
                        noreply,
                        data,
                    } => {
                        len_text = data.len().to_string();
                        ascii::Request::Store {
                            command,
                            key,
                            flags,
                            exptime,
                            cas,
                            noreply,
                            data: len_text.as_bytes(),
                        }
                    }
                    ascii::Request::Meta(mut m) if m.data.is_some() => {
                        len_text = m.data.map_or(0, <[u8]>::len).to_string();
                        m.data = Some(len_text.as_bytes());
                        ascii::Request::Meta(m)
                    }
                    _ => return Ok(Some((buf[..len].to_vec(), len))),
                };
                redacted.encode(&mut out);
                Ok(Some((out.to_vec(), len)))
            }
            Ok(Parsed::Incomplete { .. }) => Ok(None),
            Err(e) => Err(e.skip),
        }
    } else {
        match ascii::Response::parse(buf, limits) {
            Ok(Parsed::Complete { message, len }) => {
                let redacted = match message {
                    ascii::Response::Value {
                        key,
                        flags,
                        cas,
                        data,
                    } => {
                        len_text = data.len().to_string();
                        ascii::Response::Value {
                            key,
                            flags,
                            cas,
                            data: len_text.as_bytes(),
                        }
                    }
                    ascii::Response::Meta(mut m) if m.data.is_some() => {
                        len_text = m.data.map_or(0, <[u8]>::len).to_string();
                        m.data = Some(len_text.as_bytes());
                        ascii::Response::Meta(m)
                    }
                    _ => return Ok(Some((buf[..len].to_vec(), len))),
                };
                redacted.encode(&mut out);
                Ok(Some((out.to_vec(), len)))
            }
            Ok(Parsed::Incomplete { .. }) => Ok(None),
            Err(e) => Err(e.skip),
        }
    }
}

impl Redactor {
    /// Takes one chunk of a direction and returns what to record for it (whole messages only).
    pub fn redact(&mut self, conn: u64, dir: Direction, chunk: &Bytes) -> Vec<u8> {
        let limits = ParseLimits::permissive();
        let stream = self
            .streams
            .entry((conn, dir == Direction::ToServer))
            .or_default();
        stream.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        loop {
            if stream.buf.is_empty() {
                break;
            }
            let binary = *stream
                .binary
                .get_or_insert(matches!(stream.buf[0], 0x80 | 0x81));
            let step = if binary {
                match binary::check(&stream.buf, DEFAULT_MAX_BODY_LEN) {
                    Ok(FrameCheck::Complete(len)) => {
                        Ok(Some((redact_binary(&stream.buf[..len]), len)))
                    }
                    Ok(FrameCheck::Incomplete { .. }) => Ok(None),
                    Err(_) => Err(binary::find_next_header(&stream.buf, DEFAULT_MAX_BODY_LEN)),
                }
            } else {
                redact_text(dir, &stream.buf, &limits)
            };
            match step {
                Ok(Some((bytes, used))) => {
                    out.extend_from_slice(&bytes);
                    stream.buf.advance(used);
                }
                Ok(None) => break,
                Err(skip) => {
                    let skip = skip.clamp(1, stream.buf.len());
                    self.dropped += skip as u64;
                    stream.buf.advance(skip);
                }
            }
        }
        out
    }

    /// Drops a connection's state.
    pub fn forget(&mut self, conn: u64) {
        self.streams.remove(&(conn, true));
        self.streams.remove(&(conn, false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use memshark_protocol::binary::Request;

    #[test]
    fn binary_values_become_their_length_across_chunks() {
        let mut r = Redactor::default();
        let set = Request::set(b"user:1", b"secret personal data", 3, 0)
            .with_opaque(9)
            .to_bytes();
        let mut out = r.redact(1, Direction::ToServer, &set.slice(..10));
        assert!(out.is_empty());
        out.extend(r.redact(1, Direction::ToServer, &set.slice(10..)));
        let p = Packet::new_checked(&out[..]).unwrap();
        assert_eq!(
            (p.key(), p.value(), p.opaque()),
            (&b"user:1"[..], &b"20"[..], 9)
        );
        assert!(!out.windows(6).any(|w| w == b"secret"));
    }

    #[test]
    fn text_values_become_their_length_and_the_rest_is_kept() {
        let mut r = Redactor::default();
        let up = r.redact(
            1,
            Direction::ToServer,
            &Bytes::from_static(b"set k 0 0 6\r\nsecret\r\nget k\r\nms m 3\r\nabc\r\n"),
        );
        assert_eq!(up, b"set k 0 0 1\r\n6\r\nget k\r\nms m 1\r\n3\r\n");
        let down = r.redact(
            1,
            Direction::ToClient,
            &Bytes::from_static(b"STORED\r\nVALUE k 0 6\r\nsecret\r\nEND\r\n"),
        );
        assert_eq!(down, b"STORED\r\nVALUE k 0 1\r\n6\r\nEND\r\n");
    }

    #[test]
    fn authentication_data_is_a_value_too() {
        let mut r = Redactor::default();
        let sasl = Request::sasl_plain(b"app", b"hunter2").to_bytes();
        let out = r.redact(1, Direction::ToServer, &sasl);
        let p = Packet::new_checked(&out[..]).unwrap();
        assert_eq!((p.key(), p.value()), (&b"PLAIN"[..], &b"12"[..]));
        let text = r.redact(
            2,
            Direction::ToServer,
            &Bytes::from_static(b"set auth 0 0 11\r\napp hunter2\r\n"),
        );
        assert_eq!(text, b"set auth 0 0 2\r\n11\r\n");
    }
}
