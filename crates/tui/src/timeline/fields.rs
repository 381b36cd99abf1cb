//! The details of one message as a tree of named fields, each with the byte range it came
//! from, for the details pane and the highlighted hex dump.

use std::ops::Range;

use memshark_protocol::binary::{Extras, Magic, Opcode, Packet, Status, HEADER_LEN};
use memshark_protocol::limits::RELATIVE_EXPTIME_MAX;
use memshark_protocol::meta::flag_meaning;
use memshark_protocol::op::Op;
use memshark_protocol::text::{token_spans, Arg, Grammar};
use memshark_traffic::dissect::Proto;

/// One line of the details tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldNode {
    /// Nesting depth (0 for a message's top line).
    pub depth: u8,
    /// The field's name.
    pub name: String,
    /// Its value as shown.
    pub value: String,
    /// Where it is in the message's bytes (empty when it has no bytes of its own).
    pub range: Range<usize>,
}

fn node(depth: u8, name: &str, value: impl Into<String>, range: Range<usize>) -> FieldNode {
    FieldNode {
        depth,
        name: name.into(),
        value: value.into(),
        range,
    }
}

/// Shows bytes as text when printable, else as hex.
pub fn printable(b: &[u8]) -> String {
    if b.iter().all(|c| (0x20..0x7f).contains(c)) {
        String::from_utf8_lossy(b).into_owned()
    } else {
        let hex: String = b.iter().take(32).map(|c| format!("{c:02x}")).collect();
        if b.len() > 32 {
            format!("0x{hex}… ({} bytes)", b.len())
        } else {
            format!("0x{hex}")
        }
    }
}

/// A command word as the details pane shows it (invalid UTF-8 replaced).
fn printable_word(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn preview(b: &[u8]) -> String {
    let shown = &b[..b.len().min(48)];
    let text: String = shown
        .iter()
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                '.'
            }
        })
        .collect();
    if b.len() > shown.len() {
        format!("{} bytes: \"{text}…\"", b.len())
    } else {
        format!("{} bytes: \"{text}\"", b.len())
    }
}

/// The fields of one message's bytes, at `depth` and below.
pub fn describe(raw: &[u8], proto: Proto, depth: u8) -> Vec<FieldNode> {
    match proto {
        Proto::Binary => binary(raw, depth),
        Proto::Ascii | Proto::Meta => text(raw, depth),
    }
}

