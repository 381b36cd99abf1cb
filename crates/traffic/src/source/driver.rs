//! The one path from input to sink: a [`Pass`] and a [`Sink`], with the stop state between
//! them. [`super::run`] drives it from a [`super::Source`]; a source that pushes (the proxy
//! tap) drives it itself, event by event.

use crate::capture::{Frame, LiveStats, SharedFrame, StreamEvent};
use crate::dissect::Message;
use crate::pipeline::{Pass, PassStats};

use super::{Progress, Sink};

/// Where the pass stands with its sink.
#[derive(Debug)]
enum State<E> {
    /// The sink wants more.
    Going,
    /// The sink said stop (`Ok(false)`).
    Stopped,
    /// The sink failed; the error is not handed back yet.
    Failing(E),
    /// The sink failed and the error was handed back.
    Failed,
}

/// A pass feeding a sink, stopping as the sink says (see [`Sink`]). Each input call returns
/// `Ok(true)` while the sink wants more, `Ok(false)` once it has stopped (further input is then
/// ignored), and the sink's error, once, when it failed.
///
/// ```
/// use memshark_traffic::capture::{Direction, Origin, StreamEvent, StreamEventKind, Timestamp};
/// use memshark_traffic::source::{from_fn, Driver};
///
/// let mut seen = 0;
/// let mut driver = Driver::start(&[], from_fn(|_| { seen += 1; true })).unwrap();
/// let (client, server) = ("10.0.0.1:40000".parse().unwrap(), "10.0.0.2:11211".parse().unwrap());
/// let event = StreamEvent {
///     origin: Origin::new(1, client, server, Direction::ToServer).at(0, Timestamp::from_nanos(1)),
///     kind: StreamEventKind::Data(bytes::Bytes::from_static(b"get k\r\n")),
/// };
/// assert!(driver.stream(event).unwrap());
/// let stats = driver.finish().unwrap();
/// assert_eq!((seen, stats.dissect.requests), (1, 1));
/// ```
#[derive(Debug)]
pub struct Driver<S: Sink> {
    pass: Pass,
    sink: S,
    state: State<S::Error>,
    truncated_file: bool,
    kernel: Option<LiveStats>,
}

/// Hands `m` to the sink unless it has stopped or failed.
#[inline]
fn deliver<S: Sink>(sink: &mut S, state: &mut State<S::Error>, m: Message) {
    if let State::Going = state {
        match sink.message(m) {
            Ok(true) => {}
            Ok(false) => *state = State::Stopped,
            Err(e) => *state = State::Failing(e),
        }
    }
}

impl<S: Sink> Driver<S> {
    /// A pass that treats `ports` as memcached's (frames only; stream events need none),
    /// feeding `sink`; calls [`Sink::begin`].
    pub fn start(ports: &[u16], mut sink: S) -> Result<Driver<S>, S::Error> {
        let state = if sink.begin()? {
            State::Going
        } else {
            State::Stopped
        };
        Ok(Driver {
            pass: Pass::new(ports),
            sink,
            state,
            truncated_file: false,
            kernel: None,
        })
    }

    /// Whether the sink still wants more.
    pub fn is_going(&self) -> bool {
        matches!(self.state, State::Going)
    }

    /// The sink.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// The sink, to change it between inputs.
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    /// Where the state stands, handing back a pending error once.
    #[inline]
    fn settle(&mut self) -> Result<bool, S::Error> {
        match self.state {
            State::Going => Ok(true),
            State::Stopped | State::Failed => Ok(false),
            State::Failing(_) => match std::mem::replace(&mut self.state, State::Failed) {
                State::Failing(e) => Err(e),
                _ => Ok(false),
            },
        }
    }

    /// Takes a hook's answer into the state.
    fn answer(&mut self, answer: Result<bool, S::Error>) -> Result<bool, S::Error> {
        match answer {
            Ok(true) => Ok(true),
            Ok(false) => {
                self.state = State::Stopped;
                Ok(false)
            }
            Err(e) => {
                self.state = State::Failed;
                Err(e)
            }
        }
    }

    /// One captured frame: link decode, reassembly, dissector, sink.
    #[inline]
    pub fn frame(&mut self, frame: &Frame<'_>) -> Result<bool, S::Error> {
        if !self.is_going() {
            return self.settle();
        }
        let (sink, state) = (&mut self.sink, &mut self.state);
        self.pass.feed(frame, &mut |m| deliver(sink, state, m));
        self.settle()
    }

    /// One captured frame whose bytes are shared ([`SharedFrame`]): as [`Self::frame`], with
    /// the payloads handed on as slices of the frame rather than copies.
    #[inline]
    pub fn shared_frame(&mut self, frame: &SharedFrame) -> Result<bool, S::Error> {
        if !self.is_going() {
            return self.settle();
        }
        let (sink, state) = (&mut self.sink, &mut self.state);
        self.pass
            .feed_shared(frame, &mut |m| deliver(sink, state, m));
        self.settle()
    }

    /// One event of a stream already split per connection and direction (the proxy tap):
    /// dissector, sink.
    pub fn stream(&mut self, event: StreamEvent) -> Result<bool, S::Error> {
        if !self.is_going() {
            return self.settle();
        }
        let (sink, state) = (&mut self.sink, &mut self.state);
        self.pass
            .feed_stream(event, &mut |m| deliver(sink, state, m));
        self.settle()
    }

    /// Passes read progress on to the sink ([`Sink::progress`]).
    pub fn progress(&mut self, progress: Progress) -> Result<bool, S::Error> {
        if !self.is_going() {
            return self.settle();
        }
        let answer = self.sink.progress(progress);
        self.answer(answer)
    }

    /// Tells the sink that the source has nothing waiting ([`Sink::idle`]).
    pub fn idle(&mut self) -> Result<bool, S::Error> {
        if !self.is_going() {
            return self.settle();
        }
        let answer = self.sink.idle();
        self.answer(answer)
    }

    /// Passes a live capture's kernel counters on to the sink ([`Sink::kernel`]); the last
    /// ones given also go into [`PassStats::kernel`].
    pub fn kernel(&mut self, counters: LiveStats) -> Result<bool, S::Error> {
        self.kernel = Some(counters);
        if !self.is_going() {
            return self.settle();
        }
        let answer = self.sink.kernel(counters);
        self.answer(answer)
    }

    /// Notes the final kernel counters without telling the sink.
    #[cfg(feature = "live")]
    pub(crate) fn set_kernel(&mut self, counters: Option<LiveStats>) {
        if counters.is_some() {
            self.kernel = counters;
        }
    }

    /// Notes that a file ended inside a record.
    pub(crate) fn note_truncated(&mut self) {
        self.truncated_file = true;
    }

    /// Ends the input: flushes what reassembly and the dissector hold (to the sink, unless it
    /// stopped), calls [`Sink::finish`] unless the sink failed, and returns the counters.
    pub fn finish(self) -> Result<PassStats, S::Error> {
        let Driver {
            pass,
            mut sink,
            mut state,
            truncated_file,
            kernel,
        } = self;
        let mut stats = pass.finish(&mut |m| deliver(&mut sink, &mut state, m));
        stats.truncated_file = truncated_file;
        stats.kernel = kernel;
        match state {
            State::Failing(e) => Err(e),
            State::Failed => Ok(stats),
            State::Going | State::Stopped => {
                sink.finish(&stats)?;
                Ok(stats)
            }
        }
    }
}
