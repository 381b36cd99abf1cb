//! One connection's closed loop: write a batch, read its answers, record.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{KeyChooser, LoadConfig, LoadError, Op, Progress, Protocol, Report, Rng};
use memshark_protocol::ascii::{self, ParseLimits, Parsed, Reply, Response as TextResponse};
use memshark_protocol::binary::{self, FrameCheck, Opcode, Request, Status};

/// How the answers to one request end and what they mean.
struct Expect {
    op: Op,
    /// Answers (binary packets, or text messages up to the final one) still to read.
    remaining: usize,
    miss: bool,
    error: bool,
    /// Values seen (VALUE lines or GETKQ hits).
    hits: usize,
    /// With verification: the keys asked for.
    keys: Vec<Vec<u8>>,
}

/// The value verification writes for `key`: a stream of letters derived from the key, cut to
/// `len`. Any prefix of it is right for the key.
pub fn pattern(key: &[u8], len: usize, out: &mut Vec<u8>) {
    let h = key.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    out.clear();
    out.extend((0..len as u64).map(|i| {
        b'a' + ((h.wrapping_add(i).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) % 26) as u8
    }));
}

fn verify_value(
    key: &[u8],
    value: &[u8],
    scratch: &mut Vec<u8>,
    verified: &mut u64,
    wrong: &mut u64,
) {
    pattern(key, value.len(), scratch);
    *verified += 1;
    if value != &scratch[..] {
        *wrong += 1;
    }
}

/// Verification state of one connection.
#[derive(Default)]
struct Verify {
    on: bool,
    scratch: Vec<u8>,
    verified: u64,
    wrong: u64,
}

fn key(prefix: &str, n: u64) -> Vec<u8> {
    format!("{prefix}:{n}").into_bytes()
}

fn value<'a>(rng: &mut Rng, (min, max): (usize, usize), scratch: &'a [u8]) -> &'a [u8] {
    let len = if max > min {
        min + rng.below((max - min + 1) as u64) as usize
    } else {
        min
    };
    &scratch[..len.min(scratch.len())]
}

/// Appends one op's request(s) to `out`; returns how many answers to expect.
fn encode(op: Op, cfg: &LoadConfig, keys: &[Vec<u8>], val: &[u8], out: &mut BytesMut) -> usize {
    let k = &keys[0][..];
    match cfg.protocol {
        Protocol::Binary => {
            let req = match op {
                Op::Get => Request::get(k),
                Op::Set => Request::set(k, val, 0, 0),
                Op::Add => Request::add(k, val, 0, 0),
                Op::Replace => Request::replace(k, val, 0, 0),
                Op::Append => Request::append(k, val),
                Op::Prepend => Request::prepend(k, val),
                Op::Delete => Request::delete(k),
                Op::Incr => Request::incr(k, 1, 0, 0),
                Op::Decr => Request::decr(k, 1, 0, 0),
                Op::Touch => Request::touch(k, 0),
                Op::Gat => Request::gat(Opcode::Gat, k, 0),
                Op::Noop => Request::noop(),
                Op::MultiGet => {
                    for k in keys {
                        Request::get_with(Opcode::GetKQ, k).write_to(out);
                    }
                    Request::noop()
                }
            };
            req.write_to(out);
            1
        }
        Protocol::Ascii => {
            use ascii::{GetCommand, Keys, Request as T, StoreCommand as S};
            let keyline;
            let store = |command| T::Store {
                command,
                key: k,
                flags: 0,
                exptime: 0,
                cas: None,
                noreply: false,
                data: val,
            };
            let req = match op {
                Op::Get => T::Get {
                    command: GetCommand::Get,
                    exptime: None,
                    keys: Keys::from_line_section(k),
                },
                Op::MultiGet => {
                    keyline = keys.join(&b' ');
                    T::Get {
                        command: GetCommand::Get,
                        exptime: None,
                        keys: Keys::from_line_section(&keyline),
                    }
                }
                Op::Gat => T::Get {
                    command: GetCommand::Gat,
                    exptime: Some(0),
                    keys: Keys::from_line_section(k),
                },
                Op::Set => store(S::Set),
                Op::Add => store(S::Add),
                Op::Replace => store(S::Replace),
                Op::Append => store(S::Append),
                Op::Prepend => store(S::Prepend),
                Op::Delete => T::Delete {
                    key: k,
                    noreply: false,
                },
                Op::Incr | Op::Decr => T::Arithmetic {
                    incr: op == Op::Incr,
                    key: k,
                    delta: 1,
                    noreply: false,
                },
                Op::Touch => T::Touch {
                    key: k,
                    exptime: 0,
                    noreply: false,
                },
                Op::Noop => T::Version,
            };
            req.encode(out);
            1
        }
    }
}

