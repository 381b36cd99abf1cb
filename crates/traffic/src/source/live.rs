//! A live interface as a source (cargo feature `live`): opened here, with its BPF filter, and
//! read until the sink stops, a stop flag is raised, a duration passes or a frame count is
//! reached; the kernel's counters go to the sink every 500 ms and into the pass counters at
//! the end.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::capture::live::{LiveCapture, LiveError};

use super::{Driver, Sink, SourceError};

/// Bytes kept of each packet.
const SNAPLEN: i32 = 262_144;
/// How long to wait when no packet is waiting.
const POLL: Duration = Duration::from_micros(500);
/// How often the kernel's counters go to the sink.
const KERNEL_EVERY: Duration = Duration::from_millis(500);

/// An open live capture and when to stop reading it.
#[derive(Debug)]
pub struct LiveSource {
    capture: LiveCapture,
    stop: Option<Arc<AtomicBool>>,
    duration: Option<Duration>,
    count: Option<u64>,
}

impl LiveSource {
    /// Opens `iface` with a BPF filter: `bpf`, or the one for memcached on `ports`
    /// ([`crate::capture::live::bpf_for_ports`]). Not promiscuous; see
    /// [`crate::capture::live`] for the buffering.
    pub fn open(iface: &str, bpf: Option<&str>, ports: &[u16]) -> Result<LiveSource, LiveError> {
        Ok(LiveSource::from_capture(LiveCapture::open(
            iface, bpf, ports, SNAPLEN,
        )?))
    }

    /// A source over a capture opened elsewhere.
    pub fn from_capture(capture: LiveCapture) -> LiveSource {
        LiveSource {
            capture,
            stop: None,
            duration: None,
            count: None,
        }
    }

    /// Stops reading once `flag` is set (a signal handler, a UI that quit).
    pub fn stop_on(mut self, flag: Arc<AtomicBool>) -> LiveSource {
        self.stop = Some(flag);
        self
    }

    /// Stops reading after `duration`.
    pub fn duration(mut self, duration: Duration) -> LiveSource {
        self.duration = Some(duration);
        self
    }

    /// Stops reading after `frames` frames.
    pub fn count(mut self, frames: u64) -> LiveSource {
        self.count = Some(frames);
        self
    }

    fn stop_requested(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
    }

    /// Reads into `driver` until the sink or one of the limits stops it.
    pub(crate) fn read<S: Sink>(mut self, driver: &mut Driver<S>) -> Result<(), S::Error> {
        let deadline = self.duration.and_then(|d| Instant::now().checked_add(d));
        let mut frames = 0u64;
        let mut last_kernel = Instant::now();
        while driver.is_going() && !self.stop_requested() {
            if deadline.is_some_and(|d| Instant::now() >= d)
                || self.count.is_some_and(|c| frames >= c)
            {
                break;
            }
            let going = match self.capture.next_frame().map_err(SourceError::Live)? {
                Some(frame) => {
                    frames += 1;
                    driver.frame(&frame)?
                }
                None => {
                    let going = driver.idle()?;
                    std::thread::sleep(POLL);
                    going
                }
            };
            if going && last_kernel.elapsed() >= KERNEL_EVERY {
                last_kernel = Instant::now();
                if let Ok(counters) = self.capture.stats() {
                    driver.kernel(counters)?;
                }
            }
        }
        driver.set_kernel(self.capture.stats().ok());
        Ok(())
    }
}
