//! memcached's defence against cross-protocol attacks, in front of the backend: a client whose
//! first line is an HTTP request (`GET / HTTP/1.1`; see
//! [`memshark_protocol::ascii::is_http_request_line`]) is disconnected without a word and
//! without a byte reaching the server, as memcached itself would hang up on it.

use memshark_protocol::ascii::is_http_request_line;
use memshark_protocol::binary::Magic;
use memshark_protocol::limits::LINE_MAX_LEN;

/// What the bytes a client has sent so far say about its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FirstLine {
    /// The first line is not complete yet: hold the bytes and read on.
    Incomplete,
    /// Not HTTP (a memcached command, binary traffic, or a line too long to judge): forward.
    Pass,
    /// An HTTP request line: disconnect.
    Http,
}

/// Judges the first line of a connection from the bytes received so far.
pub(crate) fn first_line(buf: &[u8]) -> FirstLine {
    match buf.first() {
        None => return FirstLine::Incomplete,
        Some(&b) if Magic::from(b).is_known() => return FirstLine::Pass,
        Some(_) => {}
    }
    match memchr::memchr(b'\n', buf) {
        Some(end) => {
            let line = &buf[..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if is_http_request_line(line) {
                FirstLine::Http
            } else {
                FirstLine::Pass
            }
        }
        // memcached gives up on a line this long without its end; the backend will too.
        None if buf.len() > LINE_MAX_LEN => FirstLine::Pass,
        None => FirstLine::Incomplete,
    }
}

#[cfg(test)]
mod tests {
    use super::{first_line, FirstLine};

    #[test]
    fn http_request_lines_are_refused_whole_or_in_pieces() {
        assert_eq!(
            first_line(b"GET / HTTP/1.1\r\nHost: x\r\n"),
            FirstLine::Http
        );
        assert_eq!(first_line(b"POST /x HTTP/1.0\n"), FirstLine::Http);
        assert_eq!(first_line(b"GET / HTT"), FirstLine::Incomplete);
        assert_eq!(first_line(b""), FirstLine::Incomplete);
    }

    #[test]
    fn memcached_traffic_passes() {
        assert_eq!(first_line(b"get a HTTP/1.0\r\n"), FirstLine::Pass);
        assert_eq!(first_line(b"set k 0 0 1\r\nx\r\n"), FirstLine::Pass);
        assert_eq!(first_line(&[0x80, 0x00, 0x00]), FirstLine::Pass);
        assert_eq!(first_line(&[b'a'; 3000]), FirstLine::Pass);
    }
}
