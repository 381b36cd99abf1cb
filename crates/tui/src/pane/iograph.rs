//! The I/O graph screen's state: the cursor, and the graph computed for the last frame's width
//! (computed again when the width, the rows or the filter change).

use crate::iograph::IoGraph;

/// What the graph was computed for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Basis {
    slices: usize,
    stored: usize,
    shown: usize,
    filter: String,
}

/// The I/O graph's cursor and numbers.
#[derive(Debug, Clone, Default)]
pub struct IoGraphPane {
    cursor: usize,
    graph: Option<IoGraph>,
    basis: Basis,
}

impl IoGraphPane {
    /// The slice under the cursor.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The numbers, once computed.
    pub fn graph(&self) -> Option<&IoGraph> {
        self.graph.as_ref()
    }

    /// Moves the cursor by `delta` slices, within the graph.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.graph.as_ref().map_or(0, |g| g.len().saturating_sub(1));
        self.cursor = (self.cursor as isize)
            .saturating_add(delta)
            .clamp(0, last as isize) as usize;
    }

    /// Keeps the graph up to date for `slices` slices, computing it with `compute` only when
    /// the width, the store, the view or the filter changed since the last time.
    pub fn fit(
        &mut self,
        slices: usize,
        stored: usize,
        shown: usize,
        filter: &str,
        compute: impl FnOnce(usize) -> IoGraph,
    ) {
        let basis = Basis {
            slices,
            stored,
            shown,
            filter: filter.to_string(),
        };
        if self.graph.is_some() && basis == self.basis {
            return;
        }
        let old = self.graph.as_ref().map(|g| g.len());
        let g = compute(slices);
        // The cursor keeps its place in time across a resize.
        if let Some(old) = old.filter(|&o| o > 0 && o != g.len()) {
            self.cursor = self.cursor * g.len() / old;
        }
        self.cursor = self.cursor.min(g.len().saturating_sub(1));
        self.graph = Some(g);
        self.basis = basis;
    }
}
