//! The totals line: requests, the last second's rate, errors.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{block, Snapshot};
use crate::app::App;
use crate::ui::format::short;

/// Draws the totals over all traffic, whatever the filter.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, snap: &Snapshot) {
    let theme = &app.theme;
    let requests: u64 = snap.ops.iter().map(|o| o.1).sum();
    let errors: u64 = snap.errors.iter().map(|e| e.1).sum();
    let line = Line::from(vec![
        Span::raw(format!(
            "{} requests in {:.1} s",
            short(requests),
            snap.seconds
        )),
        Span::raw(format!(
            "  ·  {} req/s last second",
            app.rates.last_second()
        )),
        Span::styled(
            format!("  ·  {errors} errors"),
            if errors > 0 {
                theme.stats.errors
            } else {
                theme.text
            },
        ),
    ]);
    frame.render_widget(
        Paragraph::new(line).block(block(
            "totals, all traffic (the filter does not apply here)",
            theme,
        )),
        area,
    );
}
