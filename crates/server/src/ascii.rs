//! The text-protocol front end (classic commands and meta commands), answering as memcached 1.6.

use base64::Engine;
use bytes::{BufMut, BytesMut};

use super::binary::After;
use super::storage::{CounterOutcome, DeleteOutcome, ItemView, StoreMode, StoreOutcome};
use super::Shared;
use memshark_protocol::ascii::{Request, StoreCommand};
use memshark_protocol::meta;

fn line(out: &mut BytesMut, text: &str) {
    out.put_slice(text.as_bytes());
    out.put_slice(b"\r\n");
}

fn value_line(out: &mut BytesMut, key: &[u8], item: &ItemView, with_cas: bool) {
    out.put_slice(b"VALUE ");
    out.put_slice(key);
    out.put_slice(format!(" {} {}", item.flags, item.value.len()).as_bytes());
    if with_cas {
        out.put_slice(format!(" {}", item.cas).as_bytes());
    }
    out.put_slice(b"\r\n");
    out.put_slice(&item.value);
    out.put_slice(b"\r\n");
}

/// Handles one parsed command.
pub fn handle(req: &Request<'_>, shared: &Shared, out: &mut BytesMut) -> After {
    let store = &shared.store;
    match req {
        Request::Get {
            command,
            exptime,
            keys,
        } => {
            for key in keys.iter() {
                let item = match exptime {
                    Some(e) => store.get_and_touch(key, *e),
                    None => store.get(key),
                };
                if let Some(item) = item {
                    value_line(out, key, &item, command.with_cas());
                }
            }
            line(out, "END");
        }
        Request::Store {
            command,
            key,
            flags,
            exptime,
            cas,
            noreply,
            data,
        } => {
            let mode = match command {
                StoreCommand::Set | StoreCommand::Cas => StoreMode::Set,
                StoreCommand::Add => StoreMode::Add,
                StoreCommand::Replace => StoreMode::Replace,
                StoreCommand::Append => StoreMode::Append,
                StoreCommand::Prepend => StoreMode::Prepend,
            };
            let value: &[u8] = data;
            // `cas` with a unique of 0 can never match an item (CAS values start at 1).
            let outcome = match cas {
                Some(0) => StoreOutcome::Exists,
                Some(c) => store.store(mode, key, value, *flags, *exptime, *c),
                None => store.store(mode, key, value, *flags, *exptime, 0),
            };
            let word = match outcome {
                StoreOutcome::Stored(_) => "STORED",
                StoreOutcome::NotStored => "NOT_STORED",
                StoreOutcome::Exists => "EXISTS",
                StoreOutcome::NotFound => "NOT_FOUND",
                StoreOutcome::TooLarge => "SERVER_ERROR object too large for cache",
                StoreOutcome::OutOfMemory => "SERVER_ERROR out of memory storing object",
            };
            if !noreply {
                line(out, word);
            }
        }
        Request::Delete { key, noreply } => {
            let word = match store.delete(key, 0) {
                DeleteOutcome::Deleted => "DELETED",
                _ => "NOT_FOUND",
            };
            if !noreply {
                line(out, word);
            }
        }
        Request::Arithmetic {
            incr,
            key,
            delta,
            noreply,
        } => {
            let text = match store.arithmetic(key, *incr, *delta, None, 0) {
                CounterOutcome::Value { value, .. } => value.to_string(),
                CounterOutcome::NotFound | CounterOutcome::Exists => "NOT_FOUND".into(),
                CounterOutcome::NonNumeric => {
                    "CLIENT_ERROR cannot increment or decrement non-numeric value".into()
                }
            };
            if !noreply {
                line(out, &text);
            }
        }
        Request::Touch {
            key,
            exptime,
            noreply,
        } => {
            let word = if store.touch(key, *exptime).is_some() {
                "TOUCHED"
            } else {
                "NOT_FOUND"
            };
            if !noreply {
                line(out, word);
            }
        }
        Request::Stats { args } => {
            let group = std::str::from_utf8(args).unwrap_or("\u{fffd}").trim();
            if group == "reset" {
                store.counters.reset();
                line(out, "RESET");
            } else {
                match shared.stats_group(group) {
                    Some(lines) => {
                        for (name, value) in lines {
                            line(out, &format!("STAT {name} {value}"));
                        }
                        line(out, "END");
                    }
                    None => line(out, "ERROR"),
                }
            }
        }
        Request::FlushAll { delay, noreply } => {
            store.flush_all(delay.unwrap_or(0));
            if !noreply {
                line(out, "OK");
            }
        }
        Request::Version => line(out, &format!("VERSION {}", shared.info.version)),
        Request::Verbosity { noreply, .. } => {
            if !noreply {
                line(out, "OK");
            }
        }
        Request::Quit => return After::Close,
        Request::Meta(m) => handle_meta(m, shared, out),
    }
    After::Continue
}

/// Return flags that echo the request (`O`, `k`, `b`).
fn echo_flags(m: &meta::Request<'_>, ret: &mut Vec<String>) {
    if let Some(o) = m.flags.opaque() {
        ret.push(format!("O{}", String::from_utf8_lossy(o)));
    }
    if m.flags.has(b'k') {
        ret.push(format!("k{}", String::from_utf8_lossy(m.key)));
    }
    if m.flags.is_base64() && m.flags.has(b'k') {
        ret.push("b".into());
    }
}

fn meta_line(out: &mut BytesMut, code: &str, ret: &[String]) {
    out.put_slice(code.as_bytes());
    for r in ret {
        out.put_u8(b' ');
        out.put_slice(r.as_bytes());
    }
    out.put_slice(b"\r\n");
}

