//! Where and when bytes were seen: what a stream event and a decoded message share.

use std::net::SocketAddr;

use super::{Direction, Timestamp};

/// The connection, its two ends, the direction, and the frame and time of the first byte.
/// [`StreamEvent`](super::StreamEvent) and [`Message`](crate::dissect::Message) both carry one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Origin {
    /// Connection id, unique within a reassembler (0 for UDP).
    pub conn: u64,
    /// The client's address.
    pub client: SocketAddr,
    /// The server's address.
    pub server: SocketAddr,
    /// Which direction.
    pub dir: Direction,
    /// Capture frame number holding the first byte (0 when not from a capture, e.g. the
    /// proxy's tap).
    pub frame: u64,
    /// That frame's time.
    pub ts: Timestamp,
}

impl Origin {
    /// Connection `conn` between `client` and `server`, direction `dir`, at frame 0 and time 0.
    pub fn new(conn: u64, client: SocketAddr, server: SocketAddr, dir: Direction) -> Origin {
        Origin {
            conn,
            client,
            server,
            dir,
            frame: 0,
            ts: Timestamp::default(),
        }
    }

    /// The same, at another frame and time.
    pub fn at(self, frame: u64, ts: Timestamp) -> Origin {
        Origin { frame, ts, ..self }
    }

    /// The sender.
    pub fn src(&self) -> SocketAddr {
        match self.dir {
            Direction::ToServer => self.client,
            Direction::ToClient => self.server,
        }
    }

    /// The receiver.
    pub fn dst(&self) -> SocketAddr {
        match self.dir {
            Direction::ToServer => self.server,
            Direction::ToClient => self.client,
        }
    }
}
