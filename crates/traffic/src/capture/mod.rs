//! From packets to per-direction byte streams, and back.
//!
//! * [`reader`]: pcap/pcapng (and gzipped) files, streamed frame by frame;
//! * [`link`]: link, IP and TCP/UDP headers of a frame;
//! * [`reassembly`]: TCP reassembly per connection and direction, with gaps reported and memory
//!   bounded; each event carries its [`Origin`] (connection, ends, direction, frame, time);
//! * `live` (cargo feature `live`): capture from an interface through libpcap;
//! * [`export`]: the original frames of chosen messages, copied to a new capture;
//! * [`writer`]: synthetic pcap files from per-direction byte chunks (Ethernet + IP + TCP with
//!   valid checksums), for the proxy's recordings and for test fixtures.

pub mod export;
pub mod link;
#[cfg(feature = "live")]
pub mod live;
mod origin;
mod private_file;
pub mod reader;
pub mod reassembly;
pub mod writer;

/// A capture time: nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(u64);

impl Timestamp {
    /// From nanoseconds since the epoch.
    pub const fn from_nanos(nanos: u64) -> Timestamp {
        Timestamp(nanos)
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Now, from the system clock.
    pub fn now() -> Timestamp {
        Timestamp(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64),
        )
    }

    /// Whole seconds and the microseconds within them.
    pub fn secs_micros(self) -> (u64, u32) {
        (
            self.0 / 1_000_000_000,
            ((self.0 % 1_000_000_000) / 1_000) as u32,
        )
    }
}

/// Kernel counters of a live capture (defined without the `live` feature too, so that
/// [`crate::pipeline::PassStats`] can carry them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveStats {
    /// Packets the kernel passed to the capture.
    pub received: u32,
    /// Packets dropped because the capture buffer was full.
    pub dropped: u32,
    /// Packets dropped by the interface or driver.
    pub if_dropped: u32,
}

pub use link::{decode, Segment, Transport};
pub use origin::Origin;
pub use private_file::create_private;
pub use reader::{CaptureReader, Frame, ReadError, SharedFrame};
pub use reassembly::{Direction, Reassembler, ReassemblyConfig, StreamEvent, StreamEventKind};
pub use writer::{CaptureWriter, Format};
