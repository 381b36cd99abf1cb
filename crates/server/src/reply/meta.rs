//! Meta answers: a two-letter code, return flags, and for `VA` the value.

use std::fmt::{Display, Write};

use bytes::{BufMut, BytesMut};
use memshark_protocol::meta::{Flags, ResponseCode};

/// What a meta answer takes from its request.
#[derive(Debug, Clone, Copy)]
pub struct MetaReply<'m> {
    /// The request's flags: which return flags to add, quiet mode, the opaque to echo.
    pub flags: Flags<'m>,
    /// The key as sent (base64 when flagged so), echoed by `k`.
    pub key: &'m [u8],
    /// The unix second the request was read at, for remaining TTLs.
    pub now: u64,
}

impl MetaReply<'_> {
    /// Quiet mode (`q`): the uninteresting answers (`EN`, `HD`, `NF`) are left out.
    pub fn quiet(&self) -> bool {
        self.flags.is_quiet()
    }

    /// Starts an answer line with `code`.
    pub fn line<'o>(&self, code: ResponseCode, out: &'o mut BytesMut) -> MetaLine<'o> {
        out.put_slice(code.word().as_bytes());
        MetaLine { out }
    }

    /// Starts a `VA <len>` line (the value follows with [`MetaLine::value`]).
    pub fn value_line<'o>(&self, len: usize, out: &'o mut BytesMut) -> MetaLine<'o> {
        let line = self.line(ResponseCode::Va, out);
        // Formatting into a `BytesMut` cannot fail.
        let _ = write!(line.out, " {len}");
        line
    }

    /// The `t` return flag: seconds left, or -1 for an item that never expires.
    pub fn ttl(&self, expires_at: u64) -> String {
        if expires_at == 0 {
            "-1".to_string()
        } else {
            expires_at.saturating_sub(self.now).to_string()
        }
    }

    /// A whole line with no return flags but the echoed ones.
    pub fn echo_line(&self, code: ResponseCode, out: &mut BytesMut) {
        self.line(code, out).echo(self).end();
    }
}

/// An answer line being written: return flags go after the code, each after a space.
#[derive(Debug)]
pub struct MetaLine<'o> {
    out: &'o mut BytesMut,
}

impl MetaLine<'_> {
    /// Adds return flag `letter` with a numeric token.
    pub fn number(&mut self, letter: u8, n: impl Display) -> &mut Self {
        self.out.put_u8(b' ');
        self.out.put_u8(letter);
        let _ = write!(self.out, "{n}");
        self
    }

    /// Adds return flag `letter` with a token.
    pub fn token(&mut self, letter: u8, token: &[u8]) -> &mut Self {
        self.out.put_u8(b' ');
        self.out.put_u8(letter);
        self.out.put_slice(token);
        self
    }

    /// Adds the flags that echo the request: `O<opaque>`, `k<key>`, and `b` when the echoed key
    /// is base64, in the order the request gave them.
    pub fn echo(&mut self, reply: &MetaReply<'_>) -> &mut Self {
        self.returns(reply, |_| None)
    }

    /// Adds the return flags in the order the request gave them, as memcached does: `O` and
    /// `k` (with `b` after it for a base64 key) echo the request, every other letter takes
    /// the token `value` gives it (`None`: the flag returns nothing).
    pub fn returns(
        &mut self,
        reply: &MetaReply<'_>,
        mut value: impl FnMut(u8) -> Option<String>,
    ) -> &mut Self {
        let mut seen = [false; 128];
        for (flag, token) in reply.flags.iter() {
            let Some(done) = seen.get_mut(usize::from(flag)) else {
                continue;
            };
            if std::mem::replace(done, true) {
                continue;
            }
            match flag {
                b'O' => {
                    self.token(b'O', token);
                }
                b'k' => {
                    // As memcached's answer is text, a key that is not UTF-8 is echoed lossily.
                    let key = String::from_utf8_lossy(reply.key);
                    self.token(b'k', key.as_bytes());
                    if reply.flags.is_base64() {
                        self.out.put_slice(b" b");
                    }
                }
                other => {
                    if let Some(v) = value(other) {
                        self.token(other, v.as_bytes());
                    }
                }
            }
        }
        self
    }

    /// Ends the line.
    pub fn end(&mut self) {
        self.out.put_slice(b"\r\n");
    }

    /// Ends the line and writes the value block after it.
    pub fn value(&mut self, value: &[u8]) {
        self.end();
        self.out.put_slice(value);
        self.out.put_slice(b"\r\n");
    }
}
