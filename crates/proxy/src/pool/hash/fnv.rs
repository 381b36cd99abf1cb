//! twemproxy's four FNV hashes. The "64-bit" ones start from the 64-bit offset basis and use
//! the 64-bit prime but keep 32 bits (`fnv1a_64` is computed in 32 bits throughout; `fnv1_64`
//! in 64 and truncated, which comes to the same). Every byte is sign-extended first.

use super::sx;

/// The low 32 bits of FNV's 64-bit offset basis 0xcbf29ce484222325.
const FNV_64_INIT_LOW: u32 = 0x8422_2325;
/// The low 32 bits of FNV's 64-bit prime 0x100000001b3.
const FNV_64_PRIME_LOW: u32 = 0x0000_01b3;
const FNV_32_INIT: u32 = 2_166_136_261;
const FNV_32_PRIME: u32 = 16_777_619;

/// twemproxy's `fnv1_64` (multiply, then xor), truncated to 32 bits.
pub fn fnv1_64(key: &[u8]) -> u32 {
    key.iter().fold(FNV_64_INIT_LOW, |h, &b| {
        h.wrapping_mul(FNV_64_PRIME_LOW) ^ sx(b)
    })
}

/// twemproxy's `fnv1a_64` (xor, then multiply), in 32 bits.
pub fn fnv1a_64(key: &[u8]) -> u32 {
    key.iter().fold(FNV_64_INIT_LOW, |h, &b| {
        (h ^ sx(b)).wrapping_mul(FNV_64_PRIME_LOW)
    })
}

/// FNV-1 32.
pub fn fnv1_32(key: &[u8]) -> u32 {
    key.iter()
        .fold(FNV_32_INIT, |h, &b| h.wrapping_mul(FNV_32_PRIME) ^ sx(b))
}

/// FNV-1a 32.
pub fn fnv1a_32(key: &[u8]) -> u32 {
    key.iter()
        .fold(FNV_32_INIT, |h, &b| (h ^ sx(b)).wrapping_mul(FNV_32_PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The real 64-bit FNV-1, for comparing the low halves.
    fn fnv1_64_full(key: &[u8]) -> u64 {
        key.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            h.wrapping_mul(0x100_0000_01b3) ^ u64::from(b)
        })
    }

    fn fnv1a_64_full(key: &[u8]) -> u64 {
        key.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
    }

    #[test]
    fn published_32_bit_vectors() {
        // From the FNV reference test suite.
        assert_eq!(fnv1_32(b""), 0x811c_9dc5);
        assert_eq!(fnv1_32(b"a"), 0x050c_5d7e);
        assert_eq!(fnv1a_32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a_32(b"foobar"), 0xbf9c_f968);
        assert_eq!(fnv1_32(b"foobar"), 0x31f0_b262);
    }

    #[test]
    fn sixty_four_bit_variants_keep_the_low_half() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c; twemproxy returns its low 32 bits.
        assert_eq!(fnv1a_64(b"a"), 0x8601_ec8c);
        for key in [&b""[..], b"a", b"foobar", b"memshark:key:12345"] {
            assert_eq!(fnv1_64(key), fnv1_64_full(key) as u32);
            assert_eq!(fnv1a_64(key), fnv1a_64_full(key) as u32);
        }
    }

    #[test]
    fn high_bytes_are_sign_extended() {
        assert_eq!(
            fnv1a_32(&[0xe9]),
            (FNV_32_INIT ^ 0xffff_ffe9).wrapping_mul(FNV_32_PRIME)
        );
        assert_ne!(fnv1a_64(&[0xe9]), fnv1a_64_full(&[0xe9]) as u32);
    }
}
