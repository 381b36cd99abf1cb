//! The hex dump's scroll position, and which bytes it shows.

use std::ops::Range;

use crate::details::DetailLine;
use crate::timeline::store::{Store, NONE};

/// Terminal columns from which a hex line holds 16 bytes rather than 8.
const WIDE: u16 = 78;

/// Where the hex dump is scrolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BytesScroll {
    /// From this line.
    Line(usize),
    /// Wherever brings the selected field's bytes into sight (the details selection moved).
    ToField,
}

/// The hex dump's scroll position, and the geometry of the last frame's dump (bytes per line
/// and lines on screen) for the keys that scroll it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BytesPane {
    scroll: BytesScroll,
    per_line: usize,
    height: usize,
}

impl Default for BytesPane {
    fn default() -> BytesPane {
        BytesPane {
            scroll: BytesScroll::Line(0),
            per_line: 16,
            height: 0,
        }
    }
}

impl BytesPane {
    /// Bytes per line in a dump `width` columns wide.
    pub fn per_line(width: u16) -> usize {
        if width >= WIDE {
            16
        } else {
            8
        }
    }

    /// Where it is scrolled.
    pub fn scroll(&self) -> BytesScroll {
        self.scroll
    }

    /// Back to the top (another transaction was selected).
    pub fn reset(&mut self) {
        self.scroll = BytesScroll::Line(0);
    }

    /// Scrolls to the selected field at the next frame.
    pub fn show_field(&mut self) {
        self.scroll = BytesScroll::ToField;
    }

    /// The first line to show of a dump of `dump.bytes.len()` bytes, `per` bytes a line and
    /// `height` lines high: the field a third of the way down when scrolling to it, and no
    /// blank lines after the end.
    pub fn top_for(&self, dump: &HexDump<'_>, per: usize, height: usize) -> usize {
        let per = per.max(1);
        let lines = dump.bytes.len().div_ceil(per);
        let top = match self.scroll {
            BytesScroll::Line(l) => l,
            BytesScroll::ToField => (dump.field.start / per).saturating_sub(height / 3),
        };
        top.min(lines.saturating_sub(height))
    }

    /// Takes the size of the dump as drawn (`width`×`height` inside the border) and settles
    /// the scroll position for it.
    pub fn fit(&mut self, dump: &HexDump<'_>, width: u16, height: u16) {
        self.per_line = BytesPane::per_line(width);
        self.height = usize::from(height);
        self.scroll = BytesScroll::Line(self.top_for(dump, self.per_line, self.height));
    }

    /// Scrolls by `delta` lines within `dump`, as laid out in the last frame.
    pub fn scroll_by(&mut self, delta: isize, dump: &HexDump<'_>) {
        let top = self.top_for(dump, self.per_line, self.height);
        let last = dump
            .bytes
            .len()
            .div_ceil(self.per_line)
            .saturating_sub(self.height);
        let to = (top as isize).saturating_add(delta).clamp(0, last as isize);
        self.scroll = BytesScroll::Line(to as usize);
    }
}

/// What the hex dump shows: the message of the selected field (or the transaction's first
/// message), and that field's bytes within it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexDump<'a> {
    /// The message's bytes.
    pub bytes: &'a [u8],
    /// The selected field's bytes within them (empty when no field of the message is selected).
    pub field: Range<usize>,
    /// The selected field, when it is in this message.
    pub field_line: Option<&'a DetailLine>,
}

impl<'a> HexDump<'a> {
    /// The dump for the field tree `lines` with line `selected` selected; none when the
    /// transaction has no message in the store.
    pub fn of(store: &'a Store, lines: &'a [DetailLine], selected: usize) -> Option<HexDump<'a>> {
        let field_line = lines.get(selected).filter(|d| d.msg != NONE);
        let (msg, field) = match field_line {
            Some(d) => (d.msg, d.range.clone()),
            None => (
                lines.iter().find(|d| d.msg != NONE).map_or(NONE, |d| d.msg),
                0..0,
            ),
        };
        store.msg(msg)?;
        Some(HexDump {
            bytes: store.bytes(msg),
            field,
            field_line,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dump(bytes: &[u8], field: Range<usize>) -> HexDump<'_> {
        HexDump {
            bytes,
            field,
            field_line: None,
        }
    }

    #[test]
    fn the_dump_scrolls_within_its_lines_and_to_the_selected_field() {
        let raw = [0u8; 1600]; // 100 lines of 16
        let d = dump(&raw, 800..810);
        let mut p = BytesPane::default();
        assert_eq!(p.top_for(&d, 16, 10), 0);
        p.show_field();
        assert_eq!(p.top_for(&d, 16, 9), 47, "line 50, a third of the way down");
        assert_eq!(p.top_for(&d, 8, 9), 97);
        p.fit(&d, 80, 10);
        assert_eq!(p.scroll(), BytesScroll::Line(47));
        p.scroll_by(100, &d);
        assert_eq!(
            p.scroll(),
            BytesScroll::Line(90),
            "no blank lines after the end"
        );
        p.scroll_by(-3, &d);
        assert_eq!(p.scroll(), BytesScroll::Line(87));
        p.scroll_by(-100, &d);
        assert_eq!(p.scroll(), BytesScroll::Line(0));
        p.fit(&dump(&raw[..40], 0..0), 40, 10);
        assert_eq!(
            p.scroll(),
            BytesScroll::Line(0),
            "a short dump needs no scrolling"
        );
        p.show_field();
        p.scroll_by(1, &d);
        assert_eq!(
            p.scroll(),
            BytesScroll::Line(98),
            "from the field (8 a line now)"
        );
        p.reset();
        assert_eq!(p.scroll(), BytesScroll::Line(0));
    }

    #[test]
    fn narrow_dumps_take_8_bytes_a_line() {
        assert_eq!(BytesPane::per_line(77), 8);
        assert_eq!(BytesPane::per_line(78), 16);
    }
}
