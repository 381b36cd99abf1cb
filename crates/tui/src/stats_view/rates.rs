//! Requests per second per op, as sparklines over the last minute.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};
use ratatui::Frame;

use super::{block, Snapshot};
use crate::app::App;
use crate::ui::format::short;

/// Draws one op per two lines, busiest first, as many as fit: its name and rate, and its
/// sparkline with the newest second at the right edge.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, snap: &Snapshot) {
    let theme = &app.theme;
    let outer = block("requests/s per op, last 60 s", theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let per_op = app.rates.per_op();
    let rows = (inner.height as usize / 2).max(1);
    for (i, (op, series)) in per_op.iter().take(rows).enumerate() {
        let y = inner.y + (i as u16) * 2;
        if y + 1 > inner.y + inner.height {
            break;
        }
        // Live: the last complete second; a finished capture: its average.
        let label_rate = if app.source.live && !app.source.ended {
            let last = series
                .get(series.len().saturating_sub(2))
                .copied()
                .unwrap_or(0);
            format!("{}/s", short(last))
        } else {
            let n = snap.ops.iter().find(|o| o.0 == *op).map_or(0, |o| o.1);
            format!("{:.0}/s avg", n as f64 / snap.seconds.max(1e-9).max(1.0))
        };
        let [label, line] = Layout::horizontal([Constraint::Length(16), Constraint::Fill(1)])
            .areas(Rect {
                y,
                height: 2.min(inner.y + inner.height - y),
                ..inner
            });
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(Span::styled(op.to_string(), theme.stats.op)),
                Line::from(label_rate),
            ]),
            label,
        );
        let from = series.len().saturating_sub(line.width as usize);
        frame.render_widget(
            Sparkline::default()
                .data(&series[from..])
                .style(theme.stats.sparkline),
            line,
        );
    }
}
