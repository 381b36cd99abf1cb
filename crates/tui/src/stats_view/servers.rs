//! A proxy's servers: requests, errors, timeouts and ejections since the start, latency over
//! the last second, and which are ejected now.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Row, Table};
use ratatui::Frame;

use super::block;
use crate::app::ServerRow;
use crate::theme::Theme;
use crate::ui::format::short;

/// Draws the servers table.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, servers: &[ServerRow], theme: &Theme) {
    let rows: Vec<Row<'_>> = servers
        .iter()
        .map(|s| {
            let row = Row::new([
                s.addr.clone(),
                if s.ejected { "ejected" } else { "up" }.to_string(),
                short(s.requests),
                short(s.errors),
                short(s.timeouts),
                short(s.ejections),
                format!("{} µs", s.p50_us),
                format!("{} µs", s.p99_us),
            ]);
            if s.ejected || s.errors > 0 {
                row.style(theme.stats.errors)
            } else {
                row
            }
        })
        .collect();
    let widths = [
        Constraint::Fill(2),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(10),
    ];
    frame.render_widget(
        Table::new(rows, widths)
            .header(
                Row::new([
                    "server",
                    "state",
                    "requests",
                    "errors",
                    "timeouts",
                    "ejections",
                    "p50 (1 s)",
                    "p99 (1 s)",
                ])
                .style(theme.header),
            )
            .block(block("servers", theme)),
        area,
    );
}
