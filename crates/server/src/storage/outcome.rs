//! What the store hands back: item views and the typed outcome of each operation.

use bytes::Bytes;

/// A stored item as handed to a front end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemView {
    /// The value (shared, not copied).
    pub value: Bytes,
    /// Client flags.
    pub flags: u32,
    /// CAS unique.
    pub cas: u64,
    /// Expiration as a unix second (0: never).
    pub expires_at: u64,
    /// Whether it had been fetched before this request (meta `h`).
    pub fetched_before: bool,
    /// When it was last accessed before this request, as a unix second (meta `l`).
    pub accessed_before: u64,
    /// Meta get's recache tokens: what `Z`, `X` and `W` say of the item.
    pub tokens: Tokens,
}

/// What a meta get says about recaching an item (memcached's anti-stampede tokens).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    /// `Z`: another client already holds the right to recache it.
    pub already_sent: bool,
    /// `X`: the item was invalidated and is stale.
    pub stale: bool,
    /// `W`: this client won the right to recache it.
    pub won: bool,
}

/// A meta get's options beyond the key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetaGet {
    /// `T`: a new expiration (get and touch).
    pub touch: Option<i64>,
    /// `N`: on a miss, create an empty item with this expiration and win it.
    pub vivify: Option<i64>,
    /// `R`: win the item when it has fewer than this many seconds left.
    pub recache: Option<i64>,
}

/// How a storage command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOutcome {
    /// Stored, with this new CAS.
    Stored(u64),
    /// The command's condition failed (add on present, replace/append/prepend on missing).
    NotStored,
    /// The CAS given does not match.
    Exists,
    /// A CAS was given and the item is missing.
    NotFound,
    /// The value exceeds the item size limit.
    TooLarge,
    /// The item cannot fit in memory even after eviction.
    OutOfMemory,
}

/// Which storage command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    /// Store unconditionally.
    Set,
    /// Store if absent.
    Add,
    /// Store if present.
    Replace,
    /// Add after the existing value.
    Append,
    /// Add before the existing value.
    Prepend,
}

/// How a delete ended (or, with meta `I`, an invalidation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// Deleted.
    Deleted,
    /// No such item.
    NotFound,
    /// The CAS given does not match.
    Exists,
}

/// How an incr/decr ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterOutcome {
    /// The new value and CAS.
    Value {
        /// The counter after the change.
        value: u64,
        /// Its new CAS.
        cas: u64,
        /// Its expiration as a unix second (0: never).
        expires_at: u64,
        /// Whether this request created it (a miss with an initial value).
        created: bool,
    },
    /// No such item and none created.
    NotFound,
    /// The stored value is not a decimal number.
    NonNumeric,
    /// The CAS given does not match.
    Exists,
}

/// Which way incr/decr moves a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Up, wrapping at 2^64.
    Incr,
    /// Down, stopping at 0.
    Decr,
}
