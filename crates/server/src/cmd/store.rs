//! Storage commands (memcached's "update" commands): binary SET, ADD, REPLACE, APPEND, PREPEND
//! and their quiet variants; text `set`, `add`, `replace`, `append`, `prepend`, `cas`; meta
//! `ms`.

use bytes::{Bytes, BytesMut};
use memshark_protocol::ascii::{Response, StoreCommand};
use memshark_protocol::binary::{Extras, Opcode, Packet, Status};
use memshark_protocol::meta::{self, ResponseCode};

use super::shape::{KeyRule, Shape};
use super::{meta_args, BinaryCommand, Command, Ctx, MetaCommand, RequestError, TextCommand};
use crate::clock::Expiry;
use crate::detail::Event;
use crate::logger::Logged;
use crate::reply::{BinaryReply, MetaReply, TextReply};
use crate::storage::slabs::item_total;
use crate::storage::{StoreMode, StoreOutcome};

/// SET, ADD and REPLACE: a key, flags and expiration, any value.
const SET: Shape = Shape {
    extras: &[8],
    key: KeyRule::Required,
    value: true,
};

/// APPEND and PREPEND: a key and any value.
const APPEND: Shape = Shape {
    extras: &[0],
    key: KeyRule::Required,
    value: true,
};

/// The answer text memcached gives for a value over the item size limit.
pub const TOO_LARGE: &[u8] = b"object too large for cache";

/// The answer text memcached gives when an item cannot be made room for.
pub const OUT_OF_MEMORY: &[u8] = b"out of memory storing object";

/// Which CAS unique a storage command requires of the stored item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// None: store whatever is there.
    Any,
    /// The item must exist with this unique.
    Unique(u64),
    /// A unique no item can have (text `cas` with 0: uniques start at 1).
    Never,
}

impl Compare {
    /// The binary and meta reading of a CAS field: 0 means no compare.
    pub fn from_wire(cas: u64) -> Compare {
        if cas == 0 {
            Compare::Any
        } else {
            Compare::Unique(cas)
        }
    }
}

/// A storage command: stores a value under a key, as `mode` allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Update<'a> {
    /// Set, add, replace, append or prepend.
    pub mode: StoreMode,
    /// The key.
    pub key: &'a [u8],
    /// The value.
    pub value: &'a [u8],
    /// Client flags (kept from the old item by append and prepend).
    pub flags: u32,
    /// Expiration (kept from the old item by append and prepend).
    pub exptime: i64,
    /// The CAS condition.
    pub compare: Compare,
    /// Whether a value refused as too large also removes the key's old item, so that a
    /// failed store leaves no stale data (memcached: text `set`, binary SET, meta `ms`).
    pub drop_stale: bool,
}

impl<'a> Update<'a> {
    /// A text storage command.
    pub fn from_text(
        command: StoreCommand,
        key: &'a [u8],
        flags: u32,
        exptime: i64,
        cas: Option<u64>,
        data: &'a [u8],
    ) -> Update<'a> {
        let mode = match command {
            StoreCommand::Set | StoreCommand::Cas => StoreMode::Set,
            StoreCommand::Add => StoreMode::Add,
            StoreCommand::Replace => StoreMode::Replace,
            StoreCommand::Append => StoreMode::Append,
            StoreCommand::Prepend => StoreMode::Prepend,
        };
        let compare = match cas {
            None => Compare::Any,
            Some(0) => Compare::Never,
            Some(unique) => Compare::Unique(unique),
        };
        Update {
            mode,
            key,
            value: data,
            flags,
            exptime,
            compare,
            drop_stale: command == StoreCommand::Set,
        }
    }
}

impl Command for Update<'_> {
    type Outcome = StoreOutcome;

    fn apply(&self, ctx: &mut Ctx<'_>) -> StoreOutcome {
        let cas = match self.compare {
            Compare::Any => 0,
            Compare::Unique(unique) => unique,
            Compare::Never => return StoreOutcome::Exists,
        };
        ctx.shared.runtime.detail.record(self.key, Event::Set);
        ctx.log_fetch(self.key);
        let outcome = ctx.store().store(
            self.mode,
            self.key,
            self.value,
            self.flags,
            self.exptime,
            cas,
        );
        if outcome == StoreOutcome::TooLarge && self.drop_stale {
            ctx.store().unlink(self.key);
        }
        if ctx.watched() {
            self.log(outcome, ctx);
        }
        outcome
    }
}

impl Update<'_> {
    /// The command word memcached logs.
    fn log_name(&self) -> &'static str {
        match (self.mode, self.compare) {
            (StoreMode::Set, Compare::Unique(_) | Compare::Never) => "cas",
            (StoreMode::Set, Compare::Any) => "set",
            (StoreMode::Add, _) => "add",
            (StoreMode::Replace, _) => "replace",
            (StoreMode::Append, _) => "append",
            (StoreMode::Prepend, _) => "prepend",
        }
    }

    /// Logs the store as memcached's `watch mutations` shows it.
    fn log(&self, outcome: StoreOutcome, ctx: &Ctx<'_>) {
        let store = ctx.store();
        let status = match outcome {
            StoreOutcome::Stored(_) => "stored",
            StoreOutcome::NotStored => "not_stored",
            StoreOutcome::Exists => "exists",
            StoreOutcome::NotFound => "not_found",
            StoreOutcome::TooLarge | StoreOutcome::OutOfMemory => return,
        };
        let now = store.clock.now();
        let stored = matches!(outcome, StoreOutcome::Stored(_));
        let (item, expires_at) = match store.peek(self.key) {
            Some(m) if stored => (
                Logged {
                    class: m.class,
                    size: m.value_len,
                },
                m.expires_at,
            ),
            _ => {
                let total = item_total(self.key.len(), self.value.len(), self.flags);
                let class = store
                    .slabs
                    .classes
                    .place(self.key.len(), self.flags, total)
                    .map_or(0, |p| p.class);
                let expires_at = match store.clock.expiry(self.exptime) {
                    Expiry::At(t) => t,
                    _ => 0,
                };
                let size = self.value.len();
                (Logged { class, size }, expires_at)
            }
        };
        let ttl = if expires_at == 0 {
            0
        } else {
            expires_at.saturating_sub(now)
        };
        store.log.store(
            self.key,
            (status, self.log_name()),
            ttl,
            item,
            ctx.session.id,
        );
    }
}

