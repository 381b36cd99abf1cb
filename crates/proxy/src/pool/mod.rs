//! Server pools: which servers a proxy fronts, and which of them each key goes to.
//!
//! A [`PoolConfig`] is what twemproxy calls a server pool: a listen address, a hash function, a
//! distribution and a list of weighted, optionally named servers. [`Continuum`] is the placement
//! built from it (ketama, modula or random) over the servers that are alive now; the router asks
//! it [`Continuum::server_for`] for every key.
//!
//! This module is the contract between the configuration/placement code and the router: the
//! router only uses the items declared here.
//!
//! * [`hash`]: every hash function twemproxy offers, bit for bit;
//! * `ketama`, `modula`: the two deterministic distributions (random needs no table);
//! * [`config`]: twemproxy's YAML configuration ([`load_config`]);
//! * `server`: the `host:port[:weight] [name]` server line ([`ServerSpec::parse`]);
//! * `shadow`: the optional shadow pool of a pool ([`ShadowConfig`]).
//!
//! Placement is proved against nutcracker itself by `tests/pool_vs_nutcracker.rs`.

pub mod config;
pub mod hash;
mod ketama;
mod modula;
mod server;
mod shadow;
mod yaml;

pub use config::{load_config, ConfigError, ConfigErrorKind};
pub use hash::UnknownHash;
pub use server::{ServerSpecError, KETAMA_DEFAULT_PORT, MAX_WEIGHT};
pub use shadow::ShadowConfig;

pub use memshark_protocol::sasl::SaslCredentials;

use std::cell::Cell;
use std::fmt;
use std::str::FromStr;

use std::net::SocketAddr;
use std::time::Duration;

/// One server of a pool, as written in the configuration (`host:port:weight [name]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpec {
    /// `host:port` as written (a host name is resolved when connecting).
    pub addr: String,
    /// Relative weight (twemproxy's third field; 1 when not given on the command line).
    pub weight: u32,
    /// The optional name (twemproxy's fourth field); ketama then hashes `name-N`.
    pub name: Option<String>,
}

/// The hash functions twemproxy offers, with its quirks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashKind {
    /// Bob Jenkins' one-at-a-time.
    OneAtATime,
    /// The first four bytes of the MD5 digest, little-endian.
    Md5,
    /// CRC-16/XMODEM in an unmasked 32-bit register (twemproxy 0.5's).
    Crc16,
    /// CRC-32 as libmemcached computes it (`(crc >> 16) & 0x7fff`).
    Crc32,
    /// Plain CRC-32.
    Crc32a,
    /// FNV-1a with the 64-bit constants, computed in 32 bits as twemproxy does (its default).
    #[default]
    Fnv1a64,
    /// FNV-1 with the 64-bit constants, truncated to 32 bits.
    Fnv164,
    /// FNV-1 32.
    Fnv132,
    /// FNV-1a 32.
    Fnv1a32,
    /// Paul Hsieh's SuperFastHash.
    Hsieh,
    /// MurmurHash (libmemcached's variant).
    Murmur,
    /// Bob Jenkins' lookup3 hashlittle.
    Jenkins,
}

/// How keys are spread over servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Distribution {
    /// The libmemcached/twemproxy consistent-hash continuum.
    #[default]
    Ketama,
    /// hash % number of servers.
    Modula,
    /// A random server per request.
    Random,
}

