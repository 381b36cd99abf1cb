//! The column chooser overlay (`C`).

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::app::App;
use crate::columns::Column;

/// Draws the chooser centred in `area`.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, at: usize) {
    let theme = &app.theme;
    let w = 44.min(area.width);
    let h = (Column::ALL.len() as u16 + 2).min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, r);
    let lines: Vec<Line<'_>> = Column::ALL
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mark = if app.columns.shows(*c) { "[x]" } else { "[ ]" };
            let line = Line::raw(format!(" {mark} {}", c.name()));
            if i == at {
                line.style(theme.selection)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" Columns — space: show/hide, Esc: done ")
                .border_style(theme.help.border),
        ),
        r,
    );
}
