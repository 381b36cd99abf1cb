//! The mouse: a click selects the row, field, pane or table under it; the wheel scrolls the
//! pane under it (not only the one with the keys).

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::{App, Pane, Screen};
use crate::layout::{self, FrameLayout};

/// Lines the wheel moves.
const WHEEL: isize = 3;

/// Where a point is: the pane under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Under {
    List(Rect),
    Details(Rect),
    Bytes,
    Conversation,
    Conversations(Rect),
    Graph(Rect),
    Nothing,
}

impl App {
    fn under(&self, col: u16, row: u16) -> Under {
        let at = Position::new(col, row);
        let l = FrameLayout::new(self.area, self);
        match self.screen {
            Screen::Timeline => {
                if l.list.contains(at) {
                    return Under::List(l.list);
                }
                if let Some(d) = l.details {
                    if d.tree.contains(at) {
                        return Under::Details(d.tree);
                    }
                    if d.bytes.contains(at) {
                        return Under::Bytes;
                    }
                }
                if l.conversation.is_some_and(|c| c.contains(at)) {
                    return Under::Conversation;
                }
                Under::Nothing
            }
            Screen::Conversations if l.main.contains(at) => Under::Conversations(l.main),
            Screen::IoGraph if l.main.contains(at) => Under::Graph(l.main),
            _ => Under::Nothing,
        }
    }

    /// Handles a mouse event.
    pub fn on_mouse(&mut self, ev: MouseEvent) {
        let wheel = match ev.kind {
            MouseEventKind::ScrollDown => WHEEL,
            MouseEventKind::ScrollUp => -WHEEL,
            MouseEventKind::Down(MouseButton::Left) => {
                self.click(ev.column, ev.row);
                return;
            }
            _ => return,
        };
        if self.input.is_some() || self.help {
            return;
        }
        match self.under(ev.column, ev.row) {
            Under::Details(_) => self.with_focus(Pane::Details, wheel),
            Under::Bytes => self.with_focus(Pane::Bytes, wheel),
            Under::List(_) | Under::Conversation => self.with_focus(Pane::List, wheel),
            Under::Conversations(_) => {
                if let Some(c) = self.conversations.as_mut() {
                    c.move_by(wheel);
                }
            }
            Under::Graph(_) => self.iograph.move_by(wheel),
            Under::Nothing => self.move_by(wheel),
        }
    }

    /// Scrolls `pane` by `delta` without taking the keys from the pane that has them.
    fn with_focus(&mut self, pane: Pane, delta: isize) {
        let focus = self.focus;
        self.focus = pane;
        self.move_by(delta);
        self.focus = focus;
    }

    /// A left click: the row, field or pane under it.
    fn click(&mut self, col: u16, row: u16) {
        if self.input.is_some() {
            return;
        }
        if self.help {
            self.help = false;
            return;
        }
        match self.under(col, row) {
            Under::List(area) => {
                self.focus = Pane::List;
                let inner = layout::inner(area);
                // Under the border and the header row.
                if let Some(line) = row.checked_sub(inner.y + 1) {
                    let top = self.timeline.top_for(layout::list_rows(area));
                    let pos = top + usize::from(line);
                    if pos < self.view.len() {
                        self.timeline.follow = false;
                        self.go_to(pos);
                    }
                }
            }
            Under::Details(area) => {
                self.focus = Pane::Details;
                let inner = layout::inner(area);
                if let Some(line) = row.checked_sub(inner.y) {
                    let len = self.detail_lines().len();
                    let top = self.details.top_for(len, usize::from(inner.height));
                    let want = top + usize::from(line);
                    if want < len {
                        let now = self.details.selected_in(len).unwrap_or(0);
                        self.details.move_by(want as isize - now as isize, len);
                        self.bytes.show_field();
                    }
                }
            }
            Under::Bytes => self.focus = Pane::Bytes,
            Under::Conversation => self.focus = Pane::List,
            Under::Conversations(area) => {
                let inner = layout::inner(area);
                let Some(c) = self.conversations.as_mut() else {
                    return;
                };
                if row == area.y {
                    // The title names the other table: a click there switches.
                    c.switch_table();
                } else if let Some(line) = row.checked_sub(inner.y + 1) {
                    let top = c.list.top_for(layout::list_rows(area));
                    let pos = top + usize::from(line);
                    let now = c.list.selected();
                    if pos < c.rows().len() {
                        c.move_by(pos as isize - now as isize);
                    }
                }
            }
            Under::Graph(area) => {
                // The plots start after the border and the y axis's labels.
                let x0 = layout::inner(area).x + layout::GRAPH_Y_LABELS;
                if let (Some(x), Some(g)) = (col.checked_sub(x0), self.iograph.graph()) {
                    let w = layout::graph_width(area).max(1);
                    let want = usize::from(x) * g.len() / usize::from(w);
                    let now = self.iograph.cursor();
                    self.iograph.move_by(want as isize - now as isize);
                }
            }
            Under::Nothing => {}
        }
    }
}
