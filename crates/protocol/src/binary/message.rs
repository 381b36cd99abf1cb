//! Owned messages kept in their wire layout, so that sending one copies nothing.
//!
//! The seed toolkit's insight was that a message which *is* its wire layout needs no encoding.
//! A [`Message`] holds the 24-byte header in network byte order, followed by extras and key
//! (and the value, when it was given as a slice). A value handed over as [`Bytes`] is kept
//! aside and borrowed, for a vectored write of `[head, value]`. Header fields are read through
//! the same accessors as a received [`Packet`] and changed in place by the setters, so a message
//! can be sent, edited (opaque, CAS) and sent again.

use std::io::IoSlice;

use bytes::{BufMut, Bytes, BytesMut};

use super::packet::write_header;
use super::{CounterExtras, Magic, Opcode, Packet, Status, StoreExtras, HEADER_LEN};

/// A binary-protocol message in wire layout: `head` (header, extras, key and maybe the value)
/// and an optional separately owned `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    head: BytesMut,
    shared_value: Bytes,
}

/// Longest key the header can declare (classic framing: 16 bits).
pub const MAX_KEY_LEN: usize = u16::MAX as usize;

impl Message {
    /// Builds a message. A key longer than [`MAX_KEY_LEN`] or extras longer than 255 bytes are
    /// cut to what the header can declare.
    pub fn new(
        magic: Magic,
        opcode: Opcode,
        vbucket_or_status: u16,
        extras: &[u8],
        key: &[u8],
        value: &[u8],
    ) -> Message {
        Self::build(
            magic,
            opcode,
            vbucket_or_status,
            extras,
            key,
            value,
            Bytes::new(),
        )
    }

    /// Builds a message whose value stays in its own [`Bytes`] (no copy); send it with
    /// [`io_slices`](Self::io_slices) or [`chunks`](Self::chunks).
    pub fn with_shared_value(
        magic: Magic,
        opcode: Opcode,
        vbucket_or_status: u16,
        extras: &[u8],
        key: &[u8],
        value: Bytes,
    ) -> Message {
        Self::build(magic, opcode, vbucket_or_status, extras, key, b"", value)
    }

    fn build(
        magic: Magic,
        opcode: Opcode,
        vbucket_or_status: u16,
        extras: &[u8],
        key: &[u8],
        inline_value: &[u8],
        shared_value: Bytes,
    ) -> Message {
        let key = &key[..key.len().min(MAX_KEY_LEN)];
        let extras = &extras[..extras.len().min(u8::MAX as usize)];
        let body = extras.len() + key.len() + inline_value.len() + shared_value.len();
        let mut header = [0u8; HEADER_LEN];
        write_header(
            &mut header,
            magic,
            opcode,
            key.len() as u16,
            extras.len() as u8,
            vbucket_or_status,
            u32::try_from(body).unwrap_or(u32::MAX),
            0,
            0,
        );
        let mut head =
            BytesMut::with_capacity(HEADER_LEN + extras.len() + key.len() + inline_value.len());
        head.put_slice(&header);
        head.put_slice(extras);
        head.put_slice(key);
        head.put_slice(inline_value);
        Message { head, shared_value }
    }

    /// The message as one slice, when its value is not held separately.
    pub fn as_contiguous(&self) -> Option<&[u8]> {
        self.shared_value.is_empty().then_some(&self.head[..])
    }

    /// The two parts to write, in order: header with extras and key (and inline value), then the
    /// separately held value (often empty).
    pub fn chunks(&self) -> [&[u8]; 2] {
        [&self.head, &self.shared_value]
    }

    /// The parts as [`IoSlice`]s for `write_vectored`.
    pub fn io_slices(&self) -> [IoSlice<'_>; 2] {
        [IoSlice::new(&self.head), IoSlice::new(&self.shared_value)]
    }

    /// Bytes on the wire.
    pub fn wire_len(&self) -> usize {
        self.head.len() + self.shared_value.len()
    }

    /// Copies the whole message into one buffer.
    pub fn to_bytes(&self) -> Bytes {
        if self.shared_value.is_empty() {
            return Bytes::copy_from_slice(&self.head);
        }
        let mut out = BytesMut::with_capacity(self.wire_len());
        self.write_to(&mut out);
        out.freeze()
    }

