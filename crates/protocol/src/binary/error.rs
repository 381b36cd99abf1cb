//! Errors of the binary-protocol layer.

/// Why bytes are not a valid binary-protocol message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Fewer bytes than the header or the declared body needs.
    #[error("truncated message: {required} bytes required, {actual} present")]
    Truncated {
        /// Bytes the message needs.
        required: usize,
        /// Bytes that were there.
        actual: usize,
    },
    /// The first byte is not a binary-protocol magic.
    #[error("bad magic byte 0x{0:02x}")]
    BadMagic(u8),
    /// Framing extras, extras and key together are longer than the body.
    #[error(
        "inconsistent lengths: framing extras {framing_extras_len} + extras {extras_len} + key {key_len} > body {total_body_len}"
    )]
    BadLengths {
        /// Declared framing-extras length (flexible framing only).
        framing_extras_len: usize,
        /// Declared extras length.
        extras_len: usize,
        /// Declared key length.
        key_len: usize,
        /// Declared total body length.
        total_body_len: usize,
    },
    /// The declared body is larger than the configured maximum.
    #[error("body of {declared} bytes exceeds the limit of {max}")]
    BodyTooLarge {
        /// Declared total body length.
        declared: u32,
        /// Configured maximum.
        max: u32,
    },
}

/// Why [`read_packet`](super::read_packet) failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The reader failed (including end of input in the middle of a message).
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
    /// The bytes read are not a valid message.
    #[error(transparent)]
    Malformed(#[from] Error),
}
