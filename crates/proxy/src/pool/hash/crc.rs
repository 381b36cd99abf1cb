//! twemproxy's CRC hashes: `crc16` (the Linux kernel's CRC-16, i.e. CRC-16/ARC), `crc32`
//! (libmemcached's: bits 16..31 of CRC-32, masked to 15 bits) and `crc32a` (plain CRC-32).

/// CRC-16/ARC's table (reflected polynomial 0xA001), built at compile time.
const CRC16_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u16;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xa001
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// CRC-16/ARC of `key` (initial value 0, no final xor).
pub fn crc16(key: &[u8]) -> u32 {
    let crc = key.iter().fold(0u16, |crc, &b| {
        (crc >> 8) ^ CRC16_TABLE[usize::from((crc ^ u16::from(b)) as u8)]
    });
    u32::from(crc)
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
        assert_eq!(crc16(b"123456789"), 0xbb3d);
        assert_eq!(crc32a(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b"123456789"), (0xcbf4_3926 >> 16) & 0x7fff);
        assert_eq!(crc16(b""), 0);
        assert_eq!(crc32a(b""), 0);
    }

    #[test]
    fn table_matches_kernel() {
        // A few entries of the kernel's crc16_table.
        assert_eq!(CRC16_TABLE[1], 0xc0c1);
        assert_eq!(CRC16_TABLE[2], 0xc181);
        assert_eq!(CRC16_TABLE[255], 0x4040);
    }
}
