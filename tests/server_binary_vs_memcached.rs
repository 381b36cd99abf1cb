//! The embedded server against memcached itself, over the binary protocol: every case sends
//! the same bytes to both and the answers must match (CAS values and the version text aside).

mod support;

use bytes::BytesMut;
use memshark::protocol::binary::{BinaryCodec, CounterExtras, Opcode, Request, Response, Status};
use memshark::server::ServerConfig;
use support::{closes_after, exchange, Embedded, Memcached};
use tokio_util::codec::Decoder;

/// One answer, with what may legitimately differ between servers normalised away.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    opcode: Opcode,
    status: Status,
    opaque: u32,
    extras: Vec<u8>,
    key: Vec<u8>,
    value: Vec<u8>,
    has_cas: bool,
}

fn answers(bytes: &[u8]) -> Vec<Answer> {
    let mut buf = BytesMut::from(bytes);
    let mut codec = BinaryCodec::default();
    let mut out = Vec::new();
    while let Ok(Some(p)) = codec.decode(&mut buf) {
        let value = if p.opcode() == Opcode::Version {
            b"<version>".to_vec()
        } else {
            p.value().to_vec()
        };
        out.push(Answer {
            opcode: p.opcode(),
            status: p.status(),
            opaque: p.opaque(),
            extras: p.extras().to_vec(),
            key: p.key().to_vec(),
            value,
            has_cas: p.cas() != 0,
        });
    }
    assert!(buf.is_empty(), "trailing bytes: {:?}", &buf[..]);
    out
}

fn wire(reqs: &[Request]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, r) in reqs.iter().enumerate() {
        out.extend_from_slice(&r.clone().with_opaque(100 + i as u32).to_bytes());
    }
    // The NOOP sentinel: its answer is the last thing read.
    out.extend_from_slice(&Request::noop().with_opaque(0xfeed).to_bytes());
    out
}

fn sentinel() -> Vec<u8> {
    Response::ok(Opcode::Noop)
        .with_opaque(0xfeed)
        .to_bytes()
        .to_vec()
}

