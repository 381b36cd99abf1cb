//! A zero-copy view over the bytes of one binary-protocol message.
//!
//! Untrusted bytes must go through [`Packet::new_checked`]: it validates the header lengths once,
//! after which no accessor can panic. [`Packet::new_unchecked`] is for buffers this crate built
//! itself; on those, accessors still never read out of bounds but may return empty slices.

use super::{Error, Magic, Opcode, Status};

/// Byte ranges of the 24-byte header, in network byte order.
mod field {
    use std::ops::Range;

    pub const MAGIC: usize = 0;
    pub const OPCODE: usize = 1;
    pub const KEY_LEN: Range<usize> = 2..4;
    /// Flexible framing only: framing-extras length.
    pub const FRAMING_EXTRAS_LEN: usize = 2;
    /// Flexible framing only: one-byte key length.
    pub const FLEX_KEY_LEN: usize = 3;
    pub const EXTRAS_LEN: usize = 4;
    pub const DATA_TYPE: usize = 5;
    pub const VBUCKET_OR_STATUS: Range<usize> = 6..8;
    pub const TOTAL_BODY: Range<usize> = 8..12;
    pub const OPAQUE: Range<usize> = 12..16;
    pub const CAS: Range<usize> = 16..24;
}

/// Length of the fixed header that starts every message.
pub const HEADER_LEN: usize = field::CAS.end;

/// A binary-protocol message over any byte buffer, read through accessors.
///
/// The buffer may be longer than the message; [`frame_len`](Packet::frame_len) says where the
/// message ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

