//! Latency percentiles per op, and a histogram over all ops.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Row, Table};
use ratatui::Frame;

use super::{block, Snapshot};
use crate::theme::Theme;
use crate::ui::format::short;

/// The latency histogram's buckets (upper bounds in µs) and labels.
pub const LATENCY_BUCKETS: &[(u64, &str)] = &[
    (100, "<100µs"),
    (250, "<250µs"),
    (500, "<500µs"),
    (1_000, "<1ms"),
    (2_500, "<2.5ms"),
    (10_000, "<10ms"),
    (100_000, "<100ms"),
    (u64::MAX, "≥100ms"),
];

/// A bar chart of counts per latency bucket.
pub fn latency_chart(counts: &[u64], theme: &Theme) -> BarChart<'static> {
    let bars: Vec<Bar<'static>> = LATENCY_BUCKETS
        .iter()
        .zip(counts)
        .map(|((_, label), &n)| {
            Bar::default()
                .label(Line::from(*label))
                .value(n)
                .text_value(short(n))
        })
        .collect();
    BarChart::default()
        .data(BarGroup::default().bars(&bars))
        .bar_width(7)
        .bar_gap(1)
        .bar_style(theme.stats.bars)
}

/// Draws the percentiles table above the histogram.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, snap: &Snapshot, theme: &Theme) {
    let [table, histogram] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(9)]).areas(area);
    let header = Row::new([
        "op", "reqs", "answers", "p50 µs", "p90", "p99", "p99.9", "max",
    ])
    .style(theme.header);
    let rows: Vec<Row<'_>> = snap
        .ops
        .iter()
        .map(|(op, req, ans, q)| {
            let mut cells = vec![op.to_string(), req.to_string(), ans.to_string()];
            cells.extend(
                q.iter()
                    .map(|v| if *ans == 0 { "-".into() } else { v.to_string() }),
            );
            Row::new(cells)
        })
        .collect();
    let widths = [
        Constraint::Length(12),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(8),
    ];
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(block("latency by op", theme)),
        table,
    );
    frame.render_widget(
        latency_chart(&snap.histogram, theme).block(block("latency histogram (all ops)", theme)),
        histogram,
    );
}
