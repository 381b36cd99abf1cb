//! twemproxy's `murmur`: libmemcached's MurmurHash2 with the seed `0xdeadbeef * len`.

const M: u32 = 0x5bd1_e995;
const R: u32 = 24;

/// MurmurHash2 of `key` (little-endian words), seeded as libmemcached does.
pub fn murmur(key: &[u8]) -> u32 {
    let len = key.len() as u32;
    let seed = 0xdead_beefu32.wrapping_mul(len);
    murmur2(key, seed)
}

/// MurmurHash2 (Austin Appleby's, 32-bit, little-endian) of `key` with `seed`.
fn murmur2(key: &[u8], seed: u32) -> u32 {
    let mut h = seed ^ key.len() as u32;
    let mut chunks = key.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if let Some(&first) = tail.first() {
        h ^= u32::from(first);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^ (h >> 15)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_reference_vectors() {
        // The empty input hashes to its seed's mixing alone.
        assert_eq!(murmur2(b"", 0), 0);
        let mut h: u32 = 1;
        h ^= h >> 13;
        h = h.wrapping_mul(M);
        assert_eq!(murmur2(b"", 1), h ^ (h >> 15));
    }

    #[test]
    fn libmemcached_seed() {
        // Empty key: seed 0, h = 0, mixing leaves 0.
        assert_eq!(murmur(b""), 0);
        assert_eq!(
            murmur(b"abc"),
            murmur2(b"abc", 0xdead_beefu32.wrapping_mul(3))
        );
    }
}
