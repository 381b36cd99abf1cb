//! The input line for a filter or a search: editing as in a shell, and the syntax checked as
//! it is typed.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use memshark_traffic::filter::{Filter, FilterError};

/// What the input line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// `/`: the display filter (rows that do not match are hidden).
    Filter,
    /// `:`: a search; `n`/`N` jump between matching rows.
    Find,
    /// `w`: the file to export the rows to.
    Export,
}

impl InputKind {
    /// Whether the line holds a filter expression (checked as typed).
    pub fn is_filter(self) -> bool {
        matches!(self, InputKind::Filter | InputKind::Find)
    }

    /// The prompt before the text.
    pub fn prompt(self) -> &'static str {
        match self {
            InputKind::Filter => "filter /",
            InputKind::Find => "search :",
            InputKind::Export => "export to",
        }
    }
}

/// What a key did to the input line.
#[derive(Debug, Clone)]
pub enum InputOutcome {
    /// Still typing (the key edited the text, moved the cursor, or did nothing).
    Editing,
    /// Esc: close the line, keep what is in force.
    Cancelled,
    /// Enter on text that parses: close the line and apply this.
    Submitted(InputKind, Filter),
    /// Enter on a line of plain text (a file name).
    Text(InputKind, String),
}

/// The input line at the bottom while typing a filter or a search.
#[derive(Debug, Clone)]
pub struct FilterInput {
    /// Filter or search.
    pub kind: InputKind,
    /// The text typed so far.
    pub text: String,
    /// Cursor position, in chars.
    pub cursor: usize,
    /// The text's syntax error, checked as it is typed.
    pub error: Option<FilterError>,
}

/// The byte index of char `c` in `s` (its length past the end).
fn byte_at(s: &str, c: usize) -> usize {
    s.char_indices().nth(c).map_or(s.len(), |(i, _)| i)
}

impl FilterInput {
    /// A line for `kind` holding `text` (what is in force), the cursor at its end.
    pub fn new(kind: InputKind, text: String) -> FilterInput {
        FilterInput {
            kind,
            cursor: text.chars().count(),
            text,
            error: None,
        }
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    /// Handles one key. Ctrl-U, Ctrl-W, Ctrl-A and Ctrl-E edit as readline does; other Ctrl
    /// and Alt chords are not text. Enter on a syntax error keeps the line open with the error.
    pub fn on_key(&mut self, key: KeyEvent) -> InputOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return InputOutcome::Cancelled,
            KeyCode::Enter if !self.kind.is_filter() => {
                return InputOutcome::Text(self.kind, self.text.trim().to_string())
            }
            KeyCode::Enter => {
                return match Filter::parse(&self.text) {
                    Ok(f) => InputOutcome::Submitted(self.kind, f),
                    Err(e) => {
                        self.error = Some(e);
                        InputOutcome::Editing
                    }
                }
            }
            KeyCode::Char('u') if ctrl => self.delete_to_start(),
            KeyCode::Char('w') if ctrl => self.delete_word(),
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.len(),
            KeyCode::Char(_)
                if key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                return InputOutcome::Editing
            }
            KeyCode::Char(c) => {
                let at = byte_at(&self.text, self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let at = byte_at(&self.text, self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
            }
            KeyCode::Delete if self.cursor < self.len() => {
                let at = byte_at(&self.text, self.cursor);
                self.text.remove(at);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.len()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.len(),
            _ => return InputOutcome::Editing,
        }
        // Checked as typed: the error shows under the input while the old filter stays.
        if self.kind.is_filter() {
            self.error = Filter::parse(&self.text).err();
        }
        InputOutcome::Editing
    }

    /// Ctrl-U: deletes what is before the cursor.
    fn delete_to_start(&mut self) {
        let at = byte_at(&self.text, self.cursor);
        self.text.replace_range(..at, "");
        self.cursor = 0;
    }

    /// Ctrl-W: deletes the word before the cursor, and the spaces after it.
    fn delete_word(&mut self) {
        let before: Vec<char> = self.text.chars().take(self.cursor).collect();
        let spaces = before
            .iter()
            .rev()
            .take_while(|c| c.is_whitespace())
            .count();
        let word = before[..before.len() - spaces]
            .iter()
            .rev()
            .take_while(|c| !c.is_whitespace())
            .count();
        let start = self.cursor - spaces - word;
        let (from, to) = (byte_at(&self.text, start), byte_at(&self.text, self.cursor));
        self.text.replace_range(from..to, "");
        self.cursor = start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(input: &mut FilterInput, code: KeyCode) -> InputOutcome {
        input.on_key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn typing_edits_at_the_cursor_in_chars() {
        let mut i = FilterInput::new(InputKind::Filter, "kéy".into());
        assert_eq!(i.cursor, 3);
        press(&mut i, KeyCode::Left);
        press(&mut i, KeyCode::Backspace);
        assert_eq!((i.text.as_str(), i.cursor), ("ky", 1));
        press(&mut i, KeyCode::Char('€'));
        press(&mut i, KeyCode::Delete);
        assert_eq!((i.text.as_str(), i.cursor), ("k€", 2));
        press(&mut i, KeyCode::Home);
        press(&mut i, KeyCode::Backspace);
        assert_eq!(i.cursor, 0, "nothing before the start");
        press(&mut i, KeyCode::End);
        press(&mut i, KeyCode::Right);
        assert_eq!(i.cursor, 2);
        assert!(i.error.is_some(), "checked as typed");
    }

    #[test]
    fn enter_submits_only_what_parses_and_esc_cancels() {
        let mut i = FilterInput::new(InputKind::Find, "op ==".into());
        assert!(matches!(
            press(&mut i, KeyCode::Enter),
            InputOutcome::Editing
        ));
        assert!(i.error.is_some());
        for c in " get".chars() {
            press(&mut i, KeyCode::Char(c));
        }
        assert!(i.error.is_none());
        match press(&mut i, KeyCode::Enter) {
            InputOutcome::Submitted(InputKind::Find, f) => assert_eq!(f.source(), "op == get"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            press(&mut i, KeyCode::Esc),
            InputOutcome::Cancelled
        ));
    }

    #[test]
    fn ctrl_w_and_ctrl_u_delete_back_to_a_word_or_the_start() {
        let ctrl = |i: &mut FilterInput, c: char| {
            i.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
        };
        let mut i = FilterInput::new(InputKind::Filter, "a bc  ".into());
        ctrl(&mut i, 'w');
        assert_eq!((i.text.as_str(), i.cursor), ("a ", 2));
        ctrl(&mut i, 'a');
        ctrl(&mut i, 'w');
        assert_eq!(i.text, "a ", "nothing before the cursor");
        ctrl(&mut i, 'e');
        ctrl(&mut i, 'u');
        assert_eq!((i.text.as_str(), i.cursor), ("", 0));
        ctrl(&mut i, 'z');
        assert_eq!(i.text, "", "other chords are not text");
    }
}
