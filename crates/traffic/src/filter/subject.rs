//! Messages as filter subjects, and the status a text answer stands for.

use super::{Field, Subject, Value};
use crate::dissect::Message;

/// The binary status a text or meta answer word means: 0 success (`STORED`, `VALUE`, `HD`…),
/// 1 miss (`NOT_FOUND`, `EN`, `NF`), 2 exists (`EXISTS`, `EX`), 5 not stored (`NOT_STORED`,
/// `NS`), 0x81 unknown command (`ERROR`), 4 invalid arguments (`CLIENT_ERROR`), 0x84 internal
/// error (`SERVER_ERROR`). `None` for words that are not answers.
pub fn text_status(word: &str) -> Option<u16> {
    Some(match word {
        "STORED" | "DELETED" | "TOUCHED" | "OK" | "VALUE" | "END" | "HD" | "VA" | "MN" | "ME"
        | "NUMBER" | "STAT" | "VERSION" => 0,
        "NOT_FOUND" | "EN" | "NF" => 1,
        "EXISTS" | "EX" => 2,
        "NOT_STORED" | "NS" => 5,
        "ERROR" => 0x81,
        "CLIENT_ERROR" => 4,
        "SERVER_ERROR" => 0x84,
        _ => return None,
    })
}

impl Subject for Message {
    fn any(&self, field: Field, visit: &mut dyn FnMut(Value<'_>) -> bool) -> bool {
        match field {
            Field::Op => {
                visit(Value::Str(self.op.as_bytes()))
                    || self
                        .request_op
                        .is_some_and(|r| r != self.op && visit(Value::Str(r.as_bytes())))
            }
            Field::Key => {
                if self.keys.is_empty() {
                    self.key.as_ref().is_some_and(|k| visit(Value::Str(k)))
                } else {
                    self.keys.iter().any(|k| visit(Value::Str(k)))
                }
            }
            Field::Status => match (self.status, self.status_name) {
                (Some(code), Some(name)) => visit(Value::Status(code, name)),
                (Some(code), None) => visit(Value::Status(code, "")),
                _ if self.kind == crate::dissect::Kind::Response => {
                    text_status(self.op).is_some_and(|code| visit(Value::Status(code, self.op)))
                }
                _ => false,
            },
            Field::Latency => self.latency_ns.is_some_and(|l| visit(Value::Num(l))),
            Field::Size => self.value_len.is_some_and(|n| visit(Value::Num(n))),
            Field::Proto => visit(Value::Str(self.proto.name().as_bytes())),
            Field::Kind => visit(Value::Str(self.kind.name().as_bytes())),
            Field::Client => visit(Value::Addr(self.client)),
            Field::Server => visit(Value::Addr(self.server)),
            Field::Port => {
                visit(Value::Num(u64::from(self.client.port())))
                    || visit(Value::Num(u64::from(self.server.port())))
            }
            Field::Flow => visit(Value::Num(self.conn)),
        }
    }
}
