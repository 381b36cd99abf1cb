//! Where a pass hands what it reads: the [`Sink`] trait and its stop semantics, and two small
//! sinks built from other things ([`from_fn`], [`Filtered`]).

use crate::capture::LiveStats;
use crate::dissect::Message;
use crate::filter::Filter;
use crate::pipeline::PassStats;

use super::SourceError;

/// How far a file source has been read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes read so far: frame bytes plus 16 for each record header (close to the size on
    /// disk for an uncompressed pcap).
    pub read: u64,
    /// The size on disk of every file of the source (0 when unknown).
    pub total: u64,
}

impl Progress {
    /// `read` as a share of `total`, 0..=1.
    pub fn fraction(&self) -> f64 {
        (self.read as f64 / self.total.max(1) as f64).min(1.0)
    }
}

/// The consumer of a pass ([`super::run`], [`super::Driver`]): messages, in capture order,
/// and a few notes about the source.
///
/// # Stop semantics
///
/// Every method that returns `Result<bool, _>` means the same by it:
///
/// * `Ok(true)`: go on.
/// * `Ok(false)`: stop, and it is not an error. The source stops reading at once (the frame
///   being dissected is the last one), no further [`Sink::message`] is made — messages that
///   complete afterwards, including those flushed at the end of input, are dropped — and
///   [`Sink::finish`] is still called, with the counters of what was read. The pass returns
///   `Ok`.
/// * `Err(e)`: stop with an error. Nothing else is called on the sink, not even
///   [`Sink::finish`], and the pass returns `Err(e)`.
///
/// A source's own failures (a file that cannot be read, a capture that fails) end the pass the
/// same way, as `Err(SourceError.into())`: the error type is the sink's own, and
/// [`SourceError`] converts into it. A sink that never fails itself uses `SourceError`.
///
/// Only [`Sink::message`] must be written; the other hooks go on by default.
pub trait Sink {
    /// The sink's error; the source's errors convert into it.
    type Error: From<SourceError>;

    /// Before anything is read. `Ok(false)` ends the pass before it starts.
    fn begin(&mut self) -> Result<bool, Self::Error> {
        Ok(true)
    }

    /// One message.
    fn message(&mut self, message: Message) -> Result<bool, Self::Error>;

    /// How far a file source has been read, every 65 536 frames.
    fn progress(&mut self, _progress: Progress) -> Result<bool, Self::Error> {
        Ok(true)
    }

    /// A live source has nothing waiting: a moment to hand on what is batched.
    fn idle(&mut self) -> Result<bool, Self::Error> {
        Ok(true)
    }

    /// A live capture's kernel counters, about every 500 ms.
    fn kernel(&mut self, _counters: LiveStats) -> Result<bool, Self::Error> {
        Ok(true)
    }

    /// Once, after the last message: at the end of the source or after a stop (not after an
    /// error), with the pass counters.
    fn finish(&mut self, _stats: &PassStats) -> Result<(), Self::Error> {
        Ok(())
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    type Error = S::Error;

    fn begin(&mut self) -> Result<bool, S::Error> {
        (**self).begin()
    }

    #[inline]
    fn message(&mut self, message: Message) -> Result<bool, S::Error> {
        (**self).message(message)
    }

    fn progress(&mut self, progress: Progress) -> Result<bool, S::Error> {
        (**self).progress(progress)
    }

    fn idle(&mut self) -> Result<bool, S::Error> {
        (**self).idle()
    }

    fn kernel(&mut self, counters: LiveStats) -> Result<bool, S::Error> {
        (**self).kernel(counters)
    }

    fn finish(&mut self, stats: &PassStats) -> Result<(), S::Error> {
        (**self).finish(stats)
    }
}

/// A sink that hands each message to a closure; `false` from it stops the pass.
#[derive(Debug, Clone)]
pub struct FnSink<F>(pub F);

/// A sink from a closure: `false` stops the pass. It never fails on its own; its error type is
/// [`SourceError`].
pub fn from_fn<F: FnMut(Message) -> bool>(f: F) -> FnSink<F> {
    FnSink(f)
}

impl<F: FnMut(Message) -> bool> Sink for FnSink<F> {
    type Error = SourceError;

    #[inline]
    fn message(&mut self, message: Message) -> Result<bool, SourceError> {
        Ok((self.0)(message))
    }
}

/// Hands on only the messages a display filter matches; every other call goes through.
#[derive(Debug)]
pub struct Filtered<'f, S> {
    filter: &'f Filter,
    inner: S,
}

impl<'f, S: Sink> Filtered<'f, S> {
    /// `inner`, behind `filter`.
    pub fn new(filter: &'f Filter, inner: S) -> Filtered<'f, S> {
        Filtered { filter, inner }
    }

    /// The sink behind the filter.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Sink> Sink for Filtered<'_, S> {
    type Error = S::Error;

    fn begin(&mut self) -> Result<bool, S::Error> {
        self.inner.begin()
    }

    #[inline]
    fn message(&mut self, message: Message) -> Result<bool, S::Error> {
        if self.filter.matches(&message) {
            self.inner.message(message)
        } else {
            Ok(true)
        }
    }

    fn progress(&mut self, progress: Progress) -> Result<bool, S::Error> {
        self.inner.progress(progress)
    }

    fn idle(&mut self) -> Result<bool, S::Error> {
        self.inner.idle()
    }

    fn kernel(&mut self, counters: LiveStats) -> Result<bool, S::Error> {
        self.inner.kernel(counters)
    }

    fn finish(&mut self, stats: &PassStats) -> Result<(), S::Error> {
        self.inner.finish(stats)
    }
}
