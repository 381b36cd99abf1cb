//! Every colour and text style the UI draws with, in one plain data struct. Drawing code reads
//! [`App::theme`](crate::App::theme) and names no colour itself, so a theme can come from
//! anywhere (a config file, later) without touching the drawing.

use ratatui::style::{Color, Modifier, Style};

/// The styles of the whole UI. [`Theme::default`] is memshark's own look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// Borders of the panes without the keys, and of the stats screen's panels.
    pub border: Style,
    /// The border of the pane with the keys.
    pub border_focused: Style,
    /// Column headers of every table.
    pub header: Style,
    /// Laid over the selected row of the list and the selected field of the details.
    pub selection: Style,
    /// Hints and quiet text: the empty list's message, the filter help, the status bar's
    /// separators and zero counters, the hex dump's offsets.
    pub muted: Style,
    /// Plain text that a condition could have coloured (no errors in the totals).
    pub text: Style,
    /// Rows of the transaction list, by what happened.
    pub rows: RowStyles,
    /// The latency column, by band.
    pub latency: LatencyStyles,
    /// Field names in the details pane.
    pub details: DetailStyles,
    /// The hex dump.
    pub hex: HexStyles,
    /// The filter and search input line.
    pub input: InputStyles,
    /// The status bar.
    pub status: StatusStyles,
    /// The help overlay.
    pub help: HelpStyles,
    /// The stats screen.
    pub stats: StatsStyles,
    /// The followed conversation.
    pub follow: FollowStyles,
}

/// Styles of the followed conversation (Wireshark's: client red, server blue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowStyles {
    /// What the client sent.
    pub client: Style,
    /// What the server sent.
    pub server: Style,
    /// Missing or malformed bytes.
    pub gap: Style,
}

/// What a row of the transaction list shows, for its colour. The first that applies wins, in
/// this order: flagged, error, miss, quiet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// A malformed message or a gap in the bytes.
    Flagged,
    /// An error answer.
    Error,
    /// A miss.
    Miss,
    /// A quiet request that was answered by silence.
    Quiet,
    /// Anything else.
    Normal,
}

/// Styles of the list's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowStyles {
    /// [`RowKind::Normal`].
    pub normal: Style,
    /// [`RowKind::Miss`].
    pub miss: Style,
    /// [`RowKind::Error`].
    pub error: Style,
    /// [`RowKind::Flagged`].
    pub flagged: Style,
    /// [`RowKind::Quiet`].
    pub quiet: Style,
}

impl RowStyles {
    /// The style of a row of this kind.
    pub fn of(&self, kind: RowKind) -> Style {
        match kind {
            RowKind::Flagged => self.flagged,
            RowKind::Error => self.error,
            RowKind::Miss => self.miss,
            RowKind::Quiet => self.quiet,
            RowKind::Normal => self.normal,
        }
    }
}

/// How slow an answer was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyBand {
    /// Under 1 ms.
    Fast,
    /// 1 to 10 ms.
    Slow,
    /// 10 to 100 ms.
    Slower,
    /// 100 ms or more.
    Slowest,
}

impl LatencyBand {
    /// The band of a latency in nanoseconds.
    pub fn of(ns: u64) -> LatencyBand {
        match ns {
            0..=999_999 => LatencyBand::Fast,
            1_000_000..=9_999_999 => LatencyBand::Slow,
            10_000_000..=99_999_999 => LatencyBand::Slower,
            _ => LatencyBand::Slowest,
        }
    }
}

/// Styles of the latency column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyStyles {
    /// [`LatencyBand::Fast`].
    pub fast: Style,
    /// [`LatencyBand::Slow`].
    pub slow: Style,
    /// [`LatencyBand::Slower`].
    pub slower: Style,
    /// [`LatencyBand::Slowest`].
    pub slowest: Style,
}

impl LatencyStyles {
    /// The style of a latency in this band.
    pub fn of(&self, band: LatencyBand) -> Style {
        match band {
            LatencyBand::Fast => self.fast,
            LatencyBand::Slow => self.slow,
            LatencyBand::Slower => self.slower,
            LatencyBand::Slowest => self.slowest,
        }
    }
}

/// Styles of the details pane's field names (values are plain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailStyles {
    /// Top-level lines: the transaction, the request, each response.
    pub section: Style,
    /// The note on a malformed message.
    pub flagged: Style,
    /// Every other field.
    pub field: Style,
}

/// Styles of the hex dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexStyles {
    /// The offset at the start of each line.
    pub offset: Style,
    /// Bytes in hex.
    pub byte: Style,
    /// Bytes as text.
    pub ascii: Style,
    /// The selected field's bytes, in both columns.
    pub highlight: Style,
}

/// Styles of the input line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputStyles {
    /// `filter /`, `search :`.
    pub prompt: Style,
    /// The text while it parses.
    pub valid: Style,
    /// The text while it does not, and the error under it.
    pub invalid: Style,
}

