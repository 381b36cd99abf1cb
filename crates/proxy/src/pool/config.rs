//! twemproxy's configuration file, read as is: one top-level key per pool, each a mapping of
//! twemproxy's settings (`listen`, `hash`, `hash_tag`, `distribution`, `timeout`, `backlog`,
//! `preconnect`, `server_connections`, `auto_eject_hosts`, `server_retry_timeout`,
//! `server_failure_limit`, `servers`, and the redis-only `redis`, `redis_auth`, `redis_db`),
//! plus memshark's extensions `shadow`, `sasl_username`/`sasl_password` (what the proxy
//! authenticates to the servers with) and `client_sasl_username`/`client_sasl_password` (what
//! clients must authenticate to the proxy with). Unknown keys and bad values are errors naming
//! their line.
//!
//! The YAML is read by the small parser in `yaml` rather than a YAML crate: twemproxy's subset is
//! tiny, and the parser keeps the line of every value, which the errors name.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use super::yaml::{self, Entry, Node, Value};
use super::{Distribution, HashKind, PoolConfig, SaslCredentials, ServerSpec, ShadowConfig};

/// A configuration error and the line (1-based) it is on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct ConfigError {
    /// Where.
    pub line: usize,
    /// What.
    pub kind: ConfigErrorKind,
}

/// What is wrong with a configuration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigErrorKind {
    /// Not YAML memshark reads.
    #[error("{0}")]
    Syntax(String),
    /// The file has no pool.
    #[error("no pool configured")]
    Empty,
    /// The top level is not a mapping of pool names.
    #[error("the top level must map pool names to their settings")]
    NotPools,
    /// A pool is not a mapping.
    #[error("pool {0:?} must be a mapping of settings")]
    NotAPool(String),
    /// A key twemproxy does not know.
    #[error("unknown key {key:?} in pool {pool:?}")]
    UnknownKey {
        /// The pool.
        pool: String,
        /// The key.
        key: String,
    },
    /// A required key is missing.
    #[error("pool {pool:?} has no {key:?}")]
    Missing {
        /// The pool.
        pool: String,
        /// The key.
        key: &'static str,
    },
    /// A key's value is wrong.
    #[error("{key}: {message}")]
    BadValue {
        /// The key.
        key: String,
        /// Why.
        message: String,
    },
    /// `redis: true`.
    #[error("pool {0:?} is a redis pool (redis: true); memshark proxies memcached only")]
    Redis(String),
    /// Two pools listen on the same address.
    #[error("pools {first:?} and {second:?} both listen on {addr}")]
    DuplicateListen {
        /// The pool seen first.
        first: String,
        /// The pool seen second.
        second: String,
        /// The address.
        addr: SocketAddr,
    },
    /// A shadow names a pool that is not in the file, or its own pool.
    #[error("pool {pool:?} shadows {target:?}, which is not another pool of this file")]
    UnknownShadow {
        /// The pool with the shadow.
        pool: String,
        /// The pool named.
        target: String,
    },
}

fn error(line: usize, kind: ConfigErrorKind) -> ConfigError {
    ConfigError { line, kind }
}

fn bad(node: &Node, key: &str, message: impl Into<String>) -> ConfigError {
    error(
        node.line,
        ConfigErrorKind::BadValue {
            key: key.to_string(),
            message: message.into(),
        },
    )
}

