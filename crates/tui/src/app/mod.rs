//! The TUI's state and what each key does to it. Nothing here draws: [`crate::ui`] renders an
//! [`App`], and tests drive an `App` with keys and look at the state.
//!
//! The app holds the data (store, view, totals, source) and a small state struct per pane
//! ([`crate::pane`]); what each key does is in `keys.rs`, filters and searches in `search.rs`.

mod columns;
mod conversations;
mod export;
mod follow;
mod iograph;
mod keys;
mod mouse;
mod search;
mod source;

use std::sync::atomic::Ordering;
use std::time::Instant;

use ratatui::layout::Rect;

pub use crate::pane::{InputKind, TimeFormat};
pub use export::osc52;
pub use follow::Conversation;
pub use source::{ServerRow, SourceInfo};

use crate::details::DetailLine;
use crate::layout::{self, DetailAreas, FrameLayout};
use crate::pane::{BytesPane, DetailsPane, FilterInput, HexDump, StatsPane, TimelinePane};
use crate::theme::Theme;
use crate::timeline::store::NONE;
use crate::timeline::{Rates, Store, View};
use memshark_traffic::dissect::Message;
use memshark_traffic::filter::Filter;
use memshark_traffic::summary::TrafficStats;

/// Which screen fills the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// The transaction list, with details and bytes below when opened.
    Timeline,
    /// Rates, hit ratio, latency, top keys and clients, errors.
    Stats,
    /// A table per connection and per client address.
    Conversations,
    /// Requests, errors and p99 latency over the capture's time.
    IoGraph,
}

/// Which pane of the timeline screen has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// The transaction list.
    List,
    /// The field tree of the selected transaction.
    Details,
    /// The hex dump.
    Bytes,
}

/// Messages taken in per second, measured over a second or so.
#[derive(Debug, Clone)]
struct IngestRate {
    since: Instant,
    count_then: u64,
    per_second: f64,
}

impl IngestRate {
    fn new() -> IngestRate {
        IngestRate {
            since: Instant::now(),
            count_then: 0,
            per_second: 0.0,
        }
    }

    /// Takes the count so far; the rate moves once a second has passed since the last time.
    fn update(&mut self, count: u64) {
        let dt = self.since.elapsed().as_secs_f64();
        if dt >= 1.0 {
            self.per_second = (count - self.count_then) as f64 / dt;
            self.since = Instant::now();
            self.count_then = count;
        }
    }
}

/// Everything the TUI shows and remembers.
#[derive(Debug)]
pub struct App {
    /// The transactions.
    pub store: Store,
    /// The rows shown.
    pub view: View,
    /// Totals for the stats screen (all traffic, whatever the filter).
    pub stats: TrafficStats,
    /// Per-second rates for the sparklines.
    pub rates: Rates,
    /// The source.
    pub source: SourceInfo,
    /// The colours.
    pub theme: Theme,
    /// Screen shown.
    pub screen: Screen,
    /// Pane with the keys.
    pub focus: Pane,
    /// Details and bytes panes open.
    pub details_open: bool,
    /// Help overlay shown.
    pub help: bool,
    /// Stop taking new rows into the view (they are still stored).
    pub paused: bool,
    /// The transaction list's selection and scroll.
    pub timeline: TimelinePane,
    /// The details pane's selection.
    pub details: DetailsPane,
    /// The hex dump's scroll.
    pub bytes: BytesPane,
    /// The stats screen's numbers.
    pub stats_pane: StatsPane,
    /// The input line, while typing.
    pub input: Option<FilterInput>,
    /// The conversations screen's tables and selection, once opened (`c`).
    pub conversations: Option<crate::pane::ConversationsPane>,
    /// Store rows marked with `m` (what `w` exports when there are any).
    pub marks: rustc_hash::FxHashSet<u32>,
    /// The transaction list's columns shown.
    pub columns: crate::columns::Columns,
    /// The column chooser (`C`), while open: the column under its cursor.
    pub chooser: Option<usize>,
    /// Where the settings are saved (none: not saved; tests, or no home directory).
    pub config_path: Option<std::path::PathBuf>,
    /// The last frame's size, for the mouse to find the pane under it.
    pub area: Rect,
    /// Text to put on the terminal's clipboard (OSC 52) at the next frame.
    pub clipboard: Option<String>,
    /// The I/O graph's cursor and numbers.
    pub iograph: crate::pane::IoGraphPane,
    /// The connection followed (`F`), and where to go back to.
    pub conversation: Option<Conversation>,
    /// The search `n`/`N` use.
    pub find: Option<Filter>,
    /// A one-off note for the status bar.
    pub note: Option<String>,
    /// Set when the user asked to quit.
    pub quit: bool,
    /// Keep at most this many rows (live sources): the oldest go first.
    pub max_rows: Option<usize>,
    /// Messages taken in.
    pub ingested: u64,
    rate: IngestRate,
}

