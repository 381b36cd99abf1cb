//! The embedded server against memcached itself, over the text protocol and the meta
//! commands: the same bytes to both, and the same answers back (CAS values and the version
//! text aside).

mod support;

use memshark::protocol::limits::{ITEM_SIZE_MAX_DEFAULT, KEY_MAX_LEN};
use memshark::server::ServerConfig;
use support::{exchange, Embedded, Memcached};

fn normalise(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.split("\r\n")
        .map(|line| {
            let toks: Vec<&str> = line.split(' ').collect();
            match toks.as_slice() {
                ["VALUE", k, f, n, _cas] => format!("VALUE {k} {f} {n} <cas>"),
                ["VERSION", ..] => "VERSION <v>".to_string(),
                [code @ ("HD" | "VA" | "EN" | "NF" | "NS" | "EX"), rest @ ..] => {
                    let rest: Vec<String> = rest
                        .iter()
                        .map(|t| {
                            if t.starts_with('c') && t[1..].chars().all(|c| c.is_ascii_digit()) {
                                "c<cas>".to_string()
                            } else {
                                t.to_string()
                            }
                        })
                        .collect();
                    std::iter::once(code.to_string())
                        .chain(rest)
                        .collect::<Vec<_>>()
                        .join(" ")
                }
                _ => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn cases() -> Vec<(&'static str, String)> {
    let big = "x".repeat(ITEM_SIZE_MAX_DEFAULT + 1);
    let longest_key = "k".repeat(KEY_MAX_LEN);
    let too_long_key = "k".repeat(KEY_MAX_LEN + 1);
    vec![
        ("get miss", "get t1\r\n".into()),
        (
            "set, get, gets, multi-get",
            "set t2 5 0 3\r\nabc\r\nget t2\r\ngets t2\r\nget t2 t2-missing t2\r\n".into(),
        ),
        (
            "add, replace, append, prepend",
            "add t3 0 0 1\r\na\r\nadd t3 0 0 1\r\nb\r\nreplace t3-missing 0 0 1\r\nx\r\n\
             append t3 0 0 1\r\n>\r\nprepend t3 0 0 1\r\n<\r\nappend t3-missing 0 0 1\r\nx\r\nget t3\r\n"
                .into(),
        ),
        (
            "noreply everywhere",
            "set t4 0 0 1 noreply\r\na\r\nadd t4 0 0 1 noreply\r\nb\r\ndelete t4 noreply\r\n\
             incr t4 1 noreply\r\ntouch t4 10 noreply\r\nget t4\r\n"
                .into(),
        ),
        (
            "delete, delete 0, delete missing",
            "set t5 0 0 1\r\na\r\ndelete t5 0\r\ndelete t5\r\n".into(),
        ),
        (
            "incr, decr floor, wrap, non-numeric, missing",
            "set t6 0 0 2\r\n10\r\nincr t6 5\r\ndecr t6 100\r\nget t6\r\nincr t6-missing 1\r\n\
             set t6m 0 0 20\r\n18446744073709551615\r\nincr t6m 2\r\n\
             set t6t 0 0 3\r\nabc\r\nincr t6t 1\r\nincr t6 abc\r\n"
                .into(),
        ),
        (
            "touch and gat",
            "set t7 3 0 1\r\na\r\ntouch t7 100\r\ntouch t7-missing 100\r\ngat 100 t7 t7-missing\r\ngats 100 t7\r\n"
                .into(),
        ),
        (
            "cas with a stale unique and on a missing key",
            "set t8 0 0 1\r\na\r\ncas t8 0 0 1 1\r\nb\r\ncas t8-missing 0 0 1 1\r\nb\r\nget t8\r\n".into(),
        ),
        (
            "unknown command, bad format, bad data chunk",
            "bogus\r\nset t9 abc 0 1\r\nset t9 0 0 1\r\nabc\r\nget t9\r\n".into(),
        ),
        (
            "too large: refused, data swallowed, stream in sync",
            format!("set t10 0 0 {}\r\n{big}\r\nget t10\r\n", big.len()),
        ),
        (
            "key limits",
            format!(
                "set {longest_key} 0 0 1\r\na\r\nget {longest_key}\r\nget {too_long_key}\r\n"
            ),
        ),
        ("flags over five digits", "set t11 1234567 0 1\r\na\r\nget t11\r\n".into()),
        ("verbosity and version", "verbosity 1\r\nverbosity 1 noreply\r\nversion\r\n".into()),
        (
            "meta get/set/delete/arithmetic",
            "ms t12 3 F5 T0\r\nabc\r\nmg t12 v f O9 k\r\nmg t12 s\r\nmg t12-missing v\r\nmg t12-missing v q\r\n\
             md t12 O1\r\nmd t12\r\nma t12n N0 J10 v\r\nma t12n D5 v\r\nma t12n MD D100 v\r\nms t12 1 MR\r\nz\r\n\
             ms t12 1 ME\r\nz\r\nms t12 1 ME\r\nz\r\nms t12 1 MA\r\n>\r\nmg t12 v\r\n"
                .into(),
        ),
        ("meta base64 key", "ms dDEz 1 b\r\nx\r\nmg dDEz b v\r\nget t13\r\n".into()),
        (
            "expiry in the past and negative",
            "set t14 0 -1 1\r\na\r\nget t14\r\nset t15 0 3000000 1\r\na\r\nget t15\r\n".into(),
        ),
        (
            "flush_all",
            "set t16 0 0 1\r\na\r\nflush_all\r\nget t16\r\nflush_all noreply\r\n".into(),
        ),
    ]
}

#[test]
fn text_answers_match_memcached() {
    let memcached = Memcached::start(&["-m", "64"]);
    let ours = Embedded::start(ServerConfig::default());
    let mut failures = Vec::new();
    for (name, request) in cases() {
        let bytes = format!("{request}mn\r\n");
        let theirs = normalise(&exchange(memcached.addr(), bytes.as_bytes(), b"MN\r\n"));
        let mine = normalise(&exchange(ours.addr(), bytes.as_bytes(), b"MN\r\n"));
        if std::env::var_os("MEMSHARK_SHOW").is_some() {
            eprintln!("{name}:\n  memcached: {theirs:?}\n  memshark:  {mine:?}");
        }
        if !theirs.ends_with("MN\r\n") && !theirs.ends_with("MN") {
            failures.push(format!("{name}: memcached did not finish: {theirs:?}"));
        } else if theirs != mine {
            failures.push(format!(
                "{name}:\n  memcached: {theirs:?}\n  memshark:  {mine:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// gets → cas with the unique it returned → STORED, the same unique again → EXISTS.
#[test]
fn cas_round_trip_on_both() {
    let memcached = Memcached::start(&[]);
    let ours = Embedded::start(ServerConfig::default());
    for addr in [memcached.addr(), ours.addr()] {
        let r = exchange(addr, b"set c 0 0 1\r\na\r\ngets c\r\n", b"END\r\n");
        let text = String::from_utf8_lossy(&r);
        let unique = text
            .lines()
            .find(|l| l.starts_with("VALUE"))
            .and_then(|l| l.split(' ').nth(4))
            .expect("a cas unique")
            .to_string();
        let cas = format!("cas c 0 0 1 {unique}\r\nb\r\ncas c 0 0 1 {unique}\r\nc\r\nget c\r\n");
        let r = exchange(addr, cas.as_bytes(), b"END\r\n");
        assert_eq!(
            String::from_utf8_lossy(&r),
            "STORED\r\nEXISTS\r\nVALUE c 0 1\r\nb\r\nEND\r\n",
            "{addr}"
        );
    }
}

#[test]
fn stats_have_memcacheds_fields() {
    let ours = Embedded::start(ServerConfig::default());
    let r = exchange(
        ours.addr(),
        b"set s 0 0 1\r\na\r\nget s\r\nget nope\r\nstats\r\n",
        b"END\r\n",
    );
    let text = String::from_utf8_lossy(&r);
    for field in [
        "pid",
        "uptime",
        "curr_items 1",
        "total_items 1",
        "bytes ",
        "curr_connections 1",
        "cmd_get 2",
        "cmd_set 1",
        "get_hits 1",
        "get_misses 1",
        "evictions 0",
        "limit_maxbytes",
    ] {
        assert!(
            text.contains(&format!("STAT {field}")),
            "missing {field}: {text}"
        );
    }
    let r = exchange(
        ours.addr(),
        b"stats reset\r\nstats settings\r\n",
        b"END\r\n",
    );
    let text = String::from_utf8_lossy(&r);
    assert!(text.starts_with("RESET\r\n"));
    assert!(text.contains("STAT item_size_max 1048576"));
}
