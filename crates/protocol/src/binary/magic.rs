//! The first byte of every binary-protocol message.

/// The magic byte that opens a binary-protocol message and tells its direction.
///
/// memcached speaks `0x80` (request) and `0x81` (response). Couchbase's flexible framing adds
/// `0x08` and `0x18`, whose header carries a framing-extras length in byte 2. Any other value is
/// kept as [`Magic::Unknown`] rather than rejected, so callers can report what they saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Magic {
    /// `0x80`: a client request.
    Request,
    /// `0x81`: a server response.
    Response,
    /// `0x08`: a request with flexible framing extras (Couchbase).
    FlexRequest,
    /// `0x18`: a response with flexible framing extras (Couchbase).
    FlexResponse,
    /// Any other byte.
    Unknown(u8),
}

impl Magic {
    /// Whether this magic opens a request (`0x80` or `0x08`).
    pub fn is_request(self) -> bool {
        matches!(self, Magic::Request | Magic::FlexRequest)
    }

    /// Whether this magic opens a response (`0x81` or `0x18`).
    pub fn is_response(self) -> bool {
        matches!(self, Magic::Response | Magic::FlexResponse)
    }

    /// Whether the header uses flexible framing (byte 2 is the framing-extras length).
    pub fn is_flexible(self) -> bool {
        matches!(self, Magic::FlexRequest | Magic::FlexResponse)
    }

    /// Whether this is one of the four magics memshark understands.
    pub fn is_known(self) -> bool {
        !matches!(self, Magic::Unknown(_))
    }
}

impl From<u8> for Magic {
    fn from(value: u8) -> Self {
        match value {
            0x80 => Magic::Request,
            0x81 => Magic::Response,
            0x08 => Magic::FlexRequest,
            0x18 => Magic::FlexResponse,
            other => Magic::Unknown(other),
        }
    }
}

impl From<Magic> for u8 {
    fn from(value: Magic) -> Self {
        match value {
            Magic::Request => 0x80,
            Magic::Response => 0x81,
            Magic::FlexRequest => 0x08,
            Magic::FlexResponse => 0x18,
            Magic::Unknown(other) => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips() {
        for b in 0..=255u8 {
            assert_eq!(u8::from(Magic::from(b)), b);
        }
    }

    #[test]
    fn directions() {
        assert!(Magic::from(0x80).is_request());
        assert!(Magic::from(0x08).is_request() && Magic::from(0x08).is_flexible());
        assert!(Magic::from(0x81).is_response());
        assert!(Magic::from(0x18).is_response() && Magic::from(0x18).is_flexible());
        assert!(!Magic::from(0x42).is_known());
    }
}
