//! Vectors and properties for the text and meta protocols.

use bytes::BytesMut;
use proptest::prelude::*;

use super::*;
use crate::meta;

fn limits() -> ParseLimits {
    ParseLimits::default()
}

fn req(buf: &[u8]) -> (Request<'_>, usize) {
    Request::parse(buf, &limits())
        .expect("valid")
        .complete()
        .expect("complete")
}

fn resp(buf: &[u8]) -> (Response<'_>, usize) {
    Response::parse(buf, &limits())
        .expect("valid")
        .complete()
        .expect("complete")
}

fn encode_req(r: &Request<'_>) -> Vec<u8> {
    let mut out = BytesMut::new();
    r.encode(&mut out);
    out.to_vec()
}

fn encode_resp(r: &Response<'_>) -> Vec<u8> {
    let mut out = BytesMut::new();
    r.encode(&mut out);
    out.to_vec()
}

/// Every request vector parses to the expected command and encodes back to the same bytes.
#[test]
fn request_vectors_round_trip() {
    let vectors: &[(&[u8], &str)] = &[
        (b"set foo 0 0 3\r\nbar\r\n", "set"),
        (b"add foo 5 100 3 noreply\r\nbar\r\n", "add"),
        (b"replace foo 1 -1 0\r\n\r\n", "replace"),
        (b"append foo 0 0 1\r\nx\r\n", "append"),
        (b"prepend foo 0 0 1\r\nx\r\n", "prepend"),
        (b"cas foo 0 0 3 12345\r\nbar\r\n", "cas"),
        (b"get a b c\r\n", "get"),
        (b"gets a\r\n", "gets"),
        (b"gat 100 a b\r\n", "gat"),
        (b"gats 100 a\r\n", "gats"),
        (b"delete foo noreply\r\n", "delete"),
        (b"incr n 18446744073709551615\r\n", "incr"),
        (b"decr n 1 noreply\r\n", "decr"),
        (b"touch foo 10\r\n", "touch"),
        (b"stats\r\n", "stats"),
        (b"stats slabs\r\n", "stats"),
        (b"flush_all\r\n", "flush_all"),
        (b"flush_all 10 noreply\r\n", "flush_all"),
        (b"version\r\n", "version"),
        (b"verbosity 1\r\n", "verbosity"),
        (b"quit\r\n", "quit"),
        (b"mg foo v t O123\r\n", "mg"),
        (b"ms foo 3 T30 F5\r\nbar\r\n", "ms"),
        (b"md foo q\r\n", "md"),
        (b"ma foo MI D5\r\n", "ma"),
        (b"mn\r\n", "mn"),
        (b"me foo\r\n", "me"),
    ];
    for &(bytes, name) in vectors {
        let (r, len) = req(bytes);
        assert_eq!(len, bytes.len(), "{}", String::from_utf8_lossy(bytes));
        assert_eq!(r.command_name(), name);
        assert_eq!(encode_req(&r), bytes, "{r}");
    }
}

#[test]
fn request_fields() {
    let (r, _) = req(b"cas k 4294967295 -1 3 99 noreply\r\nabc\r\n");
    assert_eq!(
        r,
        Request::Store {
            command: StoreCommand::Cas,
            key: b"k",
            flags: u32::MAX,
            exptime: -1,
            cas: Some(99),
            noreply: true,
            data: b"abc",
        }
    );
    let (r, _) = req(b"gat 30 a bb ccc\r\n");
    let Request::Get {
        command,
        exptime,
        keys,
    } = r
    else {
        panic!("get");
    };
    assert_eq!((command, exptime), (GetCommand::Gat, Some(30)));
    assert_eq!(
        keys.iter().collect::<Vec<_>>(),
        vec![&b"a"[..], b"bb", b"ccc"]
    );
    // Flags of more than 5 digits (Wireshark's parser gives up on these).
    let (r, _) = req(b"set k 1234567 0 1\r\nx\r\n");
    assert!(matches!(r, Request::Store { flags: 1234567, .. }));
    // A bare \n ends a line, as memcached accepts.
    let (r, len) = req(b"get a\nget b\n");
    assert_eq!((r.key(), len), (Some(&b"a"[..]), 6));
    let (r, _) = req(b"delete k 0\r\n");
    assert_eq!(
        r,
        Request::Delete {
            key: b"k",
            noreply: false
        }
    );
}

