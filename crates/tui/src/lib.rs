//! The terminal UI: `memshark view`, `live`, `proxy` and `demo` all end here.
//!
//! State and key handling ([`app`], with a state struct per pane in [`pane`]) are kept apart
//! from drawing ([`ui`], [`stats_view`], in the colours of a [`Theme`]) and from the sources
//! ([`feed`]): a source thread sends batches of dissected messages over a bounded channel, the
//! UI thread takes them into the [`crate::timeline`] store between frames, and draws only what
//! is on screen. Before each frame [`App::prepare`] fits the panes to its [`layout`]; drawing
//! then only reads the app.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod app;
pub mod apply;
pub mod columns;
pub mod config;
pub mod conversations;
pub mod details;
pub mod export;
pub mod feed;
pub mod follow;
pub mod iograph;
pub mod layout;
pub mod pane;
pub mod stats_view;
pub mod theme;
pub mod timeline;
pub mod ui;

use std::io;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind};
use crossterm::execute;
use ratatui::backend::{Backend, TestBackend};
use ratatui::Terminal;

pub use app::{App, ServerRow, SourceInfo};
pub use feed::FeedEvent;
pub use theme::Theme;

/// Errors of the terminal UI.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    /// The terminal could not be set up or drawn to.
    #[error("terminal: {0}")]
    Terminal(#[from] io::Error),
    /// The source failed.
    #[error("{0}")]
    Source(String),
}

/// Takes whatever the source has sent, for at most `budget`. Returns whether anything came.
pub fn pump(app: &mut App, rx: &Receiver<FeedEvent>, budget: Duration) -> Result<bool, TuiError> {
    let started = Instant::now();
    let mut any = false;
    loop {
        match rx.try_recv() {
            Ok(FeedEvent::Messages(batch)) => {
                for m in &batch {
                    app.ingest(m);
                }
                any = true;
            }
            Ok(FeedEvent::Progress(p)) => {
                if !app.source.ended {
                    app.source.progress = Some(p);
                }
                any = true;
            }
            Ok(FeedEvent::Kernel(r, d, i)) => {
                app.source.kernel = Some((r, d, i));
                any = true;
            }
            Ok(FeedEvent::Ended(stats)) => {
                if let Some(s) = stats {
                    app.stats.pass = *s;
                }
                app.source.ended = true;
                app.source.progress = None;
                any = true;
            }
            Ok(FeedEvent::Failed(e)) => return Err(TuiError::Source(e)),
            Err(TryRecvError::Empty) => break,
            Err(TryRecvError::Disconnected) => {
                if !app.source.ended {
                    app.source.ended = true;
                    app.source.progress = None;
                    any = true;
                }
                break;
            }
        }
        if started.elapsed() >= budget {
            break;
        }
    }
    if any {
        app.refresh();
    }
    Ok(any)
}

/// Runs the UI on a terminal until the user quits: draws, takes in the source's messages
/// between frames, handles keys, mouse and resizes.
pub fn run_on<B: Backend + io::Write>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    rx: &Receiver<FeedEvent>,
) -> Result<(), TuiError>
where
    TuiError: From<B::Error>,
{
    let mut dirty = true;
    let mut last_draw = Instant::now() - Duration::from_secs(1);
    while !app.quit {
        // Take in messages for up to 40 ms, then draw (at most ~20 frames a second).
        if pump(app, rx, Duration::from_millis(40))? {
            dirty = true;
        }
        if let Some(text) = app.clipboard.take() {
            // OSC 52: the terminal puts it on the clipboard (over ssh and tmux too).
            io::Write::write_all(terminal.backend_mut(), &app::osc52(&text))?;
            io::Write::flush(terminal.backend_mut())?;
        }
        if dirty && last_draw.elapsed() >= Duration::from_millis(50) {
            draw(terminal, app)?;
            last_draw = Instant::now();
            dirty = false;
        }
        let wait = if app.source.ended { 250 } else { 10 };
        if event::poll(Duration::from_millis(wait))? {
            // Handle every queued event before the next frame.
            loop {
                match event::read()? {
                    Event::Key(k) if k.kind != KeyEventKind::Release => app.on_key(k),
                    Event::Mouse(m) => app.on_mouse(m),
                    Event::Resize(_, _) => {}
                    _ => {}
                }
                dirty = true;
                if app.quit || !event::poll(Duration::ZERO)? {
                    break;
                }
            }
            // Answer keys at once.
            if !app.quit {
                draw(terminal, app)?;
                last_draw = Instant::now();
                dirty = false;
            }
        } else if app.source.live
            && !app.source.ended
            && last_draw.elapsed() >= Duration::from_millis(500)
        {
            // Live: the status bar's rate moves even without traffic.
            app.refresh();
            dirty = true;
        }
    }
    Ok(())
}

/// Draws one frame: the app takes the frame's size, then is drawn.
fn draw<B: Backend>(terminal: &mut Terminal<B>, app: &mut App) -> Result<(), B::Error> {
    terminal.draw(|f| {
        app.prepare(f.area());
        ui::draw(f, app);
    })?;
    Ok(())
}

/// Sets up the terminal (raw mode, alternate screen, mouse), runs the UI, and restores the
/// terminal, also when the UI panics.
pub fn run(app: &mut App, rx: &Receiver<FeedEvent>) -> Result<(), TuiError> {
    // ratatui::init installs a panic hook that restores raw mode and the screen; this one also
    // gives the mouse back first.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(io::stdout(), DisableMouseCapture);
        previous(info);
    }));
    app.load_config();
    let mut terminal = ratatui::init();
    let _ = execute!(io::stdout(), EnableMouseCapture);
    let result = run_on(&mut terminal, app, rx);
    let _ = execute!(io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

/// Gives the terminal back (mouse, raw mode, alternate screen) from any thread, for a program
/// that must end while [`run`] still holds the screen (a signal asked it to stop).
pub fn restore_terminal() {
    let _ = execute!(io::stdout(), DisableMouseCapture);
    ratatui::restore();
}

/// Draws the app once into an in-memory terminal of `width`×`height` and returns the screen
/// as text, one line per row: for tests, and for the README's screenshots.
pub fn render_to_string(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(e) => match e {},
    };
    if let Err(e) = draw(&mut terminal, app) {
        match e {}
    }
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let mut line = String::new();
        for x in 0..width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;
