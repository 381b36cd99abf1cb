//! Parses arbitrary bytes as a stream of text/meta requests, skipping what is malformed the
//! way the server and dissector do. Must never panic and must always make progress.
#![no_main]

use libfuzzer_sys::fuzz_target;
use memshark::protocol::ascii::{ParseLimits, Parsed, Request};

fuzz_target!(|data: &[u8]| {
    let limits = ParseLimits {
        max_line: 256,
        max_key: 250,
        max_value: 4096,
    };
    let mut at = 0;
    while at < data.len() {
        match Request::parse(&data[at..], &limits) {
            Ok(Parsed::Complete { message, len }) => {
                assert!(len > 0);
                let _ = message.to_string();
                let mut out = bytes::BytesMut::new();
                message.encode(&mut out);
                at += len;
            }
            Ok(Parsed::Incomplete { .. }) => break,
            Err(e) => {
                assert!(e.skip > 0);
                at += e.skip;
            }
        }
    }
});
