//! Delete: binary DELETE and DELETEQ, text `delete`, meta `md`.

use bytes::{Bytes, BytesMut};
use memshark_protocol::ascii::Response;
use memshark_protocol::binary::{Packet, Status};
use memshark_protocol::meta::{self, ResponseCode};

use super::shape::{KeyRule, Shape};
use super::{meta_args, BinaryCommand, Command, Ctx, MetaCommand, RequestError, TextCommand};
use crate::detail::Event;
use crate::reply::{BinaryReply, MetaReply, TextReply};
use crate::storage::DeleteOutcome;

/// DELETE: a key, nothing else.
const DELETE: Shape = Shape {
    extras: &[0],
    key: KeyRule::Required,
    value: false,
};

/// Deletes an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delete<'k> {
    /// The key.
    pub key: &'k [u8],
    /// The CAS unique the item must have; 0: any.
    pub cas: u64,
    /// Meta `I`: mark the item stale instead of deleting it, with this new expiration (`T`)
    /// if given.
    pub invalidate: Option<Option<i64>>,
}

impl<'k> Delete<'k> {
    /// A text delete (which cannot compare a CAS).
    pub fn from_text(key: &'k [u8]) -> Delete<'k> {
        Delete {
            key,
            cas: 0,
            invalidate: None,
        }
    }
}

impl Command for Delete<'_> {
    type Outcome = DeleteOutcome;

    fn apply(&self, ctx: &mut Ctx<'_>) -> DeleteOutcome {
        ctx.log_fetch(self.key);
        ctx.shared.runtime.detail.record(self.key, Event::Delete);
        match self.invalidate {
            Some(exptime) => ctx.store().invalidate(self.key, self.cas, exptime),
            None => ctx.store().delete(self.key, self.cas),
        }
    }
}

impl<'p> BinaryCommand<'p> for Delete<'p> {
    fn from_binary(p: &'p Packet<Bytes>) -> Result<Self, RequestError> {
        DELETE.check(p)?;
        Ok(Delete {
            key: p.key(),
            cas: p.cas(),
            invalidate: None,
        })
    }

    fn answer_binary(&self, outcome: DeleteOutcome, reply: &BinaryReply<'_>, out: &mut BytesMut) {
        match outcome {
            DeleteOutcome::Deleted if reply.quiet() => {}
            DeleteOutcome::Deleted => reply.ok(out),
            DeleteOutcome::NotFound => reply.error(Status::KeyNotFound, out),
            DeleteOutcome::Exists => reply.error(Status::KeyExists, out),
        }
    }
}

impl TextCommand for Delete<'_> {
    fn answer_text(&self, outcome: DeleteOutcome, reply: &TextReply, out: &mut BytesMut) {
        let response = match outcome {
            DeleteOutcome::Deleted => Response::Deleted,
            DeleteOutcome::NotFound | DeleteOutcome::Exists => Response::NotFound,
        };
        reply.send(response, out);
    }
}

impl<'k> MetaCommand<'k> for Delete<'k> {
    /// `C` gives the CAS to compare.
    fn from_meta(m: &meta::Request<'k>, key: &'k [u8]) -> Self {
        Delete {
            key,
            cas: meta_args::number(&m.flags, b'C').unwrap_or(0) as u64,
            invalidate: m.flags.has(b'I').then(|| meta_args::number(&m.flags, b'T')),
        }
    }

    /// `HD`, `NF` or `EX`; quiet mode leaves out `HD` only (as memcached 1.6 does).
    fn answer_meta(&self, outcome: DeleteOutcome, reply: &MetaReply<'_>, out: &mut BytesMut) {
        let code = match outcome {
            DeleteOutcome::Deleted => ResponseCode::Hd,
            DeleteOutcome::NotFound => ResponseCode::Nf,
            DeleteOutcome::Exists => ResponseCode::Ex,
        };
        if !reply.quiet() || code != ResponseCode::Hd {
            reply.echo_line(code, out);
        }
    }
}
