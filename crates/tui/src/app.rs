//! The TUI's state and what each key does to it. Nothing here draws: [`super::ui`] renders an
//! [`App`], and tests drive an `App` with keys and look at the state.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

use crate::timeline::store::NONE;
use crate::timeline::{Rates, Store, TxnFields, View};
use memshark_traffic::dissect::Message;
use memshark_traffic::filter::{Filter, FilterError};
use memshark_traffic::summary::TrafficStats;

/// Which screen fills the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// The transaction list, with details and bytes below when opened.
    Timeline,
    /// Rates, hit ratio, latency, top keys and clients, errors.
    Stats,
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
    fn next(self) -> TimeFormat {
        match self {
            TimeFormat::Relative => TimeFormat::Absolute,
            TimeFormat::Absolute => TimeFormat::Delta,
            TimeFormat::Delta => TimeFormat::Relative,
        }
    }

    /// Its name, for the status bar.
    pub fn name(self) -> &'static str {
        match self {
            TimeFormat::Relative => "relative",
            TimeFormat::Absolute => "absolute",
            TimeFormat::Delta => "delta",
        }
    }
}

/// What the input line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// `/`: the display filter (rows that do not match are hidden).
    Filter,
    /// `:`: a search; `n`/`N` jump between matching rows.
    Find,
}

/// The input line at the bottom while typing a filter or a search.
#[derive(Debug, Clone)]
pub struct InputBar {
    /// Filter or search.
    pub kind: InputKind,
    /// The text typed so far.
    pub text: String,
    /// Cursor position, in chars.
    pub cursor: usize,
    /// The text's syntax error, checked as it is typed.
    pub error: Option<FilterError>,
}

/// Where the traffic comes from, and what it has lost.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    /// What the status bar calls it (`file.pcap`, `live eth0`, `proxy :11311 → :11211`).
    pub label: String,
    /// Whether more traffic can come (live sources, a file still loading).
    pub live: bool,
    /// A file's load progress, 0..=1, while loading.
    pub progress: Option<f64>,
    /// Messages the UI could not take in time (live sources), shared with the feeding thread.
    pub dropped: Arc<AtomicU64>,
    /// The kernel's received / dropped / interface-dropped packet counts (live capture).
    pub kernel: Option<(u32, u32, u32)>,
    /// Done: the source ended (end of file, capture stopped).
    pub ended: bool,
}

