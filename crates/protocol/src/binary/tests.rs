//! Byte-exact vectors (from the binary protocol specification) and properties.

use bytes::Bytes;
#[cfg(feature = "codec")]
use bytes::BytesMut;
use proptest::prelude::*;
#[cfg(feature = "codec")]
use tokio_util::codec::Decoder;

use super::*;

/// GET "Hello" (protocol spec, section "Get").
static GET_REQUEST_BYTES: [u8; 29] = [
    0x80, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, b'H', b'e', b'l', b'l', b'o',
];

/// The GET hit: flags 0xdeadbeef, value "World", CAS 1.
static GET_RESPONSE_BYTES: [u8; 33] = [
    0x81, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef, b'W', b'o', b'r', b'l',
    b'd',
];

/// ADD "Hello" = "World", flags 0xdeadbeef, exptime 7200.
static ADD_REQUEST_BYTES: [u8; 42] = [
    0x80, 0x02, 0x00, 0x05, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x1c, 0x20,
    b'H', b'e', b'l', b'l', b'o', b'W', b'o', b'r', b'l', b'd',
];

/// INCR "counter" by 1, initial 0, exptime 3600.
static INCR_REQUEST_BYTES: [u8; 51] = [
    0x80, 0x05, 0x00, 0x07, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1b, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x10, b'c', b'o', b'u', b'n',
    b't', b'e', b'r',
];

/// The GET miss: status KEY_ENOENT, body "Not found".
static GET_MISS_BYTES: [u8; 33] = [
    0x81, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, b'N', b'o', b't', b' ', b'f', b'o', b'u', b'n',
    b'd',
];

#[test]
fn test_deconstruct_get_request() {
    let p = Packet::new_checked(&GET_REQUEST_BYTES[..]).unwrap();
    assert_eq!(p.magic(), Magic::Request);
    assert_eq!(p.opcode(), Opcode::Get);
    assert_eq!(p.key_len(), 5);
    assert_eq!(p.extras_len(), 0);
    assert_eq!(p.data_type(), 0);
    assert_eq!(p.vbucket(), 0);
    assert_eq!(p.total_body_len(), 5);
    assert_eq!(p.opaque(), 0);
    assert_eq!(p.cas(), 0);
    assert_eq!(p.key(), b"Hello");
    assert_eq!(p.value(), b"");
    assert_eq!(p.typed_extras(), Extras::None);
}

