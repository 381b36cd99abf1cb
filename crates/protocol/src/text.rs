//! What the two line-based protocols ([`ascii`](crate::ascii) and [`meta`](crate::meta))
//! share: finding a line, splitting it into tokens, reading numbers and data blocks, the three
//! outcomes of a parse, the limits that keep buffering bounded, and the names of a line's
//! arguments ([`Arg`]). Both protocols build on this module; neither reads the other's
//! internals.

use crate::limits::{CAPTURED_VALUE_MAX, ITEM_SIZE_MAX_DEFAULT, KEY_MAX_LEN, LINE_MAX_LEN};

/// Bounds on what a parser accepts. Past them input is an error, never unbounded buffering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Longest command or response line, without its data block (memcached's is
    /// [`LINE_MAX_LEN`]).
    pub max_line: usize,
    /// Longest key (memcached's is [`KEY_MAX_LEN`]).
    pub max_key: usize,
    /// Largest data block accepted (memcached's item size limit, 1 MiB by default).
    pub max_value: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_line: LINE_MAX_LEN,
            max_key: KEY_MAX_LEN,
            max_value: ITEM_SIZE_MAX_DEFAULT,
        }
    }
}

impl ParseLimits {
    /// Limits for reading traffic rather than serving it: keys and lines as memcached's, values
    /// up to 64 MiB (anything a real server could have been configured to accept).
    pub fn permissive() -> ParseLimits {
        ParseLimits {
            max_value: CAPTURED_VALUE_MAX,
            ..ParseLimits::default()
        }
    }
}

/// What one argument of a text or meta line is (for naming the tokens of a line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arg {
    /// A key.
    Key,
    /// Client flags (the opaque number stored with an item).
    ClientFlags,
    /// An expiration time (seconds from now, or a unix time).
    Exptime,
    /// The length of the data block that follows the line.
    Bytes,
    /// A CAS unique.
    CasUnique,
    /// The word `noreply`.
    Noreply,
    /// An incr/decr amount.
    Delta,
    /// A `flush_all` delay (an expiration time).
    Delay,
    /// A verbosity level.
    Level,
    /// A statistic's name.
    StatName,
    /// A statistic's value.
    StatValue,
    /// A meta data block length.
    DataLen,
    /// A meta flag (a letter and its token).
    MetaFlag,
    /// Anything else.
    Other,
}

impl Arg {
    /// The name the details pane shows.
    pub fn name(self) -> &'static str {
        match self {
            Arg::Key => "key",
            Arg::ClientFlags => "flags",
            Arg::Exptime => "exptime",
            Arg::Bytes => "bytes",
            Arg::CasUnique => "cas unique",
            Arg::Noreply => "noreply",
            Arg::Delta => "delta",
            Arg::Delay => "delay",
            Arg::Level => "level",
            Arg::StatName => "name",
            Arg::StatValue => "value",
            Arg::DataLen => "datalen",
            Arg::MetaFlag => "flag",
            Arg::Other => "argument",
        }
    }

    /// Whether the argument is an expiration time (seconds from now up to
    /// [`RELATIVE_EXPTIME_MAX`](crate::limits::RELATIVE_EXPTIME_MAX), else a unix time).
    pub fn is_time(self) -> bool {
        matches!(self, Arg::Exptime | Arg::Delay)
    }
}

/// The arguments of a line after its first word: these in order, then any number of `rest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grammar {
    /// The arguments at fixed positions.
    pub fixed: &'static [Arg],
    /// What every further argument is.
    pub rest: Arg,
}

impl Grammar {
    /// A line whose arguments are not known: all [`Arg::Other`].
    pub const UNKNOWN: Grammar = Grammar::new(&[], Arg::Other);

    /// A grammar of `fixed` arguments followed by any number of `rest`.
    pub const fn new(fixed: &'static [Arg], rest: Arg) -> Grammar {
        Grammar { fixed, rest }
    }

    /// What the argument at position `i` (0 for the first after the word) is.
    pub fn arg(&self, i: usize) -> Arg {
        self.fixed.get(i).copied().unwrap_or(self.rest)
    }
}

/// The successful outcomes of a parse: a whole message, or a need for more bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// A whole message, which used the first `len` bytes of the buffer.
    Complete {
        /// The message, borrowing from the buffer.
        message: T,
        /// Bytes it used.
        len: usize,
    },
    /// Not all there yet.
    Incomplete {
        /// Exactly how many more bytes are needed, when that is known (a data block of declared
        /// length); `None` while waiting for the end of a line.
        needed: Option<usize>,
    },
}