/// One pool, as in one top-level entry of a twemproxy configuration file.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolConfig {
    /// The pool's name (the YAML key; `default` for a pool given by flags).
    pub name: String,
    /// Where its clients connect.
    pub listen: SocketAddr,
    /// Hash function for keys.
    pub hash: HashKind,
    /// Two delimiter bytes: only the part of the key between them is hashed.
    pub hash_tag: Option<[u8; 2]>,
    /// Placement.
    pub distribution: Distribution,
    /// Per-request timeout; `None` waits as long as the server does.
    pub timeout: Option<Duration>,
    /// Listen backlog.
    pub backlog: u32,
    /// Connect to every server at start rather than on first use.
    pub preconnect: bool,
    /// Connections to each server shared by all clients.
    pub server_connections: u32,
    /// Take failing servers out of the continuum.
    pub auto_eject_hosts: bool,
    /// How long an ejected server stays out.
    pub server_retry_timeout: Duration,
    /// Consecutive failures that eject a server.
    pub server_failure_limit: u32,
    /// The servers.
    pub servers: Vec<ServerSpec>,
    /// A pool that also receives a fraction of this pool's keys (memshark's extension to
    /// twemproxy's format; `None` by default).
    pub shadow: Option<ShadowConfig>,
    /// Credentials the proxy authenticates to every server with (memshark's `sasl_username` /
    /// `sasl_password`): SASL PLAIN on binary connections, memcached's ASCII authentication on
    /// text/meta ones. `None`: no authentication.
    pub server_sasl: Option<SaslCredentials>,
    /// Credentials clients must authenticate to the proxy with (memshark's
    /// `client_sasl_username` / `client_sasl_password`), as to memcached `-S` (binary) and
    /// `-Y` (text/meta). `None`: clients are served at once.
    pub client_sasl: Option<SaslCredentials>,
}

impl Default for PoolConfig {
    /// twemproxy's defaults (`nc_conf.h`): pool `default` on 127.0.0.1:22121, `fnv1a_64`,
    /// `ketama`, no timeout, backlog 512, one connection per server, no preconnect, no
    /// ejection, retry after 30 s, eject after 2 failures, no servers.
    fn default() -> PoolConfig {
        PoolConfig {
            name: "default".to_string(),
            listen: SocketAddr::from(([127, 0, 0, 1], 22121)),
            hash: HashKind::default(),
            hash_tag: None,
            distribution: Distribution::default(),
            timeout: None,
            backlog: 512,
            preconnect: false,
            server_connections: 1,
            auto_eject_hosts: false,
            server_retry_timeout: Duration::from_secs(30),
            server_failure_limit: 2,
            servers: Vec::new(),
            shadow: None,
            server_sasl: None,
            client_sasl: None,
        }
    }
}

impl PoolConfig {
    /// A pool named `default` on `listen` over `servers`, every other setting twemproxy's
    /// default (what `--pool A,B,C` and repeated `--backend` build).
    pub fn from_servers(listen: SocketAddr, servers: Vec<ServerSpec>) -> PoolConfig {
        PoolConfig {
            listen,
            servers,
            ..PoolConfig::default()
        }
    }

    /// Parses a comma-separated server list, `host:port[:weight] [name],…`, as `--pool` takes
    /// it.
    pub fn parse_servers(list: &str) -> Result<Vec<ServerSpec>, ServerSpecError> {
        list.split(',').map(ServerSpec::parse).collect()
    }
}

impl Distribution {
    /// Every distribution.
    pub const ALL: [Distribution; 3] = [
        Distribution::Ketama,
        Distribution::Modula,
        Distribution::Random,
    ];

    /// The name twemproxy's configuration uses.
    pub fn name(self) -> &'static str {
        match self {
            Distribution::Ketama => "ketama",
            Distribution::Modula => "modula",
            Distribution::Random => "random",
        }
    }
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A distribution name that is none of twemproxy's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown distribution {0:?} (one of: ketama, modula, random)")]
pub struct UnknownDistribution(pub String);

impl FromStr for Distribution {
    type Err = UnknownDistribution;

    fn from_str(s: &str) -> Result<Distribution, UnknownDistribution> {
        Distribution::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| UnknownDistribution(s.to_string()))
    }
}

/// The part of `key` that is hashed under `hash_tag`: what lies between the first `tag[0]` and
/// the next `tag[1]` after it, when that is not empty; else the whole key (twemproxy's rule).
pub fn hash_tagged(key: &[u8], tag: Option<[u8; 2]>) -> &[u8] {
    let Some([open, close]) = tag else {
        return key;
    };
    let Some(start) = memchr::memchr(open, key) else {
        return key;
    };
    let inner = &key[start + 1..];
    match memchr::memchr(close, inner) {
        Some(end) if end > 0 => &inner[..end],
        _ => key,
    }
}

/// The placement table of a [`Continuum`].
#[derive(Debug, Clone)]
enum Table {
    Ketama(Vec<ketama::Point>),
    Modula(modula::Slots),
    /// The live servers, picked among uniformly (twemproxy ignores weights here).
    Random(Vec<usize>),
}

