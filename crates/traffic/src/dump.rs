//! Writing messages for scripts: `memshark dump`'s jsonl (schema v1), csv and text lines.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::dissect::Message;
use memshark_protocol::binary::write_escaped;

/// Output format of `memshark dump`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpFormat {
    /// One JSON object per line, schema v1 (defined in the repository's ARCHITECTURE.md).
    Jsonl,
    /// Comma-separated values with a header line.
    Csv,
    /// One line per message, like tshark's summaries.
    Text,
}

impl std::str::FromStr for DumpFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "jsonl" | "json" => Ok(DumpFormat::Jsonl),
            "csv" => Ok(DumpFormat::Csv),
            "text" => Ok(DumpFormat::Text),
            _ => Err(format!("unknown format {s:?} (jsonl, csv or text)")),
        }
    }
}

pub(crate) fn json_str(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x00..=0x1f | 0x7f => {
                let _ = write!(FmtVec(out), "\\u{b:04x}");
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// `fmt::Write` over a byte vector.
pub(crate) struct FmtVec<'a>(pub(crate) &'a mut Vec<u8>);

impl std::fmt::Write for FmtVec<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Appends an integer in decimal (`itoa`: no `fmt` machinery on the hot path).
pub(crate) fn num(out: &mut Vec<u8>, v: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends `,"name":v`; `name_part` is the `,"name":` text.
fn num_field(out: &mut Vec<u8>, name_part: &[u8], v: Option<impl itoa::Integer>) {
    if let Some(v) = v {
        out.extend_from_slice(name_part);
        num(out, v);
    }
}

/// Appends a capture time as `SECS.MICROS` with six digits after the point.
pub(crate) fn seconds(out: &mut Vec<u8>, secs: u64, micros: u32) {
    num(out, secs);
    let mut frac = *b".000000";
    let mut m = micros.min(999_999);
    for d in frac[1..].iter_mut().rev() {
        *d = b'0' + (m % 10) as u8;
        m /= 10;
    }
    out.extend_from_slice(&frac);
}

pub(crate) fn hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
    out.push(b'"');
}

fn key_field(out: &mut Vec<u8>, name: &str, key: &[u8]) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    if std::str::from_utf8(key).is_ok() {
        out.extend_from_slice(b"\":");
        json_str(out, key);
    } else {
        out.extend_from_slice(b"_hex\":");
        hex(out, key);
    }
}

/// Writes jsonl lines, remembering how each address prints (formatting a socket address is
/// the costliest part of a line, and a capture has few distinct ones; the addresses come from
/// the network, hence a seeded table).
#[derive(Debug, Default)]
pub struct JsonlWriter {
    addrs: crate::hash::SeededMap<crate::hash::SocketKey, Box<str>>,
}

impl JsonlWriter {
    fn addr(&mut self, a: std::net::SocketAddr) -> &str {
        if self.addrs.len() > 100_000 {
            self.addrs.clear();
        }
        self.addrs
            .entry(crate::hash::SocketKey(a))
            .or_insert_with(|| a.to_string().into_boxed_str())
    }

    /// Appends one jsonl line (schema v1) for `m`.
    pub fn write(&mut self, out: &mut Vec<u8>, m: &Message) {
        let (secs, micros) = m.origin.ts.secs_micros();
        out.extend_from_slice(b"{\"frame\":");
        num(out, m.origin.frame);
        out.extend_from_slice(b",\"ts\":");
        seconds(out, secs, micros);
        out.extend_from_slice(b",\"src\":\"");
        out.extend_from_slice(self.addr(m.src()).as_bytes());
        out.extend_from_slice(b"\",\"dst\":\"");
        out.extend_from_slice(self.addr(m.dst()).as_bytes());
        out.extend_from_slice(b"\",\"proto\":\"");
        out.extend_from_slice(m.proto.name().as_bytes());
        out.extend_from_slice(b"\",\"kind\":\"");
        out.extend_from_slice(m.kind().name().as_bytes());
        out.extend_from_slice(b"\",\"op\":");
        jsonl_rest(out, m);
    }
}

/// Appends one jsonl line (schema v1) for `m` (see [`JsonlWriter`] for many lines).
pub fn jsonl(out: &mut Vec<u8>, m: &Message) {
    JsonlWriter::default().write(out, m);
}

