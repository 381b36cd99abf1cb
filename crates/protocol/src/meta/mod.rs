//! The meta commands of the text protocol (memcached ≥ 1.6): `mg`, `ms`, `md`, `ma`, `mn`,
//! `me`, and their answers `HD`, `VA`, `EN`, `NF`, `NS`, `EX`, `MN`, `ME`.
//!
//! Meta commands share the classic text protocol's connection and the line handling of
//! [`crate::text`]; the classic parsers
//! ([`ascii::Request::parse`](crate::ascii::Request::parse),
//! [`ascii::Response::parse`](crate::ascii::Response::parse)) hand meta lines to this module,
//! which itself knows nothing of the classic commands. Flags are single letters with optional tokens (`v`, `t`, `T30`, `O123`, `q`, `b`,
//! `MI`, `D5`, …), kept as the raw section of the line and read through [`Flags`].
//!
//! ```
//! use memshark_protocol::ascii::{ParseLimits, Request};
//!
//! let buf = b"mg dXNlcjox b v t O42\r\n";
//! let (req, len) = Request::parse(buf, &ParseLimits::default()).unwrap().complete().unwrap();
//! assert_eq!(len, buf.len());
//! let Request::Meta(mg) = req else { panic!("a meta command") };
//! assert_eq!(mg.flags.opaque(), Some(&b"42"[..]));
//! assert_eq!(&*mg.decoded_key().unwrap(), b"user:1");
//! ```

mod flags;
mod request;
mod response;

pub use flags::{flag_meaning, Flags};
pub use request::{Command, Request};
pub use response::{Response, ResponseCode};
