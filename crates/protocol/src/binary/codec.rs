//! The binary protocol as a [`tokio_util::codec`] decoder/encoder (feature `codec`).

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use super::framing::{check, FrameCheck, DEFAULT_MAX_BODY_LEN};
use super::{Error, Message, Packet, Request, Response};

/// A [`Decoder`]/[`Encoder`] for binary-protocol streams.
///
/// Decoding splits each whole message off the read buffer with `split_to(n).freeze()`, so the
/// [`Packet<Bytes>`] it yields shares the buffer's memory. A body longer than
/// [`max_body_len`](Self::max_body_len) is an error before any of it is buffered, and the
/// decoder only asks the buffer to reserve what is actually missing up to that bound.
#[derive(Debug, Clone, Copy)]
pub struct BinaryCodec {
    max_body_len: u32,
}

impl Default for BinaryCodec {
    fn default() -> Self {
        BinaryCodec::new(DEFAULT_MAX_BODY_LEN)
    }
}

impl BinaryCodec {
    /// A codec that refuses bodies longer than `max_body_len`.
    pub fn new(max_body_len: u32) -> BinaryCodec {
        BinaryCodec { max_body_len }
    }

    /// The body-length limit.
    pub fn max_body_len(&self) -> u32 {
        self.max_body_len
    }
}

/// Errors of [`BinaryCodec`].
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The stream holds a malformed header.
    #[error(transparent)]
    Malformed(#[from] Error),
    /// The underlying transport failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl Decoder for BinaryCodec {
    type Item = Packet<Bytes>;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Packet<Bytes>>, CodecError> {
        match check(src, self.max_body_len)? {
            FrameCheck::Complete(len) => {
                let frame = src.split_to(len).freeze();
                Ok(Some(Packet::new_unchecked(frame)))
            }
            FrameCheck::Incomplete { needed } => {
                src.reserve(needed);
                Ok(None)
            }
        }
    }
}

impl Encoder<&Message> for BinaryCodec {
    type Error = CodecError;

    fn encode(&mut self, item: &Message, dst: &mut BytesMut) -> Result<(), CodecError> {
        dst.reserve(item.wire_len());
        item.write_to(dst);
        Ok(())
    }
}

impl Encoder<Request> for BinaryCodec {
    type Error = CodecError;

    fn encode(&mut self, item: Request, dst: &mut BytesMut) -> Result<(), CodecError> {
        self.encode(&*item, dst)
    }
}

impl Encoder<Response> for BinaryCodec {
    type Error = CodecError;

    fn encode(&mut self, item: Response, dst: &mut BytesMut) -> Result<(), CodecError> {
        self.encode(&*item, dst)
    }
}

impl Encoder<Packet<Bytes>> for BinaryCodec {
    type Error = CodecError;

    fn encode(&mut self, item: Packet<Bytes>, dst: &mut BytesMut) -> Result<(), CodecError> {
        dst.extend_from_slice(item.as_bytes());
        Ok(())
    }
}
