//! The state commands act on: what every connection shares, and what each keeps for itself.

use crate::config::ServerConfig;
use crate::stats::ProcessInfo;
use crate::storage::Store;

/// What every connection shares.
#[derive(Debug)]
pub struct Shared {
    /// The items.
    pub store: Store,
    /// The configuration the server started with.
    pub config: ServerConfig,
    /// Start time and version.
    pub info: ProcessInfo,
}

/// Per-connection state the front ends need.
#[derive(Debug, Default)]
pub struct Session {
    /// Whether SASL authentication succeeded on this connection.
    pub authenticated: bool,
}