/// Every response vector parses to the expected word and encodes back to the same bytes.
#[test]
fn response_vectors_round_trip() {
    let vectors: &[(&[u8], &str)] = &[
        (b"VALUE foo 5 3\r\nbar\r\n", "VALUE"),
        (b"VALUE foo 5 3 777\r\nbar\r\n", "VALUE"),
        (b"END\r\n", "END"),
        (b"STORED\r\n", "STORED"),
        (b"NOT_STORED\r\n", "NOT_STORED"),
        (b"EXISTS\r\n", "EXISTS"),
        (b"NOT_FOUND\r\n", "NOT_FOUND"),
        (b"DELETED\r\n", "DELETED"),
        (b"TOUCHED\r\n", "TOUCHED"),
        (b"OK\r\n", "OK"),
        (b"RESET\r\n", "RESET"),
        (b"ERROR\r\n", "ERROR"),
        (b"CLIENT_ERROR bad data chunk\r\n", "CLIENT_ERROR"),
        (
            b"SERVER_ERROR object too large for cache\r\n",
            "SERVER_ERROR",
        ),
        (b"STAT pid 1234\r\n", "STAT"),
        (b"STAT version 1.6.21\r\n", "STAT"),
        (b"42\r\n", "NUMBER"),
        (b"VERSION 1.6.21\r\n", "VERSION"),
        (b"HD\r\n", "HD"),
        (b"HD O123 c99\r\n", "HD"),
        (b"VA 3 t-1 f5\r\nbar\r\n", "VA"),
        (b"EN\r\n", "EN"),
        (b"NF\r\n", "NF"),
        (b"NS\r\n", "NS"),
        (b"EX\r\n", "EX"),
        (b"MN\r\n", "MN"),
        (b"ME foo exp=-1 la=1 cas=2 fetch=no cls=1 size=63\r\n", "ME"),
    ];
    for &(bytes, word) in vectors {
        let (r, len) = resp(bytes);
        assert_eq!(len, bytes.len(), "{}", String::from_utf8_lossy(bytes));
        assert_eq!(r.word(), word);
        assert_eq!(encode_resp(&r), bytes, "{r}");
    }
}

/// Regression for Wireshark's first-message-only decode: a pipelined segment holds three answers.
#[test]
fn pipelined_answers_are_three_messages() {
    let buf = b"STORED\r\nVALUE k 0 1\r\nx\r\nEND\r\n";
    let (a, n1) = resp(buf);
    let (b, n2) = resp(&buf[n1..]);
    let (c, n3) = resp(&buf[n1 + n2..]);
    assert_eq!((a.word(), b.word(), c.word()), ("STORED", "VALUE", "END"));
    assert_eq!(n1 + n2 + n3, buf.len());
}

#[test]
fn incomplete_says_how_much_more() {
    assert_eq!(
        Request::parse(b"get fo", &limits()),
        Ok(Parsed::Incomplete { needed: None })
    );
    assert_eq!(
        Request::parse(b"set foo 0 0 10\r\nabc", &limits()),
        Ok(Parsed::Incomplete { needed: Some(9) })
    );
    assert_eq!(
        Response::parse(b"VALUE k 0 4\r\nab", &limits()),
        Ok(Parsed::Incomplete { needed: Some(4) })
    );
    assert_eq!(
        Request::parse(b"ms k 2\r\n", &limits()),
        Ok(Parsed::Incomplete { needed: Some(4) })
    );
}

