//! TCP segments into the reassembler: no panic, no empty data events.
//! The body is [`memshark::fuzzing::reassembly`], which `tests/fuzz_regressions.rs` also runs on
//! every input kept under `fuzz/regressions/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| memshark::fuzzing::reassembly(data));
