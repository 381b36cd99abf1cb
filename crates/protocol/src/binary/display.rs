//! One-line, human-readable forms of messages for logs and the terminal.

use std::fmt;

use super::Packet;

/// Writes bytes as a quoted string, escaping what is not printable ASCII.
pub fn write_escaped(f: &mut impl fmt::Write, bytes: &[u8]) -> fmt::Result {
    f.write_char('"')?;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                c if c.is_control() => write!(f, "{}", c.escape_default())?,
                c => f.write_char(c)?,
            }
        }
        for b in chunk.invalid() {
            write!(f, "\\x{b:02x}")?;
        }
    }
    f.write_char('"')
}

pub(super) fn fmt_parts(f: &mut fmt::Formatter<'_>, p: Packet<&[u8]>, value: &[u8]) -> fmt::Result {
    let magic = p.magic();
    let dir = if magic.is_response() {
        "response"
    } else {
        "request"
    };
    write!(f, "{} {dir}", p.opcode().to_string().to_uppercase())?;
    if magic.is_response() {
        write!(f, " status={}", p.status())?;
    } else if p.vbucket() != 0 {
        write!(f, " vbucket={}", p.vbucket())?;
    }
    if !p.key().is_empty() {
        f.write_str(" key=")?;
        write_escaped(f, p.key())?;
    }
    match p.typed_extras() {
        super::Extras::None => {}
        super::Extras::Store(s) => write!(f, " flags={} exptime={}", s.flags, s.exptime)?,
        super::Extras::Counter(c) => write!(
            f,
            " delta={} initial={} exptime={}",
            c.delta, c.initial, c.exptime
        )?,
        super::Extras::Expiry(e) => write!(f, " exptime={e}")?,
        super::Extras::Verbosity(v) => write!(f, " level={v}")?,
        super::Extras::Flags(fl) => write!(f, " flags={fl}")?,
        super::Extras::CounterValue(v) => write!(f, " value={v}")?,
        super::Extras::Other(e) => write!(f, " extras={}B", e.len())?,
    }
    write!(f, " opaque=0x{:08x}", p.opaque())?;
    if p.cas() != 0 {
        write!(f, " cas={}", p.cas())?;
    }
    if !value.is_empty() {
        write!(f, " value={}B", value.len())?;
        if magic.is_response() && !p.status().is_success() && value.len() <= 64 {
            f.write_str(" ")?;
            write_escaped(f, value)?;
        }
    }
    Ok(())
}

impl<T: AsRef<[u8]>> fmt::Display for Packet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let view = Packet::new_unchecked(self.as_inner().as_ref());
        fmt_parts(f, view.clone(), view.value())
    }
}
