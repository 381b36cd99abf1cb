//! twemproxy's `md5` hash: the first four bytes of the key's MD5 digest, little-endian.

use ::md5::{Digest, Md5};

/// The MD5 digest of `bytes` (also what ketama places its points with).
pub(crate) fn digest(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

/// The first four bytes of `key`'s MD5 digest as a little-endian `u32`.
pub fn md5(key: &[u8]) -> u32 {
    let d = digest(key);
    u32::from_le_bytes([d[0], d[1], d[2], d[3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        // MD5("") = d41d8cd98f00b204e9800998ecf8427e
        assert_eq!(md5(b""), 0xd98c_1dd4);
        // MD5("abc") = 900150983cd24fb0d6963f7d28e17f72
        assert_eq!(md5(b"abc"), 0x9850_0190);
    }
}
