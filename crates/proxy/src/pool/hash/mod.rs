//! The key hash functions twemproxy offers (`hash:` in its configuration), bit for bit.
//!
//! Each family lives in a file of its own. twemproxy reads keys through `const char *`, and on
//! the platforms it runs on `char` is signed, so several functions see a byte ≥ 0x80 as a
//! negative number, sign-extended: `sx` reproduces that, and each function's documentation says
//! where it applies. The 64-bit FNV variants are computed in 32 bits and return 32 bits, as
//! twemproxy's do.

mod crc;
mod fnv;
mod hsieh;
mod jenkins;
mod md5_hash;
mod murmur;
mod one_at_a_time;

use std::fmt;
use std::str::FromStr;

pub use crc::{crc16, crc32, crc32a};
pub use fnv::{fnv1_32, fnv1_64, fnv1a_32, fnv1a_64};
pub use hsieh::hsieh;
pub use jenkins::{hashlittle, jenkins};
pub(crate) use md5_hash::digest as md5_digest;
pub use md5_hash::md5;
pub use murmur::murmur;
pub use one_at_a_time::one_at_a_time;

use super::HashKind;

/// A key byte as twemproxy's `(uint32_t) key[i]` reads it where `key` is a (signed) `char *`:
/// bytes ≥ 0x80 are sign-extended (0x80 becomes 0xffff_ff80).
#[inline]
pub(crate) fn sx(byte: u8) -> u32 {
    byte as i8 as i32 as u32
}

impl HashKind {
    /// Every hash function, in the order of twemproxy's documentation.
    pub const ALL: [HashKind; 12] = [
        HashKind::OneAtATime,
        HashKind::Md5,
        HashKind::Crc16,
        HashKind::Crc32,
        HashKind::Crc32a,
        HashKind::Fnv164,
        HashKind::Fnv1a64,
        HashKind::Fnv132,
        HashKind::Fnv1a32,
        HashKind::Hsieh,
        HashKind::Murmur,
        HashKind::Jenkins,
    ];

    /// The name twemproxy's configuration uses (`fnv1a_64`, `one_at_a_time`, …).
    pub fn name(self) -> &'static str {
        match self {
            HashKind::OneAtATime => "one_at_a_time",
            HashKind::Md5 => "md5",
            HashKind::Crc16 => "crc16",
            HashKind::Crc32 => "crc32",
            HashKind::Crc32a => "crc32a",
            HashKind::Fnv164 => "fnv1_64",
            HashKind::Fnv1a64 => "fnv1a_64",
            HashKind::Fnv132 => "fnv1_32",
            HashKind::Fnv1a32 => "fnv1a_32",
            HashKind::Hsieh => "hsieh",
            HashKind::Murmur => "murmur",
            HashKind::Jenkins => "jenkins",
        }
    }

    /// The 32-bit hash of `key`, exactly as twemproxy computes it.
    pub fn hash(self, key: &[u8]) -> u32 {
        match self {
            HashKind::OneAtATime => one_at_a_time(key),
            HashKind::Md5 => md5(key),
            HashKind::Crc16 => crc16(key),
            HashKind::Crc32 => crc32(key),
            HashKind::Crc32a => crc32a(key),
            HashKind::Fnv164 => fnv1_64(key),
            HashKind::Fnv1a64 => fnv1a_64(key),
            HashKind::Fnv132 => fnv1_32(key),
            HashKind::Fnv1a32 => fnv1a_32(key),
            HashKind::Hsieh => hsieh(key),
            HashKind::Murmur => murmur(key),
            HashKind::Jenkins => jenkins(key),
        }
    }
}

impl fmt::Display for HashKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A hash name that is none of twemproxy's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown hash {0:?} (one of: one_at_a_time, md5, crc16, crc32, crc32a, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, hsieh, murmur, jenkins)")]
pub struct UnknownHash(pub String);

impl FromStr for HashKind {
    type Err = UnknownHash;