    /// Appends the message to `out`.
    pub fn write_to(&self, out: &mut impl BufMut) {
        out.put_slice(&self.head);
        out.put_slice(&self.shared_value);
    }

    /// A view of the header (and extras and key) for reading fields.
    pub fn packet(&self) -> Packet<&[u8]> {
        Packet::new_unchecked(&self.head[..])
    }

    /// The opcode.
    pub fn opcode(&self) -> Opcode {
        self.packet().opcode()
    }

    /// The opaque.
    pub fn opaque(&self) -> u32 {
        self.packet().opaque()
    }

    /// The CAS value.
    pub fn cas(&self) -> u64 {
        self.packet().cas()
    }

    /// The key.
    pub fn key(&self) -> &[u8] {
        let p = self.packet();
        let start = HEADER_LEN + p.framing_extras_len() + p.extras_len();
        let end = start + p.key_len();
        self.head.get(start..end).unwrap_or(&[])
    }

    /// The extras.
    pub fn extras(&self) -> &[u8] {
        let p = self.packet();
        let start = HEADER_LEN + p.framing_extras_len();
        let end = start + p.extras_len();
        self.head.get(start..end).unwrap_or(&[])
    }

    /// The value, wherever it is held.
    pub fn value(&self) -> &[u8] {
        if self.shared_value.is_empty() {
            let p = self.packet();
            let start = HEADER_LEN + p.extras_len() + p.key_len();
            self.head.get(start..).unwrap_or(&[])
        } else {
            &self.shared_value
        }
    }

    fn packet_mut(&mut self) -> Packet<&mut [u8]> {
        Packet::new_unchecked(&mut self.head[..])
    }

    /// Sets the opaque in place.
    pub fn set_opaque(&mut self, opaque: u32) {
        self.packet_mut().set_opaque(opaque);
    }

    /// Sets the CAS in place.
    pub fn set_cas(&mut self, cas: u64) {
        self.packet_mut().set_cas(cas);
    }

    /// Sets bytes 6–7 (vbucket or status) in place.
    fn set_vbucket_or_status(&mut self, v: u16) {
        self.packet_mut().set_vbucket(v);
    }
}

macro_rules! message_newtype {
    ($name:ident, $magic:expr, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(Message);

        impl std::ops::Deref for $name {
            type Target = Message;
            fn deref(&self) -> &Message {
                &self.0
            }
        }

        impl std::ops::DerefMut for $name {
            fn deref_mut(&mut self) -> &mut Message {
                &mut self.0
            }
        }

        impl $name {
            /// The message, without its request/response typing.
            pub fn into_message(self) -> Message {
                self.0
            }

            /// Sets the opaque (builder style).
            pub fn with_opaque(mut self, opaque: u32) -> Self {
                self.0.set_opaque(opaque);
                self
            }

            /// Sets the CAS (builder style).
            pub fn with_cas(mut self, cas: u64) -> Self {
                self.0.set_cas(cas);
                self
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                super::display::fmt_parts(f, self.0.packet(), self.0.value())
            }
        }
    };
}

message_newtype!(
    Request,
    Magic::Request,
    "A request (magic `0x80`) in wire layout."
);
message_newtype!(
    Response,
    Magic::Response,
    "A response (magic `0x81`) in wire layout."
);

impl Request {
    /// Any request, with the value copied into the message.
    pub fn new(opcode: Opcode, extras: &[u8], key: &[u8], value: &[u8]) -> Request {
        Request(Message::new(Magic::Request, opcode, 0, extras, key, value))
    }

    /// Any request, with the value kept in its own [`Bytes`] for a vectored write.
    pub fn with_shared_value(opcode: Opcode, extras: &[u8], key: &[u8], value: Bytes) -> Request {
        Request(Message::with_shared_value(
            Magic::Request,
            opcode,
            0,
            extras,
            key,
            value,
        ))
    }

    /// Sets the vbucket id (builder style).
    pub fn with_vbucket(mut self, vbucket: u16) -> Request {
        self.0.set_vbucket_or_status(vbucket);
        self
    }

