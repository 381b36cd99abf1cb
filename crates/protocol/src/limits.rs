//! memcached's limits, each stated once: what a server enforces and what a reader of traffic
//! assumes. Everything else (the text parsers' [`ParseLimits`](crate::ascii::ParseLimits),
//! the server, the fuzz targets) takes its numbers from here.

/// Longest key memcached accepts, in every protocol (`KEY_MAX_LENGTH` in memcached.h).
pub const KEY_MAX_LEN: usize = 250;

/// Longest text or meta command line memcached reads before giving up on it, without its data
/// block (memcached's read buffer for a command: 2048 bytes). `get` and `gets` are exempt in
/// memcached: their key lists may be longer.
pub const LINE_MAX_LEN: usize = 2048;

/// memcached's default item size limit (`-I`, 1 MiB): the largest value a default server
/// stores.
pub const ITEM_SIZE_MAX_DEFAULT: usize = 1024 * 1024;

/// Largest value a reader of captured traffic accepts (64 MiB): more than any realistically
/// configured server stores, little enough that a lying length never reserves gigabytes.
pub const CAPTURED_VALUE_MAX: usize = 64 * 1024 * 1024;

/// The longest expiration memcached reads as seconds from now (30 days, `REALTIME_MAXDELTA`);
/// a larger one is a unix time.
pub const RELATIVE_EXPTIME_MAX: u32 = 60 * 60 * 24 * 30;
