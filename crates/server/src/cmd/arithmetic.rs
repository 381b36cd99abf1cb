//! Counters: binary INCREMENT and DECREMENT and their quiet variants, text `incr` and `decr`,
//! meta `ma`.

use bytes::{Bytes, BytesMut};
use memshark_protocol::ascii::Response;
use memshark_protocol::binary::{
    CounterExtras, Extras, Opcode, Packet, Response as BinaryResponse, Status,
};
use memshark_protocol::meta::{self, ResponseCode};

use super::shape::{KeyRule, Shape};
use super::{meta_args, BinaryCommand, Command, Ctx, MetaCommand, RequestError, TextCommand};
use crate::reply::{BinaryReply, MetaReply, TextReply};
use crate::storage::{CounterOutcome, Direction};

/// INCREMENT and DECREMENT: a key, and delta, initial value and expiration in the extras.
const COUNTER: Shape = Shape {
    extras: &[CounterExtras::LEN],
    key: KeyRule::Required,
    value: false,
};

/// The answer text memcached gives for a counter that is not a number.
pub const NON_NUMERIC: &[u8] = b"cannot increment or decrement non-numeric value";

/// Adds to or subtracts from a decimal counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arithmetic<'k> {
    /// The key.
    pub key: &'k [u8],
    /// Up or down.
    pub direction: Direction,
    /// By how much.
    pub delta: u64,
    /// For a missing counter: the value and expiration to create it with (`None`: answer "not
    /// found").
    pub create: Option<(u64, i64)>,
    /// The CAS unique the item must have; 0: any.
    pub cas: u64,
}

impl<'k> Arithmetic<'k> {
    /// A text `incr` (`incr` true) or `decr`, which never creates and cannot compare a CAS.
    pub fn from_text(incr: bool, key: &'k [u8], delta: u64) -> Arithmetic<'k> {
        Arithmetic {
            key,
            direction: if incr {
                Direction::Incr
            } else {
                Direction::Decr
            },
            delta,
            create: None,
            cas: 0,
        }
    }
}

impl Command for Arithmetic<'_> {
    type Outcome = CounterOutcome;

    fn apply(&self, ctx: &mut Ctx<'_>) -> CounterOutcome {
        let creates = ctx.watched() && self.create.is_some() && ctx.logged(self.key).is_none();
        ctx.log_fetch(self.key);
        let outcome =
            ctx.store()
                .arithmetic(self.key, self.direction, self.delta, self.create, self.cas);
        if creates {
            // memcached looks again, then adds the new counter.
            ctx.store().log.fetch(self.key, None, ctx.session.id);
            if let (CounterOutcome::Value { expires_at, .. }, Some(item)) =
                (outcome, ctx.logged(self.key))
            {
                let ttl = expires_at.saturating_sub(ctx.store().clock.now());
                let cfd = ctx.session.id;
                ctx.store()
                    .log
                    .store(self.key, ("stored", "add"), ttl, item, cfd);
            }
        }
        outcome
    }
}

impl<'p> BinaryCommand<'p> for Arithmetic<'p> {
    /// An expiration of `0xffffffff` in the extras means "do not create".
    fn from_binary(p: &'p Packet<Bytes>) -> Result<Self, RequestError> {
        COUNTER.check(p)?;
        let Extras::Counter(c) = p.typed_extras() else {
            return Err(RequestError::Malformed);
        };
        Ok(Arithmetic {
            key: p.key(),
            direction: if p.opcode().to_loud() == Opcode::Increment {
                Direction::Incr
            } else {
                Direction::Decr
            },
            delta: c.delta,
            create: (c.exptime != CounterExtras::NO_CREATE)
                .then_some((c.initial, i64::from(c.exptime))),
            cas: p.cas(),
        })
    }

    fn answer_binary(&self, outcome: CounterOutcome, reply: &BinaryReply<'_>, out: &mut BytesMut) {
        match outcome {
            CounterOutcome::Value { value, cas, .. } => {
                if !reply.quiet() {
                    reply.send(BinaryResponse::counter(reply.op, value).with_cas(cas), out);
                }
            }
            CounterOutcome::NotFound => reply.error(Status::KeyNotFound, out),
            CounterOutcome::NonNumeric => reply.error(Status::DeltaBadValue, out),
            CounterOutcome::Exists => reply.error(Status::KeyExists, out),
        }
    }
}

impl TextCommand for Arithmetic<'_> {
    fn answer_text(&self, outcome: CounterOutcome, reply: &TextReply, out: &mut BytesMut) {
        let response = match outcome {
            CounterOutcome::Value { value, .. } => Response::Number(value),
            CounterOutcome::NotFound | CounterOutcome::Exists => Response::NotFound,
            CounterOutcome::NonNumeric => Response::ClientError(NON_NUMERIC),
        };
        reply.send(response, out);
    }
}

impl<'k> MetaCommand<'k> for Arithmetic<'k> {
    /// `M` gives the direction, `D` the delta (default 1, negative counts as 0), `N` the
    /// expiration to create a missing counter with and `J` its initial value, `C` the CAS to
    /// compare.
    fn from_meta(m: &meta::Request<'k>, key: &'k [u8]) -> Self {
        let flags = &m.flags;
        let initial = || meta_args::number(flags, b'J').unwrap_or(0).max(0) as u64;
        Arithmetic {
            key,
            direction: meta_args::direction(flags),
            delta: meta_args::number(flags, b'D').unwrap_or(1).max(0) as u64,
            create: meta_args::number(flags, b'N').map(|ttl| (initial(), ttl)),
            cas: meta_args::number(flags, b'C').unwrap_or(0) as u64,
        }
    }

    /// `VA` with the new value when `v` is asked for, else `HD` (nothing when quiet, unless
    /// the counter was just created); `NF`, quiet or not; `EX`; a counter that is not a number
    /// is a `CLIENT_ERROR` line.
    fn answer_meta(&self, outcome: CounterOutcome, reply: &MetaReply<'_>, out: &mut BytesMut) {
        match outcome {
            CounterOutcome::Value {
                value,
                cas,
                expires_at,
                created,
            } => {
                let text = value.to_string();
                let with_value = reply.flags.has(b'v');
                // Quiet mode leaves out a success, unless it created the counter (as
                // memcached 1.6 does).
                if reply.quiet() && !created {
                    return;
                }
                let mut line = if with_value {
                    reply.value_line(text.len(), out)
                } else {
                    reply.line(ResponseCode::Hd, out)
                };
                line.returns(reply, |flag| match flag {
                    b'c' => Some(cas.to_string()),
                    b't' => Some(reply.ttl(expires_at)),
                    _ => None,
                });
                if with_value {
                    line.value(text.as_bytes());
                } else {
                    line.end();
                }
            }
            CounterOutcome::NotFound => reply.echo_line(ResponseCode::Nf, out),
            CounterOutcome::Exists => reply.echo_line(ResponseCode::Ex, out),
            CounterOutcome::NonNumeric => Response::ClientError(NON_NUMERIC).write_to(out),
        }
    }
}
