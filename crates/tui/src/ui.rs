//! Drawing an [`App`]: the timeline, details, bytes and stats screens, the input line, the
//! status bar and the help overlay. Only the rows on screen are formatted, so a frame costs the
//! same at ten rows or ten million.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Bar, BarChart, BarGroup, Block, Cell, Clear, Paragraph, Row, Sparkline, Table,
};
use ratatui::Frame;

use super::app::{App, InputKind, Pane, Screen, TimeFormat};
use super::details::{duration, wall_clock};
use crate::timeline::fields::printable;
use crate::timeline::store::{ERROR, FLAGGED, MISS, NONE, QUIET};
use crate::timeline::{SortKey, Txn};

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
    ("f", "follow the newest row"),
    ("space", "pause / resume taking new rows (they are kept)"),
    ("s", "stats screen (rates, hit ratio, latency, top keys)"),
    ("t", "time column: relative, absolute, delta"),
    ("o / O", "sort by the next column / reverse the order"),
    ("mouse wheel", "scroll"),
    ("?", "this help"),
    ("q / Ctrl-C", "quit"),
];

const FILTER_HELP: &str =
    "fields: op key status latency size proto kind client server port flow · \
    == != < <= > >= ~ contains && || ! () · units 500us 2ms 1s 4kb";

/// Draws the whole window.
pub fn draw(frame: &mut Frame<'_>, app: &mut App) {
    let area = frame.area();
    let input_lines = match &app.input {
        Some(bar) if bar.error.is_some() => 3,
        Some(_) => 2,
        None => 0,
    };
    let [main, input, status] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(input_lines),
        Constraint::Length(1),
    ])
    .areas(area);
    match app.screen {
        Screen::Timeline => timeline_screen(frame, main, app),
        Screen::Stats => super::stats_view::draw(frame, main, app),
    }
    if app.input.is_some() {
        input_bar(frame, input, app);
    }
    status_bar(frame, status, app);
    if app.help {
        help(frame, area);
    }
}

fn timeline_screen(frame: &mut Frame<'_>, area: Rect, app: &mut App) {
    if !app.details_open {
        list(frame, area, app);
        return;
    }
    let [top, mid, bottom] = Layout::vertical([
        Constraint::Percentage(45),
        Constraint::Percentage(35),
        Constraint::Percentage(20),
    ])
    .areas(area);
    list(frame, top, app);
    let details = app.details();
    details_pane(frame, mid, app, &details);
    bytes_pane(frame, bottom, app, &details);
}

fn pane_block(title: String, focused: bool) -> Block<'static> {
    let b = Block::bordered().title(title);
    if focused {
        b.border_style(Style::new().fg(Color::Cyan))
    } else {
        b.border_style(Style::new().fg(Color::DarkGray))
    }
}

/// The style of a row: misses yellow, errors red, flagged bytes magenta, quiet dim.
fn row_style(t: &Txn) -> Style {
    if t.has(FLAGGED) {
        Style::new().fg(Color::Magenta)
    } else if t.has(ERROR) {
        Style::new().fg(Color::Red)
    } else if t.has(MISS) {
        Style::new().fg(Color::Yellow)
    } else if t.has(QUIET) && t.resp == NONE {
        Style::new().fg(Color::DarkGray)
    } else {
        Style::new()
    }
}

/// Latency bands: under 1 ms plain, to 10 ms yellow, to 100 ms light red, beyond red.
fn latency_style(ns: u64) -> Style {
    match ns {
        0..=999_999 => Style::new(),
        1_000_000..=9_999_999 => Style::new().fg(Color::Yellow),
        10_000_000..=99_999_999 => Style::new().fg(Color::LightRed),
        _ => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
    }
}

fn time_cell(app: &App, pos: usize, t: &Txn) -> String {
    match app.time_format {
        TimeFormat::Absolute => wall_clock(t.ts_ns)[11..].to_string(),
        TimeFormat::Relative => {
            let first = app.store.txns().first().map_or(t.ts_ns, |f| f.ts_ns);
            format!("{:.6}", t.ts_ns.saturating_sub(first) as f64 / 1e9)
        }
        TimeFormat::Delta => {
            let prev = pos
                .checked_sub(1)
                .and_then(|p| app.view.row(p))
                .and_then(|r| app.store.txn(r))
                .map_or(t.ts_ns, |p| p.ts_ns);
            let d = t.ts_ns as i128 - prev as i128;
            format!("{:+.6}", d as f64 / 1e9)
        }
    }
}

