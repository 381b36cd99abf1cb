//! What each key and the mouse wheel do to the app.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Pane, Screen};
use crate::apply::Join;
use crate::pane::{HexDump, InputKind, InputOutcome};

impl App {
    /// Handles one key.
    pub fn on_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && matches!(key.code, KeyCode::Char('c')) {
            self.quit = true;
            return;
        }
        if self.input.is_some() {
            self.on_input_key(key);
            return;
        }
        if self.chooser.is_some() {
            self.on_chooser_key(key);
            return;
        }
        if self.help {
            // Any key closes the help; q still quits.
            self.help = false;
            if key.code == KeyCode::Char('q') {
                self.quit = true;
            }
            return;
        }
        self.note = None;
        if self.screen == Screen::Conversations && self.on_conversations_key(key) {
            return;
        }
        if self.screen == Screen::IoGraph && self.on_iograph_key(key) {
            return;
        }
        let page = self.timeline.page();
        match key.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('?') => self.help = true,
            KeyCode::Char('j') | KeyCode::Down => self.move_by(1),
            KeyCode::Char('k') | KeyCode::Up => self.move_by(-1),
            KeyCode::Char('d') if ctrl => self.move_by(page / 2),
            KeyCode::Char('u') if ctrl => self.move_by(-page / 2),
            KeyCode::PageDown => self.move_by(page),
            KeyCode::Char('f') if ctrl => self.move_by(page),
            KeyCode::PageUp => self.move_by(-page),
            KeyCode::Char('b') if ctrl => self.move_by(-page),
            KeyCode::Char('g') | KeyCode::Home => {
                self.timeline.follow = false;
                self.go_to(0);
            }
            KeyCode::Char('G') | KeyCode::End => self.go_to(usize::MAX),
            KeyCode::Enter => self.enter(),
            KeyCode::Esc => {
                if self.details_open {
                    self.details_open = false;
                    self.focus = Pane::List;
                } else if self.screen != Screen::Timeline {
                    self.screen = Screen::Timeline;
                } else if self.conversation.is_some() {
                    self.unfollow();
                }
            }
            KeyCode::Tab => self.cycle_focus(false),
            KeyCode::BackTab => self.cycle_focus(true),
            KeyCode::Char('/') => self.open_input(InputKind::Filter),
            KeyCode::Char(':') => self.open_input(InputKind::Find),
            KeyCode::Char('n') => self.find_next(true),
            KeyCode::Char('N') => self.find_next(false),
            KeyCode::Char('f') => {
                self.timeline.follow = !self.timeline.follow;
                if self.timeline.follow {
                    self.go_to(usize::MAX);
                }
            }
            KeyCode::Char(' ') => {
                self.paused = !self.paused;
                if !self.paused {
                    self.refresh();
                }
            }
            KeyCode::Char('s') => {
                self.screen = match self.screen {
                    Screen::Timeline => Screen::Stats,
                    _ => Screen::Timeline,
                }
            }
            KeyCode::Char('a') if self.focus == Pane::Details => self.apply_field(Join::And),
            KeyCode::Char('A') if self.focus == Pane::Details => self.apply_field(Join::AndNot),
            KeyCode::Char('|') if self.focus == Pane::Details => self.apply_field(Join::Or),
            KeyCode::Char('c') => self.open_conversations(),
            KeyCode::Char('C') => self.chooser = Some(0),
            KeyCode::Char('m') => self.toggle_mark(),
            KeyCode::Char('M') => {
                self.marks.clear();
                self.note = Some("marks cleared".into());
            }
            KeyCode::Char('w') => self.open_export(),
            KeyCode::Char('y') => self.copy_selected(),
            KeyCode::Char('i') => self.screen = Screen::IoGraph,
            KeyCode::Char('F') => {
                self.screen = Screen::Timeline;
                self.follow_connection();
            }
            KeyCode::Char('t') => self.timeline.time_format = self.timeline.time_format.next(),
            KeyCode::Char('o') => {
                let (k, desc) = self.view.sort();
                self.resort(k.next(), desc);
            }
            KeyCode::Char('O') => {
                let (k, desc) = self.view.sort();
                self.resort(k, !desc);
            }
            _ => {}
        }
    }

    fn on_input_key(&mut self, key: KeyEvent) {
        let Some(bar) = self.input.as_mut() else {
            return;
        };
        match bar.on_key(key) {
            InputOutcome::Editing => {}
            InputOutcome::Cancelled => self.input = None,
            InputOutcome::Submitted(kind, f) => {
                self.input = None;
                self.apply(kind, f);
            }
            InputOutcome::Text(_, path) => {
                self.input = None;
                self.export_to(std::path::Path::new(&path));
            }
        }
    }

    /// Enter: opens the details (from the stats too), or gives the keys back to the list.
    fn enter(&mut self) {
        if self.screen == Screen::Stats {
            self.screen = Screen::Timeline;
        }
        if self.details_open && self.focus != Pane::List {
            self.focus = Pane::List;
        } else {
            self.details_open = true;
            self.focus = Pane::Details;
            self.details.reset();
        }
    }

    /// Tab and Shift-Tab: the next or previous pane, opening the details.
    fn cycle_focus(&mut self, back: bool) {
        self.details_open = true;
        self.focus = match (self.focus, back) {
            (Pane::List, false) | (Pane::Bytes, true) => Pane::Details,
            (Pane::Details, false) | (Pane::List, true) => Pane::Bytes,
            (Pane::Bytes, false) | (Pane::Details, true) => Pane::List,
        };
    }

    /// Moves within the pane with the keys: rows of the list (also under the stats screen),
    /// fields of the details, lines of the hex dump.
    pub(super) fn move_by(&mut self, delta: isize) {
        match (self.screen, self.focus) {
            (Screen::Timeline, Pane::List)
            | (Screen::Stats | Screen::Conversations | Screen::IoGraph, _) => {
                if self.timeline.move_by(delta, self.view.len()) {
                    self.details.reset();
                    self.bytes.reset();
                }
            }
            (Screen::Timeline, Pane::Details) => {
                self.details.move_by(delta, self.detail_lines().len());
                self.bytes.show_field();
            }
            (Screen::Timeline, Pane::Bytes) => {
                let lines = self.detail_lines();
                let selected = self.details.selected_in(lines.len()).unwrap_or(0);
                if let Some(dump) = HexDump::of(&self.store, &lines, selected) {
                    self.bytes.scroll_by(delta, &dump);
                }
            }
        }
    }

    /// Selects view position `pos` (the last row if beyond), its details from the top.
    pub fn go_to(&mut self, pos: usize) {
        if self.timeline.go_to(pos, self.view.len()) {
            self.details.reset();
            self.bytes.reset();
        }
    }

    /// Sorts the view by `key`, keeping the selected row selected.
    fn resort(&mut self, key: crate::timeline::SortKey, desc: bool) {
        let row = self.selected_row();
        self.view.set_sort(key, desc, &self.store);
        let pos = row.and_then(|r| self.view.position_of(r));
        self.timeline.center_on(pos, self.view.len());
    }
}
