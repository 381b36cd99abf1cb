//! The help overlay: every key, an example filter, what the colours mean.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use crate::theme::Theme;

/// Every key, as the help overlay lists them.
pub const KEYS: &[(&str, &str)] = &[
    (
        "j / ↓, k / ↑",
        "next / previous row (or field, in the details pane)",
    ),
    ("PgDn / Ctrl-f, PgUp / Ctrl-b", "a page down / up"),
    ("Ctrl-d / Ctrl-u", "half a page down / up"),
    ("g / Home, G / End", "first / last row"),
    ("Enter", "open the details and bytes of the selected row"),
    (
        "Tab / Shift-Tab",
        "next / previous pane (list, details, bytes)",
    ),
    ("Esc", "close the details, the stats or the input line"),
    ("/", "display filter: only matching rows are shown"),
    (
        "Ctrl-U/W/A/E",
        "in the input line: clear to start, delete word, start, end",
    ),
    (":", "search: n / N jump to the next / previous match"),
    ("n / N", "next / previous search match"),
    (
        "F",
        "follow the row's connection (its conversation); Esc goes back",
    ),
    (
        "a / A / |",
        "details: filter on the field (&& ==, && !=, || ==)",
    ),
    ("f", "follow the newest row"),
    ("space", "pause / resume taking new rows (they are kept)"),
    (
        "c",
        "conversations: per connection / client (Tab), o/O order, Enter filters",
    ),
    (
        "i",
        "I/O graph: req/s, errors/s, p99; h/l move, Enter goes there",
    ),
    ("m / M", "mark / unmark the row, clear every mark"),
    (
        "w",
        "export the marked rows (or the filter's) with their frames to a pcap/pcapng",
    ),
    (
        "y",
        "copy the key (the value, on a value field) to the clipboard (OSC 52)",
    ),
    ("s", "stats screen (rates, hit ratio, latency, top keys)"),
    (
        "C",
        "choose the columns shown (saved in ~/.config/memshark/config.toml)",
    ),
    ("t", "time column: relative, absolute, delta"),
    ("o / O", "sort by the next column / reverse the order"),
    (
        "mouse",
        "click: select a row, field, pane or table; wheel: scroll the pane under it",
    ),
    ("?", "this help"),
    ("q / Ctrl-C", "quit"),
];

/// Draws the overlay centred in `area`, over whatever is there.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let w = 100.min(area.width);
    let h = (KEYS.len() as u16 + 6).min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, r);
    let mut lines: Vec<Line<'_>> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!("{k:>30}  "), theme.help.key),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(
        Line::raw(" Filter: op == \"get\" && status != 0 · latency > 1ms · key ~ \"^user:\"")
            .style(theme.help.example),
    );
    lines.push(
        Line::raw(" Colours: yellow miss · red error · magenta malformed/gap · dim quiet")
            .style(theme.help.legend),
    );
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" Keys — any key closes ")
                .border_style(theme.help.border),
        ),
        r,
    );
}
