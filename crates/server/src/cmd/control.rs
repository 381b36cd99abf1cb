//! The commands about the connection and the server rather than items: NOOP (meta `mn`),
//! VERSION, VERBOSITY, QUIT.

use bytes::{Bytes, BytesMut};
use memshark_protocol::ascii::Response;
use memshark_protocol::binary::{Packet, Response as BinaryResponse, Status};
use memshark_protocol::meta::{self, ResponseCode};

use super::shape::{KeyRule, Shape};
use super::{After, BinaryCommand, Command, Ctx, MetaCommand, RequestError, TextCommand};
use crate::reply::{BinaryReply, MetaReply, TextReply};

/// NOOP, VERSION and QUIT: the header alone.
const BARE: Shape = Shape {
    extras: &[0],
    key: KeyRule::Forbidden,
    value: false,
};

/// VERBOSITY: the level in the extras.
const VERBOSITY: Shape = Shape {
    extras: &[4],
    key: KeyRule::Forbidden,
    value: false,
};

/// Does nothing; its answer closes a pipeline of quiet commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Noop;

impl Command for Noop {
    type Outcome = ();

    fn apply(&self, _ctx: &mut Ctx<'_>) {}
}

impl BinaryCommand<'_> for Noop {
    fn from_binary(p: &Packet<Bytes>) -> Result<Self, RequestError> {
        BARE.check(p)?;
        Ok(Noop)
    }

    fn answer_binary(&self, (): (), reply: &BinaryReply<'_>, out: &mut BytesMut) {
        reply.ok(out);
    }
}

impl<'k> MetaCommand<'k> for Noop {
    fn from_meta(_m: &meta::Request<'k>, _key: &'k [u8]) -> Self {
        Noop
    }

    /// `MN`, quiet or not, with no flags.
    fn answer_meta(&self, (): (), reply: &MetaReply<'_>, out: &mut BytesMut) {
        reply.line(ResponseCode::Mn, out).end();
    }
}

/// Asks for the server's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version;

impl Command for Version {
    /// The version text.
    type Outcome = &'static str;

    fn apply(&self, ctx: &mut Ctx<'_>) -> &'static str {
        ctx.shared.info.version
    }
}

impl BinaryCommand<'_> for Version {
    fn from_binary(p: &Packet<Bytes>) -> Result<Self, RequestError> {
        BARE.check(p)?;
        Ok(Version)
    }

    fn answer_binary(&self, version: &'static str, reply: &BinaryReply<'_>, out: &mut BytesMut) {
        let response = BinaryResponse::new(reply.op, Status::NoError, b"", b"", version.as_bytes());
        reply.send(response, out);
    }
}

impl TextCommand for Version {
    fn answer_text(&self, version: &'static str, _reply: &TextReply, out: &mut BytesMut) {
        Response::Version(version.as_bytes()).write_to(out);
    }
}

/// Sets the logging level. memshark logs nothing, so it only answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verbosity {
    /// The level asked for.
    pub level: u32,
}

impl Command for Verbosity {
    type Outcome = ();

    fn apply(&self, ctx: &mut Ctx<'_>) {
        ctx.shared
            .runtime
            .verbosity
            .store(self.level, std::sync::atomic::Ordering::Relaxed);
    }
}

impl BinaryCommand<'_> for Verbosity {
    fn from_binary(p: &Packet<Bytes>) -> Result<Self, RequestError> {
        VERBOSITY.check(p)?;
        let level = match p.typed_extras() {
            memshark_protocol::binary::Extras::Verbosity(level) => level,
            _ => 0,
        };
        Ok(Verbosity { level })
    }

    fn answer_binary(&self, (): (), reply: &BinaryReply<'_>, out: &mut BytesMut) {
        reply.ok(out);
    }
}

impl TextCommand for Verbosity {
    fn answer_text(&self, (): (), reply: &TextReply, out: &mut BytesMut) {
        reply.send(Response::Ok, out);
    }
}

/// Closes the connection (binary QUIT answers first; QUITQ and text `quit` do not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quit;

impl Command for Quit {
    type Outcome = ();

    const AFTER: After = After::Close;

    fn apply(&self, _ctx: &mut Ctx<'_>) {}
}

impl BinaryCommand<'_> for Quit {
    fn from_binary(p: &Packet<Bytes>) -> Result<Self, RequestError> {
        BARE.check(p)?;
        Ok(Quit)
    }

    fn answer_binary(&self, (): (), reply: &BinaryReply<'_>, out: &mut BytesMut) {
        if !reply.quiet() {
            reply.ok(out);
        }
    }
}

impl TextCommand for Quit {
    fn answer_text(&self, (): (), _reply: &TextReply, _out: &mut BytesMut) {}
}
