//! Statistics: binary STAT, text `stats [group]`, `stats reset`.
//!
//! Each group (`stats`, `stats settings`, …) is a [`StatsGroup`] in a file of its own, listed
//! in [`GROUPS`]; adding a group is adding a file and an entry.

mod general;
mod settings;

use std::borrow::Cow;
use std::fmt;

use bytes::{Bytes, BytesMut};
use memshark_protocol::ascii::Response;
use memshark_protocol::binary::{Packet, Response as BinaryResponse, Status};

use super::shape::{KeyRule, Shape};
use super::{BinaryCommand, Command, Ctx, RequestError, TextCommand};
use crate::reply::{BinaryReply, TextReply};
use crate::Shared;

pub use general::General;
pub use settings::Settings;

/// STAT: an optional group name as the key, nothing else.
const STAT: Shape = Shape {
    extras: &[0],
    key: KeyRule::Optional,
    value: false,
};

/// One statistic: a name and its value as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// The name (`curr_items`, `maxbytes`, …).
    pub name: Cow<'static, str>,
    /// The value.
    pub value: String,
}

impl Stat {
    /// A statistic from anything printable.
    pub fn new(name: impl Into<Cow<'static, str>>, value: impl fmt::Display) -> Stat {
        Stat {
            name: name.into(),
            value: value.to_string(),
        }
    }
}

/// A group of statistics, as `stats <name>` lists it.
pub trait StatsGroup: Sync + fmt::Debug {
    /// The word after `stats` (`""` for plain `stats`).
    fn name(&self) -> &'static str;

    /// The group's statistics now, in memcached's order.
    fn collect(&self, shared: &Shared) -> Vec<Stat>;
}

/// Every group the server has.
pub static GROUPS: &[&dyn StatsGroup] = &[&General, &Settings];

/// The group called `name`.
pub fn group(name: &str) -> Option<&'static dyn StatsGroup> {
    GROUPS.iter().copied().find(|g| g.name() == name)
}

/// A stats request.
#[derive(Debug, Clone, Copy)]
pub enum Stats {
    /// List a group.
    Show(&'static dyn StatsGroup),
    /// Zero the counters (text `stats reset`).
    Reset,
    /// A group the server does not have.
    Unknown,
}

impl Stats {
    /// A text `stats <args>`: the group is the arguments, trimmed; `reset` zeroes the counters.
    pub fn from_text(args: &[u8]) -> Stats {
        let name = std::str::from_utf8(args).unwrap_or("\u{fffd}").trim();
        if name == "reset" {
            return Stats::Reset;
        }
        group(name).map_or(Stats::Unknown, Stats::Show)
    }
}

/// What a stats request produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatsOutcome {
    /// The group's statistics.
    Listed(Vec<Stat>),
    /// The counters were zeroed.
    Reset,
    /// No such group.
    Unknown,
}

impl Command for Stats {
    type Outcome = StatsOutcome;

    fn apply(&self, ctx: &mut Ctx<'_>) -> StatsOutcome {
        match self {
            Stats::Show(group) => StatsOutcome::Listed(group.collect(ctx.shared)),
            Stats::Reset => {
                ctx.store().counters.reset();
                StatsOutcome::Reset
            }
            Stats::Unknown => StatsOutcome::Unknown,
        }
    }
}

impl BinaryCommand<'_> for Stats {
    /// The key names the group. `reset` is not one over binary here (memcached 1.6 does reset).
    fn from_binary(p: &Packet<Bytes>) -> Result<Self, RequestError> {
        STAT.check(p)?;
        let name = std::str::from_utf8(p.key()).unwrap_or("\u{fffd}");
        Ok(group(name).map_or(Stats::Unknown, Stats::Show))
    }

    /// One response per statistic (name as key, value as value), then an empty one.
    fn answer_binary(&self, outcome: StatsOutcome, reply: &BinaryReply<'_>, out: &mut BytesMut) {
        match outcome {
            StatsOutcome::Listed(stats) => {
                for stat in stats {
                    let response = BinaryResponse::new(
                        reply.op,
                        Status::NoError,
                        b"",
                        stat.name.as_bytes(),
                        stat.value.as_bytes(),
                    );
                    reply.send(response, out);
                }
                reply.ok(out);
            }
            StatsOutcome::Reset => reply.ok(out),
            StatsOutcome::Unknown => reply.error(Status::KeyNotFound, out),
        }
    }
}

impl TextCommand for Stats {
    /// `STAT <name> <value>` lines then `END`; `RESET`; `ERROR` for an unknown group.
    fn answer_text(&self, outcome: StatsOutcome, _reply: &TextReply, out: &mut BytesMut) {
        match outcome {
            StatsOutcome::Listed(stats) => {
                for stat in &stats {
                    Response::Stat {
                        name: stat.name.as_bytes(),
                        value: stat.value.as_bytes(),
                    }
                    .write_to(out);
                }
                Response::End.write_to(out);
            }
            StatsOutcome::Reset => Response::Reset.write_to(out),
            StatsOutcome::Unknown => Response::Error.write_to(out),
        }
    }
}
