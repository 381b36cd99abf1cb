//! The display filter and the search: opening the input line, applying what was typed,
//! jumping between matches.

use memshark_traffic::filter::Filter;

use super::App;
use crate::apply::{self, Join};
use crate::pane::{FilterInput, InputKind};
use crate::timeline::TxnFields;

impl App {
    /// Opens the input line for a filter or a search, holding the one in force.
    pub fn open_input(&mut self, kind: InputKind) {
        let text = match kind {
            InputKind::Filter => self.view.filter().source().to_string(),
            InputKind::Find => self
                .find
                .as_ref()
                .map(|f| f.source().to_string())
                .unwrap_or_default(),
            InputKind::Export => return self.open_export(),
        };
        self.input = Some(FilterInput::new(kind, text));
    }

    /// Applies a filter or a search, as Enter in the input line does.
    pub fn apply(&mut self, kind: InputKind, f: Filter) {
        match kind {
            InputKind::Filter => {
                let row = self.selected_row();
                self.view.set_filter(f, &self.store);
                self.view.resort(&self.store);
                let pos = row.and_then(|r| self.view.position_of(r));
                self.timeline.reselect(pos, self.view.len());
                self.note = Some(format!("{} rows match", self.view.len()));
            }
            InputKind::Find => {
                self.find = (!f.is_all()).then_some(f);
                self.find_next(true);
            }
            // A file name, not a filter: see `export_to`.
            InputKind::Export => {}
        }
    }

    /// "Apply as filter": joins the term of the selected details line to the filter in
    /// force (`a`, `A`, `|` in the details pane); a note says why when the line has none.
    pub fn apply_field(&mut self, join: Join) {
        let lines = self.detail_lines();
        let (Some(row), Some(sel)) = (self.selected_row(), self.details.selected_in(lines.len()))
        else {
            return;
        };
        let line = &lines[sel];
        let Some(term) = apply::term_for(&self.store, row, line) else {
            self.note = Some(format!("no filter field for `{}`", line.name));
            return;
        };
        let text = apply::combine(self.view.filter(), &term, join);
        match Filter::parse(&text) {
            Ok(f) => self.apply(InputKind::Filter, f),
            Err(e) => self.note = Some(format!("cannot filter on it: {e}")),
        }
    }

    /// Moves to the next (or previous) row matching the search, wrapping around.
    pub fn find_next(&mut self, forward: bool) {
        let Some(f) = &self.find else {
            self.note = Some("no search: type : and an expression".into());
            return;
        };
        let len = self.view.len();
        if len == 0 {
            return;
        }
        let store = &self.store;
        let from = self.timeline.selected();
        let hit = (1..=len).find_map(|step| {
            let pos = if forward {
                (from + step) % len
            } else {
                (from + len * 2 - step) % len
            };
            let row = self.view.row(pos)?;
            let txn = store.txn(row)?;
            f.matches(&TxnFields { store, txn }).then_some(pos)
        });
        match hit {
            Some(pos) => {
                self.timeline.follow = false;
                let wrapped = if forward { pos <= from } else { pos >= from };
                self.go_to(pos);
                self.note = wrapped.then(|| "search wrapped".to_string());
            }
            None => self.note = Some(format!("no row matches {}", f.source())),
        }
    }
}
