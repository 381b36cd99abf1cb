//! One path from a source to a sink: input → reassembly → dissector → [`Sink`].
//!
//! * [`Source`]: what is read — a capture file, several files one after another, or (cargo
//!   feature `live`) an interface, opened here with its BPF filter and its drop counters;
//! * [`Sink`]: what takes the messages, with written-down stop semantics (`Ok(false)` stops,
//!   `Err` fails; modelled on ripgrep's `grep_searcher::Sink`);
//! * [`run`]: reads a source into a sink and returns the pass counters;
//! * [`Driver`]: the pass and the sink with the stop state between them, which [`run`] uses
//!   and which a source that pushes rather than being read — the proxy tap, per-connection
//!   stream events arriving on a channel inside an async task — drives event by event.
//!
//! `memshark dump`, `stats`, `view`, `live`, `proxy` and `replay` all read through here.
//!
//! ```
//! use memshark_traffic::dissect::Message;
//! use memshark_traffic::source::{self, Sink, Source, SourceError};
//!
//! /// Keeps the first `n` messages, then stops the pass.
//! struct First {
//!     n: usize,
//!     kept: Vec<Message>,
//! }
//!
//! impl Sink for First {
//!     type Error = SourceError;
//!     fn message(&mut self, m: Message) -> Result<bool, SourceError> {
//!         self.kept.push(m);
//!         Ok(self.kept.len() < self.n)
//!     }
//! }
//!
//! let mut first = First { n: 5, kept: Vec::new() };
//! let stats = source::run(Source::file("../../fixtures/binary.pcap"), &[11211], &mut first)?;
//! assert_eq!(first.kept.len(), 5);
//! assert!(stats.frames > 0);
//! # Ok::<(), SourceError>(())
//! ```

mod driver;
mod file;
mod frames;
mod input;
#[cfg(feature = "live")]
mod live;
mod parallel;
#[cfg(test)]
mod parallel_tests;
mod sink;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use crate::capture::ReadError;
use crate::pipeline::PassStats;

pub use driver::Driver;
pub use input::{resolve, InputError, Recording};
#[cfg(feature = "live")]
pub use live::LiveSource;
pub use parallel::run_parallel;
pub use sink::{from_fn, Filtered, FnSink, Progress, Sink};

/// Why a source could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// A capture file could not be opened or read (the cause is the error's source).
    #[error("reading {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        error: ReadError,
    },
    /// A reading or decoding thread could not be started.
    #[error("starting a thread: {0}")]
    Thread(String),
    /// A live capture failed.
    #[cfg(feature = "live")]
    #[error(transparent)]
    Live(#[from] crate::capture::live::LiveError),
}

/// What a pass reads.
#[derive(Debug)]
pub enum Source {
    /// A capture file: pcap or pcapng, optionally gzipped.
    File(PathBuf),
    /// Capture files read one after another as one pass (a rotated recording): frame numbers
    /// go on and connections carry over from one file to the next. Not merged by time.
    Files(Vec<PathBuf>),
    /// Several recordings merged by time into one pass, as `mergecap` does: the earliest
    /// frame first (on equal times, the recording named first), frames numbered in that
    /// order, connections carried over between files. Each recording is read as a stream:
    /// memory grows with their number, not their size. [`resolve`] builds it from paths.
    Merged(Vec<Recording>),
    /// A live capture on an interface (cargo feature `live`).
    #[cfg(feature = "live")]
    Live(LiveSource),
}

impl Source {
    /// A capture file.
    pub fn file(path: impl Into<PathBuf>) -> Source {
        Source::File(path.into())
    }

    /// Capture files, one after another.
    pub fn files(paths: impl IntoIterator<Item = impl Into<PathBuf>>) -> Source {
        Source::Files(paths.into_iter().map(Into::into).collect())
    }

    /// Capture files merged by time (each file its own recording).
    pub fn merged(paths: impl IntoIterator<Item = impl Into<PathBuf>>) -> Source {
        Source::Merged(paths.into_iter().map(Recording::file).collect())
    }

    /// The recordings of a file source (`None` for a live one).
    pub(crate) fn into_recordings(self) -> Result<Vec<Recording>, Source> {
        match self {
            Source::File(path) => Ok(vec![Recording::file(path)]),
            Source::Files(files) => Ok(vec![Recording { files }]),
            Source::Merged(recordings) => Ok(recordings),
            #[cfg(feature = "live")]
            other @ Source::Live(_) => Err(other),
        }
    }
}

/// Reads `source` into `sink`, treating `ports` as memcached's: frames → link decode →
/// reassembly → dissector → [`Sink::message`], until the source ends or the sink stops (see
/// [`Sink`] for what stopping and failing mean). Returns the pass counters, which
/// [`Sink::finish`] has also seen.
pub fn run<S: Sink>(source: Source, ports: &[u16], sink: S) -> Result<PassStats, S::Error> {
    let mut driver = Driver::start(ports, sink)?;
    match source.into_recordings() {
        Ok(recordings) => file::read(recordings, &mut driver)?,
        #[cfg(feature = "live")]
        Err(Source::Live(live)) => live.read(&mut driver)?,
        #[allow(unreachable_patterns)]
        Err(_) => {}
    }
    driver.finish()
}
