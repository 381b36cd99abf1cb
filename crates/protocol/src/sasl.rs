//! Authentication as memcached 1.6 defines it, on both sides of a connection:
//!
//! * **SASL PLAIN** over the binary protocol (memcached `-S`): SASL_AUTH with mechanism `PLAIN`
//!   and data `[authzid] \0 user \0 password` ([`SaslCredentials::plain_data`],
//!   [`SaslCredentials::check_plain`]).
//! * **ASCII authentication** over the text protocol (memcached `-Y authfile`): the first command
//!   is `set <anykey> <flags> <exptime> <n>\r\n<user> <password>\r\n`, answered `STORED`
//!   ([`SaslCredentials::ascii_request`], [`parse_ascii_auth`], [`AsciiAuth`]).
//!
//! Sans-IO like the rest of the crate: byte slices in, decisions out.

use std::fmt;

/// The one SASL mechanism memshark offers and uses.
pub const PLAIN: &str = "PLAIN";

/// The longest line memcached waits for before an ASCII authentication command: a connection
/// that sends more without a newline is closed (`try_read_command_asciiauth`).
pub const ASCII_AUTH_MAX_LINE: usize = 2048;

/// The largest `user password` payload accepted in an ASCII authentication `set` (memcached's
/// authfile entries are at most 256 bytes; this leaves room and bounds what is buffered).
pub const ASCII_AUTH_MAX_PAYLOAD: usize = 4096;

/// A user name and password, for SASL PLAIN (binary) and memcached's ASCII authentication
/// (text). Its `Debug` form never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SaslCredentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for SaslCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslCredentials")
            .field("user", &self.user)
            .field("password", &"<hidden>")
            .finish()
    }
}

impl SaslCredentials {
    /// Credentials from a user name and password.
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> SaslCredentials {
        SaslCredentials {
            user: user.into(),
            password: password.into(),
        }
    }

    /// Checks a PLAIN message: `[authzid] \0 authcid \0 password`.
    pub fn check_plain(&self, data: &[u8]) -> bool {
        let mut parts = data.splitn(3, |&b| b == 0);
        let (_authz, user, pass) = (parts.next(), parts.next(), parts.next());
        user == Some(self.user.as_bytes()) && pass == Some(self.password.as_bytes())
    }

    /// The PLAIN message for these credentials: `\0user\0password`.
    pub fn plain_data(&self) -> Vec<u8> {
        let mut data = Vec::with_capacity(2 + self.user.len() + self.password.len());
        data.push(0);
        data.extend_from_slice(self.user.as_bytes());
        data.push(0);
        data.extend_from_slice(self.password.as_bytes());
        data
    }

    /// Checks the payload of an ASCII authentication `set` as memcached's authfile does: split
    /// on spaces, at least two tokens, the first two are the user and the password.
    pub fn check_ascii(&self, payload: &[u8]) -> AsciiVerdict {
        let mut tokens = payload.split(|&b| b == b' ').filter(|t| !t.is_empty());
        match (tokens.next(), tokens.next()) {
            (Some(user), Some(pass)) => {
                if user == self.user.as_bytes() && pass == self.password.as_bytes() {
                    AsciiVerdict::Authenticated
                } else {
                    AsciiVerdict::Refused
                }
            }
            _ => AsciiVerdict::BadFormat,
        }
    }

    /// The ASCII authentication command memcached `-Y` expects as a connection's first:
    /// `set <key> 0 0 <n>\r\nuser password\r\n` (the key is ignored by the server).
    pub fn ascii_request(&self) -> Vec<u8> {
        let payload = format!("{} {}", self.user, self.password);
        let mut req = format!("set memshark_auth 0 0 {}\r\n", payload.len()).into_bytes();
        req.extend_from_slice(payload.as_bytes());
        req.extend_from_slice(b"\r\n");
        req
    }

    /// Whether the credentials can be sent in an ASCII authentication command: memcached splits
    /// the payload on spaces, so neither part may hold a space, a CR or a LF, nor be empty.
    pub fn ascii_safe(&self) -> bool {
        let ok = |s: &str| !s.is_empty() && !s.bytes().any(|b| matches!(b, b' ' | b'\r' | b'\n'));
        ok(&self.user) && ok(&self.password)
    }
}

