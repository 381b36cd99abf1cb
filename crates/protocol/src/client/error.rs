//! Errors of the client.

use crate::binary::Status;

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Connecting failed.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// Where.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// Reading or writing the connection failed.
    #[error("connection error: {0}")]
    Io(#[from] std::io::Error),
    /// No answer within the request timeout (or the connect timeout).
    #[error("timed out")]
    Timeout,
    /// The connection is closed (by the server, or after an error).
    #[error("connection closed")]
    Closed,
    /// The server sent something that is not a valid answer.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The server answered with an error status.
    #[error("server answered {status}: {message}")]
    Server {
        /// The status.
        status: Status,
        /// The text the server sent with it.
        message: String,
    },
}

impl ClientError {
    /// The server's status, when the server answered with an error.
    pub fn status(&self) -> Option<Status> {
        match self {
            ClientError::Server { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// KEY_ENOENT.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(Status::KeyNotFound)
    }

    /// KEY_EEXISTS (a CAS mismatch, or ADD on a present key).
    pub fn is_exists(&self) -> bool {
        self.status() == Some(Status::KeyExists)
    }

    /// NOT_STORED (APPEND/PREPEND on a missing key).
    pub fn is_not_stored(&self) -> bool {
        self.status() == Some(Status::ItemNotStored)
    }
}
