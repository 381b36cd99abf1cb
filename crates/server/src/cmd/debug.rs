//! Meta debug (`me`): what the server knows about an item, in memcached's `ME` line.

use base64::Engine;
use bytes::{BufMut, BytesMut};
use memshark_protocol::meta::{self, ResponseCode};

use super::{Command, Ctx, MetaCommand};
use crate::reply::MetaReply;
use crate::storage::{ItemView, ITEM_OVERHEAD};

/// Describes one item. It reads the item as a get does (and is counted as one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DebugItem<'k> {
    /// The key (decoded).
    pub key: &'k [u8],
    /// The key was sent in base64, and is shown so.
    pub base64: bool,
}

impl Command for DebugItem<'_> {
    type Outcome = Option<ItemView>;

    fn apply(&self, ctx: &mut Ctx<'_>) -> Option<ItemView> {
        ctx.store().get(self.key)
    }
}

impl<'k> MetaCommand<'k> for DebugItem<'k> {
    fn from_meta(m: &meta::Request<'k>, key: &'k [u8]) -> Self {
        DebugItem {
            key,
            base64: m.flags.is_base64(),
        }
    }

    /// `ME <key> exp=… la=0 cas=… fetch=yes cls=1 size=…`, or `EN` (quiet or not).
    fn answer_meta(&self, item: Option<ItemView>, reply: &MetaReply<'_>, out: &mut BytesMut) {
        let Some(item) = item else {
            reply.line(ResponseCode::En, out).end();
            return;
        };
        let exp = if item.expires_at == 0 {
            -1
        } else {
            item.expires_at.saturating_sub(reply.now) as i64
        };
        let shown = if self.base64 {
            base64::engine::general_purpose::STANDARD.encode(self.key)
        } else {
            String::from_utf8_lossy(self.key).into_owned()
        };
        let size = self.key.len() + item.value.len() + ITEM_OVERHEAD;
        out.put_slice(
            format!(
                "ME {shown} exp={exp} la=0 cas={} fetch=yes cls=1 size={size}\r\n",
                item.cas
            )
            .as_bytes(),
        );
    }
}
