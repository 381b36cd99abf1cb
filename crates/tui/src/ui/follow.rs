//! The followed connection's conversation: from the selected transaction on, client lines
//! after `→`, server lines after `←`, gaps marked.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::pane_block;
use crate::app::App;
use crate::follow::{txn_lines, Side};

/// Draws the conversation into `area`.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let Some(conv) = &app.conversation else {
        return;
    };
    let theme = &app.theme;
    let title = match app.store.flows().get(conv.flow as usize) {
        Some(f) => format!(
            " Follow: {} → {} (connection {}, {} transactions) — Esc goes back ",
            f.client,
            f.server,
            f.conn,
            conv.rows.len()
        ),
        None => " Follow ".to_string(),
    };
    let block = pane_block(title, false, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let h = usize::from(inner.height);
    let from = app.selected_row().map_or(0, |r| conv.index_of(r));
    let mut lines: Vec<Line<'_>> = Vec::with_capacity(h);
    for (i, &row) in conv.rows.iter().enumerate().skip(from) {
        if lines.len() >= h {
            break;
        }
        let n = u64::from(row) + app.store.evicted + 1;
        for (k, l) in txn_lines(&app.store, row).into_iter().enumerate() {
            let (mark, style) = match l.side {
                Side::Client => ("→", theme.follow.client),
                Side::Server => ("←", theme.follow.server),
                Side::Gap => ("!", theme.follow.gap),
            };
            let no = if k == 0 {
                format!("{n:>8} ")
            } else {
                " ".repeat(9)
            };
            let mut line = Line::from(vec![
                Span::styled(no, theme.muted),
                Span::styled(format!("{mark} "), style),
                Span::styled(l.text, style),
            ]);
            if i == from {
                line = line.patch_style(theme.follow_selected());
            }
            lines.push(line);
            if lines.len() >= h {
                break;
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