impl<T> Parsed<T> {
    /// The message, if complete.
    pub fn complete(self) -> Option<(T, usize)> {
        match self {
            Parsed::Complete { message, len } => Some((message, len)),
            Parsed::Incomplete { .. } => None,
        }
    }
}

/// What is wrong with a malformed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The first word is not a command (memcached answers `ERROR`).
    UnknownCommand,
    /// Wrong number or shape of tokens.
    BadFormat,
    /// A key longer than the limit.
    KeyTooLong,
    /// No end of line within the line limit.
    LineTooLong,
    /// A data block not followed by `\r\n`.
    BadDataChunk,
    /// A data block larger than the value limit; its bytes are to be swallowed.
    TooLarge,
    /// An incr/decr delta that is not a 64-bit unsigned number.
    InvalidDelta,
    /// A meta flag that is not a letter or is malformed.
    InvalidFlag,
    /// A meta key flagged base64 that does not decode.
    InvalidBase64Key,
}

/// A malformed message, and how far to skip to get back in step with the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{} (skip {skip} bytes)", kind.reply())]
pub struct ParseError {
    /// What is wrong.
    pub kind: ErrorKind,
    /// Bytes to drop from the front of the buffer to resync; never 0. It may be more than the
    /// buffer holds (a too-large data block still arriving): drop those bytes as they come.
    pub skip: usize,
}

impl ErrorKind {
    /// The line memcached 1.6 answers with (without `\r\n`).
    pub fn reply(self) -> &'static str {
        match self {
            ErrorKind::UnknownCommand => "ERROR",
            ErrorKind::BadFormat | ErrorKind::KeyTooLong => "CLIENT_ERROR bad command line format",
            ErrorKind::LineTooLong => "CLIENT_ERROR line too long",
            ErrorKind::BadDataChunk => "CLIENT_ERROR bad data chunk",
            ErrorKind::TooLarge => "SERVER_ERROR object too large for cache",
            ErrorKind::InvalidDelta => "CLIENT_ERROR invalid numeric delta argument",
            ErrorKind::InvalidFlag => "CLIENT_ERROR invalid flag",
            ErrorKind::InvalidBase64Key => "CLIENT_ERROR error decoding key",
        }
    }
}

/// A line found at the front of a buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    /// The line without its `\r\n` or `\n`.
    pub text: &'a [u8],
    /// Bytes the line used, terminator included.
    pub len: usize,
}

/// Finds the first line of `buf`. `Ok(None)` when no end of line is there yet; an error when
/// none is within `max_line` bytes.
pub(crate) fn next_line(buf: &[u8], max_line: usize) -> Result<Option<Line<'_>>, ParseError> {
    let window = &buf[..buf.len().min(max_line.saturating_add(2))];
    match memchr::memchr(b'\n', window) {
        Some(nl) => {
            let text = &buf[..nl];
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            if text.len() > max_line {
                return Err(ParseError {
                    kind: ErrorKind::LineTooLong,
                    skip: nl + 1,
                });
            }
            Ok(Some(Line { text, len: nl + 1 }))
        }
        // Resync at the end of the over-long line if it is already here, else drop all there is.
        None if buf.len() > max_line + 1 => Err(ParseError {
            kind: ErrorKind::LineTooLong,
            skip: memchr::memchr(b'\n', buf).map_or(buf.len(), |nl| nl + 1),
        }),
        None => Ok(None),
    }
}

/// The space-separated tokens of a line (runs of spaces count as one separator, as in
/// memcached's tokenizer).
pub fn tokens(line: &[u8]) -> impl Iterator<Item = &[u8]> + Clone {
    line.split(|&b| b == b' ').filter(|t| !t.is_empty())
}

/// The first of [`tokens`] (empty for a blank line), found without walking the rest of the
/// line: what servers and proxies branch on for every line.
pub fn first_token(line: &[u8]) -> &[u8] {
    let start = line.iter().position(|&b| b != b' ').unwrap_or(line.len());
    let rest = &line[start..];
    &rest[..memchr::memchr(b' ', rest).unwrap_or(rest.len())]
}

/// The last of [`tokens`], or empty when the line ends with a space (or is blank).
pub fn last_token(line: &[u8]) -> &[u8] {
    &line[memchr::memrchr(b' ', line).map_or(0, |i| i + 1)..]
}

/// Where each token of [`tokens`] sits in `line`, as byte ranges.
pub fn token_spans(line: &[u8]) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let base = line.as_ptr() as usize;
    tokens(line).map(move |t| {
        let start = t.as_ptr() as usize - base;
        start..start + t.len()
    })
}

