//! Why a request cannot be built from what a protocol parsed.

use memshark_protocol::limits::KEY_MAX_LEN;

/// A request that does not make a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// A binary request whose extras, key or value lengths do not fit its opcode.
    #[error("the extras, key or value do not have the lengths the command requires")]
    Malformed,
    /// A key longer than memcached accepts.
    #[error("the key is longer than {KEY_MAX_LEN} bytes")]
    KeyTooLong,
    /// A meta key flagged base64 (`b`) that does not decode.
    #[error("the key does not decode from base64")]
    KeyEncoding,
}
