//! Chunks, gaps and closes into the dissector: no panic.
//! The body is [`memshark::fuzzing::dissector`], which `tests/fuzz_regressions.rs` also runs on
//! every input kept under `fuzz/regressions/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| memshark::fuzzing::dissector(data));
