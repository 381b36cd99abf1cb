//! memcached's defence against cross-protocol attacks: a web page can make a browser send an
//! HTTP request to a cache on localhost or the internal network, and every line of it would be
//! read as a memcached command. memcached hangs up, without a word, on a line whose command word
//! it does not know and whose last token starts with `HTTP/` (`GET / HTTP/1.1`,
//! `POST /x HTTP/1.0`). `memshark serve` does the same on every line, and `memshark proxy` on a
//! connection's first line.

use crate::text::{first_token, last_token};

/// Every command word memcached 1.6 knows (classic, meta and operator commands): an HTTP
/// method that is also one of these (`DELETE` is not: words are case-sensitive) is read as
/// that command.
pub const COMMAND_WORDS: &[&[u8]] = &[
    b"get",
    b"gets",
    b"gat",
    b"gats",
    b"set",
    b"add",
    b"replace",
    b"append",
    b"prepend",
    b"cas",
    b"delete",
    b"incr",
    b"decr",
    b"touch",
    b"stats",
    b"flush_all",
    b"version",
    b"verbosity",
    b"quit",
    b"mg",
    b"ms",
    b"md",
    b"ma",
    b"mn",
    b"me",
    b"shutdown",
    b"slabs",
    b"cache_memlimit",
    b"lru_crawler",
    b"lru",
    b"watch",
    b"misbehave",
    b"debugtime",
];

/// Whether `line` (without its `\r\n`) is an HTTP request line as memcached judges it: its
/// command word is not one of [`COMMAND_WORDS`] and its last token starts with `HTTP/`.
///
/// ```
/// use memshark_protocol::ascii::is_http_request_line;
///
/// assert!(is_http_request_line(b"GET / HTTP/1.1"));
/// assert!(is_http_request_line(b"DELETE HTTP/1.1"));
/// assert!(!is_http_request_line(b"get a HTTP/1.0")); // a get of two keys
/// ```
pub fn is_http_request_line(line: &[u8]) -> bool {
    // The server asks this of every line: the cheap test first.
    if !last_token(line).starts_with(b"HTTP/") {
        return false;
    }
    let word = first_token(line);
    !COMMAND_WORDS.contains(&word)
}

#[cfg(test)]
mod tests {
    #[test]
    fn http_lines_are_spotted() {
        for line in [
            &b"GET / HTTP/1.0"[..],
            b"PUT /x HTTP/1.1",
            b"DELETE HTTP/1.1",
            b"HTTP/1.0",
            b" GET / HTTP/1.0",
        ] {
            assert!(super::is_http_request_line(line), "{line:?}");
        }
        for line in [
            &b"get a HTTP/1.0"[..],
            b"GET /",
            b"x HTTP/1.0 ",
            b"version HTTP/1.0",
        ] {
            assert!(!super::is_http_request_line(line), "{line:?}");
        }
    }
}