    fn from_str(s: &str) -> Result<HashKind, UnknownHash> {
        HashKind::ALL
            .into_iter()
            .find(|h| h.name() == s)
            .ok_or_else(|| UnknownHash(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for h in HashKind::ALL {
            assert_eq!(h.name().parse::<HashKind>(), Ok(h));
            assert_eq!(h.to_string(), h.name());
        }
        assert!("fnv1a64".parse::<HashKind>().is_err());
    }

    // Computed by an independent transcription of twemproxy's C definitions (signed `char`
    // reads included) into another language; the last two keys carry bytes ≥ 0x80.
    const KEYS: [&[u8]; 8] = [
        b"",
        b"a",
        b"abc",
        b"foo:bar",
        b"memshark:key:12345",
        b"0123456789abcdefghijk",
        &[0x6b, 0x6c, 0xc3, 0xa9, 0x2d, 0xc3, 0xbc],
        &[0x80, 0xff, 0x41],
    ];
    const VECTORS: [(HashKind, [u32; 8]); 12] = [
        (
            HashKind::OneAtATime,
            [
                0x00000000, 0xca2e9442, 0xed131f5b, 0x586804a2, 0x328b6d1e, 0x432f5b42, 0x0b10d5ec,
                0x0d9b63e0,
            ],
        ),
        (
            HashKind::Md5,
            [
                0xd98c1dd4, 0xb975c10c, 0x98500190, 0xc1e8994e, 0xe3d2d869, 0x28537b71, 0xc2e9b161,
                0x7e93a560,
            ],
        ),
        (
            HashKind::Crc16,
            [
                0x00000000, 0x00007c87, 0x7c749dd6, 0x48302386, 0x32578ae4, 0x8a11f1dd, 0xce9c8962,
                0x91056040,
            ],
        ),
        (
            HashKind::Crc32,
            [
                0x00000000, 0x000068b7, 0x00003524, 0x000001e2, 0x00006c55, 0x00004ab3, 0x000067a8,
                0x00000c8b,
            ],
        ),
        (
            HashKind::Crc32a,
            [
                0x00000000, 0xe8b7be43, 0x352441c2, 0x81e2b6cf, 0xec554fc9, 0x4ab3433c, 0xe7a8625d,
                0x8c8b4ee6,
            ],
        ),
        (
            HashKind::Fnv164,
            [
                0x84222325, 0x8601b7be, 0x6bafadcb, 0x12a9b5a2, 0x1cc1401f, 0x88dec954, 0x4e4cee40,
                0x6b5c2a57,
            ],
        ),
        (
            HashKind::Fnv1a64,
            [
                0x84222325, 0x8601ec8c, 0x0541574b, 0xb3394ac8, 0xcdd299fb, 0x8affba6e, 0xdb533326,
                0x74fb9993,
            ],
        ),
        (
            HashKind::Fnv132,
            [
                0x811c9dc5, 0x050c5d7e, 0x439c2f4b, 0xb0715b22, 0x5323ee9f, 0xa65ed1b4, 0x28fedf00,
                0x16548577,
            ],
        ),
        (
            HashKind::Fnv1a32,
            [
                0x811c9dc5, 0xe40c292c, 0x1a47e90b, 0xb7264ca8, 0x9d6a0afb, 0x2e316fae, 0xb6c36a06,
                0xf0abe2b3,
            ],
        ),
        (
            HashKind::Hsieh,
            [
                0x00000000, 0x93642e87, 0xe5186b3a, 0xd615927b, 0xdca96ac5, 0xf54573b1, 0x1a85a154,
                0xe5c1936c,
            ],
        ),
        (
            HashKind::Murmur,
            [
                0x00000000, 0x4b41757c, 0x7b0cc428, 0x94f12def, 0xde706186, 0x316bd5c7, 0x08a44d71,
                0x82c07d85,
            ],
        ),
        (
            HashKind::Jenkins,
            [
                0xdeadbefc, 0xe0a38690, 0x8f415600, 0x9a99baf8, 0xdebbe1f3, 0xd3547d4e, 0x4cef34f6,
                0x4f63602b,
            ],
        ),
    ];

    #[test]
    fn every_hash_matches_its_vectors() {
        for (kind, expected) in VECTORS {
            for (key, want) in KEYS.iter().zip(expected) {
                assert_eq!(kind.hash(key), want, "{kind} of {key:x?}");
            }
        }
    }

    #[test]
    fn sign_extension() {
        assert_eq!(sx(0x41), 0x41);
        assert_eq!(sx(0x80), 0xffff_ff80);
        assert_eq!(sx(0xff), 0xffff_ffff);
    }
}
