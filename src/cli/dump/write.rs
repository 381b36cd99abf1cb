//! `memshark dump FILE --filter EXPR -w OUT`: the original frames of the transactions the
//! filter shows (the timeline's `w`, from the command line).

use std::path::Path;

use anyhow::{bail, Context};
use memshark::timeline::{Store, View};

/// Loads the capture as the timeline does, filters its transactions and writes their frames.
pub fn frames(source: &super::super::source::Source, out: &Path) -> anyhow::Result<()> {
    let [file] = super::super::source::files(source) else {
        bail!("-w reads the frames from one capture file: give exactly one (not -i)");
    };
    let mut store = Store::new();
    memshark::pipeline::dissect_file(file, &source.ports, &mut |_| {}, &mut |m| {
        store.push(&m);
        true
    })
    .with_context(|| format!("reading {}", file.display()))?;
    let mut view = View::new();
    if let Some(f) = &source.filter {
        view.set_filter(f.clone(), &store);
    } else {
        view.catch_up(&store);
    }
    let stats = memshark::tui::export::write(&store, view.rows().iter().copied(), file, out)
        .with_context(|| format!("exporting to {}", out.display()))?;
    eprintln!(
        "memshark dump: {} of {} transactions, {} of {} frames written to {}",
        view.len(),
        store.len(),
        stats.written,
        stats.read,
        out.display()
    );
    if stats.other_link > 0 {
        eprintln!(
            "memshark dump: {} frames of another link type left out",
            stats.other_link
        );
    }
    Ok(())
}
