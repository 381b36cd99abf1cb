//! The display-filter language of `view`, `live`, `proxy`, `demo`, `dump --filter` and
//! `stats --filter`: one language, one implementation, for messages and for transactions.
//!
//! ```text
//! expr       := or
//! or         := and (("||" | "or") and)*
//! and        := unary (("&&" | "and") unary)*
//! unary      := ("!" | "not") unary | "(" expr ")" | comparison
//! comparison := FIELD [OP VALUE]           a bare FIELD tests that it has a value
//! OP         := == | != | < | <= | > | >= | ~ (regex) | contains
//! VALUE      := "quoted string" | bare-word | number[unit]
//! ```
//!
//! | field | values | operators |
//! |---|---|---|
//! | `op` | the request's op and the answer's (`get`, `getkq`, `mg`, `VALUE`, `NOT_FOUND`…), any case | `== != ~ contains` |
//! | `key` | every key (all keys of a multi-get) | `== != ~ contains` |
//! | `status` | binary status, or the one a text answer stands for ([`Outcome::status`](memshark_protocol::op::Outcome::status): 0 success, 1 miss, 2 exists, 5 not stored…); by number or by name (`KEY_ENOENT`, `NOT_FOUND`, `EN`) | all |
//! | `latency` | first answer − request; needs a unit: `ns us µs ms s` | `== != < <= > >=` |
//! | `size` | value bytes; units `b kb mb gb` (1024-based) | `== != < <= > >=` |
//! | `proto` | `binary`, `ascii`, `meta` | `== != ~ contains` |
//! | `kind` | `request`, `response` (a transaction has both) | `== != ~ contains` |
//! | `client`, `server` | `10.0.0.1` or `10.0.0.1:40000` (`[::1]:11211`) | `== != ~ contains` |
//! | `port` | client and server port | `== != < <= > >=` |
//! | `flow` | the connection number | `== != < <= > >=` |
//! | `opaque` | binary opaque, meta `O` token (as a number) | `== != < <= > >=` |
//! | `cas` | CAS unique of a binary header, a `gets`/`cas` line, a meta `c`/`C` token | `== != < <= > >=` |
//! | `flags` | client flags: binary extras, text `flags` argument, meta `F`/`f` token | `== != < <= > >=` |
//! | `exptime` | expiration time: binary extras, text argument, meta `T`/`t` token | `== != < <= > >=` |
//! | `vbucket` | a binary request's vbucket | `== != < <= > >=` |
//! | `mflag` | each meta flag token as written (`v`, `T30`, `Oabc`) | `== != ~ contains` |
//! | `delta`, `initial` | an incr/decr's amount (binary extras, text argument, meta `D` token); a binary one's initial value | `== != < <= > >=` |
//!
//! Numbers are decimal or hex (`0x1f`).
//!
//! A field can have several values (a transaction's two ops, a multi-get's keys, two ports):
//! a comparison holds when any value satisfies it, and `a != b` when the field has values and
//! none equals `b`. As in Wireshark, every comparison on a field with no value is false, `!=`
//! included (a quiet request with no answer has no status: `status != 0` skips it, while
//! `!(status == 0)` takes it).
//!
//! ```
//! use memshark_traffic::filter::Filter;
//!
//! let f = Filter::parse(r#"op == "get" && status != 0"#).unwrap();
//! assert_eq!(f.source(), r#"op == "get" && status != 0"#);
//! let err = Filter::parse("latency > 5").unwrap_err();
//! assert_eq!(err.pos, 10);
//! assert_eq!(err.caret_line("latency > 5"), "          ^");
//! ```

mod eval;
mod lexer;
mod parser;
mod subject;
pub mod wire;

use std::fmt;
use std::net::SocketAddr;

/// A filter that does not parse: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {})", .pos + 1)]
pub struct FilterError {
    /// Byte offset in the source where the problem is.
    pub pos: usize,
    /// What is wrong.
    pub message: String,
}

impl FilterError {
    fn new(pos: usize, message: impl Into<String>) -> FilterError {
        FilterError {
            pos,
            message: message.into(),
        }
    }

    /// Spaces and a `^` under the offending character of `src`, to print under it.
    pub fn caret_line(&self, src: &str) -> String {
        let col = src
            .char_indices()
            .take_while(|(i, _)| *i < self.pos)
            .count();
        format!("{}^", " ".repeat(col))
    }
}

