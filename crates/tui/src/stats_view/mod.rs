//! The stats screen, like mctop and memkeys: request rates per op with sparklines over the last
//! minute, the get hit ratio and totals, latency percentiles and a histogram, top keys by calls
//! and by bytes, top clients and errors. Each panel draws in its own module from the
//! [`Snapshot`] that [`StatsPane`](crate::pane::StatsPane) keeps, at most a second old.

mod errors;
mod hit_ratio;
mod latency;
mod rates;
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
    let [top, middle, bottom] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Fill(1),
        Constraint::Length(14),
    ])
    .areas(area);
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