/// Consumes answers from `buf` for the front of `pending`; returns finished expectations.
fn consume(
    protocol: Protocol,
    buf: &mut BytesMut,
    pending: &mut std::collections::VecDeque<Expect>,
    done: &mut Vec<Expect>,
    limits: &ParseLimits,
    v: &mut Verify,
) -> Result<(), LoadError> {
    while let Some(front) = pending.front_mut() {
        match protocol {
            Protocol::Binary => {
                let len = match binary::check(buf, binary::DEFAULT_MAX_BODY_LEN)
                    .map_err(|e| LoadError::Protocol(e.to_string()))?
                {
                    FrameCheck::Complete(len) => len,
                    FrameCheck::Incomplete { .. } => return Ok(()),
                };
                let p = binary::Packet::new_unchecked(&buf[..len]);
                let (opcode, status) = (p.opcode(), p.status());
                if v.on
                    && status == Status::NoError
                    && matches!(
                        opcode.to_loud(),
                        Opcode::Get | Opcode::GetK | Opcode::Gat | Opcode::GatK
                    )
                {
                    let key = if p.key().is_empty() {
                        front.keys.first().map_or(&[][..], |k| &k[..])
                    } else {
                        p.key()
                    };
                    verify_value(
                        key,
                        p.value(),
                        &mut v.scratch,
                        &mut v.verified,
                        &mut v.wrong,
                    );
                }
                buf.advance(len);
                if opcode == Opcode::GetKQ {
                    // A multi-get hit; the NOOP closes the request.
                    front.hits += 1;
                    continue;
                }
                if opcode == Opcode::Noop && front.op == Op::MultiGet && front.hits == 0 {
                    front.miss = true;
                }
                match status {
                    Status::NoError => {}
                    Status::KeyNotFound | Status::ItemNotStored | Status::KeyExists => {
                        front.miss = true
                    }
                    _ => front.error = true,
                }
                front.remaining -= 1;
            }
            Protocol::Ascii => {
                let (reply, is_final, len) = match TextResponse::parse(buf, limits) {
                    Ok(Parsed::Complete { message, len }) => {
                        if let (true, TextResponse::Value { key, data, .. }) = (v.on, &message) {
                            verify_value(key, data, &mut v.scratch, &mut v.verified, &mut v.wrong);
                        }
                        (message.reply(), message.is_final(), len)
                    }
                    Ok(Parsed::Incomplete { .. }) => return Ok(()),
                    Err(e) => return Err(LoadError::Protocol(e.to_string())),
                };
                buf.advance(len);
                if !is_final {
                    front.hits += 1;
                    continue;
                }
                // As for binary above: refused stores count with misses.
                match reply {
                    Some(Reply::End) if front.hits == 0 => front.miss = true,
                    Some(Reply::NotFound | Reply::NotStored | Reply::Exists) => front.miss = true,
                    Some(r) if r.is_error() => front.error = true,
                    _ => {}
                }
                front.remaining -= 1;
            }
        }
        if front.remaining == 0 {
            if let Some(e) = pending.pop_front() {
                done.push(e);
            }
        }
    }
    Ok(())
}

/// Stores every key once so gets can hit.
pub async fn prefill(cfg: &LoadConfig) -> Result<(), LoadError> {
    let mut stream = TcpStream::connect(cfg.to)
        .await
        .map_err(|source| LoadError::Io {
            addr: cfg.to,
            source,
        })?;
    let scratch = vec![b'v'; cfg.value_size.1.max(1)];
    let mut checked = Vec::new();
    let mut rng = Rng::new(0xfeed);
    let limits = ParseLimits::permissive();
    let mut verify = Verify::default();
    let keys = cfg.keys.min(1_000_000);
    let mut n = 0;
    let mut buf = BytesMut::with_capacity(64 * 1024);
    while n < keys {
        let batch = (keys - n).min(256);
        let mut out = BytesMut::new();
        let mut pending = std::collections::VecDeque::new();
        for i in n..n + batch {
            let k = vec![key(&cfg.key_prefix, i)];
            let v = value(&mut rng, cfg.value_size, &scratch);
            if cfg.verify {
                pattern(&k[0], v.len(), &mut checked);
                encode(Op::Set, cfg, &k, &checked, &mut out);
            } else {
                encode(Op::Set, cfg, &k, v, &mut out);
            }
            pending.push_back(Expect {
                op: Op::Set,
                remaining: 1,
                miss: false,
                error: false,
                hits: 0,
                keys: Vec::new(),
            });
        }
        stream
            .write_all(&out)
            .await
            .map_err(|source| LoadError::Io {
                addr: cfg.to,
                source,
            })?;
        let mut done = Vec::new();
        while !pending.is_empty() {
            let read = stream
                .read_buf(&mut buf)
                .await
                .map_err(|source| LoadError::Io {
                    addr: cfg.to,
                    source,
                })?;
            if read == 0 {
                return Err(LoadError::Protocol("server closed during prefill".into()));
            }
            consume(
                cfg.protocol,
                &mut buf,
                &mut pending,
                &mut done,
                &limits,
                &mut verify,
            )?;
        }
        n += batch;
    }
    Ok(())
}

