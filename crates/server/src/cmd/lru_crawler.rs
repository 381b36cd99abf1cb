//! `lru_crawler …`: memcached's item crawler. `lru_crawler metadump all|hash|<classes>`
//! streams a line per live item (what `memcached-tool dump` reads), a piece at a time so the
//! output buffer stays bounded; the crawler's tuning commands are accepted.

use std::fmt::Write as _;

use bytes::BytesMut;

use super::{Command, Ctx, TextCommand};
use crate::admin::{line, number};
use crate::reply::TextReply;
use crate::storage::slabs::MAX_CLASSES;
use crate::storage::{Cursor, DumpItem, Store};

/// Output a metadump produces before handing the connection back to be written.
pub const DUMP_PIECE: usize = 64 * 1024;

/// An `lru_crawler` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LruCrawler {
    /// Dump the live items of these classes (bit `id` set: class `id`).
    Metadump {
        /// The classes, as a bit set.
        classes: u64,
        /// Answers to earlier requests are still unsent (memcached refuses then).
        pipelined: bool,
    },
    /// A class list that is not one.
    BadClass,
    /// `crawl`, `sleep`, `tocrawl`, `disable`: accepted.
    Accepted,
    /// `enable` while the crawler runs.
    AlreadyRunning,
    /// Anything else.
    Unknown,
}

/// Every class.
const ALL: u64 = u64::MAX;

fn classes(list: &[u8]) -> Option<u64> {
    if list == b"all" || list == b"hash" {
        return Some(ALL);
    }
    let mut set = 0u64;
    for id in list.split(|&b| b == b',') {
        let id = number(Some(&id))?;
        if id == 0 || id > MAX_CLASSES as u64 {
            return None;
        }
        set |= 1 << id;
    }
    Some(set)
}

impl LruCrawler {
    /// From the arguments after the command word.
    pub fn from_args(args: &[&[u8]]) -> LruCrawler {
        match args {
            [b"metadump", list] => {
                classes(list).map_or(LruCrawler::BadClass, |classes| LruCrawler::Metadump {
                    classes,
                    pipelined: false,
                })
            }
            [b"crawl", list] => {
                classes(list).map_or(LruCrawler::BadClass, |_| LruCrawler::Accepted)
            }
            [b"sleep" | b"tocrawl", n] if number(Some(n)).is_some() => LruCrawler::Accepted,
            [b"disable"] => LruCrawler::Accepted,
            [b"enable"] => LruCrawler::AlreadyRunning,
            _ => LruCrawler::Unknown,
        }
    }

    /// The same request, knowing whether others follow it.
    pub fn pipelined(self, pipelined: bool) -> LruCrawler {
        match self {
            LruCrawler::Metadump { classes, .. } => LruCrawler::Metadump { classes, pipelined },
            other => other,
        }
    }
}

/// A metadump in progress on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dump {
    cursor: Cursor,
    classes: u64,
}

impl Dump {
    /// Appends the next piece to `out`; `true` once the dump is complete (`END` written).
    pub fn produce(&mut self, store: &Store, out: &mut BytesMut) -> bool {
        let classes = self.classes;
        let start = out.len();
        let done = store.walk(&mut self.cursor, |item| {
            if classes & (1 << item.class.min(63)) != 0 {
                write_item(item, out);
            }
            out.len() - start < DUMP_PIECE
        });
        if done {
            out.extend_from_slice(b"END\r\n");
        }
        done
    }
}

/// memcached's metadump line: `key=<uri-encoded> exp=<unix or -1> la=<unix> cas=<n>
/// fetch=<yes|no> cls=<id> size=<bytes>`.
fn write_item(item: &DumpItem<'_>, out: &mut BytesMut) {
    out.extend_from_slice(b"key=");
    for &b in item.key {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.extend_from_slice(&[b]);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    let exp = if item.expires_at == 0 {
        -1
    } else {
        item.expires_at as i64
    };
    let _ = writeln!(
        out,
        " exp={exp} la={} cas={} fetch={} cls={} size={}",
        item.accessed_at,
        item.cas,
        if item.fetched { "yes" } else { "no" },
        item.class,
        item.total
    );
}

/// What an `lru_crawler` request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrawlerOutcome {
    /// A metadump started; the connection streams it.
    Dumping,
    /// Answer with this line.
    Answer(&'static str),
}

impl Command for LruCrawler {
    type Outcome = CrawlerOutcome;

    fn apply(&self, ctx: &mut Ctx<'_>) -> CrawlerOutcome {
        CrawlerOutcome::Answer(match *self {
            LruCrawler::Metadump {
                pipelined: true, ..
            } => "ERROR cannot pipeline other commands before metadump",
            LruCrawler::Metadump { classes, .. } => {
                ctx.session.dump = Some(Dump {
                    cursor: Cursor::default(),
                    classes,
                });
                return CrawlerOutcome::Dumping;
            }
            LruCrawler::BadClass => "BADCLASS invalid class id",
            LruCrawler::Accepted => "OK",
            LruCrawler::AlreadyRunning => "ERROR failed to start lru crawler thread",
            LruCrawler::Unknown => "ERROR",
        })
    }
}

impl TextCommand for LruCrawler {
    /// Nothing yet for a metadump (it streams), else one line.
    fn answer_text(&self, outcome: CrawlerOutcome, reply: &TextReply, out: &mut BytesMut) {
        if let CrawlerOutcome::Answer(text) = outcome {
            line(text, reply, out);
        }
    }
}
