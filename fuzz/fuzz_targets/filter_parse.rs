//! Parses arbitrary text as a display filter; when it parses, matches it against a message.
//! Must never panic; errors must point inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use memshark::capture::Direction;
use memshark::dissect::{Message, Proto};
use memshark::filter::Filter;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    match Filter::parse(src) {
        Ok(f) => {
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 11211));
            let mut m = Message::new(1, addr, addr, Direction::ToClient, Proto::Binary);
            m.op = "get";
            m.request_op = Some("get");
            m.status = Some(1);
            m.status_name = Some("KEY_ENOENT");
            m.key = Some(bytes::Bytes::from_static(b"user:42"));
            m.latency_ns = Some(1_234_567);
            let _ = f.matches(&m);
        }
        Err(e) => {
            assert!(e.pos <= src.len());
            let _ = e.caret_line(src);
        }
    }
});
