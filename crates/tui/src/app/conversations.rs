//! The conversations screen (`c`): opening it, its keys, and `Enter` filtering the timeline.

use crossterm::event::{KeyCode, KeyEvent};
use memshark_traffic::filter::Filter;

use super::{App, InputKind, Screen};
use crate::conversations::Conversations;
use crate::pane::ConversationsPane;

impl App {
    /// `c`: counts the connections and clients of everything stored and shows them.
    pub fn open_conversations(&mut self) {
        let mut pane = ConversationsPane::new(Conversations::of(&self.store));
        if let Some(old) = &self.conversations {
            // Reopened: the same table and order.
            if old.table != pane.table {
                pane.switch_table();
            }
            pane.sort_by(old.sort, old.descending);
        }
        self.conversations = Some(pane);
        self.screen = Screen::Conversations;
    }

    /// The conversations screen's own keys; false for keys it leaves to the rest.
    pub(super) fn on_conversations_key(&mut self, key: KeyEvent) -> bool {
        let page = self.timeline.page();
        let Some(pane) = self.conversations.as_mut() else {
            return false;
        };
        match key.code {
            KeyCode::Char('j') | KeyCode::Down => pane.move_by(1),
            KeyCode::Char('k') | KeyCode::Up => pane.move_by(-1),
            KeyCode::PageDown => pane.move_by(page),
            KeyCode::PageUp => pane.move_by(-page),
            KeyCode::Char('g') | KeyCode::Home => pane.move_by(isize::MIN / 2),
            KeyCode::Char('G') | KeyCode::End => pane.move_by(isize::MAX / 2),
            KeyCode::Tab | KeyCode::BackTab => pane.switch_table(),
            KeyCode::Char('o') => pane.sort_by(pane.sort.next(), true),
            KeyCode::Char('O') => pane.sort_by(pane.sort, !pane.descending),
            KeyCode::Char('c') | KeyCode::Esc => self.screen = Screen::Timeline,
            KeyCode::Enter => {
                let text = pane.selected().map(|r| r.filter());
                self.screen = Screen::Timeline;
                if let Some(f) = text.and_then(|t| Filter::parse(&t).ok()) {
                    self.conversation = None;
                    self.apply(InputKind::Filter, f);
                }
            }
            _ => return false,
        }
        true
    }
}
