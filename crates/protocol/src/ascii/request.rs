//! Client commands of the classic text protocol.

use std::fmt;

use bytes::{BufMut, BytesMut};

use super::Command;
use crate::binary::write_escaped;
use crate::meta;
use crate::text::{
    bad, data_block, incomplete_block, next_line, parse_i64, parse_u32, parse_u64, section_from,
    tokens, ErrorKind, ParseError, ParseLimits, Parsed,
};

/// The storage commands: a command line followed by a data block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreCommand {
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
}

impl StoreCommand {
    /// The command word.
    pub fn name(self) -> &'static str {
        self.command().name()
    }

    /// The command among all text commands.
    pub fn command(self) -> Command {
        match self {
            StoreCommand::Set => Command::Set,
            StoreCommand::Add => Command::Add,
            StoreCommand::Replace => Command::Replace,
            StoreCommand::Append => Command::Append,
            StoreCommand::Prepend => Command::Prepend,
            StoreCommand::Cas => Command::Cas,
        }
    }

    fn of(command: Command) -> Option<StoreCommand> {
        Some(match command {
            Command::Set => StoreCommand::Set,
            Command::Add => StoreCommand::Add,
            Command::Replace => StoreCommand::Replace,
            Command::Append => StoreCommand::Append,
            Command::Prepend => StoreCommand::Prepend,
            Command::Cas => StoreCommand::Cas,
            _ => return None,
        })
    }
}

/// The retrieval commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GetCommand {
    /// `get`.
    Get,
    /// `gets`: with CAS uniques.
    Gets,
    /// `gat`: get and touch.
    Gat,
    /// `gats`: get and touch, with CAS uniques.
    Gats,
}

impl GetCommand {
    /// The command word.
    pub fn name(self) -> &'static str {
        self.command().name()
    }

    /// The command among all text commands.
    pub fn command(self) -> Command {
        match self {
            GetCommand::Get => Command::Get,
            GetCommand::Gets => Command::Gets,
            GetCommand::Gat => Command::Gat,
            GetCommand::Gats => Command::Gats,
        }
    }

    /// Whether the answers carry CAS uniques.
    pub fn with_cas(self) -> bool {
        matches!(self, GetCommand::Gets | GetCommand::Gats)
    }
}

/// The keys of a retrieval command, as the space-separated section of its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keys<'a>(&'a [u8]);

impl<'a> Keys<'a> {
    /// Keys from a space-separated list (as it appears on the line).
    pub fn from_line_section(section: &'a [u8]) -> Keys<'a> {
        Keys(section)
    }

    /// The keys, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        tokens(self.0)
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are none (never, for a parsed command).
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The first key.
    pub fn first(&self) -> Option<&'a [u8]> {
        self.iter().next()
    }
}

/// A command of the text protocol (classic or meta), borrowing key and data from the buffer it
/// was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    /// `set|add|replace|append|prepend <key> <flags> <exptime> <bytes> [noreply]` and
    /// `cas <key> <flags> <exptime> <bytes> <cas unique> [noreply]`, with the data block.
    Store {
        /// Which command.
        command: StoreCommand,
        /// The key.
        key: &'a [u8],
        /// Client flags.
        flags: u32,
        /// Expiration (negative: already expired).
        exptime: i64,
        /// The CAS unique (`cas` only).
        cas: Option<u64>,
        /// No answer wanted.
        noreply: bool,
        /// The data block.
        data: &'a [u8],
    },
    /// `get|gets <key>*` and `gat|gats <exptime> <key>*`.
    Get {
        /// Which command.
        command: GetCommand,
        /// New expiration (`gat`, `gats`).
        exptime: Option<i64>,
        /// The keys.
        keys: Keys<'a>,
    },
    /// `delete <key> [0] [noreply]`.
    Delete {
        /// The key.
        key: &'a [u8],
        /// No answer wanted.
        noreply: bool,
    },
    /// `incr|decr <key> <delta> [noreply]`.
    Arithmetic {
        /// `true` for incr, `false` for decr.
        incr: bool,
        /// The key.
        key: &'a [u8],
        /// The amount.
        delta: u64,
        /// No answer wanted.
        noreply: bool,
    },
    /// `touch <key> <exptime> [noreply]`.
    Touch {
        /// The key.
        key: &'a [u8],
        /// The new expiration.
        exptime: i64,
        /// No answer wanted.
        noreply: bool,
    },
    /// `stats [args…]`.
    Stats {
        /// Everything after `stats` (may be empty).
        args: &'a [u8],
    },
    /// `flush_all [delay] [noreply]`.
    FlushAll {
        /// Seconds until the flush takes effect.
        delay: Option<i64>,
        /// No answer wanted.
        noreply: bool,
    },
    /// `version`.
    Version,
    /// `verbosity <level> [noreply]`.
    Verbosity {
        /// The level.
        level: u32,
        /// No answer wanted.
        noreply: bool,
    },
    /// `quit`.
    Quit,
    /// A meta command (`mg`, `ms`, `md`, `ma`, `mn`, `me`).
    Meta(meta::Request<'a>),
}