#[test]
fn malformed_input_says_what_to_skip() {
    let cases: &[(&[u8], ErrorKind, usize)] = &[
        (b"bogus command\r\nget a\r\n", ErrorKind::UnknownCommand, 15),
        (b"set k x 0 1\r\nx\r\n", ErrorKind::BadFormat, 13),
        (b"set k 0 0 1\r\nxyz\r\n", ErrorKind::BadDataChunk, 16),
        (b"incr k abc\r\n", ErrorKind::InvalidDelta, 12),
        (b"mg k 9x\r\n", ErrorKind::InvalidFlag, 9),
        (b"mg !!!! b\r\n", ErrorKind::InvalidBase64Key, 11),
        (b"\r\n", ErrorKind::UnknownCommand, 2),
    ];
    for &(bytes, kind, skip) in cases {
        let e = Request::parse(bytes, &limits()).unwrap_err();
        assert_eq!(
            (e.kind, e.skip),
            (kind, skip),
            "{}",
            String::from_utf8_lossy(bytes)
        );
    }
    // Too large: the data block is swallowed too, even before it has arrived.
    let small = ParseLimits {
        max_value: 4,
        ..limits()
    };
    let e = Request::parse(b"set k 0 0 100\r\n", &small).unwrap_err();
    assert_eq!((e.kind, e.skip), (ErrorKind::TooLarge, 15 + 102));
    assert_eq!(e.kind.reply(), "SERVER_ERROR object too large for cache");
}

#[test]
fn key_and_line_limits() {
    use crate::limits::{KEY_MAX_LEN, LINE_MAX_LEN};
    let longest = "k".repeat(KEY_MAX_LEN);
    let too_long = "k".repeat(KEY_MAX_LEN + 1);
    let ok = format!("get {longest}\r\n");
    assert!(Request::parse(ok.as_bytes(), &limits()).is_ok());
    let long = format!("get {too_long}\r\n");
    assert_eq!(
        Request::parse(long.as_bytes(), &limits()).unwrap_err().kind,
        ErrorKind::KeyTooLong
    );
    let endless = vec![b'a'; LINE_MAX_LEN + 1000];
    let e = Request::parse(&endless, &limits()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::LineTooLong);
    assert!(e.skip > 0);
    // Just under the limit without a newline: still waiting.
    assert_eq!(
        Request::parse(&endless[..LINE_MAX_LEN], &limits()),
        Ok(Parsed::Incomplete { needed: None })
    );
}

#[test]
fn meta_flags_and_base64_keys() {
    let (r, _) = req(b"mg dXNlcjox b v t O42 T30 q\r\n");
    let Request::Meta(m) = r else { panic!("meta") };
    assert_eq!(m.command, meta::Command::Get);
    assert_eq!(&*m.decoded_key().unwrap(), b"user:1");
    assert_eq!(m.flags.opaque(), Some(&b"42"[..]));
    assert_eq!(m.flags.get(b'T'), Some(&b"30"[..]));
    assert!(m.flags.is_quiet());
    let (r, _) = resp(b"VA 2 O42 f7\r\nhi\r\n");
    let Response::Meta(m) = r else { panic!("meta") };
    assert_eq!(m.data, Some(&b"hi"[..]));
    assert_eq!(m.flags.get(b'f'), Some(&b"7"[..]));
}

#[test]
fn sniffing_words() {
    assert!(looks_like_ascii_command(b"get foo\r\n"));
    assert!(looks_like_ascii_command(b"mn\r\n"));
    assert!(!looks_like_ascii_command(b"getx foo\r\n"));
    assert!(!looks_like_ascii_command(b"\x80\x00"));
    assert!(looks_like_ascii_response(b"END\r\n"));
    assert!(looks_like_ascii_response(b"123\r\n"));
    assert!(!looks_like_ascii_response(b"ENDING\r\n"));
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(prop::char::range('!', '~'), 1..40)
        .prop_map(|cs| cs.into_iter().map(|c| c as u8).collect())
}

