//! The conversations screen: a table per connection or per client address.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Row, Table};
use ratatui::Frame;

use super::format::thousands;
use super::pane_block;
use crate::app::App;
use crate::conversations::{Column, ConvRow, Endpoint, Table as Which};
use crate::details::duration;

fn bytes(n: u64) -> String {
    match n {
        0..=99_999 => n.to_string(),
        100_000..=99_999_999 => format!("{:.1}k", n as f64 / 1024.0),
        _ => format!("{:.1}M", n as f64 / 1048576.0),
    }
}

fn cell(r: &ConvRow, col: Column, first: u64) -> String {
    // Client rows name the address and its connection count; "ip (N)" fits the column.
    let secs = |ns: u64| format!("{:.3}", ns.saturating_sub(first) as f64 / 1e9);
    match col {
        Column::Client => match r.who {
            Endpoint::Connection { client, .. } => client.to_string(),
            Endpoint::Client(ip) => format!("{ip} ({})", r.connections),
        },
        Column::Server => match r.who {
            Endpoint::Connection { server, .. } => server.to_string(),
            Endpoint::Client(_) => String::new(),
        },
        Column::Proto => r.proto.name().to_string(),
        Column::Requests => thousands(r.requests),
        Column::Errors => thousands(r.errors),
        Column::BytesOut => bytes(r.bytes_out),
        Column::BytesIn => bytes(r.bytes_in),
        Column::HitRatio => r
            .hit_ratio()
            .map_or_else(|| "—".into(), |h| format!("{:.1}", h * 100.0)),
        Column::P50 => r.p50.map_or_else(|| "—".into(), duration),
        Column::P99 => r.p99.map_or_else(|| "—".into(), duration),
        Column::First => secs(r.first_ns),
        Column::Last => secs(r.last_ns),
    }
}

fn width(col: Column) -> u16 {
    match col {
        Column::Client | Column::Server => 21,
        Column::Proto | Column::HitRatio => 6,
        Column::Requests | Column::P50 | Column::P99 => 9,
        Column::Errors => 7,
        Column::BytesOut | Column::BytesIn | Column::First | Column::Last => 8,
    }
}

/// Columns that go first when the table is wider than the screen, in that order.
const DROP_FIRST: [Column; 4] = [Column::Last, Column::First, Column::Proto, Column::BytesIn];

/// Draws the conversations screen into `area`.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let Some(pane) = &app.conversations else {
        return;
    };
    let theme = &app.theme;
    let rows = pane.rows();
    let (name, other) = match pane.table {
        Which::Connections => ("Connections", "clients"),
        Which::Clients => ("Clients", "connections"),
    };
    let title = format!(
        " {name} — {} (Tab: {other}, o/O: order, Enter: filter the timeline, Esc: back) ",
        rows.len()
    );
    let block = pane_block(title, true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut cols: Vec<Column> = Column::ALL
        .into_iter()
        .filter(|&c| !(pane.table == Which::Clients && c == Column::Server))
        .collect();
    let total = |cols: &[Column]| -> u16 { cols.iter().map(|&c| width(c) + 1).sum() };
    for drop in DROP_FIRST {
        if total(&cols) <= inner.width + 1 {
            break;
        }
        cols.retain(|&c| c != drop || c == pane.sort);
    }
    let header = Row::new(cols.iter().map(|&c| {
        if c == pane.sort {
            format!("{}{}", c.name(), if pane.descending { "▼" } else { "▲" })
        } else {
            c.name().to_string()
        }
    }))
    .style(theme.header);
    let h = usize::from(inner.height.saturating_sub(1));
    let top = pane.list.top_for(h);
    let first = app.store.txns().first().map_or(0, |t| t.ts_ns);
    let body: Vec<Row<'_>> = rows
        .iter()
        .enumerate()
        .skip(top)
        .take(h)
        .map(|(i, r)| {
            let row = Row::new(cols.iter().map(|&c| cell(r, c, first)));
            let mut style = if r.errors > 0 {
                theme.rows.error
            } else {
                theme.rows.normal
            };
            if i == pane.list.selected() {
                style = style.patch(theme.selection);
            }
            row.style(style)
        })
        .collect();
    let table = Table::new(body, cols.iter().map(|&c| Constraint::Length(width(c))))
        .header(header)
        .column_spacing(1);
    frame.render_widget(table, inner);
}