/// Key placement over a pool's live servers.
#[derive(Debug, Clone)]
pub struct Continuum {
    hash: HashKind,
    hash_tag: Option<[u8; 2]>,
    /// twemproxy hashes nothing (hash 0) when the pool has a single server.
    single: bool,
    table: Table,
    live: usize,
    shadow: Option<ShadowConfig>,
}

impl Continuum {
    /// Builds the placement over the servers whose `alive` entry is true (`alive` has one entry
    /// per server of `pool`; a missing entry counts as alive).
    ///
    /// This is what twemproxy does when it ejects a server or brings it back: the table is
    /// rebuilt over the live servers alone. Under ketama each live server's share of the 160 ×
    /// live points is recomputed from the live weights, so keys of the ejected server move to
    /// its neighbours on the circle and most others stay; under modula the slots are laid out
    /// again over the live weights, so most keys move.
    pub fn build(pool: &PoolConfig, alive: &[bool]) -> Continuum {
        let is_alive = |i: usize| alive.get(i).copied().unwrap_or(true);
        let order = twemproxy_order(&pool.servers);
        let live = (0..pool.servers.len()).filter(|&i| is_alive(i)).count();
        let table = match pool.distribution {
            Distribution::Ketama => Table::Ketama(ketama::build(&pool.servers, &order, is_alive)),
            Distribution::Modula => Table::Modula(modula::Slots::build(
                order.iter().map(|&i| (i, pool.servers[i].weight)),
                is_alive,
            )),
            Distribution::Random => {
                Table::Random((0..pool.servers.len()).filter(|&i| is_alive(i)).collect())
            }
        };
        Continuum {
            hash: pool.hash,
            hash_tag: pool.hash_tag,
            single: pool.servers.len() == 1,
            table,
            live,
            shadow: pool.shadow.clone(),
        }
    }

    /// Whether `key`'s requests are also sent to the pool's shadow ([`PoolConfig::shadow`]);
    /// always false for a pool without one.
    pub fn shadowed(&self, key: &[u8]) -> bool {
        self.shadow.as_ref().is_some_and(|s| s.covers(key))
    }

    /// The number of live servers placed.
    pub fn live_servers(&self) -> usize {
        self.live
    }

    /// The hash twemproxy dispatches `key` with: the pool's hash over the hash-tagged part of
    /// the key, or 0 in a one-server pool.
    pub fn hash_of(&self, key: &[u8]) -> u32 {
        if self.single {
            0
        } else {
            self.hash.hash(hash_tagged(key, self.hash_tag))
        }
    }

    /// The index (into the pool's `servers`) of the server `key` goes to; `None` when no server
    /// is alive.
    pub fn server_for(&self, key: &[u8]) -> Option<usize> {
        match &self.table {
            Table::Ketama(points) => ketama::dispatch(points, self.hash_of(key)),
            Table::Modula(slots) => slots.dispatch(self.hash_of(key)),
            Table::Random(live) => {
                if live.is_empty() {
                    return None;
                }
                Some(live[(next_random() % live.len() as u64) as usize])
            }
        }
    }
}

/// The order twemproxy keeps a pool's servers in: it sorts them by ketama name (shorter names
/// first, then bytewise) when it checks the configuration for duplicates, and modula's slots
/// follow that order, not the file's.
fn twemproxy_order(servers: &[ServerSpec]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..servers.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (servers[a].ketama_name(), servers[b].ketama_name());
        a.len()
            .cmp(&b.len())
            .then_with(|| a.as_bytes().cmp(b.as_bytes()))
    });
    order
}

thread_local! {
    /// Per-thread xorshift state for the random distribution, seeded from the process's random
    /// hasher keys.
    static RANDOM: Cell<u64> = Cell::new({
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x6d65_6d73_6861_726b);
        h.finish() | 1
    });
}

