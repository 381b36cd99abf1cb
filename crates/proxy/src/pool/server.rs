//! One server line, `host:port[:weight] [name]`: parsing, and the name ketama hashes.

use std::fmt;

use super::ServerSpec;

/// twemproxy leaves the port out of the ketama name for this port (libmemcached's rule).
pub const KETAMA_DEFAULT_PORT: u16 = 11211;

/// The largest weight (twemproxy reads weights as a C `int`).
pub const MAX_WEIGHT: u32 = i32::MAX as u32;

/// Why a server line does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerSpecError {
    /// Nothing given.
    #[error("empty server")]
    Empty,
    /// A Unix socket path: memshark connects over TCP only.
    #[error("{0:?}: Unix socket servers are not supported (TCP host:port only)")]
    UnixSocket(String),
    /// No `:port`.
    #[error("{0:?}: expected host:port:weight [name]")]
    Shape(String),
    /// The port is not a number in 1..=65535.
    #[error("{0:?}: bad port (1-65535)")]
    Port(String),
    /// The weight is not a whole number in 1..=2147483647.
    #[error("{0:?}: bad weight (a whole number from 1 to 2147483647)")]
    Weight(String),
    /// The weight is missing where it is required (configuration files).
    #[error("{0:?}: missing weight (host:port:weight [name])")]
    MissingWeight(String),
    /// More than one word after the address.
    #[error("{0:?}: the name must be one word")]
    Name(String),
}

impl ServerSpec {
    /// Parses `host:port[:weight] [name]`: the weight defaults to 1, the name to none. IPv6
    /// addresses go in brackets (`[::1]:11211:1`).
    pub fn parse(text: &str) -> Result<ServerSpec, ServerSpecError> {
        Self::parse_inner(text, false)
    }

    /// Parses a twemproxy configuration's `host:port:weight [name]`, where the weight is
    /// required.
    pub fn parse_config(text: &str) -> Result<ServerSpec, ServerSpecError> {
        Self::parse_inner(text, true)
    }

    fn parse_inner(text: &str, need_weight: bool) -> Result<ServerSpec, ServerSpecError> {
        let text = text.trim();
        let mut words = text.split_whitespace();
        let Some(addr_part) = words.next() else {
            return Err(ServerSpecError::Empty);
        };
        let name = words.next().map(str::to_string);
        if words.next().is_some() {
            return Err(ServerSpecError::Name(text.to_string()));
        }
        if addr_part.starts_with('/') {
            return Err(ServerSpecError::UnixSocket(text.to_string()));
        }
        // Split host from the rest, minding IPv6 brackets.
        let (host, rest) = if let Some(inner) = addr_part.strip_prefix('[') {
            let end = inner
                .find(']')
                .ok_or_else(|| ServerSpecError::Shape(text.to_string()))?;
            let rest = inner[end + 1..]
                .strip_prefix(':')
                .ok_or_else(|| ServerSpecError::Shape(text.to_string()))?;
            (&addr_part[..end + 2], rest)
        } else {
            let colon = addr_part
                .find(':')
                .ok_or_else(|| ServerSpecError::Shape(text.to_string()))?;
            (&addr_part[..colon], &addr_part[colon + 1..])
        };
        if host.is_empty() || host == "[]" {
            return Err(ServerSpecError::Shape(text.to_string()));
        }
        let (port, weight) = match rest.split_once(':') {
            Some((port, weight)) => (port, Some(weight)),
            None => (rest, None),
        };
        let port: u16 = match port.parse() {
            Ok(p) if p > 0 && port.bytes().all(|b| b.is_ascii_digit()) => p,
            _ => return Err(ServerSpecError::Port(text.to_string())),
        };
        let weight = match weight {
            Some(w) => match w.parse::<u32>() {
                Ok(v) if (1..=MAX_WEIGHT).contains(&v) && w.bytes().all(|b| b.is_ascii_digit()) => {
                    v
                }
                _ => return Err(ServerSpecError::Weight(text.to_string())),
            },
            None if need_weight => return Err(ServerSpecError::MissingWeight(text.to_string())),
            None => 1,
        };
        Ok(ServerSpec {
            addr: format!("{host}:{port}"),
            weight,
            name,
        })
    }

    /// The host part of [`ServerSpec::addr`] as written (brackets kept for IPv6).
    pub fn host(&self) -> &str {
        self.addr
            .rsplit_once(':')
            .map_or(self.addr.as_str(), |(h, _)| h)
    }

    /// The port of [`ServerSpec::addr`] (0 if it has none, which parsing never produces).
    pub fn port(&self) -> u16 {
        self.addr
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .unwrap_or(0)
    }

    /// The string ketama hashes to place this server: its name if it has one, else `host` for
    /// port 11211 and `host:port` for any other port (twemproxy's and libmemcached's rule).
    pub fn ketama_name(&self) -> &str {
        if let Some(name) = &self.name {
            return name;
        }
        if self.port() == KETAMA_DEFAULT_PORT {
            self.host()
        } else {
            &self.addr
        }
    }
}

impl fmt::Display for ServerSpec {
    /// `host:port:weight [name]`, the configuration file's form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.addr, self.weight)?;
        if let Some(name) = &self.name {
            write!(f, " {name}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        let s = ServerSpec::parse("127.0.0.1:11211").unwrap();
        assert_eq!(
            (s.addr.as_str(), s.weight, s.name),
            ("127.0.0.1:11211", 1, None)
        );
        let s = ServerSpec::parse("cache-1:11212:3 alpha").unwrap();
        assert_eq!(s.addr, "cache-1:11212");
        assert_eq!(s.weight, 3);
        assert_eq!(s.name.as_deref(), Some("alpha"));
        assert_eq!(s.to_string(), "cache-1:11212:3 alpha");
        let s = ServerSpec::parse("[::1]:11300:2").unwrap();
        assert_eq!((s.host(), s.port(), s.weight), ("[::1]", 11300, 2));
    }

    #[test]
    fn rejects_bad_lines() {
        assert_eq!(ServerSpec::parse(""), Err(ServerSpecError::Empty));
        assert!(matches!(
            ServerSpec::parse("host"),
            Err(ServerSpecError::Shape(_))
        ));
        assert!(matches!(
            ServerSpec::parse("host:0"),
            Err(ServerSpecError::Port(_))
        ));
        assert!(matches!(
            ServerSpec::parse("host:x:1"),
            Err(ServerSpecError::Port(_))
        ));
        assert!(matches!(
            ServerSpec::parse("host:1:0"),
            Err(ServerSpecError::Weight(_))
        ));
        assert!(matches!(
            ServerSpec::parse("host:1:-1"),
            Err(ServerSpecError::Weight(_))
        ));
        assert!(matches!(
            ServerSpec::parse("host:1:1 a b"),
            Err(ServerSpecError::Name(_))
        ));
        assert!(matches!(
            ServerSpec::parse("/tmp/mc.sock:1"),
            Err(ServerSpecError::UnixSocket(_))
        ));
        assert!(matches!(
            ServerSpec::parse_config("host:1"),
            Err(ServerSpecError::MissingWeight(_))
        ));
    }

    #[test]
    fn ketama_names() {
        let name = |s: &str| ServerSpec::parse(s).unwrap().ketama_name().to_string();
        assert_eq!(name("10.0.0.1:11211:1"), "10.0.0.1");
        assert_eq!(name("10.0.0.1:11212:1"), "10.0.0.1:11212");
        assert_eq!(name("10.0.0.1:11211:1 server1"), "server1");
    }
}
