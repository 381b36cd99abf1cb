//! Retrieval: binary GET, GETK, GAT, GATK and their quiet variants; text `get`, `gets`, `gat`,
//! `gats`; meta `mg`.

use bytes::{Bytes, BytesMut};
use memshark_protocol::ascii::{GetCommand, Keys, Response};
use memshark_protocol::binary::{Opcode, Packet, Response as BinaryResponse};
use memshark_protocol::meta::{self, ResponseCode};

use super::shape::{KeyRule, Shape};
use super::{
    meta_args, run_text, BinaryCommand, Command, Ctx, MetaCommand, RequestError, TextCommand,
};
use crate::detail::Event;
use crate::reply::{BinaryReply, MetaReply, TextReply};
use crate::storage::{ItemView, MetaGet};

/// GET and GETK: a key, nothing else.
const GET: Shape = Shape {
    extras: &[0],
    key: KeyRule::Required,
    value: false,
};

/// GAT and GATK: a key and the new expiration.
const GAT: Shape = Shape {
    extras: &[4],
    key: KeyRule::Required,
    value: false,
};

/// Looks one key up, and with `touch` sets its expiration too (get-and-touch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Get<'k> {
    /// The key.
    pub key: &'k [u8],
    /// The new expiration, for get-and-touch.
    pub touch: Option<i64>,
    /// Meta only: create a missing item (`N`), win it when nearly expired (`R`).
    pub meta: Option<MetaGet>,
}

impl<'k> Get<'k> {
    /// A text retrieval of one of its keys.
    pub fn from_text(key: &'k [u8], exptime: Option<i64>) -> Get<'k> {
        Get {
            key,
            touch: exptime,
            meta: None,
        }
    }
}

impl Command for Get<'_> {
    type Outcome = Option<ItemView>;

    fn apply(&self, ctx: &mut Ctx<'_>) -> Option<ItemView> {
        ctx.log_fetch(self.key);
        let item = match (self.meta, self.touch) {
            (Some(options), _) => ctx.store().meta_get(self.key, options),
            (None, Some(exptime)) => ctx.store().get_and_touch(self.key, exptime),
            (None, None) => ctx.store().get(self.key),
        };
        let detail = &ctx.shared.runtime.detail;
        detail.record(self.key, Event::Get(item.is_some()));
        item
    }
}

impl<'p> BinaryCommand<'p> for Get<'p> {
    fn from_binary(p: &'p Packet<Bytes>) -> Result<Self, RequestError> {
        let touch = matches!(p.opcode().to_loud(), Opcode::Gat | Opcode::GatK);
        if touch {
            GAT.check(p)?;
        } else {
            GET.check(p)?;
        }
        Ok(Get {
            key: p.key(),
            touch: touch.then(|| i64::from(p.typed_extras().exptime().unwrap_or(0))),
            meta: None,
        })
    }

    fn answer_binary(&self, item: Option<ItemView>, reply: &BinaryReply<'_>, out: &mut BytesMut) {
        match item {
            Some(item) => reply.send(
                BinaryResponse::get_hit(reply.op, self.key, item.flags, item.value)
                    .with_cas(item.cas),
                out,
            ),
            None if reply.quiet() => {}
            None => reply.miss(out),
        }
    }
}

impl TextCommand for Get<'_> {
    fn answer_text(&self, item: Option<ItemView>, reply: &TextReply, out: &mut BytesMut) {
        if let Some(item) = item {
            reply.value(self.key, &item, out);
        }
    }
}

/// A text retrieval: a `VALUE` per key found, in order, then `END`.
pub fn text(
    command: GetCommand,
    exptime: Option<i64>,
    keys: &Keys<'_>,
    ctx: &mut Ctx<'_>,
    out: &mut BytesMut,
) {
    let reply = TextReply {
        noreply: false,
        with_cas: command.with_cas(),
    };
    for key in keys.iter() {
        let before = out.len();
        run_text(&Get::from_text(key, exptime), ctx, &reply, out);
        if let Some(marks) = ctx.session.udp_marks.as_mut() {
            if out.len() > before {
                marks.push(out.len());
            }
        }
    }
    // `END` goes with the last item's answer.
    if let Some(marks) = ctx.session.udp_marks.as_mut() {
        marks.pop();
    }
    Response::End.write_to(out);
}

impl<'k> MetaCommand<'k> for Get<'k> {
    fn from_meta(m: &meta::Request<'k>, key: &'k [u8]) -> Self {
        let touch = meta_args::number(&m.flags, b'T');
        Get {
            key,
            touch,
            meta: Some(MetaGet {
                touch,
                vivify: meta_args::number(&m.flags, b'N'),
                recache: meta_args::number(&m.flags, b'R'),
            }),
        }
    }

    /// A hit answers `VA` with the value when `v` is asked for, else `HD`, with the return flags
    /// in the order asked (`f`, `c`, `s`, `t`), then the echoed ones; a miss answers `EN`.
    fn answer_meta(&self, item: Option<ItemView>, reply: &MetaReply<'_>, out: &mut BytesMut) {
        let Some(item) = item else {
            if !reply.quiet() {
                reply.echo_line(ResponseCode::En, out);
            }
            return;
        };
        let with_value = reply.flags.has(b'v');
        let mut line = if with_value {
            reply.value_line(item.value.len(), out)
        } else {
            reply.line(ResponseCode::Hd, out)
        };
        let tokens = item.tokens;
        line.returns(reply, |flag| {
            Some(match flag {
                b'f' => item.flags.to_string(),
                b'c' => item.cas.to_string(),
                b's' => item.value.len().to_string(),
                b't' => reply.ttl(item.expires_at),
                b'h' => u8::from(item.fetched_before).to_string(),
                b'l' => reply.now.saturating_sub(item.accessed_before).to_string(),
                _ => return None,
            })
        });
        // memcached's recache tokens come after the return flags: Z, then X, then W.
        for (on, letter) in [
            (tokens.already_sent, b'Z'),
            (tokens.stale, b'X'),
            (tokens.won, b'W'),
        ] {
            if on {
                line.token(letter, b"");
            }
        }
        if with_value {
            line.value(&item.value);
        } else {
            line.end();
        }
    }
}
