//! A pool's shadow: another pool that also receives the requests for a fixed fraction of the
//! keys, as mcrouter's `key_fraction_range` does (memshark's extension to twemproxy's format).
//!
//! ```yaml
//! main:
//!   listen: 127.0.0.1:22121
//!   servers:
//!     - 10.0.0.1:11211:1
//!   shadow:
//!     pool: candidate
//!     key_fraction: [0.0, 0.1]
//! ```
//!
//! A key is shadowed when its fraction — lookup3 `hashlittle` of the whole key (hash tag
//! ignored) with the initial value 0, divided by 2³² — lies in `[start, end)`. The fraction is a
//! property of the key alone, so the same keys are shadowed by every proxy, every run.

use super::hash::hashlittle;

/// Where a pool's shadow traffic goes and which keys it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct ShadowConfig {
    /// The name of the pool (in the same configuration) that receives the copies.
    pub pool: String,
    /// The range of key fractions shadowed: `start <= fraction < end`, with
    /// `0.0 <= start <= end <= 1.0`.
    pub key_fraction: (f64, f64),
}

impl ShadowConfig {
    /// Where `key` falls in `[0, 1)`.
    pub fn fraction_of(key: &[u8]) -> f64 {
        f64::from(hashlittle(key, 0)) / 4_294_967_296.0
    }

    /// Whether `key`'s requests are copied to the shadow pool.
    pub fn covers(&self, key: &[u8]) -> bool {
        let f = Self::fraction_of(key);
        let (start, end) = self.key_fraction;
        start <= f && f < end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_about_the_fraction_asked() {
        let s = ShadowConfig {
            pool: "b".into(),
            key_fraction: (0.0, 0.1),
        };
        let n = (0..20_000)
            .filter(|i| s.covers(format!("key:{i}").as_bytes()))
            .count();
        assert!((1_700..2_300).contains(&n), "{n}");
        let none = ShadowConfig {
            pool: "b".into(),
            key_fraction: (0.5, 0.5),
        };
        assert!(!(0..1000).any(|i| none.covers(format!("k{i}").as_bytes())));
        let all = ShadowConfig {
            pool: "b".into(),
            key_fraction: (0.0, 1.0),
        };
        assert!((0..1000).all(|i| all.covers(format!("k{i}").as_bytes())));
    }
}
