//! The ketama continuum as twemproxy builds it (`nc_ketama.c`), which is libmemcached's.
//!
//! Each live server gets `floor(weight / total_live_weight × 40 × live_servers) × 4` points
//! (160 for equal weights), computed in single-precision float as twemproxy does. Its points
//! come four at a time from the MD5 digest of `NAME-i` for `i` in `0..points/4`, where `NAME`
//! is [`ServerSpec::ketama_name`](super::ServerSpec::ketama_name); each 4-byte group of the
//! digest, little-endian, is one point. A key goes to the first point at or after its hash,
//! wrapping to the first point.
//!
//! One difference remains, by design: twemproxy formats `NAME-i` into an 86-byte buffer but
//! hashes as many bytes as the untruncated string has, reading past the buffer for names over
//! about 80 bytes; memshark hashes the whole string.

use super::hash::md5_digest as digest;
use super::ServerSpec;

/// twemproxy's `KETAMA_POINTS_PER_SERVER`.
pub const POINTS_PER_SERVER: u32 = 160;
/// Points taken from one MD5 digest.
const POINTS_PER_HASH: u32 = 4;

/// One point of the continuum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// Where on the circle.
    pub value: u32,
    /// Index into the pool's servers.
    pub server: u32,
}

/// How many points a server of `weight` gets among `live` servers of `total_weight`, with
/// twemproxy's float arithmetic (`floorf(pct * 160 / 4 * nlive + 1e-10) * 4`).
///
/// `total_weight` is summed in 64 bits (twemproxy's 32-bit sum could wrap with weights near
/// 2³¹; below that the two agree), so a server never gets more than 160 × `live` points.
pub fn points_for(weight: u32, total_weight: u64, live: u32) -> u32 {
    if total_weight == 0 {
        return 0;
    }
    let pct = (weight as f32 / total_weight as f32).min(1.0);
    let scaled = pct * POINTS_PER_SERVER as f32 / POINTS_PER_HASH as f32 * live as f32;
    // The literal 0.0000000001 is a double: the sum is computed in double, then narrowed.
    let nudged = (f64::from(scaled) + 0.000_000_000_1) as f32;
    (nudged.floor() as u32).saturating_mul(POINTS_PER_HASH)
}

/// Builds the sorted continuum over the servers whose `alive` entry is true; `order` is
/// twemproxy's server order (by name), which breaks ties between equal points.
pub fn build(servers: &[ServerSpec], order: &[usize], alive: impl Fn(usize) -> bool) -> Vec<Point> {
    let live: Vec<usize> = order.iter().copied().filter(|&i| alive(i)).collect();
    let total_weight: u64 = live.iter().map(|&i| u64::from(servers[i].weight)).sum();
    let nlive = live.len() as u32;
    let mut points = Vec::with_capacity(live.len() * POINTS_PER_SERVER as usize);
    let mut host = Vec::new();
    for &i in &live {
        let server = &servers[i];
        let n = points_for(server.weight, total_weight, nlive);
        for index in 0..n / POINTS_PER_HASH {
            host.clear();
            host.extend_from_slice(server.ketama_name().as_bytes());
            host.push(b'-');
            host.extend_from_slice(index.to_string().as_bytes());
            let d = digest(&host);
            for group in d.chunks_exact(4) {
                points.push(Point {
                    value: u32::from_le_bytes([group[0], group[1], group[2], group[3]]),
                    server: i as u32,
                });
            }
        }
    }
    // twemproxy sorts by value with qsort; equal values (a 32-bit collision between two
    // servers' points) keep the server order here (a stable sort), where qsort leaves them
    // unspecified.
    points.sort_by_key(|p| p.value);
    points
}

/// The server of the first point at or after `hash`, wrapping around; `None` when empty.
pub fn dispatch(points: &[Point], hash: u32) -> Option<usize> {
    let at = points.partition_point(|p| p.value < hash);
    points
        .get(at)
        .or_else(|| points.first())
        .map(|p| p.server as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> ServerSpec {
        ServerSpec::parse(s).unwrap()
    }

    #[test]
    fn equal_weights_get_160_points_each() {
        for live in 1..=20u32 {
            let n = u64::from(live);
            assert_eq!(points_for(1, n, live), 160, "{live} servers");
            assert_eq!(points_for(7, 7 * n, live), 160, "{live} servers");
        }
        let servers: Vec<_> = (0..3)
            .map(|i| spec(&format!("10.0.0.{i}:11211:1")))
            .collect();
        let points = build(&servers, &(0..servers.len()).collect::<Vec<_>>(), |_| true);
        assert_eq!(points.len(), 480);
        assert!(points.windows(2).all(|w| w[0].value <= w[1].value));
    }

    #[test]
    fn weights_scale_points() {
        // 1:2:3 over three servers: 1/6*40*3 = 20 -> 80 points, 40 -> 160, 60 -> 240.
        assert_eq!(points_for(1, 6, 3), 80);
        assert_eq!(points_for(2, 6, 3), 160);
        assert_eq!(points_for(3, 6, 3), 240);
        // twemproxy's example pool: 100000 and 1.
        assert_eq!(points_for(100_000, 100_001, 2), 316);
        assert_eq!(points_for(1, 100_001, 2), 0);
        // Weights whose sum would wrap 32 bits stay bounded.
        let max = u64::from(u32::MAX);
        assert!(points_for(u32::MAX, 2 * max, 2) <= 320);
        assert_eq!(points_for(1, 0, 1), 0);
    }

    #[test]
    fn points_come_from_md5_of_name_dash_index() {
        let servers = vec![spec("127.0.0.1:11211:1")];
        let points = build(&servers, &(0..servers.len()).collect::<Vec<_>>(), |_| true);
        let d = digest(b"127.0.0.1-0");
        let first = u32::from_le_bytes([d[0], d[1], d[2], d[3]]);
        assert!(points.iter().any(|p| p.value == first));
        let d = digest(b"127.0.0.1-39");
        let last = u32::from_le_bytes([d[12], d[13], d[14], d[15]]);
        assert!(points.iter().any(|p| p.value == last));
    }

    #[test]
    fn dispatch_takes_the_next_point_and_wraps() {
        let points = vec![
            Point {
                value: 10,
                server: 0,
            },
            Point {
                value: 20,
                server: 1,
            },
            Point {
                value: 30,
                server: 2,
            },
        ];
        assert_eq!(dispatch(&points, 0), Some(0));
        assert_eq!(dispatch(&points, 10), Some(0));
        assert_eq!(dispatch(&points, 11), Some(1));
        assert_eq!(dispatch(&points, 30), Some(2));
        assert_eq!(dispatch(&points, 31), Some(0));
        assert_eq!(dispatch(&[], 31), None);
    }
}
