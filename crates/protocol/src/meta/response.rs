//! Meta answers.

use bytes::BufMut;

use super::Flags;
use crate::binary::Status;
use crate::text::{
    bad, parse_u64, section_from, tokens, with_optional_block, Arg, ErrorKind, Grammar, Line,
    ParseError, ParseLimits, Parsed,
};

/// The two-letter code that opens a meta answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseCode {
    /// `HD`: success, no value.
    Hd,
    /// `VA <size>`: success with a value.
    Va,
    /// `EN`: miss.
    En,
    /// `NF`: not found.
    Nf,
    /// `NS`: not stored.
    Ns,
    /// `EX`: exists (CAS mismatch).
    Ex,
    /// `MN`: the end of a pipeline (answer to `mn`).
    Mn,
    /// `ME`: debug information.
    Me,
}

impl ResponseCode {
    /// Every code.
    pub const ALL: [ResponseCode; 8] = [
        ResponseCode::Hd,
        ResponseCode::Va,
        ResponseCode::En,
        ResponseCode::Nf,
        ResponseCode::Ns,
        ResponseCode::Ex,
        ResponseCode::Mn,
        ResponseCode::Me,
    ];

    /// The code as it appears on the wire.
    pub fn word(self) -> &'static str {
        match self {
            ResponseCode::Hd => "HD",
            ResponseCode::Va => "VA",
            ResponseCode::En => "EN",
            ResponseCode::Nf => "NF",
            ResponseCode::Ns => "NS",
            ResponseCode::Ex => "EX",
            ResponseCode::Mn => "MN",
            ResponseCode::Me => "ME",
        }
    }

    /// Whether the code says the key is not there (`EN`, `NF`).
    pub fn is_miss(self) -> bool {
        matches!(self, ResponseCode::En | ResponseCode::Nf)
    }

    /// Whether the code is a lookup's hit (`VA`, or `HD` for an `mg` without `v`).
    pub fn is_hit(self) -> bool {
        matches!(self, ResponseCode::Va | ResponseCode::Hd)
    }

    /// Whether the code reports a failure: none does (memcached answers a bad meta command
    /// with the classic `CLIENT_ERROR`).
    pub fn is_error(self) -> bool {
        false
    }

    /// The binary status the code stands for: success for `HD`, `VA`, `MN`, `ME`, `KEY_ENOENT`
    /// for `EN` and `NF`, `KEY_EEXISTS` for `EX`, `NOT_STORED` for `NS`.
    pub fn status(self) -> Status {
        match self {
            ResponseCode::Hd | ResponseCode::Va | ResponseCode::Mn | ResponseCode::Me => {
                Status::NoError
            }
            ResponseCode::En | ResponseCode::Nf => Status::KeyNotFound,
            ResponseCode::Ex => Status::KeyExists,
            ResponseCode::Ns => Status::ItemNotStored,
        }
    }

    /// The arguments after the code: `VA`'s data length, then flags (`MN` and `ME` carry no
    /// flags).
    pub fn grammar(self) -> Grammar {
        match self {
            ResponseCode::Va => Grammar::new(&[Arg::DataLen], Arg::MetaFlag),
            ResponseCode::Mn | ResponseCode::Me => Grammar::UNKNOWN,
            _ => Grammar::new(&[], Arg::MetaFlag),
        }
    }

    /// The code a word names, as it appears on the wire.
    pub fn from_word(w: &[u8]) -> Option<ResponseCode> {
        Some(match w {
            b"HD" => ResponseCode::Hd,
            b"VA" => ResponseCode::Va,
            b"EN" => ResponseCode::En,
            b"NF" => ResponseCode::Nf,
            b"NS" => ResponseCode::Ns,
            b"EX" => ResponseCode::Ex,
            b"MN" => ResponseCode::Mn,
            b"ME" => ResponseCode::Me,
            _ => return None,
        })
    }
}

/// A meta answer, borrowing from the buffer it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response<'a> {
    /// The code.
    pub code: ResponseCode,
    /// Returned flags (`O`, `t`, `c`, `k`, …); for `ME`, the rest of the line.
    pub flags: Flags<'a>,
    /// The value (`VA` only).
    pub data: Option<&'a [u8]>,
}

impl<'a> Response<'a> {
    /// An answer without a value.
    pub fn new(code: ResponseCode, flags: &'a [u8]) -> Response<'a> {
        Response {
            code,
            flags: Flags::new(flags),
            data: None,
        }
    }

    /// A `VA` answer.
    pub fn value(data: &'a [u8], flags: &'a [u8]) -> Response<'a> {
        Response {
            code: ResponseCode::Va,
            flags: Flags::new(flags),
            data: Some(data),
        }
    }

    /// Parses a meta answer whose line has been found already.
    pub(crate) fn parse_line(
        buf: &'a [u8],
        line: Line<'a>,
        limits: &ParseLimits,
    ) -> Result<Parsed<Response<'a>>, ParseError> {
        let text = line.text;
        let mut toks = tokens(text);
        let code = toks
            .next()
            .and_then(ResponseCode::from_word)
            .ok_or_else(|| bad(ErrorKind::UnknownCommand, &line))?;
        let size = if code == ResponseCode::Va {
            let t = toks
                .next()
                .ok_or_else(|| bad(ErrorKind::BadFormat, &line))?;
            let n = parse_u64(t).ok_or_else(|| bad(ErrorKind::BadFormat, &line))?;
            Some(usize::try_from(n).map_err(|_| bad(ErrorKind::BadFormat, &line))?)
        } else {
            None
        };
        let flags = Flags::new(section_from(text, toks.next()));
        if code != ResponseCode::Me && flags.first_invalid().is_some() {
            return Err(bad(ErrorKind::InvalidFlag, &line));
        }
        let response = Response {
            code,
            flags,
            data: None,
        };
        with_optional_block(buf, &line, size, limits, response, |r, data| Response {
            data: Some(data),
            ..r
        })
    }

    /// Appends the wire form to any [`BufMut`].
    pub fn write_to(&self, out: &mut impl BufMut) {
        out.put_slice(self.code.word().as_bytes());
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
