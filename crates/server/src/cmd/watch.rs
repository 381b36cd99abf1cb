//! `watch [fetchers|mutations|evictions …]`: turns the connection into a stream of memcached's
//! log lines ([`crate::logger`]); it answers nothing else afterwards.

use bytes::BytesMut;

use super::{Command, Ctx, TextCommand};
use crate::admin::line;
use crate::logger::{LogKind, WatchFeed};
use crate::reply::TextReply;

/// Log words memcached takes that memshark has no lines for: accepted, silent.
const SILENT: &[&[u8]] = &[
    b"rawcmds",
    b"connevents",
    b"proxyreqs",
    b"proxyevents",
    b"proxyuser",
];

/// A `watch` request: which kinds of lines (bits of [`LogKind::bit`]), or `None` for a word
/// memcached does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watch {
    /// The kinds asked for.
    pub filter: Option<u8>,
    /// Answers to earlier requests are still unsent (memcached refuses then).
    pub pipelined: bool,
}

impl Watch {
    /// From the arguments after the command word; none means `fetchers`.
    pub fn from_args(args: &[&[u8]]) -> Watch {
        let mut filter = 0u8;
        for arg in args {
            match *arg {
                b"fetchers" => filter |= LogKind::Fetch.bit(),
                b"mutations" => filter |= LogKind::Mutation.bit(),
                b"evictions" => filter |= LogKind::Eviction.bit(),
                word if SILENT.contains(&word) => {}
                _ => {
                    return Watch {
                        filter: None,
                        pipelined: false,
                    }
                }
            }
        }
        if args.is_empty() {
            filter = LogKind::Fetch.bit();
        }
        Watch {
            filter: Some(filter),
            pipelined: false,
        }
    }
}

/// A connection watching the log.
#[derive(Debug)]
pub struct Watching {
    /// The kinds of lines it wants.
    pub filter: u8,
    /// The feed.
    pub feed: WatchFeed,
}

impl Command for Watch {
    type Outcome = &'static str;

    fn apply(&self, ctx: &mut Ctx<'_>) -> &'static str {
        let Some(filter) = self.filter else {
            return "ERROR";
        };
        if self.pipelined {
            return "ERROR cannot pipeline other commands before watch";
        }
        ctx.session.watching = Some(Watching {
            filter,
            feed: ctx.store().log.subscribe(),
        });
        "OK"
    }
}

impl TextCommand for Watch {
    /// `OK`, then the stream; or the refusal.
    fn answer_text(&self, outcome: &'static str, reply: &TextReply, out: &mut BytesMut) {
        line(outcome, reply, out);
    }
}
