//! Server answers of the classic text protocol.

use std::fmt;

use bytes::{BufMut, BytesMut};

use super::Reply;
use crate::binary::write_escaped;
use crate::meta;
use crate::text::{
    bad, data_block, incomplete_block, next_line, parse_u32, parse_u64, tokens, ErrorKind,
    ParseError, ParseLimits, Parsed,
};

/// One answer line of the text protocol (with its data block, for `VALUE` and meta `VA`).
///
/// A multi-key get is answered by several messages: one `VALUE` per hit, then `END`; `stats`
/// by one `STAT` per statistic, then `END`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response<'a> {
    /// `VALUE <key> <flags> <bytes> [<cas unique>]` and the data block.
    Value {
        /// The key.
        key: &'a [u8],
        /// Client flags.
        flags: u32,
        /// CAS unique (`gets`, `gats`).
        cas: Option<u64>,
        /// The data block.
        data: &'a [u8],
    },
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
    ClientError(&'a [u8]),
    /// `SERVER_ERROR <message>`.
    ServerError(&'a [u8]),
    /// `STAT <name> <value>`.
    Stat {
        /// Statistic name.
        name: &'a [u8],
        /// Its value (the rest of the line).
        value: &'a [u8],
    },
    /// The new value after `incr`/`decr`.
    Number(u64),
    /// `VERSION <version>`.
    Version(&'a [u8]),
    /// A meta answer (`HD`, `VA`, `EN`, `NF`, `NS`, `EX`, `MN`, `ME`).
    Meta(meta::Response<'a>),
}

/// Whether `buf` starts with an answer word of the text protocols, followed by a space or end
/// of line (or is a number line). Used to find the next message after garbage.
pub fn looks_like_ascii_response(buf: &[u8]) -> bool {
    let end = buf
        .iter()
        .position(|&b| b == b' ' || b == b'\r' || b == b'\n')
        .unwrap_or(buf.len());
    if end == buf.len() || end == 0 {
        return false;
    }
    let word = &buf[..end];
    Reply::from_word(word).is_some()
        || meta::ResponseCode::from_word(word).is_some()
        || (word.len() <= 20 && word.iter().all(u8::is_ascii_digit))
}

fn rest_after(line: &[u8], word_len: usize) -> &[u8] {
    line.get(word_len + 1..).unwrap_or(b"")
}

impl<'a> Response<'a> {
    /// Parses the answer at the front of `buf`.
    pub fn parse(buf: &'a [u8], limits: &ParseLimits) -> Result<Parsed<Response<'a>>, ParseError> {
        let Some(line) = next_line(buf, limits.max_line)? else {
            return Ok(Parsed::Incomplete { needed: None });
        };
        let text = line.text;
        let mut toks = tokens(text);
        let word = toks.next().unwrap_or(b"");
        let done = |message| {
            Ok(Parsed::Complete {
                message,
                len: line.len,
            })
        };
        let exact = |r: Response<'a>| {
            if toks.clone().next().is_some() {
                Err(bad(ErrorKind::BadFormat, &line))
            } else {
                done(r)
            }
        };
        match word {
            b"VALUE" => {
                let t: Vec<&[u8]> = toks.take(5).collect();
                if t.len() < 3 || t.len() > 4 {
                    return Err(bad(ErrorKind::BadFormat, &line));
                }
                if t[0].len() > limits.max_key {
                    return Err(bad(ErrorKind::KeyTooLong, &line));
                }
                let (Some(flags), Some(bytes)) = (parse_u32(t[1]), parse_u64(t[2])) else {
                    return Err(bad(ErrorKind::BadFormat, &line));
                };
                let cas = match t.get(3) {
                    Some(c) => Some(parse_u64(c).ok_or_else(|| bad(ErrorKind::BadFormat, &line))?),
                    None => None,
                };
                let bytes = usize::try_from(bytes).map_err(|_| bad(ErrorKind::BadFormat, &line))?;
                match data_block(buf, line.len, bytes, limits)? {
                    Some((data, len)) => Ok(Parsed::Complete {
                        message: Response::Value {
                            key: t[0],
                            flags,
                            cas,
                            data,
                        },
                        len,
                    }),
                    None => Ok(incomplete_block(buf, line.len, bytes)),
                }
            }
            b"END" => exact(Response::End),
            b"STORED" => exact(Response::Stored),
            b"NOT_STORED" => exact(Response::NotStored),
            b"EXISTS" => exact(Response::Exists),
            b"NOT_FOUND" => exact(Response::NotFound),
            b"DELETED" => exact(Response::Deleted),
            b"TOUCHED" => exact(Response::Touched),
            b"OK" => exact(Response::Ok),
            b"RESET" => exact(Response::Reset),
            b"ERROR" => done(Response::Error),
            b"CLIENT_ERROR" => done(Response::ClientError(rest_after(text, word.len()))),
            b"SERVER_ERROR" => done(Response::ServerError(rest_after(text, word.len()))),
            b"VERSION" => done(Response::Version(rest_after(text, word.len()))),
            b"STAT" => {
                let name = toks
                    .next()
                    .ok_or_else(|| bad(ErrorKind::BadFormat, &line))?;
                let start = name.as_ptr() as usize - text.as_ptr() as usize + name.len();
                let value = text.get(start + 1..).unwrap_or(b"");
                done(Response::Stat { name, value })
            }
            b"HD" | b"VA" | b"EN" | b"NF" | b"NS" | b"EX" | b"MN" | b"ME" => {
                Ok(match meta::Response::parse_line(buf, line, limits)? {
                    Parsed::Complete { message, len } => Parsed::Complete {
                        message: Response::Meta(message),
                        len,
                    },
                    Parsed::Incomplete { needed } => Parsed::Incomplete { needed },
                })
            }
            w => match parse_u64(w) {
                Some(n) if toks.next().is_none() => done(Response::Number(n)),
                _ => Err(bad(ErrorKind::UnknownCommand, &line)),
            },
        }
    }

    /// The answer's first word (`VALUE`, `END`, `STORED`, `HD`, …; `NUMBER` for an incr/decr
    /// result), as the dump schema's `op`.
    pub fn word(&self) -> &'static str {
        match self.classic_or_meta() {
            Ok(r) => r.word(),
            Err(m) => m.code.word(),
        }
    }

    /// What kind of classic answer this is (`None` for a meta answer: see
    /// [`Response::Meta`]).
    pub fn reply(&self) -> Option<Reply> {
        self.classic_or_meta().ok()
    }

    /// The classic answer's kind, or the meta answer this response wraps.
    pub(crate) fn classic_or_meta(&self) -> Result<Reply, &meta::Response<'a>> {
        Ok(match self {
            Response::Value { .. } => Reply::Value,
            Response::End => Reply::End,
            Response::Stored => Reply::Stored,
            Response::NotStored => Reply::NotStored,
            Response::Exists => Reply::Exists,
            Response::NotFound => Reply::NotFound,
            Response::Deleted => Reply::Deleted,
            Response::Touched => Reply::Touched,
            Response::Ok => Reply::Ok,
            Response::Reset => Reply::Reset,
            Response::Error => Reply::Error,
            Response::ClientError(_) => Reply::ClientError,
            Response::ServerError(_) => Reply::ServerError,
            Response::Stat { .. } => Reply::Stat,
            Response::Number(_) => Reply::Number,
            Response::Version(_) => Reply::Version,
            Response::Meta(m) => return Err(m),
        })
    }

    /// Whether this answer closes what it answers (`VALUE` and `STAT` lines do not; the `END`
    /// after them does).
    pub fn is_final(&self) -> bool {
        self.reply().is_none_or(Reply::is_final)
    }

    /// Whether the answer reports a failure (`ERROR`, `CLIENT_ERROR`, `SERVER_ERROR`; misses
    /// like `NOT_FOUND` are not, nor is any meta answer).
    pub fn is_error(&self) -> bool {
        self.reply().is_some_and(Reply::is_error)
    }

    /// Appends the wire form to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        self.write_to(out);
    }

    /// Appends the wire form to any [`BufMut`].
    pub fn write_to(&self, out: &mut impl BufMut) {
        match self {
            Response::Value {
                key,
                flags,
                cas,
                data,
            } => {
                out.put_slice(b"VALUE ");
                out.put_slice(key);
                out.put_slice(format!(" {flags} {}", data.len()).as_bytes());
                if let Some(c) = cas {
                    out.put_slice(format!(" {c}").as_bytes());
                }
                out.put_slice(b"\r\n");
                out.put_slice(data);
            }
            Response::ClientError(m) | Response::ServerError(m) | Response::Version(m) => {
                out.put_slice(self.word().as_bytes());
                out.put_u8(b' ');
                out.put_slice(m);
            }
            Response::Stat { name, value } => {
                out.put_slice(b"STAT ");
                out.put_slice(name);
                out.put_u8(b' ');
                out.put_slice(value);
            }
            Response::Number(n) => out.put_slice(n.to_string().as_bytes()),
            Response::Meta(m) => return m.write_to(out),
            other => out.put_slice(other.word().as_bytes()),
        }
        out.put_slice(b"\r\n");
    }
}

impl fmt::Display for Response<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())?;
        match self {
            Response::Value {
                key,
                flags,
                cas,
                data,
            } => {
                f.write_str(" ")?;
                write_escaped(f, key)?;
                write!(f, " flags={flags}")?;
                if let Some(c) = cas {
                    write!(f, " cas={c}")?;
                }
                write!(f, " value={}B", data.len())
            }
            Response::ClientError(m) | Response::ServerError(m) | Response::Version(m) => {
                f.write_str(" ")?;
                write_escaped(f, m)
            }
            Response::Stat { name, value } => {
                f.write_str(" ")?;
                write_escaped(f, name)?;
                f.write_str("=")?;
                write_escaped(f, value)
            }
            Response::Number(n) => write!(f, " {n}"),
            Response::Meta(m) => {
                if !m.flags.is_empty() {
                    write!(f, " flags={}", String::from_utf8_lossy(m.flags.as_bytes()))?;
                }
                if let Some(d) = m.data {
                    write!(f, " value={}B", d.len())?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}
