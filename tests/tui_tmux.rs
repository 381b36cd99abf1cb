//! Drives the real binary in a real terminal (tmux) through scripts/tui-e2e.sh: open a
//! fixture, filter, open the details, follow a connection, apply as filter, export and open
//! the export, conversations, the I/O graph, quit. Skipped, with a note, where tmux is missing
//! (`.ci/run` installs it).

#[test]
fn the_tui_works_in_a_real_terminal() {
    if std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!("tmux is not installed: skipping the terminal end-to-end test");
        return;
    }
    let out = std::process::Command::new("scripts/tui-e2e.sh")
        .arg(env!("CARGO_BIN_EXE_memshark"))
        .output()
        .expect("run scripts/tui-e2e.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text.matches("ok: ").count(), 10, "{text}");
}
