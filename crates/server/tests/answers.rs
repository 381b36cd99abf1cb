//! The server's answers, byte for byte, to scripts covering every command of the three
//! protocols (binary, text, meta), every outcome and every error path, against a golden file.
//!
//! Answers that depend on the moment or the machine (`pid`, `uptime`, `time`, `threads`, the
//! port, bytes read and written, remaining TTLs) are masked; everything else, CAS values
//! included, is compared exactly. Regenerate after an intended change with
//! `UPDATE_GOLDEN=1 cargo test -p memshark-server --test answers` and review the diff.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use memshark_protocol::binary::{CounterExtras, Opcode, Packet, Request};
use memshark_server::storage::ITEM_OVERHEAD;
use memshark_server::{SaslCredentials, Server, ServerConfig, Shared, StoreConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/answers.txt");

/// Stats whose values depend on the moment, the machine or how reads were split.
const MASKED_STATS: &[&str] = &[
    "pid",
    "uptime",
    "time",
    "threads",
    "tcpport",
    "bytes_read",
    "bytes_written",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Proto {
    Text,
    Binary,
}

enum Step {
    Send(Vec<u8>),
    /// Waits for everything sent so far to be answered, then moves the server's clock.
    Advance(i64),
}

struct Script {
    name: &'static str,
    proto: Proto,
    config: ServerConfig,
    steps: Vec<Step>,
}

fn text(name: &'static str, steps: Vec<Step>) -> Script {
    Script {
        name,
        proto: Proto::Text,
        config: ServerConfig::default(),
        steps,
    }
}

fn bin(name: &'static str, steps: Vec<Step>) -> Script {
    Script {
        name,
        proto: Proto::Binary,
        config: ServerConfig::default(),
        steps,
    }
}

fn with_store(mut s: Script, memory_limit: usize, max_item_size: usize) -> Script {
    s.config.store = StoreConfig {
        memory_limit,
        max_item_size,
        ..StoreConfig::default()
    };
    s
}

fn t(s: &str) -> Step {
    Step::Send(s.as_bytes().to_vec())
}

fn raw(b: Vec<u8>) -> Step {
    Step::Send(b)
}

/// Binary requests, concatenated.
fn b(reqs: &[Request]) -> Step {
    let mut out = Vec::new();
    for r in reqs {
        out.extend_from_slice(&r.to_bytes());
    }
    Step::Send(out)
}

fn req(op: Opcode, extras: &[u8], key: &[u8], value: &[u8]) -> Request {
    Request::new(op, extras, key, value)
}

fn store_extras(flags: u32, exptime: u32) -> Vec<u8> {
    let mut e = flags.to_be_bytes().to_vec();
    e.extend_from_slice(&exptime.to_be_bytes());
    e
}

fn counter(op: Opcode, key: &[u8], delta: u64, initial: u64, exptime: u32) -> Request {
    let extras = CounterExtras {
        delta,
        initial,
        exptime,
    }
    .to_bytes();
    req(op, &extras, key, b"")
}

fn text_scripts() -> Vec<Script> {
    let key250 = "k".repeat(250);
    let key251 = "k".repeat(251);
    let big = "x".repeat(1024 * 1024 + 1);
    vec![
        text(
            "text: get, gets, multi-get",
            vec![t(
                "get t1\r\nset t2 5 0 3\r\nabc\r\nget t2\r\ngets t2\r\nget t2 t2-missing t2\r\ngets t2 t1\r\n",
            )],
        ),
        text(
            "text: add, replace, append, prepend",
            vec![t(
                "add t3 0 0 1\r\na\r\nadd t3 0 0 1\r\nb\r\nreplace t3-missing 0 0 1\r\nx\r\n\
                 append t3 9 0 1\r\n>\r\nprepend t3 9 0 1\r\n<\r\nappend t3-missing 0 0 1\r\nx\r\n\
                 prepend t3-missing 0 0 1\r\nx\r\nreplace t3 4 0 2\r\nzz\r\ngets t3\r\n",
            )],
        ),
        text(
            "text: noreply everywhere",
            vec![t(
                "set t4 0 0 1 noreply\r\na\r\nadd t4 0 0 1 noreply\r\nb\r\nreplace t4 0 0 1 noreply\r\n5\r\n\
                 append t4 0 0 1 noreply\r\n0\r\nprepend t4 0 0 1 noreply\r\n1\r\n\
                 cas t4 0 0 1 999 noreply\r\nc\r\nincr t4 1 noreply\r\ndecr t4 2 noreply\r\n\
                 touch t4 10 noreply\r\nget t4\r\ndelete t4 noreply\r\nget t4\r\n\
                 verbosity 1 noreply\r\nflush_all noreply\r\nflush_all 0 noreply\r\nget t4\r\n",
            )],
        ),
        text(
            "text: delete",
            vec![t(
                "set t5 0 0 1\r\na\r\ndelete t5 0\r\ndelete t5\r\nset t5 0 0 1\r\na\r\ndelete t5\r\n",
            )],
        ),
        text(
            "text: incr and decr",
            vec![t(
                "set t6 0 0 2\r\n10\r\nincr t6 5\r\ndecr t6 100\r\nget t6\r\nincr t6-missing 1\r\n\
                 decr t6-missing 1\r\nset t6m 0 0 20\r\n18446744073709551615\r\nincr t6m 2\r\n\
                 set t6t 0 0 3\r\nabc\r\nincr t6t 1\r\nincr t6 abc\r\n\
                 set t6p 0 0 3\r\n100\r\ndecr t6p 95\r\nget t6p\r\nincr t6p 99999\r\ngets t6p\r\n\
                 set t6s 0 0 4\r\n12  \r\nincr t6s 1\r\nset t6l 0 0 21\r\n123456789012345678901\r\n\
                 incr t6l 1\r\nincr t6 18446744073709551616\r\n",
            )],
        ),
        text(
            "text: touch, gat, gats",
            vec![
                t("set t7 3 0 1\r\na\r\ntouch t7 100\r\ntouch t7-missing 100\r\n\
                   gat 100 t7 t7-missing\r\ngats 100 t7\r\ngat 0 t7\r\nset t7e 0 0 1\r\ne\r\n\
                   gat -1 t7e\r\nget t7e\r\nset t7f 0 0 1\r\nf\r\ntouch t7f -1\r\nget t7f\r\n\
                   touch t7 10\r\n"),
                Step::Advance(11),
                t("get t7\r\n"),
            ],
        ),
        text(
            "text: cas",
            vec![t(
                "set t8 0 0 1\r\na\r\ngets t8\r\ncas t8 0 0 1 999\r\nb\r\ncas t8-missing 0 0 1 1\r\nb\r\n\
                 cas t8 0 0 1 0\r\nb\r\ncas t8 7 0 1 1\r\nc\r\ngets t8\r\ncas t8 0 0 1 1\r\nd\r\n",
            )],
        ),
        text(
            "text: expiry",
            vec![
                t("set e1 0 10 1\r\na\r\nset e2 0 -1 1\r\nb\r\nset e3 0 1000000000 1\r\nc\r\n\
                   set e4 0 4000000000 1\r\nd\r\nget e1 e2 e3 e4\r\nset e5 0 0 1\r\nx\r\n\
                   set e5 0 -1 1\r\ny\r\nget e5\r\n"),
                Step::Advance(11),
                t("get e1 e4\r\nadd e1 0 0 1\r\nz\r\nget e1\r\nstats\r\n"),
            ],
        ),
        text(
            "text: flush_all",
            vec![
                t("set f1 0 0 1\r\na\r\nflush_all\r\nget f1\r\nset f2 0 0 1\r\nb\r\nflush_all 0\r\n\
                   get f2\r\nset f3 0 0 1\r\nc\r\nflush_all 10\r\nget f3\r\n"),
                Step::Advance(11),
                t("get f3\r\nset f4 0 0 1\r\nd\r\nget f4\r\nflush_all -5\r\nget f4\r\n"),
            ],
        ),
        text(
            "text: stats groups and reset",
            vec![t(
                "set s1 0 0 1\r\na\r\nget s1\r\nget s2\r\nstats\r\nstats settings\r\n\
                 stats bogus\r\nstats reset\r\nstats\r\nstats  settings \r\n",
            )],
        ),
        text(
            "text: version, verbosity, quit",
            vec![t("version\r\nverbosity 1\r\nverbosity\r\nquit\r\nget never\r\n")],
        ),
        text(
            "text: parse errors",
            vec![
                t("bogus\r\n\r\nset k\r\nget\r\nincr k abc\r\ndelete k 5\r\n"),
                t(&format!("get {key250}\r\nget {key251}\r\nset {key251} 0 0 1\r\na\r\n")),
                t(&format!("get {}\r\nget after\r\n", "k ".repeat(1100))),
                t("set k 0 0 1\r\nabc\r\nget k\r\n"),
                t(&format!("set k 0 0 {}\r\n{big}\r\nget k\r\n", big.len())),
            ],
        ),
        with_store(
            text(
                "text: small items and memory",
                vec![t(&format!(
                    "set s 0 0 100\r\n{}\r\nappend s 0 0 1\r\n!\r\nprepend s 0 0 1\r\n!\r\n\
                     set s 0 0 101\r\n{}\r\nget s\r\n",
                    "a".repeat(100),
                    "b".repeat(101)
                ))],
            ),
            1024 * 1024,
            // memcached's -I counts the whole item: key "s" and a 100-byte value fit, 101 does not.
            100 + ITEM_OVERHEAD + 1,
        ),
        with_store(
            text(
                "text: out of memory",
                vec![t(&format!(
                    "set big 0 0 2000\r\n{}\r\nget big\r\nset small 0 0 1\r\na\r\nget small\r\n",
                    "m".repeat(2000)
                ))],
            ),
            // Less than the 2000-byte value's chunk: no eviction can make room.
            1024,
            1024 * 1024,
        ),
    ]
}

fn meta_scripts() -> Vec<Script> {
    vec![
        text(
            "meta: mg misses",
            vec![t("mg m1 v\r\nmg m1 v q\r\nmg m1 O42 k\r\nmg m1 q O1 k v\r\nmn\r\n")],
        ),
        text(
            "meta: mg flags",
            vec![t(
                "ms m2 3 F7 T0\r\nabc\r\nmg m2 v\r\nmg m2\r\nmg m2 f c s t v k O9\r\nmg m2 s v q\r\n\
                 mg m2 k b\r\nmg bTI= b k v\r\nmg bTI= b v\r\nmg m2 x y z\r\nms m3 1 T100\r\nx\r\n\
                 mg m3 t v\r\nmg m3 T0 t\r\nmg m3 t\r\nmg m3 T-1 v\r\nmg m3 v\r\n",
            )],
        ),
        text(
            "meta: ms modes and flags",
            vec![t(
                "ms n1 1 c\r\na\r\nms n1 1 ME\r\nb\r\nms n1 1 Me O5 k\r\nb\r\nms n1 1 MA\r\n>\r\n\
                 ms n1 1 MP\r\n<\r\nms n1 1 Ma F9\r\n]\r\nmg n1 v f\r\nms n2 1 MR\r\nx\r\n\
                 ms n2 1 Mr q\r\nx\r\nms n2 1 MA\r\nx\r\nms n2 1 MS q\r\ny\r\nms n2 1 MX\r\nz\r\n\
                 mg n2 v c\r\nms n2 1 C999\r\nw\r\nms n3 1 C1\r\nw\r\nms n2 1 C11 c k\r\nw\r\n\
                 ms n2 1 C0\r\nv\r\nms bjQ= 2 b k\r\nb4\r\nmg n4 v\r\nms n5 1 I\r\ni\r\nmg n5 v\r\n\
                 ms n6 2 Fabc Tx Cq\r\nzz\r\nmg n6 f v c\r\nmn\r\n",
            )],
        ),
        with_store(
            text(
                "meta: ms too large",
                vec![t(&format!(
                    "ms l1 100\r\n{}\r\nms l1 1 MA\r\n!\r\nms l1 1 MA q\r\n!\r\nms l1 101\r\n{}\r\nmg l1 s\r\n",
                    "a".repeat(100),
                    "b".repeat(101)
                ))],
            ),
            1024 * 1024,
            100 + ITEM_OVERHEAD + 2,
        ),
        with_store(
            text(
                "meta: ms out of memory",
                vec![t(&format!("ms o1 2000 q\r\n{}\r\nmn\r\n", "m".repeat(2000)))],
            ),
            // Less than the 2000-byte value's chunk: no eviction can make room.
            1024,
            1024 * 1024,
        ),
        text(
            "meta: md",
            vec![t(
                "md d1\r\nmd d1 q\r\nmd d1 O3 k\r\nms d1 1\r\na\r\nmg d1 c\r\nmd d1 C999\r\n\
                 md d1 C999 q\r\nmd d1 C1 O4 k q\r\nmg d1\r\nms d2 1\r\na\r\nmd d2 q\r\nmd d2\r\n\
                 ms bmQz 1 b\r\n3\r\nmd bmQz b k\r\nmn\r\n",
            )],
        ),
        text(
            "meta: ma",
            vec![t(
                "ma a1\r\nma a1 q\r\nma a1 O7 k\r\nma a1 N0 J10 v\r\nma a1 v\r\nma a1 MD v\r\n\
                 ma a1 Md D5 v c\r\nma a1 M- D100 v\r\nma a1 M+ D3 v\r\nma a1 MI v\r\nma a1\r\n\
                 ma a1 q\r\nma a1 v q\r\nma a1 C999\r\nma a1 C999 q\r\nmg a1 c v\r\nma a1 C14 v\r\n\
                 ms a2 3\r\nabc\r\nma a2\r\nma a2 q\r\nma a3 N100 J5 c v k O1\r\nma a4 N0\r\n\
                 mg a4 v\r\nma a5 D-3 N0 J7 v\r\nma a5 Dx v\r\nma a5 J-4 N0 v\r\nma a6 J-4 N0 v\r\n\
                 ma bWE= b v k\r\nma bWE= b N0 J1 v k\r\nmn\r\n",
            )],
        ),
        text(
            "meta: me and mn",
            vec![t(
                "me e1\r\nms e1 5 T100\r\nhello\r\nme e1\r\nms e2 1\r\na\r\nme e2\r\nms ZTM= 2 b\r\nhi\r\n\
                 me ZTM= b\r\nme e3 q\r\nmn\r\nmn\r\n",
            )],
        ),
        text(
            "meta: parse errors",
            vec![t(
                "mg k 4x\r\nmg !!! b\r\nms k\r\nms k abc\r\nmg\r\nma\r\nmd\r\nme\r\nmz k\r\n\
                 ms k 1 v\r\nabc\r\nmg k v\r\nmn\r\n",
            )],
        ),
    ]
}

fn binary_scripts() -> Vec<Script> {
    use Opcode::*;
    let noop = req(Noop, b"", b"", b"");
    vec![
        bin(
            "binary: get family",
            vec![b(&[
                req(Get, b"", b"g1", b"").with_opaque(1),
                req(GetK, b"", b"g1", b"").with_opaque(2),
                req(GetQ, b"", b"g1", b"").with_opaque(3),
                req(GetKQ, b"", b"g1", b"").with_opaque(4),
                req(Set, &store_extras(0xdead_beef, 0), b"g1", b"value").with_opaque(5),
                req(Get, b"", b"g1", b"").with_opaque(6),
                req(GetK, b"", b"g1", b"").with_opaque(7),
                req(GetQ, b"", b"g1", b"").with_opaque(8),
                req(GetKQ, b"", b"g1", b"").with_opaque(9),
                noop.clone().with_opaque(10),
            ])],
        ),
        bin(
            "binary: storage family",
            vec![b(&[
                req(Add, &store_extras(1, 0), b"s1", b"a").with_opaque(1),
                req(Add, &store_extras(1, 0), b"s1", b"b").with_opaque(2),
                req(AddQ, &store_extras(1, 0), b"s1", b"b").with_opaque(3),
                req(Replace, &store_extras(2, 0), b"s1", b"c").with_opaque(4),
                req(Replace, &store_extras(2, 0), b"s2", b"c").with_opaque(5),
                req(ReplaceQ, &store_extras(2, 0), b"s2", b"c").with_opaque(6),
                req(Append, b"", b"s1", b">").with_opaque(7),
                req(Prepend, b"", b"s1", b"<").with_opaque(8),
                req(AppendQ, b"", b"s1", b")").with_opaque(9),
                req(PrependQ, b"", b"s1", b"(").with_opaque(10),
                req(Append, b"", b"s2", b">").with_opaque(11),
                req(Prepend, b"", b"s2", b"<").with_opaque(12),
                req(AppendQ, b"", b"s2", b">").with_opaque(13),
                req(Get, b"", b"s1", b"").with_opaque(14),
                req(SetQ, &store_extras(3, 0), b"s3", b"q").with_opaque(15),
                req(Set, &store_extras(3, 0), b"s3", b"r")
                    .with_opaque(16)
                    .with_cas(999),
                req(Set, &store_extras(3, 0), b"s4", b"r")
                    .with_opaque(17)
                    .with_cas(7),
                req(Set, &store_extras(3, 0), b"s3", b"r")
                    .with_opaque(18)
                    .with_cas(9),
                req(SetQ, &store_extras(3, 0), b"s3", b"s")
                    .with_opaque(19)
                    .with_cas(999),
                req(Add, &store_extras(3, 0), b"s3", b"s")
                    .with_opaque(20)
                    .with_cas(10),
                req(Replace, &store_extras(3, 0), b"s3", b"t")
                    .with_opaque(21)
                    .with_cas(10),
                req(Append, b"", b"s3", b"u").with_opaque(22).with_cas(999),
                req(GetK, b"", b"s3", b"").with_opaque(23),
                req(Set, &store_extras(0, 0), b"s5", b"").with_opaque(24),
                req(Get, b"", b"s5", b"").with_opaque(25),
                req(Set, &store_extras(0, 0xffff_fff0), b"s6", b"x").with_opaque(26),
                req(Get, b"", b"s6", b"").with_opaque(27),
                noop.clone().with_opaque(28),
            ])],
        ),
        bin(
            "binary: delete",
            vec![b(&[
                req(Delete, b"", b"d1", b"").with_opaque(1),
                req(DeleteQ, b"", b"d1", b"").with_opaque(2),
                req(Set, &store_extras(0, 0), b"d1", b"a").with_opaque(3),
                req(Delete, b"", b"d1", b"").with_opaque(4).with_cas(999),
                req(DeleteQ, b"", b"d1", b"").with_opaque(5).with_cas(999),
                req(Delete, b"", b"d1", b"").with_opaque(6).with_cas(1),
                req(Set, &store_extras(0, 0), b"d2", b"a").with_opaque(7),
                req(DeleteQ, b"", b"d2", b"").with_opaque(8),
                req(Get, b"", b"d2", b"").with_opaque(9),
                noop.clone().with_opaque(10),
            ])],
        ),
        bin(
            "binary: incr and decr",
            vec![b(&[
                counter(Increment, b"c1", 1, 0, CounterExtras::NO_CREATE).with_opaque(1),
                counter(IncrementQ, b"c1", 1, 0, CounterExtras::NO_CREATE).with_opaque(2),
                counter(Increment, b"c1", 1, 5, 0).with_opaque(3),
                counter(Increment, b"c1", 10, 5, 0).with_opaque(4),
                counter(Decrement, b"c1", 100, 5, 0).with_opaque(5),
                counter(DecrementQ, b"c1", 1, 5, 0).with_opaque(6),
                counter(IncrementQ, b"c1", 7, 5, 0).with_opaque(7),
                counter(Increment, b"c1", 1, 0, 0)
                    .with_opaque(8)
                    .with_cas(999),
                counter(Increment, b"c1", 1, 0, 0)
                    .with_opaque(9)
                    .with_cas(5),
                req(Get, b"", b"c1", b"").with_opaque(10),
                counter(Decrement, b"c2", 1, 42, 100).with_opaque(11),
                req(Set, &store_extras(0, 0), b"c3", b"x1").with_opaque(12),
                counter(Increment, b"c3", 1, 0, 0).with_opaque(13),
                counter(IncrementQ, b"c3", 1, 0, 0).with_opaque(14),
                req(Set, &store_extras(0, 0), b"c4", b"18446744073709551615").with_opaque(15),
                counter(Increment, b"c4", 2, 0, 0).with_opaque(16),
                req(Get, b"", b"c4", b"").with_opaque(17),
                counter(Decrement, b"c5", 1, 9, 0xffff_fff0).with_opaque(18),
                req(Get, b"", b"c5", b"").with_opaque(19),
                noop.clone().with_opaque(20),
            ])],
        ),
        bin(
            "binary: touch and gat",
            vec![
                b(&[
                    req(Touch, &0u32.to_be_bytes(), b"t1", b"").with_opaque(1),
                    req(Gat, &0u32.to_be_bytes(), b"t1", b"").with_opaque(2),
                    req(GatK, &0u32.to_be_bytes(), b"t1", b"").with_opaque(3),
                    req(GatQ, &0u32.to_be_bytes(), b"t1", b"").with_opaque(4),
                    req(GatKQ, &0u32.to_be_bytes(), b"t1", b"").with_opaque(5),
                    req(Set, &store_extras(5, 0), b"t1", b"a").with_opaque(6),
                    req(Touch, &100u32.to_be_bytes(), b"t1", b"").with_opaque(7),
                    req(Gat, &10u32.to_be_bytes(), b"t1", b"").with_opaque(8),
                    req(GatK, &10u32.to_be_bytes(), b"t1", b"").with_opaque(9),
                    req(GatQ, &10u32.to_be_bytes(), b"t1", b"").with_opaque(10),
                    req(GatKQ, &10u32.to_be_bytes(), b"t1", b"").with_opaque(11),
                    req(Set, &store_extras(5, 0), b"t2", b"b").with_opaque(12),
                    req(Touch, &1_000_000_000u32.to_be_bytes(), b"t2", b"").with_opaque(13),
                    req(Get, b"", b"t2", b"").with_opaque(14),
                    req(Set, &store_extras(5, 0), b"t3", b"c").with_opaque(15),
                    req(GatK, &1_000_000_000u32.to_be_bytes(), b"t3", b"").with_opaque(16),
                    req(Get, b"", b"t3", b"").with_opaque(17),
                ]),
                Step::Advance(11),
                b(&[
                    req(Get, b"", b"t1", b"").with_opaque(18),
                    noop.clone().with_opaque(19),
                ]),
            ],
        ),
        bin(
            "binary: flush",
            vec![
                b(&[
                    req(Set, &store_extras(0, 0), b"f1", b"a").with_opaque(1),
                    req(Flush, b"", b"", b"").with_opaque(2),
                    req(Get, b"", b"f1", b"").with_opaque(3),
                    req(Set, &store_extras(0, 0), b"f2", b"a").with_opaque(4),
                    req(FlushQ, b"", b"", b"").with_opaque(5),
                    req(Get, b"", b"f2", b"").with_opaque(6),
                    req(Set, &store_extras(0, 0), b"f3", b"a").with_opaque(7),
                    req(Flush, &10u32.to_be_bytes(), b"", b"").with_opaque(8),
                    req(Get, b"", b"f3", b"").with_opaque(9),
                ]),
                Step::Advance(11),
                b(&[
                    req(Get, b"", b"f3", b"").with_opaque(10),
                    noop.clone().with_opaque(11),
                ]),
            ],
        ),
        bin(
            "binary: noop, version, verbosity, stat",
            vec![b(&[
                noop.clone().with_opaque(1),
                req(Version, b"", b"", b"").with_opaque(2),
                req(Verbosity, &1u32.to_be_bytes(), b"", b"").with_opaque(3),
                req(Set, &store_extras(0, 0), b"x", b"a").with_opaque(4),
                req(Stat, b"", b"", b"").with_opaque(5),
                req(Stat, b"", b"settings", b"").with_opaque(6),
                req(Stat, b"", b"bogus", b"").with_opaque(7),
                req(Stat, b"", b"reset", b"").with_opaque(8),
                req(Stat, b"", b"\xff\xfe", b"").with_opaque(9),
                req(SaslListMechs, b"", b"", b"").with_opaque(10),
                req(SaslAuth, b"", b"PLAIN", b"\0u\0p").with_opaque(11),
                req(SaslStep, b"", b"PLAIN", b"\0u\0p").with_opaque(12),
                req(Opcode::Unknown(0x60), b"", b"", b"").with_opaque(13),
                req(Opcode::Unknown(0xfe), b"abc", b"key", b"val").with_opaque(14),
                req(Quit, b"", b"", b"").with_opaque(15),
                noop.clone().with_opaque(16),
            ])],
        ),
        bin(
            "binary: quitq",
            vec![b(&[req(QuitQ, b"", b"", b"").with_opaque(1), noop.clone()])],
        ),
        bin(
            "binary: get with extras closes",
            vec![b(&[
                req(Get, b"abcd", b"k", b"").with_opaque(1),
                noop.clone(),
            ])],
        ),
        bin(
            "binary: key too long closes",
            vec![b(&[
                req(Get, b"", &[b'k'; 250], b"").with_opaque(1),
                req(Get, b"", &[b'k'; 251], b"").with_opaque(2),
                noop.clone(),
            ])],
        ),
        bin(
            "binary: shapes",
            vec![b(&[req(Set, b"", b"k", b"v").with_opaque(1), noop.clone()])],
        ),
        bin(
            "binary: shapes 2",
            vec![b(&[
                req(Increment, &[0; 8], b"k", b"").with_opaque(1),
                noop.clone(),
            ])],
        ),
        bin(
            "binary: shapes 3",
            vec![b(&[
                req(Flush, &[0; 4], b"", b"").with_opaque(1),
                req(Version, b"", b"k", b"").with_opaque(2),
                noop.clone(),
            ])],
        ),
        bin(
            "binary: shapes 4",
            vec![b(&[req(Stat, b"", b"", b"v").with_opaque(1), noop.clone()])],
        ),
        bin(
            "binary: response magic closes",
            vec![
                b(&[noop.clone().with_opaque(1)]),
                raw({
                    let mut r = req(Get, b"", b"k", b"").with_opaque(2).to_bytes().to_vec();
                    r[0] = 0x81;
                    r
                }),
            ],
        ),
        bin(
            "binary: bad magic mid-stream",
            vec![
                b(&[noop.clone().with_opaque(1)]),
                raw({
                    let mut r = req(Get, b"", b"k", b"").with_opaque(2).to_bytes().to_vec();
                    r[0] = 0x42;
                    r
                }),
            ],
        ),
        with_store(
            bin(
                "binary: body too large is swallowed",
                vec![
                    b(&[
                        req(Set, &store_extras(0, 0), b"v", b"small").with_opaque(1),
                        req(Set, &store_extras(0, 0), b"v", &[b'x'; 101]).with_opaque(2),
                        req(Get, b"", b"v", b"").with_opaque(3),
                        req(Set, &store_extras(0, 0), b"w", b"small").with_opaque(4),
                        req(Append, b"", b"w", &[b'x'; 96]).with_opaque(5),
                        req(Append, b"", b"w", &[b'x'; 95]).with_opaque(6),
                        req(Get, b"", b"w", b"").with_opaque(7),
                        req(Set, &store_extras(0, 0), b"big", &vec![b'y'; 70_000]).with_opaque(8),
                        req(Get, b"", b"w", b"").with_opaque(9),
                    ]),
                    // The connection closes without writing what is pending: answer the
                    // requests before it first.
                    Step::Advance(0),
                    raw({
                        let mut r = req(Set, &store_extras(0, 0), b"huge", b"")
                            .with_opaque(10)
                            .to_bytes()
                            .to_vec();
                        r[8..12].copy_from_slice(&(200u32 << 20).to_be_bytes());
                        r
                    }),
                ],
            ),
            1024 * 1024,
            100 + ITEM_OVERHEAD + 1,
        ),
        with_store(
            bin(
                "binary: out of memory",
                vec![b(&[
                    req(Set, &store_extras(0, 0), b"big", &[b'm'; 2000]).with_opaque(1),
                    req(SetQ, &store_extras(0, 0), b"big", &[b'm'; 2000]).with_opaque(2),
                    req(Get, b"", b"big", b"").with_opaque(3),
                    noop.clone(),
                ])],
            ),
            // Less than the 2000-byte value's chunk: no eviction can make room.
            1024,
            1024 * 1024,
        ),
        sasl(bin(
            "binary: sasl required",
            vec![b(&[
                req(Version, b"", b"", b"").with_opaque(1),
                req(SaslListMechs, b"", b"", b"").with_opaque(2),
                Request::sasl_plain(b"user", b"wrong").with_opaque(3),
                req(SaslAuth, b"", b"OTHER", b"\0user\0secret").with_opaque(4),
                Request::sasl_plain(b"user", b"secret").with_opaque(5),
                req(Set, &store_extras(0, 0), b"k", b"v").with_opaque(6),
                req(Get, b"", b"k", b"").with_opaque(7),
                req(SaslStep, b"", b"PLAIN", b"\0user\0secret").with_opaque(8),
                noop.clone().with_opaque(9),
            ])],
        )),
        sasl(bin(
            "binary: unauthenticated get closes",
            vec![b(&[req(Get, b"", b"k", b"").with_opaque(1), noop.clone()])],
        )),
        sasl(text(
            "text: with sasl configured",
            vec![t("set k 0 0 1\r\na\r\nget k\r\nstats settings\r\n")],
        )),
    ]
}

fn sasl(mut s: Script) -> Script {
    s.config.sasl = Some(SaslCredentials {
        user: "user".into(),
        password: "secret".into(),
    });
    s
}

/// Reads until `out` ends with `marker`.
async fn read_until(stream: &mut TcpStream, out: &mut Vec<u8>, marker: &[u8]) {
    let mut buf = vec![0u8; 64 * 1024];
    while !out.ends_with(marker) {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

async fn run_script(script: &Script) -> Vec<u8> {
    let mut config = script.config.clone();
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let server = Server::bind(config).await.expect("bind");
    let addr = server.local_addr().expect("addr");
    let shared: Arc<Shared> = server.shared();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = stop_rx.await;
    }));
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut out = Vec::new();
    let sync_noop = req(Opcode::Noop, b"", b"", b"").with_opaque(0x5959_5959);
    let sync_answer = {
        let mut r = memshark_protocol::binary::Response::ok(Opcode::Noop)
            .with_opaque(0x5959_5959)
            .to_bytes()
            .to_vec();
        r.truncate(24);
        r
    };
    for step in &script.steps {
        match step {
            Step::Send(bytes) => stream.write_all(bytes).await.expect("write"),
            Step::Advance(secs) => {
                match script.proto {
                    Proto::Text => {
                        stream.write_all(b"mn\r\n").await.expect("write");
                        read_until(&mut stream, &mut out, b"MN\r\n").await;
                    }
                    Proto::Binary => {
                        stream
                            .write_all(&sync_noop.to_bytes())
                            .await
                            .expect("write");
                        read_until(&mut stream, &mut out, &sync_answer).await;
                    }
                }
                shared.store.clock.advance(*secs);
            }
        }
    }
    let _ = stream.shutdown().await;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
    let _ = stop_tx.send(());
    let _ = task.await;
    out
}

fn escape(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &c in bytes {
        if (0x20..0x7f).contains(&c) && c != b'\\' {
            s.push(c as char);
        } else {
            let _ = write!(s, "\\x{c:02x}");
        }
    }
    s
}

/// `abc` when it is short, else its length and the first bytes.
fn short(bytes: &[u8]) -> String {
    if bytes.len() <= 64 {
        escape(bytes)
    } else {
        format!("<{} bytes: {}…>", bytes.len(), escape(&bytes[..16]))
    }
}

fn render_text(out: &[u8]) -> String {
    let mut s = String::new();
    let text = String::from_utf8_lossy(out);
    let mut rest: &str = &text;
    while !rest.is_empty() {
        let (line, tail) = match rest.find("\r\n") {
            Some(i) => (&rest[..i], &rest[i + 2..]),
            None => (rest, ""),
        };
        rest = tail;
        let toks: Vec<&str> = line.split(' ').collect();
        let line = match toks.as_slice() {
            ["STAT", name, _] if MASKED_STATS.contains(name) => format!("STAT {name} <masked>"),
            [code @ ("HD" | "VA" | "EN" | "NF" | "NS" | "EX"), rest @ ..] => {
                let rest: Vec<String> = rest
                    .iter()
                    .map(|t| match t.strip_prefix('t') {
                        Some(n) if n.parse::<u64>().is_ok() => "t<ttl>".to_string(),
                        _ => t.to_string(),
                    })
                    .collect();
                std::iter::once(code.to_string())
                    .chain(rest)
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            ["ME", ..] => toks
                .iter()
                .map(|t| match t.strip_prefix("exp=") {
                    Some(n) if n != "-1" => "exp=<ttl>".to_string(),
                    _ => t.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" "),
            _ => short(line.as_bytes()),
        };
        s.push_str(&line);
        s.push('\n');
    }
    s
}

fn render_binary(mut out: &[u8]) -> String {
    let mut s = String::new();
    while out.len() >= 24 {
        let p = Packet::new_unchecked(out);
        let len = (24 + p.total_body_len() as usize).min(out.len());
        let p = Packet::new_unchecked(&out[..len]);
        let mut header = p.header().to_vec();
        let masked = p.opcode() == Opcode::Stat
            && std::str::from_utf8(p.key()).is_ok_and(|k| MASKED_STATS.contains(&k));
        if masked {
            header[8..12].fill(0xff);
        }
        let value = if masked {
            "<masked>".to_string()
        } else {
            short(p.value())
        };
        let _ = writeln!(
            s,
            "{} {:?} {} extras={} key={} value={}",
            header
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
            p.opcode(),
            p.status().name(),
            escape(p.extras()),
            escape(p.key()),
            value
        );
        out = &out[len..];
    }
    if !out.is_empty() {
        let _ = writeln!(s, "trailing {}", escape(out));
    }
    s
}

fn all_scripts() -> Vec<Script> {
    let mut all = text_scripts();
    all.extend(meta_scripts());
    all.extend(binary_scripts());
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_match_the_golden_file() {
    let mut rendered = String::new();
    for script in all_scripts() {
        let out = run_script(&script).await;
        let _ = writeln!(rendered, "=== {}", script.name);
        rendered.push_str(&match script.proto {
            Proto::Text => render_text(&out),
            Proto::Binary => render_binary(&out),
        });
    }
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(std::path::Path::new(GOLDEN).parent().expect("dir"))
            .expect("mkdir");
        std::fs::write(GOLDEN, &rendered).expect("write golden");
        return;
    }
    let golden = std::fs::read_to_string(GOLDEN).expect("golden file (UPDATE_GOLDEN=1 makes it)");
    if golden != rendered {
        for (i, (g, r)) in golden.lines().zip(rendered.lines()).enumerate() {
            if g != r {
                panic!(
                    "answers differ from {GOLDEN} at line {}:\n  golden: {g}\n  now:    {r}",
                    i + 1
                );
            }
        }
        panic!(
            "answers differ from {GOLDEN} in length ({} lines golden, {} now)",
            golden.lines().count(),
            rendered.lines().count()
        );
    }
}
