//! The binary-protocol front end: one request in, zero or more responses out, as memcached 1.6
//! answers them.

use bytes::{Bytes, BytesMut};

use super::storage::{CounterOutcome, DeleteOutcome, StoreMode, StoreOutcome};
use super::{Session, Shared};
use memshark_protocol::binary::{CounterExtras, Extras, Opcode, Packet, Response, Status};
use memshark_protocol::limits::KEY_MAX_LEN;

/// What the connection does after a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Keep reading.
    Continue,
    /// Send what is queued, then close.
    Close,
}

fn reply(out: &mut BytesMut, resp: Response, opaque: u32) {
    resp.with_opaque(opaque).write_to(out);
}

fn error(out: &mut BytesMut, op: Opcode, status: Status, opaque: u32) {
    reply(out, Response::error(op, status), opaque);
}

/// A get-family miss: memcached echoes the key (and no text) for the K variants.
fn miss(out: &mut BytesMut, op: Opcode, key: &[u8], opaque: u32) {
    if op.echoes_key() {
        reply(
            out,
            Response::new(op, Status::KeyNotFound, b"", key, b""),
            opaque,
        );
    } else {
        error(out, op, Status::KeyNotFound, opaque);
    }
}

/// Whether the request has the shape memcached requires for its opcode: (extras lengths
/// allowed, key required/forbidden/optional, value allowed).
fn shape_ok(p: &Packet<Bytes>) -> bool {
    use Opcode::*;
    let (e, k, v) = (p.extras_len(), p.key_len(), !p.value().is_empty());
    match p.opcode().to_loud() {
        Get | GetK => e == 0 && k > 0 && !v,
        Set | Add | Replace => e == 8 && k > 0,
        Append | Prepend => e == 0 && k > 0,
        Delete => e == 0 && k > 0 && !v,
        Increment | Decrement => e == 20 && k > 0 && !v,
        Touch | Gat | GatK => e == 4 && k > 0 && !v,
        Flush => (e == 0 || e == 4) && k == 0 && !v,
        Noop | Version | Quit => e == 0 && k == 0 && !v,
        Verbosity => e == 4 && k == 0 && !v,
        Stat => e == 0 && !v,
        _ => true,
    }
}

