//! What a client's text or meta request means for routing, found with `memshark-protocol`'s
//! parser and kept as offsets into the request's bytes (so the request can be cut out of the
//! read buffer as one [`Bytes`] and its keys sliced from it without copying).

use std::ops::Range;

use bytes::{BufMut, Bytes, BytesMut};
use memshark_protocol::ascii::{GetCommand, ParseError, ParseLimits, Parsed, Request};
use memshark_protocol::meta;

use super::backend::QuietMeta;

/// A key: a slice of the request, or decoded (a meta key sent in base64).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyRef {
    /// Offsets into the request.
    At(Range<usize>),
    /// The decoded key.
    Decoded(Bytes),
}

impl KeyRef {
    /// The key's bytes, given the request's.
    pub fn bytes<'a>(&'a self, req: &'a [u8]) -> &'a [u8] {
        match self {
            KeyRef::At(r) => req.get(r.clone()).unwrap_or_default(),
            KeyRef::Decoded(b) => b,
        }
    }
}

/// A text or meta request, as the router sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TextReq {
    /// One key: storage, delete, incr/decr, touch, a one-key get, a meta command with a key.
    Keyed {
        /// The key routed on.
        key: KeyRef,
        /// No answer comes (`noreply`).
        noreply: bool,
        /// A meta command with the `q` flag, and how it is sent.
        meta_quiet: Option<QuietMeta>,
    },
    /// `get|gets|gat|gats` with several keys.
    Get {
        /// Which command.
        command: GetCommand,
        /// `gat`/`gats` expiration, as written.
        exptime: Option<Range<usize>>,
        /// The keys.
        keys: Vec<Range<usize>>,
    },
    /// `mn`.
    MetaNoop,
    /// `stats [args]`.
    Stats {
        /// Whether anything follows `stats`.
        has_args: bool,
    },
    /// `flush_all`.
    FlushAll {
        /// `noreply`.
        noreply: bool,
    },
    /// `version`.
    Version,
    /// `verbosity`.
    Verbosity {
        /// `noreply`.
        noreply: bool,
    },
    /// `quit`.
    Quit,
    /// A command word memcached knows that the parser does not route (`lru_crawler`, `slabs`,
    /// `watch`, …).
    Admin {
        /// `watch` (streams without end).
        watch: bool,
    },
    /// A malformed request: answered by the proxy as memcached would.
    Bad(ParseError),
}

fn offset(base: &[u8], part: &[u8]) -> Range<usize> {
    let start = (part.as_ptr() as usize).saturating_sub(base.as_ptr() as usize);
    start..start + part.len()
}

/// Parses the request at the front of `buf`: `None` while incomplete, else what it is and how
/// many bytes it takes (for [`TextReq::Bad`], the bytes to skip; may exceed `buf`).
pub(crate) fn parse_text(buf: &[u8], limits: &ParseLimits) -> Option<(TextReq, usize)> {
    let parsed = match Request::parse(buf, limits) {
        Ok(Parsed::Incomplete { .. }) => return None,
        Ok(Parsed::Complete { message, len }) => (message, len),
        Err(e) if e.kind == memshark_protocol::ascii::ErrorKind::UnknownCommand => {
            let word = buf
                .iter()
                .position(|&b| b == b' ' || b == b'\r' || b == b'\n')
                .map(|n| &buf[..n])
                .unwrap_or(buf);
            if memshark_protocol::ascii::COMMAND_WORDS.contains(&word)
                && memshark_protocol::ascii::Command::from_word(word).is_none()
                && meta::Command::from_word(word).is_none()
            {
                return Some((
                    TextReq::Admin {
                        watch: word == b"watch",
                    },
                    e.skip,
                ));
            }
            return Some((TextReq::Bad(e), e.skip));
        }
        Err(e) => return Some((TextReq::Bad(e), e.skip)),
    };
    let (message, len) = parsed;
    let req = match message {
        Request::Store { key, noreply, .. }
        | Request::Delete { key, noreply }
        | Request::Arithmetic { key, noreply, .. }
        | Request::Touch { key, noreply, .. } => TextReq::Keyed {
            key: KeyRef::At(offset(buf, key)),
            noreply,
            meta_quiet: None,
        },
        Request::Get {
            command,
            exptime,
            keys,
        } => {
            let ks: Vec<Range<usize>> = keys.iter().map(|k| offset(buf, k)).collect();
            if ks.len() == 1 {
                TextReq::Keyed {
                    key: KeyRef::At(ks[0].clone()),
                    noreply: false,
                    meta_quiet: None,
                }
            } else {
                // The expiration token of gat/gats: the second token of the line.
                let exptime = exptime.and_then(|_| {
                    memshark_protocol::text::token_spans(buf)
                        .nth(1)
                        .filter(|r| r.end <= len)
                });
                TextReq::Get {
                    command,
                    exptime,
                    keys: ks,
                }
            }
        }
        Request::Meta(m) if m.command == meta::Command::Noop => TextReq::MetaNoop,
        Request::Meta(m) => {
            let key = match m.decoded_key() {
                Some(std::borrow::Cow::Borrowed(k)) => KeyRef::At(offset(buf, k)),
                Some(std::borrow::Cow::Owned(k)) => KeyRef::Decoded(Bytes::from(k)),
                None => KeyRef::At(offset(buf, m.key)),
            };
            TextReq::Keyed {
                key,
                noreply: false,
                meta_quiet: m.flags.is_quiet().then(|| {
                    if m.command == meta::Command::Arithmetic && m.flags.has(b'N') {
                        QuietMeta::SettledByMn
                    } else {
                        QuietMeta::Stripped(m.command)
                    }
                }),
            }
        }
        Request::Stats { args } => TextReq::Stats {
            has_args: !args.is_empty(),
        },
        Request::FlushAll { noreply, .. } => TextReq::FlushAll { noreply },
        Request::Version => TextReq::Version,
        Request::Verbosity { noreply, .. } => TextReq::Verbosity { noreply },
        Request::Quit => TextReq::Quit,
    };
    Some((req, len))
}