fn cases() -> Vec<(&'static str, Vec<Request>)> {
    use Opcode::*;
    let big = vec![b'x'; memshark::protocol::limits::ITEM_SIZE_MAX_DEFAULT + 1];
    vec![
        ("get miss", vec![Request::get(b"b1")]),
        (
            "set then get, getk, getq, getkq",
            vec![
                Request::set(b"b2", b"hello", 0xdeadbeef, 0),
                Request::get(b"b2"),
                Request::get_with(GetK, b"b2"),
                Request::get_with(GetQ, b"b2"),
                Request::get_with(GetKQ, b"b2"),
            ],
        ),
        (
            "quiet misses are silent, getk miss echoes the key",
            vec![
                Request::get_with(GetQ, b"b3"),
                Request::get_with(GetKQ, b"b3"),
                Request::get_with(GetK, b"b3"),
            ],
        ),
        (
            "add on existing, replace on missing, append/prepend missing",
            vec![
                Request::set(b"b4", b"v", 0, 0),
                Request::add(b"b4", b"v", 0, 0),
                Request::replace(b"b4-missing", b"v", 0, 0),
                Request::append(b"b4-missing", b"v"),
                Request::prepend(b"b4-missing", b"v"),
                Request::append(b"b4", b">"),
                Request::prepend(b"b4", b"<"),
                Request::get(b"b4"),
            ],
        ),
        (
            "quiet stores answer only errors",
            vec![
                Request::store(SetQ, b"b5", b"v", 1, 0),
                Request::store(AddQ, b"b5", b"v", 1, 0),
                Request::store(ReplaceQ, b"b5-missing", b"v", 1, 0),
                Request::get(b"b5"),
            ],
        ),
        (
            "cas mismatch and cas on missing",
            vec![
                Request::set(b"b6", b"v", 0, 0),
                Request::set(b"b6", b"w", 0, 0).with_cas(1),
                Request::set(b"b6-missing", b"w", 0, 0).with_cas(1),
                Request::delete(b"b6").with_cas(1),
                Request::get(b"b6"),
            ],
        ),
        (
            "counters: create, wrap, floor, no-create, non-numeric",
            vec![
                Request::incr(b"b7", 5, 10, 0),
                Request::incr(b"b7", 5, 10, 0),
                Request::decr(b"b7", 100, 0, 0),
                Request::incr(b"b7-none", 1, 0, CounterExtras::NO_CREATE),
                Request::set(b"b7-max", b"18446744073709551615", 0, 0),
                Request::incr(b"b7-max", 2, 0, 0),
                Request::set(b"b7-text", b"abc", 0, 0),
                Request::incr(b"b7-text", 1, 0, 0),
                Request::counter(IncrementQ, b"b7", 1, 0, 0),
                Request::get(b"b7"),
            ],
        ),
        (
            "delete, deleteq, delete missing",
            vec![
                Request::set(b"b8", b"v", 0, 0),
                Request::new(DeleteQ, b"", b"b8", b""),
                Request::delete(b"b8"),
            ],
        ),
        (
            "touch and gat family",
            vec![
                Request::set(b"b9", b"v", 3, 0),
                Request::touch(b"b9", 100),
                Request::touch(b"b9-missing", 100),
                Request::gat(Gat, b"b9", 100),
                Request::gat(GatK, b"b9", 100),
                Request::gat(GatQ, b"b9-missing", 100),
                Request::gat(GatKQ, b"b9-missing", 100),
                Request::gat(Gat, b"b9-missing", 100),
            ],
        ),
        (
            "version, unknown opcode, unknown stat group",
            vec![
                Request::version(),
                Request::new(Opcode::Unknown(0x55), b"", b"", b""),
                Request::stat(Some(b"no-such-group")),
            ],
        ),
        (
            "value too large is refused and the stream stays in sync",
            vec![Request::set(b"b10", &big, 0, 0), Request::get(b"b10")],
        ),
        (
            "wrong extras length is EINVAL",
            vec![
                Request::new(Set, b"", b"b11", b"v"),
                Request::new(Get, &[0, 0, 0, 0], b"b11", b""),
            ],
        ),
        (
            "expired on arrival (negative via absolute past)",
            vec![
                Request::set(b"b12", b"v", 0, 3_000_000),
                Request::get(b"b12"),
            ],
        ),
        (
            "flush then get",
            vec![
                Request::set(b"b13", b"v", 0, 0),
                Request::flush(None),
                Request::get(b"b13"),
                Request::new(FlushQ, b"", b"", b""),
            ],
        ),
        (
            "stat detail on, dump, off; reset; sizes; conns is text-only",
            vec![
                Request::stat(Some(b"detail on")),
                Request::set(b"b14:a", b"v", 0, 0),
                Request::get(b"b14:a"),
                Request::get(b"b14:b"),
                Request::stat(Some(b"detail dump")),
                Request::stat(Some(b"detail off")),
                Request::stat(Some(b"detail")),
                Request::stat(Some(b"detail x")),
                Request::stat(Some(b"reset")),
                Request::stat(Some(b"sizes")),
                Request::stat(Some(b"conns")),
            ],
        ),
        (
            "a refused SET removes the old value",
            vec![
                Request::set(b"b15", b"old", 0, 0),
                Request::set(b"b15", &vec![b'x'; 1024 * 1024 - 60], 0, 0),
                Request::get(b"b15"),
            ],
        ),
    ]
}

