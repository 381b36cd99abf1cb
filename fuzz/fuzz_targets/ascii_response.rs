//! Text/meta responses: no panic, every step makes progress.
//! The body is [`memshark::fuzzing::ascii_response`], which `tests/fuzz_regressions.rs` also runs on
//! every input kept under `fuzz/regressions/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| memshark::fuzzing::ascii_response(data));
