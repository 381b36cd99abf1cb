//! The classic text-protocol front end: routes each parsed command to its command family
//! ([`crate::cmd`]), and meta commands to [`crate::meta`].

use bytes::BytesMut;
use memshark_protocol::ascii::Request;

use crate::cmd::arithmetic::Arithmetic;
use crate::cmd::control::{Quit, Verbosity, Version};
use crate::cmd::delete::Delete;
use crate::cmd::flush::Flush;
use crate::cmd::get;
use crate::cmd::stats::Stats;
use crate::cmd::store::Update;
use crate::cmd::touch::Touch;
use crate::cmd::{run_text, After, Ctx};
use crate::reply::TextReply;
use crate::{Session, Shared};

/// Handles one parsed command, appending its answer to `out`.
pub fn handle(
    req: &Request<'_>,
    shared: &Shared,
    session: &mut Session,
    out: &mut BytesMut,
) -> After {
    let ctx = &mut Ctx { shared, session };
    let answer = TextReply::noreply;
    match req {
        Request::Get {
            command,
            exptime,
            keys,
        } => {
            get::text(*command, *exptime, keys, ctx, out);
            After::Continue
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
            let cmd = Update::from_text(*command, key, *flags, *exptime, *cas, data);
            run_text(&cmd, ctx, &answer(*noreply), out)
        }
        Request::Delete { key, noreply } => {
            run_text(&Delete::from_text(key), ctx, &answer(*noreply), out)
        }
        Request::Arithmetic {
            incr,
            key,
            delta,
            noreply,
        } => {
            let cmd = Arithmetic::from_text(*incr, key, *delta);
            run_text(&cmd, ctx, &answer(*noreply), out)
        }
        Request::Touch {
            key,
            exptime,
            noreply,
        } => {
            let cmd = Touch {
                key,
                exptime: *exptime,
            };
            run_text(&cmd, ctx, &answer(*noreply), out)
        }
        Request::Stats { args } => run_text(&Stats::from_text(args), ctx, &answer(false), out),
        Request::FlushAll { delay, noreply } => {
            run_text(&Flush::from_text(*delay), ctx, &answer(*noreply), out)
        }
        Request::Version => run_text(&Version, ctx, &answer(false), out),
        Request::Verbosity { level, noreply } => {
            let cmd = Verbosity { level: *level };
            run_text(&cmd, ctx, &answer(*noreply), out)
        }
        Request::Quit => run_text(&Quit, ctx, &answer(false), out),
        Request::Meta(m) => crate::meta::handle(m, ctx, out),
    }
}
