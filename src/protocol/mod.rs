//! The memcached wire protocols.
//!
//! * [`binary`]: the binary protocol (magic `0x80`/`0x81`), as zero-copy views over received
//!   bytes and as messages built once in their wire layout.
//! * [`ascii`]: the classic text protocol (`get`, `set`, `VALUE`, `STORED`, …).
//! * [`meta`]: the meta commands (`mg`, `ms`, `md`, `ma`, `mn`, `me`) and their responses.

pub mod ascii;
pub mod binary;
pub mod meta;
