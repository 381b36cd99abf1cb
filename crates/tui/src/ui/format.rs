//! Numbers as the screens write them.

/// `12`, `3.4k`, `5.6M` (thousands and millions).
pub fn short(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=9_999_999 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A value size: bytes up to 9999, then KiB and MiB (blank for none).
pub fn size(n: u32) -> String {
    match n {
        0 => String::new(),
        1..=9_999 => n.to_string(),
        10_000..=9_999_999 => format!("{:.1}k", f64::from(n) / 1024.0),
        _ => format!("{:.1}M", f64::from(n) / 1048576.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_short() {
        assert_eq!(short(9_999), "9999");
        assert_eq!(short(12_345), "12.3k");
        assert_eq!(short(5_600_000_000), "5600.0M");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(size(0), "");
        assert_eq!(size(20_480), "20.0k");
        assert_eq!(size(20_000_000), "19.1M");
    }
}
