//! The dissector's output: one decoded message, with where and when it was seen.

use std::net::SocketAddr;

use bytes::Bytes;

use crate::capture::{Direction, Timestamp};

/// Which protocol a message speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    /// Binary protocol.
    Binary,
    /// Classic text protocol.
    Ascii,
    /// Meta commands.
    Meta,
}

impl Proto {
    /// `binary`, `ascii` or `meta`.
    pub fn name(self) -> &'static str {
        match self {
            Proto::Binary => "binary",
            Proto::Ascii => "ascii",
            Proto::Meta => "meta",
        }
    }
}

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
    /// Connection id (0 for UDP).
    pub conn: u64,
    /// Client address.
    pub client: SocketAddr,
    /// Server address.
    pub server: SocketAddr,
    /// Direction.
    pub dir: Direction,
    /// Frame holding the first byte.
    pub frame: u64,
    /// That frame's time.
    pub ts: Timestamp,
    /// Protocol.
    pub proto: Proto,
    /// Request or response.
    pub kind: Kind,
    /// Operation: binary opcode name, text/meta command word, or text answer word.
    pub op: &'static str,
    /// Binary opcode.
    pub opcode: Option<u8>,
    /// The key (the first, for multi-key gets).
    pub key: Option<Bytes>,
    /// Every key of a multi-key text get (empty otherwise).
    pub keys: Vec<Bytes>,
    /// Binary status.
    pub status: Option<u16>,
    /// Binary status name.
    pub status_name: Option<&'static str>,
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
    pub request_op: Option<&'static str>,
    /// Transaction number: every request gets the next one from its dissector (0, 1, 2, …);
    /// a response paired with a request carries that request's number. `None` for unpaired
    /// responses, gaps and malformed bytes.
    pub txn: Option<u64>,
    /// Set when the message is malformed or the stream had a gap here.
    pub error: Option<String>,
    /// The message's bytes as seen.
    pub raw: Bytes,
}

impl Message {
    /// A message of connection `conn` with nothing decoded yet (op `unknown`): what the
    /// decoders start from, and a base for hand-made messages in tests.
    pub fn new(
        conn: u64,
        client: SocketAddr,
        server: SocketAddr,
        dir: Direction,
        proto: Proto,
    ) -> Message {
        Message {
            conn,
            client,
            server,
            dir,
            frame: 0,
            ts: Timestamp::default(),
            proto,
            kind: match dir {
                Direction::ToServer => Kind::Request,
                Direction::ToClient => Kind::Response,
            },
            op: "unknown",
            opcode: None,
            key: None,
            keys: Vec::new(),
            status: None,
            status_name: None,
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
            error: None,
            raw: Bytes::new(),
        }
    }

    /// Sender.
    pub fn src(&self) -> SocketAddr {
        match self.dir {
            Direction::ToServer => self.client,
            Direction::ToClient => self.server,
        }
    }

    /// Receiver.
    pub fn dst(&self) -> SocketAddr {
        match self.dir {
            Direction::ToServer => self.server,
            Direction::ToClient => self.client,
        }
    }

    /// Whether the answer is a miss (binary KEY_ENOENT, text `END` without values, `NOT_FOUND`,
    /// meta `EN`/`NF`).
    pub fn is_miss(&self) -> bool {
        self.status == Some(1) || matches!(self.op, "NOT_FOUND" | "EN" | "NF")
    }

    /// Whether the answer is an error (a binary status other than success and miss, text
    /// `ERROR`/`CLIENT_ERROR`/`SERVER_ERROR`) or the message is malformed.
    pub fn is_error(&self) -> bool {
        self.error.is_some()
            || matches!(self.status, Some(s) if s != 0 && s != 1)
            || matches!(self.op, "ERROR" | "CLIENT_ERROR" | "SERVER_ERROR")
    }
}
