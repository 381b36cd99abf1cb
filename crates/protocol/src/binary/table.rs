//! The one macro behind the binary protocol's code tables ([`Opcode`](super::Opcode) and
//! [`Status`](super::Status)): an enum with a variant per known value and `Unknown` for the
//! rest, conversions both ways, the list of known values, and each value's name.

/// Declares a code table: `$Enum` over the wire type `$Repr`, one variant per row, plus
/// `Unknown($Repr)` for values not in the table (never rejected).
///
/// Each row is `Variant = value, "name"` with an optional third column (`, "text"`), read
/// through the generated private `column(self) -> Option<&'static str>` (the enum's own
/// impl gives it a public meaning, such as [`Status::message`](super::Status::message)).
/// Generated: `From<$Repr>`, `From<$Enum> for $Repr`, `ALL`, `name()` (`$unknown_name` for
/// unknown values), `from_name()` (ASCII case ignored) and `is_known()`.
macro_rules! code_table {
    (
        $(#[$enum_doc:meta])*
        pub enum $Enum:ident: $Repr:ty, unknown $unknown_name:literal;
        $( $(#[$doc:meta])* $variant:ident = $value:literal, $name:literal $(, $column:literal)?; )*
    ) => {
        $(#[$enum_doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $Enum {
            $( $(#[$doc])* $variant, )*
            /// A value memshark does not know, kept as it was.
            Unknown($Repr),
        }

        impl From<$Repr> for $Enum {
            fn from(value: $Repr) -> Self {
                match value {
                    $( $value => $Enum::$variant, )*
                    other => $Enum::Unknown(other),
                }
            }
        }

        impl From<$Enum> for $Repr {
            fn from(value: $Enum) -> Self {
                match value {
                    $( $Enum::$variant => $value, )*
                    $Enum::Unknown(other) => other,
                }
            }
        }

        impl $Enum {
            /// Every known value, in table order.
            pub const ALL: &'static [$Enum] = &[ $( $Enum::$variant, )* ];

            /// The value's name as memshark prints it (the table's second column); every
            /// unknown value has the same name.
            pub fn name(self) -> &'static str {
                match self {
                    $( $Enum::$variant => $name, )*
                    $Enum::Unknown(_) => $unknown_name,
                }
            }

            /// Looks a known value up by its [`name`](Self::name), ignoring ASCII case.
            pub fn from_name(name: &str) -> Option<$Enum> {
                $Enum::ALL.iter().copied().find(|v| v.name().eq_ignore_ascii_case(name))
            }

            /// Whether the value is in the table (memcached's `protocol_binary.h` names it).
            pub fn is_known(self) -> bool {
                !matches!(self, $Enum::Unknown(_))
            }

            /// The row's optional third column.
            #[allow(dead_code)]
            fn column(self) -> Option<&'static str> {
                match self {
                    $( $Enum::$variant => None $( .or(Some($column)) )?, )*
                    $Enum::Unknown(_) => None,
                }
            }
        }
    };
}

pub(crate) use code_table;
