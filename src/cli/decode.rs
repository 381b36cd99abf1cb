//! `memshark decode`: print the memcached messages in a byte stream, one line each.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use memshark::protocol::ascii::{self, ParseLimits, Parsed};
use memshark::protocol::binary::{self, FrameCheck, Packet, DEFAULT_MAX_BODY_LEN};

/// Decode one direction of a memcached conversation (raw bytes, not a capture) and print each
/// message on its own line. Binary and text/meta are told apart by the first byte of each
/// message; malformed bytes are reported and skipped.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// File with the raw bytes (`-` or nothing: standard input).
    file: Option<PathBuf>,
    /// Take the bytes from this hex string instead (spaces allowed).
    #[arg(long, conflicts_with = "file")]
    hex: Option<String>,
}

fn from_hex(s: &str) -> anyhow::Result<Vec<u8>> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        bail!("odd number of hex digits");
    }
    digits
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).unwrap_or("??");
            u8::from_str_radix(text, 16).with_context(|| format!("bad hex digits {text:?}"))
        })
        .collect()
}

/// One decoded line: the message's offset and its human form, or an error and the bytes skipped.
fn decode_one(buf: &[u8], limits: &ParseLimits) -> (String, usize) {
    let first = buf.first().copied().unwrap_or(0);
    if binary::Magic::from(first).is_known() {
        return match binary::check(buf, DEFAULT_MAX_BODY_LEN) {
            Ok(FrameCheck::Complete(len)) => (Packet::new_unchecked(&buf[..len]).to_string(), len),
            Ok(FrameCheck::Incomplete { needed }) => (
                format!("truncated binary message: {needed} more bytes expected"),
                buf.len(),
            ),
            Err(e) => {
                let skip = binary::find_next_header(buf, DEFAULT_MAX_BODY_LEN);
                (format!("malformed: {e}; skipped {skip} bytes"), skip)
            }
        };
    }
    let as_request = ascii::Request::parse(buf, limits);
    if let Ok(Parsed::Complete { message, len }) = &as_request {
        return (message.to_string(), *len);
    }
    match ascii::Response::parse(buf, limits) {
        Ok(Parsed::Complete { message, len }) => (message.to_string(), len),
        Ok(Parsed::Incomplete { .. }) => ("truncated text message".to_string(), buf.len()),
        Err(e) => {
            let skip = match as_request {
                Err(r) => r.skip.min(e.skip),
                _ => e.skip,
            }
            .min(buf.len())
            .max(1);
            (
                format!("malformed: {}; skipped {skip} bytes", e.kind.reply()),
                skip,
            )
        }
    }
}

/// Runs `memshark decode`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let bytes = match (&args.hex, &args.file) {
        (Some(hex), _) => from_hex(hex)?,
        (None, Some(path)) if path.as_os_str() != "-" => {
            std::fs::read(path).with_context(|| format!("reading {}", path.display()))?
        }
        _ => {
            let mut v = Vec::new();
            std::io::stdin().read_to_end(&mut v)?;
            v
        }
    };
    let limits = ParseLimits::permissive();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut at = 0;
    while at < bytes.len() {
        let (line, used) = decode_one(&bytes[at..], &limits);
        if let Err(e) = writeln!(out, "{at:>8}  {line}") {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(e.into());
        }
        at += used.max(1);
    }
    out.flush().or_else(|e| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Ok(())
        } else {
            Err(e)
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_stream_decodes_and_resyncs() {
        let mut bytes = b"STORED\r\nVALUE k 0 1\r\nx\r\nEND\r\n".to_vec();
        bytes.extend_from_slice(b"\x80\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01");
        bytes.extend_from_slice(&[0; 12]);
        bytes.push(b'k');
        bytes.extend_from_slice(b"junk\r\nget a\r\n");
        let limits = ParseLimits::default();
        let mut at = 0;
        let mut lines = Vec::new();
        while at < bytes.len() {
            let (line, used) = decode_one(&bytes[at..], &limits);
            lines.push(line);
            at += used;
        }
        assert_eq!(lines.len(), 6, "{lines:#?}");
        assert_eq!(lines[0], "STORED");
        assert!(lines[3].starts_with("GET request key=\"k\""));
        assert!(lines[4].starts_with("malformed"));
        assert_eq!(lines[5], "get \"a\"");
    }

    #[test]
    fn hex_input() {
        assert_eq!(from_hex("80 0a").unwrap(), vec![0x80, 0x0a]);
        assert!(from_hex("8").is_err());
        assert!(from_hex("zz").is_err());
    }
}
