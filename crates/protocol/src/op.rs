//! Operations and outcomes across the three protocols, as types.
//!
//! * [`Proto`]: which protocol a message speaks.
//! * [`Op`]: what a message is — a binary opcode, a classic text command or answer word
//!   ([`AsciiOp`]), or a meta command or return code ([`MetaOp`]). Each knows the name
//!   `memshark dump` prints, whether it is quiet, whether it looks keys up.
//! * [`Outcome`]: what an answer says — a binary [`Status`], a text [`Reply`] or a meta
//!   [`ResponseCode`] — with one hit / miss / error answer for all three and the binary status
//!   each stands for.
//!
//! All are `Copy` and a few bytes: a dissector sets them per message without allocating.
//!
//! ```
//! use memshark_protocol::ascii::Reply;
//! use memshark_protocol::binary::Status;
//! use memshark_protocol::op::{Op, Outcome};
//!
//! let op = Op::from_text_word(b"NOT_FOUND").expect("an answer word");
//! assert_eq!(op.name(), "NOT_FOUND");
//! let outcome = op.outcome().expect("answers have an outcome");
//! assert_eq!(outcome, Outcome::Ascii(Reply::NotFound));
//! assert!(outcome.is_miss() && !outcome.is_error());
//! assert_eq!(outcome.status(), Some(Status::KeyNotFound));
//! ```

use std::fmt;

use crate::ascii::{self, Reply};
use crate::binary::{Opcode, Status};
use crate::meta::{self, ResponseCode};
use crate::text::Grammar;

/// Which protocol a message speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    /// Binary protocol.
    Binary,
    /// Classic text protocol.
    Ascii,
    /// Meta commands.
    Meta,
}

impl Proto {
    /// `binary`, `ascii` or `meta`.
    pub fn name(self) -> &'static str {
        match self {
            Proto::Binary => "binary",
            Proto::Ascii => "ascii",
            Proto::Meta => "meta",
        }
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A classic text-protocol line: a client's command or a server's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AsciiOp {
    /// A command (`get`, `set`, …).
    Command(ascii::Command),
    /// An answer (`VALUE`, `STORED`, …).
    Reply(Reply),
}

/// A meta line: a client's command or a server's return code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaOp {
    /// A command (`mg`, `ms`, …).
    Command(meta::Command),
    /// A return code (`HD`, `VA`, `EN`, …).
    Answer(ResponseCode),
}

/// What one message is, in any of the three protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// A binary message (request or response) with this opcode.
    Binary(Opcode),
    /// A classic text line.
    Ascii(AsciiOp),
    /// A meta line.
    Meta(MetaOp),
}

