//! The operator's commands of the text protocol, which `memshark-protocol` does not parse:
//! `lru_crawler`, `cache_memlimit`, `shutdown`, `slabs`, `lru`, `watch`. Each is a command
//! family of its own in [`crate::cmd`]; this front end recognises the line and routes it.

use bytes::BytesMut;
use memshark_protocol::text::{first_token, tokens};

use crate::cmd::cache_memlimit::CacheMemlimit;
use crate::cmd::lru::Lru;
use crate::cmd::lru_crawler::LruCrawler;
use crate::cmd::shutdown::Shutdown;
use crate::cmd::slabs::Slabs;
use crate::cmd::watch::Watch;
use crate::cmd::{run_text, After, Ctx};
use crate::reply::TextReply;
use crate::{Session, Shared};

/// Most arguments read from an operator's line.
const MAX_ARGS: usize = 8;

/// An operator's command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admin {
    /// `lru_crawler …`.
    LruCrawler(LruCrawler),
    /// `cache_memlimit <megabytes> [noreply]`.
    CacheMemlimit(CacheMemlimit),
    /// `shutdown [graceful]`.
    Shutdown(Shutdown),
    /// `slabs reassign|automove …`.
    Slabs(Slabs),
    /// `lru mode|temp_ttl|tune …`.
    Lru(Lru),
    /// `watch [fetchers|mutations|evictions …]`.
    Watch(Watch),
}

impl Admin {
    /// The operator's command on `line`, or `None` when the line is another command.
    pub fn parse(line: &[u8]) -> Option<Admin> {
        Admin::parse_word(line, first_token(line))
    }

    /// [`Admin::parse`] for a line whose first token is already known to be `word`.
    pub fn parse_word(line: &[u8], word: &[u8]) -> Option<Admin> {
        // Every text line is asked: decide on the word before collecting anything.
        if !matches!(
            word,
            b"lru_crawler" | b"cache_memlimit" | b"shutdown" | b"slabs" | b"lru" | b"watch"
        ) {
            return None;
        }
        let args: Vec<&[u8]> = tokens(line).skip(1).take(MAX_ARGS).collect();
        Some(match word {
            b"lru_crawler" => Admin::LruCrawler(LruCrawler::from_args(&args)),
            b"cache_memlimit" => Admin::CacheMemlimit(CacheMemlimit::from_args(&args)),
            b"shutdown" => Admin::Shutdown(Shutdown::from_args(&args)),
            b"slabs" => Admin::Slabs(Slabs::from_args(&args)),
            b"lru" => Admin::Lru(Lru::from_args(&args)),
            b"watch" => Admin::Watch(Watch::from_args(&args)),
            _ => return None,
        })
    }

    /// Runs the command, appending its answer to `out`. `pipelined`: answers to earlier
    /// requests of the same read are still unsent (a metadump refuses to start then, as
    /// memcached's does).
    pub fn handle(
        self,
        shared: &Shared,
        session: &mut Session,
        pipelined: bool,
        out: &mut BytesMut,
    ) -> After {
        let ctx = &mut Ctx { shared, session };
        let reply = &TextReply::default();
        match self {
            Admin::LruCrawler(cmd) => run_text(&cmd.pipelined(pipelined), ctx, reply, out),
            Admin::CacheMemlimit(cmd) => run_text(&cmd, ctx, &TextReply::noreply(cmd.noreply), out),
            Admin::Shutdown(cmd) => run_text(&cmd, ctx, reply, out),
            Admin::Slabs(cmd) => run_text(&cmd, ctx, reply, out),
            Admin::Lru(cmd) => run_text(&cmd, ctx, reply, out),
            Admin::Watch(cmd) => run_text(&Watch { pipelined, ..cmd }, ctx, reply, out),
        }
    }
}

/// Writes one answer line.
pub(crate) fn line(text: &str, reply: &TextReply, out: &mut BytesMut) {
    if !reply.noreply {
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// A decimal argument, as memcached's `safe_strtoul` reads it.
pub(crate) fn number(token: Option<&&[u8]>) -> Option<u64> {
    std::str::from_utf8(token?).ok()?.parse().ok()
}