/// Reads a twemproxy configuration: every pool, in file order.
pub fn load_config(text: &str) -> Result<Vec<PoolConfig>, ConfigError> {
    let root = yaml::parse(text)
        .map_err(|e| error(e.line, ConfigErrorKind::Syntax(e.message)))?
        .ok_or_else(|| error(1, ConfigErrorKind::Empty))?;
    let Value::Map(entries) = &root.value else {
        return Err(error(root.line, ConfigErrorKind::NotPools));
    };
    if entries.is_empty() {
        return Err(error(root.line, ConfigErrorKind::Empty));
    }
    let mut pools: Vec<(PoolConfig, usize, Option<usize>)> = Vec::new();
    for entry in entries {
        let (pool, shadow_line) = pool(entry)?;
        if let Some((first, _, _)) = pools.iter().find(|(p, _, _)| p.listen == pool.listen) {
            return Err(error(
                entry.line,
                ConfigErrorKind::DuplicateListen {
                    first: first.name.clone(),
                    second: pool.name.clone(),
                    addr: pool.listen,
                },
            ));
        }
        pools.push((pool, entry.line, shadow_line));
    }
    for (pool, _, shadow_line) in &pools {
        if let (Some(shadow), Some(line)) = (&pool.shadow, shadow_line) {
            if shadow.pool == pool.name || !pools.iter().any(|(p, _, _)| p.name == shadow.pool) {
                return Err(error(
                    *line,
                    ConfigErrorKind::UnknownShadow {
                        pool: pool.name.clone(),
                        target: shadow.pool.clone(),
                    },
                ));
            }
        }
    }
    Ok(pools.into_iter().map(|(p, _, _)| p).collect())
}

/// One pool; also the line of its `shadow` key, if any.
fn pool(entry: &Entry) -> Result<(PoolConfig, Option<usize>), ConfigError> {
    let name = entry.key.clone();
    let Value::Map(settings) = &entry.value.value else {
        return Err(error(entry.line, ConfigErrorKind::NotAPool(name)));
    };
    let mut pool = PoolConfig {
        name: name.clone(),
        ..PoolConfig::default()
    };
    let mut listen = false;
    let mut servers = false;
    let mut shadow_line = None;
    let mut redis = None;
    let mut redis_auth = None;
    let mut server_sasl = SaslPair::default();
    let mut client_sasl = SaslPair::default();
    for setting in settings {
        let key = setting.key.as_str();
        let node = &setting.value;
        match key {
            "listen" => {
                pool.listen = listen_addr(node)?;
                listen = true;
            }
            "hash" => {
                pool.hash = text(node, key)?
                    .parse::<HashKind>()
                    .map_err(|e| bad(node, key, e.to_string()))?;
            }
            "hash_tag" => {
                let tag = text(node, key)?;
                let bytes: [u8; 2] = tag.as_bytes().try_into().map_err(|_| {
                    bad(
                        node,
                        key,
                        format!("{tag:?} must be two characters, such as \"{{}}\""),
                    )
                })?;
                pool.hash_tag = Some(bytes);
            }
            "distribution" => {
                pool.distribution = text(node, key)?
                    .parse::<Distribution>()
                    .map_err(|e| bad(node, key, e.to_string()))?;
            }
            "timeout" => pool.timeout = Some(Duration::from_millis(number(node, key)?.into())),
            "backlog" => pool.backlog = number(node, key)?,
            "client_connections" => {
                // Accepted for compatibility; memshark does not cap client connections per
                // pool (see `memshark proxy --max-connections`).
                number(node, key)?;
            }
            "tcpkeepalive" => {
                // Accepted for compatibility (twemproxy 0.5); memshark leaves keepalive off.
                boolean(node, key)?;
            }
            "preconnect" => pool.preconnect = boolean(node, key)?,
            "server_connections" => {
                let n = number(node, key)?;
                if n == 0 {
                    return Err(bad(node, key, "must be at least 1"));
                }
                pool.server_connections = n;
            }
            "auto_eject_hosts" => pool.auto_eject_hosts = boolean(node, key)?,
            "server_retry_timeout" => {
                pool.server_retry_timeout = Duration::from_millis(number(node, key)?.into());
            }
            "server_failure_limit" => pool.server_failure_limit = number(node, key)?,
            "servers" => {
                pool.servers = server_list(node)?;
                servers = true;
            }
            "redis" => {
                if boolean(node, key)? {
                    redis = Some(setting.line);
                }
            }
            "redis_auth" => {
                text(node, key)?;
                redis_auth = Some(setting.line);
            }
            "redis_db" => {
                number(node, key)?;
            }
            "shadow" => {
                pool.shadow = Some(shadow(node)?);
                shadow_line = Some(setting.line);
            }
            "sasl_username" => server_sasl.user = Some(credential(node, key)?),
            "sasl_password" => server_sasl.password = Some(credential(node, key)?),
            "client_sasl_username" => client_sasl.user = Some(credential(node, key)?),
            "client_sasl_password" => client_sasl.password = Some(credential(node, key)?),
            _ => {
                return Err(error(
                    setting.line,
                    ConfigErrorKind::UnknownKey {
                        pool: name,
                        key: key.to_string(),
                    },
                ))
            }
        }
    }
    if let Some(line) = redis {
        return Err(error(line, ConfigErrorKind::Redis(name)));
    }
    if let Some(line) = redis_auth {
        return Err(error(
            line,
            ConfigErrorKind::BadValue {
                key: "redis_auth".into(),
                message: "is only valid for a redis pool (as in twemproxy)".into(),
            },
        ));
    }
    pool.server_sasl = server_sasl.finish("sasl_username", "sasl_password")?;
    pool.client_sasl = client_sasl.finish("client_sasl_username", "client_sasl_password")?;
    if !listen {
        return Err(error(
            entry.line,
            ConfigErrorKind::Missing {
                pool: name,
                key: "listen",
            },
        ));
    }
    if !servers {
        return Err(error(
            entry.line,
            ConfigErrorKind::Missing {
                pool: name,
                key: "servers",
            },
        ));
    }
    Ok((pool, shadow_line))
}