impl Op {
    /// The name `memshark dump` prints as `op`: the binary opcode's lower-case name
    /// (`getkq`), the text command or answer word (`get`, `NOT_FOUND`, `NUMBER`), the meta
    /// command or code (`mg`, `HD`).
    pub fn name(self) -> &'static str {
        match self {
            Op::Binary(o) => o.name(),
            Op::Ascii(AsciiOp::Command(c)) => c.name(),
            Op::Ascii(AsciiOp::Reply(r)) => r.word(),
            Op::Meta(MetaOp::Command(c)) => c.name(),
            Op::Meta(MetaOp::Answer(c)) => c.word(),
        }
    }

    /// The protocol.
    pub fn proto(self) -> Proto {
        match self {
            Op::Binary(_) => Proto::Binary,
            Op::Ascii(_) => Proto::Ascii,
            Op::Meta(_) => Proto::Meta,
        }
    }

    /// The binary opcode, for a binary message.
    pub fn opcode(self) -> Option<Opcode> {
        match self {
            Op::Binary(o) => Some(o),
            _ => None,
        }
    }

    /// The text or meta line a word opens: a classic command or answer, a meta command or
    /// code (the word sets are disjoint). `None` for any other word, a number answer's digits
    /// included.
    pub fn from_text_word(word: &[u8]) -> Option<Op> {
        if let Some(c) = ascii::Command::from_word(word) {
            return Some(c.into());
        }
        if let Some(r) = Reply::from_word(word) {
            return Some(r.into());
        }
        if let Some(c) = meta::Command::from_word(word) {
            return Some(c.into());
        }
        ResponseCode::from_word(word).map(Op::from)
    }

    /// Whether the op itself is quiet: the binary quiet opcodes (`getq`, `setq`, …). Text and
    /// meta lines are quiet by their arguments (`noreply`, `q`), not by their command.
    pub fn is_quiet(self) -> bool {
        matches!(self, Op::Binary(o) if o.is_quiet())
    }

    /// Whether the op looks keys up: binary gets and gats (quiet or not, key echoed or not),
    /// text `get`, `gets`, `gat`, `gats`, meta `mg`.
    pub fn is_lookup(self) -> bool {
        match self {
            Op::Binary(o) => o.is_get(),
            Op::Ascii(AsciiOp::Command(c)) => c.is_lookup(),
            Op::Meta(MetaOp::Command(c)) => c.is_lookup(),
            _ => false,
        }
    }

    /// Whether the command leaves the cache as it was: gets that do not touch (binary `get`,
    /// `getq`, `getk`, `getkq`; text `get`, `gets`; meta `mg`), statistics, versions, no-ops
    /// and meta `me`.
    pub fn is_read_only(self) -> bool {
        use Opcode::*;
        match self {
            Op::Binary(o) => matches!(o, Get | GetQ | GetK | GetKQ | Stat | Noop | Version),
            Op::Ascii(AsciiOp::Command(c)) => matches!(
                c,
                ascii::Command::Get
                    | ascii::Command::Gets
                    | ascii::Command::Stats
                    | ascii::Command::Version
            ),
            Op::Meta(MetaOp::Command(c)) => matches!(
                c,
                meta::Command::Get | meta::Command::Noop | meta::Command::Debug
            ),
            _ => false,
        }
    }

    /// Whether the op's answers describe the server rather than the data (statistics,
    /// versions, verbosity, meta `me`), so two servers rightly answer it differently.
    pub fn describes_server(self) -> bool {
        match self {
            Op::Binary(o) => matches!(o, Opcode::Stat | Opcode::Version | Opcode::Verbosity),
            Op::Ascii(AsciiOp::Command(c)) => matches!(
                c,
                ascii::Command::Stats | ascii::Command::Version | ascii::Command::Verbosity
            ),
            Op::Ascii(AsciiOp::Reply(r)) => matches!(r, Reply::Stat | Reply::Version),
            Op::Meta(MetaOp::Command(c)) => c == meta::Command::Debug,
            Op::Meta(MetaOp::Answer(_)) => false,
        }
    }

    /// Whether a request is answered by a series of messages up to a terminator rather than
    /// by one: text gets and `stats` (`VALUE`/`STAT` lines, then `END`) and binary STAT (one
    /// response per statistic, then one without a key).
    pub fn is_answered_in_series(self) -> bool {
        match self {
            Op::Binary(o) => o == Opcode::Stat,
            Op::Ascii(AsciiOp::Command(c)) => c.is_lookup() || c == ascii::Command::Stats,
            _ => false,
        }
    }

    /// For an answer that is one of a series (text `VALUE`, `STAT`), `false`: more follow
    /// before the answer that closes the request. `true` for every other op.
    pub fn is_final(self) -> bool {
        match self {
            Op::Ascii(AsciiOp::Reply(r)) => r.is_final(),
            _ => true,
        }
    }

    /// What a text or meta answer says. `None` for commands and for binary messages, whose
    /// outcome is their header's [`Status`].
    pub fn outcome(self) -> Option<Outcome> {
        match self {
            Op::Ascii(AsciiOp::Reply(r)) => Some(Outcome::Ascii(r)),
            Op::Meta(MetaOp::Answer(c)) => Some(Outcome::Meta(c)),
            _ => None,
        }
    }

    /// The arguments of a text or meta line opened by this op ([`Grammar::UNKNOWN`] for
    /// binary messages).
    pub fn grammar(self) -> Grammar {
        match self {
            Op::Binary(_) => Grammar::UNKNOWN,
            Op::Ascii(AsciiOp::Command(c)) => c.grammar(),
            Op::Ascii(AsciiOp::Reply(r)) => r.grammar(),
            Op::Meta(MetaOp::Command(c)) => c.grammar(),
            Op::Meta(MetaOp::Answer(c)) => c.grammar(),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<Opcode> for Op {
    fn from(o: Opcode) -> Op {
        Op::Binary(o)
    }
}

impl From<ascii::Command> for Op {
    fn from(c: ascii::Command) -> Op {
        Op::Ascii(AsciiOp::Command(c))
    }
}

impl From<Reply> for Op {
    fn from(r: Reply) -> Op {
        Op::Ascii(AsciiOp::Reply(r))
    }
}

impl From<meta::Command> for Op {
    fn from(c: meta::Command) -> Op {
        Op::Meta(MetaOp::Command(c))
    }
}

impl From<ResponseCode> for Op {
    fn from(c: ResponseCode) -> Op {
        Op::Meta(MetaOp::Answer(c))
    }
}

impl From<&ascii::Request<'_>> for Op {
    fn from(r: &ascii::Request<'_>) -> Op {
        match r.classic_or_meta() {
            Ok(c) => c.into(),
            Err(m) => m.command.into(),
        }
    }
}

impl From<&ascii::Response<'_>> for Op {
    fn from(r: &ascii::Response<'_>) -> Op {
        match r.classic_or_meta() {
            Ok(reply) => reply.into(),
            Err(m) => m.code.into(),
        }
    }
}

