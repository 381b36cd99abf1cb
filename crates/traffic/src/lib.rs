//! # memshark-traffic
//!
//! memcached traffic, from frames to transactions: everything memshark's dump, stats, view,
//! live, proxy and replay share, without a terminal UI or a command line.
//!
//! | module | what it holds |
//! |---|---|
//! | [`capture`] | pcap/pcapng reading and writing, link decode, TCP reassembly, live capture (feature `live`) |
//! | [`dissect`] | stream bytes → paired, numbered messages |
//! | [`source`] | one path from a source (files, a live interface, the proxy tap) to a [`source::Sink`]: `run`, the stop semantics |
//! | [`pipeline`] | the pass itself: reassembly and dissector state, its counters |
//! | [`filter`] | the display-filter language shared by the TUI, `dump`, `stats` and `replay` |
//! | [`dump`], [`summary`] | jsonl/csv/text lines; the statistics behind `memshark stats` |
//! | [`hash`] | [`hash::SeededMap`] and [`hash::SeededSet`]: randomly seeded tables for keys, addresses and flows from the network |
//! | [`transaction`] | the transactions table: each request joined with its answers |
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
pub mod hash;
pub mod pipeline;
pub mod source;
pub mod summary;
pub mod transaction;
