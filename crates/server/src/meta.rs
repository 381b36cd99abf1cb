//! The meta-protocol front end (`mg`, `ms`, `md`, `ma`, `mn`, `me`): decodes the key, then
//! routes the command to its family ([`crate::cmd`]).

use bytes::BytesMut;
use memshark_protocol::ascii::Response;
use memshark_protocol::meta::{Command, Request};

use crate::cmd::arithmetic::Arithmetic;
use crate::cmd::control::Noop;
use crate::cmd::debug::DebugItem;
use crate::cmd::delete::Delete;
use crate::cmd::get::Get;
use crate::cmd::store::Update;
use crate::cmd::{run_meta, After, Ctx, MetaCommand, RequestError};
use crate::reply::MetaReply;

/// The answer to a request that does not make a command.
fn refuse(error: RequestError, out: &mut BytesMut) {
    let text: &[u8] = match error {
        RequestError::KeyEncoding => b"error decoding key",
        RequestError::Malformed | RequestError::KeyTooLong => b"bad command line format",
    };
    Response::ClientError(text).write_to(out);
}

/// Builds command `C` from the request and runs it.
fn run<'k, C: MetaCommand<'k>>(
    m: &Request<'k>,
    key: &'k [u8],
    ctx: &mut Ctx<'_>,
    reply: &MetaReply<'_>,
    out: &mut BytesMut,
) -> After {
    run_meta(&C::from_meta(m, key), ctx, reply, out)
}

/// Handles one meta command, appending its answer to `out`.
pub fn handle(m: &Request<'_>, ctx: &mut Ctx<'_>, out: &mut BytesMut) -> After {
    let Some(key) = m.decoded_key() else {
        refuse(RequestError::KeyEncoding, out);
        return After::Continue;
    };
    let key: &[u8] = &key;
    let reply = MetaReply {
        flags: m.flags,
        key: m.key,
        now: ctx.store().clock.now(),
    };
    match m.command {
        Command::Get => run::<Get>(m, key, ctx, &reply, out),
        Command::Set => run::<Update>(m, key, ctx, &reply, out),
        Command::Delete => run::<Delete>(m, key, ctx, &reply, out),
        Command::Arithmetic => run::<Arithmetic>(m, key, ctx, &reply, out),
        Command::Noop => run::<Noop>(m, key, ctx, &reply, out),
        Command::Debug => run::<DebugItem>(m, key, ctx, &reply, out),
    }
}
