//! The transaction list's selection, scroll offset, follow mode and time format.

/// Rows a page key moves before the first frame tells the list its height.
const DEFAULT_HEIGHT: usize = 20;

/// How the time column reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    /// Seconds since the first transaction.
    Relative,
    /// Wall-clock time of day (UTC).
    Absolute,
    /// Seconds since the row above.
    Delta,
}

impl TimeFormat {
    /// The format after this one, as `t` cycles them.
    pub fn next(self) -> TimeFormat {
        match self {
            TimeFormat::Relative => TimeFormat::Absolute,
            TimeFormat::Absolute => TimeFormat::Delta,
            TimeFormat::Delta => TimeFormat::Relative,
        }
    }

    /// Its name, for the column header.
    pub fn name(self) -> &'static str {
        match self {
            TimeFormat::Relative => "relative",
            TimeFormat::Absolute => "absolute",
            TimeFormat::Delta => "delta",
        }
    }
}

/// The list's position over a view of `len` rows: the selected row and the first row on
/// screen, kept so that the selection is always in sight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelinePane {
    selected: usize,
    offset: usize,
    height: usize,
    /// Keep the newest row selected.
    pub follow: bool,
    /// How the time column reads.
    pub time_format: TimeFormat,
}

impl TimelinePane {
    /// At the top, following the newest row if `follow`.
    pub fn new(follow: bool) -> TimelinePane {
        TimelinePane {
            selected: 0,
            offset: 0,
            height: DEFAULT_HEIGHT,
            follow,
            time_format: TimeFormat::Relative,
        }
    }

    /// The selected position in the view.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// The first view position on screen.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Rows on screen in the last frame.
    pub fn height(&self) -> usize {
        self.height
    }

    /// How far a page key moves: a screenful less one row, so one row stays in sight.
    pub fn page(&self) -> isize {
        self.height.max(2) as isize - 1
    }

    /// The first row to show in a list `rows` high: the offset, moved only as far as it takes
    /// to bring the selection into sight.
    pub fn top_for(&self, rows: usize) -> usize {
        let h = rows.max(1);
        let mut top = self.offset;
        if self.selected >= top + h {
            top = self.selected + 1 - h;
        }
        top.min(self.selected)
    }

    /// Takes the height of the list as drawn (`rows` below the header), keeping the selection
    /// in sight after a resize.
    pub fn fit(&mut self, rows: usize) {
        self.height = rows;
        self.offset = self.top_for(rows);
    }

    /// Brings selection and offset within a view of `len` rows, the selection in sight.
    pub fn clamp(&mut self, len: usize) {
        if len == 0 {
            self.selected = 0;
            self.offset = 0;
            return;
        }
        self.selected = self.selected.min(len - 1);
        let h = self.height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + h {
            self.offset = self.selected + 1 - h;
        }
        self.offset = self.offset.min(len.saturating_sub(h)).min(self.selected);
    }

    /// The view lost rows (the oldest were let go): keeps the selection within the `len` left.
    /// The offset is settled by the next [`TimelinePane::clamp`].
    pub fn shrink_to(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
    }

    /// Moves the selection by `delta` rows within `len`; following stops unless the move went
    /// down onto the newest row. Returns whether another row is selected now.
    pub fn move_by(&mut self, delta: isize, len: usize) -> bool {
        if len == 0 {
            return false;
        }
        let to = (self.selected as isize)
            .saturating_add(delta)
            .clamp(0, len as isize - 1) as usize;
        let moved = to != self.selected;
        self.selected = to;
        self.follow = self.follow && delta > 0 && to == len - 1;
        self.clamp(len);
        moved
    }

    /// Selects position `pos` (the last row if beyond). Returns false when the view is empty.
    pub fn go_to(&mut self, pos: usize, len: usize) -> bool {
        if len == 0 {
            return false;
        }
        self.selected = pos.min(len - 1);
        self.clamp(len);
        true
    }

    /// Selects the newest row, when following.
    pub fn follow_newest(&mut self, len: usize) {
        if self.follow && len > 0 {
            self.selected = len - 1;
        }
        self.clamp(len);
    }

    /// After the rows were reordered: selects `pos` (where the selected row went, if it is still
    /// there) in the middle of the screen, and stops following.
    pub fn center_on(&mut self, pos: Option<usize>, len: usize) {
        if let Some(pos) = pos {
            self.selected = pos;
        }
        self.follow = false;
        self.offset = self.selected.saturating_sub(self.height / 2);
        self.clamp(len);
    }

    /// After the filter changed: selects `pos` (where the selected row went) or, when it is
    /// gone, the newest row if following and else the first.
    pub fn reselect(&mut self, pos: Option<usize>, len: usize) {
        self.selected = match pos {
            Some(p) => p,
            None if self.follow => usize::MAX,
            None => 0,
        };
        self.clamp(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pane(height: usize) -> TimelinePane {
        let mut p = TimelinePane::new(false);
        p.fit(height);
        p
    }

    #[test]
    fn moves_stay_within_the_rows_and_keep_the_selection_in_sight() {
        let mut p = pane(10);
        assert!(p.move_by(5, 100));
        assert_eq!((p.selected(), p.offset()), (5, 0));
        p.move_by(p.page(), 100);
        assert_eq!((p.selected(), p.offset()), (14, 5));
        assert!(!p.move_by(-100, 0), "nothing to move over");
        p.move_by(-100, 100);
        assert_eq!((p.selected(), p.offset()), (0, 0));
        assert!(!p.move_by(-1, 100));
        p.go_to(usize::MAX, 100);
        assert_eq!((p.selected(), p.offset()), (99, 90));
        assert!(!p.move_by(1, 100));
    }

    #[test]
    fn following_stops_on_any_move_but_down_onto_the_newest_row() {
        let mut p = TimelinePane::new(true);
        p.follow_newest(50);
        assert_eq!(p.selected(), 49);
        p.move_by(1, 50);
        assert!(p.follow);
        p.move_by(-1, 50);
        assert!(!p.follow);
        p.follow_newest(60);
        assert_eq!(p.selected(), 48, "not following: the selection stays");
    }

    #[test]
    fn a_smaller_frame_scrolls_the_selection_into_sight() {
        let mut p = pane(40);
        p.go_to(30, 100);
        assert_eq!(p.offset(), 0);
        assert_eq!(
            p.top_for(10),
            21,
            "drawing reads the scroll without storing it"
        );
        assert_eq!(p.offset(), 0);
        p.fit(10);
        assert_eq!((p.height(), p.offset()), (10, 21));
        assert_eq!(p.page(), 9);
        p.fit(0);
        assert_eq!(p.page(), 1, "a page is at least a row");
    }

    #[test]
    fn reordering_centres_the_row_and_filtering_finds_it_again() {
        let mut p = pane(10);
        p.follow = true;
        p.center_on(Some(50), 100);
        assert_eq!((p.selected(), p.offset(), p.follow), (50, 45, false));
        p.reselect(None, 30);
        assert_eq!(p.selected(), 0);
        p.follow = true;
        p.reselect(None, 30);
        assert_eq!(p.selected(), 29);
        p.reselect(Some(3), 30);
        assert_eq!((p.selected(), p.offset()), (3, 3));
        p.clamp(0);
        assert_eq!((p.selected(), p.offset()), (0, 0));
    }
}
