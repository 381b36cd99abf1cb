//! Bob Jenkins' one-at-a-time hash (twemproxy's `one_at_a_time`).

use super::sx;

/// One-at-a-time over `key`; bytes ≥ 0x80 are sign-extended first, as twemproxy reads them.
pub fn one_at_a_time(key: &[u8]) -> u32 {
    let mut value: u32 = 0;
    for &b in key {
        value = value.wrapping_add(sx(b));
        value = value.wrapping_add(value << 10);
        value ^= value >> 6;
    }
    value = value.wrapping_add(value << 3);
    value ^= value >> 11;
    value.wrapping_add(value << 15)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        // Jenkins' published value for "a" and the empty key.
        assert_eq!(one_at_a_time(b""), 0);
        assert_eq!(one_at_a_time(b"a"), 0xca2e_9442);
        assert_eq!(
            one_at_a_time(b"The quick brown fox jumps over the lazy dog"),
            0x519e_91f5
        );
    }

    #[test]
    fn high_bytes_are_sign_extended() {
        // 0x80 sign-extended: value = 0xffffff80 first, not 0x80.
        let mut v: u32 = 0xffff_ff80;
        v = v.wrapping_add(v << 10);
        v ^= v >> 6;
        v = v.wrapping_add(v << 3);
        v ^= v >> 11;
        v = v.wrapping_add(v << 15);
        assert_eq!(one_at_a_time(&[0x80]), v);
    }
}