fn data() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..300)
}

fn meta_flags() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        (
            prop::char::range('a', 'z'),
            proptest::option::of(0u32..100000),
        ),
        0..5,
    )
    .prop_map(|fs| {
        fs.into_iter()
            // `b` would make the key base64, which the generated keys are not.
            .map(|(c, t)| (if c == 'b' { 'v' } else { c }, t))
            .map(|(c, t)| match t {
                Some(t) => format!("{c}{t}"),
                None => c.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// Owned inputs from which every kind of request is built.
#[derive(Debug, Clone)]
struct Inputs {
    keys: Vec<Vec<u8>>,
    data: Vec<u8>,
    n: u64,
    exptime: i64,
    flags: u32,
    noreply: bool,
    meta_flags: String,
}

fn inputs() -> impl Strategy<Value = Inputs> {
    (
        proptest::collection::vec(key(), 1..5),
        data(),
        any::<u64>(),
        -10i64..10_000_000,
        any::<u32>(),
        any::<bool>(),
        meta_flags(),
    )
        .prop_map(
            |(keys, data, n, exptime, flags, noreply, meta_flags)| Inputs {
                keys,
                data,
                n,
                exptime,
                flags,
                noreply,
                meta_flags,
            },
        )
}

fn all_requests<'a>(i: &'a Inputs, keyline: &'a [u8]) -> Vec<Request<'a>> {
    let k = &i.keys[0][..];
    let mut out = Vec::new();
    for command in [
        StoreCommand::Set,
        StoreCommand::Add,
        StoreCommand::Replace,
        StoreCommand::Append,
        StoreCommand::Prepend,
        StoreCommand::Cas,
    ] {
        out.push(Request::Store {
            command,
            key: k,
            flags: i.flags,
            exptime: i.exptime,
            cas: (command == StoreCommand::Cas).then_some(i.n),
            noreply: i.noreply,
            data: &i.data,
        });
    }
    for command in [
        GetCommand::Get,
        GetCommand::Gets,
        GetCommand::Gat,
        GetCommand::Gats,
    ] {
        out.push(Request::Get {
            command,
            exptime: matches!(command, GetCommand::Gat | GetCommand::Gats).then_some(i.exptime),
            keys: Keys::from_line_section(keyline),
        });
    }
    out.push(Request::Delete {
        key: k,
        noreply: i.noreply,
    });
    out.push(Request::Arithmetic {
        incr: i.noreply,
        key: k,
        delta: i.n,
        noreply: i.noreply,
    });
    out.push(Request::Touch {
        key: k,
        exptime: i.exptime,
        noreply: i.noreply,
    });
    out.push(Request::Stats { args: b"" });
    out.push(Request::Stats { args: keyline });
    out.push(Request::FlushAll {
        delay: Some(i.exptime),
        noreply: i.noreply,
    });
    out.push(Request::Version);
    out.push(Request::Quit);
    out.push(Request::Verbosity {
        level: i.flags,
        noreply: i.noreply,
    });
    let mf = i.meta_flags.as_bytes();
    for c in [
        meta::Command::Get,
        meta::Command::Delete,
        meta::Command::Arithmetic,
        meta::Command::Debug,
    ] {
        out.push(Request::Meta(meta::Request::new(c, k, mf)));
    }
    out.push(Request::Meta(meta::Request::new(
        meta::Command::Noop,
        b"",
        mf,
    )));
    out.push(Request::Meta(meta::Request {
        data: Some(&i.data),
        ..meta::Request::new(meta::Command::Set, k, mf)
    }));
    out
}

fn all_responses(i: &Inputs) -> Vec<Response<'_>> {
    let k = &i.keys[0][..];
    let mf = i.meta_flags.as_bytes();
    let mut out = vec![
        Response::Value {
            key: k,
            flags: i.flags,
            cas: i.noreply.then_some(i.n),
            data: &i.data,
        },
        Response::End,
        Response::Stored,
        Response::NotStored,
        Response::Exists,
        Response::NotFound,
        Response::Deleted,
        Response::Touched,
        Response::Ok,
        Response::Reset,
        Response::Error,
        Response::ClientError(k),
        Response::ServerError(k),
        Response::Stat { name: k, value: k },
        Response::Number(i.n),
        Response::Version(k),
        Response::Meta(meta::Response::value(&i.data, mf)),
    ];
    for code in [
        meta::ResponseCode::Hd,
        meta::ResponseCode::En,
        meta::ResponseCode::Nf,
        meta::ResponseCode::Ns,
        meta::ResponseCode::Ex,
        meta::ResponseCode::Mn,
    ] {
        out.push(Response::Meta(meta::Response::new(code, mf)));
    }
    out
}

proptest! {
    #[test]
    fn every_request_round_trips(i in inputs()) {
        let keyline = i.keys.join(&b' ');
        for r in all_requests(&i, &keyline) {
            let bytes = encode_req(&r);
            let (parsed, len) = req(&bytes);
            prop_assert_eq!(len, bytes.len());
            prop_assert_eq!(&parsed, &r);
        }
    }

    #[test]
    fn every_response_round_trips(i in inputs()) {
        for r in all_responses(&i) {
            let bytes = encode_resp(&r);
            let (parsed, len) = resp(&bytes);
            prop_assert_eq!(len, bytes.len());
            prop_assert_eq!(&parsed, &r);
        }
    }

    /// Any prefix of a message is incomplete, never a different message or an error; a stream
    /// of several messages parses to the same messages however it is fed.
    #[test]
    fn any_split_point_gives_the_same_result(i in inputs(), cut in any::<prop::sample::Index>()) {
        let keyline = i.keys.join(&b' ');
        let reqs = all_requests(&i, &keyline);
        let mut stream = Vec::new();
        for r in &reqs {
            stream.extend_from_slice(&encode_req(r));
        }
        let first_len = encode_req(&reqs[0]).len();
        let cut = cut.index(first_len);
        let incomplete = matches!(Request::parse(&stream[..cut], &limits()), Ok(Parsed::Incomplete { .. }));
        prop_assert!(incomplete);
        let mut at = 0;
        let mut n = 0;
        while at < stream.len() {
            let (r, len) = req(&stream[at..]);
            prop_assert_eq!(&r, &reqs[n]);
            at += len;
            n += 1;
        }
        prop_assert_eq!(n, reqs.len());
        let resps = all_responses(&i);
        let mut stream = Vec::new();
        for r in &resps {
            stream.extend_from_slice(&encode_resp(r));
        }
        for r in &resps {
            let bytes = encode_resp(r);
            for cut in 0..bytes.len() {
                let incomplete = matches!(Response::parse(&bytes[..cut], &limits()), Ok(Parsed::Incomplete { .. }));
                prop_assert!(incomplete, "cut {} of {:?}", cut, r);
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_always_progress(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        for parse in [
            |b: &[u8]| Request::parse(b, &ParseLimits { max_line: 64, max_key: 16, max_value: 64 }).map(|p| p.complete().map(|(r, n)| (r.to_string(), n))),
            |b: &[u8]| Response::parse(b, &ParseLimits { max_line: 64, max_key: 16, max_value: 64 }).map(|p| p.complete().map(|(r, n)| (r.to_string(), n))),
        ] {
            let mut at = 0;
            while at < bytes.len() {
                match parse(&bytes[at..]) {
                    Ok(Some((_, n))) => { prop_assert!(n > 0); at += n; }
                    Ok(None) => break,
                    Err(e) => { prop_assert!(e.skip > 0); at += e.skip; }
                }
            }
        }
    }
}