fn binary(raw: &[u8], d: u8) -> Vec<FieldNode> {
    let mut out = Vec::new();
    if raw.len() < HEADER_LEN {
        out.push(node(d, "truncated header", preview(raw), 0..raw.len()));
        return out;
    }
    let p = Packet::new_unchecked(raw);
    let magic = p.magic();
    let magic_name = match magic {
        Magic::Request => "request (0x80)".to_string(),
        Magic::Response => "response (0x81)".to_string(),
        Magic::FlexRequest => "request with framing extras (0x08)".to_string(),
        Magic::FlexResponse => "response with framing extras (0x18)".to_string(),
        Magic::Unknown(b) => format!("unknown (0x{b:02x})"),
    };
    let op = p.opcode();
    out.push(node(d, "header", "24 bytes", 0..HEADER_LEN));
    let h = d + 1;
    out.push(node(h, "magic", magic_name, 0..1));
    out.push(node(
        h,
        "opcode",
        format!("{} (0x{:02x})", op.name(), u8::from(op)),
        1..2,
    ));
    let flex = matches!(magic, Magic::FlexRequest | Magic::FlexResponse);
    if flex {
        out.push(node(h, "framing extras length", raw[2].to_string(), 2..3));
        out.push(node(h, "key length", raw[3].to_string(), 3..4));
    } else {
        out.push(node(h, "key length", p.key_len().to_string(), 2..4));
    }
    out.push(node(h, "extras length", p.extras_len().to_string(), 4..5));
    out.push(node(
        h,
        "data type",
        format!("0x{:02x}", p.data_type()),
        5..6,
    ));
    if magic.is_response() {
        let code = p.vbucket_or_status();
        out.push(node(
            h,
            "status",
            format!("{} (0x{code:04x})", Status::from(code).name()),
            6..8,
        ));
    } else {
        out.push(node(h, "vbucket", p.vbucket_or_status().to_string(), 6..8));
    }
    out.push(node(
        h,
        "total body length",
        p.total_body_len().to_string(),
        8..12,
    ));
    out.push(node(h, "opaque", format!("0x{:08x}", p.opaque()), 12..16));
    out.push(node(h, "cas", p.cas().to_string(), 16..24));
    // The body, as far as the bytes go.
    let fx = if flex { raw[2] as usize } else { 0 };
    let ex = p.extras_len();
    let kl = p.key_len();
    let body_end = (HEADER_LEN + p.total_body_len() as usize).min(raw.len());
    let mut at = HEADER_LEN;
    let clamp = |a: usize, n: usize| a.min(body_end)..(a + n).min(body_end);
    if fx > 0 {
        let r = clamp(at, fx);
        out.push(node(d, "framing extras", printable(&raw[r.clone()]), r));
        at += fx;
    }
    if ex > 0 {
        let r = clamp(at, ex);
        out.push(node(d, "extras", format!("{} bytes", r.len()), r.clone()));
        let e = &raw[r.clone()];
        let value_start = (at + ex + kl).min(body_end);
        let value = &raw[value_start..body_end];
        let s = r.start;
        match Extras::decode(magic, op, e, value) {
            Extras::Store(x) => {
                out.push(node(d + 1, "flags", x.flags.to_string(), s..s + 4));
                out.push(node(d + 1, "exptime", exptime(x.exptime), s + 4..s + 8));
            }
            Extras::Counter(x) => {
                out.push(node(d + 1, "delta", x.delta.to_string(), s..s + 8));
                out.push(node(d + 1, "initial", x.initial.to_string(), s + 8..s + 16));
                let exp = if x.exptime == u32::MAX {
                    "0xffffffff (do not create)".to_string()
                } else {
                    exptime(x.exptime)
                };
                out.push(node(d + 1, "exptime", exp, s + 16..s + 20));
            }
            Extras::Expiry(x) => out.push(node(d + 1, "exptime", exptime(x), s..s + 4)),
            Extras::Verbosity(x) => out.push(node(d + 1, "verbosity", x.to_string(), s..s + 4)),
            Extras::Flags(x) => out.push(node(d + 1, "flags", x.to_string(), s..s + 4)),
            _ => out.push(node(d + 1, "raw", printable(e), r)),
        }
        at += ex;
    }
    if kl > 0 {
        let r = clamp(at, kl);
        out.push(node(d, "key", printable(&raw[r.clone()]), r));
        at += kl;
    }
    if body_end > at {
        let r = at..body_end;
        let v = &raw[r.clone()];
        let shown = if matches!(op.to_loud(), Opcode::Increment | Opcode::Decrement)
            && magic.is_response()
            && v.len() == 8
        {
            format!(
                "counter {}",
                u64::from_be_bytes(v.try_into().unwrap_or([0; 8]))
            )
        } else {
            preview(v)
        };
        out.push(node(d, "value", shown, r));
    }
    if raw.len() < HEADER_LEN + p.total_body_len() as usize {
        out.push(node(
            d,
            "missing",
            format!(
                "{} body bytes never arrived",
                HEADER_LEN + p.total_body_len() as usize - raw.len()
            ),
            raw.len()..raw.len(),
        ));
    }
    out
}

fn exptime(x: u32) -> String {
    match x {
        0 => "0 (never)".into(),
        1..=RELATIVE_EXPTIME_MAX => format!("{x} (seconds from now)"),
        _ => format!("{x} (unix time)"),
    }
}

fn meta_flag(token: &[u8]) -> String {
    let Some((&f, arg)) = token.split_first() else {
        return String::new();
    };
    let arg = String::from_utf8_lossy(arg);
    let what = flag_meaning(f).unwrap_or("flag");
    if arg.is_empty() {
        format!("{} ({what})", f as char)
    } else {
        format!("{} {arg} ({what})", f as char)
    }
}

