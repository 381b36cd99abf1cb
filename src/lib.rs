//! # memshark
//!
//! A memcached protocol toolkit and traffic analyser: Wireshark and termshark, narrowed to
//! memcached and made fast.
//!
//! The crate is layered; each layer only depends on the ones above it in this list:
//!
//! | module | what it holds |
//! |---|---|
//! | [`protocol`] | the wire formats: a zero-copy binary codec ([`protocol::binary`]), the classic ASCII text protocol ([`protocol::ascii`]) and the meta commands ([`protocol::meta`]) |
//! | [`capture`] | reading pcap/pcapng files, decoding link/IP/TCP headers, TCP reassembly and writing synthetic captures |
//! | [`server`] | the embedded reference server (`memshark serve`): sharded storage with CAS, expiry and LRU, binary and ASCII front ends |
//! | [`client`] | an async binary-protocol client with pipelining |
//!
//! Every source of traffic (a capture file, a live interface, the proxy's tap) ends in the same
//! stream → dissector path, so there is exactly one decoder for each protocol.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod protocol;
