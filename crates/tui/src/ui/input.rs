//! The input line: the text typed, with the filter syntax under it or the error and a caret
//! at its place.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::pane::FilterInput;
use crate::theme::Theme;

/// The filter language in one line, under the input while the text parses.
const FILTER_HELP: &str =
    "fields: op key status latency size proto kind client server port flow · \
    == != < <= > >= ~ contains && || ! () · units 500us 2ms 1s 4kb";

/// Draws `bar` into `area` (two lines, three with an error) and puts the cursor in it.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, bar: &FilterInput, theme: &Theme) {
    let prompt = bar.kind.prompt();
    let [line, under, third] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(area.height.saturating_sub(2)),
    ])
    .areas(area);
    let text_style = if bar.error.is_none() {
        theme.input.valid
    } else {
        theme.input.invalid
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!("{prompt} "), theme.input.prompt),
            Span::styled(bar.text.as_str(), text_style),
        ])),
        line,
    );
    let col = line.x + prompt.chars().count() as u16 + 1 + bar.cursor as u16;
    frame.set_cursor_position((col.min(line.right().saturating_sub(1)), line.y));
    match &bar.error {
        Some(e) => {
            let pad = " ".repeat(prompt.chars().count() + 1);
            frame.render_widget(
                Paragraph::new(format!("{pad}{}", e.caret_line(&bar.text)))
                    .style(theme.input.invalid),
                under,
            );
            frame.render_widget(
                Paragraph::new(format!("{pad}{e} — Enter keeps the current filter"))
                    .style(theme.input.invalid),
                third,
            );
        }
        None => frame.render_widget(Paragraph::new(FILTER_HELP).style(theme.muted), under),
    }
}
