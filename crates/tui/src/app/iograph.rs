//! The I/O graph screen (`i`): its keys, and `Enter` taking the timeline to a moment.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Screen};
use crate::timeline::SortKey;

impl App {
    /// The I/O graph screen's own keys; false for keys it leaves to the rest.
    pub(super) fn on_iograph_key(&mut self, key: KeyEvent) -> bool {
        let pane = &mut self.iograph;
        match key.code {
            KeyCode::Char('h') | KeyCode::Left => pane.move_by(-1),
            KeyCode::Char('l') | KeyCode::Right => pane.move_by(1),
            KeyCode::Char('H') | KeyCode::PageUp => pane.move_by(-10),
            KeyCode::Char('L') | KeyCode::PageDown => pane.move_by(10),
            KeyCode::Char('g') | KeyCode::Home => pane.move_by(isize::MIN / 2),
            KeyCode::Char('G') | KeyCode::End => pane.move_by(isize::MAX / 2),
            KeyCode::Char('i') | KeyCode::Esc => self.screen = Screen::Timeline,
            KeyCode::Enter => self.jump_to_cursor(),
            _ => return false,
        }
        true
    }

    /// Selects the first row shown at or after the moment under the graph's cursor.
    fn jump_to_cursor(&mut self) {
        self.screen = Screen::Timeline;
        let Some(g) = self.iograph.graph() else {
            return;
        };
        let at = g.time_of(self.iograph.cursor());
        let txns = self.store.txns();
        let ts = |r: &u32| txns.get(*r as usize).map_or(0, |t| t.ts_ns);
        let rows = self.view.rows();
        let pos = if self.view.sort() == (SortKey::Arrival, false) {
            rows.partition_point(|r| ts(r) < at)
        } else {
            // Another order: the row closest in time.
            rows.iter()
                .enumerate()
                .min_by_key(|(_, r)| ts(r).abs_diff(at))
                .map_or(0, |(i, _)| i)
        };
        let secs = (at - g.start_ns) as f64 / 1e9;
        self.timeline.follow = false;
        self.go_to(pos);
        self.note = Some(format!("at +{secs:.3} s"));
    }
}
