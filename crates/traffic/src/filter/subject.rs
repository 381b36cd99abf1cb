//! Messages as filter subjects.

use super::{Field, Subject, Value};
use crate::dissect::{Kind, Message};
use memshark_protocol::op::Outcome;

impl Subject for Message {
    fn any(&self, field: Field, visit: &mut dyn FnMut(Value<'_>) -> bool) -> bool {
        match field {
            Field::Op => {
                let name = self.op_name();
                visit(Value::Str(name.as_bytes()))
                    || self
                        .request_op_name()
                        .is_some_and(|r| r != name && visit(Value::Str(r.as_bytes())))
            }
            Field::Key => {
                if self.keys.is_empty() {
                    self.key.as_ref().is_some_and(|k| visit(Value::Str(k)))
                } else {
                    self.keys.iter().any(|k| visit(Value::Str(k)))
                }
            }
            // A binary status by its number and name; a text or meta answer by the status it
            // stands for and its word.
            Field::Status => match self.outcome() {
                Some(Outcome::Binary(s)) => visit(Value::Status(s.into(), s.name())),
                Some(o) if self.kind() == Kind::Response => o
                    .status()
                    .is_some_and(|s| visit(Value::Status(s.into(), o.name()))),
                _ => false,
            },
            Field::Latency => self.latency_ns.is_some_and(|l| visit(Value::Num(l))),
            Field::Size => self.value_len.is_some_and(|n| visit(Value::Num(n))),
            Field::Proto => visit(Value::Str(self.proto.name().as_bytes())),
            Field::Kind => visit(Value::Str(self.kind().name().as_bytes())),
            Field::Client => visit(Value::Addr(self.origin.client)),
            Field::Server => visit(Value::Addr(self.origin.server)),
            Field::Port => {
                visit(Value::Num(u64::from(self.origin.client.port())))
                    || visit(Value::Num(u64::from(self.origin.server.port())))
            }
            Field::Flow => visit(Value::Num(self.origin.conn)),
            Field::Opaque => self.opaque.is_some_and(|o| visit(Value::Num(u64::from(o)))),
            Field::Cas => self.cas.is_some_and(|c| visit(Value::Num(c))),
            Field::Flags => self.flags.is_some_and(|f| visit(Value::Num(u64::from(f)))),
            Field::Exptime => self
                .exptime
                .and_then(|e| u64::try_from(e).ok())
                .is_some_and(|e| visit(Value::Num(e))),
            Field::Vbucket | Field::MetaFlag | Field::Delta | Field::Initial => {
                super::wire::values(&self.raw, self.proto, field, visit)
            }
        }
    }
}
