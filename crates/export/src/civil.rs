//! Calendar dates of capture times (UTC), for partition names, without a date library.

/// `(year, month, day, hour)` in UTC of a time given in nanoseconds since the epoch.
pub(crate) fn utc_date_hour(nanos: u64) -> (i64, u32, u32, u32) {
    let secs = nanos / 1_000_000_000;
    let days = (secs / 86_400) as i64;
    let hour = ((secs % 86_400) / 3_600) as u32;
    let (y, m, d) = civil_from_days(days);
    (y, m, d, hour)
}

/// `YYYYMMDDTHHMMSSZ` for a time given in nanoseconds since the epoch.
pub(crate) fn utc_stamp(nanos: u64) -> String {
    let secs = nanos / 1_000_000_000;
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        s / 3_600,
        s / 60 % 60,
        s % 60
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a proleptic Gregorian date.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::utc_date_hour(0), (1970, 1, 1, 0));
        // 2024-02-29T13:45:00Z
        assert_eq!(
            super::utc_date_hour(1_709_214_300 * 1_000_000_000),
            (2024, 2, 29, 13)
        );
        // 2000-03-01T23:59:59Z
        assert_eq!(
            super::utc_date_hour(951_955_199 * 1_000_000_000),
            (2000, 3, 1, 23)
        );
        assert_eq!(
            super::utc_stamp(951_955_199 * 1_000_000_000),
            "20000301T235959Z"
        );
    }
}