/// A user name or password being read: each half with the line it is on.
#[derive(Default)]
struct SaslPair {
    user: Option<(String, usize)>,
    password: Option<(String, usize)>,
}

impl SaslPair {
    /// The credentials when both halves are given, none when neither is; one without the other
    /// is an error on the line of the one given.
    fn finish(
        self,
        user_key: &str,
        password_key: &str,
    ) -> Result<Option<SaslCredentials>, ConfigError> {
        let missing = |line: usize, given: &str, other: &str| {
            error(
                line,
                ConfigErrorKind::BadValue {
                    key: given.to_string(),
                    message: format!("is given without {other}"),
                },
            )
        };
        match (self.user, self.password) {
            (None, None) => Ok(None),
            (Some((user, _)), Some((password, _))) => Ok(Some(SaslCredentials { user, password })),
            (Some((_, line)), None) => Err(missing(line, user_key, password_key)),
            (None, Some((_, line))) => Err(missing(line, password_key, user_key)),
        }
    }
}

/// A user name or password: one word that memcached's ASCII authentication can carry (no
/// space, no line break; memcached splits `user password` on spaces).
fn credential(node: &Node, key: &str) -> Result<(String, usize), ConfigError> {
    let t = text(node, key)?;
    if t.is_empty() || t.bytes().any(|b| matches!(b, b' ' | b'\r' | b'\n')) {
        return Err(bad(
            node,
            key,
            "must be one word, without spaces (memcached's ASCII authentication splits on them)",
        ));
    }
    Ok((t.to_string(), node.line))
}

/// A scalar's text.
fn text<'a>(node: &'a Node, key: &str) -> Result<&'a str, ConfigError> {
    match &node.value {
        Value::Scalar { text, .. } => Ok(text),
        Value::Null => Err(bad(node, key, "has no value")),
        _ => Err(bad(node, key, "must be a single value")),
    }
}

/// A whole number in 0..=2147483647 (twemproxy's non-negative `int`).
fn number(node: &Node, key: &str) -> Result<u32, ConfigError> {
    let t = text(node, key)?;
    match t.parse::<u32>() {
        Ok(n) if n <= i32::MAX as u32 && t.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(bad(
            node,
            key,
            format!("{t:?} is not a whole number from 0 to 2147483647"),
        )),
    }
}

/// `true` or `false`, as twemproxy spells them.
fn boolean(node: &Node, key: &str) -> Result<bool, ConfigError> {
    match text(node, key)? {
        "true" => Ok(true),
        "false" => Ok(false),
        t => Err(bad(node, key, format!("{t:?} is neither true nor false"))),
    }
}

