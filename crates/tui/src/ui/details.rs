//! The details pane: the selected transaction's field tree.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::pane_block;
use crate::app::{App, Pane};
use crate::details::{DetailKind, DetailLine};
use crate::theme::Theme;

/// The style of a line's name.
fn name_style(d: &DetailLine, theme: &Theme) -> Style {
    match d.kind {
        DetailKind::Section => theme.details.section,
        DetailKind::Flagged => theme.details.flagged,
        DetailKind::Field => theme.details.field,
    }
}

/// Draws the tree `lines` into `area`, scrolled to show the selected line (highlighted while
/// the pane has the keys).
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, lines: &[DetailLine]) {
    let theme = &app.theme;
    let focused = app.focus == Pane::Details;
    let block = pane_block(" Details ".into(), focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(selected) = app.details.selected_in(lines.len()) else {
        return;
    };
    let h = usize::from(inner.height);
    let top = app.details.top_for(lines.len(), h);
    let text: Vec<Line<'_>> = lines
        .iter()
        .enumerate()
        .skip(top)
        .take(h)
        .map(|(i, d)| {
            let mut line = Line::from(vec![
                Span::raw("  ".repeat(usize::from(d.depth))),
                Span::styled(d.name.as_str(), name_style(d, theme)),
                Span::raw(": "),
                Span::raw(d.value.as_str()),
            ]);
            if i == selected && focused {
                line = line.style(theme.selection);
            }
            line
        })
        .collect();
    frame.render_widget(Paragraph::new(text), inner);
}