/// What an answer says, in any of the three protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A binary response's status.
    Binary(Status),
    /// A classic text answer.
    Ascii(Reply),
    /// A meta return code.
    Meta(ResponseCode),
}

impl Outcome {
    /// The binary status name (`KEY_ENOENT`), or the text or meta answer word (`NOT_FOUND`,
    /// `EN`).
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Binary(s) => s.name(),
            Outcome::Ascii(r) => r.word(),
            Outcome::Meta(c) => c.word(),
        }
    }

    /// The protocol.
    pub fn proto(self) -> Proto {
        match self {
            Outcome::Binary(_) => Proto::Binary,
            Outcome::Ascii(_) => Proto::Ascii,
            Outcome::Meta(_) => Proto::Meta,
        }
    }

    /// Whether a lookup found its item: binary `SUCCESS`, text `VALUE`, meta `VA` or `HD`.
    pub fn is_hit(self) -> bool {
        match self {
            Outcome::Binary(s) => s.is_success(),
            Outcome::Ascii(r) => r.is_hit(),
            Outcome::Meta(c) => c.is_hit(),
        }
    }

    /// Whether the answer says the key is not there: binary `KEY_ENOENT`, text `NOT_FOUND`,
    /// meta `EN` or `NF`. (A text get's miss is an `END` with no `VALUE` before it, which
    /// only the series of answers shows.)
    pub fn is_miss(self) -> bool {
        match self {
            Outcome::Binary(s) => s == Status::KeyNotFound,
            Outcome::Ascii(r) => r.is_miss(),
            Outcome::Meta(c) => c.is_miss(),
        }
    }

    /// Whether the answer reports an error: a binary status other than `SUCCESS` and
    /// `KEY_ENOENT`; text `ERROR`, `CLIENT_ERROR`, `SERVER_ERROR`; no meta code. The text
    /// protocol's `EXISTS` and `NOT_STORED` are answers, not errors (the binary protocol has
    /// only statuses, and calls them errors).
    pub fn is_error(self) -> bool {
        match self {
            Outcome::Binary(s) => !s.is_success() && s != Status::KeyNotFound,
            Outcome::Ascii(r) => r.is_error(),
            Outcome::Meta(c) => c.is_error(),
        }
    }

    /// The binary status the outcome stands for (the answer itself for binary; see
    /// [`Reply::status`] and [`ResponseCode::status`] for the others).
    pub fn status(self) -> Option<Status> {
        match self {
            Outcome::Binary(s) => Some(s),
            Outcome::Ascii(r) => r.status(),
            Outcome::Meta(c) => Some(c.status()),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_word_names_one_op_and_back() {
        let ops = ascii::Command::ALL
            .into_iter()
            .map(Op::from)
            .chain(Reply::ALL.into_iter().map(Op::from))
            .chain(meta::Command::ALL.into_iter().map(Op::from))
            .chain(ResponseCode::ALL.into_iter().map(Op::from));
        for op in ops {
            if op == Op::from(Reply::Number) {
                continue;
            }
            assert_eq!(Op::from_text_word(op.name().as_bytes()), Some(op), "{op}");
        }
        assert_eq!(Op::from_text_word(b"123"), None);
    }

    #[test]
    fn one_answer_for_hits_misses_and_errors() {
        let miss = [
            Outcome::Binary(Status::KeyNotFound),
            Outcome::Ascii(Reply::NotFound),
            Outcome::Meta(ResponseCode::En),
            Outcome::Meta(ResponseCode::Nf),
        ];
        assert!(miss
            .iter()
            .all(|o| o.is_miss() && !o.is_error() && !o.is_hit()));
        assert!(Outcome::Binary(Status::KeyExists).is_error());
        assert!(!Outcome::Ascii(Reply::Exists).is_error());
        assert!(Outcome::Ascii(Reply::ClientError).is_error());
        assert_eq!(
            Outcome::Ascii(Reply::ClientError).status(),
            Some(Status::InvalidArguments)
        );
        assert!(Op::from(Opcode::GetKQ).is_quiet() && Op::from(Opcode::GetKQ).is_lookup());
        assert!(Op::from(meta::Command::Get).is_lookup());
        assert!(!Op::from(ascii::Command::Set).is_lookup());
    }
}
