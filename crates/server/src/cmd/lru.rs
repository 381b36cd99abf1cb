//! `lru mode <flat|segmented>`, `lru temp_ttl <seconds>`, `lru tune …`: memcached's LRU
//! settings. memshark keeps one LRU list per shard whatever the mode; the settings are kept and
//! reported.

use std::sync::atomic::Ordering;

use bytes::BytesMut;

use super::{Command, Ctx, TextCommand};
use crate::admin::{line, number};
use crate::reply::TextReply;

/// An `lru` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lru {
    /// `mode flat` (true) or `mode segmented` (false).
    Flat(bool),
    /// `temp_ttl <seconds>`.
    TempTtl(u64),
    /// `tune <hot pct> <warm pct> <hot age factor> <warm age factor>`.
    Tune,
    /// Anything else.
    Unknown,
}

impl Lru {
    /// From the arguments after the command word.
    pub fn from_args(args: &[&[u8]]) -> Lru {
        let float = |t: &[u8]| std::str::from_utf8(t).ok()?.parse::<f64>().ok();
        match args {
            [b"mode", b"flat"] => Lru::Flat(true),
            [b"mode", b"segmented"] => Lru::Flat(false),
            [b"temp_ttl", ttl] => number(Some(ttl)).map_or(Lru::Unknown, Lru::TempTtl),
            [b"tune", hot, warm, hf, wf]
                if number(Some(hot)).is_some()
                    && number(Some(warm)).is_some()
                    && float(hf).is_some()
                    && float(wf).is_some() =>
            {
                Lru::Tune
            }
            _ => Lru::Unknown,
        }
    }
}

impl Command for Lru {
    type Outcome = &'static str;

    fn apply(&self, ctx: &mut Ctx<'_>) -> &'static str {
        let runtime = &ctx.shared.runtime;
        match *self {
            Lru::Flat(flat) => runtime.lru_flat.store(flat, Ordering::Relaxed),
            Lru::TempTtl(ttl) => runtime.temp_ttl.store(ttl, Ordering::Relaxed),
            Lru::Tune => {}
            Lru::Unknown => return "ERROR",
        }
        "OK"
    }
}

impl TextCommand for Lru {
    /// `OK` or `ERROR`.
    fn answer_text(&self, outcome: &'static str, reply: &TextReply, out: &mut BytesMut) {
        line(outcome, reply, out);
    }
}