/// The fields a filter can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Operation names.
    Op,
    /// Keys.
    Key,
    /// Status code and name.
    Status,
    /// Latency in nanoseconds.
    Latency,
    /// Value size in bytes.
    Size,
    /// `binary`, `ascii` or `meta`.
    Proto,
    /// `request` or `response`.
    Kind,
    /// Client address.
    Client,
    /// Server address.
    Server,
    /// Client and server ports.
    Port,
    /// Connection number.
    Flow,
    /// Binary opaque, meta `O` token.
    Opaque,
    /// CAS unique.
    Cas,
    /// Client flags.
    Flags,
    /// Expiration time.
    Exptime,
    /// A binary request's vbucket.
    Vbucket,
    /// A meta flag token, as written.
    MetaFlag,
    /// An incr/decr amount.
    Delta,
    /// A binary incr/decr's initial value.
    Initial,
}

impl Field {
    /// Every field's name, in the order help texts list them.
    pub const NAMES: [&'static str; 19] = [
        "op", "key", "status", "latency", "size", "proto", "kind", "client", "server", "port",
        "flow", "opaque", "cas", "flags", "exptime", "vbucket", "mflag", "delta", "initial",
    ];

    /// The field called `name`.
    pub fn from_name(name: &str) -> Option<Field> {
        Some(match name.to_ascii_lowercase().as_str() {
            "op" => Field::Op,
            "key" => Field::Key,
            "status" => Field::Status,
            "latency" => Field::Latency,
            "size" => Field::Size,
            "proto" => Field::Proto,
            "kind" => Field::Kind,
            "client" => Field::Client,
            "server" => Field::Server,
            "port" => Field::Port,
            "flow" => Field::Flow,
            "opaque" => Field::Opaque,
            "cas" => Field::Cas,
            "flags" => Field::Flags,
            "exptime" => Field::Exptime,
            "vbucket" => Field::Vbucket,
            "mflag" => Field::MetaFlag,
            "delta" => Field::Delta,
            "initial" => Field::Initial,
            _ => return None,
        })
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        Field::NAMES[self as usize]
    }
}

/// One value of a field, as a [`Subject`] hands it over.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    /// Text (op, key, proto, kind).
    Str(&'a [u8]),
    /// A number (latency in ns, size, port, flow).
    Num(u64),
    /// A status: its code and its name.
    Status(u16, &'a str),
    /// An address (client, server).
    Addr(SocketAddr),
}

/// Something a filter can look at: a dissected message, a timeline transaction.
pub trait Subject {
    /// Calls `visit` with each value of `field`; stops and returns true as soon as `visit`
    /// returns true (false when no value made it return true, or there is none).
    fn any(&self, field: Field, visit: &mut dyn FnMut(Value<'_>) -> bool) -> bool;
}

/// A parsed, checked filter.
#[derive(Clone)]
pub struct Filter {
    expr: parser::Expr,
    source: String,
}

impl fmt::Debug for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Filter").field(&self.source).finish()
    }
}

impl Default for Filter {
    fn default() -> Self {
        Filter::all()
    }
}

impl Filter {
    /// Parses a filter; the empty string matches everything.
    pub fn parse(src: &str) -> Result<Filter, FilterError> {
        Ok(Filter {
            expr: parser::parse(src)?,
            source: src.trim().to_string(),
        })
    }

    /// The filter that matches everything.
    pub fn all() -> Filter {
        Filter {
            expr: parser::Expr::True,
            source: String::new(),
        }
    }

    /// Whether this is the match-everything filter.
    pub fn is_all(&self) -> bool {
        matches!(self.expr, parser::Expr::True)
    }

    /// The text it was parsed from (trimmed).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the expression is an `||` at its top (so that `&&`-ing more to it needs
    /// parentheses around it).
    pub fn is_disjunction(&self) -> bool {
        matches!(self.expr, parser::Expr::Or(..))
    }

    /// Whether `subject` passes.
    pub fn matches<S: Subject + ?Sized>(&self, subject: &S) -> bool {
        eval::eval(&self.expr, subject)
    }
}

impl std::str::FromStr for Filter {
    type Err = FilterError;
    fn from_str(s: &str) -> Result<Filter, FilterError> {
        Filter::parse(s)
    }
}

#[cfg(test)]
mod tests;
