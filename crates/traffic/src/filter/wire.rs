//! Filter fields read straight from a message's bytes, for subjects that keep only the bytes
//! (the timeline's transactions) and for the fields a [`Message`](crate::dissect::Message)
//! has no slot for (`vbucket`, `mflag`).
//!
//! ```
//! use memshark_traffic::dissect::Proto;
//! use memshark_traffic::filter::{wire, Field, Value};
//!
//! let mut seen = Vec::new();
//! wire::values(b"ms k 2 T30 F5 q\r\nhi\r\n", Proto::Meta, Field::Exptime, &mut |v| {
//!     if let Value::Num(n) = v {
//!         seen.push(n);
//!     }
//!     false
//! });
//! assert_eq!(seen, [30]);
//! ```

use memshark_protocol::binary::{Extras, Packet, HEADER_LEN};
use memshark_protocol::op::Op;
use memshark_protocol::text::{token_spans, Arg};

use super::{Field, Value};
use crate::dissect::Proto;

/// Calls `visit` with each value of `field` found in one message's bytes `raw` (of protocol
/// `proto`), as [`Subject::any`](super::Subject::any) does; true as soon as `visit` is. Only
/// the wire fields are read here (`opaque`, `cas`, `flags`, `exptime`, `vbucket`, `mflag`,
/// `delta`, `initial`);
/// any other field has no value. Bytes that are no message have none either; nothing panics.
pub fn values(
    raw: &[u8],
    proto: Proto,
    field: Field,
    visit: &mut dyn FnMut(Value<'_>) -> bool,
) -> bool {
    match proto {
        Proto::Binary => binary(raw, field, visit),
        Proto::Ascii | Proto::Meta => text(raw, field, visit),
    }
}

fn binary(raw: &[u8], field: Field, visit: &mut dyn FnMut(Value<'_>) -> bool) -> bool {
    if raw.len() < HEADER_LEN {
        return false;
    }
    let p = Packet::new_unchecked(raw);
    let magic = p.magic();
    match field {
        Field::Opaque => visit(Value::Num(u64::from(p.opaque()))),
        Field::Cas => visit(Value::Num(p.cas())),
        Field::Vbucket => magic.is_request() && visit(Value::Num(u64::from(p.vbucket()))),
        Field::Flags | Field::Exptime | Field::Delta | Field::Initial => {
            // The extras as far as the bytes go (a cut-off message has fewer).
            let fx = if matches!(
                magic,
                memshark_protocol::binary::Magic::FlexRequest
                    | memshark_protocol::binary::Magic::FlexResponse
            ) {
                usize::from(raw[2])
            } else {
                0
            };
            let body_end = (HEADER_LEN + p.total_body_len() as usize).min(raw.len());
            let ex_start = (HEADER_LEN + fx).min(body_end);
            let ex_end = (ex_start + p.extras_len()).min(body_end);
            let value_start = (ex_end + p.key_len()).min(body_end);
            let extras = Extras::decode(
                magic,
                p.opcode(),
                &raw[ex_start..ex_end],
                &raw[value_start..body_end],
            );
            let (flags, exptime, counter) = match extras {
                Extras::Store(s) => (Some(s.flags), Some(s.exptime), None),
                Extras::Flags(f) => (Some(f), None, None),
                Extras::Expiry(e) => (None, Some(e), None),
                Extras::Counter(c) => (None, Some(c.exptime), Some((c.delta, c.initial))),
                _ => (None, None, None),
            };
            let v = match field {
                Field::Flags => flags.map(u64::from),
                Field::Exptime => exptime.map(u64::from),
                Field::Delta => counter.map(|c| c.0),
                _ => counter.map(|c| c.1),
            };
            v.is_some_and(|v| visit(Value::Num(v)))
        }
        _ => false,
    }
}

/// A whole number written in decimal.
fn num(b: &[u8]) -> Option<u64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

fn text(raw: &[u8], field: Field, visit: &mut dyn FnMut(Value<'_>) -> bool) -> bool {
    let end = memchr::memchr(b'\n', raw).unwrap_or(raw.len());
    let line = raw[..end].strip_suffix(b"\r").unwrap_or(&raw[..end]);
    let mut toks = token_spans(line);
    let Some(first) = toks.next() else {
        return false;
    };
    let Some(op) = Op::from_text_word(&line[first]) else {
        return false;
    };
    let grammar = op.grammar();
    for (i, r) in toks.enumerate() {
        let tok = &line[r];
        let hit = match (grammar.arg(i), field) {
            (Arg::ClientFlags, Field::Flags)
            | (Arg::Exptime, Field::Exptime)
            | (Arg::Delta, Field::Delta)
            | (Arg::CasUnique, Field::Cas) => num(tok).is_some_and(|n| visit(Value::Num(n))),
            (Arg::MetaFlag, Field::MetaFlag) => visit(Value::Str(tok)),
            (Arg::MetaFlag, _) => {
                let (letter, arg) = tok.split_first().map_or((0, &[][..]), |(l, a)| (*l, a));
                let wanted = match field {
                    Field::Opaque => letter == b'O',
                    Field::Cas => matches!(letter, b'c' | b'C'),
                    Field::Flags => matches!(letter, b'f' | b'F'),
                    Field::Exptime => matches!(letter, b't' | b'T'),
                    Field::Delta => letter == b'D',
                    Field::Initial => letter == b'J',
                    _ => false,
                };
                wanted && num(arg).is_some_and(|n| visit(Value::Num(n)))
            }
            _ => false,
        };
        if hit {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use memshark_protocol::binary::Request;

    fn all(raw: &[u8], proto: Proto, field: Field) -> Vec<String> {
        let mut out = Vec::new();
        values(raw, proto, field, &mut |v| {
            out.push(match v {
                Value::Num(n) => n.to_string(),
                Value::Str(s) => String::from_utf8_lossy(s).into_owned(),
                other => format!("{other:?}"),
            });
            false
        });
        out
    }

    #[test]
    fn binary_headers_and_extras_give_their_numbers() {
        let req = Request::set(b"k", b"v", 7, 300).with_opaque(0xabcd);
        let raw = req.as_contiguous().unwrap().to_vec();
        assert_eq!(all(&raw, Proto::Binary, Field::Opaque), ["43981"]);
        assert_eq!(all(&raw, Proto::Binary, Field::Flags), ["7"]);
        assert_eq!(all(&raw, Proto::Binary, Field::Exptime), ["300"]);
        assert_eq!(all(&raw, Proto::Binary, Field::Vbucket), ["0"]);
        assert_eq!(all(&raw, Proto::Binary, Field::Cas), ["0"]);
        assert!(all(&raw, Proto::Binary, Field::MetaFlag).is_empty());
        // Cut anywhere: no panic, fewer values.
        for n in 0..raw.len() {
            for f in [Field::Flags, Field::Exptime, Field::Opaque] {
                let _ = all(&raw[..n], Proto::Binary, f);
            }
        }
    }

    #[test]
    fn text_and_meta_lines_give_their_arguments() {
        let set = b"set k 5 60 3\r\nabc\r\n";
        assert_eq!(all(set, Proto::Ascii, Field::Flags), ["5"]);
        assert_eq!(all(set, Proto::Ascii, Field::Exptime), ["60"]);
        let value = b"VALUE k 5 3 99\r\nabc\r\nEND\r\n";
        assert_eq!(all(value, Proto::Ascii, Field::Cas), ["99"]);
        let mg = b"mg foo v t c O123 q\r\n";
        assert_eq!(
            all(mg, Proto::Meta, Field::MetaFlag),
            ["v", "t", "c", "O123", "q"]
        );
        assert_eq!(all(mg, Proto::Meta, Field::Opaque), ["123"]);
        let va = b"VA 2 f9 c77 t-1\r\nhi\r\n";
        assert_eq!(all(va, Proto::Meta, Field::Flags), ["9"]);
        assert_eq!(all(va, Proto::Meta, Field::Cas), ["77"]);
        assert!(
            all(va, Proto::Meta, Field::Exptime).is_empty(),
            "t-1: no time"
        );
        assert!(all(b"\xff\xfe garbage", Proto::Ascii, Field::Cas).is_empty());
        assert_eq!(all(b"incr k 5\r\n", Proto::Ascii, Field::Delta), ["5"]);
        assert_eq!(all(b"ma k D7 J3 N0\r\n", Proto::Meta, Field::Delta), ["7"]);
        assert_eq!(
            all(b"ma k D7 J3 N0\r\n", Proto::Meta, Field::Initial),
            ["3"]
        );
        let incr = Request::incr(b"n", 9, 4, 0);
        let raw = incr.as_contiguous().unwrap().to_vec();
        assert_eq!(all(&raw, Proto::Binary, Field::Delta), ["9"]);
        assert_eq!(all(&raw, Proto::Binary, Field::Initial), ["4"]);
    }
}