/// Whether `buf` starts with a command word of the text protocols (classic or meta), followed
/// by a space or end of line. Used to find the next message after garbage.
pub fn looks_like_ascii_command(buf: &[u8]) -> bool {
    let end = buf
        .iter()
        .position(|&b| b == b' ' || b == b'\r' || b == b'\n')
        .unwrap_or(buf.len());
    end < buf.len()
        && (Command::from_word(&buf[..end]).is_some()
            || meta::Command::from_word(&buf[..end]).is_some())
}

fn put_noreply(out: &mut impl BufMut, noreply: bool) {
    if noreply {
        out.put_slice(b" noreply");
    }
}

fn noreply_at(t: Option<&[u8]>) -> Result<bool, ()> {
    match t {
        None => Ok(false),
        Some(b"noreply") => Ok(true),
        Some(_) => Err(()),
    }
}

impl<'a> Request<'a> {
    /// Parses the command at the front of `buf`.
    pub fn parse(buf: &'a [u8], limits: &ParseLimits) -> Result<Parsed<Request<'a>>, ParseError> {
        let Some(line) = next_line(buf, limits.max_line)? else {
            return Ok(Parsed::Incomplete { needed: None });
        };
        let mut toks = tokens(line.text);
        let Some(cmd) = toks.next() else {
            return Err(bad(ErrorKind::UnknownCommand, &line));
        };
        let err = |kind| bad(kind, &line);
        let key_ok = |k: &[u8]| k.len() <= limits.max_key;
        let done = |message| {
            Ok(Parsed::Complete {
                message,
                len: line.len,
            })
        };
        let Some(word) = Command::from_word(cmd) else {
            if meta::Command::from_word(cmd).is_none() {
                return Err(err(ErrorKind::UnknownCommand));
            }
            return Ok(match meta::Request::parse_line(buf, line, limits)? {
                Parsed::Complete { message, len } => Parsed::Complete {
                    message: Request::Meta(message),
                    len,
                },
                Parsed::Incomplete { needed } => Parsed::Incomplete { needed },
            });
        };
        if let Some(command) = StoreCommand::of(word) {
            let t: Vec<&[u8]> = toks.by_ref().take(7).collect();
            let need = if command == StoreCommand::Cas { 5 } else { 4 };
            if t.len() < need || t.len() > need + 1 {
                return Err(err(ErrorKind::BadFormat));
            }
            let key = t[0];
            if !key_ok(key) {
                return Err(err(ErrorKind::KeyTooLong));
            }
            let (Some(flags), Some(exptime), Some(bytes)) =
                (parse_u32(t[1]), parse_i64(t[2]), parse_u64(t[3]))
            else {
                return Err(err(ErrorKind::BadFormat));
            };
            let cas = if command == StoreCommand::Cas {
                Some(parse_u64(t[4]).ok_or_else(|| err(ErrorKind::BadFormat))?)
            } else {
                None
            };
            let noreply =
                noreply_at(t.get(need).copied()).map_err(|()| err(ErrorKind::BadFormat))?;
            let bytes = usize::try_from(bytes).map_err(|_| err(ErrorKind::BadFormat))?;
            return match data_block(buf, line.len, bytes, limits)? {
                Some((data, len)) => Ok(Parsed::Complete {
                    message: Request::Store {
                        command,
                        key,
                        flags,
                        exptime,
                        cas,
                        noreply,
                        data,
                    },
                    len,
                }),
                None => Ok(incomplete_block(buf, line.len, bytes)),
            };
        }
        match word {
            Command::Get | Command::Gets | Command::Gat | Command::Gats => {
                let command = match word {
                    Command::Get => GetCommand::Get,
                    Command::Gets => GetCommand::Gets,
                    Command::Gat => GetCommand::Gat,
                    _ => GetCommand::Gats,
                };
                let exptime = if matches!(command, GetCommand::Gat | GetCommand::Gats) {
                    let t = toks.next().ok_or_else(|| err(ErrorKind::BadFormat))?;
                    Some(parse_i64(t).ok_or_else(|| err(ErrorKind::BadFormat))?)
                } else {
                    None
                };
                // The keys section: what follows the tokens consumed so far.
                let rest = section_from(line.text, toks.next());
                if rest.is_empty() {
                    return Err(err(ErrorKind::UnknownCommand));
                }
                let keys = Keys(rest);
                if keys.iter().any(|k| !key_ok(k)) {
                    return Err(err(ErrorKind::KeyTooLong));
                }
                done(Request::Get {
                    command,
                    exptime,
                    keys,
                })
            }
            Command::Delete => {
                let key = toks.next().ok_or_else(|| err(ErrorKind::UnknownCommand))?;
                if !key_ok(key) {
                    return Err(err(ErrorKind::KeyTooLong));
                }
                let mut rest: Vec<&[u8]> = toks.take(3).collect();
                if rest.first() == Some(&&b"0"[..]) {
                    rest.remove(0);
                }
                let noreply = match rest.as_slice() {
                    [] => false,
                    [b"noreply"] => true,
                    _ => {
                        return Err(err(ErrorKind::BadFormat));
                    }
                };
                done(Request::Delete { key, noreply })
            }
            Command::Incr | Command::Decr => {
                let t: Vec<&[u8]> = toks.take(4).collect();
                if t.len() < 2 || t.len() > 3 {
                    return Err(err(ErrorKind::UnknownCommand));
                }
                if !key_ok(t[0]) {
                    return Err(err(ErrorKind::KeyTooLong));
                }
                let delta = parse_u64(t[1]).ok_or_else(|| err(ErrorKind::InvalidDelta))?;
                let noreply =
                    noreply_at(t.get(2).copied()).map_err(|()| err(ErrorKind::BadFormat))?;
                done(Request::Arithmetic {
                    incr: word == Command::Incr,
                    key: t[0],
                    delta,
                    noreply,
                })
            }
            Command::Touch => {
                let t: Vec<&[u8]> = toks.take(4).collect();
                if t.len() < 2 || t.len() > 3 {
                    return Err(err(ErrorKind::UnknownCommand));
                }
                if !key_ok(t[0]) {
                    return Err(err(ErrorKind::KeyTooLong));
                }
                let exptime = parse_i64(t[1]).ok_or_else(|| err(ErrorKind::BadFormat))?;
                let noreply =
                    noreply_at(t.get(2).copied()).map_err(|()| err(ErrorKind::BadFormat))?;
                done(Request::Touch {
                    key: t[0],
                    exptime,
                    noreply,
                })
            }
            Command::Stats => done(Request::Stats {
                args: section_from(line.text, toks.next()),
            }),
            Command::FlushAll => {
                let t: Vec<&[u8]> = toks.take(3).collect();
                let (delay, noreply) = match t.as_slice() {
                    [] => (None, false),
                    [b"noreply"] => (None, true),
                    [d] => (
                        Some(parse_i64(d).ok_or_else(|| err(ErrorKind::BadFormat))?),
                        false,
                    ),
                    [d, b"noreply"] => (
                        Some(parse_i64(d).ok_or_else(|| err(ErrorKind::BadFormat))?),
                        true,
                    ),
                    _ => return Err(err(ErrorKind::BadFormat)),
                };
                done(Request::FlushAll { delay, noreply })
            }
            Command::Version => done(Request::Version),
            Command::Quit => done(Request::Quit),
            Command::Verbosity => {
                // memcached reads the level with strtoul and no check: text counts as 0, and a
                // lone `noreply` is both the level and the flag.
                let t: Vec<&[u8]> = toks.take(3).collect();
                let noreply = t.last() == Some(&&b"noreply"[..]);
                let level = match t.as_slice() {
                    [] => return Err(err(ErrorKind::UnknownCommand)),
                    [l, ..] => parse_u32(l).unwrap_or(0),
                };
                if t.len() > 2 {
                    return Err(err(ErrorKind::UnknownCommand));
                }
                done(Request::Verbosity { level, noreply })
            }
            // Parsed above with their data block.
            Command::Set
            | Command::Add
            | Command::Replace
            | Command::Append
            | Command::Prepend
            | Command::Cas => Err(err(ErrorKind::UnknownCommand)),
        }
    }

    /// The command word (`get`, `set`, `mg`, …), as the dump schema's `op`.
    pub fn command_name(&self) -> &'static str {
        match self.classic_or_meta() {
            Ok(c) => c.name(),
            Err(m) => m.command.name(),
        }
    }

