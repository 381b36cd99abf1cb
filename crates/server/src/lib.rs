//! The embedded reference server (`memshark serve`): a memcached that clients cannot tell from
//! memcached 1.6 for the binary protocol, the classic text protocol and the meta commands.
//!
//! * [`storage`]: the sharded item store (CAS, expiry, flush, counters, LRU under a memory
//!   limit), keyed with a randomly seeded hash;
//! * [`cmd`]: the commands, one module per family (get, store, delete, arithmetic, …), each a
//!   typed request built from any protocol's parse, applied to the store, and answered in the
//!   protocol that asked;
//! * [`binary`], [`ascii`] and [`meta`]: the three front ends, which check what is particular
//!   to their protocol and route each request to its family; [`reply`] holds what their
//!   answers share;
//! * [`Server`]: the listener and the per-connection loop. The protocol of a connection is
//!   chosen from its first byte, as memcached does (`0x80`: binary; anything else: text).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use memshark_server::{Server, ServerConfig};
//!
//! let server = Server::bind(ServerConfig::default()).await?;
//! println!("listening on {}", server.local_addr()?);
//! server.run(async { tokio::signal::ctrl_c().await.ok(); }).await;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
pub mod ascii;
pub mod binary;
pub mod clock;
pub mod cmd;
mod config;
mod connection;
pub mod conns;
pub mod detail;
pub mod logger;
pub mod meta;
pub mod reply;
mod server;
mod state;
pub mod stats;
pub mod storage;

pub use config::{SaslCredentials, ServerConfig};
pub use server::Server;
pub use state::{Runtime, Session, Shared};
pub use stats::VERSION;
pub use storage::{Store, StoreConfig};
