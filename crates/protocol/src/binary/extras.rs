//! The extras section decoded by what each opcode carries.

use super::{Magic, Opcode};

/// Extras of SET/ADD/REPLACE requests (8 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreExtras {
    /// Opaque client flags stored with the item.
    pub flags: u32,
    /// Expiration: 0 never, up to 30 days relative seconds, else absolute unix time.
    pub exptime: u32,
}

/// Extras of INCR/DECR requests (20 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterExtras {
    /// Amount to add or subtract.
    pub delta: u64,
    /// Value to create a missing item with.
    pub initial: u64,
    /// Expiration of a created item; `0xffffffff` means "do not create".
    pub exptime: u32,
}

impl StoreExtras {
    /// Encoded length.
    pub const LEN: usize = 8;

    /// The wire form.
    pub fn to_bytes(self) -> [u8; 8] {
        let mut out = [0u8; 8];
        out[..4].copy_from_slice(&self.flags.to_be_bytes());
        out[4..].copy_from_slice(&self.exptime.to_be_bytes());
        out
    }
}

impl CounterExtras {
    /// Encoded length.
    pub const LEN: usize = 20;

    /// The exptime that tells the server not to create a missing counter.
    pub const NO_CREATE: u32 = 0xffff_ffff;

    /// The wire form.
    pub fn to_bytes(self) -> [u8; 20] {
        let mut out = [0u8; 20];
        out[..8].copy_from_slice(&self.delta.to_be_bytes());
        out[8..16].copy_from_slice(&self.initial.to_be_bytes());
        out[16..].copy_from_slice(&self.exptime.to_be_bytes());
        out
    }
}

/// Extras decoded according to the message's opcode and direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extras<'a> {
    /// No extras, and none expected.
    None,
    /// SET/ADD/REPLACE request.
    Store(StoreExtras),
    /// INCR/DECR request.
    Counter(CounterExtras),
    /// TOUCH/GAT/FLUSH request: an expiration (or flush delay).
    Expiry(u32),
    /// VERBOSITY request: the level.
    Verbosity(u32),
    /// Response to a get-family request: the item's flags.
    Flags(u32),
    /// Successful INCR/DECR response: the new counter value (carried in the body).
    CounterValue(u64),
    /// Extras this opcode does not define, or of an unexpected length, kept as bytes.
    Other(&'a [u8]),
}

fn be32(b: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(..4)?.try_into().ok()?))
}

fn be64(b: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(..8)?.try_into().ok()?))
}

impl<'a> Extras<'a> {
    /// Decodes `extras` (and, for counter responses, the 8-byte `value`). Never fails: what does
    /// not fit the opcode's definition comes back as [`Extras::Other`].
    pub fn decode(magic: Magic, opcode: Opcode, extras: &'a [u8], value: &'a [u8]) -> Extras<'a> {
        use Opcode::*;
        let loud = opcode.to_loud();
        let decoded = if magic.is_response() {
            match (loud, extras.len()) {
                (Get | GetK | Gat | GatK, 4) => be32(extras).map(Extras::Flags),
                (Increment | Decrement, 0) if value.len() == 8 => {
                    be64(value).map(Extras::CounterValue)
                }
                _ => None,
            }
        } else {
            match (loud, extras.len()) {
                (Set | Add | Replace, 8) => Some(Extras::Store(StoreExtras {
                    flags: be32(extras).unwrap_or(0),
                    exptime: be32(&extras[4..]).unwrap_or(0),
                })),
                (Increment | Decrement, 20) => Some(Extras::Counter(CounterExtras {
                    delta: be64(extras).unwrap_or(0),
                    initial: be64(&extras[8..]).unwrap_or(0),
                    exptime: be32(&extras[16..]).unwrap_or(0),
                })),
                (Touch | Gat | GatK | Flush, 4) => be32(extras).map(Extras::Expiry),
                (Verbosity, 4) => be32(extras).map(Extras::Verbosity),
                _ => None,
            }
        };
        decoded.unwrap_or(if extras.is_empty() {
            Extras::None
        } else {
            Extras::Other(extras)
        })
    }

    /// The flags, where these extras carry them.
    pub fn flags(&self) -> Option<u32> {
        match self {
            Extras::Store(s) => Some(s.flags),
            Extras::Flags(f) => Some(*f),
            _ => None,
        }
    }

    /// The expiration, where these extras carry one.
    pub fn exptime(&self) -> Option<u32> {
        match self {
            Extras::Store(s) => Some(s.exptime),
            Extras::Counter(c) => Some(c.exptime),
            Extras::Expiry(e) => Some(*e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_extras_decode() {
        let e = StoreExtras {
            flags: 0xdeadbeef,
            exptime: 3600,
        };
        let bytes = e.to_bytes();
        assert_eq!(
            Extras::decode(Magic::Request, Opcode::SetQ, &bytes, b""),
            Extras::Store(e)
        );
        assert_eq!(
            Extras::decode(Magic::Request, Opcode::Get, &bytes, b""),
            Extras::Other(&bytes)
        );
    }

    #[test]
    fn counter_extras_and_value() {
        let e = CounterExtras {
            delta: 1,
            initial: 2,
            exptime: CounterExtras::NO_CREATE,
        };
        let bytes = e.to_bytes();
        assert_eq!(
            Extras::decode(Magic::Request, Opcode::Increment, &bytes, b""),
            Extras::Counter(e)
        );
        let v = 42u64.to_be_bytes();
        assert_eq!(
            Extras::decode(Magic::Response, Opcode::Decrement, b"", &v),
            Extras::CounterValue(42)
        );
    }

    #[test]
    fn wrong_length_is_other_never_panics() {
        for len in 0..32 {
            let buf = vec![7u8; len];
            for op in Opcode::ALL {
                let _ = Extras::decode(Magic::Request, *op, &buf, &buf);
                let _ = Extras::decode(Magic::Response, *op, &buf, &buf);
            }
        }
        assert_eq!(
            Extras::decode(Magic::Request, Opcode::Touch, &[1, 2, 3], b""),
            Extras::Other(&[1, 2, 3])
        );
    }
}
