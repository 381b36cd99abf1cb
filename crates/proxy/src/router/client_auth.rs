//! The gate in front of a client that must authenticate to the proxy (the pool's
//! `client_sasl_username`/`client_sasl_password`, or `--sasl-user`), answering as memcached does:
//!
//! * **binary** (memcached `-S`): SASL_LIST_MECHS is answered `PLAIN`; SASL_AUTH with `PLAIN`
//!   and the right `[authzid]\0user\0password` is answered `Authenticated`, a wrong one (or
//!   SASL_STEP, which has no exchange to continue) status 0x20 `Auth failure.` with the
//!   connection kept; VERSION is answered (by the proxy, with its own version: nothing of an
//!   unauthenticated client reaches a server); any other request is answered 0x20 and the
//!   connection is closed, without reading its body.
//! * **text/meta** (memcached `-Y`): `set <key> <flags> <exptime> <n>\r\nuser password\r\n` is
//!   the authentication (`STORED`, or `CLIENT_ERROR authentication failure`); every other line
//!   is answered `CLIENT_ERROR unauthenticated` and only that line is consumed; a connection
//!   that sends 2048 bytes without a newline is closed.
//!
//! Sans-IO: [`binary`] and [`text`] look at the front of the client's buffer and say what to
//! do; the client task does it. Nothing the gate answers reaches a server.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};

use crate::ProxyCounters;
use memshark_protocol::binary::{Magic, Opcode, Packet, Response, Status, HEADER_LEN};
use memshark_protocol::sasl::{
    parse_ascii_auth, AsciiAuth, AsciiVerdict, SaslCredentials, ASCII_BAD_TERMINATION,
    ASCII_UNAUTHENTICATED, PLAIN,
};

/// Largest SASL (or VERSION) request body taken before authentication; a larger one is
/// refused and the connection closed.
const MAX_SASL_BODY: usize = 4096;

/// What to do with the front of an unauthenticated client's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Wait for more bytes.
    More,
    /// Answer it here.
    Answer {
        /// Bytes of the buffer taken.
        consumed: usize,
        /// Bytes still to drop as they come (the rest of a request too large to take).
        skip: usize,
        /// The answer.
        answer: Bytes,
        /// The client is authenticated from now on.
        authenticated: bool,
        /// Close the connection once the answer is written.
        close: bool,
    },
    /// Close the connection (a stream memcached would not frame either).
    Close,
}