/// Styles of the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusStyles {
    /// The ` memshark ` badge.
    pub brand: Style,
    /// A file's load progress.
    pub loading: Style,
    /// The filter and the search in force.
    pub filter: Style,
    /// Messages the UI dropped, when there are any.
    pub dropped: Style,
    /// The kernel's drop counts, when there are any.
    pub kernel_dropped: Style,
    /// `PAUSED`.
    pub paused: Style,
    /// `FOLLOW`.
    pub follow: Style,
    /// A one-off note.
    pub note: Style,
}

/// Styles of the help overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpStyles {
    /// Its border.
    pub border: Style,
    /// The keys.
    pub key: Style,
    /// The example filter.
    pub example: Style,
    /// The line on what the colours mean.
    pub legend: Style,
}

/// Styles of the stats screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsStyles {
    /// The hit ratio gauge above 90%.
    pub hit_good: Style,
    /// The hit ratio gauge above 50%.
    pub hit_fair: Style,
    /// The hit ratio gauge at 50% or less.
    pub hit_poor: Style,
    /// Error counts (the totals, when there are any, and the errors table).
    pub errors: Style,
    /// Op names beside the sparklines.
    pub op: Style,
    /// The request rate sparklines.
    pub sparkline: Style,
    /// The latency histogram's bars.
    pub bars: Style,
}

impl Theme {
    /// Laid over the selected transaction's lines in the conversation.
    pub fn follow_selected(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
}

impl Default for Theme {
    fn default() -> Theme {
        let fg = |c: Color| Style::new().fg(c);
        let header = Style::new().add_modifier(Modifier::BOLD).fg(Color::Cyan);
        let muted = fg(Color::DarkGray);
        Theme {
            border: muted,
            border_focused: fg(Color::Cyan),
            header,
            selection: Style::new().add_modifier(Modifier::REVERSED),
            muted,
            text: Style::new(),
            rows: RowStyles {
                normal: Style::new(),
                miss: fg(Color::Yellow),
                error: fg(Color::Red),
                flagged: fg(Color::Magenta),
                quiet: muted,
            },
            latency: LatencyStyles {
                fast: Style::new(),
                slow: fg(Color::Yellow),
                slower: fg(Color::LightRed),
                slowest: fg(Color::Red).add_modifier(Modifier::BOLD),
            },
            details: DetailStyles {
                section: header,
                flagged: fg(Color::Magenta),
                field: fg(Color::Gray),
            },
            hex: HexStyles {
                offset: muted,
                byte: Style::new(),
                ascii: fg(Color::Gray),
                highlight: Style::new().bg(Color::Blue).fg(Color::White),
            },
            input: InputStyles {
                prompt: header,
                valid: fg(Color::Green),
                invalid: fg(Color::Red),
            },
            status: StatusStyles {
                brand: Style::new()
                    .bg(Color::Cyan)
                    .fg(Color::Black)
                    .add_modifier(Modifier::BOLD),
                loading: fg(Color::Yellow),
                filter: fg(Color::Green),
                dropped: fg(Color::Red).add_modifier(Modifier::BOLD),
                kernel_dropped: fg(Color::Red),
                paused: Style::new().bg(Color::Yellow).fg(Color::Black),
                follow: fg(Color::Cyan),
                note: fg(Color::Yellow),
            },
            help: HelpStyles {
                border: fg(Color::Cyan),
                key: header,
                example: fg(Color::Green),
                legend: muted,
            },
            stats: StatsStyles {
                hit_good: fg(Color::Green),
                hit_fair: fg(Color::Yellow),
                hit_poor: fg(Color::Red),
                errors: fg(Color::Red),
                op: Style::new().add_modifier(Modifier::BOLD),
                sparkline: fg(Color::Green),
                bars: fg(Color::Cyan),
            },
            follow: FollowStyles {
                client: fg(Color::LightRed),
                server: fg(Color::LightBlue),
                gap: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_bands_split_at_1_10_and_100_ms() {
        assert_eq!(LatencyBand::of(999_999), LatencyBand::Fast);
        assert_eq!(LatencyBand::of(1_000_000), LatencyBand::Slow);
        assert_eq!(LatencyBand::of(10_000_000), LatencyBand::Slower);
        assert_eq!(LatencyBand::of(100_000_000), LatencyBand::Slowest);
    }

    #[test]
    fn the_default_theme_keeps_memshark_colours() {
        let t = Theme::default();
        assert_eq!(t.rows.of(RowKind::Miss), Style::new().fg(Color::Yellow));
        assert_eq!(t.rows.of(RowKind::Flagged), Style::new().fg(Color::Magenta));
        assert_eq!(t.rows.of(RowKind::Quiet), Style::new().fg(Color::DarkGray));
        assert_eq!(
            t.latency.of(LatencyBand::Slowest),
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        );
        assert_eq!(
            t.header,
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
        );
        assert_eq!(
            t.hex.highlight,
            Style::new().bg(Color::Blue).fg(Color::White)
        );
        assert_eq!(t.border_focused, Style::new().fg(Color::Cyan));
    }
}