fn num_flag(m: &meta::Request<'_>, f: u8) -> Option<i64> {
    m.flags
        .get(f)
        .and_then(|t| std::str::from_utf8(t).ok())
        .and_then(|t| t.parse().ok())
}

fn handle_meta(m: &meta::Request<'_>, shared: &Shared, out: &mut BytesMut) {
    let store = &shared.store;
    let Some(key) = m.decoded_key() else {
        line(out, "CLIENT_ERROR error decoding key");
        return;
    };
    let quiet = m.flags.is_quiet();
    let mut ret = Vec::new();
    let now = store.clock.now();
    match m.command {
        meta::Command::Noop => line(out, "MN"),
        meta::Command::Get => {
            let item = match num_flag(m, b'T') {
                Some(ttl) => store.get_and_touch(&key, ttl),
                None => store.get(&key),
            };
            let Some(item) = item else {
                if !quiet {
                    echo_flags(m, &mut ret);
                    meta_line(out, "EN", &ret);
                }
                return;
            };
            for (f, _) in m.flags.iter() {
                match f {
                    b'f' => ret.push(format!("f{}", item.flags)),
                    b'c' => ret.push(format!("c{}", item.cas)),
                    b's' => ret.push(format!("s{}", item.value.len())),
                    b't' => ret.push(if item.expires_at == 0 {
                        "t-1".into()
                    } else {
                        format!("t{}", item.expires_at.saturating_sub(now))
                    }),
                    _ => {}
                }
            }
            echo_flags(m, &mut ret);
            if m.flags.has(b'v') {
                meta_line(out, &format!("VA {}", item.value.len()), &ret);
                out.put_slice(&item.value);
                out.put_slice(b"\r\n");
            } else {
                meta_line(out, "HD", &ret);
            }
        }
        meta::Command::Set => {
            let data: &[u8] = m.data.unwrap_or_default();
            let mode = match m.flags.get(b'M').and_then(|t| t.first()) {
                Some(b'E' | b'e') => StoreMode::Add,
                Some(b'A' | b'a') => StoreMode::Append,
                Some(b'P' | b'p') => StoreMode::Prepend,
                Some(b'R' | b'r') => StoreMode::Replace,
                _ => StoreMode::Set,
            };
            let flags = num_flag(m, b'F').unwrap_or(0) as u32;
            let ttl = num_flag(m, b'T').unwrap_or(0);
            let cas = num_flag(m, b'C').unwrap_or(0) as u64;
            let outcome = store.store(mode, &key, data, flags, ttl, cas);
            let code = match outcome {
                StoreOutcome::Stored(c) => {
                    if m.flags.has(b'c') {
                        ret.push(format!("c{c}"));
                    }
                    "HD"
                }
                StoreOutcome::NotStored => "NS",
                StoreOutcome::Exists => "EX",
                StoreOutcome::NotFound => "NF",
                StoreOutcome::TooLarge => {
                    line(out, "SERVER_ERROR object too large for cache");
                    return;
                }
                StoreOutcome::OutOfMemory => {
                    line(out, "SERVER_ERROR out of memory storing object");
                    return;
                }
            };
            if !(quiet && code == "HD") {
                echo_flags(m, &mut ret);
                meta_line(out, code, &ret);
            }
        }
        meta::Command::Delete => {
            let cas = num_flag(m, b'C').unwrap_or(0) as u64;
            let code = match store.delete(&key, cas) {
                DeleteOutcome::Deleted => "HD",
                DeleteOutcome::NotFound => "NF",
                DeleteOutcome::Exists => "EX",
            };
            if !(quiet && code != "EX") {
                echo_flags(m, &mut ret);
                meta_line(out, code, &ret);
            }
        }
        meta::Command::Arithmetic => {
            let incr = !matches!(
                m.flags.get(b'M').and_then(|t| t.first()),
                Some(b'D' | b'd' | b'-')
            );
            let delta = num_flag(m, b'D').unwrap_or(1).max(0) as u64;
            let initial =
                num_flag(m, b'N').map(|ttl| (num_flag(m, b'J').unwrap_or(0).max(0) as u64, ttl));
            let cas = num_flag(m, b'C').unwrap_or(0) as u64;
            match store.arithmetic(&key, incr, delta, initial, cas) {
                CounterOutcome::Value { value, cas } => {
                    if m.flags.has(b'c') {
                        ret.push(format!("c{cas}"));
                    }
                    echo_flags(m, &mut ret);
                    if m.flags.has(b'v') {
                        let text = value.to_string();
                        meta_line(out, &format!("VA {}", text.len()), &ret);
                        line(out, &text);
                    } else if !quiet {
                        meta_line(out, "HD", &ret);
                    }
                }
                CounterOutcome::NotFound => {
                    if !quiet {
                        echo_flags(m, &mut ret);
                        meta_line(out, "NF", &ret);
                    }
                }
                CounterOutcome::Exists => {
                    echo_flags(m, &mut ret);
                    meta_line(out, "EX", &ret);
                }
                CounterOutcome::NonNumeric => line(
                    out,
                    "CLIENT_ERROR cannot increment or decrement non-numeric value",
                ),
            }
        }
        meta::Command::Debug => match store.get(&key) {
            Some(item) => {
                let exp = if item.expires_at == 0 {
                    -1
                } else {
                    item.expires_at.saturating_sub(now) as i64
                };
                let shown = if m.flags.is_base64() {
                    base64::engine::general_purpose::STANDARD.encode(&key)
                } else {
                    String::from_utf8_lossy(&key).into_owned()
                };
                line(
                    out,
                    &format!(
                        "ME {shown} exp={exp} la=0 cas={} fetch=yes cls=1 size={}",
                        item.cas,
                        key.len() + item.value.len() + super::storage::ITEM_OVERHEAD
                    ),
                );
            }
            None => line(out, "EN"),
        },
    }
}
