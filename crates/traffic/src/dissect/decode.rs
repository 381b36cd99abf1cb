//! Turning one direction's bytes into messages: binary frames or text/meta lines.

use bytes::{Bytes, BytesMut};

use super::message::{Message, Proto};
use super::problem::{Malformed, Problem};
use crate::capture::Direction;
use memshark_protocol::ascii::{self, ParseLimits, Parsed};
use memshark_protocol::binary::{self, Extras, FrameCheck, Packet};
use memshark_protocol::meta;
use memshark_protocol::op::Op;

/// Largest binary body accepted before a header is called malformed.
pub const MAX_BODY: u32 = binary::DEFAULT_MAX_BODY_LEN;

/// What the front of a buffer held.
pub enum Step {
    /// A message, and the bytes it used.
    Message(Box<Message>, usize),
    /// Malformed: the flagged message covering the bad bytes, and how many bytes to drop.
    Malformed(Box<Message>, usize),
    /// More bytes needed (at least this many, when known).
    Incomplete(usize),
}

fn sub(raw: &Bytes, part: &[u8]) -> Option<Bytes> {
    (!part.is_empty()).then(|| raw.slice_ref(part))
}

/// Decodes a binary frame.
pub fn binary(buf: &Bytes, template: &Message) -> Step {
    match binary::check(buf, MAX_BODY) {
        Ok(FrameCheck::Complete(len)) => {
            let raw = buf.slice(..len);
            let p = Packet::new_unchecked(&raw[..]);
            let mut m = template.clone();
            let op = p.opcode();
            m.op = Some(Op::Binary(op));
            m.key = sub(&raw, p.key());
            m.opaque = Some(p.opaque());
            m.cas = Some(p.cas());
            m.extras_len = Some(p.extras_len() as u8);
            m.value_len = Some(p.value().len() as u64);
            m.quiet = op.is_quiet();
            if p.magic().is_response() {
                m.status = Some(p.status());
            }
            match p.typed_extras() {
                Extras::Store(s) => {
                    m.flags = Some(s.flags);
                    m.exptime = Some(i64::from(s.exptime));
                }
                Extras::Flags(f) => m.flags = Some(f),
                Extras::Expiry(e) => m.exptime = Some(i64::from(e)),
                Extras::Counter(c) => m.exptime = Some(i64::from(c.exptime)),
                _ => {}
            }
            let expected_request = template.origin.dir == Direction::ToServer;
            if p.magic().is_request() != expected_request {
                m.problem = Some(Problem::WrongDirection {
                    request: p.magic().is_request(),
                });
            }
            m.raw = raw;
            Step::Message(Box::new(m), len)
        }
        Ok(FrameCheck::Incomplete { needed }) => Step::Incomplete(needed),
        Err(e) => {
            let skip = binary::find_next_header(buf, MAX_BODY);
            let mut m = template.clone();
            m.problem = Some(Problem::Malformed(Malformed::BinaryHeader {
                error: e,
                skipped: skip,
            }));
            m.raw = buf.slice(..skip);
            Step::Malformed(Box::new(m), skip)
        }
    }
}

fn meta_fields(m: &mut Message, flags: meta::Flags<'_>) {
    m.opaque = flags
        .opaque()
        .and_then(|o| std::str::from_utf8(o).ok())
        .and_then(|o| o.parse().ok());
    m.quiet = flags.is_quiet();
    let num = |f: u8| {
        flags
            .get(f)
            .and_then(|t| std::str::from_utf8(t).ok())
            .and_then(|t| t.parse::<i64>().ok())
    };
    if let Some(f) = num(b'F').or(num(b'f')) {
        m.flags = u32::try_from(f).ok();
    }
    if let Some(t) = num(b'T') {
        m.exptime = Some(t);
    }
    if let Some(c) = num(b'C').or(num(b'c')) {
        m.cas = u64::try_from(c).ok();
    }
}

/// Decodes a text or meta message.
pub fn text(buf: &Bytes, template: &Message, limits: &ParseLimits) -> Step {
    let mut m = template.clone();
    let parsed = if template.origin.dir == Direction::ToServer {
        match ascii::Request::parse(buf, limits) {
            Ok(Parsed::Complete { message, len }) => {
                let raw = buf.slice(..len);
                m.op = Some(Op::from(&message));
                m.key = message.key().and_then(|k| sub(&raw, k));
                m.quiet = message.is_noreply();
                match &message {
                    ascii::Request::Store {
                        flags,
                        exptime,
                        cas,
                        data,
                        ..
                    } => {
                        m.flags = Some(*flags);
                        m.exptime = Some(*exptime);
                        m.cas = *cas;
                        m.value_len = Some(data.len() as u64);
                    }
                    ascii::Request::Get { keys, exptime, .. } => {
                        if keys.len() > 1 {
                            m.keys = keys.iter().filter_map(|k| sub(&raw, k)).collect();
                        }
                        m.exptime = *exptime;
                    }
                    ascii::Request::Touch { exptime, .. } => m.exptime = Some(*exptime),
                    ascii::Request::Meta(r) => {
                        m.proto = Proto::Meta;
                        meta_fields(&mut m, r.flags);
                        m.value_len = r.data.map(|d| d.len() as u64);
                    }
                    _ => {}
                }
                Ok((raw, len))
            }
            Ok(Parsed::Incomplete { needed }) => return Step::Incomplete(needed.unwrap_or(1)),
            Err(e) => Err(e),
        }
    } else {
        match ascii::Response::parse(buf, limits) {
            Ok(Parsed::Complete { message, len }) => {
                let raw = buf.slice(..len);
                m.op = Some(Op::from(&message));
                match &message {
                    ascii::Response::Value {
                        key,
                        flags,
                        cas,
                        data,
                    } => {
                        m.key = sub(&raw, key);
                        m.flags = Some(*flags);
                        m.cas = *cas;
                        m.value_len = Some(data.len() as u64);
                    }
                    ascii::Response::Meta(r) => {
                        m.proto = Proto::Meta;
                        meta_fields(&mut m, r.flags);
                        m.quiet = false;
                        m.value_len = r.data.map(|d| d.len() as u64);
                    }
                    _ => {}
                }
                Ok((raw, len))
            }
            Ok(Parsed::Incomplete { needed }) => return Step::Incomplete(needed.unwrap_or(1)),
            Err(e) => Err(e),
        }
    };
    match parsed {
        Ok((raw, len)) => {
            m.raw = raw;
            Step::Message(Box::new(m), len)
        }
        Err(e) => {
            let skip = e.skip.min(buf.len()).max(1);
            m.problem = Some(Problem::Malformed(Malformed::Text {
                kind: e.kind,
                skipped: skip,
            }));
            m.raw = buf.slice(..skip);
            if template.origin.dir == Direction::ToServer {
                name_rejected_command(&mut m);
            }
            Step::Malformed(Box::new(m), skip)
        }
    }
}