fn size_text(n: u32) -> String {
    match n {
        0 => String::new(),
        1..=9_999 => n.to_string(),
        10_000..=9_999_999 => format!("{:.1}k", f64::from(n) / 1024.0),
        _ => format!("{:.1}M", f64::from(n) / 1048576.0),
    }
}

fn list(frame: &mut Frame<'_>, area: Rect, app: &mut App) {
    let focused = app.pane == Pane::List;
    let (sort, desc) = app.view.sort();
    let title = format!(
        " Timeline — {} of {} transactions{} ",
        app.view.len(),
        app.store.len() as u64 + app.store.evicted,
        if sort != SortKey::Arrival || desc {
            format!(", by {} {}", sort.name(), if desc { "▼" } else { "▲" })
        } else {
            String::new()
        }
    );
    let block = pane_block(title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Header + rows.
    app.list_height = inner.height.saturating_sub(1) as usize;
    let h = app.list_height.max(1);
    // Keep the selection on screen after a resize.
    if app.selected >= app.offset + h {
        app.offset = app.selected + 1 - h;
    }
    if app.selected < app.offset {
        app.offset = app.selected;
    }
    let mark = |k: SortKey, name: &'static str| -> String {
        if k == sort && (k != SortKey::Arrival || desc) {
            format!("{name}{}", if desc { "▼" } else { "▲" })
        } else {
            name.to_string()
        }
    };
    // Narrow terminals drop the server column before the key gets squeezed below 16 columns
    // (the fixed columns and their spacing take 116).
    let show_server = inner.width >= 116 + 16;
    let mut header = vec![
        mark(SortKey::Arrival, "No."),
        format!("Time ({})", app.time_format.name()),
        mark(SortKey::Client, "Client"),
        "Server".to_string(),
        mark(SortKey::Op, "Op"),
        mark(SortKey::Key, "Key"),
        mark(SortKey::Status, "Status"),
        mark(SortKey::Size, "Size"),
        mark(SortKey::Latency, "Latency"),
    ];
    if !show_server {
        header.remove(3);
    }
    let header = Row::new(header).style(Style::new().add_modifier(Modifier::BOLD).fg(Color::Cyan));
    let store = &app.store;
    let end = (app.offset + h).min(app.view.len());
    let rows: Vec<Row<'_>> = (app.offset..end)
        .filter_map(|pos| {
            let row = app.view.row(pos)?;
            let t = store.txn(row)?;
            let flow = store.flow(t);
            let mut op = store.op(t).to_string();
            if t.has(QUIET) {
                op.push_str(" (q)");
            }
            let key = store.key(t);
            let mut key = printable(key);
            if t.has(crate::timeline::store::MULTIKEY) {
                let n = store.keys(t).count();
                key = format!("{key} (+{})", n - 1);
            }
            let status = match (t.status(), store.status_name(t)) {
                (Some(_), Some(name)) => name.to_string(),
                _ if t.req != NONE && t.resp == NONE && t.has(QUIET) => "(quiet)".into(),
                _ if t.req != NONE && t.resp == NONE => "(no answer)".into(),
                _ if t.req == NONE => "(no request)".into(),
                _ => String::new(),
            };
            let lat = t.latency();
            let mut cells = vec![
                Cell::from((u64::from(row) + store.evicted + 1).to_string()),
                Cell::from(time_cell(app, pos, t)),
                Cell::from(flow.client.to_string()),
                Cell::from(flow.server.to_string()),
                Cell::from(op),
                Cell::from(key),
                Cell::from(status),
                Cell::from(size_text(t.size)),
                Cell::from(lat.map_or_else(String::new, duration))
                    .style(lat.map_or(Style::new(), latency_style)),
            ];
            if !show_server {
                cells.remove(3);
            }
            let mut r = Row::new(cells).style(row_style(t));
            if pos == app.selected {
                r = r.style(row_style(t).add_modifier(Modifier::REVERSED));
            }
            Some(r)
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(8),
        Constraint::Length(16),
        Constraint::Length(21),
        Constraint::Length(21),
        Constraint::Length(11),
        Constraint::Fill(1),
        Constraint::Length(14),
        Constraint::Length(7),
        Constraint::Length(10),
    ];
    if !show_server {
        widths.remove(3);
    }
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    frame.render_widget(table, inner);
    if app.view.is_empty() {
        let msg = if app.store.is_empty() {
            if app.source.live && !app.source.ended {
                "waiting for traffic…"
            } else {
                "no memcached traffic"
            }
        } else {
            "no row matches the filter"
        };
        let r = Rect {
            y: inner.y + 2.min(inner.height.saturating_sub(1)),
            height: 1,
            ..inner
        };
        frame.render_widget(Paragraph::new(msg).centered().fg(Color::DarkGray), r);
    }
}

fn details_pane(
    frame: &mut Frame<'_>,
    area: Rect,
    app: &mut App,
    details: &[super::details::DetailLine],
) {
    let focused = app.pane == Pane::Details;
    let block = pane_block(" Details ".into(), focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if details.is_empty() {
        return;
    }
    app.detail_selected = app.detail_selected.min(details.len() - 1);
    let h = inner.height as usize;
    let top = app.detail_selected.saturating_sub(h.saturating_sub(1));
    let lines: Vec<Line<'_>> = details
        .iter()
        .enumerate()
        .skip(top)
        .take(h)
        .map(|(i, d)| {
            let indent = "  ".repeat(d.depth as usize);
            let name_style = if d.depth == 0 {
                Style::new().add_modifier(Modifier::BOLD).fg(Color::Cyan)
            } else if d.name == "flagged" {
                Style::new().fg(Color::Magenta)
            } else {
                Style::new().fg(Color::Gray)
            };
            let mut line = Line::from(vec![
                Span::raw(indent),
                Span::styled(d.name.clone(), name_style),
                Span::raw(": "),
                Span::raw(d.value.clone()),
            ]);
            if i == app.detail_selected && focused {
                line = line.style(Style::new().add_modifier(Modifier::REVERSED));
            }
            line
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn bytes_pane(
    frame: &mut Frame<'_>,
    area: Rect,
    app: &mut App,
    details: &[super::details::DetailLine],
) {
    let focused = app.pane == Pane::Bytes;
    // The message of the selected field (or the transaction's first message).
    let sel = details.get(app.detail_selected);
    let (msg, range) = match sel {
        Some(d) if d.msg != NONE => (d.msg, d.range.clone()),
        _ => (
            details
                .iter()
                .find(|d| d.msg != NONE)
                .map_or(NONE, |d| d.msg),
            0..0,
        ),
    };
    if app.store.msg(msg).is_none() {
        frame.render_widget(pane_block(" Bytes ".into(), focused), area);
        return;
    };
    let raw = app.store.bytes(msg);
    let title = match sel {
        Some(d) if d.msg != NONE && !d.range.is_empty() => {
            format!(
                " Bytes — {} bytes, {} at {}..{} ",
                raw.len(),
                d.name,
                d.range.start,
                d.range.end
            )
        }
        _ => format!(" Bytes — {} bytes ", raw.len()),
    };
    let block = pane_block(title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let per = if inner.width >= 78 { 16 } else { 8 };
    let total_lines = raw.len().div_ceil(per);
    let h = inner.height as usize;
    if app.bytes_offset == usize::MAX {
        // Scroll so that the selected field is in view.
        app.bytes_offset = (range.start / per).saturating_sub(h / 3);
    }
    app.bytes_offset = app.bytes_offset.min(total_lines.saturating_sub(h));
    let hl = Style::new().bg(Color::Blue).fg(Color::White);
    let lines: Vec<Line<'_>> = (app.bytes_offset..total_lines.min(app.bytes_offset + h))
        .map(|l| {
            let start = l * per;
            let chunk = &raw[start..(start + per).min(raw.len())];
            let mut spans = vec![Span::styled(
                format!("{start:06x}  "),
                Style::new().fg(Color::DarkGray),
            )];
            for (i, b) in chunk.iter().enumerate() {
                let at = start + i;
                let st = if range.contains(&at) {
                    hl
                } else {
                    Style::new()
                };
                spans.push(Span::styled(format!("{b:02x}"), st));
                spans.push(Span::raw(if i == 7 { "  " } else { " " }));
            }
            for i in chunk.len()..per {
                spans.push(Span::raw(if i == 7 { "    " } else { "   " }));
            }
            spans.push(Span::raw(" "));
            for (i, &b) in chunk.iter().enumerate() {
                let at = start + i;
                let st = if range.contains(&at) {
                    hl
                } else {
                    Style::new().fg(Color::Gray)
                };
                let c = if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                };
                spans.push(Span::styled(c.to_string(), st));
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn input_bar(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let Some(bar) = &app.input else { return };
    let prompt = match bar.kind {
        InputKind::Filter => "filter /",
        InputKind::Find => "search :",
    };
    let [line, under, third] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(area.height.saturating_sub(2)),
    ])
    .areas(area);
    let ok = bar.error.is_none();
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!("{prompt} "), Style::new().fg(Color::Cyan).bold()),
            Span::styled(
                bar.text.clone(),
                if ok {
                    Style::new().fg(Color::Green)
                } else {
                    Style::new().fg(Color::Red)
                },
            ),
        ])),
        line,
    );
    let col = line.x + prompt.chars().count() as u16 + 1 + bar.cursor as u16;
    frame.set_cursor_position((col.min(line.right().saturating_sub(1)), line.y));
    match &bar.error {
        Some(e) => {
            let pad = " ".repeat(prompt.chars().count() + 1);
            frame.render_widget(
                Paragraph::new(format!("{pad}{}", e.caret_line(&bar.text))).fg(Color::Red),
                under,
            );
            frame.render_widget(
                Paragraph::new(format!("{pad}{} — Enter keeps the current filter", e))
                    .fg(Color::Red),
                third,
            );
        }
        None => frame.render_widget(Paragraph::new(FILTER_HELP).fg(Color::DarkGray), under),
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn status_bar(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let sep = Span::styled(" │ ", Style::new().fg(Color::DarkGray));
    let mut spans = vec![
        Span::styled(
            " memshark ",
            Style::new().bg(Color::Cyan).fg(Color::Black).bold(),
        ),
        Span::raw(" "),
        Span::raw(app.source.label.clone()),
    ];
    if let Some(p) = app.source.progress {
        spans.push(sep.clone());
        spans.push(Span::styled(
            format!("loading {:.0}%", p * 100.0),
            Style::new().fg(Color::Yellow),
        ));
    }
    spans.push(sep.clone());
    spans.push(Span::raw(format!(
        "{} txns",
        thousands(app.store.len() as u64 + app.store.evicted)
    )));
    if app.source.live || app.source.progress.is_some() {
        spans.push(sep.clone());
        spans.push(Span::raw(format!("{:.0} msg/s", app.ingest_rate)));
    }
    if !app.view.filter().is_all() {
        spans.push(sep.clone());
        spans.push(Span::styled(
            format!("filter: {}", app.view.filter().source()),
            Style::new().fg(Color::Green),
        ));
    }
    if let Some(f) = &app.find {
        spans.push(sep.clone());
        spans.push(Span::styled(
            format!("search: {}", f.source()),
            Style::new().fg(Color::Green),
        ));
    }
    let dropped = app.dropped();
    if app.source.live {
        spans.push(sep.clone());
        spans.push(Span::styled(
            format!("dropped {}", thousands(dropped)),
            if dropped > 0 {
                Style::new().fg(Color::Red).bold()
            } else {
                Style::new().fg(Color::DarkGray)
            },
        ));
    }
    if let Some((recv, drop, ifdrop)) = app.source.kernel {
        spans.push(sep.clone());
        spans.push(Span::styled(
            format!("kernel: {recv} recv, {drop} drop, {ifdrop} if-drop"),
            if drop + ifdrop > 0 {
                Style::new().fg(Color::Red)
            } else {
                Style::new().fg(Color::DarkGray)
            },
        ));
    }
    if app.store.evicted > 0 {
        spans.push(sep.clone());
        spans.push(Span::raw(format!(
            "oldest {} rows let go",
            thousands(app.store.evicted)
        )));
    }
    if app.paused {
        spans.push(sep.clone());
        spans.push(Span::styled(
            "PAUSED",
            Style::new().bg(Color::Yellow).fg(Color::Black),
        ));
    } else if app.follow {
        spans.push(sep.clone());
        spans.push(Span::styled("FOLLOW", Style::new().fg(Color::Cyan)));
    }
    if let Some(n) = &app.note {
        spans.push(sep.clone());
        spans.push(Span::styled(n.clone(), Style::new().fg(Color::Yellow)));
    }
    spans.push(sep);
    spans.push(Span::styled("? help", Style::new().fg(Color::DarkGray)));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn help(frame: &mut Frame<'_>, area: Rect) {
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
                Span::styled(format!("{k:>30}  "), Style::new().fg(Color::Cyan).bold()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(
        Line::raw(" Filter: op == \"get\" && status != 0 · latency > 1ms · key ~ \"^user:\"")
            .fg(Color::Green),
    );
    lines.push(
        Line::raw(" Colours: yellow miss · red error · magenta malformed/gap · dim quiet")
            .fg(Color::DarkGray),
    );
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" Keys — any key closes ")
                .border_style(Style::new().fg(Color::Cyan)),
        ),
        r,
    );
}

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
pub fn latency_chart(counts: &[u64]) -> BarChart<'static> {
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
        .bar_style(Style::new().fg(Color::Cyan))
}

/// `12`, `3.4k`, `5.6M`.
pub fn short(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=9_999_999 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// A sparkline of one op's last minute.
pub fn sparkline(data: &[u64]) -> Sparkline<'_> {
    Sparkline::default()
        .data(data)
        .style(Style::new().fg(Color::Green))
}
