//! The transactions table as jsonl and csv lines (`memshark dump --table transactions`).

use std::fmt::Write as _;

use super::Transaction;
use crate::dump::{csv_field, hex, json_str, num, seconds};

/// The csv header line of the transactions table.
pub const CSV_HEADER: &str = "txn,conn,frame,ts,client,server,proto,op,key,key_count,quiet,outcome,status,hit,hits,answers,value_len,latency_us,failed,error\n";

fn key_json(out: &mut Vec<u8>, k: &[u8]) {
    if std::str::from_utf8(k).is_ok() {
        json_str(out, k);
    } else {
        hex(out, k);
    }
}

/// Appends one jsonl line for `t`.
pub fn jsonl(out: &mut Vec<u8>, t: &Transaction) {
    let (secs, micros) = t.ts.secs_micros();
    out.extend_from_slice(b"{\"txn\":");
    num(out, t.txn);
    out.extend_from_slice(b",\"conn\":");
    num(out, t.conn);
    out.extend_from_slice(b",\"frame\":");
    num(out, t.frame);
    out.extend_from_slice(b",\"ts\":");
    seconds(out, secs, micros);
    let _ = write!(
        crate::dump::FmtVec(out),
        ",\"client\":\"{}\",\"server\":\"{}\",\"proto\":\"{}\",\"op\":",
        t.client,
        t.server,
        t.proto.name()
    );
    json_str(out, t.op.as_bytes());
    if let Some(k) = &t.key {
        if std::str::from_utf8(k).is_ok() {
            out.extend_from_slice(b",\"key\":");
        } else {
            out.extend_from_slice(b",\"key_hex\":");
        }
        key_json(out, k);
    }
    if !t.keys.is_empty() {
        out.extend_from_slice(b",\"keys\":[");
        for (i, k) in t.keys.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            key_json(out, k);
        }
        out.push(b']');
    }
    out.extend_from_slice(b",\"key_count\":");
    num(out, t.key_count());
    if t.quiet {
        out.extend_from_slice(b",\"quiet\":true");
    }
    if let Some(o) = t.outcome {
        out.extend_from_slice(b",\"outcome\":");
        json_str(out, o.as_bytes());
    }
    if let Some(s) = t.status {
        out.extend_from_slice(b",\"status\":");
        num(out, s);
    }
    if let Some(h) = t.hit() {
        out.extend_from_slice(if h {
            b",\"hit\":true"
        } else {
            b",\"hit\":false"
        });
        out.extend_from_slice(b",\"hits\":");
        num(out, t.hits);
    }
    out.extend_from_slice(b",\"answers\":");
    num(out, t.answers);
    out.extend_from_slice(b",\"value_len\":");
    num(out, t.value_len);
    if let Some(l) = t.latency_ns {
        out.extend_from_slice(b",\"latency_us\":");
        num(out, l / 1000);
    }
    out.extend_from_slice(if t.failed {
        b",\"failed\":true"
    } else {
        b",\"failed\":false"
    });
    if let Some(e) = &t.error {
        out.extend_from_slice(b",\"error\":");
        json_str(out, e.as_bytes());
    }
    out.extend_from_slice(b"}\n");
}

/// Appends one csv line for `t` (the first key only; a key that is not UTF-8 as hex).
pub fn csv(out: &mut Vec<u8>, t: &Transaction) {
    let (secs, micros) = t.ts.secs_micros();
    let _ = write!(
        crate::dump::FmtVec(out),
        "{},{},{},{secs}.{micros:06},{},{},{},{},",
        t.txn,
        t.conn,
        t.frame,
        t.client,
        t.server,
        t.proto.name(),
        t.op
    );
    if let Some(k) = t.keys.first().or(t.key.as_ref()) {
        if std::str::from_utf8(k).is_ok() {
            csv_field(out, k);
        } else {
            let mut h = Vec::with_capacity(k.len() * 2 + 2);
            hex(&mut h, k);
            out.extend_from_slice(&h[1..h.len() - 1]);
        }
    }
    let opt = |v: Option<String>| v.unwrap_or_default();
    let _ = write!(
        crate::dump::FmtVec(out),
        ",{},{},{},{},{},{},{},{},{},{},",
        t.key_count(),
        t.quiet,
        t.outcome.unwrap_or(""),
        opt(t.status.map(|s| s.to_string())),
        opt(t.hit().map(|h| h.to_string())),
        opt(t.lookup.then(|| t.hits.to_string())),
        t.answers,
        t.value_len,
        opt(t.latency_ns.map(|l| (l / 1000).to_string())),
        t.failed,
    );
    if let Some(e) = &t.error {
        csv_field(out, e.as_bytes());
    }
    out.push(b'\n');
}
