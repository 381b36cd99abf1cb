//! Touch: binary TOUCH, text `touch`. (Meta touches through `mg` with `T`: see [`super::get`].)

use bytes::{Bytes, BytesMut};
use memshark_protocol::ascii::Response;
use memshark_protocol::binary::{Packet, Response as BinaryResponse, Status};

use super::shape::{KeyRule, Shape};
use super::{BinaryCommand, Command, Ctx, RequestError, TextCommand};
use crate::reply::{BinaryReply, TextReply};
use crate::storage::ItemView;

/// TOUCH: a key and the new expiration.
const TOUCH: Shape = Shape {
    extras: &[4],
    key: KeyRule::Required,
    value: false,
};

/// Sets an item's expiration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touch<'k> {
    /// The key.
    pub key: &'k [u8],
    /// The new expiration.
    pub exptime: i64,
}

impl Command for Touch<'_> {
    /// The item as it now is, or `None` when it is missing.
    type Outcome = Option<ItemView>;

    fn apply(&self, ctx: &mut Ctx<'_>) -> Option<ItemView> {
        ctx.log_fetch(self.key);
        ctx.store().touch(self.key, self.exptime)
    }
}

impl<'p> BinaryCommand<'p> for Touch<'p> {
    fn from_binary(p: &'p Packet<Bytes>) -> Result<Self, RequestError> {
        TOUCH.check(p)?;
        Ok(Touch {
            key: p.key(),
            exptime: i64::from(p.typed_extras().exptime().unwrap_or(0)),
        })
    }

    /// memcached answers a touch like a get without the value: flags and CAS.
    fn answer_binary(&self, item: Option<ItemView>, reply: &BinaryReply<'_>, out: &mut BytesMut) {
        match item {
            Some(item) => {
                let flags = item.flags.to_be_bytes();
                let response = BinaryResponse::new(reply.op, Status::NoError, &flags, b"", b"");
                reply.send(response.with_cas(item.cas), out);
            }
            None => reply.error(Status::KeyNotFound, out),
        }
    }
}

impl TextCommand for Touch<'_> {
    fn answer_text(&self, item: Option<ItemView>, reply: &TextReply, out: &mut BytesMut) {
        let response = match item {
            Some(_) => Response::Touched,
            None => Response::NotFound,
        };
        reply.send(response, out);
    }
}
