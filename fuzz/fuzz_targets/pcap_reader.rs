//! Arbitrary bytes as a capture file (pcap or pcapng, gzipped or not) through the whole
//! pipeline: reader, link decode, reassembly, dissector. Errors are fine; panics are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use memshark::capture::{decode, CaptureReader, Reassembler, ReassemblyConfig};
use memshark::dissect::Dissector;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = CaptureReader::new(std::io::Cursor::new(data.to_vec())) else {
        return;
    };
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let mut d = Dissector::new();
    let _ = reader.for_each_frame(|f| {
        if let Ok(seg) = decode(f.linktype, f.data, f.orig_len) {
            r.push(f.number, f.ts, &seg, &mut |ev| d.push(ev, &mut |_| {}));
        }
        true
    });
    r.finish(&mut |ev| d.push(ev, &mut |_| {}));
});