impl SourceInfo {
    /// A source named `label`.
    pub fn new(label: impl Into<String>, live: bool) -> SourceInfo {
        SourceInfo {
            label: label.into(),
            live,
            progress: None,
            dropped: Arc::default(),
            kernel: None,
            ended: false,
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
    /// Screen shown.
    pub screen: Screen,
    /// Pane with the keys.
    pub pane: Pane,
    /// Details and bytes panes open.
    pub details_open: bool,
    /// Help overlay shown.
    pub help: bool,
    /// Selected position in the view.
    pub selected: usize,
    /// First view position on screen.
    pub offset: usize,
    /// Keep the newest row selected.
    pub follow: bool,
    /// Stop taking new rows into the view (they are still stored).
    pub paused: bool,
    /// Time column format.
    pub time_format: TimeFormat,
    /// The input line, while typing.
    pub input: Option<InputBar>,
    /// The search `n`/`N` use.
    pub find: Option<Filter>,
    /// Selected line of the details tree.
    pub detail_selected: usize,
    /// First line of the hex dump shown.
    pub bytes_offset: usize,
    /// A one-off note for the status bar.
    pub note: Option<String>,
    /// Set when the user asked to quit.
    pub quit: bool,
    /// Rows of the list on screen (set by drawing; page keys use it).
    pub list_height: usize,
    /// Messages taken in, for the rate in the status bar.
    pub ingested: u64,
    rate_mark: (Instant, u64),
    /// Messages per second taken in, over the last second or so.
    pub ingest_rate: f64,
    /// Keep at most this many rows (live sources): the oldest go first.
    pub max_rows: Option<usize>,
    /// The stats screen's numbers, recomputed at most once a second.
    pub stats_cache: super::stats_view::SnapshotCache,
}

const PAGE_DEFAULT: usize = 20;

impl App {
    /// An app over an empty store.
    pub fn new(source: SourceInfo) -> App {
        let live = source.live;
        App {
            store: Store::new(),
            view: View::new(),
            stats: TrafficStats::default(),
            rates: Rates::default(),
            source,
            screen: Screen::Timeline,
            pane: Pane::List,
            details_open: false,
            help: false,
            selected: 0,
            offset: 0,
            follow: live,
            paused: false,
            time_format: TimeFormat::Relative,
            input: None,
            find: None,
            detail_selected: 0,
            bytes_offset: 0,
            note: None,
            quit: false,
            list_height: PAGE_DEFAULT,
            ingested: 0,
            rate_mark: (Instant::now(), 0),
            ingest_rate: 0.0,
            max_rows: None,
            stats_cache: Default::default(),
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
        if let Some(max) = self.max_rows {
            let selected_row = self.view.row(self.selected);
            if self.store.trim(max, max - max / 4) > 0 {
                let filter = self.view.filter().clone();
                self.view.set_filter(filter, &self.store);
                let _ = selected_row;
                self.selected = self.selected.min(self.view.len().saturating_sub(1));
            }
        }
        if !self.paused {
            self.view.catch_up(&self.store);
            self.view.resort(&self.store);
        }
        if self.follow && !self.view.is_empty() {
            self.selected = self.view.len() - 1;
        }
        self.clamp();
        let (at, n) = self.rate_mark;
        let dt = at.elapsed().as_secs_f64();
        if dt >= 1.0 {
            self.ingest_rate = (self.ingested - n) as f64 / dt;
            self.rate_mark = (Instant::now(), self.ingested);
        }
    }

    /// Messages the feeding side dropped.
    pub fn dropped(&self) -> u64 {
        self.source.dropped.load(Ordering::Relaxed)
    }

    fn clamp(&mut self) {
        let len = self.view.len();
        if len == 0 {
            self.selected = 0;
            self.offset = 0;
            return;
        }
        self.selected = self.selected.min(len - 1);
        let h = self.list_height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + h {
            self.offset = self.selected + 1 - h;
        }
        self.offset = self.offset.min(len.saturating_sub(h)).min(self.selected);
    }

    /// The store row selected, if any.
    pub fn selected_row(&self) -> Option<u32> {
        self.view.row(self.selected)
    }

    fn move_by(&mut self, delta: isize) {
        match (self.screen, self.pane) {
            (Screen::Timeline, Pane::List) | (Screen::Stats, _) => {
                let len = self.view.len();
                if len == 0 {
                    return;
                }
                let to = (self.selected as isize + delta).clamp(0, len as isize - 1) as usize;
                if to != self.selected {
                    self.detail_selected = 0;
                    self.bytes_offset = 0;
                }
                self.selected = to;
                self.follow = self.follow && delta > 0 && to == len - 1;
                self.clamp();
            }
            (Screen::Timeline, Pane::Details) => {
                let n = self.details().len();
                self.detail_selected = (self.detail_selected as isize + delta)
                    .clamp(0, n.saturating_sub(1) as isize)
                    as usize;
                self.bytes_offset = usize::MAX; // scroll the hex dump to the field
            }
            (Screen::Timeline, Pane::Bytes) => {
                self.bytes_offset =
                    (self.bytes_offset.min(1 << 30) as isize + delta).max(0) as usize;
            }
        }
    }

    fn go_to(&mut self, pos: usize) {
        if self.view.is_empty() {
            return;
        }
        self.selected = pos.min(self.view.len() - 1);
        self.detail_selected = 0;
        self.bytes_offset = 0;
        self.clamp();
    }

    /// The details tree of the selected transaction.
    pub fn details(&self) -> Vec<super::details::DetailLine> {
        match self.selected_row() {
            Some(row) => super::details::lines(&self.store, row),
            None => Vec::new(),
        }
    }

    /// Handles one key.
    pub fn on_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && matches!(key.code, KeyCode::Char('c')) {
            self.quit = true;
            return;
        }
        if self.input.is_some() {
            self.on_input_key(key);
            return;
        }
        if self.help {
            // Any key closes the help; q still quits.
            self.help = false;
            if key.code == KeyCode::Char('q') {
                self.quit = true;
            }
            return;
        }
        self.note = None;
        let page = self.list_height.max(2) as isize - 1;
        match key.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('?') => self.help = true,
            KeyCode::Char('j') | KeyCode::Down => self.move_by(1),
            KeyCode::Char('k') | KeyCode::Up => self.move_by(-1),
            KeyCode::Char('d') if ctrl => self.move_by(page / 2),
            KeyCode::Char('u') if ctrl => self.move_by(-page / 2),
            KeyCode::PageDown => self.move_by(page),
            KeyCode::Char('f') if ctrl => self.move_by(page),
            KeyCode::PageUp => self.move_by(-page),
            KeyCode::Char('b') if ctrl => self.move_by(-page),
            KeyCode::Char('g') | KeyCode::Home => {
                self.follow = false;
                self.go_to(0);
            }
            KeyCode::Char('G') | KeyCode::End => {
                self.go_to(usize::MAX);
            }
            KeyCode::Enter => {
                if self.screen == Screen::Stats {
                    self.screen = Screen::Timeline;
                }
                if self.details_open && self.pane != Pane::List {
                    self.pane = Pane::List;
                } else {
                    self.details_open = true;
                    self.pane = Pane::Details;
                    self.detail_selected = 0;
                }
            }
            KeyCode::Esc => {
                if self.details_open {
                    self.details_open = false;
                    self.pane = Pane::List;
                } else if self.screen == Screen::Stats {
                    self.screen = Screen::Timeline;
                }
            }
            KeyCode::Tab | KeyCode::BackTab => {
                let back = key.code == KeyCode::BackTab;
                self.details_open = true;
                self.pane = match (self.pane, back) {
                    (Pane::List, false) | (Pane::Bytes, true) => Pane::Details,
                    (Pane::Details, false) | (Pane::List, true) => Pane::Bytes,
                    (Pane::Bytes, false) | (Pane::Details, true) => Pane::List,
                };
            }
            KeyCode::Char('/') => self.open_input(InputKind::Filter),
            KeyCode::Char(':') => self.open_input(InputKind::Find),
            KeyCode::Char('n') => self.find_next(true),
            KeyCode::Char('N') => self.find_next(false),
            KeyCode::Char('f') => {
                self.follow = !self.follow;
                if self.follow {
                    self.go_to(usize::MAX);
                }
            }
            KeyCode::Char(' ') => {
                self.paused = !self.paused;
                if !self.paused {
                    self.refresh();
                }
            }
            KeyCode::Char('s') => {
                self.screen = match self.screen {
                    Screen::Timeline => Screen::Stats,
                    Screen::Stats => Screen::Timeline,
                }
            }
            KeyCode::Char('t') => self.time_format = self.time_format.next(),
            KeyCode::Char('o') => {
                let (k, desc) = self.view.sort();
                let row = self.selected_row();
                self.view.set_sort(k.next(), desc, &self.store);
                self.keep_row(row);
            }
            KeyCode::Char('O') => {
                let (k, desc) = self.view.sort();
                let row = self.selected_row();
                self.view.set_sort(k, !desc, &self.store);
                self.keep_row(row);
            }
            _ => {}
        }
    }

    fn keep_row(&mut self, row: Option<u32>) {
        if let Some(pos) = row.and_then(|r| self.view.position_of(r)) {
            self.selected = pos;
        }
        self.follow = false;
        self.offset = self.selected.saturating_sub(self.list_height / 2);
        self.clamp();
    }

    fn open_input(&mut self, kind: InputKind) {
        let text = match kind {
            InputKind::Filter => self.view.filter().source().to_string(),
            InputKind::Find => self
                .find
                .as_ref()
                .map(|f| f.source().to_string())
                .unwrap_or_default(),
        };
        self.input = Some(InputBar {
            kind,
            cursor: text.chars().count(),
            text,
            error: None,
        });
    }

    fn on_input_key(&mut self, key: KeyEvent) {
        let Some(bar) = self.input.as_mut() else {
            return;
        };
        let byte_at = |s: &str, c: usize| s.char_indices().nth(c).map_or(s.len(), |(i, _)| i);
        match key.code {
            KeyCode::Esc => {
                self.input = None;
                return;
            }
            KeyCode::Enter => {
                match Filter::parse(&bar.text) {
                    Ok(f) => {
                        let kind = bar.kind;
                        self.input = None;
                        self.apply(kind, f);
                    }
                    Err(e) => bar.error = Some(e),
                }
                return;
            }
            // Readline's line-editing keys; other Ctrl/Alt chords are not text.
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                let at = byte_at(&bar.text, bar.cursor);
                bar.text.replace_range(..at, "");
                bar.cursor = 0;
            }
            KeyCode::Char('w') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                let before: Vec<char> = bar.text.chars().take(bar.cursor).collect();
                let spaces = before
                    .iter()
                    .rev()
                    .take_while(|c| c.is_whitespace())
                    .count();
                let word = before[..before.len() - spaces]
                    .iter()
                    .rev()
                    .take_while(|c| !c.is_whitespace())
                    .count();
                let start = bar.cursor - spaces - word;
                let (from, to) = (byte_at(&bar.text, start), byte_at(&bar.text, bar.cursor));
                bar.text.replace_range(from..to, "");
                bar.cursor = start;
            }
            KeyCode::Char('a') if key.modifiers.contains(KeyModifiers::CONTROL) => bar.cursor = 0,
            KeyCode::Char('e') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                bar.cursor = bar.text.chars().count()
            }
            KeyCode::Char(_)
                if key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                return
            }
            KeyCode::Char(c) => {
                let at = byte_at(&bar.text, bar.cursor);
                bar.text.insert(at, c);
                bar.cursor += 1;
            }
            KeyCode::Backspace if bar.cursor > 0 => {
                let at = byte_at(&bar.text, bar.cursor - 1);
                bar.text.remove(at);
                bar.cursor -= 1;
            }
            KeyCode::Delete if bar.cursor < bar.text.chars().count() => {
                let at = byte_at(&bar.text, bar.cursor);
                bar.text.remove(at);
            }
            KeyCode::Left => bar.cursor = bar.cursor.saturating_sub(1),
            KeyCode::Right => bar.cursor = (bar.cursor + 1).min(bar.text.chars().count()),
            KeyCode::Home => bar.cursor = 0,
            KeyCode::End => bar.cursor = bar.text.chars().count(),
            _ => return,
        }
        // Checked as typed: the error shows under the input while the old filter stays.
        bar.error = Filter::parse(&bar.text).err();
    }

    /// Applies a filter or a search, as Enter in the input line does.
    pub fn apply(&mut self, kind: InputKind, f: Filter) {
        match kind {
            InputKind::Filter => {
                let row = self.selected_row();
                self.view.set_filter(f, &self.store);
                self.view.resort(&self.store);
                match row.and_then(|r| self.view.position_of(r)) {
                    Some(p) => self.selected = p,
                    None => self.selected = if self.follow { usize::MAX } else { 0 },
                }
                self.clamp();
                self.note = Some(format!("{} rows match", self.view.len()));
            }
            InputKind::Find => {
                self.find = (!f.is_all()).then_some(f);
                self.find_next(true);
            }
        }
    }

    /// Moves to the next (or previous) row matching the search, wrapping around.
    pub fn find_next(&mut self, forward: bool) {
        let Some(f) = &self.find else {
            self.note = Some("no search: type : and an expression".into());
            return;
        };
        let len = self.view.len();
        if len == 0 {
            return;
        }
        let store = &self.store;
        let hit = (1..=len).find_map(|step| {
            let pos = if forward {
                (self.selected + step) % len
            } else {
                (self.selected + len * 2 - step) % len
            };
            let row = self.view.row(pos)?;
            let txn = store.txn(row)?;
            f.matches(&TxnFields { store, txn }).then_some(pos)
        });
        match hit {
            Some(pos) => {
                self.follow = false;
                let wrapped = if forward {
                    pos <= self.selected
                } else {
                    pos >= self.selected
                };
                self.go_to(pos);
                self.note = wrapped.then(|| "search wrapped".to_string());
            }
            None => self.note = Some(format!("no row matches {}", f.source())),
        }
    }

    /// Handles the mouse: the wheel scrolls the pane under the keys.
    pub fn on_mouse(&mut self, ev: MouseEvent) {
        match ev.kind {
            MouseEventKind::ScrollDown => self.move_by(3),
            MouseEventKind::ScrollUp => self.move_by(-3),
            _ => {}
        }
    }

    /// The selected transaction has a request and responses in store rows; whether one exists.
    pub fn has_selection(&self) -> bool {
        self.selected_row()
            .and_then(|r| self.store.txn(r))
            .is_some_and(|t| t.req != NONE || t.resp != NONE)
    }
}
