//! What a primary answer and its shadow's are compared on: the status (the answer word, or the
//! binary status), the value and the client flags; never CAS, opaque, or anything else a
//! server picks for itself. (`memshark replay`'s comparison works on dissected messages; here
//! the answers are raw bytes of one request, so the same rule is applied to the bytes.)

use bytes::Bytes;
use memshark_protocol::binary::{Packet, HEADER_LEN};

use super::answer::{Answer, Failure};

/// The comparable content of one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowOutcome {
    /// The answer word (`STORED`, `VALUE`, `END`, `HD`, `VA`, `NUMBER` for an incr/decr
    /// answer…), the binary status name, `(none)` for a quiet request settled without an
    /// answer, or `failed: …` when the server did not answer.
    pub status: String,
    /// The value carried (`VALUE`/`VA` data, a counter, a binary success's value).
    pub value: Option<Bytes>,
    /// Client flags (text: the `VALUE` line's flags; meta: the returned flags except `c`
    /// (CAS); binary: the extras).
    pub flags: Option<String>,
}

impl ShadowOutcome {
    /// What `answer` says; `binary` when it is in the binary protocol.
    pub(crate) fn of(answer: &Answer, binary: bool) -> ShadowOutcome {
        match answer {
            Answer::Failed(f) => ShadowOutcome {
                status: format!("failed: {}", failure(*f)),
                value: None,
                flags: None,
            },
            Answer::Bytes(b) if b.is_empty() => ShadowOutcome {
                status: "(none)".into(),
                value: None,
                flags: None,
            },
            Answer::Bytes(b) if binary => of_binary(b),
            Answer::Bytes(b) => of_text(b),
        }
    }
}

fn failure(f: Failure) -> &'static str {
    match f {
        Failure::Timeout => "timeout",
        Failure::Connection => "connection",
        Failure::NoServer => "no server",
    }
}

fn of_binary(b: &Bytes) -> ShadowOutcome {
    if b.len() < HEADER_LEN {
        return ShadowOutcome {
            status: "malformed".into(),
            value: None,
            flags: None,
        };
    }
    let p = Packet::new_unchecked(&b[..]);
    let ext = p.extras_len();
    let start = (HEADER_LEN + ext + p.key_len()).min(b.len());
    let end = (HEADER_LEN + p.total_body_len() as usize).clamp(start, b.len());
    let extras = &b[HEADER_LEN.min(b.len())..(HEADER_LEN + ext).min(b.len())];
    ShadowOutcome {
        status: p.status().name().to_string(),
        value: (end > start).then(|| b.slice(start..end)),
        flags: (!extras.is_empty()).then(|| hex(extras)),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn of_text(b: &Bytes) -> ShadowOutcome {
    let eol = memchr::memchr(b'\n', b).unwrap_or(b.len());
    let line = &b[..eol];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let words: Vec<&[u8]> = line
        .split(|&c| c == b' ')
        .filter(|w| !w.is_empty())
        .collect();
    let first = words.first().copied().unwrap_or_default();
    let data = || {
        let rest = b.slice((eol + 1).min(b.len())..);
        // The data block, without its CRLF and whatever follows it (`END`).
        let n = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or(rest.len());
        rest.slice(..n)
    };
    let text = |w: &[&[u8]]| {
        w.iter()
            .map(|x| String::from_utf8_lossy(x).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    };
    match first {
        // VALUE key flags bytes [cas]
        b"VALUE" => ShadowOutcome {
            status: "VALUE".into(),
            value: Some(data()),
            flags: words.get(2).map(|f| text(&[f])),
        },
        // VA size flags…; the other meta answers carry flags only.
        b"VA" | b"HD" | b"EN" | b"NF" | b"NS" | b"EX" | b"MN" => {
            let skip = usize::from(first == b"VA") + 1;
            let kept: Vec<&[u8]> = words
                .iter()
                .skip(skip)
                .filter(|w| !w.starts_with(b"c"))
                .copied()
                .collect();
            ShadowOutcome {
                status: String::from_utf8_lossy(first).into_owned(),
                value: (first == b"VA").then(data),
                flags: (!kept.is_empty()).then(|| text(&kept)),
            }
        }
        _ if first.first().is_some_and(u8::is_ascii_digit) => ShadowOutcome {
            status: "NUMBER".into(),
            value: Some(b.slice(..first.len())),
            flags: None,
        },
        _ => ShadowOutcome {
            // The whole line: `SERVER_ERROR out of memory` differs from `SERVER_ERROR busy`.
            status: text(&words),
            value: None,
            flags: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use memshark_protocol::binary::{Opcode, Response, Status};

    fn text(s: &'static [u8]) -> ShadowOutcome {
        ShadowOutcome::of(&Answer::Bytes(Bytes::from_static(s)), false)
    }

    #[test]
    fn text_answers_compare_on_word_value_and_flags_not_cas() {
        assert_eq!(
            text(b"VALUE k 5 3 99\r\nabc\r\nEND\r\n"),
            text(b"VALUE k 5 3 12345\r\nabc\r\nEND\r\n")
        );
        assert_ne!(
            text(b"VALUE k 5 3\r\nabc\r\nEND\r\n"),
            text(b"VALUE k 6 3\r\nabc\r\nEND\r\n")
        );
        assert_ne!(
            text(b"VALUE k 5 3\r\nabc\r\nEND\r\n"),
            text(b"VALUE k 5 3\r\nabd\r\nEND\r\n")
        );
        assert_ne!(text(b"VALUE k 5 3\r\nabc\r\nEND\r\n"), text(b"END\r\n"));
        assert_eq!(text(b"STORED\r\n"), text(b"STORED\r\n"));
        assert_ne!(text(b"STORED\r\n"), text(b"NOT_STORED\r\n"));
        assert_eq!(text(b"12\r\n").status, "NUMBER");
        assert_ne!(text(b"12\r\n"), text(b"13\r\n"));
    }

    #[test]
    fn meta_answers_ignore_the_cas_flag() {
        assert_eq!(
            text(b"VA 2 f1 c77\r\nhi\r\n"),
            text(b"VA 2 f1 c78\r\nhi\r\n")
        );
        assert_ne!(text(b"VA 2 f1\r\nhi\r\n"), text(b"VA 2 f2\r\nhi\r\n"));
        assert_ne!(text(b"HD\r\n"), text(b"EN\r\n"));
    }

    #[test]
    fn binary_answers_compare_on_status_extras_and_value_not_cas_or_opaque() {
        let get = |value: &[u8], opaque: u32, cas: u64| {
            let mut o = bytes::BytesMut::new();
            Response::new(Opcode::Get, Status::NoError, &[0, 0, 0, 7], b"", value)
                .with_opaque(opaque)
                .with_cas(cas)
                .write_to(&mut o);
            ShadowOutcome::of(&Answer::Bytes(o.freeze()), true)
        };
        assert_eq!(get(b"v", 1, 10), get(b"v", 2, 20));
        assert_ne!(get(b"v", 1, 10), get(b"w", 1, 10));
        let mut o = bytes::BytesMut::new();
        Response::error(Opcode::Get, Status::KeyNotFound).write_to(&mut o);
        assert_ne!(
            get(b"v", 1, 1),
            ShadowOutcome::of(&Answer::Bytes(o.freeze()), true)
        );
        assert_eq!(
            ShadowOutcome::of(&Answer::Bytes(Bytes::from_static(b"short")), true).status,
            "malformed"
        );
    }
}