#[test]
fn test_deconstruct_get_response() {
    let p = Packet::new_checked(&GET_RESPONSE_BYTES[..]).unwrap();
    assert_eq!(p.magic(), Magic::Response);
    assert_eq!(p.status(), Status::NoError);
    assert_eq!(p.cas(), 1);
    assert_eq!(p.extras(), &[0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(p.typed_extras(), Extras::Flags(0xdeadbeef));
    assert_eq!(p.key(), b"");
    assert_eq!(p.value(), b"World");
}

#[test]
fn test_construct_matches_spec_vectors() {
    assert_eq!(
        Request::get(b"Hello").as_contiguous(),
        Some(&GET_REQUEST_BYTES[..])
    );
    let add = Request::add(b"Hello", b"World", 0xdeadbeef, 7200);
    assert_eq!(add.as_contiguous(), Some(&ADD_REQUEST_BYTES[..]));
    let incr = Request::incr(b"counter", 1, 0, 3600);
    assert_eq!(incr.as_contiguous(), Some(&INCR_REQUEST_BYTES[..]));
    let hit = Response::get_hit(
        Opcode::Get,
        b"Hello",
        0xdeadbeef,
        Bytes::from_static(b"World"),
    )
    .with_cas(1);
    assert_eq!(&hit.to_bytes()[..], &GET_RESPONSE_BYTES[..]);
    let miss = Response::error(Opcode::Get, Status::KeyNotFound);
    assert_eq!(miss.as_contiguous(), Some(&GET_MISS_BYTES[..]));
}

#[test]
fn test_parse_typed_extras() {
    let add = Packet::new_checked(&ADD_REQUEST_BYTES[..]).unwrap();
    assert_eq!(
        add.typed_extras(),
        Extras::Store(StoreExtras {
            flags: 0xdeadbeef,
            exptime: 7200
        })
    );
    assert_eq!(add.key(), b"Hello");
    assert_eq!(add.value(), b"World");
    let incr = Packet::new_checked(&INCR_REQUEST_BYTES[..]).unwrap();
    assert_eq!(
        incr.typed_extras(),
        Extras::Counter(CounterExtras {
            delta: 1,
            initial: 0,
            exptime: 3600
        })
    );
}

#[test]
fn test_impossible_len() {
    // Key length 6 in a body of 5.
    let mut bytes = GET_REQUEST_BYTES;
    bytes[3] = 6;
    assert!(matches!(
        Packet::new_checked(&bytes[..]),
        Err(Error::BadLengths { .. })
    ));
    // Body declared longer than the buffer.
    assert_eq!(
        Packet::new_checked(&GET_REQUEST_BYTES[..28]),
        Err(Error::Truncated {
            required: 29,
            actual: 28
        })
    );
    assert_eq!(
        Packet::new_checked(&GET_REQUEST_BYTES[..10]),
        Err(Error::Truncated {
            required: 24,
            actual: 10
        })
    );
    let mut bad = GET_REQUEST_BYTES;
    bad[0] = 0x42;
    assert_eq!(Packet::new_checked(&bad[..]), Err(Error::BadMagic(0x42)));
}

#[test]
fn every_opcode_and_status_round_trips_through_the_wire() {
    for &op in Opcode::ALL {
        let r = Request::new(op, b"xy", b"key", b"value").with_opaque(0x01020304);
        let wire = r.to_bytes();
        assert_eq!(wire[1], u8::from(op));
        let p = Packet::new_checked(&wire[..]).unwrap();
        assert_eq!(
            (p.opcode(), p.extras(), p.key(), p.value(), p.opaque()),
            (op, &b"xy"[..], &b"key"[..], &b"value"[..], 0x01020304)
        );
    }
    for &st in Status::ALL {
        let r = Response::error(Opcode::Get, st);
        let wire = r.to_bytes();
        assert_eq!(&wire[6..8], &u16::from(st).to_be_bytes());
        let p = Packet::new_checked(&wire[..]).unwrap();
        assert_eq!(p.status(), st);
        assert_eq!(p.value(), st.message().as_bytes());
    }
}

#[test]
fn flexible_framing_extras_are_skipped_and_exposed() {
    // Magic 0x08, framing extras 2, key len 3, extras 0, body 2+3+1.
    let mut bytes = vec![
        0x08, 0x00, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06,
    ];
    bytes.extend_from_slice(&[0; 12]);
    bytes.extend_from_slice(&[0x21, 0x07, b'k', b'e', b'y', b'v']);
    let p = Packet::new_checked(&bytes[..]).unwrap();
    assert!(p.magic().is_flexible());
    assert_eq!(p.framing_extras(), &[0x21, 0x07]);
    assert_eq!(p.key(), b"key");
    assert_eq!(p.value(), b"v");
}

#[test]
fn check_distinguishes_incomplete_from_malformed() {
    assert_eq!(check(&[], 1024), Ok(FrameCheck::Incomplete { needed: 24 }));
    assert_eq!(
        check(&GET_REQUEST_BYTES[..20], 1024),
        Ok(FrameCheck::Incomplete { needed: 4 })
    );
    assert_eq!(
        check(&GET_REQUEST_BYTES[..26], 1024),
        Ok(FrameCheck::Incomplete { needed: 3 })
    );
    assert_eq!(
        check(&GET_REQUEST_BYTES, 1024),
        Ok(FrameCheck::Complete(29))
    );
    assert_eq!(check(b"get foo\r\n", 1024), Err(Error::BadMagic(b'g')));
    assert_eq!(
        check(&GET_REQUEST_BYTES, 4),
        Err(Error::BodyTooLarge {
            declared: 5,
            max: 4
        })
    );
}

#[cfg(feature = "codec")]
#[test]
fn decoder_refuses_huge_body_without_reserving_it() {
    let mut header = GET_REQUEST_BYTES[..24].to_vec();
    header[8..12].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
    let mut buf = BytesMut::from(&header[..]);
    let mut codec = BinaryCodec::new(1 << 20);
    assert!(codec.decode(&mut buf).is_err());
    assert!(buf.capacity() < 1 << 20);
}

#[test]
fn read_packet_reuses_the_buffer() {
    let mut stream = Vec::new();
    stream.extend_from_slice(&ADD_REQUEST_BYTES);
    stream.extend_from_slice(&GET_REQUEST_BYTES);
    let mut reader = &stream[..];
    let mut buf = Vec::new();
    let p = read_packet(&mut reader, &mut buf, 1024).unwrap();
    assert_eq!(p.opcode(), Opcode::Add);
    let p = read_packet(&mut reader, &mut buf, 1024).unwrap();
    assert_eq!(p.key(), b"Hello");
    assert!(matches!(
        read_packet(&mut reader, &mut buf, 1024),
        Err(ReadError::Io(_))
    ));
}

#[test]
fn resync_finds_the_next_header_after_garbage() {
    let mut stream = b"garbage!".to_vec();
    stream.extend_from_slice(&GET_REQUEST_BYTES);
    assert_eq!(find_next_header(&stream, 1024), 8);
    assert_eq!(find_next_header(b"nothing here", 1024), 12);
}

#[test]
fn display_reads_like_a_log_line() {
    let p = Packet::new_checked(&GET_MISS_BYTES[..]).unwrap();
    assert_eq!(
        p.to_string(),
        r#"GET response status=KEY_ENOENT opaque=0x00000000 value=9B "Not found""#
    );
    let p = Packet::new_checked(&INCR_REQUEST_BYTES[..]).unwrap();
    assert_eq!(
        p.to_string(),
        r#"INCR request key="counter" delta=1 initial=0 exptime=3600 opaque=0x00000000"#
    );
}

fn arb_opcode() -> impl Strategy<Value = Opcode> {
    any::<u8>().prop_map(Opcode::from)
}

prop_compose! {
    fn arb_request()(
        op in arb_opcode(),
        extras in proptest::collection::vec(any::<u8>(), 0..24),
        key in proptest::collection::vec(any::<u8>(), 0..300),
        value in proptest::collection::vec(any::<u8>(), 0..600),
        opaque in any::<u32>(),
        cas in any::<u64>(),
        vbucket in any::<u16>(),
        shared in any::<bool>(),
    ) -> (Request, Vec<u8>, Vec<u8>, Vec<u8>) {
        let r = if shared {
            Request::with_shared_value(op, &extras, &key, Bytes::from(value.clone()))
        } else {
            Request::new(op, &extras, &key, &value)
        };
        (r.with_opaque(opaque).with_cas(cas).with_vbucket(vbucket), extras, key, value)
    }
}

proptest! {
    #[test]
    fn round_trip_any_request((r, extras, key, value) in arb_request()) {
        let wire = r.to_bytes();
        let p = Packet::new_checked(&wire[..]).unwrap();
        prop_assert_eq!(p.opcode(), r.opcode());
        prop_assert_eq!(p.extras(), &extras[..]);
        prop_assert_eq!(p.key(), &key[..]);
        prop_assert_eq!(p.value(), &value[..]);
        prop_assert_eq!(p.opaque(), r.opaque());
        prop_assert_eq!(p.cas(), r.cas());
        prop_assert_eq!(r.value(), &value[..]);
        prop_assert_eq!(p.frame_len(), wire.len());
    }

    #[test]
    fn round_trip_any_response(
        op in arb_opcode(), status in any::<u16>(),
        extras in proptest::collection::vec(any::<u8>(), 0..8),
        key in proptest::collection::vec(any::<u8>(), 0..40),
        value in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        let r = Response::new(op, Status::from(status), &extras, &key, &value);
        let wire = r.to_bytes();
        let p = Packet::new_checked(&wire[..]).unwrap();
        prop_assert_eq!(p.status(), Status::from(status));
        prop_assert_eq!(p.extras(), &extras[..]);
        prop_assert_eq!(p.key(), &key[..]);
        prop_assert_eq!(p.value(), &value[..]);
    }

    #[cfg(feature = "codec")]
    #[test]
    fn any_split_gives_the_same_frames(
        reqs in proptest::collection::vec(arb_request(), 1..6),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let mut stream = Vec::new();
        for (r, ..) in &reqs {
            stream.extend_from_slice(&r.to_bytes());
        }
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
        points.push(stream.len());
        points.sort_unstable();
        let mut codec = BinaryCodec::default();
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        let mut from = 0;
        for to in points {
            buf.extend_from_slice(&stream[from..to]);
            from = to;
            while let Some(frame) = codec.decode(&mut buf).unwrap() {
                got.push(frame.into_inner());
            }
        }
        prop_assert!(buf.is_empty());
        prop_assert_eq!(got.len(), reqs.len());
        for (frame, (r, ..)) in got.iter().zip(&reqs) {
            prop_assert_eq!(&frame[..], &r.to_bytes()[..]);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = check(&bytes, 64);
        let p = Packet::new_unchecked(&bytes[..]);
        let _ = (p.key(), p.value(), p.extras(), p.framing_extras(), p.typed_extras(), p.to_string());
        if let Ok(p) = Packet::new_checked(&bytes[..]) {
            prop_assert!(p.frame_len() <= bytes.len());
            let _ = p.to_string();
        }
        #[cfg(feature = "codec")]
        {
            let mut buf = BytesMut::from(&bytes[..]);
            let mut codec = BinaryCodec::new(128);
            while let Ok(Some(_)) = codec.decode(&mut buf) {}
        }
        let _ = find_next_header(&bytes, 128);
        let mut reader = &bytes[..];
        let mut v = Vec::new();
        let _ = read_packet(&mut reader, &mut v, 128);
    }
}