/// The next number of this thread's xorshift64* generator.
fn next_random() -> u64 {
    RANDOM.with(|state| {
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(servers: &str, distribution: Distribution) -> PoolConfig {
        PoolConfig {
            distribution,
            servers: PoolConfig::parse_servers(servers).unwrap(),
            ..PoolConfig::default()
        }
    }

    #[test]
    fn hash_tag_rules() {
        let tag = Some(*b"{}");
        assert_eq!(hash_tagged(b"user:{42}:name", tag), b"42");
        assert_eq!(hash_tagged(b"user:{}:name", tag), b"user:{}:name");
        assert_eq!(hash_tagged(b"user:{42:name", tag), b"user:{42:name");
        assert_eq!(hash_tagged(b"user:42}:{x}", tag), b"x");
        assert_eq!(hash_tagged(b"a{b}c", None), b"a{b}c");
        assert_eq!(hash_tagged(b"a$b$c", Some(*b"$$")), b"b");
    }

    #[test]
    fn no_live_server_places_nothing() {
        for d in Distribution::ALL {
            let p = pool("a:1,b:2", d);
            let c = Continuum::build(&p, &[false, false]);
            assert_eq!(c.server_for(b"k"), None, "{d}");
            assert_eq!(c.live_servers(), 0);
        }
        let empty = PoolConfig::default();
        assert_eq!(Continuum::build(&empty, &[]).server_for(b"k"), None);
    }

    #[test]
    fn ejection_moves_only_the_ejected_servers_keys_under_ketama() {
        let p = pool("a:1,b:2,c:3,d:4", Distribution::Ketama);
        let all = Continuum::build(&p, &[true; 4]);
        let without_b = Continuum::build(&p, &[true, false, true, true]);
        let mut moved = 0;
        for i in 0..10_000 {
            let key = format!("key:{i}");
            let before = all.server_for(key.as_bytes()).unwrap();
            let after = without_b.server_for(key.as_bytes()).unwrap();
            assert_ne!(after, 1);
            if before != 1 && before != after {
                moved += 1;
            }
        }
        // Points of the live servers are the same strings, so almost nothing else moves.
        assert!(moved < 200, "{moved} keys of live servers moved");
    }

    #[test]
    fn modula_over_live_weights() {
        let p = pool("a:1:1,b:1:2", Distribution::Modula);
        let c = Continuum::build(&p, &[true, true]);
        let mut counts = [0usize; 2];
        for i in 0..3000 {
            counts[c.server_for(format!("k{i}").as_bytes()).unwrap()] += 1;
        }
        assert!(counts[1] > counts[0] * 3 / 2, "{counts:?}");
        let c = Continuum::build(&p, &[false, true]);
        assert_eq!(c.server_for(b"anything"), Some(1));
    }

    #[test]
    fn random_spreads_over_live_servers() {
        let p = pool("a:1,b:1,c:1", Distribution::Random);
        let c = Continuum::build(&p, &[true, false, true]);
        let mut seen = [0usize; 3];
        for _ in 0..1000 {
            seen[c.server_for(b"same").unwrap()] += 1;
        }
        assert_eq!(seen[1], 0);
        assert!(seen[0] > 300 && seen[2] > 300, "{seen:?}");
    }

    #[test]
    fn a_single_server_takes_every_key() {
        let p = pool("a:1", Distribution::Ketama);
        let c = Continuum::build(&p, &[true]);
        assert_eq!(c.hash_of(b"whatever"), 0);
        assert_eq!(c.server_for(b"whatever"), Some(0));
    }

    #[test]
    fn modula_follows_twemproxys_sorted_order() {
        // Sorted by name: "b:9" < "a:10" (shorter first) < "a:11".
        let p = pool("a:10,a:11,b:9", Distribution::Modula);
        assert_eq!(twemproxy_order(&p.servers), [2, 0, 1]);
        let c = Continuum::build(&p, &[true; 3]);
        let slot_of = |key: &[u8]| HashKind::Fnv1a64.hash(key) % 3;
        for i in 0..100 {
            let key = format!("k{i}");
            let want = [2, 0, 1][slot_of(key.as_bytes()) as usize];
            assert_eq!(c.server_for(key.as_bytes()), Some(want));
        }
    }

    #[test]
    fn names_parse() {
        for d in Distribution::ALL {
            assert_eq!(d.name().parse::<Distribution>(), Ok(d));
        }
        assert!("consistent".parse::<Distribution>().is_err());
    }
}
