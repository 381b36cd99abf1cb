//! The embedded server against memcached itself, over the text protocol and the meta
//! commands: the same bytes to both, and the same answers back (CAS values and the version
//! text aside).

mod support;

use memshark::protocol::limits::{ITEM_SIZE_MAX_DEFAULT, KEY_MAX_LEN};
use std::net::SocketAddr;

use memshark::server::ServerConfig;
use support::{closes_after, exchange, Embedded, Memcached};

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
        (
            "wrong token counts answer ERROR",
            "set e1 0 0\r\nset e1 0 0 1 noreply extra\r\nx\r\ncas e1 0 0 1\r\n\
             incr e1\r\ntouch e1\r\ndelete\r\nflush_all 0 0 0\r\nget\r\n"
                .into(),
        ),
        (
            "delete's usage text",
            "delete e2 b\r\ndelete e2 noreply x\r\ndelete e2 0 0\r\ndelete e2 1\r\n\
             delete e2 0 noreply\r\n"
                .into(),
        ),
        (
            "data lengths read as a C int",
            "set e3 0 0 4294967295\r\nset e3 0 0 2147483647\r\nset e3 0 0 2147483646\r\n\
             set e3 0 0 -1\r\nget e3\r\n"
                .into(),
        ),
        (
            "noreply silences errors",
            "set e4 0 0 -1 noreply\r\nset e4 x 0 1 noreply\r\nx\r\nincr e4 x noreply\r\n".into(),
        ),
        ("flush_all's exptime", "flush_all x\r\nflush_all -1 noreply\r\n".into()),
        (
            "a refused set removes the old value, other refusals keep it",
            format!(
                "set e5 0 0 1\r\na\r\nset e5 0 0 {n}\r\n{big}\r\nget e5\r\n\
                 set e6 0 0 1\r\na\r\nset e6 0 0 {n} noreply\r\n{big}\r\nget e6\r\n\
                 set e7 0 0 1\r\na\r\nadd e7 0 0 {n}\r\n{big}\r\nappend e7 0 0 {n}\r\n{big}\r\n\
                 cas e7 0 0 {n} 1\r\n{big}\r\nget e7\r\n\
                 ms e8 1\r\na\r\nms e8 {n} MA\r\n{big}\r\nmg e8 v\r\n",
                n = big.len()
            ),
        ),
        (
            "the item size limit counts the whole item",
            format!(
                "set k 0 0 {n}\r\n{v}\r\nmg k s\r\nset k 0 0 {m}\r\n{v}x\r\nmg k s\r\n",
                n = ITEM_SIZE_MAX_DEFAULT - 60,
                m = ITEM_SIZE_MAX_DEFAULT - 59,
                v = "v".repeat(ITEM_SIZE_MAX_DEFAULT - 60)
            ),
        ),
        (
            "a get line far over 2048 bytes is served",
            format!(
                "set g1 0 0 1\r\na\r\nget {} g1\r\ngets {} g1\r\n",
                (0..12_000).map(|i| format!("m{i}")).collect::<Vec<_>>().join(" "),
                (0..12_000).map(|i| format!("m{i}")).collect::<Vec<_>>().join(" ")
            ),
        ),
        (
            "stats groups and detail",
            "stats sizes\r\nstats detail\r\nstats detail x\r\nstats bogus\r\nstats reset\r\n".into(),
        ),
        (
            "operator commands",
            "cache_memlimit 100 noreply\r\ncache_memlimit 1\r\ncache_memlimit x\r\n\
             cache_memlimit\r\ncache_memlimit 64\r\n\
             slabs reassign 1 1\r\nslabs reassign 99 1\r\nslabs reassign x 1\r\n\
             slabs reassign 1 2 3\r\nslabs automove 3\r\nslabs automove 0\r\n\
             slabs automove x\r\nslabs foo\r\nslabs automove 1\r\n\
             lru mode flat\r\nlru mode x\r\nlru mode segmented\r\nlru temp_ttl 61\r\n\
             lru tune 20 40 0.1 2\r\nlru foo\r\nlru\r\n\
             lru_crawler metadump\r\n\
             lru_crawler crawl all\r\nlru_crawler sleep 100\r\nlru_crawler tocrawl 0\r\n\
             lru_crawler foo\r\nlru_crawler\r\nverbosity 1 2\r\nverbosity 0\r\n\
             shutdown\r\ndebugtime\r\nmisbehave\r\n"
                .into(),
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

/// A connection whose line is an HTTP request (an unknown command word, a last token
/// `HTTP/…`) is closed without a word, answers still pending included: memcached's defence
/// against cross-protocol attacks.
#[test]
fn http_request_lines_close_the_connection() {
    let memcached = Memcached::start(&[]);
    let ours = Embedded::start(ServerConfig::default());
    let requests: [&[u8]; 7] = [
        b"GET / HTTP/1.0\r\n\r\n",
        b"PUT /x HTTP/1.1\r\nversion\r\n",
        b"DELETE HTTP/1.1\r\n",
        b"POST /form HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
        b"version\r\nHEAD / HTTP/1.0\r\n",
        b"HTTP/1.0\r\n",
        b" GET / HTTP/1.0\r\n",
    ];
    for request in requests {
        for addr in [memcached.addr(), ours.addr()] {
            let text = String::from_utf8_lossy(request);
            assert!(closes_after(addr, request), "{addr} kept {text:?} open");
            assert_eq!(
                exchange(addr, request, b""),
                b"",
                "{addr} answered {text:?}"
            );
        }
    }
    // Not HTTP: a known command, a last token not starting `HTTP/`.
    for request in [&b"get a HTTP/1.0\r\n"[..], b"GET /\r\n", b"x http/1.0\r\n"] {
        let theirs = exchange(memcached.addr(), request, b"\r\n");
        assert!(!theirs.is_empty());
        assert_eq!(exchange(ours.addr(), request, b"\r\n"), theirs);
    }
}

/// The lines of `answer`, with what differs between two servers for reasons of time or
/// identity masked: `STAT` values named in `masked`, and the `la=`/`exp=`/`cas=` fields of a
/// metadump.
fn masked_lines(answer: &[u8], masked: &[&str]) -> Vec<String> {
    String::from_utf8_lossy(answer)
        .split("\r\n")
        .flat_map(|l| l.split('\n'))
        .filter(|l| !l.is_empty())
        .map(|line| {
            let toks: Vec<&str> = line.split(' ').collect();
            match toks.as_slice() {
                ["STAT", name, _] if masked.iter().any(|m| name.ends_with(m)) => {
                    format!("STAT {name} <masked>")
                }
                ["VERSION", _] => "VERSION <v>".to_string(),
                [key, ..] if key.starts_with("key=") => toks
                    .iter()
                    .map(|t| match t.split_once('=') {
                        Some((f @ ("la" | "cas"), _)) => format!("{f}=<masked>"),
                        Some(("exp", v)) if v != "-1" => "exp=<time>".to_string(),
                        _ => t.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => line.to_string(),
            }
        })
        .collect()
}

/// Asserts two answers have the same lines, listing only those that differ.
fn assert_same_lines(theirs: &[String], mine: &[String]) {
    let width = theirs.len().max(mine.len());
    let diff: Vec<String> = (0..width)
        .filter(|&i| theirs.get(i) != mine.get(i))
        .map(|i| {
            format!(
                "line {i}: memcached {:?}, memshark {:?}",
                theirs.get(i),
                mine.get(i)
            )
        })
        .collect();
    assert!(diff.is_empty(), "{}", diff.join("\n"));
}

/// Items of many sizes into both servers; `stats slabs` and `stats items` report the same
/// classes, chunks, pages, memory and counters (the LRU segment split and ages aside: those
/// follow memcached's background maintainer).
#[test]
fn slab_classes_match_memcached() {
    let memcached = Memcached::start(&["-m", "64"]);
    let ours = Embedded::start(ServerConfig::default());
    let mut script = String::new();
    for (i, len) in [
        1usize, 40, 41, 100, 500, 1000, 5000, 20_000, 100_000, 600_000,
    ]
    .iter()
    .enumerate()
    {
        for copy in 0..3 {
            script.push_str(&format!(
                "set s{i}:{copy} {copy} 0 {len}\r\n{}\r\n",
                "x".repeat(*len)
            ));
        }
    }
    script.push_str(
        "get s0:0 s1:1 s4:2 nothing\r\ndelete s2:0\r\nincr s0:1 1\r\nset n 0 0 2\r\n10\r\n\
         incr n 100\r\ndecr n 1\r\ntouch s3:0 100\r\ngets s5:0\r\nmn\r\n",
    );
    let masked = [
        "number_hot",
        "number_warm",
        "number_cold",
        ":age",
        "age_hot",
        "age_warm",
        "hits_to_hot",
        "hits_to_warm",
        "hits_to_cold",
        "moves_to_cold",
        "moves_to_warm",
        "moves_within_lru",
        "crawler_items_checked",
    ];
    let answers: Vec<Vec<String>> = [memcached.addr(), ours.addr()]
        .iter()
        .map(|&addr| {
            let _ = exchange(addr, script.as_bytes(), b"MN\r\n");
            let read = || {
                let slabs = exchange(addr, b"stats slabs\r\n", b"END\r\n");
                let items = exchange(addr, b"stats items\r\n", b"END\r\n");
                let mut lines = masked_lines(&slabs, &masked);
                lines.extend(masked_lines(&items, &masked));
                lines
            };
            // memcached's LRU maintainer works in the background: compare the settled figures
            // (two reads in a row that agree), not a moment of its work.
            let mut last = read();
            for _ in 0..20 {
                std::thread::sleep(std::time::Duration::from_millis(50));
                let now = read();
                if now == last {
                    break;
                }
                last = now;
            }
            last
        })
        .collect();
    assert!(answers[0].len() > 100, "{:?}", answers[0]);
    assert_same_lines(&answers[0], &answers[1]);
}

/// `lru_crawler metadump` lists every live key in memcached's format (times and uniques aside:
/// `la`, `cas` and absolute `exp` depend on when each server ran), in any order.
#[test]
fn metadump_matches_memcached() {
    let memcached = Memcached::start(&[]);
    let ours = Embedded::start(ServerConfig::default());
    let script = "set plain 0 0 1\r\na\r\nset with%25percent 5 100 3\r\nabc\r\n\
                  set gone 0 -1 1\r\nx\r\nset big 0 0 5000\r\n"
        .to_string()
        + &"b".repeat(5000)
        + "\r\nset \u{e9}t\u{e9} 0 0 1\r\nz\r\nmn\r\n";
    let mut dumps = Vec::new();
    for addr in [memcached.addr(), ours.addr()] {
        let _ = exchange(addr, script.as_bytes(), b"MN\r\n");
        let mut dump = masked_lines(
            &exchange(addr, b"lru_crawler metadump all\r\n", b"END\r\n"),
            &[],
        );
        dump.sort();
        let mut by_class = masked_lines(
            &exchange(addr, b"lru_crawler metadump 1\r\n", b"END\r\n"),
            &[],
        );
        by_class.sort();
        dump.extend(by_class);
        for bad in ["0", "x", "1,x", "64"] {
            let request = format!("lru_crawler metadump {bad}\r\n");
            dump.extend(masked_lines(
                &exchange(addr, request.as_bytes(), b"\r\n"),
                &[],
            ));
        }
        // Pipelined after another request, it is refused.
        dump.extend(masked_lines(
            &exchange(
                addr,
                b"version\r\nlru_crawler metadump all\r\n",
                b"metadump\r\n",
            ),
            &[],
        ));
        dumps.push(dump);
    }
    assert_same_lines(&dumps[0], &dumps[1]);
}

/// `stats detail on|off|dump` counts gets, hits, sets and deletes per key prefix.
#[test]
fn stats_detail_matches_memcached() {
    let memcached = Memcached::start(&[]);
    let ours = Embedded::start(ServerConfig::default());
    let script = "stats detail dump\r\nstats detail on\r\nset a:1 0 0 1\r\nx\r\nget a:1 a:2 b\r\n\
                  delete a:1\r\nset nodelim 0 0 1\r\nx\r\nstats detail dump\r\nstats detail off\r\n\
                  set a:3 0 0 1\r\nx\r\nstats detail dump\r\nmn\r\n";
    let theirs = exchange(memcached.addr(), script.as_bytes(), b"MN\r\n");
    let mine = exchange(ours.addr(), script.as_bytes(), b"MN\r\n");
    assert_same_lines(&masked_lines(&theirs, &[]), &masked_lines(&mine, &[]));
}

/// A multi-get of 20 000 keys (a line of about 200 KB) is served in full.
#[test]
fn multi_get_of_twenty_thousand_keys() {
    let memcached = Memcached::start(&["-m", "64"]);
    let ours = Embedded::start(ServerConfig::default());
    let keys: Vec<String> = (0..20_000).map(|i| format!("multi:get:key:{i}")).collect();
    let mut sets = String::new();
    for (i, k) in keys.iter().enumerate().filter(|(i, _)| i % 3 != 0) {
        sets.push_str(&format!("set {k} {i} 0 {}\r\n{i}\r\n", i.to_string().len()));
    }
    sets.push_str("mn\r\n");
    let get = format!("get {}\r\n", keys.join(" "));
    assert!(get.len() > 128 * 1024);
    let mut answers = Vec::new();
    for addr in [memcached.addr(), ours.addr()] {
        let _ = exchange(addr, sets.as_bytes(), b"MN\r\n");
        answers.push(exchange(addr, get.as_bytes(), b"END\r\n"));
    }
    assert!(answers[0].ends_with(b"END\r\n"));
    assert_eq!(answers[0].len(), answers[1].len());
    assert!(answers[0] == answers[1], "the answers differ");
}

/// Meta commands on fresh servers, byte for byte, CAS values included: the return flags in
/// the order asked, `ma`'s `t`, the CAS of failed stores, `me`'s fields, the flag checks,
/// `h`/`l`, the recache tokens (`N` vivify, `R` recache, `md I` invalidate: `W`, `X`, `Z`),
/// and what quiet mode leaves out of `md` and `ma`.
#[test]
fn meta_answers_match_memcached_exactly() {
    let memcached = Memcached::start(&[]);
    let ours = Embedded::start(ServerConfig::default());
    let script = "ms m1 2 c\r\nhi\r\nms m1 2 c\r\nho\r\nmg m1 c v\r\nmg m1 s v t f c k O1 q\r\n\
        ms m2 1 T100 F3 c k O5 b\r\nx\r\nms bTM= 1 b c k\r\nx\r\nmg bTM= b k v c\r\n\
        ma m5\r\nma m5 N0 J5\r\nma m5 v\r\nma m5 MI D3 v c t N0\r\nma m5 MD D100 v\r\n\
        ma m5 q\r\nma m5 O7 k\r\nma m5 C1 v\r\nma m6 N100 J7 v t c\r\n\
        ms m7 3\r\nabc\r\nma m7 v\r\nma m7 MX\r\nma m7 Mx\r\n\
        ms m10 1 S1\r\nx\r\nms m10\r\nms\r\nmg\r\nmd\r\nma\r\n\
        me m12\r\nms m12 1\r\nx\r\nme m12\r\nms m13 2 MS\r\nab\r\nms m13 2 MZ\r\nab\r\n\
        ms m13 2 M\r\nab\r\nmg m14 v E99\r\nms m14 1 E123\r\nx\r\nma m14 E555 v c\r\n\
        ms m15 1 c\r\nx\r\nmg m15 c\r\nms m15 1 C999 c\r\ny\r\nms m16 1 MR c\r\ny\r\n\
        mg m17 k v O123456789012345678901234567890123\r\nmg m17 O q\r\n\
        md m1 E5\r\nmg m1 x\r\nms m1 1 x\r\nz\r\nma m1 x\r\nmd m1 x\r\nmg m1 v v\r\n\
        ma m1 N0 N0\r\nma m1 MZ\r\nma m1 M\r\nma m1 MII\r\n\
        ma q3 N0 M+\r\nma q3 M- v\r\nma q3 Mi v\r\nma q3 MI v\r\nma q3 MD v\r\n\
        ms m4 1 T100\r\nx\r\nme m4\r\nmg m4 v\r\nme m4\r\n\
        ms m20 1 k O1 c q\r\nx\r\nmd m20 k O2 q\r\nmd m20 k O3\r\nmg m20 k O4 q v\r\n\
        ms hl 1 T0\r\nx\r\nmg hl h l v\r\nmg hl h l t\r\nmg hl l h\r\nmg hl2 h\r\n\
        mg v1 v N30 t\r\nmg v1 v t\r\nmg v1 v c k O9\r\nms v1 2 T60\r\nhi\r\nmg v1 v t\r\n\
        mg v2 N30 s k\r\nmg v2 N30 s k\r\nget v2\r\n\
        ms v3 1 T5\r\nx\r\nmg v3 v R10\r\nmg v3 v R10\r\nmg v3 v R1 k\r\n\
        ms v4 1\r\nx\r\nmd v4 I T30\r\nmg v4 v k O1 t\r\nmg v4 v\r\nmg v4 c\r\nget v4\r\n\
        md v4 I\r\nmg v4 v\r\nmd v4\r\nmg v4 v\r\nmd v5 I\r\nmd v5 I q\r\n\
        ms v6 1\r\nx\r\nmd v6 I T-1\r\nmg v6 v\r\n\
        ms qz 1\r\nx\r\nmd qz q\r\nmd qz q\r\nmd qz C5 q\r\n\
        ma qx q\r\nma qx N0 q\r\nma qx q\r\nma qx q v\r\n\
        ma qc N0 J5 q v\r\nma qc q v t\r\nma qc v q\r\nma qc q v O5 k\r\nma qc v\r\n\
        ms tt 1 T100\r\nx\r\nmg tt T-1 v\r\nmg tt v\r\nmn\r\n";
    let theirs = exchange(memcached.addr(), script.as_bytes(), b"MN\r\n");
    let mine = exchange(ours.addr(), script.as_bytes(), b"MN\r\n");
    assert_same_lines(&masked_lines(&theirs, &[]), &masked_lines(&mine, &[]));
}

/// A loopback UDP port free now.
fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free UDP port")
}

/// The datagrams that come back for one datagram (within 300 ms of quiet).
fn udp_exchange(addr: std::net::SocketAddr, datagram: &[u8]) -> Vec<Vec<u8>> {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp socket");
    // Wait longer for the first answer than between the datagrams of one: the machine may
    // be busy.
    socket
        .set_read_timeout(Some(std::time::Duration::from_millis(1000)))
        .ok();
    socket.send_to(datagram, addr).expect("send");
    let mut answers = Vec::new();
    let mut buf = [0u8; 2048];
    while let Ok((n, _)) = socket.recv_from(&mut buf) {
        answers.push(buf[..n].to_vec());
        socket
            .set_read_timeout(Some(std::time::Duration::from_millis(300)))
            .ok();
    }
    answers
}

/// UDP (-U): the same framed answers as memcached, cut into the same datagrams; requests in
/// several datagrams dropped; an answer per request. (Binary over UDP is left out: memcached
/// answers it or not depending on which worker thread the datagram reaches.)
#[test]
fn udp_answers_match_memcached() {
    let their_port = free_udp_port();
    let memcached = Memcached::start(&["-U", &their_port.to_string()]);
    let our_port = free_udp_port();
    let _ours = Embedded::start(ServerConfig {
        udp_port: our_port,
        ..ServerConfig::default()
    });
    let frame = |id: u16, seq: u16, count: u16, payload: &[u8]| {
        let mut d = Vec::new();
        for n in [id, seq, count, 0] {
            d.extend_from_slice(&n.to_be_bytes());
        }
        d.extend_from_slice(payload);
        d
    };
    let big = format!("set b 0 0 3000\r\n{}\r\n", "y".repeat(3000));
    let datagrams = [
        frame(7, 0, 1, b"set a 0 0 1\r\nx\r\n"),
        frame(7, 0, 1, b"get a\r\n"),
        frame(8, 0, 1, big.as_bytes()),
        frame(9, 0, 1, b"get b a\r\n"),
        frame(10, 0, 2, b"get a\r\n"),
        frame(11, 1, 1, b"get a\r\n"),
        frame(12, 0, 1, b"get a\r\nbogus\r\ndelete nope\r\n"),
        frame(13, 0, 1, b"set c 0 0 5\r\nab"),
        frame(15, 0, 1, b"GET / HTTP/1.0\r\n"),
        vec![1, 2, 3],
    ];
    for datagram in datagrams {
        let theirs = udp_exchange(SocketAddr::from(([127, 0, 0, 1], their_port)), &datagram);
        let mine = udp_exchange(SocketAddr::from(([127, 0, 0, 1], our_port)), &datagram);
        let show = |answers: &[Vec<u8>]| -> Vec<String> {
            answers
                .iter()
                .map(|d| format!("{:?} {} bytes", &d[..8.min(d.len())], d.len()))
                .collect()
        };
        assert!(
            mine == theirs,
            "{:?}: memcached {:?}, memshark {:?}",
            String::from_utf8_lossy(&datagram[..datagram.len().min(40)]),
            show(&theirs),
            show(&mine)
        );
    }
    drop(memcached);
}

/// `stats` names every figure memcached's does that memshark keeps, in memcached's order, and
/// the counters agree after the same requests.
#[test]
fn stats_follow_memcacheds_names_order_and_counts() {
    let memcached = Memcached::start(&["-m", "64"]);
    let ours = Embedded::start(ServerConfig::default());
    let script = format!(
        "set a 0 0 1\r\nx\r\nget a b\r\ntouch a 0\r\ntouch b 0\r\ndelete a\r\ndelete a\r\n\
         incr n 1\r\nset n 0 0 1\r\n1\r\nincr n 1\r\ndecr n 1\r\ncas n 0 0 1 1\r\nx\r\n\
         mg n v\r\nset big 0 0 {n}\r\n{v}\r\nflush_all\r\nstats\r\nmn\r\n",
        n = 2_000_000,
        v = "v".repeat(2_000_000)
    );
    let mut reports = Vec::new();
    for addr in [memcached.addr(), ours.addr()] {
        let answer = exchange(addr, script.as_bytes(), b"END\r\nMN\r\n");
        let stats: Vec<(String, String)> = String::from_utf8_lossy(&answer)
            .lines()
            .filter_map(|l| {
                let mut t = l.splitn(3, ' ');
                (t.next() == Some("STAT")).then(|| {
                    (
                        t.next().unwrap_or_default().to_string(),
                        t.next().unwrap_or_default().to_string(),
                    )
                })
            })
            .collect();
        reports.push(stats);
    }
    let theirs: Vec<&str> = reports[0].iter().map(|(n, _)| n.as_str()).collect();
    let positions: Vec<usize> = reports[1]
        .iter()
        .map(|(n, _)| {
            theirs
                .iter()
                .position(|t| t == n)
                .unwrap_or_else(|| panic!("memcached has no stat {n}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "not in memcached's order"
    );
    let value = |r: &[(String, String)], name: &str| {
        r.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    for name in [
        "cmd_get",
        "cmd_set",
        "cmd_flush",
        "cmd_touch",
        "cmd_meta",
        "get_hits",
        "get_misses",
        "delete_misses",
        "delete_hits",
        "incr_misses",
        "incr_hits",
        "decr_hits",
        "cas_badval",
        "touch_hits",
        "touch_misses",
        "store_too_large",
        "total_items",
        "curr_connections",
        "max_connections",
        "limit_maxbytes",
        "threads",
    ] {
        assert_eq!(
            value(&reports[1], name),
            value(&reports[0], name),
            "stat {name}"
        );
    }
}

/// `stats sizes_enable|sizes_disable` and the histogram, as memcached answers them (status
/// lines without `END` included).
#[test]
fn stats_sizes_match_memcached() {
    let memcached = Memcached::start(&[]);
    let ours = Embedded::start(ServerConfig::default());
    let script = format!(
        "set a 0 0 1\r\nx\r\nstats sizes\r\nstats sizes_enable\r\nstats sizes\r\n\
         stats sizes_enable\r\nset d 0 0 2000\r\n{}\r\nset e 5 0 31\r\n{}\r\ndelete a\r\n\
         incr n 1\r\nset n 0 0 1\r\n9\r\nincr n 1\r\nstats sizes\r\nstats sizes_disable\r\n\
         stats sizes\r\nstats sizes_disable\r\nmn\r\n",
        "w".repeat(2000),
        "z".repeat(31)
    );
    let theirs = exchange(memcached.addr(), script.as_bytes(), b"MN\r\n");
    let mine = exchange(ours.addr(), script.as_bytes(), b"MN\r\n");
    assert_same_lines(&masked_lines(&theirs, &[]), &masked_lines(&mine, &[]));
}
