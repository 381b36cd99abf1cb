//! Response status codes (header bytes 6–7 of a response).

use super::table::code_table;

code_table! {
    /// The status of a binary-protocol response (header bytes 6–7).
    ///
    /// Every status of memcached's `protocol_binary.h` has a variant; any other value is kept
    /// as [`Status::Unknown`]. Names are memcached's (`SUCCESS`, `KEY_ENOENT`, `E2BIG`);
    /// unknown values are all `UNKNOWN`. The third column is [`Status::message`].
    pub enum Status: u16, unknown "UNKNOWN";
    /// 0x0000: the command succeeded.
    NoError = 0x0000, "SUCCESS", "";
    /// 0x0001: no item with that key.
    KeyNotFound = 0x0001, "KEY_ENOENT", "Not found";
    /// 0x0002: the item exists (ADD) or its CAS differs.
    KeyExists = 0x0002, "KEY_EEXISTS", "Data exists for key.";
    /// 0x0003: the value is larger than the server's item size limit.
    ValueTooLarge = 0x0003, "E2BIG", "Too large.";
    /// 0x0004: the request's shape is wrong (extras, key or body length).
    InvalidArguments = 0x0004, "EINVAL", "Invalid arguments";
    /// 0x0005: APPEND/PREPEND on a missing item.
    ItemNotStored = 0x0005, "NOT_STORED", "Not stored.";
    /// 0x0006: INCR/DECR on a value that is not a decimal number.
    DeltaBadValue = 0x0006, "DELTA_BADVAL", "Non-numeric server-side value for incr or decr";
    /// 0x0007: the vbucket belongs to another server.
    NotMyVbucket = 0x0007, "NOT_MY_VBUCKET", "Not my vbucket";
    /// 0x0008: no bucket selected.
    NoBucket = 0x0008, "NO_BUCKET", "No bucket";
    /// 0x0020: authentication failed.
    AuthError = 0x0020, "AUTH_ERROR", "Auth failure.";
    /// 0x0021: SASL needs another step.
    AuthContinue = 0x0021, "AUTH_CONTINUE", "Auth continue";
    /// 0x0022: a range is out of bounds.
    OutOfRange = 0x0022, "ERANGE", "Out of range";
    /// 0x0081: the opcode is not supported by the server.
    UnknownCommand = 0x0081, "UNKNOWN_COMMAND", "Unknown command";
    /// 0x0082: the server is out of memory.
    OutOfMemory = 0x0082, "ENOMEM", "Out of memory";
    /// 0x0083: the command is not supported.
    NotSupported = 0x0083, "NOT_SUPPORTED", "Not supported";
    /// 0x0084: an internal error.
    InternalError = 0x0084, "EINTERNAL", "Internal error";
    /// 0x0085: the server is busy.
    Busy = 0x0085, "EBUSY", "Busy";
    /// 0x0086: a temporary failure.
    TemporaryFailure = 0x0086, "ETMPFAIL", "Temporary failure";
}

impl Status {
    /// The text memcached 1.6 sends as the body of an error response with this status
    /// (empty for success).
    pub fn message(self) -> &'static str {
        self.column().unwrap_or("Unknown error")
    }

    /// Whether the status is `SUCCESS`.
    pub fn is_success(self) -> bool {
        self == Status::NoError
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Unknown(v) => write!(f, "UNKNOWN(0x{v:04x})"),
            known => f.write_str(known.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips() {
        for v in (0..=0x100u16).chain([1582, 0xffff]) {
            assert_eq!(u16::from(Status::from(v)), v);
        }
    }

    #[test]
    fn table_matches_protocol_binary_h() {
        let expected: &[(u16, &str)] = &[
            (0x00, "SUCCESS"),
            (0x01, "KEY_ENOENT"),
            (0x02, "KEY_EEXISTS"),
            (0x03, "E2BIG"),
            (0x04, "EINVAL"),
            (0x05, "NOT_STORED"),
            (0x06, "DELTA_BADVAL"),
            (0x07, "NOT_MY_VBUCKET"),
            (0x08, "NO_BUCKET"),
            (0x20, "AUTH_ERROR"),
            (0x21, "AUTH_CONTINUE"),
            (0x22, "ERANGE"),
            (0x81, "UNKNOWN_COMMAND"),
            (0x82, "ENOMEM"),
            (0x83, "NOT_SUPPORTED"),
            (0x84, "EINTERNAL"),
            (0x85, "EBUSY"),
            (0x86, "ETMPFAIL"),
        ];
        assert_eq!(Status::ALL.len(), expected.len());
        for &(v, name) in expected {
            assert_eq!(Status::from(v).name(), name);
            assert_eq!(Status::from_name(name), Some(Status::from(v)));
        }
        assert_eq!(Status::KeyNotFound.message(), "Not found");
    }
}
