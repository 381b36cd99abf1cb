//! Every input kept under `fuzz/regressions/` (crashes the fuzzers once found), replayed
//! through the body of the fuzz target its file name starts with. A panic fails the test.

use std::path::Path;

use memshark::fuzzing::{target_for, TARGETS};

#[test]
fn every_kept_crash_input_runs_clean_through_its_target() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/regressions exists") {
        let path = entry.expect("readable directory").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with('.') || name.ends_with(".md") {
            continue;
        }
        let target = target_for(name).unwrap_or_else(|| {
            panic!("{name}: the file name must start with a fuzz target's name")
        });
        let input = std::fs::read(&path).expect("readable input");
        target(&input);
        replayed += 1;
    }
    assert!(replayed > 0, "no inputs under {}", dir.display());
}

#[test]
fn every_target_takes_empty_and_protocol_shaped_inputs() {
    let inputs: [&[u8]; 4] = [
        b"",
        b"get a b c\r\nVALUE a 0 1\r\nx\r\nEND\r\n",
        b"\x80\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x00k",
        b"op == \"get\" && (latency > 1ms || key ~ \"^u\")",
    ];
    for (name, target) in TARGETS {
        for input in inputs {
            target(input);
        }
        assert!(target_for(&format!("{name}-x.bin")).is_some());
    }
}
