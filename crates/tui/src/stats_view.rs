//! The stats screen, like mctop and memkeys: request rates per op with sparklines over the last
//! minute, the get hit ratio, latency percentiles and a histogram, top keys by calls and by
//! bytes, top clients and errors. Heavy parts (top-N over up to a million keys) are computed at
//! most once a second.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, Paragraph, Row, Table};
use ratatui::Frame;

use super::app::App;
use super::ui::{latency_chart, short, sparkline, LATENCY_BUCKETS};
use crate::timeline::fields::printable;

/// What the stats screen shows, computed from the app's totals.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// (op, requests, answered, p50, p90, p99, p99.9, max) in µs, busiest first.
    pub ops: Vec<(&'static str, u64, u64, [u64; 5])>,
    /// Requests per latency bucket ([`LATENCY_BUCKETS`]).
    pub histogram: Vec<u64>,
    /// Top keys by calls: (key, calls, bytes).
    pub keys_by_calls: Vec<(String, u64, u64)>,
    /// Top keys by bytes.
    pub keys_by_bytes: Vec<(String, u64, u64)>,
    /// Top clients.
    pub clients: Vec<(String, u64)>,
    /// Errors by name.
    pub errors: Vec<(&'static str, u64)>,
    /// Hit ratio.
    pub hit_ratio: Option<f64>,
    /// (hits, lookups).
    pub lookups: (u64, u64),
    /// Seconds of traffic.
    pub seconds: f64,
}

/// Computes the snapshot.
pub fn snapshot(app: &App, top: usize) -> Snapshot {
    let s = &app.stats;
    let mut ops: Vec<_> = s
        .ops
        .iter()
        .map(|(name, o)| {
            let h = &o.latency_us;
            let q = |x: f64| {
                if h.is_empty() {
                    0
                } else {
                    h.value_at_quantile(x)
                }
            };
            (
                *name,
                o.requests,
                o.answered,
                [q(0.5), q(0.9), q(0.99), q(0.999), h.max()],
            )
        })
        .collect();
    ops.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut all: Option<Histogram<u64>> = None;
    for o in s.ops.values() {
        match &mut all {
            None => all = Some(o.latency_us.clone()),
            Some(h) => {
                let _ = h.add(&o.latency_us);
            }
        }
    }
    let mut histogram = vec![0u64; LATENCY_BUCKETS.len()];
    if let Some(h) = &all {
        for v in h.iter_recorded() {
            let us = v.value_iterated_to();
            let i = LATENCY_BUCKETS
                .iter()
                .position(|(hi, _)| us < *hi)
                .unwrap_or(LATENCY_BUCKETS.len() - 1);
            histogram[i] += v.count_since_last_iteration();
        }
    }
    let key = |k: &bytes::Bytes| printable(k);
    Snapshot {
        ops,
        histogram,
        keys_by_calls: s
            .top_keys(top, false)
            .iter()
            .map(|(k, v)| (key(k), v.0, v.1))
            .collect(),
        keys_by_bytes: s
            .top_keys(top, true)
            .iter()
            .map(|(k, v)| (key(k), v.0, v.1))
            .collect(),
        clients: s
            .top_clients(top)
            .iter()
            .map(|(c, n)| (c.to_string(), *n))
            .collect(),
        errors: s.top_errors(top),
        hit_ratio: s.hit_ratio(),
        lookups: (s.hits, s.lookups),
        seconds: s.span.map_or(0.0, |(a, b)| (b - a) as f64 / 1e9),
    }
}

/// The cached snapshot, recomputed when older than a second.
#[derive(Debug, Default)]
pub struct SnapshotCache {
    at: Option<Instant>,
    ingested: u64,
    snap: Snapshot,
}

impl SnapshotCache {
    /// The snapshot, fresh to within a second (at once when the source has ended).
    pub fn get(&mut self, app: &App, top: usize) -> &Snapshot {
        let changed = self.at.is_none() || self.ingested != app.ingested;
        let due = app.source.ended
            || self
                .at
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
        if changed && due {
            self.snap = snapshot(app, top);
            self.at = Some(Instant::now());
            self.ingested = app.ingested;
        }
        &self.snap
    }
}

fn block(title: &str) -> Block<'static> {
    Block::bordered()
        .title(format!(" {title} "))
        .border_style(Style::new().fg(Color::DarkGray))
}

