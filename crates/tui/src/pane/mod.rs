//! The state each part of the screen keeps between frames: what is selected and how far it is
//! scrolled, with the logic that keeps them in bounds. Keys change these through the methods
//! here; drawing only reads them. A pane learns its size from the last frame
//! ([`App::prepare`](crate::App::prepare)), so page keys and clamping match what is on screen.

pub mod bytes;
pub mod conversations;
pub mod details;
pub mod input;
pub mod iograph;
pub mod stats;
pub mod timeline;

pub use bytes::{BytesPane, BytesScroll, HexDump};
pub use conversations::ConversationsPane;
pub use details::DetailsPane;
pub use input::{FilterInput, InputKind, InputOutcome};
pub use iograph::IoGraphPane;
pub use stats::StatsPane;
pub use timeline::{TimeFormat, TimelinePane};
