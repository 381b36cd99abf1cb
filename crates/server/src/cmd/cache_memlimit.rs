//! `cache_memlimit <megabytes> [noreply]`: changes the memory limit while the server runs.

use bytes::BytesMut;

use super::{Command, Ctx, TextCommand};
use crate::admin::{line, number};
use crate::reply::TextReply;

/// The smallest limit memcached accepts, in megabytes.
pub const MIN_MEGABYTES: u64 = 8;

/// A new memory limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheMemlimit {
    /// The limit in megabytes (`None`: the line is malformed).
    pub megabytes: Option<u64>,
    /// No answer wanted.
    pub noreply: bool,
}

impl CacheMemlimit {
    /// From the arguments after the command word.
    pub fn from_args(args: &[&[u8]]) -> CacheMemlimit {
        let noreply = args.len() == 2 && args[1] == b"noreply";
        let megabytes = if args.len() == 1 || noreply {
            number(args.first())
        } else {
            None
        };
        CacheMemlimit { megabytes, noreply }
    }
}

/// What `cache_memlimit` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemlimitOutcome {
    /// The limit changed.
    Set,
    /// Below 8 MB.
    TooSmall,
    /// Malformed.
    Malformed,
}

impl Command for CacheMemlimit {
    type Outcome = MemlimitOutcome;

    fn apply(&self, ctx: &mut Ctx<'_>) -> MemlimitOutcome {
        match self.megabytes {
            None => MemlimitOutcome::Malformed,
            Some(mb) if mb < MIN_MEGABYTES => MemlimitOutcome::TooSmall,
            Some(mb) => {
                let bytes = mb.saturating_mul(1024 * 1024);
                ctx.store()
                    .set_memory_limit(usize::try_from(bytes).unwrap_or(usize::MAX));
                MemlimitOutcome::Set
            }
        }
    }
}

impl TextCommand for CacheMemlimit {
    /// `OK` (silenced by `noreply`), `MEMLIMIT_TOO_SMALL …`, or `ERROR`.
    fn answer_text(&self, outcome: MemlimitOutcome, reply: &TextReply, out: &mut BytesMut) {
        match outcome {
            MemlimitOutcome::Set => line("OK", reply, out),
            MemlimitOutcome::TooSmall => line(
                "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m",
                &TextReply::default(),
                out,
            ),
            MemlimitOutcome::Malformed => line("ERROR", &TextReply::default(), out),
        }
    }
}
