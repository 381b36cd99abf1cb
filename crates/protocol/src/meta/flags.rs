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
        crate::text::tokens(self.0).position(|t| !t[0].is_ascii_alphabetic() || t.iter().any(|b| !b.is_ascii_graphic()))
    }
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