fn text(raw: &[u8], d: u8) -> Vec<FieldNode> {
    let mut out = Vec::new();
    let eol = memchr::memchr(b'\n', raw).map_or(raw.len(), |i| i + 1);
    let line_end = if eol >= 2 && raw.get(eol - 2) == Some(&b'\r') {
        eol - 2
    } else if eol >= 1 && raw.get(eol - 1) == Some(&b'\n') {
        eol - 1
    } else {
        eol
    };
    let line = &raw[..line_end];
    out.push(node(d, "command line", printable(line), 0..eol));
    let mut toks = token_spans(line);
    if let Some(first) = toks.next() {
        let word = &raw[first.clone()];
        out.push(node(d + 1, "command", printable_word(word), first));
        // The line's grammar, from the protocol crate (unknown words: plain arguments).
        let grammar = Op::from_text_word(word).map_or(Grammar::UNKNOWN, Op::grammar);
        for (i, r) in toks.enumerate() {
            let tok = &raw[r.clone()];
            let arg = grammar.arg(i);
            let value = if arg == Arg::MetaFlag {
                meta_flag(tok)
            } else if arg.is_time() {
                std::str::from_utf8(tok)
                    .ok()
                    .and_then(|s| s.parse::<u32>().ok())
                    .map_or_else(|| printable(tok), exptime)
            } else {
                printable(tok)
            };
            out.push(node(d + 1, arg.name(), value, r));
        }
    }
    if eol < raw.len() {
        let end = raw.len();
        let data_end = if raw.ends_with(b"\r\n") { end - 2 } else { end };
        let r = eol..data_end.max(eol);
        out.push(node(d, "data block", preview(&raw[r.clone()]), r));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use memshark_protocol::binary::Request;

    #[test]
    fn binary_set_has_every_header_field_and_extras() {
        let req = Request::set(b"user:1", b"hello", 7, 300).with_opaque(9);
        let raw = req.as_contiguous().unwrap().to_vec();
        let f = describe(&raw, Proto::Binary, 0);
        let get = |n: &str| f.iter().find(|x| x.name == n).unwrap();
        assert_eq!(get("opcode").value, "set (0x01)");
        assert_eq!(get("opaque").value, "0x00000009");
        assert_eq!(get("flags").value, "7");
        assert_eq!(get("flags").range, 24..28);
        assert_eq!(get("exptime").value, "300 (seconds from now)");
        assert_eq!(get("key").value, "user:1");
        assert_eq!(get("key").range, 32..38);
        assert_eq!(get("value").value, "5 bytes: \"hello\"");
        assert_eq!(get("value").range, 38..43);
    }

    #[test]
    fn binary_cut_short_says_what_is_missing() {
        let req = Request::set(b"k", b"0123456789", 0, 0);
        let raw = req.as_contiguous().unwrap();
        let f = describe(&raw[..30], Proto::Binary, 0);
        assert!(f
            .iter()
            .any(|x| x.name == "missing" && x.value.starts_with("13 body bytes")));
        assert!(describe(&raw[..5], Proto::Binary, 0)[0].name == "truncated header");
    }

    #[test]
    fn text_set_and_meta_get_are_named_token_by_token() {
        let raw = b"set k 5 0 3 noreply\r\nabc\r\n";
        let f = describe(raw, Proto::Ascii, 0);
        let names: Vec<_> = f.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "command line",
                "command",
                "key",
                "flags",
                "exptime",
                "bytes",
                "noreply",
                "data block"
            ]
        );
        assert_eq!(f[7].range, 21..24);
        let f = describe(b"mg foo v k O123 q\r\n", Proto::Meta, 0);
        assert_eq!(f[3].value, "v (return value)");
        assert_eq!(f[5].value, "O 123 (opaque)");
        let f = describe(b"get a b c\r\n", Proto::Ascii, 0);
        assert_eq!(f.iter().filter(|x| x.name == "key").count(), 3);
    }

    #[test]
    fn any_bytes_describe_without_panicking() {
        for n in 0..64u8 {
            let junk: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37).wrapping_add(n)).collect();
            let _ = describe(&junk, Proto::Binary, 0);
            let _ = describe(&junk, Proto::Ascii, 0);
            let mut hdr = vec![0x81u8; 24];
            hdr.extend_from_slice(&junk);
            let _ = describe(&hdr, Proto::Binary, 0);
        }
    }
}