/// Handles one request, appending responses to `out`.
pub fn handle(
    p: Packet<Bytes>,
    shared: &Shared,
    session: &mut Session,
    out: &mut BytesMut,
) -> After {
    use Opcode::*;
    let op = p.opcode();
    let opaque = p.opaque();
    let quiet = op.is_quiet();
    let store = &shared.store;

    if !p.magic().is_request() {
        error(out, op, Status::InvalidArguments, opaque);
        return After::Close;
    }
    if shared.config.sasl.is_some()
        && !session.authenticated
        && !matches!(op, SaslListMechs | SaslAuth | SaslStep | Version)
    {
        error(out, op, Status::AuthError, opaque);
        return After::Close;
    }
    if p.key_len() > KEY_MAX_LEN || !shape_ok(&p) {
        // memcached answers a malformed request and closes the connection.
        error(out, op, Status::InvalidArguments, opaque);
        return After::Close;
    }
    let key = p.key();
    match op.to_loud() {
        Get | GetK => match store.get(key) {
            Some(item) => reply(
                out,
                Response::get_hit(op, key, item.flags, item.value).with_cas(item.cas),
                opaque,
            ),
            None if quiet => {}
            None => miss(out, op, key, opaque),
        },
        Gat | GatK => {
            let exptime = p.typed_extras().exptime().unwrap_or(0);
            match store.get_and_touch(key, i64::from(exptime)) {
                Some(item) => reply(
                    out,
                    Response::get_hit(op, key, item.flags, item.value).with_cas(item.cas),
                    opaque,
                ),
                None if quiet => {}
                None => miss(out, op, key, opaque),
            }
        }
        Touch => {
            let exptime = p.typed_extras().exptime().unwrap_or(0);
            if let Some(item) = store.touch(key, i64::from(exptime)) {
                // memcached answers a touch like a get without the value: flags and CAS.
                let resp = Response::new(op, Status::NoError, &item.flags.to_be_bytes(), b"", b"");
                reply(out, resp.with_cas(item.cas), opaque);
            } else {
                error(out, op, Status::KeyNotFound, opaque);
            }
        }
        loud @ (Set | Add | Replace | Append | Prepend) => {
            let (flags, exptime) = match p.typed_extras() {
                Extras::Store(s) => (s.flags, s.exptime),
                _ => (0, 0),
            };
            let mode = match loud {
                Set => StoreMode::Set,
                Add => StoreMode::Add,
                Replace => StoreMode::Replace,
                Append => StoreMode::Append,
                _ => StoreMode::Prepend,
            };
            let outcome = store.store(mode, key, p.value(), flags, i64::from(exptime), p.cas());
            let status = match outcome {
                StoreOutcome::Stored(cas) => {
                    if !quiet {
                        reply(out, Response::ok(op).with_cas(cas), opaque);
                    }
                    return After::Continue;
                }
                StoreOutcome::NotStored => match mode {
                    StoreMode::Add => Status::KeyExists,
                    StoreMode::Replace => Status::KeyNotFound,
                    _ => Status::ItemNotStored,
                },
                StoreOutcome::Exists => Status::KeyExists,
                StoreOutcome::NotFound => Status::KeyNotFound,
                StoreOutcome::TooLarge => Status::ValueTooLarge,
                StoreOutcome::OutOfMemory => Status::OutOfMemory,
            };
            error(out, op, status, opaque);
        }
        Delete => match store.delete(key, p.cas()) {
            DeleteOutcome::Deleted if quiet => {}
            DeleteOutcome::Deleted => reply(out, Response::ok(op), opaque),
            DeleteOutcome::NotFound => error(out, op, Status::KeyNotFound, opaque),
            DeleteOutcome::Exists => error(out, op, Status::KeyExists, opaque),
        },
        loud @ (Increment | Decrement) => {
            let Extras::Counter(c) = p.typed_extras() else {
                error(out, op, Status::InvalidArguments, opaque);
                return After::Continue;
            };
            let initial = (c.exptime != CounterExtras::NO_CREATE)
                .then_some((c.initial, i64::from(c.exptime)));
            match store.arithmetic(key, loud == Increment, c.delta, initial, p.cas()) {
                CounterOutcome::Value { value, cas } => {
                    if !quiet {
                        reply(out, Response::counter(op, value).with_cas(cas), opaque);
                    }
                }
                CounterOutcome::NotFound => error(out, op, Status::KeyNotFound, opaque),
                CounterOutcome::NonNumeric => error(out, op, Status::DeltaBadValue, opaque),
                CounterOutcome::Exists => error(out, op, Status::KeyExists, opaque),
            }
        }
        Flush => {
            let delay = p.typed_extras().exptime().unwrap_or(0);
            store.flush_all(i64::from(delay));
            if !quiet {
                reply(out, Response::ok(op), opaque);
            }
        }
        Noop => reply(out, Response::ok(op), opaque),
        Version => reply(
            out,
            Response::new(
                op,
                Status::NoError,
                b"",
                b"",
                shared.info.version.as_bytes(),
            ),
            opaque,
        ),
        Verbosity => reply(out, Response::ok(op), opaque),
        Quit => {
            if !quiet {
                reply(out, Response::ok(op), opaque);
            }
            return After::Close;
        }
        Stat => {
            let group = std::str::from_utf8(key).unwrap_or("\u{fffd}");
            match shared.stats_group(group) {
                Some(lines) => {
                    for (name, value) in lines {
                        reply(
                            out,
                            Response::new(
                                op,
                                Status::NoError,
                                b"",
                                name.as_bytes(),
                                value.as_bytes(),
                            ),
                            opaque,
                        );
                    }
                    reply(out, Response::ok(op), opaque);
                }
                None => error(out, op, Status::KeyNotFound, opaque),
            }
        }
        SaslListMechs => match &shared.config.sasl {
            Some(_) => reply(
                out,
                Response::new(op, Status::NoError, b"", b"", b"PLAIN"),
                opaque,
            ),
            None => error(out, op, Status::UnknownCommand, opaque),
        },
        SaslAuth | SaslStep => match &shared.config.sasl {
            Some(creds) => {
                if key == b"PLAIN" && creds.check_plain(p.value()) {
                    session.authenticated = true;
                    reply(
                        out,
                        Response::new(op, Status::NoError, b"", b"", b"Authenticated"),
                        opaque,
                    );
                } else {
                    super::stats::Counters::bump(&store.counters.auth_errors);
                    error(out, op, Status::AuthError, opaque);
                }
            }
            None => error(out, op, Status::UnknownCommand, opaque),
        },
        _ => error(out, op, Status::UnknownCommand, opaque),
    }
    After::Continue
}