/// A command line memcached rejects (`delete a b c d e`, a key too long, a bad number) is
/// still named by what it says, as Wireshark does: its command word as the op and its key,
/// beside the reason ([`Problem::Malformed`]). A line whose first word is no command keeps no
/// op.
fn name_rejected_command(m: &mut Message) {
    let raw = m.raw.clone();
    let line_end = memchr::memchr(b'\n', &raw).unwrap_or(raw.len());
    let line = raw[..line_end]
        .strip_suffix(b"\r")
        .unwrap_or(&raw[..line_end]);
    let mut tokens = line.split(|&b| b == b' ').filter(|t| !t.is_empty());
    let Some(word) = tokens.next() else {
        return;
    };
    let op = match ascii::Command::from_word(word) {
        Some(c) => Op::from(c),
        None => match meta::Command::from_word(word) {
            Some(c) => Op::from(c),
            None => return,
        },
    };
    m.op = Some(op);
    m.proto = op.proto();
    if op.grammar().arg(0) == memshark_protocol::text::Arg::Key {
        m.key = tokens.next().map(|k| raw.slice_ref(k));
    }
}

/// Where a partial message sits when a gap arrives: for a binary frame whose header is in hand,
/// how many bytes the frame still needs (so a gap inside its value keeps the stream in sync).
pub fn binary_remaining(buf: &BytesMut) -> Option<usize> {
    if buf.len() < binary::HEADER_LEN {
        return None;
    }
    match binary::check(buf, MAX_BODY) {
        Ok(FrameCheck::Incomplete { needed }) => Some(needed),
        _ => None,
    }
}

/// A binary message cut by a gap after its header: the message as far as its header (and
/// whole key and extras) tell, and how many bytes of it the gap and what follows must supply.
pub fn cut_binary(buf: &BytesMut, template: &Message) -> Option<(Box<Message>, u64)> {
    let needed = binary_remaining(buf)?;
    match binary(&Bytes::from(header_with_body(buf)), template) {
        Step::Message(m, _) => Some((m, needed as u64)),
        _ => None,
    }
}

/// A text message cut by a gap inside its data block (a storage command, a `VALUE` or meta
/// answer with its line whole): the message as its line tells, and how many bytes of it the
/// gap and what follows must supply.
pub fn cut_text(
    buf: &BytesMut,
    template: &Message,
    limits: &ParseLimits,
) -> Option<(Box<Message>, u64)> {
    let parsed = match template.origin.dir {
        Direction::ToServer => ascii::Request::parse(buf, limits).map(|p| match p {
            Parsed::Incomplete { needed } => needed,
            Parsed::Complete { .. } => None,
        }),
        Direction::ToClient => ascii::Response::parse(buf, limits).map(|p| match p {
            Parsed::Incomplete { needed } => needed,
            Parsed::Complete { .. } => None,
        }),
    };
    let needed = parsed.ok().flatten()?;
    // Stand-in bytes for the lost part: filler, then the data block's closing CRLF.
    let total = buf.len() + needed;
    let mut full = buf.to_vec();
    full.extend((buf.len()..total).map(|i| match total - i {
        2 => b'\r',
        1 => b'\n',
        _ => b'x',
    }));
    match text(&Bytes::from(full), template, limits) {
        Step::Message(m, _) => Some((m, needed as u64)),
        _ => None,
    }
}

/// The buffered bytes of a binary message whose body is cut by a gap, with the header's body
/// length left as declared: decoding it yields the header fields (key and extras if present).
fn header_with_body(buf: &BytesMut) -> Vec<u8> {
    let mut v = buf.to_vec();
    if v.len() >= 24 {
        let have = (v.len() - 24) as u32;
        v[8..12].copy_from_slice(&have.to_be_bytes());
        // Keep key and extras only if they are whole.
        let key_len = u32::from(u16::from_be_bytes([v[2], v[3]]));
        let extras = u32::from(v[4]);
        if key_len + extras > have {
            v[2] = 0;
            v[3] = 0;
            v[4] = 0;
        }
    }
    v
}
