//! twemproxy's CRC hashes: `crc16` (CRC-16/XMODEM in a 32-bit register, as twemproxy 0.5 and
//! earlier compute it), `crc32` (libmemcached's: bits 16..31 of CRC-32, masked to 15 bits) and
//! `crc32a` (plain CRC-32).
//!
//! twemproxy's `crc16` keeps its register in a `uint32_t` and shifts it left without masking, so
//! the low 16 bits are the CRC-16/XMODEM of the key and the high 16 bits keep bits shifted out
//! of it; the whole 32 bits are the hash. (twemproxy's master branch later replaced it with the
//! Linux kernel's CRC-16; the released 0.5.0 that Debian ships, and that memshark is proved
//! against, has this one.)

/// CRC-16/XMODEM's table (polynomial 0x1021, not reflected), built at compile time.
const CRC16_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// twemproxy's `crc16`: CRC-16/XMODEM with the register unmasked above bit 15.
pub fn crc16(key: &[u8]) -> u32 {
    key.iter().fold(0u32, |crc, &b| {
        let index = ((crc >> 8) ^ super::sx(b)) & 0xff;
        (crc << 8) ^ u32::from(CRC16_TABLE[index as usize])
    })
}

/// libmemcached's CRC-32 hash: `(crc32(key) >> 16) & 0x7fff`.
pub fn crc32(key: &[u8]) -> u32 {
    (crc32fast::hash(key) >> 16) & 0x7fff
}

/// CRC-32 (IEEE) of `key`.
pub fn crc32a(key: &[u8]) -> u32 {
    crc32fast::hash(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values() {
        // The catalogue's check values over "123456789".
        // CRC-16/XMODEM's check value in the low half.
        assert_eq!(crc16(b"123456789") & 0xffff, 0x31c3);
        assert_eq!(crc32a(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b"123456789"), (0xcbf4_3926 >> 16) & 0x7fff);
        assert_eq!(crc16(b""), 0);
        assert_eq!(crc32a(b""), 0);
    }

    #[test]
    fn table_is_xmodems() {
        assert_eq!(CRC16_TABLE[1], 0x1021);
        assert_eq!(CRC16_TABLE[2], 0x2042);
        assert_eq!(CRC16_TABLE[255], 0x1ef0);
    }

    #[test]
    fn register_is_not_masked() {
        // Two bytes: the first byte's CRC shifted left by 8 stays above bit 15.
        let first = u32::from(CRC16_TABLE[usize::from(b'a')]);
        let second = ((first >> 8) ^ u32::from(b'b')) & 0xff;
        assert_eq!(
            crc16(b"ab"),
            (first << 8) ^ u32::from(CRC16_TABLE[second as usize])
        );
        assert!(crc16(b"abc") > 0xffff);
    }
}
