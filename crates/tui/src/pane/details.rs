//! The details pane's selected field.

/// Which line of the selected transaction's field tree is selected. The tree scrolls just
/// enough to show it, so there is no offset to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetailsPane {
    selected: usize,
}

impl DetailsPane {
    /// The selected line.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// Back to the first line (another transaction was selected).
    pub fn reset(&mut self) {
        self.selected = 0;
    }

    /// Moves the selection by `delta` within a tree of `len` lines.
    pub fn move_by(&mut self, delta: isize, len: usize) {
        self.selected = (self.selected as isize)
            .saturating_add(delta)
            .clamp(0, len.saturating_sub(1) as isize) as usize;
    }

    /// The selected line within a tree of `len` lines (none when it is empty).
    pub fn selected_in(&self, len: usize) -> Option<usize> {
        len.checked_sub(1).map(|last| self.selected.min(last))
    }

    /// Keeps the selection within a tree of `len` lines (the tree can shrink when the
    /// selected transaction is trimmed away); an empty tree leaves it alone.
    pub fn fit(&mut self, len: usize) {
        if let Some(s) = self.selected_in(len) {
            self.selected = s;
        }
    }

    /// The first line to show, `height` lines high, for the selection to be the last line
    /// shown once it is past the first screenful.
    pub fn top_for(&self, len: usize, height: usize) -> usize {
        self.selected_in(len)
            .map_or(0, |s| s.saturating_sub(height.saturating_sub(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selection_stays_within_the_tree_and_in_sight() {
        let mut p = DetailsPane::default();
        p.move_by(-1, 10);
        assert_eq!(p.selected(), 0);
        p.move_by(25, 10);
        assert_eq!(p.selected(), 9);
        assert_eq!(p.top_for(10, 4), 6);
        assert_eq!(p.top_for(10, 20), 0);
        assert_eq!(p.top_for(5, 2), 3, "drawing clamps to a shorter tree too");
        p.fit(0);
        assert_eq!(p.selected(), 9, "an empty tree leaves it");
        p.fit(5);
        assert_eq!(p.selected(), 4);
        p.move_by(3, 0);
        assert_eq!(p.selected(), 0);
        p.move_by(2, 5);
        p.reset();
        assert_eq!(p.selected(), 0);
    }
}
