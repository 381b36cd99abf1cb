//! Feeds arbitrary bytes to every entry point of the binary decoder: `check`, `Packet`
//! accessors, `Display`, the tokio `Decoder` and the resync scan. None may panic.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use memshark::protocol::binary::{check, find_next_header, BinaryCodec, Packet};
use tokio_util::codec::Decoder;

fuzz_target!(|data: &[u8]| {
    let _ = check(data, 1 << 16);
    let p = Packet::new_unchecked(data);
    let _ = (p.key(), p.value(), p.extras(), p.framing_extras(), p.typed_extras());
    let _ = p.to_string();
    if let Ok(p) = Packet::new_checked(data) {
        assert!(p.frame_len() <= data.len());
        let _ = p.to_string();
    }
    let mut buf = BytesMut::from(data);
    let mut codec = BinaryCodec::new(1 << 16);
    loop {
        match codec.decode(&mut buf) {
            Ok(Some(frame)) => {
                let _ = frame.to_string();
            }
            Ok(None) => break,
            Err(_) => {
                let skip = find_next_header(&buf, 1 << 16);
                assert!(skip > 0 || buf.is_empty());
                let _ = buf.split_to(skip.min(buf.len()));
                if buf.is_empty() {
                    break;
                }
            }
        }
    }
});
