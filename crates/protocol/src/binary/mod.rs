//! The memcached binary protocol, zero-copy in both directions.
//!
//! * Receiving: [`Packet`] is a view over any `AsRef<[u8]>` (typically a [`bytes::Bytes`] split
//!   off a read buffer by [`BinaryCodec`]); fields are read through accessors, and the key,
//!   extras and value are sub-slices of the received bytes. Untrusted bytes go through
//!   [`Packet::new_checked`] or [`check`]; after that no accessor panics.
//! * Sending: [`Request`] and [`Response`] hold a message in its wire layout (header in network
//!   order, then extras, key and value), so "encoding" is handing out the bytes. A value given as
//!   `Bytes` stays where it is and goes out in a vectored write.
//! * [`Opcode`], [`Status`] and [`Magic`] cover everything in memcached's `protocol_binary.h`
//!   and keep unknown values instead of rejecting them.
//!
//! ```
//! use memshark_protocol::binary::{Opcode, Packet, Request};
//!
//! let request = Request::set(b"somekey", b"somevalue", 0, 300).with_opaque(7);
//! let wire = request.as_contiguous().expect("built in one piece");
//! let packet = Packet::new_checked(wire).expect("well-formed");
//! assert_eq!(packet.opcode(), Opcode::Set);
//! assert_eq!(packet.key(), b"somekey");
//! assert_eq!(packet.typed_extras().exptime(), Some(300));
//! assert_eq!(packet.to_string(), r#"SET request key="somekey" flags=0 exptime=300 opaque=0x00000007 value=9B"#);
//! ```

#[cfg(feature = "codec")]
mod codec;
mod display;
mod error;
mod extras;
mod framing;
mod magic;
mod message;
mod opcode;
mod packet;
mod status;
mod table;

#[cfg(feature = "codec")]
pub use codec::{BinaryCodec, CodecError};
pub use display::write_escaped;
pub use error::{Error, ReadError};
pub use extras::{CounterExtras, Extras, StoreExtras};
pub use framing::{
    check, find_next_header, plausible_header, read_packet, skip, split_message, FrameCheck,
    DEFAULT_MAX_BODY_LEN,
};
pub use magic::Magic;
pub use message::{Message, Request, Response, MAX_KEY_LEN};
pub use opcode::Opcode;
pub use packet::{Packet, HEADER_LEN};
pub use status::Status;

#[cfg(test)]
mod tests;
