//! The busiest keys and clients.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Row, Table};
use ratatui::Frame;

use super::block;
use crate::theme::Theme;
use crate::ui::format::short;

/// Draws a top-keys table titled `title`: calls, bytes, key.
pub(super) fn keys(
    frame: &mut Frame<'_>,
    area: Rect,
    title: &str,
    rows: &[(String, u64, u64)],
    theme: &Theme,
) {
    let rows: Vec<Row<'_>> = rows
        .iter()
        .map(|(k, n, b)| Row::new([short(*n), short(*b), k.clone()]))
        .collect();
    let widths = [
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Fill(1),
    ];
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(["calls", "bytes", "key"]).style(theme.header))
            .block(block(title, theme)),
        area,
    );
}

/// Draws the top clients table: requests, client.
pub(super) fn clients(frame: &mut Frame<'_>, area: Rect, clients: &[(String, u64)], theme: &Theme) {
    let rows: Vec<Row<'_>> = clients
        .iter()
        .map(|(c, n)| Row::new([short(*n), c.clone()]))
        .collect();
    frame.render_widget(
        Table::new(rows, [Constraint::Length(7), Constraint::Fill(1)])
            .header(Row::new(["reqs", "client"]).style(theme.header))
            .block(block("top clients", theme)),
        area,
    );
}