/// What memcached decides about an ASCII authentication payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsciiVerdict {
    /// Good credentials: answered `STORED`.
    Authenticated,
    /// Wrong credentials: `CLIENT_ERROR authentication failure`.
    Refused,
    /// Fewer than two tokens: `CLIENT_ERROR bad authentication token format`.
    BadFormat,
}

impl AsciiVerdict {
    /// The answer line memcached writes (with its `\r\n`).
    pub fn answer(self) -> &'static [u8] {
        match self {
            AsciiVerdict::Authenticated => b"STORED\r\n",
            AsciiVerdict::Refused => b"CLIENT_ERROR authentication failure\r\n",
            AsciiVerdict::BadFormat => b"CLIENT_ERROR bad authentication token format\r\n",
        }
    }
}

/// The answer memcached `-Y` gives every command before authentication.
pub const ASCII_UNAUTHENTICATED: &[u8] = b"CLIENT_ERROR unauthenticated\r\n";

/// The answer when an authentication payload does not end with `\r\n`.
pub const ASCII_BAD_TERMINATION: &[u8] = b"CLIENT_ERROR bad command line termination\r\n";

/// What the front of an unauthenticated text connection's buffer holds, read as memcached
/// `-Y` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsciiAuth {
    /// Not a whole command yet.
    Incomplete,
    /// More than [`ASCII_AUTH_MAX_LINE`] bytes without a newline: memcached closes the
    /// connection.
    LineTooLong,
    /// A line that is not an authentication `set` (`len` bytes, its newline included):
    /// answered [`ASCII_UNAUTHENTICATED`], and only the line is consumed.
    NotAuth {
        /// Bytes of the line.
        len: usize,
    },
    /// An authentication `set` whose payload is over [`ASCII_AUTH_MAX_PAYLOAD`]: `line` bytes
    /// of command line, then `data` bytes (payload and terminator) to skip.
    TooLarge {
        /// Bytes of the command line.
        line: usize,
        /// Bytes of the data block (the declared size plus 2).
        data: usize,
    },
    /// An authentication `set` and its data block, `len` bytes in all.
    Auth {
        /// Bytes of the whole command.
        len: usize,
        /// Where the payload (`user password`) is, without its terminator.
        payload: std::ops::Range<usize>,
        /// Whether the data block ends with `\r\n` (else:
        /// [`ASCII_BAD_TERMINATION`]).
        terminated: bool,
    },
}