    /// GET (or any get-family opcode without extras: GETQ, GETK, GETKQ).
    pub fn get(key: &[u8]) -> Request {
        Request::new(Opcode::Get, b"", key, b"")
    }

    /// A get-family request with a chosen opcode (GETQ, GETK, GETKQ).
    pub fn get_with(opcode: Opcode, key: &[u8]) -> Request {
        Request::new(opcode, b"", key, b"")
    }

    /// SET/ADD/REPLACE (and their quiet forms): flags and expiration in the extras.
    pub fn store(opcode: Opcode, key: &[u8], value: &[u8], flags: u32, exptime: u32) -> Request {
        let extras = StoreExtras { flags, exptime }.to_bytes();
        Request::new(opcode, &extras, key, value)
    }

    /// SET.
    pub fn set(key: &[u8], value: &[u8], flags: u32, exptime: u32) -> Request {
        Request::store(Opcode::Set, key, value, flags, exptime)
    }

    /// ADD.
    pub fn add(key: &[u8], value: &[u8], flags: u32, exptime: u32) -> Request {
        Request::store(Opcode::Add, key, value, flags, exptime)
    }

    /// REPLACE.
    pub fn replace(key: &[u8], value: &[u8], flags: u32, exptime: u32) -> Request {
        Request::store(Opcode::Replace, key, value, flags, exptime)
    }

    /// APPEND (no extras).
    pub fn append(key: &[u8], value: &[u8]) -> Request {
        Request::new(Opcode::Append, b"", key, value)
    }

    /// PREPEND (no extras).
    pub fn prepend(key: &[u8], value: &[u8]) -> Request {
        Request::new(Opcode::Prepend, b"", key, value)
    }

    /// DELETE.
    pub fn delete(key: &[u8]) -> Request {
        Request::new(Opcode::Delete, b"", key, b"")
    }

    /// INCR/DECR (and quiet forms) with delta, initial value and expiration
    /// ([`CounterExtras::NO_CREATE`] to leave a missing counter missing).
    pub fn counter(opcode: Opcode, key: &[u8], delta: u64, initial: u64, exptime: u32) -> Request {
        let extras = CounterExtras {
            delta,
            initial,
            exptime,
        }
        .to_bytes();
        Request::new(opcode, &extras, key, b"")
    }

    /// INCR.
    pub fn incr(key: &[u8], delta: u64, initial: u64, exptime: u32) -> Request {
        Request::counter(Opcode::Increment, key, delta, initial, exptime)
    }

    /// DECR.
    pub fn decr(key: &[u8], delta: u64, initial: u64, exptime: u32) -> Request {
        Request::counter(Opcode::Decrement, key, delta, initial, exptime)
    }

    /// TOUCH.
    pub fn touch(key: &[u8], exptime: u32) -> Request {
        Request::new(Opcode::Touch, &exptime.to_be_bytes(), key, b"")
    }

    /// GAT / GATQ / GATK / GATKQ.
    pub fn gat(opcode: Opcode, key: &[u8], exptime: u32) -> Request {
        Request::new(opcode, &exptime.to_be_bytes(), key, b"")
    }

    /// FLUSH, with an optional delay in seconds.
    pub fn flush(delay: Option<u32>) -> Request {
        match delay {
            Some(d) => Request::new(Opcode::Flush, &d.to_be_bytes(), b"", b""),
            None => Request::new(Opcode::Flush, b"", b"", b""),
        }
    }

    /// NOOP.
    pub fn noop() -> Request {
        Request::new(Opcode::Noop, b"", b"", b"")
    }

    /// VERSION.
    pub fn version() -> Request {
        Request::new(Opcode::Version, b"", b"", b"")
    }

    /// QUIT.
    pub fn quit() -> Request {
        Request::new(Opcode::Quit, b"", b"", b"")
    }

    /// VERBOSITY.
    pub fn verbosity(level: u32) -> Request {
        Request::new(Opcode::Verbosity, &level.to_be_bytes(), b"", b"")
    }

    /// STAT, for all statistics or a group (`settings`, `items`, `reset`, …).
    pub fn stat(group: Option<&[u8]>) -> Request {
        Request::new(Opcode::Stat, b"", group.unwrap_or(b""), b"")
    }

