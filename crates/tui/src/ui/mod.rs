//! Drawing an [`App`]: the timeline, details, bytes and stats screens, the input line, the
//! status bar and the help overlay, one module each. Drawing reads the app and writes nothing
//! back: call [`App::prepare`] first, which fits the panes to the frame. Only the rows on screen
//! are formatted, so a frame costs the same at ten rows or ten million.

mod bytes;
mod chooser;
mod conversations;
mod details;
mod follow;
pub(crate) mod format;
mod help;
mod input;
mod iograph;
mod status;
mod timeline;

use ratatui::widgets::Block;
use ratatui::Frame;

pub use help::KEYS;

use crate::app::{App, Screen};
use crate::layout::FrameLayout;
use crate::theme::Theme;

/// Draws the whole window.
pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let area = frame.area();
    let layout = FrameLayout::new(area, app);
    match app.screen {
        Screen::Timeline => {
            timeline::draw(frame, layout.list, app);
            if let Some(areas) = layout.details {
                let lines = app.detail_lines();
                details::draw(frame, areas.tree, app, &lines);
                bytes::draw(frame, areas.bytes, app, &lines);
            }
            if let Some(area) = layout.conversation {
                follow::draw(frame, area, app);
            }
        }
        Screen::Stats => crate::stats_view::draw(frame, layout.main, app),
        Screen::Conversations => conversations::draw(frame, layout.main, app),
        Screen::IoGraph => iograph::draw(frame, layout.main, app),
    }
    if let Some(bar) = &app.input {
        input::draw(frame, layout.input, bar, &app.theme);
    }
    status::draw(frame, layout.status, app);
    if let Some(at) = app.chooser {
        chooser::draw(frame, area, app, at);
    }
    if app.help {
        help::draw(frame, area, &app.theme);
    }
}

/// A timeline pane's border and title, highlighted while it has the keys.
fn pane_block(title: String, focused: bool, theme: &Theme) -> Block<'static> {
    Block::bordered().title(title).border_style(if focused {
        theme.border_focused
    } else {
        theme.border
    })
}
