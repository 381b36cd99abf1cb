//! The timeline model behind the TUI: a compact store of millions of transactions
//! ([`store`]), the filtered and sorted view over it ([`view`]), per-message field trees for
//! the details pane ([`fields`]) and per-second op rates for the stats screen ([`rates`]).
//!
//! ```
//! use memshark_tui::timeline::{Store, View};
//! use memshark_traffic::filter::Filter;
//!
//! let mut store = Store::new();
//! let mut view = View::new();
//! memshark_traffic::pipeline::dissect_file(std::path::Path::new("../../fixtures/binary.pcap"), &[11211], &mut |_| {}, &mut |m| {
//!     store.push(&m);
//!     true
//! })
//! .unwrap();
//! view.set_filter(Filter::parse(r#"op == "get" && status != 0"#).unwrap(), &store);
//! assert!(view.len() < store.len());
//! ```

mod arena;
pub mod fields;
pub mod rates;
pub mod store;
pub mod view;

pub use rates::Rates;
pub use store::{Flow, MsgRec, Store, Txn};
pub use view::{SortKey, TxnFields, View};

#[cfg(test)]
mod tests;
