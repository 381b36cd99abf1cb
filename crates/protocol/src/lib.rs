//! # memshark-protocol
//!
//! The memcached wire protocols.
//!
//! * [`binary`]: the binary protocol (magic `0x80`/`0x81`), as zero-copy views over received
//!   bytes and as messages built once in their wire layout.
//! * [`ascii`]: the classic text protocol (`get`, `set`, `VALUE`, `STORED`, …).
//! * [`meta`]: the meta commands (`mg`, `ms`, `md`, `ma`, `mn`, `me`) and their responses.
//! * [`op`]: what a message is ([`op::Op`]) and what an answer says ([`op::Outcome`]) across
//!   the three protocols, as small `Copy` types.
//! * [`text`]: what the two line protocols share (lines, tokens, numbers, parse outcomes).
//! * [`limits`]: memcached's limits (key and line length, item size), stated once.
//! * [`sasl`]: authentication, SASL PLAIN (binary) and memcached's ASCII authentication (text).
//! * [`client`] (feature `client`): an async pipelining binary-protocol client on tokio.
//!
//! The crate is sans-IO: parsing and encoding work on byte slices and [`bytes`] buffers, with
//! no runtime. The feature `codec` adds [`binary::BinaryCodec`], a `tokio_util` codec, and
//! `client` adds the client.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ascii;
pub mod binary;
#[cfg(feature = "client")]
pub mod client;
pub mod limits;
pub mod meta;
pub mod op;
pub mod sasl;
pub mod text;
