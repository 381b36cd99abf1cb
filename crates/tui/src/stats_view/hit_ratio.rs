//! The get hit ratio gauge.

use ratatui::layout::Rect;
use ratatui::widgets::Gauge;
use ratatui::Frame;

use super::{block, Snapshot};
use crate::theme::Theme;

/// Draws the hit ratio as a gauge: green above 90%, yellow above 50%, red below.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, snap: &Snapshot, theme: &Theme) {
    let ratio = snap.hit_ratio.unwrap_or(0.0);
    let style = if ratio > 0.9 {
        theme.stats.hit_good
    } else if ratio > 0.5 {
        theme.stats.hit_fair
    } else {
        theme.stats.hit_poor
    };
    let label = match snap.hit_ratio {
        Some(r) => format!(
            "{:.1}%  ({} of {} lookups)",
            r * 100.0,
            snap.lookups.0,
            snap.lookups.1
        ),
        None => "no lookups".into(),
    };
    frame.render_widget(
        Gauge::default()
            .block(block("get hit ratio", theme))
            .gauge_style(style)
            .ratio(ratio.clamp(0.0, 1.0))
            .label(label),
        area,
    );
}
