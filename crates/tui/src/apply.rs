//! "Apply as filter": the filter term a line of the details pane stands for, and how a term
//! joins the filter in force (Wireshark's *Apply as Filter → Selected / Not Selected / …or
//! Selected*).
//!
//! ```
//! use memshark_traffic::filter::{Field, Filter};
//! use memshark_tui::apply::{combine, Join, Term, TermValue};
//!
//! let term = Term { field: Field::Key, value: TermValue::Text("user:1".into()) };
//! let old = Filter::parse("op == get || op == set").unwrap();
//! assert_eq!(combine(&old, &term, Join::And), r#"(op == get || op == set) && key == "user:1""#);
//! assert_eq!(combine(&Filter::all(), &term, Join::AndNot), r#"key != "user:1""#);
//! ```

use std::fmt;

use memshark_protocol::binary::{Opcode, Status};
use memshark_traffic::dissect::Proto;
use memshark_traffic::filter::{Field, Filter};

use crate::details::DetailLine;
use crate::timeline::store::{Store, NONE};

/// The value side of a term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermValue {
    /// A whole number.
    Num(u64),
    /// A latency in nanoseconds (written with its unit).
    Nanos(u64),
    /// Text, written quoted.
    Text(String),
}

/// One comparison a details line stands for: `field == value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The filter field.
    pub field: Field,
    /// Its value on the line.
    pub value: TermValue,
}

/// How a term joins the filter in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// `a`: `old && field == value`.
    And,
    /// `A`: `old && field != value`.
    AndNot,
    /// `|`: `old || field == value`.
    Or,
}

/// Writes `s` as a filter string literal.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl fmt::Display for TermValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TermValue::Num(n) => write!(f, "{n}"),
            TermValue::Nanos(n) => write!(f, "{n}ns"),
            TermValue::Text(s) => f.write_str(&quoted(s)),
        }
    }
}

impl Term {
    /// The comparison as filter text, with `==` or `!=`.
    pub fn text(&self, negate: bool) -> String {
        let op = if negate { "!=" } else { "==" };
        format!("{} {op} {}", self.field.name(), self.value)
    }
}

/// The filter text after joining `term` to `old` as `join` says.
pub fn combine(old: &Filter, term: &Term, join: Join) -> String {
    let t = term.text(join == Join::AndNot);
    if old.is_all() {
        return t;
    }
    let old_text = old.source();
    match join {
        Join::Or => format!("{old_text} || {t}"),
        _ if old.is_disjunction() => format!("({old_text}) && {t}"),
        _ => format!("{old_text} && {t}"),
    }
}

/// A number as a field shows it in the bytes: ASCII digits (text protocols), or a big-endian
/// binary header field of 2, 4 or 8 bytes.
fn number_at(b: &[u8], binary: bool) -> Option<u64> {
    if !binary {
        return std::str::from_utf8(b).ok()?.parse().ok();
    }
    match b.len() {
        2 | 4 | 8 => Some(b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x))),
        _ => None,
    }
}

/// Text the filter can hold (UTF-8), else nothing.
fn text(b: &[u8]) -> Option<TermValue> {
    std::str::from_utf8(b)
        .ok()
        .filter(|s| !s.is_empty())
        .map(|s| TermValue::Text(s.to_string()))
}

/// The term the details line `line` of the transaction at store row `row` stands for; none
/// for lines no filter field tests (a heading, the header's lengths, the time).
pub fn term_for(store: &Store, row: u32, line: &DetailLine) -> Option<Term> {
    let t = store.txn(row)?;
    let term = |field, value| Some(Term { field, value });
    if line.msg == NONE {
        // The transaction's summary lines.
        return match line.name.as_str() {
            "flow" => term(Field::Flow, TermValue::Num(store.flow(t).conn)),
            "latency" => term(Field::Latency, TermValue::Nanos(t.latency()?)),
            "status" => term(Field::Status, TermValue::Num(u64::from(t.status()?))),
            _ => None,
        };
    }
    let raw = store.bytes(line.msg);
    let b = raw.get(line.range.clone())?;
    let binary = t.proto() == Proto::Binary;
    match line.name.as_str() {
        "opcode" if binary => term(
            Field::Op,
            TermValue::Text(Opcode::from(*b.first()?).name().to_string()),
        ),
        "command" => term(Field::Op, text(b)?),
        "key" => term(Field::Key, text(b)?),
        "status" if binary => term(
            Field::Status,
            TermValue::Text(
                Status::from(number_at(b, binary)? as u16)
                    .name()
                    .to_string(),
            ),
        ),
        "opaque" => term(Field::Opaque, TermValue::Num(number_at(b, binary)?)),
        "cas" | "cas unique" => term(Field::Cas, TermValue::Num(number_at(b, binary)?)),
        "flags" => term(Field::Flags, TermValue::Num(number_at(b, binary)?)),
        "exptime" => term(Field::Exptime, TermValue::Num(number_at(b, binary)?)),
        "vbucket" => term(Field::Vbucket, TermValue::Num(number_at(b, binary)?)),
        "delta" => term(Field::Delta, TermValue::Num(number_at(b, binary)?)),
        "initial" => term(Field::Initial, TermValue::Num(number_at(b, binary)?)),
        // `size` is the transaction's value bytes (a multi-get's answers together).
        "bytes" | "datalen" | "value" | "data block" => {
            term(Field::Size, TermValue::Num(u64::from(t.size)))
        }
        "flag" if !binary => term(Field::MetaFlag, text(b)?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_join_as_wireshark_joins_them() {
        let key = Term {
            field: Field::Key,
            value: TermValue::Text("a \"q\" \\ b".into()),
        };
        assert_eq!(key.text(false), r#"key == "a \"q\" \\ b""#);
        let back = Filter::parse(&key.text(false)).expect("the term parses");
        assert_eq!(back.source(), key.text(false));
        let lat = Term {
            field: Field::Latency,
            value: TermValue::Nanos(1500),
        };
        let old = Filter::parse("op == get").unwrap();
        assert_eq!(
            combine(&old, &lat, Join::And),
            "op == get && latency == 1500ns"
        );
        assert_eq!(
            combine(&old, &lat, Join::Or),
            "op == get || latency == 1500ns"
        );
        let or = Filter::parse("op == get or op == set").unwrap();
        assert_eq!(
            combine(&or, &lat, Join::AndNot),
            "(op == get or op == set) && latency != 1500ns"
        );
        for s in [
            combine(&or, &lat, Join::AndNot),
            combine(&old, &key, Join::Or),
        ] {
            assert!(Filter::parse(&s).is_ok(), "{s}");
        }
    }

    #[test]
    fn numbers_read_as_text_digits_or_big_endian() {
        assert_eq!(number_at(b"300", false), Some(300));
        assert_eq!(number_at(b"1234", true), Some(0x3132_3334));
        assert_eq!(number_at(&[0, 0, 0x01, 0x2c], true), Some(300));
        assert_eq!(number_at(&[0xff; 8], true), Some(u64::MAX));
        assert_eq!(number_at(b"abc", false), None);
        assert_eq!(number_at(b"abc", true), None);
        assert_eq!(number_at(b"", false), None);
    }
}
