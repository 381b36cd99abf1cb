//! Exporting transactions (the rows the filter shows, or the marked ones) to a new capture
//! that keeps their original frames: [`memshark_traffic::capture::export`] does the copying,
//! this module names the frames of each transaction's messages.

use std::path::Path;

use memshark_traffic::capture::export::{export, ExportError, ExportStats, FrameSelection};

use crate::timeline::store::{Store, NONE};

/// The frames of the transactions at store rows `rows`: the request's, client → server, and
/// each answer's, server → client.
pub fn selection(store: &Store, rows: impl IntoIterator<Item = u32>) -> FrameSelection {
    let mut sel = FrameSelection::default();
    for row in rows {
        let Some(t) = store.txn(row) else { continue };
        let flow = store.flow(t);
        if t.req != NONE {
            sel.add(flow.client, flow.server, store.frames(t.req));
        }
        for (mi, _) in store.responses(t) {
            sel.add(flow.server, flow.client, store.frames(mi));
        }
    }
    sel
}

/// Writes the frames of the transactions at `rows` of a store loaded from `input` to a new
/// capture `output` (pcapng for `.pcapng`, else pcap).
pub fn write(
    store: &Store,
    rows: impl IntoIterator<Item = u32>,
    input: &Path,
    output: &Path,
) -> Result<ExportStats, ExportError> {
    let mut sel = selection(store, rows);
    export(input, &mut sel, output)
}
