//! # memshark-traffic
//!
//! memcached traffic, from frames to transactions: everything memshark's dump, stats, view,
//! live, proxy and replay share, without a terminal UI or a command line.
//!
//! | module | what it holds |
//! |---|---|
//! | [`capture`] | pcap/pcapng reading and writing, link decode, TCP reassembly, live capture (feature `live`) |
//! | [`dissect`] | stream bytes → paired, numbered messages |
//! | [`pipeline`] | a capture file through reassembly and the dissector |
//! | [`filter`] | the display-filter language shared by the TUI, `dump`, `stats` and `replay` |
//! | [`dump`], [`summary`] | jsonl/csv/text lines; the statistics behind `memshark stats` |
//!
//! The wire formats themselves live in [`memshark_protocol`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod capture;
pub mod dissect;
pub mod dump;
pub mod filter;
#[doc(hidden)]
pub mod fuzzing;
pub mod pipeline;
pub mod summary;
