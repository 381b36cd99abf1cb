//! Where each part of a frame goes. Drawing ([`crate::ui::draw`]) and
//! [`App::prepare`](crate::App::prepare) both lay frames out here, so the sizes the panes keep
//! for their keys are the sizes drawn.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Block;

use crate::app::App;

/// The areas of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLayout {
    /// The screen shown: the timeline's panes or the stats.
    pub main: Rect,
    /// The input line (no rows when it is closed).
    pub input: Rect,
    /// The status bar.
    pub status: Rect,
    /// The transaction list: all of `main` unless the details are open.
    pub list: Rect,
    /// The details and bytes panes, when open.
    pub details: Option<DetailAreas>,
    /// The followed connection's conversation, while following one (and the details are
    /// closed).
    pub conversation: Option<Rect>,
}

/// The panes under the list when the details are open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetailAreas {
    /// The field tree.
    pub tree: Rect,
    /// The hex dump.
    pub bytes: Rect,
}

impl FrameLayout {
    /// Lays out a frame of `area` for `app` as it is now (input line open or not, details
    /// open or not).
    pub fn new(area: Rect, app: &App) -> FrameLayout {
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
        let mut conversation = None;
        let (list, details) = if app.details_open {
            let [list, tree, bytes] = Layout::vertical([
                Constraint::Percentage(45),
                Constraint::Percentage(35),
                Constraint::Percentage(20),
            ])
            .areas(main);
            (list, Some(DetailAreas { tree, bytes }))
        } else if app.conversation.is_some() {
            let [list, conv] =
                Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)])
                    .areas(main);
            conversation = Some(conv);
            (list, None)
        } else {
            (main, None)
        };
        FrameLayout {
            main,
            input,
            status,
            list,
            details,
            conversation,
        }
    }
}

/// Columns of the I/O graph's plots in `main` (its slices): the width inside the border, less
/// the y axis's labels.
pub fn graph_width(main: Rect) -> u16 {
    inner(main).width.saturating_sub(GRAPH_Y_LABELS).max(10)
}

/// Columns the I/O graph's y-axis labels take.
pub const GRAPH_Y_LABELS: u16 = 10;

/// The inside of a pane drawn with a border.
pub fn inner(area: Rect) -> Rect {
    Block::bordered().inner(area)
}

/// The rows of transactions the list in `area` holds, under its border and header.
pub fn list_rows(area: Rect) -> usize {
    usize::from(inner(area).height.saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::SourceInfo;

    #[test]
    fn details_split_the_main_area_and_the_input_line_takes_rows() {
        let mut app = App::new(SourceInfo::new("t", false));
        let l = FrameLayout::new(Rect::new(0, 0, 100, 41), &app);
        assert_eq!((l.main.height, l.input.height, l.status.y), (40, 0, 40));
        assert_eq!((l.list, l.details), (l.main, None));
        assert_eq!(list_rows(l.list), 37);
        app.details_open = true;
        app.open_input(crate::pane::InputKind::Filter);
        let l = FrameLayout::new(Rect::new(0, 0, 100, 41), &app);
        assert_eq!((l.main.height, l.input.height), (38, 2));
        let d = l.details.expect("details open");
        assert_eq!((l.list.height, d.tree.height, d.bytes.height), (17, 13, 8));
    }
}
