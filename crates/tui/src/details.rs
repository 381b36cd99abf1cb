//! The details pane's content: the transaction's summary, then the field tree of its request
//! and of each response, each field knowing the bytes it came from.

use std::ops::Range;

use crate::timeline::fields::{describe, FieldNode};
use crate::timeline::store::{Store, NONE};

/// What a line of the details pane is, for its style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailKind {
    /// A heading: the transaction, the request, a response.
    Section,
    /// The note on a malformed message.
    Flagged,
    /// A field, or a line of the transaction's summary.
    Field,
}

/// One line of the details pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailLine {
    /// What it is.
    pub kind: DetailKind,
    /// Indentation level.
    pub depth: u8,
    /// Field name.
    pub name: String,
    /// Field value.
    pub value: String,
    /// The message the field is in ([`NONE`] for summary lines).
    pub msg: u32,
    /// The field's bytes within that message.
    pub range: Range<usize>,
}

/// Formats nanoseconds for people: `850 ns`, `12.3 µs`, `4.56 ms`, `1.20 s`.
pub fn duration(ns: u64) -> String {
    match ns {
        0..=999 => format!("{ns} ns"),
        1_000..=99_999 => format!("{:.1} µs", ns as f64 / 1e3),
        100_000..=999_999 => format!("{} µs", ns / 1000),
        1_000_000..=999_999_999 => format!("{:.2} ms", ns as f64 / 1e6),
        _ => format!("{:.2} s", ns as f64 / 1e9),
    }
}

/// Wall-clock `YYYY-MM-DD HH:MM:SS.micros` UTC of nanoseconds since the epoch.
pub fn wall_clock(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let micros = (ns % 1_000_000_000) / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{micros:06}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn summary(depth: u8, name: &str, value: impl Into<String>) -> DetailLine {
    DetailLine {
        kind: if depth == 0 {
            DetailKind::Section
        } else {
            DetailKind::Field
        },
        depth,
        name: name.into(),
        value: value.into(),
        msg: NONE,
        range: 0..0,
    }
}

fn message(
    store: &Store,
    out: &mut Vec<DetailLine>,
    title: String,
    mi: u32,
    proto: memshark_traffic::dissect::Proto,
) {
    let Some(m) = store.msg(mi) else { return };
    let raw = store.bytes(mi);
    out.push(DetailLine {
        kind: DetailKind::Section,
        depth: 0,
        name: title,
        value: if m.frame == 0 {
            // From the proxy tap: no capture frames.
            format!("{} bytes", raw.len())
        } else {
            format!("frame {}, {} bytes", m.frame, raw.len())
        },
        msg: mi,
        range: 0..raw.len(),
    });
    if let Some(e) = store.error(mi) {
        out.push(DetailLine {
            kind: DetailKind::Flagged,
            depth: 1,
            name: "flagged".into(),
            value: e.to_string(),
            msg: mi,
            range: 0..raw.len(),
        });
    }
    out.extend(describe(raw, proto, 1).into_iter().map(
        |FieldNode {
             depth,
             name,
             value,
             range,
         }| {
            DetailLine {
                kind: DetailKind::Field,
                depth,
                name,
                value,
                msg: mi,
                range,
            }
        },
    ));
}

/// The lines for the transaction at store row `row`.
pub fn lines(store: &Store, row: u32) -> Vec<DetailLine> {
    let mut out = Vec::new();
    let Some(t) = store.txn(row) else {
        return out;
    };
    let flow = store.flow(t);
    out.push(summary(
        0,
        "Transaction",
        format!("No. {} ({})", row as u64 + store.evicted + 1, store.op(t)),
    ));
    out.push(summary(1, "time", wall_clock(t.ts_ns)));
    out.push(summary(
        1,
        "flow",
        format!(
            "{} → {} (connection {}, {})",
            flow.client,
            flow.server,
            flow.conn,
            t.proto().name()
        ),
    ));
    out.push(summary(
        1,
        "latency",
        t.latency().map_or_else(|| "—".into(), duration),
    ));
    if let (Some(code), Some(name)) = (t.status(), store.status_name(t)) {
        out.push(summary(1, "status", format!("{name} ({code})")));
    }
    let answer = match (t.req != NONE, t.resp != NONE) {
        (true, false) if t.has(crate::timeline::store::QUIET) => {
            "none: a quiet request, answered by silence (success)"
        }
        (true, false) => "none seen (the capture ended, or the answer was lost)",
        (false, true) => "a response without its request (it was before the capture started)",
        _ => "",
    };
    if !answer.is_empty() {
        out.push(summary(1, "answer", answer));
    }
    if t.req != NONE {
        message(store, &mut out, "Request".into(), t.req, t.proto());
    }
    let n = t.nresp;
    for (i, (mi, _)) in store.responses(t).enumerate() {
        let title = if n > 1 {
            format!("Response {} of {}", i + 1, n)
        } else {
            "Response".into()
        };
        message(store, &mut out, title, mi, t.proto());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_clock_and_durations_read_right() {
        assert_eq!(wall_clock(0), "1970-01-01 00:00:00.000000");
        assert_eq!(
            wall_clock(1_700_000_000_123_456_789),
            "2023-11-14 22:13:20.123456"
        );
        assert_eq!(duration(850), "850 ns");
        assert_eq!(duration(12_345), "12.3 µs");
        assert_eq!(duration(4_560_000), "4.56 ms");
        assert_eq!(duration(1_200_000_000), "1.20 s");
    }
}
