//! The stats screen, like mctop and memkeys: request rates per op with sparklines over the last
//! minute, the get hit ratio and totals, latency percentiles and a histogram, top keys by calls
//! and by bytes, top clients and errors; behind a proxy, its servers. Each panel draws in its own module from the
//! [`Snapshot`] that [`StatsPane`](crate::pane::StatsPane) keeps, at most a second old.

mod errors;
mod hit_ratio;
mod latency;
mod rates;
mod servers;
mod snapshot;
mod top;
mod totals;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Block;
use ratatui::Frame;

pub use latency::{latency_chart, LATENCY_BUCKETS};
pub use snapshot::{snapshot, Snapshot};

use crate::app::App;
use crate::theme::Theme;

/// A panel's border and title.
fn block(title: &str, theme: &Theme) -> Block<'static> {
    Block::bordered()
        .title(format!(" {title} "))
        .border_style(theme.border)
}

/// Draws the stats screen into `area`.
pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let snap = app.stats_pane.snapshot();
    let servers = app
        .source
        .servers
        .lock()
        .map(|s| s.clone())
        .unwrap_or_default();
    // A proxy's servers get a panel of their own (a row each, at most ten shown).
    let server_rows = if servers.is_empty() {
        0
    } else {
        servers.len().min(10) as u16 + 3
    };
    let [top, middle, pool, bottom] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Fill(1),
        Constraint::Length(server_rows),
        Constraint::Length(14),
    ])
    .areas(area);
    if !servers.is_empty() {
        servers::draw(frame, pool, &servers, &app.theme);
    }
    let [gauge, totals] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Fill(1)]).areas(top);
    hit_ratio::draw(frame, gauge, snap, &app.theme);
    totals::draw(frame, totals, app, snap);
    let [rates, latency] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Fill(1)]).areas(middle);
    rates::draw(frame, rates, app, snap);
    latency::draw(frame, latency, snap, &app.theme);
    let [by_calls, by_bytes, clients, errors] = Layout::horizontal([
        Constraint::Percentage(30),
        Constraint::Percentage(30),
        Constraint::Percentage(20),
        Constraint::Percentage(20),
    ])
    .areas(bottom);
    top::keys(
        frame,
        by_calls,
        "top keys by calls",
        &snap.keys_by_calls,
        &app.theme,
    );
    top::keys(
        frame,
        by_bytes,
        "top keys by bytes",
        &snap.keys_by_bytes,
        &app.theme,
    );
    top::clients(frame, clients, &snap.clients, &app.theme);
    errors::draw(frame, errors, &snap.errors, &app.theme);
}
