//! Flush: binary FLUSH and FLUSHQ, text `flush_all`.

use bytes::{Bytes, BytesMut};
use memshark_protocol::ascii::Response;
use memshark_protocol::binary::Packet;

use super::shape::{KeyRule, Shape};
use super::{BinaryCommand, Command, Ctx, RequestError, TextCommand};
use crate::reply::{BinaryReply, TextReply};

/// FLUSH: an optional delay, nothing else.
const FLUSH: Shape = Shape {
    extras: &[0, 4],
    key: KeyRule::Forbidden,
    value: false,
};

/// Invalidates every item, now or after a delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flush {
    /// Seconds until the flush takes effect (0 or less: now).
    pub delay: i64,
}

impl Flush {
    /// A text `flush_all [delay]`.
    pub fn from_text(delay: Option<i64>) -> Flush {
        Flush {
            delay: delay.unwrap_or(0),
        }
    }
}

impl Command for Flush {
    type Outcome = ();

    fn apply(&self, ctx: &mut Ctx<'_>) {
        ctx.store().flush_all(self.delay);
    }
}

impl BinaryCommand<'_> for Flush {
    fn from_binary(p: &Packet<Bytes>) -> Result<Self, RequestError> {
        FLUSH.check(p)?;
        Ok(Flush {
            delay: i64::from(p.typed_extras().exptime().unwrap_or(0)),
        })
    }

    fn answer_binary(&self, (): (), reply: &BinaryReply<'_>, out: &mut BytesMut) {
        if !reply.quiet() {
            reply.ok(out);
        }
    }
}

impl TextCommand for Flush {
    fn answer_text(&self, (): (), reply: &TextReply, out: &mut BytesMut) {
        reply.send(Response::Ok, out);
    }
}