    /// SASL_LIST_MECHS.
    pub fn sasl_list_mechs() -> Request {
        Request::new(Opcode::SaslListMechs, b"", b"", b"")
    }

    /// SASL_AUTH: the mechanism as key, the mechanism's data as value.
    pub fn sasl_auth(mechanism: &[u8], data: &[u8]) -> Request {
        Request::new(Opcode::SaslAuth, b"", mechanism, data)
    }

    /// SASL_STEP.
    pub fn sasl_step(mechanism: &[u8], data: &[u8]) -> Request {
        Request::new(Opcode::SaslStep, b"", mechanism, data)
    }

    /// SASL_AUTH with PLAIN: `\0user\0password`.
    pub fn sasl_plain(user: &[u8], password: &[u8]) -> Request {
        let mut data = Vec::with_capacity(2 + user.len() + password.len());
        data.push(0);
        data.extend_from_slice(user);
        data.push(0);
        data.extend_from_slice(password);
        Request::sasl_auth(b"PLAIN", &data)
    }
}

impl Response {
    /// Any response, with the value copied into the message.
    pub fn new(
        opcode: Opcode,
        status: Status,
        extras: &[u8],
        key: &[u8],
        value: &[u8],
    ) -> Response {
        Response(Message::new(
            Magic::Response,
            opcode,
            status.into(),
            extras,
            key,
            value,
        ))
    }

    /// Any response, with the value kept in its own [`Bytes`] (a stored item's value is sent
    /// without copying it).
    pub fn with_shared_value(
        opcode: Opcode,
        status: Status,
        extras: &[u8],
        key: &[u8],
        value: Bytes,
    ) -> Response {
        Response(Message::with_shared_value(
            Magic::Response,
            opcode,
            status.into(),
            extras,
            key,
            value,
        ))
    }

    /// An error response carrying memcached's text for `status` as its body.
    pub fn error(opcode: Opcode, status: Status) -> Response {
        Response::new(opcode, status, b"", b"", status.message().as_bytes())
    }

    /// A successful get-family response: flags in 4-byte extras, the key when the opcode echoes
    /// it, and the value.
    pub fn get_hit(opcode: Opcode, key: &[u8], flags: u32, value: Bytes) -> Response {
        let key: &[u8] = if opcode.echoes_key() { key } else { b"" };
        Response::with_shared_value(opcode, Status::NoError, &flags.to_be_bytes(), key, value)
    }

    /// A counter response: the new value as an 8-byte body.
    pub fn counter(opcode: Opcode, value: u64) -> Response {
        Response::new(opcode, Status::NoError, b"", b"", &value.to_be_bytes())
    }

    /// An empty success response (stores, deletes, NOOP, …).
    pub fn ok(opcode: Opcode) -> Response {
        Response::new(opcode, Status::NoError, b"", b"", b"")
    }

    /// Sets the status in place (builder style).
    pub fn with_status(mut self, status: Status) -> Response {
        self.0.set_vbucket_or_status(status.into());
        self
    }

    /// The status.
    pub fn status(&self) -> Status {
        self.0.packet().status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_value_is_not_copied() {
        let value = Bytes::from_static(b"a large value that stays where it is");
        let r = Request::with_shared_value(Opcode::Set, &[0; 8], b"k", value.clone());
        assert_eq!(r.chunks()[1].as_ptr(), value.as_ptr());
        assert_eq!(r.value(), &value[..]);
        assert!(r.as_contiguous().is_none());
        let whole = r.to_bytes();
        let p = Packet::new_checked(&whole[..]).expect("valid");
        assert_eq!(p.value(), &value[..]);
        assert_eq!(p.key(), b"k");
    }

    #[test]
    fn setters_edit_in_place_and_keep_the_message() {
        let mut r = Request::set(b"somekey", b"somevalue", 0, 0).with_vbucket(824);
        r.set_opaque(7242);
        r.set_cas(938424885);
        let once = r.as_contiguous().map(<[u8]>::to_vec);
        let twice = r.as_contiguous().map(<[u8]>::to_vec);
        assert_eq!(once, twice);
        let p = r.packet();
        assert_eq!((p.opaque(), p.cas(), p.vbucket()), (7242, 938424885, 824));
    }
}