/// `host:port`, resolved (the first address).
fn listen_addr(node: &Node) -> Result<SocketAddr, ConfigError> {
    let t = text(node, "listen")?;
    // twemproxy allows a permission after a Unix socket path; a TCP address has no space.
    if t.starts_with('/') {
        return Err(bad(
            node,
            "listen",
            format!("{t:?}: Unix sockets are not supported (host:port only)"),
        ));
    }
    if let Ok(addr) = t.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let resolved = t.to_socket_addrs().map_err(|e| {
        bad(
            node,
            "listen",
            format!("{t:?} is not a host:port that resolves ({e})"),
        )
    })?;
    resolved
        .into_iter()
        .next()
        .ok_or_else(|| bad(node, "listen", format!("{t:?} resolves to no address")))
}

fn server_list(node: &Node) -> Result<Vec<ServerSpec>, ConfigError> {
    let Value::Seq(items) = &node.value else {
        return Err(bad(
            node,
            "servers",
            "must be a list of host:port:weight [name]",
        ));
    };
    if items.is_empty() {
        return Err(bad(node, "servers", "the list is empty"));
    }
    let mut servers: Vec<ServerSpec> = Vec::with_capacity(items.len());
    for item in items {
        let spec = ServerSpec::parse_config(text(item, "servers")?)
            .map_err(|e| bad(item, "servers", e.to_string()))?;
        if servers
            .iter()
            .any(|s| s.ketama_name() == spec.ketama_name())
        {
            return Err(bad(
                item,
                "servers",
                format!(
                    "{spec}: a second server with ketama name {:?}",
                    spec.ketama_name()
                ),
            ));
        }
        servers.push(spec);
    }
    Ok(servers)
}

fn shadow(node: &Node) -> Result<ShadowConfig, ConfigError> {
    let Value::Map(entries) = &node.value else {
        return Err(bad(
            node,
            "shadow",
            "must be a mapping: {pool: NAME, key_fraction: [START, END]}",
        ));
    };
    let mut pool = None;
    let mut range = None;
    for e in entries {
        match e.key.as_str() {
            "pool" => pool = Some(text(&e.value, "shadow.pool")?.to_string()),
            "key_fraction" => range = Some(fraction_range(&e.value)?),
            other => {
                return Err(error(
                    e.line,
                    ConfigErrorKind::BadValue {
                        key: "shadow".into(),
                        message: format!("unknown key {other:?} (pool, key_fraction)"),
                    },
                ))
            }
        }
    }
    let pool = pool.ok_or_else(|| bad(node, "shadow", "has no pool"))?;
    Ok(ShadowConfig {
        pool,
        key_fraction: range.unwrap_or((0.0, 1.0)),
    })
}

