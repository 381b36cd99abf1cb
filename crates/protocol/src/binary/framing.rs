//! Framing a byte stream into messages, sans I/O: a check that never allocates, a blocking
//! reader, and the resync scan used after garbage.

use std::io::Read;

use bytes::{Buf, Bytes, BytesMut};

use super::{Error, Packet, ReadError, HEADER_LEN};

/// Default limit on a message body: memcached's largest configurable item (1 GiB) is far more
/// than anyone sends; [`CAPTURED_VALUE_MAX`](crate::limits::CAPTURED_VALUE_MAX) (64 MiB) covers
/// every realistic item and keeps a lying header from making a reader wait for or reserve
/// gigabytes.
pub const DEFAULT_MAX_BODY_LEN: u32 = crate::limits::CAPTURED_VALUE_MAX as u32;

/// What [`check`] found at the front of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameCheck {
    /// A whole message of this many bytes is there.
    Complete(usize),
    /// The message is not all there yet: at least `needed` more bytes are required.
    Incomplete {
        /// Bytes still missing (for the header, or for the declared body).
        needed: usize,
    },
}

/// Looks at the front of `buf` and says whether a whole message is there, without allocating.
///
/// "Need more bytes" is [`FrameCheck::Incomplete`], not an error. Errors are malformed headers:
/// an unknown magic, lengths that do not fit the body, or a body longer than `max_body`.
pub fn check(buf: &[u8], max_body: u32) -> Result<FrameCheck, Error> {
    if let Some(&magic) = buf.first() {
        if !super::Magic::from(magic).is_known() {
            return Err(Error::BadMagic(magic));
        }
    }
    if buf.len() < HEADER_LEN {
        return Ok(FrameCheck::Incomplete {
            needed: HEADER_LEN - buf.len(),
        });
    }
    let p = Packet::new_unchecked(buf);
    let body = p.total_body_len();
    if body > max_body {
        return Err(Error::BodyTooLarge {
            declared: body,
            max: max_body,
        });
    }
    p.check_body_lengths()?;
    let frame = p.frame_len();
    if buf.len() < frame {
        Ok(FrameCheck::Incomplete {
            needed: frame - buf.len(),
        })
    } else {
        Ok(FrameCheck::Complete(frame))
    }
}

/// Reads exactly one message from `reader` into `buf` (reused across calls) and returns a
/// validated view of it.
///
/// The header is read first and checked (magic, lengths, `max_body`) before the body is read,
/// so a lying header never makes this allocate its declared size. `buf` only grows to the
/// largest message seen.
pub fn read_packet<'b, R: Read + ?Sized>(
    reader: &mut R,
    buf: &'b mut Vec<u8>,
    max_body: u32,
) -> Result<Packet<&'b [u8]>, ReadError> {
    let mut header = [0u8; HEADER_LEN];
    reader.read_exact(&mut header)?;
    let body = match check(&header, max_body)? {
        FrameCheck::Complete(_) => 0,
        FrameCheck::Incomplete { needed } => needed,
    };
    buf.clear();
    // One exact reservation: a fresh buffer is allocated once, a reused one not at all.
    if buf.capacity() < HEADER_LEN + body {
        buf.reserve_exact(HEADER_LEN + body);
    }
    buf.extend_from_slice(&header);
    if body > 0 {
        buf.resize(HEADER_LEN + body, 0);
        reader.read_exact(&mut buf[HEADER_LEN..])?;
    }
    Ok(Packet::new_unchecked(&buf[..]))
}

/// Skips forward in `buf` to the next offset where a plausible message starts: a known magic,
/// a known opcode and lengths that fit `max_body`. Used to resync after garbage. Returns
/// `buf.len()` when nothing plausible is found.
pub fn find_next_header(buf: &[u8], max_body: u32) -> usize {
    (1..buf.len())
        .find(|&at| plausible_header(&buf[at..], max_body))
        .unwrap_or(buf.len())
}

/// Whether `buf` starts with something that looks like a binary header (see
/// [`find_next_header`]); a prefix too short to tell counts as plausible when its known bytes
/// fit.
pub fn plausible_header(buf: &[u8], max_body: u32) -> bool {
    let Some(&magic) = buf.first() else {
        return false;
    };
    if !super::Magic::from(magic).is_known() {
        return false;
    }
    if let Some(&op) = buf.get(1) {
        if !super::Opcode::from(op).is_known() {
            return false;
        }
    }
    if buf.len() < HEADER_LEN {
        return true;
    }
    let p = Packet::new_unchecked(buf);
    p.data_type() == 0 && p.total_body_len() <= max_body && p.check_body_lengths().is_ok()
}

/// Advances `buf` past one message if a whole one is there (helper for sync readers).
pub fn split_message(buf: &mut BytesMut, max_body: u32) -> Result<Option<Packet<Bytes>>, Error> {
    match check(buf, max_body)? {
        FrameCheck::Complete(len) => Ok(Some(Packet::new_unchecked(buf.split_to(len).freeze()))),
        FrameCheck::Incomplete { .. } => Ok(None),
    }
}

/// Drops `n` bytes from the front of `buf` (used after a malformed header to resync).
pub fn skip(buf: &mut BytesMut, n: usize) {
    buf.advance(n.min(buf.len()));
}
