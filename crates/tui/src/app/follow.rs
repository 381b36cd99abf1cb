//! Following a connection (`F`) and going back (`Esc`).

use memshark_traffic::filter::Filter;

use super::{App, Pane};
use crate::follow::flow_rows;
use crate::timeline::SortKey;

/// Where the user was before following a connection, to go back to.
#[derive(Debug, Clone)]
pub struct Back {
    filter: Filter,
    row: Option<u32>,
    sort: (SortKey, bool),
    details_open: bool,
    focus: Pane,
    follow: bool,
}

/// The connection being followed: its flow and its transactions in arrival order.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// The flow's index in the store.
    pub flow: u32,
    /// The store rows of the flow, in arrival order.
    pub rows: Vec<u32>,
    /// Store rows looked at so far (rows that come later are added by [`Conversation::catch_up`]).
    scanned: usize,
    back: Back,
}

impl Conversation {
    /// Takes in the flow's rows the store gained (a live source), or all of them again
    /// after the store let its oldest rows go (row numbers moved).
    pub fn catch_up(&mut self, store: &crate::timeline::Store, trimmed: bool) {
        if trimmed {
            self.rows = flow_rows(store, self.flow);
        } else {
            let from = self.scanned.min(store.len());
            self.rows.extend(
                store.txns()[from..]
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.flow == self.flow)
                    .map(|(i, _)| (from + i) as u32),
            );
        }
        self.scanned = store.len();
    }

    /// The index in [`Conversation::rows`] of store row `row`, or of the first row after it.
    pub fn index_of(&self, row: u32) -> usize {
        self.rows.partition_point(|&r| r < row)
    }
}

impl App {
    /// `F`: narrows the timeline to the selected row's connection (`flow == N`, in arrival
    /// order) and shows its conversation; `Esc` goes back.
    pub fn follow_connection(&mut self) {
        let Some(row) = self.selected_row() else {
            self.note = Some("no row to follow".into());
            return;
        };
        let Some(t) = self.store.txn(row) else { return };
        let flow = t.flow;
        let conn = self.store.flow(t).conn;
        let Ok(filter) = Filter::parse(&format!("flow == {conn}")) else {
            return;
        };
        let back = match self.conversation.take() {
            Some(c) => c.back,
            None => Back {
                filter: self.view.filter().clone(),
                row: Some(row),
                sort: self.view.sort(),
                details_open: self.details_open,
                focus: self.focus,
                follow: self.timeline.follow,
            },
        };
        self.timeline.follow = false;
        self.view.set_sort(SortKey::Arrival, false, &self.store);
        self.view.set_filter(filter, &self.store);
        let pos = self.view.position_of(row);
        self.timeline.center_on(pos, self.view.len());
        self.details_open = false;
        self.focus = Pane::List;
        self.conversation = Some(Conversation {
            flow,
            rows: flow_rows(&self.store, flow),
            scanned: self.store.len(),
            back,
        });
        self.note = Some(format!("following connection {conn}: Esc goes back"));
    }

    /// `Esc` while following: the filter, order, selection and panes from before.
    pub fn unfollow(&mut self) {
        let Some(c) = self.conversation.take() else {
            return;
        };
        let b = c.back;
        self.view.set_filter(b.filter, &self.store);
        self.view.set_sort(b.sort.0, b.sort.1, &self.store);
        let pos = b.row.and_then(|r| self.view.position_of(r));
        self.timeline.center_on(pos, self.view.len());
        self.timeline.follow = b.follow;
        self.details_open = b.details_open;
        self.focus = b.focus;
    }
}
