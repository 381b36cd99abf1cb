//! What two answers to the same request are compared on: status (or answer word), key, value
//! and flags, never CAS or opaque; server-specific answers (stats, version) by status alone.

use memshark_protocol::ascii::Reply;
use memshark_protocol::binary::{Packet, Status, HEADER_LEN};
use memshark_protocol::meta::ResponseCode;
use memshark_protocol::op::{self, Op};
use memshark_traffic::dissect::{Message, Proto};

/// The comparable content of one answer message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The binary status name, else the answer's op (text or meta word, `malformed`…).
    pub status: &'static str,
    /// What the answer says, typed (`None` for bytes that are no answer).
    pub answer: Option<op::Outcome>,
    /// The key it names, if any.
    pub key: Option<Vec<u8>>,
    /// The value it carries (binary successes, `VALUE`, `VA`, counter answers).
    pub value: Option<Vec<u8>>,
    /// Client flags.
    pub flags: Option<u32>,
}

/// Whether an op's answers depend on the server itself (statistics, versions): compared by
/// status only.
pub fn server_specific(op: Option<Op>) -> bool {
    op.is_some_and(Op::describes_server)
}

/// The value bytes of an answer message.
fn value_of(m: &Message) -> Option<Vec<u8>> {
    let raw = &m.raw[..];
    match m.proto {
        Proto::Binary => {
            if raw.len() < HEADER_LEN || m.status != Some(Status::NoError) {
                return None;
            }
            let p = Packet::new_unchecked(raw);
            let start = (HEADER_LEN + p.extras_len() + p.key_len()).min(raw.len());
            let end = (HEADER_LEN + p.total_body_len() as usize).min(raw.len());
            // No value and an empty one are the same answer.
            let v = &raw[start..end.max(start)];
            (!v.is_empty()).then(|| v.to_vec())
        }
        Proto::Ascii | Proto::Meta => {
            let eol = memchr::memchr(b'\n', raw)?;
            let line = &raw[..eol];
            match m.outcome() {
                Some(op::Outcome::Ascii(Reply::Value) | op::Outcome::Meta(ResponseCode::Va)) => {
                    let data = &raw[eol + 1..];
                    Some(data.strip_suffix(b"\r\n").unwrap_or(data).to_vec())
                }
                // An incr/decr answer is the number itself.
                _ if line.first().is_some_and(u8::is_ascii_digit) => {
                    Some(line.strip_suffix(b"\r").unwrap_or(line).to_vec())
                }
                _ => None,
            }
        }
    }
}

impl Outcome {
    /// What an answer says, for comparing.
    pub fn of(m: &Message, request_op: Option<Op>) -> Outcome {
        let status = m.status.map_or_else(|| m.op_name(), Status::name);
        let answer = m.outcome();
        if server_specific(request_op) || server_specific(m.op) {
            return Outcome {
                status,
                answer,
                key: None,
                value: None,
                flags: None,
            };
        }
        Outcome {
            status,
            answer,
            key: m.key.as_ref().map(|k| k.to_vec()),
            value: value_of(m),
            flags: m.flags,
        }
    }

    /// A JSON form for `--diff` (the value as its length and, when short and printable, text).
    pub fn to_json(&self) -> serde_json::Value {
        let mut o = serde_json::json!({ "status": self.status });
        if let Some(k) = &self.key {
            o["key"] = String::from_utf8_lossy(k).into_owned().into();
        }
        if let Some(v) = &self.value {
            o["value_len"] = v.len().into();
            if v.len() <= 64 && v.iter().all(|c| (0x20..0x7f).contains(c)) {
                o["value"] = String::from_utf8_lossy(v).into_owned().into();
            }
        }
        if let Some(f) = self.flags {
            o["flags"] = f.into();
        }
        o
    }
}

/// The outcomes of all of a request's answers.
pub fn outcomes(answers: &[Message], request_op: Option<Op>) -> Vec<Outcome> {
    // A stats request answers in many lines whose number depends on the server: keep the last.
    if server_specific(request_op) {
        return answers
            .last()
            .map(|a| Outcome::of(a, request_op))
            .into_iter()
            .collect();
    }
    answers.iter().map(|a| Outcome::of(a, request_op)).collect()
}

/// A one-word summary of a request's outcomes (`SUCCESS`, `KEY_ENOENT`, `VALUE×3`, `END`,
/// `(none)`), for grouping differences.
pub fn summary(o: &[Outcome]) -> String {
    match o {
        [] => "(none)".into(),
        [one] => one.status.into(),
        many => {
            let values = many
                .iter()
                .filter(|x| {
                    matches!(
                        x.answer,
                        Some(
                            op::Outcome::Ascii(Reply::Value) | op::Outcome::Meta(ResponseCode::Va)
                        )
                    )
                })
                .count();
            if values > 0 {
                format!("VALUE×{values}")
            } else {
                many.last().map(|x| x.status.into()).unwrap_or_default()
            }
        }
    }
}
