//! Parsing and matching, on their own.

use proptest::prelude::*;

use super::*;
use crate::capture::{Direction, Origin};
use crate::dissect::{Message, Proto};
use memshark_protocol::binary::{Opcode, Status};
use memshark_protocol::op::Op;

/// The op called `name` in `proto`.
fn op(proto: Proto, name: &str) -> Op {
    match proto {
        Proto::Binary => Opcode::from_name(name).expect("an opcode").into(),
        _ => Op::from_text_word(name.as_bytes()).expect("a text word"),
    }
}

fn msg(dir: Direction, proto: Proto, name: &'static str) -> Message {
    let origin = Origin::new(
        7,
        "10.0.0.1:40000".parse().unwrap(),
        "10.0.0.2:11211".parse().unwrap(),
        dir,
    );
    Message::new(origin, proto).with_op(op(proto, name))
}

fn get_miss() -> Message {
    let mut m = msg(Direction::ToClient, Proto::Binary, "get");
    m.status = Some(Status::KeyNotFound);
    m.request_op = Some(op(Proto::Binary, "get"));
    m.key = Some(bytes::Bytes::from_static(b"user:42"));
    m.latency_ns = Some(1_500_000);
    m.value_len = Some(0);
    m
}

fn text_multiget() -> Message {
    let mut m = msg(Direction::ToServer, Proto::Ascii, "get");
    m.keys = vec![
        bytes::Bytes::from_static(b"a"),
        bytes::Bytes::from_static(b"session:9"),
    ];
    m.key = Some(m.keys[0].clone());
    m
}

fn big_set() -> Message {
    let mut m = msg(Direction::ToServer, Proto::Meta, "ms");
    m.key = Some(bytes::Bytes::from_static(b"blob"));
    m.value_len = Some(8192);
    m
}

fn ok(src: &str, m: &Message) -> bool {
    Filter::parse(src)
        .unwrap_or_else(|e| panic!("{src}: {e}"))
        .matches(m)
}

fn err(src: &str) -> FilterError {
    Filter::parse(src).expect_err(src)
}

#[test]
fn the_examples_of_the_issue() {
    let miss = get_miss();
    assert!(ok(r#"op == "get" && status != 0"#, &miss));
    assert!(ok("latency > 1ms", &miss));
    assert!(!ok("latency > 2ms", &miss));
    assert!(ok(r#"key ~ "^user:""#, &miss));
    assert!(!ok("!(proto == binary) || size >= 4kb", &miss));
    assert!(ok("!(proto == binary) || size >= 4kb", &big_set()));
    assert!(!ok("!(proto == meta) && size >= 4kb", &big_set()));
}

#[test]
fn every_operator() {
    let m = get_miss();
    for (src, want) in [
        ("status == 1", true),
        ("status != 1", false),
        ("status < 2", true),
        ("status <= 0", false),
        ("status > 0", true),
        ("status >= 2", false),
        ("status == KEY_ENOENT", true),
        ("status == key_enoent", true),
        ("status ~ ENOENT", true),
        ("status contains NOENT", true),
        ("key contains \"er:4\"", true),
        ("key == user:42", true),
        ("key == USER:42", false),
        ("op == GET", true),
        ("op != set", true),
        ("latency >= 1500us", true),
        ("latency == 1500000ns", true),
        ("latency < 1.6ms", true),
        ("latency > 0", true),
        ("latency <= 0.001s", false),
        ("size == 0", true),
        ("port == 11211", true),
        ("port == 40000", true),
        ("port > 50000", false),
        ("flow == 7", true),
        ("client == 10.0.0.1", true),
        ("client == \"10.0.0.1:40000\"", true),
        ("client == 10.0.0.1:40001", false),
        ("server ~ \":11211$\"", true),
        ("server contains \"0.0.2\"", true),
        ("kind == response", true),
        ("proto == BINARY", true),
    ] {
        assert_eq!(ok(src, &m), want, "{src}");
    }
}

#[test]
fn precedence_and_parentheses() {
    let m = get_miss();
    // && binds tighter than ||.
    assert!(ok("op == set && status == 0 || key == user:42", &m));
    assert!(!ok("op == set && (status == 0 || key == user:42)", &m));
    assert!(ok("not op == set and key", &m));
    assert!(ok("!!key", &m));
    assert!(ok("((key))", &m));
    assert!(ok("op == set or op == get", &m));
    assert!(ok("key matches \"^u\"", &m));
}

#[test]
fn several_values_any_matches_and_not_equal_means_none() {
    let m = text_multiget();
    assert!(ok("key == session:9", &m));
    assert!(ok("key == a", &m));
    assert!(!ok("key != a", &m), "one key is a");
    assert!(ok("key != zzz", &m));
    // A response paired with a get: its op and its request's op.
    let mut r = msg(Direction::ToClient, Proto::Ascii, "END");
    r.request_op = Some(op(Proto::Ascii, "get"));
    assert!(ok("op == get", &r) && ok("op == END", &r));
    // A field with no value: every comparison false, != too; its negation true.
    let req = msg(Direction::ToServer, Proto::Binary, "noop");
    assert!(!ok("latency > 0", &req));
    assert!(!ok("latency != 1ms", &req));
    assert!(!ok("status != 0", &req));
    assert!(ok("!(status == 0)", &req));
    assert!(!ok("latency", &req) && !ok("status", &req) && !ok("key", &req));
}

#[test]
fn text_answers_have_the_status_they_stand_for() {
    let mut nf = msg(Direction::ToClient, Proto::Ascii, "NOT_FOUND");
    nf.request_op = Some(op(Proto::Ascii, "delete"));
    assert!(ok("status == 1 && status == NOT_FOUND", &nf));
    let en = msg(Direction::ToClient, Proto::Meta, "EN");
    assert!(ok("status == 1", &en));
    let e = msg(Direction::ToClient, Proto::Ascii, "CLIENT_ERROR");
    assert!(ok("status != 0 && status == 4", &e));
    let server_error = op(Proto::Ascii, "SERVER_ERROR")
        .outcome()
        .and_then(|o| o.status());
    assert_eq!(server_error.map(u16::from), Some(0x84));
    assert_eq!(
        op(Proto::Ascii, "RESET").outcome().and_then(|o| o.status()),
        None
    );
    assert!(!ok(
        "status == 0",
        &msg(Direction::ToServer, Proto::Ascii, "get")
    ));
}

#[test]
fn errors_say_what_and_where() {
    let cases: &[(&str, usize, &str)] = &[
        ("foo == 1", 0, "unknown field `foo`"),
        ("latency > 5", 10, "latency needs a unit"),
        ("latency > \"abc\"", 10, "needs a number"),
        ("size > 2ms", 7, "size units"),
        ("port > x", 7, "needs a number"),
        ("op < get", 3, "is text"),
        ("key >= a", 4, "is text"),
        ("latency ~ x", 8, "is a number"),
        ("status > NOT_FOUND", 7, "needs a status number"),
        ("op ==", 5, "expected a value"),
        ("op == get &&", 12, "expected a field name"),
        ("(op == get", 0, "never closed"),
        ("op == get)", 9, "no `(`"),
        ("op == get key", 10, "expected `&&` or `||`"),
        ("key ~ \"(\"", 6, "bad regex"),
        ("key == \"abc", 7, "no closing quote"),
        ("op == get $", 10, "unexpected `$`"),
        ("== get", 0, "expected a field name"),
        ("status == 1.5", 10, "not a status code"),
    ];
    for (src, pos, says) in cases {
        let e = err(src);
        assert_eq!(e.pos, *pos, "{src}: {e}");
        assert!(e.message.contains(says), "{src}: {e}");
    }
    let e = err("latency > > 1ms");
    assert_eq!(e.pos, 10);
}

#[test]
fn caret_line_points_at_the_character() {
    let e = err("size > 2ms");
    assert_eq!(e.caret_line("size > 2ms"), "       ^");
    // Columns count characters, not bytes.
    let src = "key == \"é\" && latency > 3";
    let e = err(src);
    assert_eq!(e.caret_line(src), format!("{}^", " ".repeat(24)));
    // Display counts bytes (it has no source to count characters in).
    assert!(e.to_string().ends_with("(at byte 26)"), "{e}");
}

#[test]
fn empty_matches_everything_and_source_is_kept() {
    for src in ["", "   ", "\t"] {
        let f = Filter::parse(src).unwrap();
        assert!(f.is_all() && f.matches(&get_miss()));
    }
    let f: Filter = "  op == get ".parse().unwrap();
    assert_eq!(f.source(), "op == get");
    assert!(!f.is_all());
    assert_eq!(format!("{f:?}"), "Filter(\"op == get\")");
}

fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("op == get".to_string()),
        Just("key ~ \"^k\"".to_string()),
        Just("status != 0".to_string()),
        (0u64..5000).prop_map(|n| format!("latency > {n}us")),
        (0u64..100).prop_map(|n| format!("size <= {n}kb")),
        Just("proto == ascii".to_string()),
        (1u16..65535).prop_map(|p| format!("port == {p}")),
        Just("key".to_string()),
        Just("client contains \"10.\"".to_string()),
    ];
    leaf.prop_recursive(4, 32, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} && {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) || {b}")),
            inner.prop_map(|a| format!("!({a})")),
        ]
    })
}

