//! SASL authentication (binary only): SASL_LIST_MECHS, SASL_AUTH, SASL_STEP. PLAIN is the one
//! mechanism.

use bytes::{Bytes, BytesMut};
use memshark_protocol::binary::{Opcode, Packet, Response, Status};

use super::{BinaryCommand, Command, Ctx, RequestError};
use crate::reply::BinaryReply;
use crate::stats::Counters;

/// The mechanisms offered.
pub const MECHANISMS: &str = memshark_protocol::sasl::PLAIN;

/// A SASL request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sasl<'p> {
    /// Which mechanisms the server offers.
    ListMechanisms,
    /// An authentication message (SASL_AUTH, or SASL_STEP: PLAIN takes one step).
    Authenticate {
        /// The mechanism (the request's key).
        mechanism: &'p [u8],
        /// The mechanism's data (the request's value).
        data: &'p [u8],
    },
}

impl Sasl<'_> {
    /// Whether a client may send `op` before it has authenticated.
    pub fn allowed_before_auth(op: Opcode) -> bool {
        matches!(
            op,
            Opcode::SaslListMechs | Opcode::SaslAuth | Opcode::SaslStep | Opcode::Version
        )
    }
}

/// How a SASL request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslOutcome {
    /// The mechanisms offered.
    Mechanisms(&'static str),
    /// The connection is now authenticated.
    Authenticated,
    /// Wrong mechanism or credentials.
    Refused,
    /// The server was started without credentials: SASL is an unknown command.
    NotEnabled,
}

impl Command for Sasl<'_> {
    type Outcome = SaslOutcome;

    fn apply(&self, ctx: &mut Ctx<'_>) -> SaslOutcome {
        let Some(credentials) = &ctx.shared.config.sasl else {
            return SaslOutcome::NotEnabled;
        };
        match self {
            Sasl::ListMechanisms => SaslOutcome::Mechanisms(MECHANISMS),
            Sasl::Authenticate { mechanism, data } => {
                Counters::bump(&ctx.store().counters.auth_cmds);
                if *mechanism == MECHANISMS.as_bytes() && credentials.check_plain(data) {
                    ctx.session.authenticated = true;
                    SaslOutcome::Authenticated
                } else {
                    Counters::bump(&ctx.store().counters.auth_errors);
                    SaslOutcome::Refused
                }
            }
        }
    }
}

impl<'p> BinaryCommand<'p> for Sasl<'p> {
    /// memcached puts no constraint on the lengths of SASL requests.
    fn from_binary(p: &'p Packet<Bytes>) -> Result<Self, RequestError> {
        Ok(match p.opcode() {
            Opcode::SaslListMechs => Sasl::ListMechanisms,
            _ => Sasl::Authenticate {
                mechanism: p.key(),
                data: p.value(),
            },
        })
    }

    fn answer_binary(&self, outcome: SaslOutcome, reply: &BinaryReply<'_>, out: &mut BytesMut) {
        let text = |body: &str| Response::new(reply.op, Status::NoError, b"", b"", body.as_bytes());
        match outcome {
            SaslOutcome::Mechanisms(list) => reply.send(text(list), out),
            SaslOutcome::Authenticated => reply.send(text("Authenticated"), out),
            SaslOutcome::Refused => reply.error(Status::AuthError, out),
            SaslOutcome::NotEnabled => reply.error(Status::UnknownCommand, out),
        }
    }
}
