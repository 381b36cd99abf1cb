//! The classic text protocol of memcached, parsed incrementally and without copying.
//!
//! [`Request::parse`] and [`Response::parse`] look at the front of a receive buffer and return
//! one of three outcomes, in the manner of mini-redis's check-then-parse:
//!
//! * `Ok(Parsed::Complete { message, len })`: a whole message, whose keys and data are slices of
//!   the buffer; advance by `len`;
//! * `Ok(Parsed::Incomplete { needed })`: wait for more bytes (`needed` is exact once a data
//!   block's length is known);
//! * `Err(ParseError { kind, skip })`: malformed; answer with [`ErrorKind::reply`] (the words
//!   memcached uses) and drop `skip` bytes to get back in step.
//!
//! [`ParseLimits`] bounds every buffer: a line longer than
//! [`LINE_MAX_LEN`](crate::limits::LINE_MAX_LEN), a key longer than
//! [`KEY_MAX_LEN`](crate::limits::KEY_MAX_LEN) or a data block over the value limit is an error,
//! never unbounded buffering. Meta commands (`mg`, `ms`, …) share the connection and the line
//! handling of [`crate::text`]: a classic parser hands their lines to [`crate::meta`] and they
//! come back as [`Request::Meta`] / [`Response::Meta`]. (The dependency goes one way: `meta`
//! knows nothing of this module.)
//!
//! ```
//! use memshark_protocol::ascii::{ParseLimits, Parsed, Response};
//!
//! let buf = b"STORED\r\nVALUE k 0 1\r\nx\r\nEND\r\n";
//! let limits = ParseLimits::default();
//! let mut at = 0;
//! let mut words = Vec::new();
//! while let Ok(Parsed::Complete { message, len }) = Response::parse(&buf[at..], &limits) {
//!     words.push(message.word());
//!     at += len;
//! }
//! assert_eq!(words, ["STORED", "VALUE", "END"]);
//! ```

mod command;
mod http;
mod reply;
mod request;
mod response;

pub use crate::text::{ErrorKind, ParseError, ParseLimits, Parsed};
pub use command::Command;
pub use http::{is_http_request_line, COMMAND_WORDS};
pub use reply::Reply;
pub use request::{looks_like_ascii_command, GetCommand, Keys, Request, StoreCommand};
pub use response::{looks_like_ascii_response, Response};

#[cfg(test)]
mod tests;