fn fraction_range(node: &Node) -> Result<(f64, f64), ConfigError> {
    const KEY: &str = "shadow.key_fraction";
    let Value::Seq(items) = &node.value else {
        return Err(bad(node, KEY, "must be [START, END]"));
    };
    let [start, end] = items.as_slice() else {
        return Err(bad(node, KEY, "must be [START, END]"));
    };
    let num = |n: &Node| -> Result<f64, ConfigError> {
        let t = text(n, KEY)?;
        match t.parse::<f64>() {
            Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
            _ => Err(bad(n, KEY, format!("{t:?} is not a number from 0 to 1"))),
        }
    };
    let (start, end) = (num(start)?, num(end)?);
    if start > end {
        return Err(bad(node, KEY, "START is above END"));
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// twemproxy's own example file (conf/nutcracker.yml), its memcached pools.
    const EXAMPLE: &str = "\
gamma:
  listen: 127.0.0.1:22123
  hash: fnv1a_64
  distribution: ketama
  timeout: 400
  backlog: 1024
  preconnect: true
  auto_eject_hosts: true
  server_retry_timeout: 2000
  server_failure_limit: 3
  servers:
   - 127.0.0.1:11212:1
   - 127.0.0.1:11213:1

beta:
  listen: 127.0.0.1:22122
  hash: fnv1a_64
  hash_tag: \"{}\"
  distribution: ketama
  auto_eject_hosts: false
  timeout: 400
  redis: false
  servers:
   - 127.0.0.1:6380:1 server1
   - 127.0.0.1:6381:1 server2
";

    #[test]
    fn reads_twemproxys_example() {
        let pools = load_config(EXAMPLE).unwrap();
        assert_eq!(pools.len(), 2);
        let gamma = &pools[0];
        assert_eq!(gamma.name, "gamma");
        assert_eq!(gamma.listen, "127.0.0.1:22123".parse().unwrap());
        assert_eq!(gamma.hash, HashKind::Fnv1a64);
        assert_eq!(gamma.distribution, Distribution::Ketama);
        assert_eq!(gamma.timeout, Some(Duration::from_millis(400)));
        assert_eq!(gamma.backlog, 1024);
        assert!(gamma.preconnect && gamma.auto_eject_hosts);
        assert_eq!(gamma.server_retry_timeout, Duration::from_secs(2));
        assert_eq!(gamma.server_failure_limit, 3);
        assert_eq!(gamma.servers.len(), 2);
        let beta = &pools[1];
        assert_eq!(beta.hash_tag, Some(*b"{}"));
        assert_eq!(beta.servers[1].name.as_deref(), Some("server2"));
        assert_eq!(beta.server_connections, 1);
        assert_eq!(beta.shadow, None);
    }

    fn fails(text: &str) -> ConfigError {
        load_config(text).unwrap_err()
    }

    #[test]
    fn errors_name_the_line() {
        let base = "p:\n  listen: 127.0.0.1:22121\n  servers:\n    - 127.0.0.1:11211:1\n";
        assert!(load_config(base).is_ok());
        let e = fails(&format!("{base}  colour: blue\n"));
        assert_eq!(e.line, 5);
        assert!(matches!(e.kind, ConfigErrorKind::UnknownKey { .. }), "{e}");
        let e = fails(&format!("{base}  hash: sha1\n"));
        assert_eq!(e.line, 5);
        assert!(e.to_string().contains("unknown hash"), "{e}");
        let e = fails(&format!("{base}  distribution: vnode\n"));
        assert_eq!(e.line, 5);
        let e = fails(&format!("{base}  timeout: -1\n"));
        assert_eq!(e.line, 5);
        let e = fails(&format!("{base}  preconnect: yes\n"));
        assert_eq!(e.line, 5);
        let e = fails(&format!("{base}  hash_tag: \"{{\"\n"));
        assert_eq!(e.line, 5);
        let e = fails(&format!("{base}  redis: true\n"));
        assert_eq!(e.line, 5);
        assert!(matches!(e.kind, ConfigErrorKind::Redis(_)));
        let e = fails(&format!("{base}    - 127.0.0.1:11212\n"));
        assert_eq!(e.line, 5);
        assert!(e.to_string().contains("missing weight"), "{e}");
        let e = fails(&format!("{base}    - 127.0.0.1:11211:2\n"));
        assert_eq!(e.line, 5, "{e}");
        let e = fails("p:\n  listen: 127.0.0.1:22121\n");
        assert_eq!(e.line, 1);
        assert!(matches!(
            e.kind,
            ConfigErrorKind::Missing { key: "servers", .. }
        ));
        let e = fails(&format!(
            "{base}q:\n  listen: 127.0.0.1:22121\n  servers:\n    - a:1:1\n"
        ));
        assert_eq!(e.line, 5);
        assert!(matches!(e.kind, ConfigErrorKind::DuplicateListen { .. }));
        let e = fails("p: 1\n");
        assert!(matches!(e.kind, ConfigErrorKind::NotAPool(_)));
        let e = fails("");
        assert!(matches!(e.kind, ConfigErrorKind::Empty));
        let e = fails("p:\n  listen: /tmp/sock\n  servers:\n    - a:1:1\n");
        assert_eq!(e.line, 2);
    }

    #[test]
    fn redis_only_keys_are_accepted() {
        let text = "p:\n  listen: 127.0.0.1:22121\n  redis: false\n  redis_db: 2\n  client_connections: 100\n  tcpkeepalive: true\n  servers:\n    - 127.0.0.1:11211:1\n";
        assert_eq!(load_config(text).unwrap().len(), 1);
        let auth = text.replace("  redis_db: 2\n", "  redis_auth: secret\n");
        assert_eq!(load_config(&auth).unwrap_err().line, 4);
    }

    #[test]
    fn shadow_section() {
        let text = "\
main:
  listen: 127.0.0.1:22121
  servers:
    - 127.0.0.1:11211:1
  shadow:
    pool: candidate
    key_fraction: [0.0, 0.1]
candidate:
  listen: 127.0.0.1:22122
  servers:
    - 127.0.0.1:11212:1
";
        let pools = load_config(text).unwrap();
        assert_eq!(
            pools[0].shadow,
            Some(ShadowConfig {
                pool: "candidate".into(),
                key_fraction: (0.0, 0.1)
            })
        );
        let inline = text.replace(
            "  shadow:\n    pool: candidate\n    key_fraction: [0.0, 0.1]\n",
            "  shadow: {pool: candidate, key_fraction: [0.25, 0.5]}\n",
        );
        assert_eq!(
            load_config(&inline).unwrap()[0]
                .shadow
                .as_ref()
                .unwrap()
                .key_fraction,
            (0.25, 0.5)
        );
        let e = fails(&text.replace("pool: candidate", "pool: nowhere"));
        assert_eq!(e.line, 5);
        let e = fails(&text.replace("[0.0, 0.1]", "[0.5, 0.1]"));
        assert_eq!(e.line, 7);
        let e = fails(&text.replace("[0.0, 0.1]", "[0.0, 2]"));
        assert_eq!(e.line, 7);
    }

    #[test]
    fn sasl_keys() {
        let base = "p:\n  listen: 127.0.0.1:22121\n  servers:\n    - 127.0.0.1:11211:1\n";
        let pool = &load_config(base).unwrap()[0];
        assert_eq!((&pool.server_sasl, &pool.client_sasl), (&None, &None));
        let both = format!(
            "{base}  sasl_username: proxy\n  sasl_password: \"s3cret\"\n  client_sasl_username: app\n  client_sasl_password: pw\n"
        );
        let pool = &load_config(&both).unwrap()[0];
        assert_eq!(
            pool.server_sasl,
            Some(SaslCredentials::new("proxy", "s3cret"))
        );
        assert_eq!(pool.client_sasl, Some(SaslCredentials::new("app", "pw")));
        // One half without the other names the line of the half given.
        let e = fails(&format!("{base}  sasl_username: proxy\n"));
        assert_eq!(e.line, 5);
        assert!(e.to_string().contains("without sasl_password"), "{e}");
        let e = fails(&format!(
            "{base}  redis_db: 0\n  client_sasl_password: pw\n"
        ));
        assert_eq!(e.line, 6);
        assert!(
            e.to_string().contains("without client_sasl_username"),
            "{e}"
        );
        // Values memcached's ASCII authentication cannot carry, or none at all.
        let e = fails(&format!(
            "{base}  sasl_username: proxy\n  sasl_password: \"two words\"\n"
        ));
        assert_eq!(e.line, 6);
        assert!(e.to_string().contains("without spaces"), "{e}");
        let e = fails(&format!(
            "{base}  client_sasl_username:\n  client_sasl_password: pw\n"
        ));
        assert_eq!(e.line, 5);
        let e = fails(&format!("{base}  sasl_username: [a, b]\n"));
        assert_eq!(e.line, 5);
        // Still an unknown key: a misspelling.
        let e = fails(&format!("{base}  sasl_user: proxy\n"));
        assert!(matches!(e.kind, ConfigErrorKind::UnknownKey { .. }), "{e}");
        // The error never shows the password it was given.
        let e = fails(&format!("{base}  sasl_password: hunter2\n"));
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