#[test]
fn binary_answers_match_memcached() {
    let memcached = Memcached::start(&["-m", "64"]);
    let ours = Embedded::start(ServerConfig::default());
    let end = sentinel();
    let mut failures = Vec::new();
    for (name, reqs) in cases() {
        let bytes = wire(&reqs);
        let theirs = answers(&exchange(memcached.addr(), &bytes, &end));
        let mine = answers(&exchange(ours.addr(), &bytes, &end));
        if theirs.is_empty() {
            failures.push(format!("{name}: memcached sent nothing"));
        } else if theirs != mine {
            failures.push(format!(
                "{name}:\n  memcached: {theirs:?}\n  memshark:  {mine:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn stat_packets_share_the_opaque_and_end_empty() {
    let memcached = Memcached::start(&[]);
    let ours = Embedded::start(ServerConfig::default());
    let req = Request::stat(None).with_opaque(77).to_bytes();
    for addr in [memcached.addr(), ours.addr()] {
        let bytes = exchange(addr, &req, &{
            let mut end = Response::ok(Opcode::Stat)
                .with_opaque(77)
                .to_bytes()
                .to_vec();
            end.truncate(24);
            end
        });
        let all = answers(&bytes);
        assert!(all.len() > 10, "{addr}: {} stat packets", all.len());
        assert!(all
            .iter()
            .all(|a| a.opaque == 77 && a.opcode == Opcode::Stat));
        assert!(all.iter().any(|a| a.key == b"pid"));
        assert!(all.iter().any(|a| a.key == b"curr_items"));
        let last = all.last().expect("terminator");
        assert!(last.key.is_empty() && last.value.is_empty());
    }
}

/// memcached 1.6 dropped binary VERBOSITY (it answers UNKNOWN_COMMAND and closes); the
/// protocol still defines it, so memshark answers it as 1.4 did: success, connection kept.
#[test]
fn verbosity_is_served() {
    let ours = Embedded::start(ServerConfig::default());
    let reply = exchange(ours.addr(), &wire(&[Request::verbosity(1)]), &sentinel());
    let all = answers(&reply);
    assert_eq!(all.len(), 2);
    assert_eq!(
        (all[0].opcode, all[0].status),
        (Opcode::Verbosity, Status::NoError)
    );
}

/// Regression: key length larger than the body. memcached waits forever for bytes that can
/// never make sense; memshark answers EINVAL and closes, so the client learns at once.
#[test]
fn inconsistent_lengths_answer_einval_and_close() {
    let ours = Embedded::start(ServerConfig::default());
    let mut bad = Request::get(b"abc").to_bytes().to_vec();
    bad[3] = 10;
    let reply = exchange(ours.addr(), &bad, b"");
    let all = answers(&reply);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, Status::InvalidArguments);
    assert!(closes_after(ours.addr(), &bad));
}

#[test]
fn absurd_body_length_closes_without_allocating() {
    let ours = Embedded::start(ServerConfig::default());
    let mut header = Request::set(b"k", b"v", 0, 0).to_bytes().to_vec();
    header[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
    header.truncate(24);
    assert!(closes_after(ours.addr(), &header));
}

#[test]
fn sasl_plain_gates_everything_but_sasl_and_version() {
    let ours = Embedded::start(ServerConfig {
        sasl: Some(memshark::server::SaslCredentials {
            user: "alice".into(),
            password: "secret".into(),
        }),
        ..ServerConfig::default()
    });
    // Before authentication: VERSION and LIST_MECHS are served, GET is refused and closes.
    let reply = exchange(
        ours.addr(),
        &wire(&[Request::version(), Request::sasl_list_mechs()]),
        &sentinel(),
    );
    let got = answers(&reply);
    assert_eq!(got[0].status, Status::NoError);
    assert_eq!(got[1].value, b"PLAIN");
    // The NOOP sentinel itself is refused before authentication.
    assert_eq!(got[2].status, Status::AuthError);
    assert!(closes_after(ours.addr(), &Request::get(b"k").to_bytes()));
    // Wrong password, then the right one, then normal service on the same connection.
    let reqs = [Request::sasl_plain(b"alice", b"wrong")];
    let got = answers(&exchange(ours.addr(), &wire(&reqs), b""));
    assert_eq!(got[0].status, Status::AuthError);
    let reqs = [
        Request::sasl_plain(b"alice", b"secret"),
        Request::set(b"k", b"v", 0, 0),
        Request::get(b"k"),
    ];
    let got = answers(&exchange(ours.addr(), &wire(&reqs), &sentinel()));
    let statuses: Vec<Status> = got.iter().map(|a| a.status).collect();
    assert_eq!(statuses, vec![Status::NoError; 4]);
    assert_eq!(got[2].value, b"v");
}
