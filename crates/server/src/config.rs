//! How the server runs: listening address, limits, timeouts, credentials.

use std::net::SocketAddr;
use std::time::Duration;

use crate::storage::StoreConfig;

/// Credentials for SASL PLAIN; with them, nothing but SASL and VERSION is served before a
/// client authenticates (the protocol crate's, shared with the proxy).
pub use memshark_protocol::sasl::SaslCredentials;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen; 127.0.0.1:11211 by default.
    pub listen: SocketAddr,
    /// Storage limits.
    pub store: StoreConfig,
    /// Most connections served at once (memcached `-c`, default 1024); more are accepted and
    /// closed at once.
    pub max_connections: usize,
    /// A connection idle this long is closed (memcached `idle_timeout`; `None`: never).
    pub idle_timeout: Option<Duration>,
    /// SASL PLAIN credentials, if authentication is required.
    pub sasl: Option<SaslCredentials>,
    /// Whether the text command `shutdown` stops the server (memcached `-A`).
    pub enable_shutdown: bool,
    /// Worker threads (memcached `-t`; reported in `stats` and `stats settings`).
    pub threads: usize,
    /// Verbosity at start (memcached `-v`, `-vv`).
    pub verbosity: u32,
    /// UDP port on the listening address (memcached `-U`); 0, the default, turns UDP off.
    pub udp_port: u16,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 11211)),
            store: StoreConfig::default(),
            max_connections: 1024,
            idle_timeout: None,
            sasl: None,
            enable_shutdown: false,
            threads: 4,
            verbosity: 0,
            udp_port: 0,
        }
    }
}