    /// The classic command (`None` for a meta command: see [`Request::Meta`]).
    pub fn command(&self) -> Option<Command> {
        self.classic_or_meta().ok()
    }

    /// The classic command, or the meta command this request wraps.
    pub(crate) fn classic_or_meta(&self) -> Result<Command, &meta::Request<'a>> {
        Ok(match self {
            Request::Store { command, .. } => command.command(),
            Request::Get { command, .. } => command.command(),
            Request::Delete { .. } => Command::Delete,
            Request::Arithmetic { incr: true, .. } => Command::Incr,
            Request::Arithmetic { incr: false, .. } => Command::Decr,
            Request::Touch { .. } => Command::Touch,
            Request::Stats { .. } => Command::Stats,
            Request::FlushAll { .. } => Command::FlushAll,
            Request::Version => Command::Version,
            Request::Verbosity { .. } => Command::Verbosity,
            Request::Quit => Command::Quit,
            Request::Meta(m) => return Err(m),
        })
    }

    /// The (first) key, where the command has one.
    pub fn key(&self) -> Option<&'a [u8]> {
        match self {
            Request::Store { key, .. }
            | Request::Delete { key, .. }
            | Request::Arithmetic { key, .. }
            | Request::Touch { key, .. } => Some(key),
            Request::Get { keys, .. } => keys.first(),
            Request::Meta(m) => (!m.key.is_empty()).then_some(m.key),
            _ => None,
        }
    }

    /// Whether the client asked for no answer (`noreply`, or meta `q` on a success).
    pub fn is_noreply(&self) -> bool {
        match self {
            Request::Store { noreply, .. }
            | Request::Delete { noreply, .. }
            | Request::Arithmetic { noreply, .. }
            | Request::Touch { noreply, .. }
            | Request::FlushAll { noreply, .. }
            | Request::Verbosity { noreply, .. } => *noreply,
            _ => false,
        }
    }

    /// Appends the wire form to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        self.write_to(out);
    }

    /// Appends the wire form to any [`BufMut`].
    pub fn write_to(&self, out: &mut impl BufMut) {
        match self {
            Request::Store {
                command,
                key,
                flags,
                exptime,
                cas,
                noreply,
                data,
            } => {
                out.put_slice(command.name().as_bytes());
                out.put_u8(b' ');
                out.put_slice(key);
                out.put_slice(format!(" {flags} {exptime} {}", data.len()).as_bytes());
                if let Some(c) = cas {
                    out.put_slice(format!(" {c}").as_bytes());
                }
                put_noreply(out, *noreply);
                out.put_slice(b"\r\n");
                out.put_slice(data);
                out.put_slice(b"\r\n");
            }
            Request::Get {
                command,
                exptime,
                keys,
            } => {
                out.put_slice(command.name().as_bytes());
                if let Some(e) = exptime {
                    out.put_slice(format!(" {e}").as_bytes());
                }
                for k in keys.iter() {
                    out.put_u8(b' ');
                    out.put_slice(k);
                }
                out.put_slice(b"\r\n");
            }
            Request::Delete { key, noreply } => {
                out.put_slice(b"delete ");
                out.put_slice(key);
                put_noreply(out, *noreply);
                out.put_slice(b"\r\n");
            }
            Request::Arithmetic {
                incr,
                key,
                delta,
                noreply,
            } => {
                out.put_slice(if *incr { b"incr " } else { b"decr " });
                out.put_slice(key);
                out.put_slice(format!(" {delta}").as_bytes());
                put_noreply(out, *noreply);
                out.put_slice(b"\r\n");
            }
            Request::Touch {
                key,
                exptime,
                noreply,
            } => {
                out.put_slice(b"touch ");
                out.put_slice(key);
                out.put_slice(format!(" {exptime}").as_bytes());
                put_noreply(out, *noreply);
                out.put_slice(b"\r\n");
            }
            Request::Stats { args } => {
                out.put_slice(b"stats");
                if !args.is_empty() {
                    out.put_u8(b' ');
                    out.put_slice(args);
                }
                out.put_slice(b"\r\n");
            }
            Request::FlushAll { delay, noreply } => {
                out.put_slice(b"flush_all");
                if let Some(d) = delay {
                    out.put_slice(format!(" {d}").as_bytes());
                }
                put_noreply(out, *noreply);
                out.put_slice(b"\r\n");
            }
            Request::Version => out.put_slice(b"version\r\n"),
            Request::Quit => out.put_slice(b"quit\r\n"),
            Request::Verbosity { level, noreply } => {
                out.put_slice(format!("verbosity {level}").as_bytes());
                put_noreply(out, *noreply);
                out.put_slice(b"\r\n");
            }
            Request::Meta(m) => m.write_to(out),
        }
    }
}

