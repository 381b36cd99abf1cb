//! Running a checked expression against a subject, without allocating (except to format an
//! address for `~`/`contains` on `client`/`server`).

use std::io::Write;

use super::parser::{Expr, Test};
use super::{Subject, Value};

/// Whether `s` passes `e`.
pub fn eval<S: Subject + ?Sized>(e: &Expr, s: &S) -> bool {
    match e {
        Expr::True => true,
        Expr::Exists(f) => s.any(*f, &mut |_| true),
        Expr::Any(f, t) => s.any(*f, &mut |v| test(t, v)),
        Expr::And(a, b) => eval(a, s) && eval(b, s),
        Expr::Or(a, b) => eval(a, s) || eval(b, s),
        Expr::Not(a) => !eval(a, s),
    }
}

fn eq_text(a: &[u8], b: &[u8], fold: bool) -> bool {
    if fold {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

fn text_test(t: &Test, text: &[u8]) -> bool {
    match t {
        Test::Text { lit, fold } => eq_text(text, lit, *fold),
        Test::Contains(lit) => memchr::memmem::find(text, lit).is_some(),
        Test::Regex(r) => r.is_match(text),
        Test::Num(..) => false,
    }
}

fn test(t: &Test, v: Value<'_>) -> bool {
    match v {
        Value::Str(s) => text_test(t, s),
        Value::Num(n) => match t {
            Test::Num(rel, lit) => rel.holds(n, *lit),
            _ => false,
        },
        Value::Status(code, name) => match t {
            Test::Num(rel, lit) => rel.holds(u64::from(code), *lit),
            _ => text_test(t, name.as_bytes()),
        },
        Value::Addr(a) => {
            let mut buf = [0u8; 64];
            let len = {
                let mut w = &mut buf[..];
                let _ = write!(w, "{a}");
                64 - w.len()
            };
            let full = &buf[..len];
            match t {
                Test::Text { lit, .. } => {
                    let mut ip = [0u8; 48];
                    let ip_len = {
                        let mut w = &mut ip[..];
                        let _ = write!(w, "{}", a.ip());
                        48 - w.len()
                    };
                    full == &lit[..] || ip[..ip_len] == lit[..]
                }
                _ => text_test(t, full),
            }
        }
    }
}
