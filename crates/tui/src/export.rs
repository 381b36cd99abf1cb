//! Exporting transactions (the rows the filter shows, or the marked ones) to a new capture
//! that keeps their original frames: [`memshark_traffic::capture::export`] does the copying,
//! this module names the frames.
//!
//! A frame is copied whole, and a client that pipelines puts several requests in one frame
//! (a server, several answers): the transactions whose messages share a frame with a chosen
//! one come along, and theirs in turn, so that every request in the new file has its answers
//! and every answer its request. Reading it again pairs them as the original did: the same
//! transactions, and the filter shows the same rows.

use std::path::Path;

use memshark_traffic::capture::export::{export, ExportError, ExportStats, FrameSelection};
use rustc_hash::FxHashMap;

use crate::timeline::store::{Store, NONE};

/// One message's frames in a direction of a flow, and its row.
type Span = (u64, u64, u32);

/// The messages of one row: (to the server?, record).
fn messages(store: &Store, row: u32) -> Vec<(bool, u32)> {
    let Some(t) = store.txn(row) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(1 + usize::from(t.nresp));
    if t.req != NONE {
        out.push((true, t.req));
    }
    out.extend(store.responses(t).map(|(mi, _)| (false, mi)));
    out
}

/// The rows at `rows`, and every row sharing a frame with one of them, transitively.
pub fn closure(store: &Store, rows: impl IntoIterator<Item = u32>) -> Vec<u32> {
    let chosen: Vec<u32> = rows.into_iter().collect();
    let flows: rustc_hash::FxHashSet<u32> = chosen
        .iter()
        .filter_map(|&r| store.txn(r).map(|t| t.flow))
        .collect();
    // Per flow and direction, every message's frames, in frame order.
    let mut index: FxHashMap<(u32, bool), Vec<Span>> = FxHashMap::default();
    for (row, t) in store.txns().iter().enumerate() {
        if !flows.contains(&t.flow) {
            continue;
        }
        for (to_server, mi) in messages(store, row as u32) {
            let f = store.frames(mi);
            if *f.start() > 0 {
                index.entry((t.flow, to_server)).or_default().push((
                    *f.start(),
                    *f.end(),
                    row as u32,
                ));
            }
        }
    }
    for spans in index.values_mut() {
        spans.sort_unstable();
    }
    let mut included = vec![false; store.len()];
    let mut work = chosen;
    let mut out = Vec::new();
    while let Some(row) = work.pop() {
        match included.get_mut(row as usize) {
            Some(seen) if !*seen => *seen = true,
            _ => continue,
        }
        out.push(row);
        let Some(t) = store.txn(row) else { continue };
        for (to_server, mi) in messages(store, row) {
            let (a, b) = (*store.frames(mi).start(), *store.frames(mi).end());
            let Some(spans) = index.get(&(t.flow, to_server)) else {
                continue;
            };
            // Spans starting at or before `b`, going back while they reach `a`.
            let end = spans.partition_point(|s| s.0 <= b);
            for s in spans[..end].iter().rev() {
                if s.1 < a {
                    break;
                }
                if !included[s.2 as usize] {
                    work.push(s.2);
                }
            }
        }
    }
    out.sort_unstable();
    out
}

/// The frames of the transactions at store rows `rows` (and of those sharing frames with
/// them, see [`closure`]): each request's, client → server, and each answer's, server →
/// client.
pub fn selection(store: &Store, rows: impl IntoIterator<Item = u32>) -> FrameSelection {
    let mut sel = FrameSelection::default();
    for row in closure(store, rows) {
        let Some(t) = store.txn(row) else { continue };
        let flow = store.flow(t);
        for (to_server, mi) in messages(store, row) {
            let (src, dst) = if to_server {
                (flow.client, flow.server)
            } else {
                (flow.server, flow.client)
            };
            sel.add(src, dst, store.frames(mi));
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
