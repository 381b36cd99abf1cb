//! The status bar: the source, counts, the filter and search in force, drops, modes, a note.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::format::thousands;
use crate::app::App;

/// Draws the status bar into `area`.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let theme = &app.theme;
    let mut spans = vec![
        Span::styled(" memshark ", theme.status.brand),
        Span::raw(" "),
        Span::raw(app.source.label.as_str()),
    ];
    // Each part after the first comes after a separator.
    let mut part = |span: Span<'static>| {
        spans.push(Span::styled(" │ ", theme.muted));
        spans.push(span);
    };
    if let Some(p) = app.source.progress {
        part(Span::styled(
            format!("loading {:.0}%", p * 100.0),
            theme.status.loading,
        ));
    }
    part(Span::raw(format!(
        "{} txns",
        thousands(app.store.len() as u64 + app.store.evicted)
    )));
    if app.source.live || app.source.progress.is_some() {
        part(Span::raw(format!("{:.0} msg/s", app.ingest_rate())));
    }
    if !app.view.filter().is_all() {
        part(Span::styled(
            format!("filter: {}", app.view.filter().source()),
            theme.status.filter,
        ));
    }
    if let Some(f) = &app.find {
        part(Span::styled(
            format!("search: {}", f.source()),
            theme.status.filter,
        ));
    }
    if app.source.live {
        let dropped = app.dropped();
        part(Span::styled(
            format!("dropped {}", thousands(dropped)),
            if dropped > 0 {
                theme.status.dropped
            } else {
                theme.muted
            },
        ));
    }
    if let Some((recv, drop, ifdrop)) = app.source.kernel {
        part(Span::styled(
            format!("kernel: {recv} recv, {drop} drop, {ifdrop} if-drop"),
            if drop + ifdrop > 0 {
                theme.status.kernel_dropped
            } else {
                theme.muted
            },
        ));
    }
    if app.store.evicted > 0 {
        part(Span::raw(format!(
            "oldest {} rows let go",
            thousands(app.store.evicted)
        )));
    }
    if !app.marks.is_empty() {
        part(Span::styled(
            format!("{} marked", app.marks.len()),
            theme.status.filter,
        ));
    }
    if app.paused {
        part(Span::styled("PAUSED", theme.status.paused));
    } else if app.timeline.follow {
        part(Span::styled("FOLLOW", theme.status.follow));
    }
    if let Some(n) = &app.note {
        part(Span::styled(n.clone(), theme.status.note));
    }
    part(Span::styled("? help", theme.muted));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
