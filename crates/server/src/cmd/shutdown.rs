//! `shutdown [graceful]`: stops the server, when it was started with `-A`
//! (`--enable-shutdown`); otherwise refused as memcached refuses it.

use bytes::BytesMut;

use super::{Command, Ctx, TextCommand};
use crate::admin::line;
use crate::reply::TextReply;

/// A request to stop the server (memcached takes any arguments, `graceful` among them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shutdown;

impl Shutdown {
    /// From the arguments after the command word.
    pub fn from_args(_args: &[&[u8]]) -> Shutdown {
        Shutdown
    }
}

/// What `shutdown` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownOutcome {
    /// The server is stopping; the connection closes without an answer.
    Stopping,
    /// Shutdown is not enabled.
    NotEnabled,
}

impl Command for Shutdown {
    type Outcome = ShutdownOutcome;

    fn apply(&self, ctx: &mut Ctx<'_>) -> ShutdownOutcome {
        if !ctx.shared.config.enable_shutdown {
            return ShutdownOutcome::NotEnabled;
        }
        ctx.shared.runtime.halt.notify_one();
        ShutdownOutcome::Stopping
    }
}

impl TextCommand for Shutdown {
    /// Nothing (the server stops), or `ERROR: shutdown not enabled`.
    fn answer_text(&self, outcome: ShutdownOutcome, reply: &TextReply, out: &mut BytesMut) {
        match outcome {
            ShutdownOutcome::Stopping => {}
            ShutdownOutcome::NotEnabled => line("ERROR: shutdown not enabled", reply, out),
        }
    }
}
