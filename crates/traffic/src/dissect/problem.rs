//! What went wrong with a message, as the dissector saw it. The jsonl, csv and text writers
//! print each [`Problem`] as its `Display` text (schema v1's `error` field).

use memshark_protocol::ascii;
use memshark_protocol::binary;

/// Why a message is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The capture lost bytes here; the message holds what was buffered before the gap (op
    /// `gap`).
    #[error("{bytes} bytes missing (capture gap)")]
    Gap {
        /// Bytes lost.
        bytes: u64,
    },
    /// A binary message whose value lost bytes in a capture gap: its header decoded, and the
    /// stream stays in step (the message has its op).
    #[error("{bytes} bytes missing inside the value (capture gap)")]
    GapInValue {
        /// Bytes lost.
        bytes: u64,
    },
    /// Bytes after a capture gap (or at the start of a stream picked up mid-way) that are the
    /// rest of a message whose start was lost, skipped to reach the next real message (op
    /// `gap`).
    #[error("{bytes} bytes skipped to the next message (after a capture gap, or the message's start was not captured)")]
    Skipped {
        /// Bytes skipped.
        bytes: u64,
    },
    /// The stream ended inside a message (op `truncated`).
    #[error("stream ended inside a message")]
    Truncated,
    /// Bytes that are no message (op `malformed`).
    #[error(transparent)]
    Malformed(Malformed),
    /// A binary message whose magic says the other direction (the message has its op).
    #[error(
        "{} magic in the {} direction",
        if *.request { "request" } else { "response" },
        if *.request { "server-to-client" } else { "client-to-server" }
    )]
    WrongDirection {
        /// The magic is a request's (seen going to the client); else a response's.
        request: bool,
    },
}

/// Why bytes are no message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    /// A binary header that cannot be (unknown magic, impossible lengths, huge body).
    #[error("malformed binary header ({error}); skipped {skipped} bytes")]
    BinaryHeader {
        /// What is wrong with it.
        error: binary::Error,
        /// Bytes dropped to find the next plausible header.
        skipped: usize,
    },
    /// A text or meta line memcached would refuse.
    #[error("malformed text message ({}); skipped {skipped} bytes", .kind.reply())]
    Text {
        /// What is wrong with it.
        kind: ascii::ErrorKind,
        /// Bytes dropped to get back in step.
        skipped: usize,
    },
    /// A UDP datagram too short for memcached's frame header.
    #[error("UDP datagram shorter than memcached's 8-byte frame header")]
    ShortDatagram,
}

impl Problem {
    /// The op `dump` prints for malformed bytes (and that a response paired with them names
    /// as its request's).
    pub const MALFORMED_OP: &'static str = "malformed";

    /// The op `dump` prints for bytes that could not be decoded as a message: `gap`,
    /// `truncated` or `malformed`. `None` when the message was decoded despite the problem
    /// (a gap inside a value, a magic in the wrong direction) and has an op of its own.
    pub fn op_word(self) -> Option<&'static str> {
        match self {
            Problem::Gap { .. } | Problem::Skipped { .. } => Some("gap"),
            Problem::Truncated => Some("truncated"),
            Problem::Malformed(_) => Some(Problem::MALFORMED_OP),
            Problem::GapInValue { .. } | Problem::WrongDirection { .. } => None,
        }
    }

    /// Whether the flagged bytes are no message at all (they have no op; see
    /// [`op_word`](Self::op_word)).
    pub fn is_undecoded(self) -> bool {
        self.op_word().is_some()
    }

    /// Whether this is damage to the stream itself (bytes lost to a gap, or cut off by its
    /// end) rather than bad bytes: such a message is nobody's request or answer.
    pub fn is_stream_damage(self) -> bool {
        matches!(
            self,
            Problem::Gap { .. } | Problem::Skipped { .. } | Problem::Truncated
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_print_as_schema_v1_errors() {
        let cases: [(Problem, &str); 7] = [
            (Problem::Gap { bytes: 4 }, "4 bytes missing (capture gap)"),
            (
                Problem::GapInValue { bytes: 500 },
                "500 bytes missing inside the value (capture gap)",
            ),
            (Problem::Truncated, "stream ended inside a message"),
            (
                Problem::WrongDirection { request: true },
                "request magic in the server-to-client direction",
            ),
            (
                Problem::WrongDirection { request: false },
                "response magic in the client-to-server direction",
            ),
            (
                Problem::Malformed(Malformed::Text {
                    kind: ascii::ErrorKind::UnknownCommand,
                    skipped: 8,
                }),
                "malformed text message (ERROR); skipped 8 bytes",
            ),
            (
                Problem::Malformed(Malformed::BinaryHeader {
                    error: binary::Error::BadMagic(0x42),
                    skipped: 3,
                }),
                "malformed binary header (bad magic byte 0x42); skipped 3 bytes",
            ),
        ];
        for (p, text) in cases {
            assert_eq!(p.to_string(), text);
        }
        assert_eq!(
            Problem::Malformed(Malformed::ShortDatagram).to_string(),
            "UDP datagram shorter than memcached's 8-byte frame header"
        );
    }
}
