//! # memshark
//!
//! A memcached protocol toolkit and traffic analyser: Wireshark and termshark, narrowed to
//! memcached and made fast. This crate is the `memshark` command; its library part gathers the
//! workspace's crates under one name, so that `memshark::protocol`, `memshark::dissect` and the
//! rest read the same from the tests, the benchmarks and the examples.
//!
//! The crates are layered; each depends only on the ones above it in this table:
//!
//! | crate | modules here | what it holds |
//! |---|---|---|
//! | [`memshark_protocol`] | [`protocol`], [`client`] | the wire formats, sans I/O: binary, text and meta codecs; the async client (feature `client`) |
//! | [`memshark_latency`] | [`latency`] | the one latency histogram every report uses |
//! | [`memshark_traffic`] | [`capture`], [`dissect`], [`source`], [`pipeline`], [`filter`], [`dump`], [`summary`] | frames to transactions: pcap, reassembly, the dissector, the filter language, jsonl and stats |
//! | [`memshark_export`] | [`export`] | Parquet output: the messages and transactions tables, partitioned and rolling files |
//! | [`memshark_server`] | [`server`] | the reference server |
//! | [`memshark_load`] | [`load`] | the workload generator |
//! | [`memshark_proxy`] | [`proxy`] | the recording proxy and its tap |
//! | [`memshark_replay`] | [`replay`] | re-sending a capture to a server and comparing the answers |
//! | [`memshark_tui`] | [`timeline`], [`tui`] | the compact transaction store and the terminal UI over it |
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
//! stream → dissector path and into a [`source::Sink`] ([`source::run`], [`source::Driver`]), so
//! there is exactly one decoder for each protocol and one way to stop reading. ARCHITECTURE.md
//! in the repository walks through the layers.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use memshark_export as export;
pub use memshark_latency as latency;
pub use memshark_load as load;
pub use memshark_protocol as protocol;
pub use memshark_protocol::client;
pub use memshark_proxy as proxy;
pub use memshark_replay as replay;
pub use memshark_server as server;
#[doc(hidden)]
pub use memshark_traffic::fuzzing;
pub use memshark_traffic::{
    capture, dissect, dump, filter, pipeline, source, summary, transaction,
};
pub use memshark_tui as tui;
pub use memshark_tui::timeline;

/// The README's examples, compiled and run by `cargo test`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
