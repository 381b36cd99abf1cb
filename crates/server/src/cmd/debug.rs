//! Meta debug (`me`): what the server knows about an item, in memcached's `ME` line.

use base64::Engine;
use bytes::{BufMut, BytesMut};
use memshark_protocol::meta::{self, ResponseCode};

use super::{Command, Ctx, MetaCommand};
use crate::reply::MetaReply;
use crate::storage::ItemMeta;

/// Describes one item, without reading it: nothing is counted, its last access stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DebugItem<'k> {
    /// The key (decoded).
    pub key: &'k [u8],
    /// The key was sent in base64, and is shown so.
    pub base64: bool,
}

impl Command for DebugItem<'_> {
    type Outcome = Option<ItemMeta>;

    fn apply(&self, ctx: &mut Ctx<'_>) -> Option<ItemMeta> {
        ctx.store().peek(self.key)
    }
}

impl<'k> MetaCommand<'k> for DebugItem<'k> {
    fn from_meta(m: &meta::Request<'k>, key: &'k [u8]) -> Self {
        DebugItem {
            key,
            base64: m.flags.is_base64(),
        }
    }

    /// `ME <key> exp=… la=… cas=… fetch=yes|no cls=… size=…`, or `EN` (quiet or not). As in
    /// memcached 1.6, `exp` is the time since the expiration (negative while it is ahead) and
    /// `la` the seconds since the last access.
    fn answer_meta(&self, item: Option<ItemMeta>, reply: &MetaReply<'_>, out: &mut BytesMut) {
        let Some(item) = item else {
            reply.line(ResponseCode::En, out).end();
            return;
        };
        let exp = if item.expires_at == 0 {
            -1
        } else {
            reply.now as i64 - item.expires_at as i64
        };
        let la = reply.now.saturating_sub(item.accessed_at);
        let shown = if self.base64 {
            base64::engine::general_purpose::STANDARD.encode(self.key)
        } else {
            String::from_utf8_lossy(self.key).into_owned()
        };
        let fetch = if item.fetched { "yes" } else { "no" };
        out.put_slice(
            format!(
                "ME {shown} exp={exp} la={la} cas={} fetch={fetch} cls={} size={}\r\n",
                item.cas, item.class, item.total
            )
            .as_bytes(),
        );
    }
}
