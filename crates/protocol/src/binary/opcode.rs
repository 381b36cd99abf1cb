//! Command opcodes of the binary protocol, as listed in memcached's `protocol_binary.h`.

use super::table::code_table;

code_table! {
    /// A binary-protocol command (header byte 1).
    ///
    /// Every opcode of memcached's `protocol_binary.h` has a variant; anything else is kept as
    /// [`Opcode::Unknown`], never rejected. Names are lower case (`get`, `getkq`, `sasl_auth`);
    /// unknown opcodes are all `unknown`.
    pub enum Opcode: u8, unknown "unknown";
    /// 0x00: get a value.
    Get = 0x00, "get";
    /// 0x01: store unconditionally.
    Set = 0x01, "set";
    /// 0x02: store only if absent.
    Add = 0x02, "add";
    /// 0x03: store only if present.
    Replace = 0x03, "replace";
    /// 0x04: delete a key.
    Delete = 0x04, "delete";
    /// 0x05: add to a counter.
    Increment = 0x05, "incr";
    /// 0x06: subtract from a counter.
    Decrement = 0x06, "decr";
    /// 0x07: close the connection.
    Quit = 0x07, "quit";
    /// 0x08: invalidate every item, optionally after a delay.
    Flush = 0x08, "flush";
    /// 0x09: quiet get (no response on a miss).
    GetQ = 0x09, "getq";
    /// 0x0a: no operation; closes a pipeline of quiet commands.
    Noop = 0x0a, "noop";
    /// 0x0b: the server's version string.
    Version = 0x0b, "version";
    /// 0x0c: get, with the key echoed in the response.
    GetK = 0x0c, "getk";
    /// 0x0d: quiet get with the key echoed.
    GetKQ = 0x0d, "getkq";
    /// 0x0e: append to a value.
    Append = 0x0e, "append";
    /// 0x0f: prepend to a value.
    Prepend = 0x0f, "prepend";
    /// 0x10: statistics, one response per statistic.
    Stat = 0x10, "stat";
    /// 0x11: quiet set.
    SetQ = 0x11, "setq";
    /// 0x12: quiet add.
    AddQ = 0x12, "addq";
    /// 0x13: quiet replace.
    ReplaceQ = 0x13, "replaceq";
    /// 0x14: quiet delete.
    DeleteQ = 0x14, "deleteq";
    /// 0x15: quiet increment.
    IncrementQ = 0x15, "incrq";
    /// 0x16: quiet decrement.
    DecrementQ = 0x16, "decrq";
    /// 0x17: quiet quit.
    QuitQ = 0x17, "quitq";
    /// 0x18: quiet flush.
    FlushQ = 0x18, "flushq";
    /// 0x19: quiet append.
    AppendQ = 0x19, "appendq";
    /// 0x1a: quiet prepend.
    PrependQ = 0x1a, "prependq";
    /// 0x1b: set the server's verbosity.
    Verbosity = 0x1b, "verbosity";
    /// 0x1c: change an item's expiration.
    Touch = 0x1c, "touch";
    /// 0x1d: get and touch.
    Gat = 0x1d, "gat";
    /// 0x1e: quiet get and touch.
    GatQ = 0x1e, "gatq";
    /// 0x20: list SASL mechanisms.
    SaslListMechs = 0x20, "sasl_list_mechs";
    /// 0x21: start SASL authentication.
    SaslAuth = 0x21, "sasl_auth";
    /// 0x22: continue SASL authentication.
    SaslStep = 0x22, "sasl_step";
    /// 0x23: get and touch, key echoed.
    GatK = 0x23, "gatk";
    /// 0x24: quiet get and touch, key echoed.
    GatKQ = 0x24, "gatkq";
    /// 0x30: range get.
    RGet = 0x30, "rget";
    /// 0x31: range set.
    RSet = 0x31, "rset";
    /// 0x32: quiet range set.
    RSetQ = 0x32, "rsetq";
    /// 0x33: range append.
    RAppend = 0x33, "rappend";
    /// 0x34: quiet range append.
    RAppendQ = 0x34, "rappendq";
    /// 0x35: range prepend.
    RPrepend = 0x35, "rprepend";
    /// 0x36: quiet range prepend.
    RPrependQ = 0x36, "rprependq";
    /// 0x37: range delete.
    RDelete = 0x37, "rdelete";
    /// 0x38: quiet range delete.
    RDeleteQ = 0x38, "rdeleteq";
    /// 0x39: range increment.
    RIncr = 0x39, "rincr";
    /// 0x3a: quiet range increment.
    RIncrQ = 0x3a, "rincrq";
    /// 0x3b: range decrement.
    RDecr = 0x3b, "rdecr";
    /// 0x3c: quiet range decrement.
    RDecrQ = 0x3c, "rdecrq";
    /// 0x3d: set a vbucket's state.
    SetVbucket = 0x3d, "set_vbucket";
    /// 0x3e: get a vbucket's state.
    GetVbucket = 0x3e, "get_vbucket";
    /// 0x3f: delete a vbucket.
    DelVbucket = 0x3f, "del_vbucket";
    /// 0x40: open a TAP stream.
    TapConnect = 0x40, "tap_connect";
    /// 0x41: TAP mutation.
    TapMutation = 0x41, "tap_mutation";
    /// 0x42: TAP delete.
    TapDelete = 0x42, "tap_delete";
    /// 0x43: TAP flush.
    TapFlush = 0x43, "tap_flush";
    /// 0x44: TAP opaque.
    TapOpaque = 0x44, "tap_opaque";
    /// 0x45: TAP vbucket set.
    TapVbucketSet = 0x45, "tap_vbucket_set";
    /// 0x46: TAP checkpoint start.
    TapCheckpointStart = 0x46, "tap_checkpoint_start";
    /// 0x47: TAP checkpoint end.
    TapCheckpointEnd = 0x47, "tap_checkpoint_end";
}

