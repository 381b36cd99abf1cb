//! Finding the first real message after a gap (or at the start of a stream picked up
//! mid-way).
//!
//! * Binary: a header whose magic fits the direction, whose opcode is known and whose lengths
//!   agree; an answer whose opaque and opcode a waiting request carries is believed, anything
//!   else (a request, an answer whose request the capture lost) must be confirmed by the next
//!   header where there is one. A candidate whose body reaches past the bytes in hand is
//!   waited for (up to the largest body the decoder accepts).
//!   At the very first byte (where a segment, and so most often a message, starts) a header
//!   that fits is believed without confirmation.
//! * Text and meta: the first line start (the stream's first byte, or the byte after a `\n`)
//!   whose line parses as a command (to the server) or an answer (to the client), or, to the
//!   server, begins with a command word (a command memcached rejects is still shown).
//!
//! Bytes before the position found are reported as skipped.

use memshark_protocol::ascii::{self, ParseLimits, Parsed};
use memshark_protocol::binary::{self, Magic, Opcode, Packet, HEADER_LEN};

use super::decode::MAX_BODY;
use super::Wire;
use crate::capture::Direction;

/// What a search found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Found {
    /// A message starts at this offset, in this protocol.
    At(usize, Wire),
    /// Nothing before this offset can start a message; from it on, more bytes are needed
    /// to tell (at least this many in all, from the offset).
    Wait(usize, usize),
}

/// The longest command line waited for while resyncing (memcached reads `get` lines of any
/// length; memshark's server bounds them at 8 MiB).
const MAX_LONG_LINE: usize = 8 * 1024 * 1024;

/// Whether a binary candidate is a message.
enum Verdict {
    Yes,
    No,
    /// More bytes are needed: this many from the candidate's start.
    Wait(usize),
}

/// Searches `buf` for the first real message. `wire` is the connection's protocol when known;
/// `pending_opaque` says whether a request waiting for its answer carries this opaque and this
/// opcode (memcached echoes both).
pub(super) fn find(
    buf: &[u8],
    dir: Direction,
    wire: Option<Wire>,
    pending_opaque: &dyn Fn(u32, Opcode) -> bool,
    limits: &ParseLimits,
) -> Found {
    let try_binary = wire != Some(Wire::Text);
    let try_text = wire != Some(Wire::Binary);
    let magic = match dir {
        Direction::ToServer => 0x80,
        Direction::ToClient => 0x81,
    };
    let mut line_start = true;
    for at in 0..buf.len() {
        let here = &buf[at..];
        if try_binary && here[0] == magic {
            match binary_candidate(here, dir, pending_opaque, at == 0) {
                Verdict::Yes => return Found::At(at, Wire::Binary),
                Verdict::Wait(n) => return Found::Wait(at, n),
                Verdict::No => {}
            }
        }
        if try_text && line_start {
            match text_candidate(here, dir, limits) {
                Verdict::Yes => return Found::At(at, Wire::Text),
                Verdict::Wait(n) => return Found::Wait(at, n),
                Verdict::No => {}
            }
        }
        line_start = here[0] == b'\n';
    }
    Found::Wait(buf.len(), 1)
}

fn binary_candidate(
    buf: &[u8],
    dir: Direction,
    pending_opaque: &dyn Fn(u32, Opcode) -> bool,
    segment_start: bool,
) -> Verdict {
    if buf.len() < HEADER_LEN {
        return if binary::plausible_header(buf, MAX_BODY) {
            Verdict::Wait(HEADER_LEN)
        } else {
            Verdict::No
        };
    }
    if !binary::plausible_header(buf, MAX_BODY) {
        return Verdict::No;
    }
    let p = Packet::new_unchecked(&buf[..HEADER_LEN]);
    if !p.opcode().is_known() {
        return Verdict::No;
    }
    let answer = dir == Direction::ToClient;
    if answer && !p.status().is_known() {
        return Verdict::No;
    }
    // An answer's opaque and opcode are its request's: one that a waiting request carries is
    // believed. Another may be the answer to a request the capture lost: it must be confirmed
    // like a request.
    let opaque_agrees = answer && pending_opaque(p.opaque(), p.opcode());
    if segment_start || opaque_agrees {
        // Where the capture resumes, a segment starts: clients and servers write whole
        // messages, so a header that fits here is believed without the next one.
        return Verdict::Yes;
    }
    let end = HEADER_LEN + p.total_body_len() as usize;
    let next_magic = if answer {
        Magic::Response
    } else {
        Magic::Request
    };
    if end == buf.len() {
        return Verdict::Yes;
    }
    if end < buf.len() {
        // Confirmed by the header that follows (as far as it is in hand).
        let next = &buf[end..];
        return if Magic::from(next[0]) == next_magic && binary::plausible_header(next, MAX_BODY) {
            Verdict::Yes
        } else {
            Verdict::No
        };
    }
    Verdict::Wait(end + 1)
}

fn text_candidate(buf: &[u8], dir: Direction, limits: &ParseLimits) -> Verdict {
    let Some(eol) = memchr::memchr(b'\n', buf) else {
        // A line still arriving: worth waiting for up to the line limit, or, when it opens
        // with a command word (a `get` of many keys may be longer), up to the bound the
        // decoder keeps for such lines.
        let long_ok = dir == Direction::ToServer
            && buf.len() <= MAX_LONG_LINE
            && buf
                .iter()
                .position(|&b| b == b' ')
                .is_some_and(|sp| starts_with_command(&buf[..sp]));
        return if buf.len() <= memshark_protocol::limits::LINE_MAX_LEN || long_ok {
            Verdict::Wait(buf.len() + 1)
        } else {
            Verdict::No
        };
    };
    let parsed = match dir {
        Direction::ToServer => ascii::Request::parse(buf, limits).map(|p| {
            matches!(
                p,
                Parsed::Complete { .. } | Parsed::Incomplete { needed: Some(_) }
            )
        }),
        Direction::ToClient => ascii::Response::parse(buf, limits).map(|p| {
            matches!(
                p,
                Parsed::Complete { .. } | Parsed::Incomplete { needed: Some(_) }
            )
        }),
    };
    match parsed {
        Ok(true) => Verdict::Yes,
        // A whole line that is still incomplete: a multi-line answer; take it.
        Ok(false) if eol < buf.len() => Verdict::Yes,
        Ok(false) => Verdict::Wait(buf.len() + 1),
        // A command memcached rejects (`delete a b c d e`) is still a command line: the
        // decoder reports it with its reason.
        Err(_) if dir == Direction::ToServer && starts_with_command(&buf[..eol]) => Verdict::Yes,
        // An HTTP request line (a cross-protocol probe memcached hangs up on) is shown as the
        // malformed line it is.
        Err(_)
            if dir == Direction::ToServer
                && ascii::is_http_request_line(
                    buf[..eol].strip_suffix(b"\r").unwrap_or(&buf[..eol]),
                ) =>
        {
            Verdict::Yes
        }
        Err(_) => Verdict::No,
    }
}

/// Whether a line's first word is a text or meta command.
fn starts_with_command(line: &[u8]) -> bool {
    let word = line
        .split(|&b| b == b' ' || b == b'\r')
        .next()
        .unwrap_or_default();
    ascii::Command::from_word(word).is_some()
        || memshark_protocol::meta::Command::from_word(word).is_some()
}
