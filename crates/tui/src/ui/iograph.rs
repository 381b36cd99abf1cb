//! The I/O graph screen: three plots over the capture's whole time (requests/s, errors/s, p99
//! latency), all traffic dim and the filtered rows bright, a cursor, the values under it.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph};
use ratatui::Frame;

use super::format::short;
use super::pane_block;
use crate::app::App;
use crate::details::{duration, wall_clock};
use crate::iograph::{IoGraph, Series};
use crate::layout::GRAPH_Y_LABELS;

/// What a plot shows.
#[derive(Clone, Copy)]
enum Plot {
    Requests,
    Errors,
    P99,
}

impl Plot {
    fn title(self) -> &'static str {
        match self {
            Plot::Requests => "requests/s",
            Plot::Errors => "errors/s",
            Plot::P99 => "p99 latency",
        }
    }

    /// The plot's value in slice `i` of `s`.
    fn value(self, g: &IoGraph, s: &Series, i: usize) -> Option<f64> {
        match self {
            Plot::Requests => s.requests.get(i).map(|&c| g.per_second(c)),
            Plot::Errors => s.errors.get(i).map(|&c| g.per_second(c)),
            Plot::P99 => s.p99.get(i).copied().flatten().map(|ns| ns as f64),
        }
    }

    fn label(self, v: f64) -> String {
        match self {
            Plot::P99 => duration(v as u64),
            _ => short(v.round() as u64),
        }
    }
}

fn points(plot: Plot, g: &IoGraph, s: &Series) -> Vec<(f64, f64)> {
    (0..g.len())
        .filter_map(|i| plot.value(g, s, i).map(|v| (i as f64, v)))
        .collect()
}

/// The time labels under the last plot: start, middle and end, relative to the start.
fn time_labels(g: &IoGraph) -> Vec<Span<'static>> {
    let span = g.slice_ns * g.len() as u64;
    [0, span / 2, span]
        .into_iter()
        .map(|ns| Span::raw(format!("+{}", duration(ns))))
        .collect()
}

fn draw_plot(frame: &mut Frame<'_>, area: Rect, app: &App, g: &IoGraph, plot: Plot, last: bool) {
    let theme = &app.theme;
    let filtered = !app.view.filter().is_all();
    let all = points(plot, g, &g.all);
    let mine = if filtered {
        points(plot, g, &g.filtered)
    } else {
        Vec::new()
    };
    let top = all
        .iter()
        .chain(mine.iter())
        .map(|p| p.1)
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.1;
    let x = app.iograph.cursor() as f64;
    let cursor = [(x, 0.0), (x, top)];
    let mut sets = vec![Dataset::default()
        .name("all")
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(if filtered {
            theme.muted
        } else {
            theme.stats.sparkline
        })
        .data(&all)];
    if filtered {
        sets.push(
            Dataset::default()
                .name("filter")
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.stats.sparkline)
                .data(&mine),
        );
    }
    sets.push(
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.border_focused)
            .data(&cursor),
    );
    let x_axis = Axis::default()
        .bounds([0.0, g.len().saturating_sub(1).max(1) as f64])
        .style(theme.muted);
    let x_axis = if last {
        x_axis.labels(time_labels(g))
    } else {
        x_axis
    };
    let y_label = |v: f64| format!("{:>w$}", plot.label(v), w = usize::from(GRAPH_Y_LABELS) - 2);
    let chart = Chart::new(sets)
        .block(Block::new().title(Line::styled(plot.title(), theme.header)))
        .x_axis(x_axis)
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels([Span::raw(y_label(0.0)), Span::raw(y_label(top))])
                .style(theme.muted),
        )
        .hidden_legend_constraints(if filtered {
            (Constraint::Ratio(1, 1), Constraint::Ratio(1, 1))
        } else {
            // One line: nothing to tell apart.
            (Constraint::Length(0), Constraint::Length(0))
        });
    frame.render_widget(chart, area);
}

/// The values under the cursor.
fn cursor_line(app: &App, g: &IoGraph) -> Line<'static> {
    let i = app.iograph.cursor();
    let at = g.time_of(i);
    let one = |s: &Series| {
        format!(
            "{} req/s, {} err/s, p99 {}",
            short(Plot::Requests.value(g, s, i).unwrap_or(0.0).round() as u64),
            short(Plot::Errors.value(g, s, i).unwrap_or(0.0).round() as u64),
            s.p99
                .get(i)
                .copied()
                .flatten()
                .map_or_else(|| "—".into(), duration)
        )
    };
    let mut spans = vec![
        Span::styled(
            format!(
                "+{:.3}s ({} UTC, {} a slice): ",
                (at - g.start_ns) as f64 / 1e9,
                &wall_clock(at)[11..],
                duration(g.slice_ns)
            ),
            app.theme.header,
        ),
        Span::raw(format!("all {}", one(&g.all))),
    ];
    if !app.view.filter().is_all() {
        spans.push(Span::styled(" │ ", app.theme.muted));
        spans.push(Span::styled(
            format!("filter {}", one(&g.filtered)),
            app.theme.status.filter,
        ));
    }
    Line::from(spans)
}

/// Draws the I/O graph into `area`.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let title = " I/O graph — h/l: move, H/L: ×10, Enter: go to the timeline there, Esc: back ";
    let block = pane_block(title.into(), true, &app.theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(g) = app.iograph.graph() else {
        return;
    };
    let [info, a, b, c] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Fill(1),
        Constraint::Fill(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(cursor_line(app, g)), info);
    draw_plot(frame, a, app, g, Plot::Requests, false);
    draw_plot(frame, b, app, g, Plot::Errors, false);
    draw_plot(frame, c, app, g, Plot::P99, true);
}