fn answer(consumed: usize, answer: Bytes) -> Step {
    Step::Answer {
        consumed,
        skip: 0,
        answer,
        authenticated: false,
        close: false,
    }
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// One attempt counted; and one failure unless it succeeded.
fn count(counters: &ProxyCounters, ok: bool) {
    bump(&counters.auth_cmds);
    if !ok {
        bump(&counters.auth_errors);
    }
}

/// The gate for a binary client; `version` is what VERSION is answered with.
pub(crate) fn binary(
    buf: &[u8],
    credentials: &SaslCredentials,
    counters: &ProxyCounters,
    version: &str,
) -> Step {
    if buf.len() < HEADER_LEN {
        return Step::More;
    }
    let header = Packet::new_unchecked(&buf[..HEADER_LEN]);
    if header.magic() != Magic::Request {
        return Step::Close;
    }
    let (opcode, opaque) = (header.opcode(), header.opaque());
    let reply = |status: Status, value: &[u8]| {
        let mut o = BytesMut::new();
        Response::new(opcode, status, b"", b"", value)
            .with_opaque(opaque)
            .write_to(&mut o);
        o.freeze()
    };
    let error = |status: Status| reply(status, status.message().as_bytes());
    match opcode {
        Opcode::Version | Opcode::SaslListMechs | Opcode::SaslAuth | Opcode::SaslStep => {}
        _ => {
            return Step::Answer {
                consumed: buf.len(),
                skip: 0,
                answer: error(Status::AuthError),
                authenticated: false,
                close: true,
            }
        }
    }
    let body = header.total_body_len() as usize;
    if body > MAX_SASL_BODY {
        return Step::Answer {
            consumed: buf.len(),
            skip: 0,
            answer: error(Status::InvalidArguments),
            authenticated: false,
            close: true,
        };
    }
    let len = HEADER_LEN + body;
    if buf.len() < len {
        return Step::More;
    }
    let p = Packet::new_unchecked(&buf[..len]);
    if p.check_len().is_err() {
        return Step::Answer {
            consumed: buf.len(),
            skip: 0,
            answer: error(Status::InvalidArguments),
            authenticated: false,
            close: true,
        };
    }
    match opcode {
        Opcode::Version => answer(len, reply(Status::NoError, version.as_bytes())),
        Opcode::SaslListMechs => answer(len, reply(Status::NoError, PLAIN.as_bytes())),
        Opcode::SaslAuth if p.key() == PLAIN.as_bytes() && credentials.check_plain(p.value()) => {
            count(counters, true);
            Step::Answer {
                consumed: len,
                skip: 0,
                answer: reply(Status::NoError, b"Authenticated"),
                authenticated: true,
                close: false,
            }
        }
        _ => {
            count(counters, false);
            answer(len, error(Status::AuthError))
        }
    }
}

/// The gate for a text/meta client.
pub(crate) fn text(buf: &[u8], credentials: &SaslCredentials, counters: &ProxyCounters) -> Step {
    match parse_ascii_auth(buf) {
        AsciiAuth::Incomplete => Step::More,
        AsciiAuth::LineTooLong => Step::Close,
        AsciiAuth::NotAuth { len } => answer(len, Bytes::from_static(ASCII_UNAUTHENTICATED)),
        AsciiAuth::TooLarge { line, data } => {
            count(counters, false);
            let consumed = (line + data).min(buf.len());
            Step::Answer {
                consumed,
                skip: line + data - consumed,
                answer: Bytes::from_static(AsciiVerdict::Refused.answer()),
                authenticated: false,
                close: false,
            }
        }
        AsciiAuth::Auth {
            len,
            payload,
            terminated,
        } => {
            if !terminated {
                return answer(len, Bytes::from_static(ASCII_BAD_TERMINATION));
            }
            let verdict = credentials.check_ascii(&buf[payload]);
            if verdict != AsciiVerdict::BadFormat {
                count(counters, verdict == AsciiVerdict::Authenticated);
            }
            Step::Answer {
                consumed: len,
                skip: 0,
                answer: Bytes::from_static(verdict.answer()),
                authenticated: verdict == AsciiVerdict::Authenticated,
                close: false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use memshark_protocol::binary::Request;

    fn alice() -> SaslCredentials {
        SaslCredentials::new("alice", "secret")
    }

    fn bytes(r: Request) -> Vec<u8> {
        let mut o = BytesMut::new();
        r.write_to(&mut o);
        o.to_vec()
    }

    fn parts(step: &Step) -> (usize, Status, &[u8], bool, bool) {
        let Step::Answer {
            consumed,
            answer,
            authenticated,
            close,
            ..
        } = step
        else {
            panic!("an answer: {step:?}")
        };
        let p = Packet::new_unchecked(&answer[..]);
        (
            *consumed,
            p.status(),
            &answer[HEADER_LEN..],
            *authenticated,
            *close,
        )
    }

    #[test]
    fn binary_as_memcached_dash_s() {
        let c = ProxyCounters::default();
        let get = bytes(Request::get(b"k").with_opaque(7));
        let step = binary(&get, &alice(), &c, "9.9");
        let (n, status, body, auth, close) = parts(&step);
        assert_eq!(
            (n, status, body, auth, close),
            (
                get.len(),
                Status::AuthError,
                &b"Auth failure."[..],
                false,
                true
            )
        );
        // Only the header is needed to refuse.
        assert!(matches!(
            binary(&get[..HEADER_LEN], &alice(), &c, "9.9"),
            Step::Answer { close: true, .. }
        ));
        let version = bytes(Request::version());
        let v = binary(&version, &alice(), &c, "9.9");
        let (n, status, body, auth, close) = parts(&v);
        assert_eq!(
            (n, status, body, auth, close),
            (version.len(), Status::NoError, &b"9.9"[..], false, false)
        );
        let list = bytes(Request::sasl_list_mechs());
        let mechs = binary(&list, &alice(), &c, "9.9");
        assert_eq!(parts(&mechs).2, b"PLAIN");
        let wrong = bytes(Request::sasl_plain(b"alice", b"nope"));
        let (n, status, _, auth, close) = parts(&binary(&wrong, &alice(), &c, "9.9"));
        assert_eq!(
            (n, status, auth, close),
            (wrong.len(), Status::AuthError, false, false)
        );
        let step_req = bytes(Request::sasl_step(b"PLAIN", b"\0alice\0secret"));
        assert_eq!(
            parts(&binary(&step_req, &alice(), &c, "9.9")).1,
            Status::AuthError
        );
        let good = bytes(Request::sasl_plain(b"alice", b"secret"));
        assert_eq!(binary(&good[..30], &alice(), &c, "9.9"), Step::More);
        let authenticated = binary(&good, &alice(), &c, "9.9");
        let (n, status, body, auth, close) = parts(&authenticated);
        assert_eq!(
            (n, status, body, auth, close),
            (
                good.len(),
                Status::NoError,
                &b"Authenticated"[..],
                true,
                false
            )
        );
        assert_eq!(c.auth_cmds.load(Ordering::Relaxed), 3);
        assert_eq!(c.auth_errors.load(Ordering::Relaxed), 2);
        assert_eq!(binary(&[0x81; 24], &alice(), &c, "9.9"), Step::Close);
        let mut huge = bytes(Request::sasl_plain(b"alice", b"secret"));
        huge[8..12].copy_from_slice(&1_000_000u32.to_be_bytes());
        assert!(matches!(
            binary(&huge, &alice(), &c, "9.9"),
            Step::Answer { close: true, .. }
        ));
    }

    fn text_answer(step: &Step) -> (usize, &[u8], bool) {
        let Step::Answer {
            consumed,
            answer,
            authenticated,
            ..
        } = step
        else {
            panic!("an answer: {step:?}")
        };
        (*consumed, &answer[..], *authenticated)
    }

    #[test]
    fn text_as_memcached_dash_y() {
        let c = ProxyCounters::default();
        let a = alice();
        assert_eq!(
            text_answer(&text(b"get k\r\nset", &a, &c)),
            (7, ASCII_UNAUTHENTICATED, false)
        );
        assert_eq!(text(b"set k 0 0 12\r\nalice sec", &a, &c), Step::More);
        assert_eq!(
            text_answer(&text(b"set k 0 0 11\r\nalice wrong\r\n", &a, &c)),
            (27, AsciiVerdict::Refused.answer(), false)
        );
        assert_eq!(
            text_answer(&text(b"set k 0 0 5\r\nalice\r\n", &a, &c)),
            (20, AsciiVerdict::BadFormat.answer(), false)
        );
        assert_eq!(
            text_answer(&text(b"set k 0 0 12\r\nalice secret\r\nget k\r\n", &a, &c)),
            (28, &b"STORED\r\n"[..], true)
        );
        assert_eq!(c.auth_cmds.load(Ordering::Relaxed), 2);
        assert_eq!(c.auth_errors.load(Ordering::Relaxed), 1);
        assert_eq!(text(&[b'x'; 3000], &a, &c), Step::Close);
        let Step::Answer { consumed, skip, .. } = text(b"set k 0 0 100000\r\nab", &a, &c) else {
            panic!("refused")
        };
        assert_eq!((consumed, skip), (20, 100_002 - 2));
    }

    proptest::proptest! {
        /// No input panics the gate, and what it takes is within what it was given.
        #[test]
        fn any_bytes_are_taken_safely(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..3000),
            binary_magic in proptest::prelude::any::<bool>(),
        ) {
            let c = ProxyCounters::default();
            let mut buf = bytes;
            if binary_magic && !buf.is_empty() {
                buf[0] = 0x80;
            }
            for step in [
                binary(&buf, &alice(), &c, "v"),
                text(&buf, &alice(), &c),
            ] {
                if let Step::Answer { consumed, .. } = step {
                    proptest::prop_assert!(consumed <= buf.len());
                    proptest::prop_assert!(consumed > 0);
                }
            }
        }
    }
}