impl App {
    /// An app over an empty store; live sources follow the newest row.
    pub fn new(source: SourceInfo) -> App {
        let live = source.live;
        App {
            store: Store::new(),
            view: View::new(),
            stats: TrafficStats::default(),
            rates: Rates::default(),
            source,
            theme: Theme::default(),
            screen: Screen::Timeline,
            focus: Pane::List,
            details_open: false,
            help: false,
            paused: false,
            timeline: TimelinePane::new(live),
            details: DetailsPane::default(),
            bytes: BytesPane::default(),
            stats_pane: StatsPane::default(),
            input: None,
            conversation: None,
            conversations: None,
            iograph: Default::default(),
            marks: Default::default(),
            clipboard: None,
            columns: Default::default(),
            chooser: None,
            config_path: None,
            area: Rect::new(0, 0, 80, 24),
            find: None,
            note: None,
            quit: false,
            max_rows: None,
            ingested: 0,
            rate: IngestRate::new(),
        }
    }

    /// Takes in one message (store, stats, rates). Call [`App::refresh`] after a batch.
    pub fn ingest(&mut self, m: &Message) {
        self.store.push(m);
        self.stats.add(m);
        self.rates.add(m);
        self.ingested += 1;
    }

    /// After a batch: trims a live store, brings the view up to date (unless paused), keeps
    /// the newest row selected when following.
    pub fn refresh(&mut self) {
        let mut trimmed = false;
        if let Some(max) = self.max_rows {
            if self.store.trim(max, max - max / 4) > 0 {
                trimmed = true;
                // Row numbers moved: marks would point at other rows.
                self.marks.clear();
                let filter = self.view.filter().clone();
                self.view.set_filter(filter, &self.store);
                self.timeline.shrink_to(self.view.len());
            }
        }
        if let Some(c) = self.conversation.as_mut() {
            c.catch_up(&self.store, trimmed);
        }
        if !self.paused {
            self.view.catch_up(&self.store);
            self.view.resort(&self.store);
        }
        self.timeline.follow_newest(self.view.len());
        self.rate.update(self.ingested);
    }

    /// Messages per second taken in, over the last second or so.
    pub fn ingest_rate(&self) -> f64 {
        self.rate.per_second
    }

    /// Messages the feeding side dropped.
    pub fn dropped(&self) -> u64 {
        self.source.dropped.load(Ordering::Relaxed)
    }

    /// The store row selected, if any.
    pub fn selected_row(&self) -> Option<u32> {
        self.view.row(self.timeline.selected())
    }

    /// The details tree of the selected transaction.
    pub fn detail_lines(&self) -> Vec<DetailLine> {
        match self.selected_row() {
            Some(row) => crate::details::lines(&self.store, row),
            None => Vec::new(),
        }
    }

    /// The selected transaction has a request and responses in store rows; whether one exists.
    pub fn has_selection(&self) -> bool {
        self.selected_row()
            .and_then(|r| self.store.txn(r))
            .is_some_and(|t| t.req != NONE || t.resp != NONE)
    }

    /// Gets the app ready to draw a frame of `area`: each pane on screen takes its size and
    /// settles its scroll for it (the list keeps its selection in sight, the hex dump scrolls
    /// to the selected field), and the stats screen takes fresh numbers if due. Call it before
    /// [`crate::ui::draw`], which only reads; keys then page by what was on screen.
    pub fn prepare(&mut self, area: Rect) {
        self.area = area;
        let frame = FrameLayout::new(area, self);
        match self.screen {
            Screen::Timeline => {
                self.timeline.fit(layout::list_rows(frame.list));
                if let Some(areas) = frame.details {
                    self.fit_details(areas);
                }
            }
            Screen::Stats => self
                .stats_pane
                .refresh(&self.stats, self.ingested, self.source.ended),
            Screen::IoGraph => {
                let slices = usize::from(layout::graph_width(frame.main));
                let (store, view) = (&self.store, &self.view);
                self.iograph.fit(
                    slices,
                    store.len(),
                    view.len(),
                    view.filter().source(),
                    |n| crate::iograph::IoGraph::of(store, view.rows(), n),
                );
            }
            Screen::Conversations => {
                if let Some(c) = self.conversations.as_mut() {
                    c.list.fit(layout::list_rows(frame.main));
                    let len = c.rows().len();
                    c.list.clamp(len);
                }
            }
        }
    }

    fn fit_details(&mut self, areas: DetailAreas) {
        let lines = self.detail_lines();
        self.details.fit(lines.len());
        if let Some(dump) = HexDump::of(&self.store, &lines, self.details.selected()) {
            let inner = layout::inner(areas.bytes);
            self.bytes.fit(&dump, inner.width, inner.height);
        }
    }
}
