//! The command words of the classic text protocol, and the arguments each takes.

use crate::text::{Arg, Grammar};

/// A classic text-protocol command (the first word of a client line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// `get <key>*`.
    Get,
    /// `gets <key>*`: with CAS uniques.
    Gets,
    /// `gat <exptime> <key>*`: get and touch.
    Gat,
    /// `gats <exptime> <key>*`: get and touch, with CAS uniques.
    Gats,
    /// `set`: store.
    Set,
    /// `add`: store if absent.
    Add,
    /// `replace`: store if present.
    Replace,
    /// `append`: add after the existing value.
    Append,
    /// `prepend`: add before the existing value.
    Prepend,
    /// `cas`: store if the CAS unique still matches.
    Cas,
    /// `delete <key>`.
    Delete,
    /// `incr <key> <delta>`.
    Incr,
    /// `decr <key> <delta>`.
    Decr,
    /// `touch <key> <exptime>`.
    Touch,
    /// `stats [args…]`.
    Stats,
    /// `flush_all [delay]`.
    FlushAll,
    /// `version`.
    Version,
    /// `verbosity <level>`.
    Verbosity,
    /// `quit`.
    Quit,
}

use Arg::*;

const STORE: Grammar = Grammar::new(&[Key, ClientFlags, Exptime, Bytes, Noreply], Other);

impl Command {
    /// Every command.
    pub const ALL: [Command; 19] = [
        Command::Get,
        Command::Gets,
        Command::Gat,
        Command::Gats,
        Command::Set,
        Command::Add,
        Command::Replace,
        Command::Append,
        Command::Prepend,
        Command::Cas,
        Command::Delete,
        Command::Incr,
        Command::Decr,
        Command::Touch,
        Command::Stats,
        Command::FlushAll,
        Command::Version,
        Command::Verbosity,
        Command::Quit,
    ];

    /// The command word (`get`, `flush_all`, …).
    pub fn name(self) -> &'static str {
        match self {
            Command::Get => "get",
            Command::Gets => "gets",
            Command::Gat => "gat",
            Command::Gats => "gats",
            Command::Set => "set",
            Command::Add => "add",
            Command::Replace => "replace",
            Command::Append => "append",
            Command::Prepend => "prepend",
            Command::Cas => "cas",
            Command::Delete => "delete",
            Command::Incr => "incr",
            Command::Decr => "decr",
            Command::Touch => "touch",
            Command::Stats => "stats",
            Command::FlushAll => "flush_all",
            Command::Version => "version",
            Command::Verbosity => "verbosity",
            Command::Quit => "quit",
        }
    }

    /// The command a word names (exact, lower case as memcached reads it).
    pub fn from_word(word: &[u8]) -> Option<Command> {
        Some(match word {
            b"get" => Command::Get,
            b"gets" => Command::Gets,
            b"gat" => Command::Gat,
            b"gats" => Command::Gats,
            b"set" => Command::Set,
            b"add" => Command::Add,
            b"replace" => Command::Replace,
            b"append" => Command::Append,
            b"prepend" => Command::Prepend,
            b"cas" => Command::Cas,
            b"delete" => Command::Delete,
            b"incr" => Command::Incr,
            b"decr" => Command::Decr,
            b"touch" => Command::Touch,
            b"stats" => Command::Stats,
            b"flush_all" => Command::FlushAll,
            b"version" => Command::Version,
            b"verbosity" => Command::Verbosity,
            b"quit" => Command::Quit,
            _ => return None,
        })
    }

    /// Whether memcached can answer this command with `reply` (its error answers can answer
    /// anything): what lets a dissector notice that an answer was lost in a capture gap.
    pub fn can_answer(self, reply: super::Reply) -> bool {
        use super::Reply as R;
        if matches!(reply, R::Error | R::ClientError | R::ServerError) {
            return true;
        }
        match self {
            Command::Get | Command::Gets | Command::Gat | Command::Gats => {
                matches!(reply, R::Value | R::End)
            }
            Command::Set | Command::Add | Command::Replace | Command::Append | Command::Prepend => {
                matches!(reply, R::Stored | R::NotStored)
            }
            Command::Cas => matches!(reply, R::Stored | R::NotStored | R::Exists | R::NotFound),
            Command::Delete => matches!(reply, R::Deleted | R::NotFound),
            Command::Incr | Command::Decr => matches!(reply, R::Number | R::NotFound),
            Command::Touch => matches!(reply, R::Touched | R::NotFound),
            Command::Stats => matches!(reply, R::Stat | R::End | R::Reset | R::Ok),
            Command::FlushAll | Command::Verbosity => reply == R::Ok,
            Command::Version => reply == R::Version,
            Command::Quit => false,
        }
    }

    /// Whether the command looks keys up (`get`, `gets`, `gat`, `gats`).
    pub fn is_lookup(self) -> bool {
        matches!(
            self,
            Command::Get | Command::Gets | Command::Gat | Command::Gats
        )
    }

    /// The arguments after the command word.
    pub fn grammar(self) -> Grammar {
        match self {
            Command::Set | Command::Add | Command::Replace | Command::Append | Command::Prepend => {
                STORE
            }
            Command::Cas => Grammar::new(
                &[Key, ClientFlags, Exptime, Bytes, CasUnique, Noreply],
                Other,
            ),
            Command::Incr | Command::Decr => Grammar::new(&[Key, Delta, Noreply], Other),
            Command::Delete => Grammar::new(&[Key, Noreply], Other),
            Command::Touch => Grammar::new(&[Key, Exptime, Noreply], Other),
            Command::FlushAll => Grammar::new(&[Delay, Noreply], Other),
            Command::Verbosity => Grammar::new(&[Level, Noreply], Other),
            Command::Get | Command::Gets => Grammar::new(&[], Key),
            Command::Gat | Command::Gats => Grammar::new(&[Exptime], Key),
            Command::Stats | Command::Version | Command::Quit => Grammar::UNKNOWN,
        }
    }
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for c in Command::ALL {
            assert_eq!(Command::from_word(c.name().as_bytes()), Some(c));
        }
        assert_eq!(Command::from_word(b"GET"), None);
        assert_eq!(Command::Cas.grammar().arg(4), CasUnique);
        assert_eq!(Command::Gat.grammar().arg(3), Key);
    }
}
