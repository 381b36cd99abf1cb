//! The bytes pane: a hex dump of the selected field's message, the field highlighted.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::pane_block;
use crate::app::{App, Pane};
use crate::details::DetailLine;
use crate::pane::{BytesPane, HexDump};
use crate::theme::Theme;

/// The title: the size, and the selected field's name and place.
fn title(dump: &HexDump<'_>) -> String {
    match dump.field_line {
        Some(d) if !dump.field.is_empty() => format!(
            " Bytes — {} bytes, {} at {}..{} ",
            dump.bytes.len(),
            d.name,
            dump.field.start,
            dump.field.end
        ),
        _ => format!(" Bytes — {} bytes ", dump.bytes.len()),
    }
}

/// One line of the dump: offset, `per` bytes in hex (a gap after the eighth), then as text.
fn hex_line(dump: &HexDump<'_>, start: usize, per: usize, theme: &Theme) -> Line<'static> {
    let chunk = &dump.bytes[start..(start + per).min(dump.bytes.len())];
    let in_field = |i: usize| dump.field.contains(&(start + i));
    let mut spans = vec![Span::styled(format!("{start:06x}  "), theme.hex.offset)];
    for (i, b) in chunk.iter().enumerate() {
        let st = if in_field(i) {
            theme.hex.highlight
        } else {
            theme.hex.byte
        };
        spans.push(Span::styled(format!("{b:02x}"), st));
        spans.push(Span::raw(if i == 7 { "  " } else { " " }));
    }
    for i in chunk.len()..per {
        spans.push(Span::raw(if i == 7 { "    " } else { "   " }));
    }
    spans.push(Span::raw(" "));
    for (i, &b) in chunk.iter().enumerate() {
        let st = if in_field(i) {
            theme.hex.highlight
        } else {
            theme.hex.ascii
        };
        let c = if (0x20..0x7f).contains(&b) {
            b as char
        } else {
            '.'
        };
        spans.push(Span::styled(c.to_string(), st));
    }
    Line::from(spans)
}

/// Draws the dump for the tree `lines` into `area`, scrolled as the pane is.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, lines: &[DetailLine]) {
    let theme = &app.theme;
    let focused = app.focus == Pane::Bytes;
    let selected = app.details.selected_in(lines.len()).unwrap_or(0);
    let Some(dump) = HexDump::of(&app.store, lines, selected) else {
        frame.render_widget(pane_block(" Bytes ".into(), focused, theme), area);
        return;
    };
    let block = pane_block(title(&dump), focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let per = BytesPane::per_line(inner.width);
    let h = usize::from(inner.height);
    let total = dump.bytes.len().div_ceil(per);
    let top = app.bytes.top_for(&dump, per, h);
    let text: Vec<Line<'_>> = (top..total.min(top + h))
        .map(|l| hex_line(&dump, l * per, per, theme))
        .collect();
    frame.render_widget(Paragraph::new(text), inner);
}