/// Reads the front of `buf` as memcached reads an unauthenticated text connection: the line
/// must be `set` with at least four more tokens, the fourth a byte count `n`; then `n + 2` bytes
/// of data follow. Any other line is refused on its own.
pub fn parse_ascii_auth(buf: &[u8]) -> AsciiAuth {
    let Some(nl) = memchr::memchr(b'\n', buf) else {
        return if buf.len() > ASCII_AUTH_MAX_LINE {
            AsciiAuth::LineTooLong
        } else {
            AsciiAuth::Incomplete
        };
    };
    let line_len = nl + 1;
    // memcached tokenizes on spaces only; a `\r` stays at the end of the last token, where its
    // number parser stops.
    let line = &buf[..nl];
    let mut tokens = line.split(|&b| b == b' ').filter(|t| !t.is_empty());
    let (cmd, size) = (tokens.next(), tokens.nth(3));
    let size = size.and_then(|t| {
        let t = t.strip_suffix(b"\r").unwrap_or(t);
        if t.is_empty() || !t.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(t).ok()?.parse::<u32>().ok()
    });
    let (Some(b"set"), Some(size)) = (cmd, size) else {
        return AsciiAuth::NotAuth { len: line_len };
    };
    let data = size as usize + 2;
    if size as usize > ASCII_AUTH_MAX_PAYLOAD {
        return AsciiAuth::TooLarge {
            line: line_len,
            data,
        };
    }
    let len = line_len + data;
    if buf.len() < len {
        return AsciiAuth::Incomplete;
    }
    AsciiAuth::Auth {
        len,
        payload: line_len..line_len + size as usize,
        terminated: &buf[len - 2..len] == b"\r\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> SaslCredentials {
        SaslCredentials::new("alice", "secret")
    }

    #[test]
    fn plain_round_trip_and_authzid() {
        let c = alice();
        assert_eq!(c.plain_data(), b"\0alice\0secret");
        assert!(c.check_plain(&c.plain_data()));
        assert!(c.check_plain(b"alice\0alice\0secret"));
        assert!(!c.check_plain(b"\0alice\0wrong"));
        assert!(!c.check_plain(b"\0alice"));
        assert!(!c.check_plain(b""));
    }

    #[test]
    fn debug_hides_the_password() {
        let d = format!("{:?}", alice());
        assert!(d.contains("alice") && !d.contains("secret"), "{d}");
    }

    #[test]
    fn ascii_request_parses_as_an_auth_command() {
        let c = alice();
        let req = c.ascii_request();
        assert_eq!(req, b"set memshark_auth 0 0 12\r\nalice secret\r\n");
        let AsciiAuth::Auth {
            len,
            payload,
            terminated,
        } = parse_ascii_auth(&req)
        else {
            panic!("an auth command")
        };
        assert_eq!(len, req.len());
        assert!(terminated);
        assert_eq!(
            c.check_ascii(&req[payload.clone()]),
            AsciiVerdict::Authenticated
        );
        assert_eq!(
            parse_ascii_auth(&req[..req.len() - 1]),
            AsciiAuth::Incomplete
        );
    }

    #[test]
    fn ascii_tokens_as_memcached_reads_them() {
        let c = alice();
        assert_eq!(c.check_ascii(b"alice secret"), AsciiVerdict::Authenticated);
        assert_eq!(
            c.check_ascii(b"alice  secret "),
            AsciiVerdict::Authenticated
        );
        assert_eq!(
            c.check_ascii(b"alice secret x"),
            AsciiVerdict::Authenticated
        );
        assert_eq!(c.check_ascii(b"alice wrong"), AsciiVerdict::Refused);
        assert_eq!(c.check_ascii(b"alice"), AsciiVerdict::BadFormat);
        assert_eq!(c.check_ascii(b""), AsciiVerdict::BadFormat);
    }

    #[test]
    fn other_lines_are_refused_alone() {
        assert_eq!(
            parse_ascii_auth(b"get foo\r\nmore"),
            AsciiAuth::NotAuth { len: 9 }
        );
        assert_eq!(
            parse_ascii_auth(b"add x 0 0 5\r\nhello\r\n"),
            AsciiAuth::NotAuth { len: 13 }
        );
        assert_eq!(
            parse_ascii_auth(b"set x 0 0\r\n"),
            AsciiAuth::NotAuth { len: 11 }
        );
        assert_eq!(
            parse_ascii_auth(b"set x 0 0 -1\r\n"),
            AsciiAuth::NotAuth { len: 14 }
        );
        assert_eq!(parse_ascii_auth(b"get"), AsciiAuth::Incomplete);
        assert_eq!(
            parse_ascii_auth(&[b'a'; ASCII_AUTH_MAX_LINE + 1]),
            AsciiAuth::LineTooLong
        );
        assert_eq!(
            parse_ascii_auth(b"set x 0 0 999999\r\n"),
            AsciiAuth::TooLarge {
                line: 18,
                data: 1_000_001
            }
        );
        let AsciiAuth::Auth { terminated, .. } = parse_ascii_auth(b"set x 0 0 5\r\nalice secret")
        else {
            panic!("an auth command")
        };
        assert!(!terminated);
    }

    #[test]
    fn ascii_safe_credentials() {
        assert!(alice().ascii_safe());
        assert!(!SaslCredentials::new("al ice", "x").ascii_safe());
        assert!(!SaslCredentials::new("alice", "").ascii_safe());
        assert!(!SaslCredentials::new("alice", "a\r\nb").ascii_safe());
    }
}
