//! `memshark view`: the terminal timeline of a capture file.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::bail;
use memshark::filter::Filter;
use memshark::tui::{self, App, FeedEvent, SourceInfo};

/// Open a pcap/pcapng capture in the terminal timeline (rows appear while the file loads).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The capture (pcap, pcapng, optionally gzipped); several files, directories of them or
    /// the base name FILE of a recording ring (FILE0, FILE1, …) are merged by time into one.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Replay the capture into the timeline at its own pace, or SPEED times faster.
    #[arg(long, num_args = 0..=1, default_missing_value = "1", value_name = "SPEED")]
    play: Option<f64>,
    /// Start with this display filter (the `/` filter language).
    #[arg(long)]
    filter: Option<Filter>,
    /// TCP/UDP ports that carry memcached (repeatable).
    #[arg(long = "port", default_values_t = [11211u16])]
    ports: Vec<u16>,
}

/// Fails unless stdin and stdout are a terminal.
pub fn need_terminal(what: &str) -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!("{what} needs a terminal; for scripts use `memshark dump` or `memshark stats`");
    }
    Ok(())
}

/// Runs the UI over `rx` and restores the terminal whatever happens.
pub fn open(mut app: App, rx: std::sync::mpsc::Receiver<FeedEvent>) -> anyhow::Result<App> {
    tui::run(&mut app, &rx)?;
    Ok(app)
}

/// Runs `memshark view`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let source = memshark::source::resolve(&args.files)?;
    need_terminal("memshark view")?;
    let label = match args.files.as_slice() {
        [one] => one.display().to_string(),
        many => format!("{} inputs", many.len()),
    };
    let mut info = SourceInfo::new(label, args.play.is_some());
    if let memshark::source::Source::File(file) = &source {
        // `w` exports frames by number from the one file (not from a merge of several).
        info = info.with_file(file);
    }
    let mut app = App::new(info);
    app.timeline.follow = args.play.is_some();
    app.source.progress = Some(0.0);
    if let Some(f) = args.filter {
        app.view.set_filter(f, &app.store);
    }
    let rx = tui::feed::capture(source, args.ports, args.play);
    open(app, rx)?;
    Ok(())
}