fn jsonl_rest(out: &mut Vec<u8>, m: &Message) {
    json_str(out, m.op_name().as_bytes());
    num_field(out, b",\"opcode\":", m.opcode().map(u8::from));
    if m.keys.len() > 1 {
        out.extend_from_slice(b",\"keys\":[");
        for (i, k) in m.keys.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if std::str::from_utf8(k).is_ok() {
                json_str(out, k);
            } else {
                hex(out, k);
            }
        }
        out.push(b']');
    } else if let Some(k) = &m.key {
        key_field(out, "key", k);
    }
    num_field(out, b",\"status\":", m.status.map(u16::from));
    if let Some(s) = m.status {
        out.extend_from_slice(b",\"status_name\":");
        json_str(out, s.name().as_bytes());
    }
    num_field(out, b",\"opaque\":", m.opaque);
    num_field(out, b",\"cas\":", m.cas);
    num_field(out, b",\"flags\":", m.flags);
    num_field(out, b",\"exptime\":", m.exptime);
    num_field(out, b",\"extras_len\":", m.extras_len);
    num_field(out, b",\"value_len\":", m.value_len);
    num_field(out, b",\"latency_us\":", m.latency_ns.map(|v| v / 1000));
    if let Some(p) = m.problem {
        out.extend_from_slice(b",\"error\":");
        // Flagged messages are few: rendering the problem's text is off the hot path.
        json_str(out, p.to_string().as_bytes());
    }
    out.extend_from_slice(b"}\n");
}

/// The csv header line.
pub const CSV_HEADER: &str = "frame,ts,src,dst,proto,kind,op,opcode,key,status,status_name,opaque,cas,flags,exptime,extras_len,value_len,latency_us,error\n";

pub(crate) fn csv_field(out: &mut Vec<u8>, s: &[u8]) {
    if s.iter().any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.push(b'"');
        for &b in s {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(s);
    }
}

/// Appends one csv line for `m`.
pub fn csv(out: &mut Vec<u8>, m: &Message) {
    let (secs, micros) = m.origin.ts.secs_micros();
    let opt = |v: Option<String>| v.unwrap_or_default();
    let _ = write!(
        FmtVec(out),
        "{},{secs}.{micros:06},{},{},{},{},{},{},",
        m.origin.frame,
        m.src(),
        m.dst(),
        m.proto.name(),
        m.kind().name(),
        m.op_name(),
        opt(m.opcode().map(|o| u8::from(o).to_string()))
    );
    let key = m
        .keys
        .first()
        .or(m.key.as_ref())
        .cloned()
        .unwrap_or_default();
    csv_field(out, &key);
    let _ = write!(
        FmtVec(out),
        ",{},{},{},{},{},{},{},{},{},",
        opt(m.status.map(|v| u16::from(v).to_string())),
        m.status.map_or("", |s| s.name()),
        opt(m.opaque.map(|v| v.to_string())),
        opt(m.cas.map(|v| v.to_string())),
        opt(m.flags.map(|v| v.to_string())),
        opt(m.exptime.map(|v| v.to_string())),
        opt(m.extras_len.map(|v| v.to_string())),
        opt(m.value_len.map(|v| v.to_string())),
        opt(m.latency_ns.map(|v| (v / 1000).to_string())),
    );
    let problem = m.problem.map(|p| p.to_string()).unwrap_or_default();
    csv_field(out, problem.as_bytes());
    out.push(b'\n');
}

/// Appends one human line for `m`, like tshark's summary lines.
pub fn text(out: &mut Vec<u8>, m: &Message) {
    let (secs, micros) = m.origin.ts.secs_micros();
    let mut line = format!(
        "{:>7} {secs}.{micros:06} {} → {} {:<6} {} {}",
        m.origin.frame,
        m.src(),
        m.dst(),
        m.proto.name(),
        m.op_name(),
        m.kind().name()
    );
    if !m.keys.is_empty() {
        for k in &m.keys {
            line.push(' ');
            let _ = write_escaped(&mut line, k);
        }
    } else if let Some(k) = &m.key {
        line.push_str(" key=");
        let _ = write_escaped(&mut line, k);
    }
    if let Some(s) = m.status {
        let _ = write!(line, " status={}", s.name());
    }
    if let Some(v) = m.value_len.filter(|v| *v > 0) {
        let _ = write!(line, " value={v}B");
    }
    if let Some(l) = m.latency_ns {
        let _ = write!(line, " latency={}us", l / 1000);
    }
    if let Some(p) = m.problem {
        let _ = write!(line, " [{p}]");
    }
    out.extend_from_slice(line.as_bytes());
    out.push(b'\n');
}

/// Writes `buf` and clears it; a closed pipe is reported as `Ok(false)`.
pub fn flush_to(w: &mut impl Write, buf: &mut Vec<u8>) -> io::Result<bool> {
    let result = w.write_all(buf);
    buf.clear();
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}