/// Parses an unsigned decimal number (no sign, no spaces).
pub(crate) fn parse_u64(t: &[u8]) -> Option<u64> {
    if t.is_empty() || t.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in t {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

/// Parses a decimal number that fits 32 bits.
pub(crate) fn parse_u32(t: &[u8]) -> Option<u32> {
    parse_u64(t).and_then(|v| u32::try_from(v).ok())
}

/// Parses a signed decimal number (exptime may be negative).
pub(crate) fn parse_i64(t: &[u8]) -> Option<i64> {
    match t.split_first() {
        Some((b'-', rest)) => parse_u64(rest)
            .and_then(|v| i64::try_from(v).ok())
            .map(|v| -v),
        _ => parse_u64(t).and_then(|v| i64::try_from(v).ok()),
    }
}

/// Reads a data block of `bytes` bytes plus `\r\n` after a line of `line_len` bytes.
pub(crate) fn data_block<'a>(
    buf: &'a [u8],
    line_len: usize,
    bytes: usize,
    limits: &ParseLimits,
) -> Result<Option<(&'a [u8], usize)>, ParseError> {
    let total = line_len.saturating_add(bytes).saturating_add(2);
    if bytes > limits.max_value {
        return Err(ParseError {
            kind: ErrorKind::TooLarge,
            skip: total,
        });
    }
    if buf.len() < total {
        return Ok(None);
    }
    let data = &buf[line_len..line_len + bytes];
    if &buf[line_len + bytes..total] != b"\r\n" {
        return Err(ParseError {
            kind: ErrorKind::BadDataChunk,
            skip: total,
        });
    }
    Ok(Some((data, total)))
}

/// The outcome for a data block still arriving.
pub(crate) fn incomplete_block<T>(buf: &[u8], line_len: usize, bytes: usize) -> Parsed<T> {
    Parsed::Incomplete {
        needed: Some((line_len + bytes + 2).saturating_sub(buf.len()).max(1)),
    }
}

/// The part of `line` from token `from` to its end (`from` must be a token of `line`); empty
/// when there is no such token.
pub(crate) fn section_from<'a>(line: &'a [u8], from: Option<&'a [u8]>) -> &'a [u8] {
    from.and_then(|t| {
        let start = (t.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
        line.get(start..)
    })
    .unwrap_or(b"")
}

/// Finishes a message whose line is parsed: complete as it is when it declares no data block
/// (`size` is `None`), else complete with its block, or incomplete while the block arrives.
pub(crate) fn with_optional_block<'a, T>(
    buf: &'a [u8],
    line: &Line<'a>,
    size: Option<usize>,
    limits: &ParseLimits,
    message: T,
    attach: impl FnOnce(T, &'a [u8]) -> T,
) -> Result<Parsed<T>, ParseError> {
    let Some(bytes) = size else {
        return Ok(Parsed::Complete {
            message,
            len: line.len,
        });
    };
    match data_block(buf, line.len, bytes, limits)? {
        Some((data, len)) => Ok(Parsed::Complete {
            message: attach(message, data),
            len,
        }),
        None => Ok(incomplete_block(buf, line.len, bytes)),
    }
}

/// A bad-format error that skips the line.
pub(crate) fn bad(kind: ErrorKind, line: &Line<'_>) -> ParseError {
    ParseError {
        kind,
        skip: line.len.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn first_and_last_tokens_agree_with_tokens(line in "[ a-c]{0,12}") {
            let line = line.as_bytes();
            proptest::prop_assert_eq!(first_token(line), tokens(line).next().unwrap_or_default());
            let last = line.rsplit(|&b| b == b' ').next().unwrap_or_default();
            proptest::prop_assert_eq!(last_token(line), last);
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"12a"), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_u32(b"4294967296"), None);
    }

    #[test]
    fn lines() {
        let l = next_line(b"get a\r\nrest", LINE_MAX_LEN).unwrap().unwrap();
        assert_eq!((l.text, l.len), (&b"get a"[..], 7));
        let l = next_line(b"get a\nrest", LINE_MAX_LEN).unwrap().unwrap();
        assert_eq!((l.text, l.len), (&b"get a"[..], 6));
        assert!(next_line(b"get a", LINE_MAX_LEN).unwrap().is_none());
        assert_eq!(
            next_line(&[b'a'; 10], 5).unwrap_err().kind,
            ErrorKind::LineTooLong
        );
        assert_eq!(
            tokens(b"  a  b ").collect::<Vec<_>>(),
            vec![&b"a"[..], b"b"]
        );
        assert_eq!(token_spans(b"  a  bc ").collect::<Vec<_>>(), [2..3, 5..7]);
    }
}