/// Runs one connection until told to stop or `max_ops` are answered.
pub async fn run_connection(
    cfg: LoadConfig,
    chooser: Arc<KeyChooser>,
    progress: Arc<Progress>,
    seed: u64,
    max_ops: Option<u64>,
) -> Result<Report, LoadError> {
    let mut stream = TcpStream::connect(cfg.to)
        .await
        .map_err(|source| LoadError::Io {
            addr: cfg.to,
            source,
        })?;
    let _ = stream.set_nodelay(true);
    let scratch = vec![b'v'; cfg.value_size.1.max(1)];
    let mut checked = Vec::new();
    let mut verify = Verify {
        on: cfg.verify,
        ..Verify::default()
    };
    let mut rng = Rng::new(seed + 1);
    let limits = ParseLimits::permissive();
    let mut report = Report::default();
    let mut out = BytesMut::with_capacity(64 * 1024);
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut pending = std::collections::VecDeque::with_capacity(cfg.pipeline);
    let mut done = Vec::with_capacity(cfg.pipeline);
    let mut answered = 0u64;
    // Paced runs: one batch per `interval`, so that all connections together make `rate`.
    let mut pacer = cfg.rate.filter(|r| *r > 0.0).map(|r| {
        let per_batch = cfg.connections as f64 * cfg.pipeline as f64 / r;
        let mut i = tokio::time::interval(std::time::Duration::from_secs_f64(per_batch.max(1e-6)));
        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        i
    });
    while !progress.stop.load(Ordering::Relaxed) && max_ops.is_none_or(|m| answered < m) {
        if let Some(p) = &mut pacer {
            tokio::select! {
                _ = p.tick() => {}
                _ = tokio::time::sleep(std::time::Duration::from_millis(100)) => continue,
            }
        }
        let batch = match max_ops {
            Some(m) => (m - answered).min(cfg.pipeline as u64) as usize,
            None => cfg.pipeline,
        };
        out.clear();
        for _ in 0..batch {
            let op = cfg.mix.pick(&mut rng);
            let count = if op == Op::MultiGet {
                cfg.mget_keys.max(1)
            } else {
                1
            };
            let keys: Vec<Vec<u8>> = (0..count)
                .map(|_| key(&cfg.key_prefix, chooser.pick(&mut rng)))
                .collect();
            let v = value(&mut rng, cfg.value_size, &scratch);
            let remaining = if cfg.verify {
                pattern(&keys[0], v.len(), &mut checked);
                encode(op, &cfg, &keys, &checked, &mut out)
            } else {
                encode(op, &cfg, &keys, v, &mut out)
            };
            pending.push_back(Expect {
                op,
                remaining,
                miss: false,
                error: false,
                hits: 0,
                keys: if cfg.verify { keys } else { Vec::new() },
            });
        }
        let sent = Instant::now();
        stream
            .write_all(&out)
            .await
            .map_err(|source| LoadError::Io {
                addr: cfg.to,
                source,
            })?;
        while !pending.is_empty() {
            let read = stream
                .read_buf(&mut buf)
                .await
                .map_err(|source| LoadError::Io {
                    addr: cfg.to,
                    source,
                })?;
            if read == 0 {
                return Err(LoadError::Protocol("server closed the connection".into()));
            }
            consume(
                cfg.protocol,
                &mut buf,
                &mut pending,
                &mut done,
                &limits,
                &mut verify,
            )?;
            let now = Instant::now();
            for e in done.drain(..) {
                report
                    .ops
                    .entry(e.op)
                    .or_default()
                    .record(now - sent, e.miss, e.error);
                answered += 1;
            }
        }
        progress.done.fetch_add(batch as u64, Ordering::Relaxed);
    }
    report.verified = verify.verified;
    report.wrong = verify.wrong;
    Ok(report)
}
