//! Display filters: no panic, errors point inside the text.
//! The body is [`memshark::fuzzing::filter_parse`], which `tests/fuzz_regressions.rs` also runs on
//! every input kept under `fuzz/regressions/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| memshark::fuzzing::filter_parse(data));
