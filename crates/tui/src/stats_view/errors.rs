//! Error answers by name.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Row, Table};
use ratatui::Frame;

use super::block;
use crate::theme::Theme;
use crate::ui::format::short;

/// Draws the errors table: count, error.
pub(super) fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    errors: &[(&'static str, u64)],
    theme: &Theme,
) {
    let rows: Vec<Row<'_>> = errors
        .iter()
        .map(|(e, n)| Row::new([short(*n), e.to_string()]).style(theme.stats.errors))
        .collect();
    frame.render_widget(
        Table::new(rows, [Constraint::Length(7), Constraint::Fill(1)])
            .header(Row::new(["count", "error"]).style(theme.header))
            .block(block("errors", theme)),
        area,
    );
}
