//! The kinds of answer of the classic text protocol, and what each means.

use crate::binary::Status;
use crate::text::{Arg, Grammar};

/// What a classic text answer is (its first word; a bare number is [`Reply::Number`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reply {
    /// `VALUE <key> <flags> <bytes> [<cas unique>]`: one hit of a get.
    Value,
    /// `END`: closes a get's values or a stats listing.
    End,
    /// `STORED`.
    Stored,
    /// `NOT_STORED`.
    NotStored,
    /// `EXISTS`: CAS mismatch.
    Exists,
    /// `NOT_FOUND`.
    NotFound,
    /// `DELETED`.
    Deleted,
    /// `TOUCHED`.
    Touched,
    /// `OK`.
    Ok,
    /// `RESET` (answer to `stats reset`).
    Reset,
    /// `ERROR`: unknown command.
    Error,
    /// `CLIENT_ERROR <message>`.
    ClientError,
    /// `SERVER_ERROR <message>`.
    ServerError,
    /// `STAT <name> <value>`: one statistic.
    Stat,
    /// The new value after `incr`/`decr` (a bare number on the wire).
    Number,
    /// `VERSION <version>`.
    Version,
}

impl Reply {
    /// Every kind of answer.
    pub const ALL: [Reply; 16] = [
        Reply::Value,
        Reply::End,
        Reply::Stored,
        Reply::NotStored,
        Reply::Exists,
        Reply::NotFound,
        Reply::Deleted,
        Reply::Touched,
        Reply::Ok,
        Reply::Reset,
        Reply::Error,
        Reply::ClientError,
        Reply::ServerError,
        Reply::Stat,
        Reply::Number,
        Reply::Version,
    ];

    /// The answer's word (`VALUE`, `NOT_FOUND`, …; `NUMBER` for an incr/decr result), as the
    /// dump schema's `op`.
    pub fn word(self) -> &'static str {
        match self {
            Reply::Value => "VALUE",
            Reply::End => "END",
            Reply::Stored => "STORED",
            Reply::NotStored => "NOT_STORED",
            Reply::Exists => "EXISTS",
            Reply::NotFound => "NOT_FOUND",
            Reply::Deleted => "DELETED",
            Reply::Touched => "TOUCHED",
            Reply::Ok => "OK",
            Reply::Reset => "RESET",
            Reply::Error => "ERROR",
            Reply::ClientError => "CLIENT_ERROR",
            Reply::ServerError => "SERVER_ERROR",
            Reply::Stat => "STAT",
            Reply::Number => "NUMBER",
            Reply::Version => "VERSION",
        }
    }

    /// The answer a word opens, as it appears on the wire (`NUMBER` is not a wire word: a
    /// number answer is digits).
    pub fn from_word(word: &[u8]) -> Option<Reply> {
        Some(match word {
            b"VALUE" => Reply::Value,
            b"END" => Reply::End,
            b"STORED" => Reply::Stored,
            b"NOT_STORED" => Reply::NotStored,
            b"EXISTS" => Reply::Exists,
            b"NOT_FOUND" => Reply::NotFound,
            b"DELETED" => Reply::Deleted,
            b"TOUCHED" => Reply::Touched,
            b"OK" => Reply::Ok,
            b"RESET" => Reply::Reset,
            b"ERROR" => Reply::Error,
            b"CLIENT_ERROR" => Reply::ClientError,
            b"SERVER_ERROR" => Reply::ServerError,
            b"STAT" => Reply::Stat,
            b"VERSION" => Reply::Version,
            _ => return None,
        })
    }

    /// Whether this answer closes what it answers (`VALUE` and `STAT` lines do not; the `END`
    /// after them does).
    pub fn is_final(self) -> bool {
        !matches!(self, Reply::Value | Reply::Stat)
    }

    /// Whether the answer reports a failure (`ERROR`, `CLIENT_ERROR`, `SERVER_ERROR`). A miss
    /// (`NOT_FOUND`) or a refused store (`NOT_STORED`, `EXISTS`) is an answer, not an error.
    pub fn is_error(self) -> bool {
        matches!(self, Reply::Error | Reply::ClientError | Reply::ServerError)
    }

    /// Whether the answer says the key is not there (`NOT_FOUND`). A get's miss is an `END`
    /// without a `VALUE` before it, which only the sequence of answers tells.
    pub fn is_miss(self) -> bool {
        self == Reply::NotFound
    }

    /// Whether the answer is a lookup's hit (`VALUE`).
    pub fn is_hit(self) -> bool {
        self == Reply::Value
    }

    /// The binary status the answer stands for: success for `STORED`, `VALUE`, `END`, …,
    /// `KEY_ENOENT` for `NOT_FOUND`, `KEY_EEXISTS` for `EXISTS`, `NOT_STORED`, `UNKNOWN_COMMAND`
    /// for `ERROR`, `EINVAL` for `CLIENT_ERROR`, `EINTERNAL` for `SERVER_ERROR`; none for
    /// `RESET`.
    pub fn status(self) -> Option<Status> {
        Some(match self {
            Reply::Stored
            | Reply::Deleted
            | Reply::Touched
            | Reply::Ok
            | Reply::Value
            | Reply::End
            | Reply::Number
            | Reply::Stat
            | Reply::Version => Status::NoError,
            Reply::NotFound => Status::KeyNotFound,
            Reply::Exists => Status::KeyExists,
            Reply::NotStored => Status::ItemNotStored,
            Reply::Error => Status::UnknownCommand,
            Reply::ClientError => Status::InvalidArguments,
            Reply::ServerError => Status::InternalError,
            Reply::Reset => return None,
        })
    }

    /// The arguments after the answer word.
    pub fn grammar(self) -> Grammar {
        match self {
            Reply::Value => Grammar::new(
                &[Arg::Key, Arg::ClientFlags, Arg::Bytes, Arg::CasUnique],
                Arg::Other,
            ),
            Reply::Stat => Grammar::new(&[Arg::StatName, Arg::StatValue], Arg::Other),
            _ => Grammar::UNKNOWN,
        }
    }
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_except_number() {
        for r in Reply::ALL {
            let back = Reply::from_word(r.word().as_bytes());
            if r == Reply::Number {
                assert_eq!(back, None);
            } else {
                assert_eq!(back, Some(r));
            }
        }
        assert_eq!(Reply::ServerError.status(), Some(Status::InternalError));
        assert_eq!(u16::from(Reply::Error.status().unwrap()), 0x81);
    }
}
