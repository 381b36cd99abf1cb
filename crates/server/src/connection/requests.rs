//! A connection's byte stream cut into requests, each answered by its front end: the protocol
//! is chosen from the first byte, as memcached does (`0x80`: binary; anything else: text), and
//! malformed input is answered and skipped as memcached does. No I/O here: bytes in, answers
//! out.

use bytes::{Buf, BytesMut};
use memshark_protocol::ascii::{ErrorKind, ParseLimits, Parsed, Request};
use memshark_protocol::binary::{self, check, FrameCheck, Opcode, Packet, Response, Status};

use super::line;
use crate::cmd::After;
use crate::config::ServerConfig;
use crate::state::{Session, Shared};

/// A binary body longer than this is not swallowed but answered by closing the connection, so
/// a lying header can neither make the server allocate it nor keep it reading forever.
const MAX_SWALLOW: u64 = 128 * 1024 * 1024;

/// Room a binary request may take beyond the item size limit (key, extras, framing).
const BINARY_BODY_SLACK: u64 = 64 * 1024;

/// The protocol a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Binary,
    Text,
}

/// What the connection does once the answers so far are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Send the answers and read more.
    Continue,
    /// Send the answers, then close.
    Close,
    /// Close at once, sending nothing more (a binary body too large to even swallow).
    Abort,
}

/// One connection's request state: its protocol once known, its session, and the bytes still
/// to drop from the stream.
#[derive(Debug)]
pub(crate) struct Requests {
    protocol: Option<Protocol>,
    session: Session,
    /// Bytes still to drop (the body of a rejected too-large item).
    swallow: u64,
    limits: ParseLimits,
    binary_max_body: u32,
}

impl Requests {
    /// The state of a new connection to a server configured so.
    pub(crate) fn new(config: &ServerConfig) -> Requests {
        let max_item = config.store.max_item_size as u64;
        Requests {
            protocol: None,
            session: Session::default(),
            swallow: 0,
            limits: ParseLimits {
                max_value: config.store.max_item_size,
                max_line: line::GET_LINE_MAX,
                ..ParseLimits::default()
            },
            binary_max_body: (max_item + BINARY_BODY_SLACK).min(u64::from(u32::MAX)) as u32,
        }
    }

    /// Answers every whole request at the front of `buf` into `out`, consuming what it answered
    /// or skipped. Stops at an incomplete request, or at one that ends the connection.
    pub(crate) fn process(
        &mut self,
        buf: &mut BytesMut,
        shared: &Shared,
        out: &mut BytesMut,
    ) -> Flow {
        loop {
            match self.step(buf, shared, out) {
                Some(Flow::Continue) => {}
                Some(flow) => return flow,
                None => return Flow::Continue,
            }
        }
    }

    /// Answers the one request at the front of `buf` (or drops bytes still to swallow);
    /// `None` when there is nothing whole to answer.
    pub(crate) fn step(
        &mut self,
        buf: &mut BytesMut,
        shared: &Shared,
        out: &mut BytesMut,
    ) -> Option<Flow> {
        if self.swallow > 0 {
            let drop_now = self.swallow.min(buf.len() as u64);
            buf.advance(drop_now as usize);
            self.swallow -= drop_now;
            if self.swallow > 0 {
                return None;
            }
        }
        if buf.is_empty() || self.streaming() || self.session.watching.is_some() {
            return None;
        }
        let protocol = *self.protocol.get_or_insert(if buf[0] == 0x80 {
            Protocol::Binary
        } else {
            Protocol::Text
        });
        match protocol {
            Protocol::Binary => self.binary(buf, shared, out),
            Protocol::Text => self.text(buf, shared, out),
        }
    }

    /// Serves datagrams: retrievals note where each item's answer ends.
    pub(crate) fn for_udp(mut self) -> Requests {
        self.session.udp_marks = Some(Vec::new());
        self
    }

