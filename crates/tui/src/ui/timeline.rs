//! The transaction list: one table row per transaction on screen, formatted only when drawn.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::format::size;
use super::pane_block;
use crate::app::{App, Pane};
use crate::columns::Column;
use crate::details::{duration, wall_clock};
use crate::pane::TimeFormat;
use crate::theme::{LatencyBand, RowKind};
use crate::timeline::fields::printable;
use crate::timeline::store::{ERROR, FLAGGED, MISS, MULTIKEY, NONE, QUIET};
use crate::timeline::{SortKey, Txn};

/// Columns the fixed-width columns and their spacing take, the server column included.
const FIXED_COLUMNS: u16 = 116;
/// The narrowest the key column gets before the server column goes.
const MIN_KEY: u16 = 16;

/// What a row shows, for its colour: flagged bytes, an error, a miss, or a quiet request
/// answered by silence.
pub fn row_kind(t: &Txn) -> RowKind {
    if t.has(FLAGGED) {
        RowKind::Flagged
    } else if t.has(ERROR) {
        RowKind::Error
    } else if t.has(MISS) {
        RowKind::Miss
    } else if t.has(QUIET) && t.resp == NONE {
        RowKind::Quiet
    } else {
        RowKind::Normal
    }
}

/// The time column of the row at view position `pos`.
fn time_cell(app: &App, pos: usize, t: &Txn) -> String {
    match app.timeline.time_format {
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

/// The status column: the answer's status, or why there is none.
fn status_cell(app: &App, t: &Txn) -> String {
    match (t.status(), app.store.status_name(t)) {
        (Some(_), Some(name)) => name.to_string(),
        _ if t.req != NONE && t.resp == NONE && t.has(QUIET) => "(quiet)".into(),
        _ if t.req != NONE && t.resp == NONE => "(no answer)".into(),
        _ if t.req == NONE => "(no request)".into(),
        _ => String::new(),
    }
}

/// The table row of the transaction at view position `pos`.
fn row(app: &App, pos: usize, show_server: bool) -> Option<Row<'static>> {
    let theme = &app.theme;
    let store = &app.store;
    let row = app.view.row(pos)?;
    let t = store.txn(row)?;
    let flow = store.flow(t);
    let mut op = store.op(t).to_string();
    if t.has(QUIET) {
        op.push_str(" (q)");
    }
    let mut key = printable(store.key(t));
    if t.has(MULTIKEY) {
        let n = store.keys(t).count();
        key = format!("{key} (+{})", n - 1);
    }
    let lat = t.latency();
    let cells = vec![
        Cell::from(format!(
            "{}{}",
            if app.marks.contains(&row) { "*" } else { "" },
            u64::from(row) + store.evicted + 1
        )),
        Cell::from(time_cell(app, pos, t)),
        Cell::from(flow.client.to_string()),
        Cell::from(flow.server.to_string()),
        Cell::from(op),
        Cell::from(key),
        Cell::from(status_cell(app, t)),
        Cell::from(size(t.size)),
        Cell::from(lat.map_or_else(String::new, duration))
            .style(lat.map_or(Style::new(), |ns| theme.latency.of(LatencyBand::of(ns)))),
    ];
    let cells = pick(app, show_server, cells);
    let mut style = theme.rows.of(row_kind(t));
    if pos == app.timeline.selected() {
        style = style.patch(theme.selection);
    }
    Some(Row::new(cells).style(style))
}

/// The title: how many rows of how many, and the sort order unless by arrival.
fn title(app: &App) -> String {
    let (sort, desc) = app.view.sort();
    let order = if sort != SortKey::Arrival || desc {
        format!(", by {} {}", sort.name(), arrow(desc))
    } else {
        String::new()
    };
    format!(
        " Timeline — {} of {} transactions{order} ",
        app.view.len(),
        app.store.len() as u64 + app.store.evicted,
    )
}

fn arrow(desc: bool) -> &'static str {
    if desc {
        "▼"
    } else {
        "▲"
    }
}

/// The header row, the sort column marked.
fn header(app: &App, show_server: bool) -> Row<'static> {
    let (sort, desc) = app.view.sort();
    let mark = |k: SortKey, name: &'static str| -> String {
        if k == sort && (k != SortKey::Arrival || desc) {
            format!("{name}{}", arrow(desc))
        } else {
            name.to_string()
        }
    };
    let names = vec![
        mark(SortKey::Arrival, "No."),
        format!("Time ({})", app.timeline.time_format.name()),
        mark(SortKey::Client, "Client"),
        "Server".to_string(),
        mark(SortKey::Op, "Op"),
        mark(SortKey::Key, "Key"),
        mark(SortKey::Status, "Status"),
        mark(SortKey::Size, "Size"),
        mark(SortKey::Latency, "Latency"),
    ];
    Row::new(pick(app, show_server, names)).style(app.theme.header)
}

/// The cells of the columns shown, from one per column of [`Column::ALL`].
fn pick<T>(app: &App, show_server: bool, all: Vec<T>) -> Vec<T> {
    all.into_iter()
        .zip(Column::ALL)
        .filter(|(_, c)| app.columns.shows(*c) && (show_server || *c != Column::Server))
        .map(|(x, _)| x)
        .collect()
}

/// Column widths: the key takes what is left (the last column, when the key is hidden).
fn widths(app: &App, show_server: bool) -> Vec<Constraint> {
    let widths = vec![
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
    let mut widths = pick(app, show_server, widths);
    if !app.columns.shows(Column::Key) {
        if let Some(last) = widths.last_mut() {
            *last = Constraint::Fill(1);
        }
    }
    widths
}

/// Why the list is empty.
fn empty_message(app: &App) -> &'static str {
    if !app.store.is_empty() {
        "no row matches the filter"
    } else if app.source.live && !app.source.ended {
        "waiting for traffic…"
    } else {
        "no memcached traffic"
    }
}

/// Draws the list into `area`: only the rows on screen are formatted.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let block = pane_block(title(app), app.focus == Pane::List, &app.theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows_on_screen = usize::from(inner.height.saturating_sub(1));
    let top = app.timeline.top_for(rows_on_screen);
    let end = (top + rows_on_screen.max(1)).min(app.view.len());
    // Narrow terminals drop the server column before the key gets squeezed.
    let show_server = inner.width >= FIXED_COLUMNS + MIN_KEY || !app.columns.shows(Column::Key);
    let rows: Vec<Row<'_>> = (top..end)
        .filter_map(|pos| row(app, pos, show_server))
        .collect();
    let table = Table::new(rows, widths(app, show_server))
        .header(header(app, show_server))
        .column_spacing(1);
    frame.render_widget(table, inner);
    if app.view.is_empty() {
        let r = Rect {
            y: inner.y + 2.min(inner.height.saturating_sub(1)),
            height: 1,
            ..inner
        };
        frame.render_widget(
            Paragraph::new(empty_message(app))
                .centered()
                .style(app.theme.muted),
            r,
        );
    }
}
