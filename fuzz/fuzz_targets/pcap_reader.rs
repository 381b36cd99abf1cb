//! Bytes as a capture file through the whole pipeline: no panic.
//! The body is [`memshark::fuzzing::pcap_reader`], which `tests/fuzz_regressions.rs` also runs on
//! every input kept under `fuzz/regressions/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| memshark::fuzzing::pcap_reader(data));
