//! Statistics: binary STAT, text `stats [group]`, `stats reset`.
//!
//! Each group (`stats`, `stats settings`, …) is a [`StatsGroup`] in a file of its own, listed
//! in [`GROUPS`]; adding a group is adding a file and an entry.

mod conns;
mod general;
mod items;
mod settings;
mod sizes;
mod slabs;

use std::borrow::Cow;
use std::fmt;

use bytes::{Bytes, BytesMut};
use memshark_protocol::ascii::Response;
use memshark_protocol::binary::{Packet, Response as BinaryResponse, Status};

use super::shape::{KeyRule, Shape};
use super::{BinaryCommand, Command, Ctx, RequestError, TextCommand};
use crate::reply::{BinaryReply, TextReply};
use crate::{Session, Shared};

pub use conns::Conns;
pub use general::General;
pub use items::Items;
pub use settings::Settings;
pub use sizes::Sizes;
pub use slabs::Slabs;

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

    /// Whether only the text protocol lists it (memcached's binary STAT does not know it).
    fn text_only(&self) -> bool {
        false
    }

    /// The group's statistics now, in memcached's order; `session` is the asking connection's.
    fn collect(&self, shared: &Shared, session: &Session) -> Vec<Stat>;
}

/// Every group the server has.
pub static GROUPS: &[&dyn StatsGroup] = &[&General, &Settings, &Slabs, &Items, &Sizes, &Conns];

/// The group called `name`.
pub fn group(name: &str) -> Option<&'static dyn StatsGroup> {
    GROUPS.iter().copied().find(|g| g.name() == name)
}

/// A stats request.
#[derive(Debug, Clone, Copy)]
pub enum Stats {
    /// List a group.
    Show(&'static dyn StatsGroup),
    /// Zero the counters (`stats reset`).
    Reset,
    /// `stats detail on|off|dump`.
    Detail(DetailArg),
    /// `stats detail` without one of its words.
    DetailUsage,
    /// `stats sizes_enable` (`true`) or `stats sizes_disable`.
    Sizes(bool),
    /// A group the server does not have.
    Unknown,
}

/// What `stats detail` is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailArg {
    /// Start counting per prefix.
    On,
    /// Stop counting.
    Off,
    /// List the counts.
    Dump,
}

impl Stats {
    /// A text `stats <args>`: the first word names the group (memcached ignores the rest);
    /// `reset` zeroes the counters; `detail` takes `on`, `off` or `dump`.
    pub fn from_text(args: &[u8]) -> Stats {
        let mut words = memshark_protocol::text::tokens(args);
        let name = words.next().unwrap_or_default();
        match name {
            b"reset" => Stats::Reset,
            b"sizes_enable" => Stats::Sizes(true),
            b"sizes_disable" => Stats::Sizes(false),
            b"detail" => match words.next() {
                Some(b"on") => Stats::Detail(DetailArg::On),
                Some(b"off") => Stats::Detail(DetailArg::Off),
                Some(b"dump") => Stats::Detail(DetailArg::Dump),
                _ => Stats::DetailUsage,
            },
            _ => std::str::from_utf8(name)
                .ok()
                .and_then(group)
                .map_or(Stats::Unknown, Stats::Show),
        }
    }

    /// A binary STAT key: a group, `reset`, or `detail on|off|dump`.
    pub fn from_binary_key(key: &[u8]) -> Stats {
        match key {
            b"reset" => Stats::Reset,
            b"detail on" => Stats::Detail(DetailArg::On),
            b"detail off" => Stats::Detail(DetailArg::Off),
            b"detail dump" => Stats::Detail(DetailArg::Dump),
            _ => std::str::from_utf8(key)
                .ok()
                .and_then(group)
                .filter(|g| !g.text_only())
                .map_or(Stats::Unknown, Stats::Show),
        }
    }
}

/// What a stats request produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatsOutcome {
    /// The group's statistics.
    Listed(Vec<Stat>),
    /// The counters were zeroed.
    Reset,
    /// Per-prefix counting was switched.
    Switched,
    /// The per-prefix counts, in memcached's dump format.
    Dumped(String),
    /// `stats detail` without a valid word.
    DetailUsage,
    /// The size histogram was switched; memcached answers with its status line and no `END`.
    SizesStatus(bool),
    /// No such group.
    Unknown,
}

impl Command for Stats {
    type Outcome = StatsOutcome;

    fn apply(&self, ctx: &mut Ctx<'_>) -> StatsOutcome {
        match self {
            Stats::Show(group) => StatsOutcome::Listed(group.collect(ctx.shared, ctx.session)),
            Stats::Reset => {
                ctx.store().counters.reset();
                ctx.store().slabs.reset();
                ctx.shared.runtime.detail.clear();
                StatsOutcome::Reset
            }
            Stats::Detail(arg) => {
                let detail = &ctx.shared.runtime.detail;
                match arg {
                    DetailArg::On => detail.set_enabled(true),
                    DetailArg::Off => detail.set_enabled(false),
                    DetailArg::Dump => return StatsOutcome::Dumped(detail.dump()),
                }
                StatsOutcome::Switched
            }
            Stats::DetailUsage => StatsOutcome::DetailUsage,
            &Stats::Sizes(on) => {
                ctx.store().slabs.sizes.set_enabled(on);
                StatsOutcome::SizesStatus(on)
            }
            Stats::Unknown => StatsOutcome::Unknown,
        }
    }
}

impl BinaryCommand<'_> for Stats {
    /// The key names the group, or `reset`, or `detail on|off|dump`.
    fn from_binary(p: &Packet<Bytes>) -> Result<Self, RequestError> {
        STAT.check(p)?;
        Ok(Stats::from_binary_key(p.key()))
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
            StatsOutcome::Reset | StatsOutcome::Switched => reply.ok(out),
            StatsOutcome::Dumped(dump) => {
                let response = BinaryResponse::new(
                    reply.op,
                    Status::NoError,
                    b"",
                    b"detailed",
                    dump.as_bytes(),
                );
                reply.send(response, out);
                reply.ok(out);
            }
            StatsOutcome::Unknown | StatsOutcome::DetailUsage | StatsOutcome::SizesStatus(_) => {
                reply.error(Status::KeyNotFound, out)
            }
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
            StatsOutcome::Switched => Response::Ok.write_to(out),
            StatsOutcome::Dumped(dump) => out.extend_from_slice(dump.as_bytes()),
            StatsOutcome::DetailUsage => {
                Response::ClientError(b"usage: stats detail on|off|dump").write_to(out)
            }
            StatsOutcome::SizesStatus(on) => Response::Stat {
                name: b"sizes_status",
                value: if on { b"enabled" } else { b"disabled" },
            }
            .write_to(out),
            StatsOutcome::Unknown => Response::Error.write_to(out),
        }
    }
}