/// Draws the stats screen.
pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &mut App) {
    let mut cache = std::mem::take(&mut app.stats_cache);
    let snap = cache.get(app, 10).clone();
    app.stats_cache = cache;
    let [top, middle, bottom] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Fill(1),
        Constraint::Length(14),
    ])
    .areas(area);
    // Hit ratio gauge and totals.
    let [gauge_area, totals_area] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Fill(1)]).areas(top);
    let ratio = snap.hit_ratio.unwrap_or(0.0);
    frame.render_widget(
        Gauge::default()
            .block(block("get hit ratio"))
            .gauge_style(Style::new().fg(if ratio > 0.9 {
                Color::Green
            } else if ratio > 0.5 {
                Color::Yellow
            } else {
                Color::Red
            }))
            .ratio(ratio.clamp(0.0, 1.0))
            .label(match snap.hit_ratio {
                Some(r) => format!(
                    "{:.1}%  ({} of {} lookups)",
                    r * 100.0,
                    snap.lookups.0,
                    snap.lookups.1
                ),
                None => "no lookups".into(),
            }),
        gauge_area,
    );
    let requests: u64 = snap.ops.iter().map(|o| o.1).sum();
    let errors: u64 = snap.errors.iter().map(|e| e.1).sum();
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::raw(format!(
                "{} requests in {:.1} s",
                short(requests),
                snap.seconds
            )),
            Span::raw(format!(
                "  ·  {} req/s last second",
                app.rates.last_second()
            )),
            Span::styled(
                format!("  ·  {errors} errors"),
                if errors > 0 {
                    Style::new().fg(Color::Red)
                } else {
                    Style::new()
                },
            ),
        ]))
        .block(block(
            "totals, all traffic (the filter does not apply here)",
        )),
        totals_area,
    );
    // Rates with sparklines | latency table + histogram.
    let [rates_area, latency_area] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Fill(1)]).areas(middle);
    let rates_block = block("requests/s per op, last 60 s");
    let inner = rates_block.inner(rates_area);
    frame.render_widget(rates_block, rates_area);
    let per_op = app.rates.per_op();
    let rows = (inner.height as usize / 2).max(1);
    for (i, (op, series)) in per_op.iter().take(rows).enumerate() {
        let y = inner.y + (i as u16) * 2;
        if y + 1 > inner.y + inner.height {
            break;
        }
        // Live: the last complete second; a finished capture: its average.
        let label_rate = if app.source.live && !app.source.ended {
            format!(
                "{}/s",
                short(
                    series
                        .get(series.len().saturating_sub(2))
                        .copied()
                        .unwrap_or(0)
                )
            )
        } else {
            let n = snap.ops.iter().find(|o| o.0 == *op).map_or(0, |o| o.1);
            format!("{:.0}/s avg", n as f64 / snap.seconds.max(1e-9).max(1.0))
        };
        let [label, line] = Layout::horizontal([Constraint::Length(16), Constraint::Fill(1)])
            .areas(Rect {
                y,
                height: 2.min(inner.y + inner.height - y),
                ..inner
            });
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(Span::styled(op.to_string(), Style::new().bold())),
                Line::from(label_rate),
            ]),
            label,
        );
        // The newest seconds at the right edge.
        let from = series.len().saturating_sub(line.width as usize);
        frame.render_widget(sparkline(&series[from..]), line);
    }
    let [lat_table, hist] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(9)]).areas(latency_area);
    let header = Row::new([
        "op", "reqs", "answers", "p50 µs", "p90", "p99", "p99.9", "max",
    ])
    .style(Style::new().bold().fg(Color::Cyan));
    let rows: Vec<Row<'_>> = snap
        .ops
        .iter()
        .map(|(op, req, ans, q)| {
            let mut cells = vec![op.to_string(), req.to_string(), ans.to_string()];
            cells.extend(
                q.iter()
                    .map(|v| if *ans == 0 { "-".into() } else { v.to_string() }),
            );
            Row::new(cells)
        })
        .collect();
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(12),
                Constraint::Length(9),
                Constraint::Length(9),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Length(8),
            ],
        )
        .header(header)
        .block(block("latency by op")),
        lat_table,
    );
    frame.render_widget(
        latency_chart(&snap.histogram).block(block("latency histogram (all ops)")),
        hist,
    );
    // Top keys, clients, errors.
    let [k1, k2, c, e] = Layout::horizontal([
        Constraint::Percentage(30),
        Constraint::Percentage(30),
        Constraint::Percentage(20),
        Constraint::Percentage(20),
    ])
    .areas(bottom);
    let key_table = |title: &str, rows: &[(String, u64, u64)]| {
        Table::new(
            rows.iter()
                .map(|(k, n, b)| Row::new([short(*n), short(*b), k.clone()]))
                .collect::<Vec<_>>(),
            [
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Fill(1),
            ],
        )
        .header(Row::new(["calls", "bytes", "key"]).style(Style::new().bold().fg(Color::Cyan)))
        .block(block(title))
    };
    frame.render_widget(key_table("top keys by calls", &snap.keys_by_calls), k1);
    frame.render_widget(key_table("top keys by bytes", &snap.keys_by_bytes), k2);
    frame.render_widget(
        Table::new(
            snap.clients
                .iter()
                .map(|(c, n)| Row::new([short(*n), c.clone()]))
                .collect::<Vec<_>>(),
            [Constraint::Length(7), Constraint::Fill(1)],
        )
        .header(Row::new(["reqs", "client"]).style(Style::new().bold().fg(Color::Cyan)))
        .block(block("top clients")),
        c,
    );
    frame.render_widget(
        Table::new(
            snap.errors
                .iter()
                .map(|(e, n)| {
                    Row::new([short(*n), e.to_string()]).style(Style::new().fg(Color::Red))
                })
                .collect::<Vec<_>>(),
            [Constraint::Length(7), Constraint::Fill(1)],
        )
        .header(
            Row::new(["count", "error"])
                .style(Style::new().add_modifier(Modifier::BOLD).fg(Color::Cyan)),
        )
        .block(block("errors")),
        e,
    );
}