impl fmt::Display for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.command_name())?;
        match self {
            Request::Get { keys, exptime, .. } => {
                if let Some(e) = exptime {
                    write!(f, " exptime={e}")?;
                }
                for k in keys.iter() {
                    f.write_str(" ")?;
                    write_escaped(f, k)?;
                }
            }
            Request::Store {
                key,
                flags,
                exptime,
                cas,
                data,
                ..
            } => {
                f.write_str(" ")?;
                write_escaped(f, key)?;
                write!(f, " flags={flags} exptime={exptime}")?;
                if let Some(c) = cas {
                    write!(f, " cas={c}")?;
                }
                write!(f, " value={}B", data.len())?;
            }
            Request::Arithmetic { key, delta, .. } => {
                f.write_str(" ")?;
                write_escaped(f, key)?;
                write!(f, " delta={delta}")?;
            }
            Request::Touch { key, exptime, .. } => {
                f.write_str(" ")?;
                write_escaped(f, key)?;
                write!(f, " exptime={exptime}")?;
            }
            Request::Delete { key, .. } => {
                f.write_str(" ")?;
                write_escaped(f, key)?;
            }
            Request::Stats { args } if !args.is_empty() => {
                f.write_str(" ")?;
                write_escaped(f, args)?;
            }
            Request::FlushAll { delay: Some(d), .. } => write!(f, " delay={d}")?,
            Request::Verbosity { level, .. } => write!(f, " level={level}")?,
            Request::Meta(m) => {
                if !m.key.is_empty() {
                    f.write_str(" ")?;
                    write_escaped(f, m.key)?;
                }
                if !m.flags.is_empty() {
                    write!(f, " flags={}", String::from_utf8_lossy(m.flags.as_bytes()))?;
                }
                if let Some(d) = m.data {
                    write!(f, " value={}B", d.len())?;
                }
            }
            _ => {}
        }
        if self.is_noreply() {
            f.write_str(" noreply")?;
        }
        Ok(())
    }
}
