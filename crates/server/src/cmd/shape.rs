//! What a binary request must carry besides its header, per opcode, as memcached checks it
//! before doing anything (a request out of shape is answered `EINVAL` and the connection
//! closed).

use memshark_protocol::binary::Packet;

use super::RequestError;

/// Whether a request carries a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRule {
    /// A non-empty key.
    Required,
    /// No key.
    Forbidden,
    /// Either.
    Optional,
}

/// The lengths a binary request of one opcode must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The extras lengths allowed.
    pub extras: &'static [usize],
    /// The key.
    pub key: KeyRule,
    /// Whether a value is allowed.
    pub value: bool,
}

impl Shape {
    /// Checks a request against the shape.
    pub fn check<T: AsRef<[u8]>>(&self, p: &Packet<T>) -> Result<(), RequestError> {
        let key_ok = match self.key {
            KeyRule::Required => p.key_len() > 0,
            KeyRule::Forbidden => p.key_len() == 0,
            KeyRule::Optional => true,
        };
        let value_ok = self.value || p.value().is_empty();
        if self.extras.contains(&p.extras_len()) && key_ok && value_ok {
            Ok(())
        } else {
            Err(RequestError::Malformed)
        }
    }
}
