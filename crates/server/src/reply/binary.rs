//! Binary answers: every response carries the request's opcode and opaque.

use bytes::{Bytes, BytesMut};
use memshark_protocol::binary::{Opcode, Packet, Response, Status};

/// What a binary answer takes from its request.
#[derive(Debug, Clone, Copy)]
pub struct BinaryReply<'p> {
    /// The request's opcode (quiet variants included), echoed in the answer.
    pub op: Opcode,
    /// The request's opaque, echoed in the answer.
    pub opaque: u32,
    /// The request's key (echoed by GETK and friends).
    pub key: &'p [u8],
}

impl<'p> BinaryReply<'p> {
    /// The answer context of a request.
    pub fn new(p: &'p Packet<Bytes>) -> BinaryReply<'p> {
        BinaryReply {
            op: p.opcode(),
            opaque: p.opaque(),
            key: p.key(),
        }
    }

    /// Whether the opcode is a quiet variant (no answer on success; for gets, on a miss).
    pub fn quiet(&self) -> bool {
        self.op.is_quiet()
    }

    /// Writes a response, with the request's opaque.
    pub fn send(&self, response: Response, out: &mut BytesMut) {
        response.with_opaque(self.opaque).write_to(out);
    }

    /// Writes an empty success.
    pub fn ok(&self, out: &mut BytesMut) {
        self.send(Response::ok(self.op), out);
    }

    /// Writes an empty success carrying a CAS.
    pub fn ok_with_cas(&self, cas: u64, out: &mut BytesMut) {
        self.send(Response::ok(self.op).with_cas(cas), out);
    }

    /// Writes an error with memcached's text for `status` as its body.
    pub fn error(&self, status: Status, out: &mut BytesMut) {
        self.send(Response::error(self.op, status), out);
    }

    /// Writes a get-family miss: memcached echoes the key (and no text) for the K variants.
    pub fn miss(&self, out: &mut BytesMut) {
        if self.op.echoes_key() {
            self.send(
                Response::new(self.op, Status::KeyNotFound, b"", self.key, b""),
                out,
            );
        } else {
            self.error(Status::KeyNotFound, out);
        }
    }
}
