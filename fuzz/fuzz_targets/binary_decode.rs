//! Every entry point of the binary decoder: no panic, resync always progresses.
//! The body is [`memshark::fuzzing::binary_decode`], which `tests/fuzz_regressions.rs` also runs on
//! every input kept under `fuzz/regressions/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| memshark::fuzzing::binary_decode(data));
