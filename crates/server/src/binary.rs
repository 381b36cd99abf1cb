//! The binary-protocol front end: checks what memcached checks of every request (magic, SASL,
//! key length), then routes it to its command family ([`crate::cmd`]), which applies it and
//! answers as memcached 1.6 does.

use bytes::{Bytes, BytesMut};
use memshark_protocol::binary::{Opcode, Packet, Status};
use memshark_protocol::limits::KEY_MAX_LEN;

use crate::cmd::sasl::Sasl;
pub use crate::cmd::After;
use crate::cmd::{arithmetic, control, delete, flush, get, stats, store, touch};
use crate::cmd::{run_binary, BinaryCommand, Ctx, RequestError};
use crate::reply::BinaryReply;
use crate::{Session, Shared};

/// Why a binary request is refused before any command sees it. memcached answers each with an
/// error status and closes the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The magic byte is not a request's.
    #[error("not a request")]
    NotARequest,
    /// SASL is configured and the connection has not authenticated.
    #[error("authentication required")]
    Unauthenticated,
    /// The request does not make a command.
    #[error(transparent)]
    Request(#[from] RequestError),
}

impl Refusal {
    /// The status memcached answers with.
    pub fn status(self) -> Status {
        match self {
            Refusal::Unauthenticated => Status::AuthError,
            Refusal::NotARequest | Refusal::Request(_) => Status::InvalidArguments,
        }
    }
}

/// What every request must pass, whatever its opcode.
fn admit(p: &Packet<Bytes>, shared: &Shared, session: &Session) -> Result<(), Refusal> {
    if !p.magic().is_request() {
        return Err(Refusal::NotARequest);
    }
    if shared.config.sasl.is_some()
        && !session.authenticated
        && !Sasl::allowed_before_auth(p.opcode())
    {
        return Err(Refusal::Unauthenticated);
    }
    if p.key_len() > KEY_MAX_LEN {
        return Err(RequestError::KeyTooLong.into());
    }
    Ok(())
}

/// Builds command `C` from the packet and runs it; a packet out of shape is refused.
fn run<'p, C: BinaryCommand<'p>>(
    p: &'p Packet<Bytes>,
    ctx: &mut Ctx<'_>,
    reply: &BinaryReply<'_>,
    out: &mut BytesMut,
) -> After {
    match C::from_binary(p) {
        Ok(cmd) => run_binary(&cmd, ctx, reply, out),
        Err(e) => refuse(e.into(), reply, out),
    }
}

fn refuse(refusal: Refusal, reply: &BinaryReply<'_>, out: &mut BytesMut) -> After {
    reply.error(refusal.status(), out);
    After::Close
}

/// Handles one request, appending its answers to `out`.
pub fn handle(
    p: Packet<Bytes>,
    shared: &Shared,
    session: &mut Session,
    out: &mut BytesMut,
) -> After {
    use Opcode::*;
    let reply = BinaryReply::new(&p);
    if let Err(refusal) = admit(&p, shared, session) {
        return refuse(refusal, &reply, out);
    }
    let ctx = &mut Ctx { shared, session };
    match p.opcode().to_loud() {
        Get | GetK | Gat | GatK => run::<get::Get>(&p, ctx, &reply, out),
        Touch => run::<touch::Touch>(&p, ctx, &reply, out),
        Set | Add | Replace | Append | Prepend => run::<store::Update>(&p, ctx, &reply, out),
        Delete => run::<delete::Delete>(&p, ctx, &reply, out),
        Increment | Decrement => run::<arithmetic::Arithmetic>(&p, ctx, &reply, out),
        Flush => run::<flush::Flush>(&p, ctx, &reply, out),
        Stat => run::<stats::Stats>(&p, ctx, &reply, out),
        Noop => run::<control::Noop>(&p, ctx, &reply, out),
        Version => run::<control::Version>(&p, ctx, &reply, out),
        Verbosity => run::<control::Verbosity>(&p, ctx, &reply, out),
        Quit => run::<control::Quit>(&p, ctx, &reply, out),
        SaslListMechs | SaslAuth | SaslStep => run::<Sasl>(&p, ctx, &reply, out),
        _ => {
            reply.error(Status::UnknownCommand, out);
            After::Continue
        }
    }
}
