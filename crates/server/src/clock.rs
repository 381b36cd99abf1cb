//! The server's clock, and memcached's rules for expiration times.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Expiration times up to this many seconds are relative to now; larger ones are absolute unix
/// times (memcached's `REALTIME_MAXDELTA`, 30 days).
pub const RELATIVE_EXPTIME_MAX: i64 = 60 * 60 * 24 * 30;

/// Wall-clock seconds, with an offset that tests can move forward instead of sleeping.
#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
}

/// When an item stops being visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Never (exptime 0).
    Never,
    /// At this unix second.
    At(u64),
    /// Already (a negative exptime, or an absolute time in the past).
    Expired,
}

impl Clock {
    /// The current unix time in seconds, as this clock sees it.
    pub fn now(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        real.saturating_add_signed(self.offset.load(Ordering::Relaxed))
    }

    /// Moves the clock forward (tests).
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::Relaxed);
    }

    /// memcached's reading of a client's exptime: 0 never; negative already expired; up to 30
    /// days relative to now; larger an absolute unix time (in the past: already expired).
    pub fn expiry(&self, exptime: i64) -> Expiry {
        if exptime == 0 {
            Expiry::Never
        } else if exptime < 0 {
            Expiry::Expired
        } else if exptime <= RELATIVE_EXPTIME_MAX {
            Expiry::At(self.now() + exptime as u64)
        } else if (exptime as u64) <= self.now() {
            Expiry::Expired
        } else {
            Expiry::At(exptime as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exptime_rules() {
        let c = Clock::default();
        let now = c.now();
        assert_eq!(c.expiry(0), Expiry::Never);
        assert_eq!(c.expiry(-1), Expiry::Expired);
        assert_eq!(c.expiry(10), Expiry::At(now + 10));
        assert_eq!(
            c.expiry(RELATIVE_EXPTIME_MAX),
            Expiry::At(now + RELATIVE_EXPTIME_MAX as u64)
        );
        // Just past 30 days: an absolute time, long ago.
        assert_eq!(c.expiry(RELATIVE_EXPTIME_MAX + 1), Expiry::Expired);
        assert_eq!(c.expiry(now as i64 + 100), Expiry::At(now + 100));
        c.advance(50);
        assert_eq!(c.now(), now + 50);
    }
}