    /// Where the answers of the last request split into messages (UDP).
    pub(crate) fn take_marks(&mut self) -> Vec<usize> {
        self.session
            .udp_marks
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Gives the connection its id in `stats conns`.
    pub(crate) fn set_id(&mut self, id: u64) {
        self.session.id = id;
    }

    /// The log feed, once the connection watches (it then answers nothing else).
    pub(crate) fn watching(&mut self) -> Option<&mut crate::cmd::watch::Watching> {
        self.session.watching.as_mut()
    }

    /// Whether a stream (a metadump) is still being produced; until it ends, no request is
    /// read.
    pub(crate) fn streaming(&self) -> bool {
        self.session.dump.is_some()
    }

    /// Appends the next piece of the stream in progress to `out`.
    pub(crate) fn produce(&mut self, shared: &Shared, out: &mut BytesMut) {
        if let Some(dump) = self.session.dump.as_mut() {
            if dump.produce(&shared.store, out) {
                self.session.dump = None;
            }
        }
    }

    /// One binary request; `None` when it is not all there yet.
    fn binary(&mut self, buf: &mut BytesMut, shared: &Shared, out: &mut BytesMut) -> Option<Flow> {
        match check(buf, self.binary_max_body) {
            Ok(FrameCheck::Complete(len)) => {
                let frame = Packet::new_unchecked(buf.split_to(len).freeze());
                Some(flow(crate::binary::handle(
                    frame,
                    shared,
                    &mut self.session,
                    out,
                )))
            }
            Ok(FrameCheck::Incomplete { .. }) => None,
            Err(binary::Error::BodyTooLarge { declared, .. }) => {
                if u64::from(declared) > MAX_SWALLOW {
                    return Some(Flow::Abort);
                }
                let p = Packet::new_unchecked(&buf[..]);
                Response::error(p.opcode(), Status::ValueTooLarge)
                    .with_opaque(p.opaque())
                    .write_to(out);
                let head = binary::HEADER_LEN.min(buf.len());
                buf.advance(head);
                self.swallow = u64::from(declared);
                Some(Flow::Continue)
            }
            Err(_) => {
                let p = Packet::new_unchecked(&buf[..]);
                let op = if p.magic().is_known() {
                    p.opcode()
                } else {
                    Opcode::Noop
                };
                Response::error(op, Status::InvalidArguments)
                    .with_opaque(p.opaque())
                    .write_to(out);
                Some(Flow::Close)
            }
        }
    }

    /// One text or meta request; `None` when it is not all there yet.
    fn text(&mut self, buf: &mut BytesMut, shared: &Shared, out: &mut BytesMut) -> Option<Flow> {
        let window = &buf[..buf.len().min(line::GET_LINE_MAX + 2)];
        let Some(nl) = memchr::memchr(b'\n', window) else {
            return match line::partial(buf) {
                line::Partial::Wait => None,
                line::Partial::Close => Some(Flow::Abort),
            };
        };
        let text = &buf[..nl];
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        let word = memshark_protocol::text::first_token(text);
        match line::screen(text, word) {
            line::Screen::Parse => {}
            line::Screen::Close => return Some(Flow::Abort),
            line::Screen::Answer(answer) => {
                out.extend_from_slice(answer.as_bytes());
                out.extend_from_slice(b"\r\n");
                buf.advance(nl + 1);
                return Some(Flow::Continue);
            }
            line::Screen::Silent => {
                buf.advance(nl + 1);
                return Some(Flow::Continue);
            }
        }
        if let Some(admin) = crate::admin::Admin::parse_word(text, word) {
            // Answers to earlier requests not yet sent: memcached refuses to start a metadump.
            let pipelined = !out.is_empty();
            let after = admin.handle(shared, &mut self.session, pipelined, out);
            buf.advance(nl + 1);
            if self.streaming() || self.session.watching.is_some() {
                // memcached hands the connection to its crawler or its logger and drops
                // what was read after the command.
                buf.clear();
            }
            return Some(flow(after));
        }
        match Request::parse(buf, &self.limits) {
            Ok(Parsed::Complete { message, len }) => {
                let after = crate::ascii::handle(&message, shared, &mut self.session, out);
                buf.advance(len);
                Some(flow(after))
            }
            Ok(Parsed::Incomplete { .. }) => None,
            Err(e) => {
                if let Some(answer) = line::error_reply(e.kind, text) {
                    out.extend_from_slice(answer.as_bytes());
                    out.extend_from_slice(b"\r\n");
                }
                if e.kind == ErrorKind::TooLarge {
                    crate::stats::Counters::bump(&shared.store.counters.store_too_large);
                    if let Some(key) = line::set_key(text) {
                        shared.store.unlink(key);
                    }
                }
                let mut skip = e.skip as u64;
                if e.kind == ErrorKind::InvalidBase64Key {
                    skip += line::meta_set_data(text).unwrap_or(0);
                }
                let now = skip.min(buf.len() as u64);
                buf.advance(now as usize);
                self.swallow = skip - now;
                Some(Flow::Continue)
            }
        }
    }
}

fn flow(after: After) -> Flow {
    match after {
        After::Continue => Flow::Continue,
        After::Close => Flow::Close,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::storage::StoreConfig;

    fn config() -> ServerConfig {
        ServerConfig {
            store: StoreConfig {
                // Whole items, as memcached counts them: a 100-byte value is too large.
                max_item_size: 150,
                ..StoreConfig::default()
            },
            ..ServerConfig::default()
        }
    }

    /// The answers to `input` delivered in pieces cut at `cuts`, on a fresh server.
    fn answers(input: &[u8], cuts: &[usize]) -> Vec<u8> {
        let shared = Shared::new(config());
        let mut requests = Requests::new(&shared.config);
        let (mut buf, mut out) = (BytesMut::new(), BytesMut::new());
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        cuts.push(input.len());
        cuts.sort_unstable();
        let mut at = 0;
        for cut in cuts {
            buf.extend_from_slice(&input[at..cut]);
            at = cut;
            if requests.process(&mut buf, &shared, &mut out) != Flow::Continue {
                break;
            }
        }
        out.to_vec()
    }

    fn text_script() -> Vec<u8> {
        let big = "x".repeat(100);
        format!(
            "set a 1 0 3\r\nabc\r\nget a b\r\nbogus\r\nset b 0 0 100\r\n{big}\r\n\
             mg a v c f\r\nms c 2 c\r\nhi\r\nincr a 1\r\ngets a c\r\nmn\r\nquit\r\nget a\r\n"
        )
        .into_bytes()
    }

    fn binary_script() -> Vec<u8> {
        use memshark_protocol::binary::Request as BinaryRequest;
        let mut script = Vec::new();
        for r in [
            BinaryRequest::set(b"a", b"abc", 1, 0),
            BinaryRequest::get(b"a"),
            BinaryRequest::set(b"b", &[b'x'; 70 * 1024], 0, 0),
            BinaryRequest::get(b"b"),
            BinaryRequest::incr(b"n", 1, 5, 0),
            BinaryRequest::noop(),
            BinaryRequest::quit(),
            BinaryRequest::get(b"a"),
        ] {
            script.extend_from_slice(&r.to_bytes());
        }
        script
    }

    #[test]
    fn answers_whole_scripts() {
        let text = answers(&text_script(), &[]);
        assert!(text.starts_with(b"STORED\r\nVALUE a 1 3\r\nabc\r\nEND\r\nERROR\r\n"));
        assert!(text.ends_with(b"MN\r\n"), "nothing after quit");
        let binary = answers(&binary_script(), &[]);
        assert_eq!(binary[0], 0x81);
    }

    proptest! {
        /// However the stream is cut into reads, the answers are the same.
        #[test]
        fn answers_do_not_depend_on_read_boundaries(
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
        ) {
            for script in [text_script(), binary_script()] {
                prop_assert_eq!(answers(&script, &cuts), answers(&script, &[]));
            }
        }
    }
}