/// A meta request without its `q` flag: the rebuilt line, and the rest of the request (its data
/// block) as a slice.
pub(crate) fn without_q(req: &Bytes) -> (Bytes, Bytes) {
    let nl = memchr::memchr(b'\n', req).map_or(req.len(), |n| n + 1);
    let line = &req[..nl];
    let text = line
        .strip_suffix(b"\r\n")
        .or_else(|| line.strip_suffix(b"\n"))
        .unwrap_or(line);
    let mut out = BytesMut::with_capacity(line.len());
    for t in memshark_protocol::text::tokens(text).filter(|t| *t != b"q") {
        if !out.is_empty() {
            out.put_u8(b' ');
        }
        out.put_slice(t);
    }
    out.put_slice(b"\r\n");
    (out.freeze(), req.slice(nl..))
}

/// The line of one fragment of a split multi-get: the command, the expiration for `gat`/`gats`,
/// and the fragment's keys.
pub(crate) fn get_line(
    command: GetCommand,
    exptime: Option<&[u8]>,
    keys: impl Iterator<Item = Bytes>,
) -> Bytes {
    let mut out = BytesMut::with_capacity(64);
    out.put_slice(command.name().as_bytes());
    if let Some(e) = exptime {
        out.put_u8(b' ');
        out.put_slice(e);
    }
    for k in keys {
        out.put_u8(b' ');
        out.put_slice(&k);
    }
    out.put_slice(b"\r\n");
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> (TextReq, usize) {
        parse_text(s.as_bytes(), &ParseLimits::default()).expect("complete")
    }

    #[test]
    fn a_multi_get_keeps_its_keys_and_expiration() {
        let line = "gat 100 a bb c\r\n";
        let (r, len) = parse(line);
        assert_eq!(len, line.len());
        let TextReq::Get {
            command,
            exptime,
            keys,
        } = r
        else {
            panic!("{r:?}")
        };
        assert_eq!(command, GetCommand::Gat);
        assert_eq!(&line.as_bytes()[exptime.expect("exptime")], b"100");
        let ks: Vec<&[u8]> = keys.iter().map(|k| &line.as_bytes()[k.clone()]).collect();
        assert_eq!(ks, [&b"a"[..], b"bb", b"c"]);
    }

    #[test]
    fn noreply_and_meta_quiet_are_seen() {
        assert!(matches!(
            parse("set k 0 0 1 noreply\r\nx\r\n").0,
            TextReq::Keyed { noreply: true, .. }
        ));
        assert!(matches!(
            parse("mg k v q\r\n").0,
            TextReq::Keyed {
                meta_quiet: Some(QuietMeta::Stripped(meta::Command::Get)),
                ..
            }
        ));
        assert_eq!(parse("mn\r\n").0, TextReq::MetaNoop);
        assert_eq!(
            parse("lru_crawler metadump all\r\n").0,
            TextReq::Admin { watch: false }
        );
        assert!(matches!(parse("bogus\r\n").0, TextReq::Bad(_)));
    }

    #[test]
    fn a_base64_meta_key_routes_on_the_decoded_key() {
        let (r, _) = parse("mg Zm9v b v\r\n");
        let TextReq::Keyed { key, .. } = r else {
            panic!()
        };
        assert_eq!(key.bytes(b""), b"foo");
    }

    #[test]
    fn q_is_removed_and_the_data_block_kept() {
        let req = Bytes::from_static(b"ms k 2 q T0\r\nhi\r\n");
        let (head, tail) = without_q(&req);
        assert_eq!(&head[..], b"ms k 2 T0\r\n");
        assert_eq!(&tail[..], b"hi\r\n");
    }
}
