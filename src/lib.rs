//! # memshark
//!
//! A memcached protocol toolkit and traffic analyser: Wireshark and termshark, narrowed to
//! memcached and made fast.
//!
//! The crate is layered; each layer only depends on the ones above it in this table:
//!
//! | module | what it holds |
//! |---|---|
//! | [`protocol`] | the wire formats: a zero-copy binary codec ([`protocol::binary`]), the classic ASCII text protocol ([`protocol::ascii`]) and the meta commands ([`protocol::meta`]) |
//! | [`server`], [`client`], [`load`] | the reference server, an async pipelining client, the workload generator |
//! | [`capture`] | pcap/pcapng reading and writing, link decode, TCP reassembly, live capture (feature `live`) |
//! | [`dissect`], [`pipeline`] | stream bytes → paired, numbered messages; a capture file through both |
//! | [`dump`], [`summary`] | jsonl/csv/text lines; the statistics behind `memshark stats` |
//! | [`filter`] | the display-filter language shared by the TUI, `dump`, `stats` and `replay` |
//! | [`proxy`] | the recording proxy and its tap |
//! | [`replay`] | re-sending a capture to a server and comparing the answers |
//! | [`timeline`], [`tui`] | the compact transaction store and the terminal UI over it |
//! | [`fuzzing`] | the fuzz targets' bodies, shared with the tests that replay their crashes |
//!
//! ```
//! use memshark::protocol::binary::{Opcode, Packet, Request};
//!
//! // Build a request once, in wire layout; "encoding" is handing out its bytes.
//! let set = Request::set(b"user:42", b"hello", 0, 300).with_opaque(1);
//! let wire = set.as_contiguous().expect("value held inline");
//! // A received message is validated once, then read through accessors without copying.
//! let packet = Packet::new_checked(wire).expect("well-formed");
//! assert_eq!((packet.opcode(), packet.key(), packet.value()), (Opcode::Set, &b"user:42"[..], &b"hello"[..]));
//! ```
//!
//! Every source of traffic (a capture file, a live interface, the proxy's tap) ends in the same
//! stream → dissector path, so there is exactly one decoder for each protocol.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod capture;
pub mod client;
pub mod dissect;
pub mod dump;
pub mod filter;
pub mod fuzzing;
pub mod hash;
pub mod load;
pub mod pipeline;
pub mod protocol;
pub mod proxy;
pub mod replay;
pub mod server;
pub mod summary;
pub mod timeline;
pub mod tui;

/// The README's examples, compiled and run by `cargo test`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
