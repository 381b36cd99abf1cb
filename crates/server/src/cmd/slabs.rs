//! `slabs reassign <src> <dst>` and `slabs automove <0|1|2>`: moving a page between slab
//! classes, and the mode of memcached's page mover.

use std::sync::atomic::Ordering;

use bytes::BytesMut;

use super::{Command, Ctx, TextCommand};
use crate::admin::line;
use crate::reply::TextReply;

/// A `slabs` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slabs {
    /// Move a free page from class `src` to class `dst`.
    Reassign {
        /// The class giving the page.
        src: i64,
        /// The class taking it.
        dst: i64,
    },
    /// Set the page mover's mode.
    Automove(u32),
    /// Numbers that are not numbers.
    BadFormat,
    /// Anything else.
    Unknown,
}

fn signed(token: &[u8]) -> Option<i64> {
    std::str::from_utf8(token).ok()?.parse().ok()
}

impl Slabs {
    /// From the arguments after the command word.
    pub fn from_args(args: &[&[u8]]) -> Slabs {
        match args {
            [b"reassign", src, dst] => match (signed(src), signed(dst)) {
                (Some(src), Some(dst)) => Slabs::Reassign { src, dst },
                _ => Slabs::BadFormat,
            },
            [b"automove", mode] => match signed(mode) {
                Some(mode @ 0..=2) => Slabs::Automove(mode as u32),
                Some(_) => Slabs::Unknown,
                None => Slabs::BadFormat,
            },
            _ => Slabs::Unknown,
        }
    }
}

impl Command for Slabs {
    type Outcome = &'static str;

    fn apply(&self, ctx: &mut Ctx<'_>) -> &'static str {
        match *self {
            Slabs::Reassign { src, dst } => {
                let slabs = &ctx.store().slabs;
                let classes = slabs.classes.len() as i64;
                if src == dst {
                    return "SAME src and dst class are identical";
                }
                if !(1..=classes).contains(&src) || !(1..=classes).contains(&dst) {
                    return "BADCLASS invalid src or dst class id";
                }
                let from = slabs.class(src as u8);
                let per_page = slabs.classes.per_page(src as usize).max(1) as u64;
                let needed = from.used_chunks.load(Ordering::Relaxed).div_ceil(per_page);
                let spare =
                    from.total_pages
                        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |pages| {
                            (pages > needed).then(|| pages - 1)
                        });
                if spare.is_err() {
                    return "NOSPARE source class has no spare pages";
                }
                slabs
                    .class(dst as u8)
                    .total_pages
                    .fetch_add(1, Ordering::Relaxed);
                crate::stats::Counters::bump(&ctx.store().counters.slabs_moved);
                "OK"
            }
            Slabs::Automove(mode) => {
                ctx.shared
                    .runtime
                    .slab_automove
                    .store(mode, Ordering::Relaxed);
                "OK"
            }
            Slabs::BadFormat => "CLIENT_ERROR bad command line format",
            Slabs::Unknown => "ERROR",
        }
    }
}

impl TextCommand for Slabs {
    /// `OK`, or memcached's refusal.
    fn answer_text(&self, outcome: &'static str, reply: &TextReply, out: &mut BytesMut) {
        line(outcome, reply, out);
    }
}