fn be16(b: &[u8], r: std::ops::Range<usize>) -> u16 {
    match b.get(r) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

fn be32(b: &[u8], r: std::ops::Range<usize>) -> u32 {
    match b.get(r) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

fn be64(b: &[u8], r: std::ops::Range<usize>) -> u64 {
    b.get(r)
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0)
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it. Accessors never panic, but on a short or inconsistent
    /// buffer they return zeros and empty slices.
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wraps a buffer after checking that it holds a whole message with consistent lengths.
    pub fn new_checked(buffer: T) -> Result<Packet<T>, Error> {
        let packet = Packet::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer holds the header and the declared body, and that framing extras,
    /// extras and key fit in the body. The magic is checked too.
    pub fn check_len(&self) -> Result<(), Error> {
        let b = self.buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated {
                required: HEADER_LEN,
                actual: b.len(),
            });
        }
        if !self.magic().is_known() {
            return Err(Error::BadMagic(b[field::MAGIC]));
        }
        self.check_body_lengths()?;
        let frame = self.frame_len();
        if b.len() < frame {
            return Err(Error::Truncated {
                required: frame,
                actual: b.len(),
            });
        }
        Ok(())
    }

    /// Checks that framing extras + extras + key fit in the declared body (header only).
    pub(crate) fn check_body_lengths(&self) -> Result<(), Error> {
        let fixed = self.framing_extras_len() + self.extras_len() + self.key_len();
        let total = self.total_body_len() as usize;
        if fixed > total {
            return Err(Error::BadLengths {
                framing_extras_len: self.framing_extras_len(),
                extras_len: self.extras_len(),
                key_len: self.key_len(),
                total_body_len: total,
            });
        }
        Ok(())
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The underlying buffer, borrowed.
    pub fn as_inner(&self) -> &T {
        &self.buffer
    }

    fn byte(&self, at: usize) -> u8 {
        self.buffer.as_ref().get(at).copied().unwrap_or(0)
    }

    /// Header byte 0: the magic.
    pub fn magic(&self) -> Magic {
        Magic::from(self.byte(field::MAGIC))
    }

    /// Header byte 1: the opcode.
    pub fn opcode(&self) -> Opcode {
        Opcode::from(self.byte(field::OPCODE))
    }

    /// The key length (bytes 2–3, or byte 3 under flexible framing).
    pub fn key_len(&self) -> usize {
        if self.magic().is_flexible() {
            usize::from(self.byte(field::FLEX_KEY_LEN))
        } else {
            usize::from(be16(self.buffer.as_ref(), field::KEY_LEN))
        }
    }

    /// The framing-extras length (byte 2 under flexible framing; 0 otherwise).
    pub fn framing_extras_len(&self) -> usize {
        if self.magic().is_flexible() {
            usize::from(self.byte(field::FRAMING_EXTRAS_LEN))
        } else {
            0
        }
    }

    /// Header byte 4: the extras length.
    pub fn extras_len(&self) -> usize {
        usize::from(self.byte(field::EXTRAS_LEN))
    }

    /// Header byte 5: the data type (0 = raw bytes).
    pub fn data_type(&self) -> u8 {
        self.byte(field::DATA_TYPE)
    }

    /// Bytes 6–7 as a number: the vbucket id of a request or the status of a response.
    pub fn vbucket_or_status(&self) -> u16 {
        be16(self.buffer.as_ref(), field::VBUCKET_OR_STATUS)
    }

    /// The vbucket id (meaningful on requests).
    pub fn vbucket(&self) -> u16 {
        self.vbucket_or_status()
    }

    /// The status (meaningful on responses).
    pub fn status(&self) -> Status {
        Status::from(self.vbucket_or_status())
    }

    /// Bytes 8–11: the length of everything after the header.
    pub fn total_body_len(&self) -> u32 {
        be32(self.buffer.as_ref(), field::TOTAL_BODY)
    }

    /// Bytes 12–15: the opaque, echoed by the server.
    pub fn opaque(&self) -> u32 {
        be32(self.buffer.as_ref(), field::OPAQUE)
    }

    /// Bytes 16–23: the CAS value.
    pub fn cas(&self) -> u64 {
        be64(self.buffer.as_ref(), field::CAS)
    }

    /// Header plus declared body: the length of the whole message.
    pub fn frame_len(&self) -> usize {
        HEADER_LEN + self.total_body_len() as usize
    }

    fn body_slice(&self, start: usize, len: usize) -> &[u8] {
        let b = self.buffer.as_ref();
        let from = HEADER_LEN.saturating_add(start);
        b.get(from..from.saturating_add(len))
            .or_else(|| b.get(from.min(b.len())..))
            .unwrap_or(&[])
    }

    /// The framing extras (flexible framing only; empty otherwise).
    pub fn framing_extras(&self) -> &[u8] {
        self.body_slice(0, self.framing_extras_len())
    }

    /// The extras.
    pub fn extras(&self) -> &[u8] {
        self.body_slice(self.framing_extras_len(), self.extras_len())
    }

    /// The key.
    pub fn key(&self) -> &[u8] {
        self.body_slice(
            self.framing_extras_len() + self.extras_len(),
            self.key_len(),
        )
    }

    /// The value: the body after framing extras, extras and key.
    pub fn value(&self) -> &[u8] {
        let fixed = self.framing_extras_len() + self.extras_len() + self.key_len();
        let len = (self.total_body_len() as usize).saturating_sub(fixed);
        self.body_slice(fixed, len)
    }

    /// The header bytes.
    pub fn header(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        b.get(..HEADER_LEN).unwrap_or(b)
    }

    /// The whole message (header and body), without any trailing bytes of the buffer.
    pub fn as_bytes(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        b.get(..self.frame_len()).unwrap_or(b)
    }

    /// The extras decoded by what this opcode carries (see [`Extras`](super::Extras)).
    pub fn typed_extras(&self) -> super::Extras<'_> {
        super::Extras::decode(self.magic(), self.opcode(), self.extras(), self.value())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn put(&mut self, range: std::ops::Range<usize>, bytes: &[u8]) {
        if let Some(dst) = self.buffer.as_mut().get_mut(range) {
            dst.copy_from_slice(bytes);
        }
    }

    /// Sets the magic byte.
    pub fn set_magic(&mut self, magic: Magic) {
        self.put(field::MAGIC..field::MAGIC + 1, &[u8::from(magic)]);
    }

    /// Sets the opcode.
    pub fn set_opcode(&mut self, opcode: Opcode) {
        self.put(field::OPCODE..field::OPCODE + 1, &[u8::from(opcode)]);
    }

    /// Sets the vbucket id (requests).
    pub fn set_vbucket(&mut self, vbucket: u16) {
        self.put(field::VBUCKET_OR_STATUS, &vbucket.to_be_bytes());
    }

    /// Sets the status (responses).
    pub fn set_status(&mut self, status: Status) {
        self.put(field::VBUCKET_OR_STATUS, &u16::from(status).to_be_bytes());
    }

    /// Sets the opaque.
    pub fn set_opaque(&mut self, opaque: u32) {
        self.put(field::OPAQUE, &opaque.to_be_bytes());
    }

    /// Sets the CAS value.
    pub fn set_cas(&mut self, cas: u64) {
        self.put(field::CAS, &cas.to_be_bytes());
    }

    /// Sets the data type.
    pub fn set_data_type(&mut self, data_type: u8) {
        self.put(field::DATA_TYPE..field::DATA_TYPE + 1, &[data_type]);
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Writes a header into the first [`HEADER_LEN`] bytes of `out` (classic framing).
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_header(
    out: &mut [u8; HEADER_LEN],
    magic: Magic,
    opcode: Opcode,
    key_len: u16,
    extras_len: u8,
    vbucket_or_status: u16,
    total_body: u32,
    opaque: u32,
    cas: u64,
) {
    out[field::MAGIC] = magic.into();
    out[field::OPCODE] = opcode.into();
    out[field::KEY_LEN].copy_from_slice(&key_len.to_be_bytes());
    out[field::EXTRAS_LEN] = extras_len;
    out[field::DATA_TYPE] = 0;
    out[field::VBUCKET_OR_STATUS].copy_from_slice(&vbucket_or_status.to_be_bytes());
    out[field::TOTAL_BODY].copy_from_slice(&total_body.to_be_bytes());
    out[field::OPAQUE].copy_from_slice(&opaque.to_be_bytes());
    out[field::CAS].copy_from_slice(&cas.to_be_bytes());
}
