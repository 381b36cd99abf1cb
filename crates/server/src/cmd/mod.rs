//! The commands, one module per family, shared by the three protocols (binary, text, meta)
//! wherever their semantics are the same. The model is mini-redis's `cmd/`: parse → apply →
//! answer.
//!
//! Each family module holds:
//!
//! * a request struct that does not know which protocol carried it, built from what
//!   `memshark-protocol` parsed: [`BinaryCommand::from_binary`], [`MetaCommand::from_meta`], and
//!   an inherent `from_text` (the text protocol's parsed forms differ in shape per command);
//! * [`Command::apply`], which acts on the server's state and returns a typed outcome;
//! * one answer writer per protocol that carries the command: [`BinaryCommand::answer_binary`],
//!   [`TextCommand::answer_text`], [`MetaCommand::answer_meta`].
//!
//! The front ends ([`crate::binary`], [`crate::ascii`], [`crate::meta`]) do what is particular
//! to a connection of their protocol (binary's magic, SASL and key checks, meta's key decoding)
//! and then route each request to its family with [`run_binary`], [`run_text`] or
//! [`run_meta`].
//!
//! # Adding a command
//!
//! 1. A new file here: the request struct, `impl Command`, and `impl BinaryCommand`,
//!    `TextCommand` and/or `MetaCommand` for the protocols that carry it.
//! 2. A `pub mod` line below, and one routing line in each front end that carries it.
//!
//! A new `stats` group is one file in [`stats`] and one entry in [`stats::GROUPS`].

pub mod arithmetic;
pub mod cache_memlimit;
pub mod control;
pub mod debug;
pub mod delete;
mod error;
pub mod flush;
pub mod get;
pub mod lru;
pub mod lru_crawler;
pub mod meta_args;
pub mod sasl;
pub mod shape;
pub mod shutdown;
pub mod slabs;
pub mod stats;
pub mod store;
pub mod touch;
pub mod watch;

use bytes::{Bytes, BytesMut};
use memshark_protocol::binary::Packet;
use memshark_protocol::meta;

pub use error::RequestError;

use crate::logger::Logged;
use crate::reply::{BinaryReply, MetaReply, TextReply};
use crate::storage::Store;
use crate::{Session, Shared};

/// What the connection does after a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Keep reading.
    Continue,
    /// Send what is queued, then close.
    Close,
}

/// What a command acts on: the state every connection shares, and this connection's own.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The store, configuration and process facts.
    pub shared: &'a Shared,
    /// This connection's state (SASL authentication).
    pub session: &'a mut Session,
}

impl Ctx<'_> {
    /// The item store.
    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// Whether `watch` is listening (log lines are worth building).
    pub fn watched(&self) -> bool {
        self.shared.store.log.active()
    }

    /// The item under `key` as a log line shows it, if it is there (peeked, not fetched).
    pub fn logged(&self, key: &[u8]) -> Option<Logged> {
        self.store().peek(key).map(|m| Logged {
            class: m.class,
            size: m.value_len,
        })
    }

    /// Logs a fetch of `key` as memcached's `watch fetchers` shows it, when watched.
    pub fn log_fetch(&self, key: &[u8]) {
        if self.watched() {
            let found = self.logged(key);
            self.store().log.fetch(key, found, self.session.id);
        }
    }
}

/// A command as every protocol sees it: a request that applies to the server's state.
pub trait Command {
    /// What applying it did, typed; the answer writers turn it into each protocol's bytes.
    type Outcome;

    /// What the connection does once the answer is written.
    const AFTER: After = After::Continue;

    /// Applies the request.
    fn apply(&self, ctx: &mut Ctx<'_>) -> Self::Outcome;
}

/// A command the binary protocol carries.
pub trait BinaryCommand<'p>: Command + Sized {
    /// The request, from a binary packet whose header the front end has checked; an error when
    /// its extras, key or value do not fit the opcode (memcached answers `EINVAL` and closes).
    fn from_binary(p: &'p Packet<Bytes>) -> Result<Self, RequestError>;

    /// Writes the binary answer to `out` (nothing, for a quiet success).
    fn answer_binary(&self, outcome: Self::Outcome, reply: &BinaryReply<'_>, out: &mut BytesMut);
}

/// A command the classic text protocol carries.
pub trait TextCommand: Command {
    /// Writes the text answer to `out` (nothing, with `noreply`).
    fn answer_text(&self, outcome: Self::Outcome, reply: &TextReply, out: &mut BytesMut);
}

/// A command the meta protocol carries.
pub trait MetaCommand<'k>: Command + Sized {
    /// The request, from a meta command and its key (decoded from base64 when flagged so).
    fn from_meta(m: &meta::Request<'k>, key: &'k [u8]) -> Self;

    /// Writes the meta answer to `out` (nothing, when quiet mode omits it).
    fn answer_meta(&self, outcome: Self::Outcome, reply: &MetaReply<'_>, out: &mut BytesMut);
}

/// Applies a command that came over the binary protocol and writes its answer.
pub fn run_binary<'p, C: BinaryCommand<'p>>(
    cmd: &C,
    ctx: &mut Ctx<'_>,
    reply: &BinaryReply<'_>,
    out: &mut BytesMut,
) -> After {
    let outcome = cmd.apply(ctx);
    cmd.answer_binary(outcome, reply, out);
    C::AFTER
}

/// Applies a command that came over the text protocol and writes its answer.
pub fn run_text<C: TextCommand>(
    cmd: &C,
    ctx: &mut Ctx<'_>,
    reply: &TextReply,
    out: &mut BytesMut,
) -> After {
    let outcome = cmd.apply(ctx);
    cmd.answer_text(outcome, reply, out);
    C::AFTER
}

/// Applies a command that came over the meta protocol and writes its answer.
pub fn run_meta<'k, C: MetaCommand<'k>>(
    cmd: &C,
    ctx: &mut Ctx<'_>,
    reply: &MetaReply<'_>,
    out: &mut BytesMut,
) -> After {
    let outcome = cmd.apply(ctx);
    cmd.answer_meta(outcome, reply, out);
    C::AFTER
}
