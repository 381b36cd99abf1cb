//! Meta commands.

use std::borrow::Cow;

use base64::Engine;
use bytes::BufMut;

use super::{Flags, ResponseCode};
use crate::text::{
    bad, parse_u64, section_from, tokens, with_optional_block, Arg, ErrorKind, Grammar, Line,
    ParseError, ParseLimits, Parsed,
};

/// Which meta command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// `mg`: get.
    Get,
    /// `ms`: set (with a data block).
    Set,
    /// `md`: delete.
    Delete,
    /// `ma`: arithmetic.
    Arithmetic,
    /// `mn`: no-op, closes a pipeline of quiet commands.
    Noop,
    /// `me`: debug information about a key.
    Debug,
}

impl Command {
    /// Every meta command.
    pub const ALL: [Command; 6] = [
        Command::Get,
        Command::Set,
        Command::Delete,
        Command::Arithmetic,
        Command::Noop,
        Command::Debug,
    ];

    /// The command word.
    pub fn name(self) -> &'static str {
        match self {
            Command::Get => "mg",
            Command::Set => "ms",
            Command::Delete => "md",
            Command::Arithmetic => "ma",
            Command::Noop => "mn",
            Command::Debug => "me",
        }
    }

    /// Whether the command looks a key up (`mg`).
    pub fn is_lookup(self) -> bool {
        self == Command::Get
    }

    /// The arguments after the command word: the key (none for `mn`), `ms`'s data length,
    /// then flags.
    pub fn grammar(self) -> Grammar {
        match self {
            Command::Set => Grammar::new(&[Arg::Key, Arg::DataLen], Arg::MetaFlag),
            Command::Noop => Grammar::new(&[], Arg::MetaFlag),
            _ => Grammar::new(&[Arg::Key], Arg::MetaFlag),
        }
    }

    /// Whether the command can be answered with `code` at all (`mg` never says `NF`, `md`
    /// never says `VA`).
    pub fn can_answer(self, code: ResponseCode) -> bool {
        use ResponseCode::*;
        match self {
            Command::Get => matches!(code, Va | Hd | En),
            Command::Set => matches!(code, Hd | Ns | Ex | Nf),
            Command::Delete => matches!(code, Hd | Nf | Ex),
            Command::Arithmetic => matches!(code, Hd | Va | Nf | Ns | Ex),
            Command::Noop => code == Mn,
            Command::Debug => matches!(code, Me | En),
        }
    }

    /// Whether quiet mode (`q`) suppresses the answer `code` to this command: `mg`'s `EN`,
    /// `ms`'s `HD`, `md`'s and `ma`'s `HD` and `NF`.
    pub fn quiet_suppresses(self, code: ResponseCode) -> bool {
        use ResponseCode::*;
        matches!(
            (self, code),
            (Command::Get, En)
                | (Command::Set, Hd)
                | (Command::Delete, Hd | Nf)
                | (Command::Arithmetic, Hd | Nf)
        )
    }

    /// The command a word names, as it appears on the wire.
    pub fn from_word(w: &[u8]) -> Option<Command> {
        Some(match w {
            b"mg" => Command::Get,
            b"ms" => Command::Set,
            b"md" => Command::Delete,
            b"ma" => Command::Arithmetic,
            b"mn" => Command::Noop,
            b"me" => Command::Debug,
            _ => return None,
        })
    }
}

/// A meta command, borrowing from the buffer it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    /// Which command.
    pub command: Command,
    /// The key as sent (base64 when the `b` flag is set); empty for `mn`.
    pub key: &'a [u8],
    /// The flags.
    pub flags: Flags<'a>,
    /// The data block (`ms` only).
    pub data: Option<&'a [u8]>,
}

impl<'a> Request<'a> {
    /// A command without data.
    pub fn new(command: Command, key: &'a [u8], flags: &'a [u8]) -> Request<'a> {
        Request {
            command,
            key,
            flags: Flags::new(flags),
            data: None,
        }
    }

    /// The key, decoded from base64 when the `b` flag says so. `None` when it does not decode.
    pub fn decoded_key(&self) -> Option<Cow<'a, [u8]>> {
        if self.flags.is_base64() {
            base64::engine::general_purpose::STANDARD
                .decode(self.key)
                .ok()
                .map(Cow::Owned)
        } else {
            Some(Cow::Borrowed(self.key))
        }
    }

    /// Parses a meta command whose line has been found already.
    pub(crate) fn parse_line(
        buf: &'a [u8],
        line: Line<'a>,
        limits: &ParseLimits,
    ) -> Result<Parsed<Request<'a>>, ParseError> {
        let text = line.text;
        let mut toks = tokens(text);
        let command = toks
            .next()
            .and_then(Command::from_word)
            .ok_or_else(|| bad(ErrorKind::UnknownCommand, &line))?;
        let key = if command == Command::Noop {
            &b""[..]
        } else {
            toks.next()
                .ok_or_else(|| bad(ErrorKind::BadFormat, &line))?
        };
        let datalen = if command == Command::Set {
            let t = toks
                .next()
                .ok_or_else(|| bad(ErrorKind::BadFormat, &line))?;
            let n = parse_u64(t).ok_or_else(|| bad(ErrorKind::BadFormat, &line))?;
            Some(usize::try_from(n).map_err(|_| bad(ErrorKind::BadFormat, &line))?)
        } else {
            None
        };
        let flags = Flags::new(section_from(text, toks.next()));
        if flags.first_invalid().is_some() {
            return Err(bad(ErrorKind::InvalidFlag, &line));
        }
        let request = Request {
            command,
            key,
            flags,
            data: None,
        };
        match request.decoded_key() {
            None => return Err(bad(ErrorKind::InvalidBase64Key, &line)),
            Some(k) if k.len() > limits.max_key => return Err(bad(ErrorKind::KeyTooLong, &line)),
            Some(_) => {}
        }
        with_optional_block(buf, &line, datalen, limits, request, |r, data| Request {
            data: Some(data),
            ..r
        })
    }

    /// Appends the wire form to any [`BufMut`].
    pub fn write_to(&self, out: &mut impl BufMut) {
        out.put_slice(self.command.name().as_bytes());
        if self.command != Command::Noop {
            out.put_u8(b' ');
            out.put_slice(self.key);
        }
        if let Some(d) = self.data {
            out.put_slice(format!(" {}", d.len()).as_bytes());
        }
        if !self.flags.as_bytes().is_empty() {
            out.put_u8(b' ');
            out.put_slice(self.flags.as_bytes());
        }
        out.put_slice(b"\r\n");
        if let Some(d) = self.data {
            out.put_slice(d);
            out.put_slice(b"\r\n");
        }
    }
}