impl<'p> BinaryCommand<'p> for Update<'p> {
    fn from_binary(p: &'p Packet<Bytes>) -> Result<Self, RequestError> {
        let mode = match p.opcode().to_loud() {
            Opcode::Add => StoreMode::Add,
            Opcode::Replace => StoreMode::Replace,
            Opcode::Append => StoreMode::Append,
            Opcode::Prepend => StoreMode::Prepend,
            _ => StoreMode::Set,
        };
        match mode {
            StoreMode::Append | StoreMode::Prepend => APPEND.check(p)?,
            _ => SET.check(p)?,
        }
        let (flags, exptime) = match p.typed_extras() {
            Extras::Store(s) => (s.flags, s.exptime),
            _ => (0, 0),
        };
        Ok(Update {
            mode,
            key: p.key(),
            value: p.value(),
            flags,
            exptime: i64::from(exptime),
            compare: Compare::from_wire(p.cas()),
            drop_stale: p.opcode().to_loud() == Opcode::Set,
        })
    }

    /// Success carries the new CAS (nothing, when quiet); failures are answered even when quiet.
    fn answer_binary(&self, outcome: StoreOutcome, reply: &BinaryReply<'_>, out: &mut BytesMut) {
        let status = match outcome {
            StoreOutcome::Stored(cas) => {
                if !reply.quiet() {
                    reply.ok_with_cas(cas, out);
                }
                return;
            }
            StoreOutcome::NotStored => match self.mode {
                StoreMode::Add => Status::KeyExists,
                StoreMode::Replace => Status::KeyNotFound,
                _ => Status::ItemNotStored,
            },
            StoreOutcome::Exists => Status::KeyExists,
            StoreOutcome::NotFound => Status::KeyNotFound,
            StoreOutcome::TooLarge => Status::ValueTooLarge,
            StoreOutcome::OutOfMemory => Status::OutOfMemory,
        };
        reply.error(status, out);
    }
}

impl TextCommand for Update<'_> {
    fn answer_text(&self, outcome: StoreOutcome, reply: &TextReply, out: &mut BytesMut) {
        let response = match outcome {
            StoreOutcome::Stored(_) => Response::Stored,
            StoreOutcome::NotStored => Response::NotStored,
            StoreOutcome::Exists => Response::Exists,
            StoreOutcome::NotFound => Response::NotFound,
            StoreOutcome::TooLarge => Response::ServerError(TOO_LARGE),
            StoreOutcome::OutOfMemory => Response::ServerError(OUT_OF_MEMORY),
        };
        reply.send(response, out);
    }
}

impl<'k> MetaCommand<'k> for Update<'k> {
    /// `M` gives the mode, `F` the flags, `T` the expiration, `C` the CAS to compare.
    fn from_meta(m: &meta::Request<'k>, key: &'k [u8]) -> Self {
        let flags = &m.flags;
        Update {
            mode: meta_args::store_mode(flags),
            key,
            value: m.data.unwrap_or_default(),
            flags: meta_args::number(flags, b'F').unwrap_or(0) as u32,
            exptime: meta_args::number(flags, b'T').unwrap_or(0),
            compare: Compare::from_wire(meta_args::number(flags, b'C').unwrap_or(0) as u64),
            drop_stale: true,
        }
    }

    /// `HD` (with `c<cas>` when asked; nothing when quiet), `NS`, `EX`, `NF`; size and memory
    /// failures are `SERVER_ERROR` lines, quiet or not.
    fn answer_meta(&self, outcome: StoreOutcome, reply: &MetaReply<'_>, out: &mut BytesMut) {
        let code = match outcome {
            StoreOutcome::Stored(cas) => {
                if !reply.quiet() {
                    reply
                        .line(ResponseCode::Hd, out)
                        .returns(reply, |flag| (flag == b'c').then(|| cas.to_string()))
                        .end();
                }
                return;
            }
            StoreOutcome::NotStored => ResponseCode::Ns,
            StoreOutcome::Exists => ResponseCode::Ex,
            StoreOutcome::NotFound => ResponseCode::Nf,
            StoreOutcome::TooLarge => return Response::ServerError(TOO_LARGE).write_to(out),
            StoreOutcome::OutOfMemory => return Response::ServerError(OUT_OF_MEMORY).write_to(out),
        };
        // memcached reports the CAS of a failed store as 0.
        reply
            .line(code, out)
            .returns(reply, |flag| (flag == b'c').then(|| "0".to_string()))
            .end();
    }
}
