//! The column chooser (`C`) and the config file it saves to.

use crossterm::event::{KeyCode, KeyEvent};

use super::App;
use crate::columns::Column;
use crate::config::{self, Config};

impl App {
    /// Reads the config file (`config::path`), takes its settings and remembers where to save
    /// them; a broken file leaves the defaults and says so once in the status bar.
    pub fn load_config(&mut self) {
        let Some(path) = config::path() else {
            return;
        };
        match config::load(&path) {
            Ok(c) => self.columns = c.columns,
            Err(e) => self.note = Some(format!("config ignored: {e}")),
        }
        self.config_path = Some(path);
    }

    /// The chooser's keys: j/k move, space or Enter shows or hides, Esc, C or q closes and
    /// saves.
    pub(super) fn on_chooser_key(&mut self, key: KeyEvent) {
        let Some(at) = self.chooser else { return };
        let last = Column::ALL.len() - 1;
        match key.code {
            KeyCode::Char('j') | KeyCode::Down => self.chooser = Some((at + 1).min(last)),
            KeyCode::Char('k') | KeyCode::Up => self.chooser = Some(at.saturating_sub(1)),
            KeyCode::Char(' ') | KeyCode::Enter => self.columns.toggle(Column::ALL[at]),
            KeyCode::Esc | KeyCode::Char('C') | KeyCode::Char('q') => {
                self.chooser = None;
                self.save_config();
            }
            _ => {}
        }
    }

    fn save_config(&mut self) {
        let Some(path) = &self.config_path else {
            return;
        };
        let c = Config {
            columns: self.columns,
        };
        self.note = Some(match config::save(&c, path) {
            Ok(()) => format!("columns saved to {}", path.display()),
            Err(e) => format!("columns not saved: {e}"),
        });
    }
}
