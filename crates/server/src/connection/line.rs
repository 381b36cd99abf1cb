//! What memcached decides from a text line before (or instead of) parsing it: the framing of
//! over-long lines, its defence against HTTP, the token counts it wants per command, and the
//! exact words of its errors. The protocol parser (`memshark-protocol`) reads traffic for every
//! tool; these rules are the server's alone.

use memshark_protocol::ascii::ErrorKind;
use memshark_protocol::limits::LINE_MAX_LEN;
use memshark_protocol::text::tokens;

/// Longest `get`/`gets` line served (memcached exempts them from its 2048-byte line limit and
/// reads their keys as they come; a bound is still kept so the buffer stays bounded).
pub(crate) const GET_LINE_MAX: usize = 8 * 1024 * 1024;

/// What to do with the bytes at the front of a text connection that hold no whole line yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Partial {
    /// Wait for more.
    Wait,
    /// Close the connection without a word (memcached's answer to a line too long to be a
    /// command).
    Close,
}

/// memcached's rule for a line still without its end: past 2048 bytes only `get ` and `gets `
/// (after at most 100 leading spaces) may go on.
pub(crate) fn partial(buf: &[u8]) -> Partial {
    if buf.len() <= LINE_MAX_LEN {
        return Partial::Wait;
    }
    if buf.len() > GET_LINE_MAX {
        return Partial::Close;
    }
    let spaces = buf.iter().take_while(|&&b| b == b' ').count();
    let rest = &buf[spaces..];
    if spaces <= 100 && (rest.starts_with(b"get ") || rest.starts_with(b"gets ")) {
        Partial::Wait
    } else {
        Partial::Close
    }
}

/// What memcached does with a whole line before parsing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Screen {
    /// Parse it as usual.
    Parse,
    /// Answer with this line (without `\r\n`), and drop the line.
    Answer(&'static str),
    /// Drop the line without an answer (an error with `noreply`).
    Silent,
    /// Close the connection at once, dropping answers not yet sent (an HTTP request line).
    Close,
}

/// The `(least, most)` arguments memcached wants after a classic command word; another count
/// is answered `ERROR`.
fn arity(word: &[u8]) -> Option<(usize, usize)> {
    Some(match word {
        b"set" | b"add" | b"replace" | b"append" | b"prepend" => (4, 5),
        b"cas" => (5, 6),
        b"incr" | b"decr" | b"touch" => (2, 3),
        b"delete" => (1, 3),
        b"flush_all" => (0, 2),
        _ => return None,
    })
}

/// The commands whose errors a trailing `noreply` silences.
fn takes_noreply(word: &[u8]) -> bool {
    matches!(
        word,
        b"set"
            | b"add"
            | b"replace"
            | b"append"
            | b"prepend"
            | b"cas"
            | b"incr"
            | b"decr"
            | b"delete"
            | b"touch"
            | b"flush_all"
            | b"verbosity"
    )
}

/// Whether a trailing `noreply` silences this line's errors.
fn silenced(line: &[u8]) -> bool {
    let mut toks = tokens(line);
    let word = toks.next().unwrap_or_default();
    takes_noreply(word) && toks.last() == Some(b"noreply")
}

/// memcached's reading of a data length: `strtol` into a C `int` (so 4294967295 is -1), then
/// refused when negative or too large to add the `\r\n` to.
fn bad_length(token: &[u8]) -> bool {
    let Some(n) = std::str::from_utf8(token)
        .ok()
        .and_then(|t| t.parse::<i64>().ok())
    else {
        return true;
    };
    let as_c_int = n as i32;
    !(0..=i32::MAX - 2).contains(&as_c_int)
}

/// Screens a whole line (without its `\r\n`) whose first token is `word`. Runs for every
/// text line: a `get` costs one comparison, a meta command a look at its second token.
pub(crate) fn screen(line: &[u8], word: &[u8]) -> Screen {
    if matches!(word, b"get" | b"gets") {
        // A command word: the line is no HTTP request, and gets take any number of keys.
        return Screen::Parse;
    }
    if memshark_protocol::ascii::is_http_request_line(line) {
        return Screen::Close;
    }
    if matches!(word, b"mg" | b"ms" | b"md" | b"ma") {
        return match tokens(line).nth(1) {
            Some(_) => Screen::Parse,
            None => Screen::Answer("ERROR"),
        };
    }
    let Some((least, most)) = arity(word) else {
        return Screen::Parse;
    };
    let toks = tokens(line).skip(1);
    // Up to eight arguments, without allocating.
    let mut held: [&[u8]; 8] = [&[]; 8];
    let mut count = 0;
    for (slot, token) in held.iter_mut().zip(toks) {
        *slot = token;
        count += 1;
    }
    let args = &held[..count];
    if args.len() < least || args.len() > most {
        return Screen::Answer("ERROR");
    }
    let store = matches!(
        word,
        b"set" | b"add" | b"replace" | b"append" | b"prepend" | b"cas"
    );
    if store && args.get(3).is_some_and(|t| bad_length(t)) {
        return if silenced(line) {
            Screen::Silent
        } else {
            Screen::Answer("CLIENT_ERROR bad command line format")
        };
    }
    Screen::Parse
}

/// memcached's answer to a line the parser refused (`None`: no answer, `noreply` asked for
/// silence).
pub(crate) fn error_reply(kind: ErrorKind, line: &[u8]) -> Option<&'static str> {
    let word = tokens(line).next().unwrap_or_default();
    if kind != ErrorKind::UnknownCommand && silenced(line) {
        return None;
    }
    Some(match (kind, word) {
        (ErrorKind::BadFormat, b"delete") => {
            "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]"
        }
        (ErrorKind::BadFormat, b"flush_all") => "CLIENT_ERROR invalid exptime argument",
        _ => kind.reply(),
    })
}

/// The data block an `ms` line announces, which memcached still reads and drops when it
/// refuses the line for its key (bytes, with the `\r\n`).
pub(crate) fn meta_set_data(line: &[u8]) -> Option<u64> {
    let mut toks = tokens(line);
    if toks.next()? != b"ms" {
        return None;
    }
    let len: u64 = std::str::from_utf8(toks.nth(1)?).ok()?.parse().ok()?;
    Some(len + 2)
}

/// The key of a `set` or `ms` line, whose old item memcached removes when the new value is
/// refused ("a failed store leaves no stale data"). A base64 meta key is left alone.
pub(crate) fn set_key(line: &[u8]) -> Option<&[u8]> {
    let mut toks = tokens(line);
    match toks.next()? {
        b"set" => toks.next(),
        b"ms" => {
            let key = toks.next()?;
            let base64 = toks.skip(1).any(|flag| flag == b"b");
            (!base64).then_some(key)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_read_as_a_c_int() {
        assert!(bad_length(b"4294967295"));
        assert!(bad_length(b"2147483647"));
        assert!(bad_length(b"-1"));
        assert!(!bad_length(b"2147483645"));
        assert!(!bad_length(b"10"));
    }

    #[test]
    fn long_partial_lines() {
        let get = format!("get {}", "k ".repeat(2000));
        assert_eq!(partial(get.as_bytes()), Partial::Wait);
        let other = format!("set {}", "k".repeat(3000));
        assert_eq!(partial(other.as_bytes()), Partial::Close);
        assert_eq!(partial(b"set"), Partial::Wait);
    }
}
