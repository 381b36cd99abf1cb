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

/// Longest opaque (`O`) token memcached echoes.
pub const OPAQUE_MAX_LEN: usize = 32;

/// The flags memcached 1.6 takes for a command, and the words of its refusals: an unknown
/// letter, a letter given twice.
fn grammar(command: Command) -> Option<(&'static [u8], &'static str, &'static str)> {
    Some(match command {
        Command::Get => (b"bcfhklOqstuvNRT", "invalid flag", "duplicate flag"),
        Command::Set => (b"bcCFIkOqTM", "invalid flag", "duplicate flag"),
        Command::Delete => (
            b"bCIkOqT",
            "invalid or duplicate flag",
            "invalid or duplicate flag",
        ),
        Command::Arithmetic => (
            b"bcCDJkMNOqtTv",
            "invalid or duplicate flag",
            "invalid or duplicate flag",
        ),
        Command::Noop | Command::Debug => return None,
    })
}

/// Checks the flags as memcached does before acting: known letters, each once, an opaque of
/// at most 32 bytes, a one-letter mode it knows. The error is the `CLIENT_ERROR` text.
pub fn check_flags(m: &Request<'_>) -> Result<(), &'static str> {
    let Some((valid, invalid, duplicate)) = grammar(m.command) else {
        return Ok(());
    };
    let mut seen = [false; 128];
    for (flag, token) in m.flags.iter() {
        if !valid.contains(&flag) {
            return Err(invalid);
        }
        if std::mem::replace(&mut seen[usize::from(flag)], true) {
            return Err(duplicate);
        }
        match (flag, m.command) {
            (b'O', _) if token.len() > OPAQUE_MAX_LEN => return Err("opaque token too long"),
            (b'M', Command::Set) if token.len() != 1 => return Err("incorrect length for M token"),
            (b'M', Command::Set) if !b"EAPRS".contains(&token[0]) => {
                return Err("invalid mode for ms M token")
            }
            (b'M', Command::Arithmetic) if token.len() != 1 => return Err(invalid),
            (b'M', Command::Arithmetic) if !b"I+D-".contains(&token[0]) => {
                return Err("invalid mode for ma M token")
            }
            _ => {}
        }
    }
    Ok(())
}

/// Handles one meta command, appending its answer to `out`.
pub fn handle(m: &Request<'_>, ctx: &mut Ctx<'_>, out: &mut BytesMut) -> After {
    if let Err(text) = check_flags(m) {
        Response::ClientError(text.as_bytes()).write_to(out);
        return After::Continue;
    }
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
