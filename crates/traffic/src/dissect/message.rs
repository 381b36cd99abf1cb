//! The dissector's output: one decoded message, with where and when it was seen.

use std::net::SocketAddr;

use bytes::Bytes;

use super::Problem;
use crate::capture::{Direction, Origin};
use memshark_protocol::binary::{Opcode, Status};
use memshark_protocol::op::{Op, Outcome};

pub use memshark_protocol::op::Proto;

/// Request or response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Client to server.
    Request,
    /// Server to client.
    Response,
}

impl Kind {
    /// `request` or `response`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Request => "request",
            Kind::Response => "response",
        }
    }
}

/// One memcached message seen on a connection. `raw`, `key` and `keys` share the stream's
/// memory (no copies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Where and when: connection, ends, direction, frame and time of the first byte.
    pub origin: Origin,
    /// Protocol (for bytes that are no message: the connection's).
    pub proto: Proto,
    /// What the message is: a binary opcode, a text command or answer word, a meta command
    /// or code. `None` for bytes that could not be decoded (see [`Problem::op_word`]).
    pub op: Option<Op>,
    /// A binary response's status (for text and meta answers, [`Message::outcome`] reads
    /// the answer word).
    pub status: Option<Status>,
    /// The key (the first, for multi-key gets).
    pub key: Option<Bytes>,
    /// Every key of a multi-key text get (empty otherwise).
    pub keys: Vec<Bytes>,
    /// Binary opaque, or a numeric meta `O` token.
    pub opaque: Option<u32>,
    /// CAS.
    pub cas: Option<u64>,
    /// Client flags.
    pub flags: Option<u32>,
    /// Expiration time.
    pub exptime: Option<i64>,
    /// Binary extras length.
    pub extras_len: Option<u8>,
    /// Value length.
    pub value_len: Option<u64>,
    /// Quiet (binary quiet opcodes, text `noreply`, meta `q`): no answer expected on success.
    pub quiet: bool,
    /// For responses paired with their request: first byte of response − first byte of request.
    pub latency_ns: Option<u64>,
    /// The request this response answers: its op.
    pub request_op: Option<Op>,
    /// Transaction number: every request gets the next one from its dissector (0, 1, 2, …);
    /// a response paired with a request carries that request's number. `None` for unpaired
    /// responses, gaps and malformed bytes.
    pub txn: Option<u64>,
    /// Set when the message is malformed or the stream had a gap here.
    pub problem: Option<Problem>,
    /// The message's bytes as seen.
    pub raw: Bytes,
    /// Capture frame number of the data that completed the message (its last byte); 0 when
    /// not known, which [`Message::frames`] reads as the first byte's frame.
    pub last_frame: u64,
}

impl Message {
    /// A message from `origin` with nothing decoded yet (no op): what the decoders start
    /// from, and a base for hand-made messages in tests.
    pub fn new(origin: Origin, proto: Proto) -> Message {
        Message {
            origin,
            proto,
            op: None,
            status: None,
            key: None,
            keys: Vec::new(),
            opaque: None,
            cas: None,
            flags: None,
            exptime: None,
            extras_len: None,
            value_len: None,
            quiet: false,
            latency_ns: None,
            request_op: None,
            txn: None,
            problem: None,
            raw: Bytes::new(),
            last_frame: 0,
        }
    }

    /// The same message with op `op` (and its protocol).
    pub fn with_op(self, op: impl Into<Op>) -> Message {
        let op = op.into();
        Message {
            proto: op.proto(),
            op: Some(op),
            ..self
        }
    }

    /// The capture frames that carried the message's bytes: from the first byte's frame to
    /// the frame that completed it (in the message's direction; frames of the other direction
    /// and of other connections in between are not its).
    pub fn frames(&self) -> std::ops::RangeInclusive<u64> {
        self.origin.frame..=self.last_frame.max(self.origin.frame)
    }

    /// Request (client to server) or response.
    pub fn kind(&self) -> Kind {
        match self.origin.dir {
            Direction::ToServer => Kind::Request,
            Direction::ToClient => Kind::Response,
        }
    }

    /// The op as `dump` prints it: the op's name, else the problem's word (`gap`,
    /// `truncated`, `malformed`), else `unknown`.
    pub fn op_name(&self) -> &'static str {
        match (self.op, self.problem.and_then(Problem::op_word)) {
            (Some(op), _) => op.name(),
            (None, Some(word)) => word,
            (None, None) => "unknown",
        }
    }

    /// The op of the request this response answers, as [`op_name`](Self::op_name) printed
    /// it: the request's op, or `malformed` for a response paired with bytes that were no
    /// request (memcached answers those with `ERROR` or `CLIENT_ERROR`). `None` for requests
    /// and unpaired responses.
    pub fn request_op_name(&self) -> Option<&'static str> {
        match (self.request_op, self.txn) {
            (Some(op), _) => Some(op.name()),
            // Paired (it has its request's number) with a request that had no op: only
            // malformed requests are paired (gaps and cut-off tails are nobody's).
            (None, Some(_)) if self.kind() == Kind::Response => Some(Problem::MALFORMED_OP),
            _ => None,
        }
    }

    /// The binary opcode, for a binary message.
    pub fn opcode(&self) -> Option<Opcode> {
        self.op.and_then(Op::opcode)
    }

    /// What an answer says: a binary status, a text answer word, a meta code.
    pub fn outcome(&self) -> Option<Outcome> {
        match self.status {
            Some(s) => Some(Outcome::Binary(s)),
            None => self.op.and_then(Op::outcome),
        }
    }

    /// Sender.
    pub fn src(&self) -> SocketAddr {
        self.origin.src()
    }

    /// Receiver.
    pub fn dst(&self) -> SocketAddr {
        self.origin.dst()
    }

    /// Whether the answer is a miss ([`Outcome::is_miss`]: binary KEY_ENOENT, text
    /// `NOT_FOUND`, meta `EN`/`NF`; a text get's `END` alone is not).
    pub fn is_miss(&self) -> bool {
        self.outcome().is_some_and(Outcome::is_miss)
    }

    /// Whether this answer is a lookup's hit: an answer to a get-family request whose
    /// outcome is a hit ([`Outcome::is_hit`]). A meta hit (`VA`, `HD`) counts for a meta
    /// lookup (`mg`) only. `memshark stats`' hit ratio and the transactions table count these.
    pub fn is_lookup_hit(&self) -> bool {
        let Some(req) = self.request_op.filter(|r| r.is_lookup()) else {
            return false;
        };
        match self.outcome() {
            Some(o @ Outcome::Meta(_)) => o.is_hit() && req.proto() == Proto::Meta,
            Some(o) => o.is_hit(),
            None => false,
        }
    }

    /// Whether this answer is one of a series that another answer closes: text `VALUE` and
    /// `STAT` lines, binary STAT responses but the last (keyless) one.
    pub fn is_in_series(&self) -> bool {
        self.op.is_some_and(|o| !o.is_final())
            || (self.opcode() == Some(Opcode::Stat) && self.key.is_some())
    }

    /// Whether the message is flagged, or its answer is an error ([`Outcome::is_error`]: a
    /// binary status other than success and miss, text `ERROR`/`CLIENT_ERROR`/`SERVER_ERROR`).
    pub fn is_error(&self) -> bool {
        self.problem.is_some() || self.outcome().is_some_and(Outcome::is_error)
    }
}