proptest! {
    #[test]
    fn parsing_any_text_never_panics(src in ".{0,80}") {
        if let Ok(f) = Filter::parse(&src) {
            let _ = f.matches(&get_miss());
        } else if let Err(e) = Filter::parse(&src) {
            prop_assert!(e.pos <= src.len());
            let _ = e.caret_line(&src);
        }
    }

    #[test]
    fn generated_expressions_parse_and_match_consistently(src in expr()) {
        let f = Filter::parse(&src).map_err(|e| TestCaseError::fail(format!("{src}: {e}")))?;
        let neg = Filter::parse(&format!("!({src})")).unwrap();
        for m in [get_miss(), text_multiget(), big_set()] {
            prop_assert_ne!(f.matches(&m), neg.matches(&m));
        }
    }
}

#[test]
fn wire_fields_compare_exactly_in_decimal_and_hex() {
    let mut m = get_miss();
    m.opaque = Some(0x1f);
    m.cas = Some(u64::MAX - 1);
    m.flags = Some(5);
    m.exptime = Some(-1);
    assert!(ok("opaque == 0x1f && opaque == 31", &m));
    assert!(ok("cas == 18446744073709551614", &m), "beyond f64, exactly");
    assert!(!ok("cas == 18446744073709551615", &m));
    assert!(ok("flags >= 5 && flags != 6", &m));
    assert!(!ok("exptime", &m), "a negative time is no time");
    assert!(!ok("vbucket", &m), "a response has no vbucket");
    assert!(err("opaque ~ 3").message.contains("is a number"));
    assert!(err("cas == x").message.contains("needs a number"));
    let mut mg = msg(Direction::ToServer, Proto::Meta, "mg");
    mg.raw = bytes::Bytes::from_static(b"mg foo v T30 Oab q\r\n");
    assert!(ok("mflag == v && mflag ~ \"^T\" && !(mflag == k)", &mg));
    assert!(Filter::parse("a || b").is_err());
    assert!(Filter::parse("op == get || key == x")
        .unwrap()
        .is_disjunction());
    assert!(!Filter::parse("(op == get || key == x) && size > 1")
        .unwrap()
        .is_disjunction());
}
