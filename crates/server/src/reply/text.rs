//! Classic text answers, written through the protocol crate's typed [`Response`].

use std::fmt::Write;

use bytes::{BufMut, BytesMut};
use memshark_protocol::ascii::Response;

use crate::storage::ItemView;

/// What a text answer takes from its request.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextReply {
    /// `noreply`: no answer wanted.
    pub noreply: bool,
    /// Values carry their CAS unique (`gets`, `gats`).
    pub with_cas: bool,
}

impl TextReply {
    /// The context of a command that may say `noreply`.
    pub fn noreply(noreply: bool) -> TextReply {
        TextReply {
            noreply,
            with_cas: false,
        }
    }

    /// Writes `response` unless the request said `noreply`.
    pub fn send(&self, response: Response<'_>, out: &mut BytesMut) {
        if !self.noreply {
            response.write_to(out);
        }
    }

    /// Writes `VALUE <key> <flags> <bytes> [<cas>]` and the data block (never suppressed:
    /// retrievals have no `noreply`).
    pub fn value(&self, key: &[u8], item: &ItemView, out: &mut BytesMut) {
        out.put_slice(b"VALUE ");
        out.put_slice(key);
        // Formatting into a `BytesMut` cannot fail.
        let _ = write!(out, " {} {}", item.flags, item.value.len());
        if self.with_cas {
            let _ = write!(out, " {}", item.cas);
        }
        out.put_slice(b"\r\n");
        out.put_slice(&item.value);
        out.put_slice(b"\r\n");
    }
}