impl Opcode {
    /// Whether this is a quiet variant (no response on success, or on a miss for gets).
    pub fn is_quiet(self) -> bool {
        self.to_loud() != self
    }

    /// The non-quiet variant of a quiet opcode (`GetQ` → `Get`, `GetKQ` → `GetK`, …); any other
    /// opcode is returned unchanged.
    pub fn to_loud(self) -> Opcode {
        use Opcode::*;
        match self {
            GetQ => Get,
            GetKQ => GetK,
            SetQ => Set,
            AddQ => Add,
            ReplaceQ => Replace,
            DeleteQ => Delete,
            IncrementQ => Increment,
            DecrementQ => Decrement,
            QuitQ => Quit,
            FlushQ => Flush,
            AppendQ => Append,
            PrependQ => Prepend,
            GatQ => Gat,
            GatKQ => GatK,
            RSetQ => RSet,
            RAppendQ => RAppend,
            RPrependQ => RPrepend,
            RDeleteQ => RDelete,
            RIncrQ => RIncr,
            RDecrQ => RDecr,
            other => other,
        }
    }

    /// The quiet variant of this opcode, if it has one (`Get` → `GetQ`).
    pub fn to_quiet(self) -> Option<Opcode> {
        Opcode::ALL
            .iter()
            .copied()
            .find(|q| q.is_quiet() && q.to_loud() == self)
            .or(if self.is_quiet() { Some(self) } else { None })
    }

    /// Whether the response echoes the key (GETK, GETKQ, GATK, GATKQ).
    pub fn echoes_key(self) -> bool {
        matches!(
            self,
            Opcode::GetK | Opcode::GetKQ | Opcode::GatK | Opcode::GatKQ
        )
    }

    /// Whether this is a retrieval command (the get and gat families).
    pub fn is_get(self) -> bool {
        matches!(
            self.to_loud(),
            Opcode::Get | Opcode::GetK | Opcode::Gat | Opcode::GatK
        )
    }
}

impl std::fmt::Display for Opcode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Opcode::Unknown(b) => write!(f, "unknown(0x{b:02x})"),
            known => f.write_str(known.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips() {
        for b in 0..=255u8 {
            assert_eq!(u8::from(Opcode::from(b)), b);
        }
    }

    #[test]
    fn table_matches_protocol_binary_h() {
        let expected: &[(u8, &str)] = &[
            (0x00, "get"),
            (0x0a, "noop"),
            (0x0d, "getkq"),
            (0x10, "stat"),
            (0x1a, "prependq"),
            (0x1b, "verbosity"),
            (0x1c, "touch"),
            (0x1e, "gatq"),
            (0x20, "sasl_list_mechs"),
            (0x22, "sasl_step"),
            (0x24, "gatkq"),
            (0x30, "rget"),
            (0x3c, "rdecrq"),
            (0x3d, "set_vbucket"),
            (0x47, "tap_checkpoint_end"),
        ];
        for &(byte, name) in expected {
            assert_eq!(Opcode::from(byte).name(), name, "opcode 0x{byte:02x}");
            assert_eq!(Opcode::from_name(name), Some(Opcode::from(byte)));
        }
        assert_eq!(Opcode::ALL.len(), 31 + 5 + 13 + 11);
        assert_eq!(Opcode::from(0x1f), Opcode::Unknown(0x1f));
        assert_eq!(Opcode::from(0x25), Opcode::Unknown(0x25));
        assert_eq!(Opcode::from(0x48), Opcode::Unknown(0x48));
    }

    #[test]
    fn quiet_pairs() {
        assert!(Opcode::GetKQ.is_quiet());
        assert_eq!(Opcode::GetKQ.to_loud(), Opcode::GetK);
        assert_eq!(Opcode::Get.to_quiet(), Some(Opcode::GetQ));
        assert_eq!(Opcode::Noop.to_quiet(), None);
        assert!(!Opcode::Get.is_quiet());
        let quiet = Opcode::ALL.iter().filter(|o| o.is_quiet()).count();
        assert_eq!(quiet, 20);
    }
}
