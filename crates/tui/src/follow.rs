//! "Follow TCP stream": one connection's conversation as lines, requests and answers in order.
//! Classic text is shown as the text it is; binary and meta messages take one decoded line
//! each, the value previewed; gaps and malformed bytes are marked. Lines are made only for the
//! transactions on screen.

use memshark_traffic::dissect::{Problem, Proto};

use crate::timeline::fields::describe;
use crate::timeline::store::{Store, NONE};

/// Text lines shown of one classic-text message before the rest is summed up.
const MAX_TEXT_LINES: usize = 8;
/// Characters shown of one line.
const MAX_LINE: usize = 400;

/// Who sent a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The client (a request).
    Client,
    /// The server (an answer).
    Server,
    /// No one: missing bytes, a malformed message.
    Gap,
}

/// One line of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowLine {
    /// Who sent it.
    pub side: Side,
    /// What it says.
    pub text: String,
}

/// Text with control bytes as `.`, cut at [`MAX_LINE`] characters.
fn visible(b: &[u8]) -> String {
    let mut s: String = b
        .iter()
        .take(MAX_LINE)
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                '.'
            }
        })
        .collect();
    if b.len() > MAX_LINE {
        s.push('…');
    }
    s
}

/// A classic-text message as its lines (the `\r\n` left out).
fn text_lines(raw: &[u8], side: Side, out: &mut Vec<FollowLine>) {
    let body = raw.strip_suffix(b"\r\n").unwrap_or(raw);
    let lines: Vec<&[u8]> = body.split(|&c| c == b'\n').collect();
    for l in lines.iter().take(MAX_TEXT_LINES) {
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        out.push(FollowLine {
            side,
            text: visible(l),
        });
    }
    if lines.len() > MAX_TEXT_LINES {
        out.push(FollowLine {
            side,
            text: format!("… {} more lines", lines.len() - MAX_TEXT_LINES),
        });
    }
}

/// A binary or meta message as one line: its fields `name=value`, the value previewed.
fn decoded_line(raw: &[u8], proto: Proto) -> String {
    let nodes = describe(raw, proto, 0);
    let get = |n: &str| nodes.iter().find(|f| f.name == n).map(|f| f.value.as_str());
    match proto {
        Proto::Binary => {
            let mut parts: Vec<String> = Vec::new();
            if let Some(op) = get("opcode") {
                parts.push(op.split(' ').next().unwrap_or(op).to_string());
            }
            if let Some(s) = get("status") {
                parts.push(s.split(' ').next().unwrap_or(s).to_string());
            }
            for name in [
                "key",
                "opaque",
                "cas",
                "flags",
                "exptime",
                "delta",
                "initial",
                "value",
                "missing",
                "truncated header",
            ] {
                let Some(value) = get(name) else { continue };
                parts.push(match name {
                    "cas" if value == "0" => continue,
                    "exptime" => format!("exptime={}", value.split(' ').next().unwrap_or(value)),
                    "value" => format!("value {value}"),
                    "missing" | "truncated header" => format!("{name}: {value}"),
                    _ => format!("{name}={value}"),
                });
            }
            parts.join(" ")
        }
        Proto::Ascii | Proto::Meta => {
            let line = get("command line").unwrap_or("");
            match get("data block") {
                Some(v) => format!("{line} ⏎ value {v}"),
                None => line.to_string(),
            }
        }
    }
}

/// The lines of one message (record `mi`) sent by `side`.
fn message(store: &Store, mi: u32, proto: Proto, side: Side, out: &mut Vec<FollowLine>) {
    let raw = store.bytes(mi);
    match store.error(mi) {
        Some(Problem::Gap { bytes }) => {
            out.push(FollowLine {
                side: Side::Gap,
                text: format!("[{bytes} bytes missing from the capture]"),
            });
            return;
        }
        Some(p) if p.is_undecoded() => {
            out.push(FollowLine {
                side: Side::Gap,
                text: format!("[{p}: {} bytes] {}", raw.len(), visible(raw)),
            });
            return;
        }
        Some(p) => out.push(FollowLine {
            side: Side::Gap,
            text: format!("[{p}]"),
        }),
        None => {}
    }
    match proto {
        Proto::Ascii => text_lines(raw, side, out),
        Proto::Binary | Proto::Meta => out.push(FollowLine {
            side,
            text: decoded_line(raw, proto),
        }),
    }
}

/// The conversation lines of the transaction at store row `row`: its request, then its
/// answers.
pub fn txn_lines(store: &Store, row: u32) -> Vec<FollowLine> {
    let mut out = Vec::new();
    let Some(t) = store.txn(row) else {
        return out;
    };
    let proto = t.proto();
    if t.req != NONE {
        message(store, t.req, proto, Side::Client, &mut out);
    }
    for (mi, _) in store.responses(t) {
        message(store, mi, proto, Side::Server, &mut out);
    }
    out
}

/// The store rows of flow `flow` (an index into [`Store::flows`]), in arrival order.
pub fn flow_rows(store: &Store, flow: u32) -> Vec<u32> {
    store
        .txns()
        .iter()
        .enumerate()
        .filter(|(_, t)| t.flow == flow)
        .map(|(i, _)| i as u32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_meta_take_one_line_and_text_its_own_lines() {
        let req =
            memshark_protocol::binary::Request::set(b"user:1", b"hello", 7, 300).with_opaque(9);
        let raw = req.as_contiguous().unwrap().to_vec();
        assert_eq!(
            decoded_line(&raw, Proto::Binary),
            "set key=user:1 opaque=0x00000009 flags=7 exptime=300 value 5 bytes: \"hello\""
        );
        assert_eq!(
            decoded_line(b"ms k 2 T30\r\nhi\r\n", Proto::Meta),
            "ms k 2 T30 ⏎ value 2 bytes: \"hi\""
        );
        let mut out = Vec::new();
        text_lines(b"VALUE k 0 2\r\nhi\r\nEND\r\n", Side::Server, &mut out);
        let texts: Vec<_> = out.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["VALUE k 0 2", "hi", "END"]);
        let many: Vec<u8> = b"x\r\n".repeat(20);
        let mut out = Vec::new();
        text_lines(&many, Side::Client, &mut out);
        assert_eq!(out.len(), MAX_TEXT_LINES + 1);
        assert_eq!(out[MAX_TEXT_LINES].text, "… 12 more lines");
        assert_eq!(visible(b"a\x00b"), "a.b");
    }
}
