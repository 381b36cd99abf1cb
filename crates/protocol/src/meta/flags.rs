//! Meta flags: single letters, each with an optional token.

/// The flags of a meta command or answer: the raw section of the line after the fixed tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags<'a>(&'a [u8]);

impl<'a> Flags<'a> {
    /// Flags from the raw section of a line (`"v t O42"`).
    pub fn new(section: &'a [u8]) -> Flags<'a> {
        Flags(section)
    }

    /// No flags.
    pub fn none() -> Flags<'static> {
        Flags(b"")
    }

    /// The raw section.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// Whether there are no flags.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// Each flag letter with its token (empty when the flag has none).
    pub fn iter(&self) -> impl Iterator<Item = (u8, &'a [u8])> + 'a {
        crate::text::tokens(self.0).filter_map(|t| t.split_first().map(|(&f, tok)| (f, tok)))
    }

    /// The token of flag `letter`, if present.
    pub fn get(&self, letter: u8) -> Option<&'a [u8]> {
        self.iter().find(|&(f, _)| f == letter).map(|(_, t)| t)
    }

    /// Whether flag `letter` is present.
    pub fn has(&self, letter: u8) -> bool {
        self.get(letter).is_some()
    }

    /// The opaque token (`O`), echoed by the server.
    pub fn opaque(&self) -> Option<&'a [u8]> {
        self.get(b'O')
    }

    /// Quiet mode (`q`): the server omits uninteresting answers (`EN`, `HD`, …).
    pub fn is_quiet(&self) -> bool {
        self.has(b'q')
    }

    /// The key is base64 (`b`).
    pub fn is_base64(&self) -> bool {
        self.has(b'b')
    }

    /// The first flag token that is not `[A-Za-z]` followed by printable bytes, if any.
    pub(crate) fn first_invalid(&self) -> Option<usize> {
        crate::text::tokens(self.0)
            .position(|t| !t[0].is_ascii_alphabetic() || t.iter().any(|b| !b.is_ascii_graphic()))
    }
}

/// What a meta flag letter asks for or returns (`v`: return value, `T`: update TTL, …);
/// `None` for a letter memcached does not define.
pub fn flag_meaning(letter: u8) -> Option<&'static str> {
    Some(match letter {
        b'b' => "key is base64",
        b'c' => "return CAS",
        b'f' => "return client flags",
        b'h' => "return whether hit before",
        b'k' => "return key",
        b'l' => "return seconds since last access",
        b'O' => "opaque",
        b'q' => "quiet: no answer on the common case",
        b's' => "return item size",
        b't' => "return TTL remaining",
        b'u' => "don't bump in the LRU",
        b'v' => "return value",
        b'E' => "use this CAS value",
        b'N' => "vivify on miss, TTL",
        b'R' => "win recache if TTL below",
        b'T' => "update TTL",
        b'C' => "compare CAS",
        b'F' => "client flags",
        b'I' => "invalidate",
        b'M' => "mode",
        b'D' => "delta",
        b'J' => "initial value",
        b'W' => "win: you should recache",
        b'X' => "stale",
        b'Z' => "already won",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_tokens() {
        let f = Flags::new(b"v t  O42 T30 q");
        let all: Vec<_> = f.iter().collect();
        assert_eq!(
            all,
            vec![
                (b'v', &b""[..]),
                (b't', &b""[..]),
                (b'O', &b"42"[..]),
                (b'T', &b"30"[..]),
                (b'q', &b""[..])
            ]
        );
        assert_eq!(f.opaque(), Some(&b"42"[..]));
        assert!(f.is_quiet() && !f.is_base64());
        assert_eq!(f.first_invalid(), None);
        assert_eq!(Flags::new(b"v 4x").first_invalid(), Some(1));
    }
}
