//! Reading meta flags as arguments: numeric tokens (`T30`, `D5`, `C123`) and mode letters
//! (`MA`, `MD`). Meta flags are lenient as memcached reads them: a token that is not a number
//! counts as absent.

use memshark_protocol::meta::Flags;

use crate::storage::{Direction, StoreMode};

/// The number after flag `letter`, if the flag is there and its token is a decimal `i64`.
pub fn number(flags: &Flags<'_>, letter: u8) -> Option<i64> {
    flags
        .get(letter)
        .and_then(|t| std::str::from_utf8(t).ok())
        .and_then(|t| t.parse().ok())
}

/// The first letter of the mode flag (`M`).
fn mode_letter(flags: &Flags<'_>) -> Option<u8> {
    flags.get(b'M').and_then(|t| t.first().copied())
}

/// The storage mode of `ms`: `ME` add, `MA` append, `MP` prepend, `MR` replace; anything else
/// (`MS`, no `M`) set. (The front end has refused other modes, as memcached 1.6 does.)
pub fn store_mode(flags: &Flags<'_>) -> StoreMode {
    match mode_letter(flags) {
        Some(b'E') => StoreMode::Add,
        Some(b'A') => StoreMode::Append,
        Some(b'P') => StoreMode::Prepend,
        Some(b'R') => StoreMode::Replace,
        _ => StoreMode::Set,
    }
}

/// The direction of `ma`: `MD` or `M-` decrement; anything else increment.
pub fn direction(flags: &Flags<'_>) -> Direction {
    match mode_letter(flags) {
        Some(b'D' | b'-') => Direction::Decr,
        _ => Direction::Incr,
    }
}
