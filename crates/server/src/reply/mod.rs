//! What answering needs in each protocol: the bits of the request an answer echoes or obeys
//! (binary opcode and opaque, text `noreply`, meta flags), and the low-level writers the
//! command families' answer writers share.

mod binary;
mod meta;
mod text;

pub use binary::BinaryReply;
pub use meta::{MetaLine, MetaReply};
pub use text::TextReply;
