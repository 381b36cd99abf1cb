//! Server pools: which servers a proxy fronts, and which of them each key goes to.
//!
//! A [`PoolConfig`] is what twemproxy calls a server pool: a listen address, a hash function, a
//! distribution and a list of weighted, optionally named servers. [`Continuum`] is the placement
//! built from it (ketama, modula or random) over the servers that are alive now; the router asks
//! it [`Continuum::server_for`] for every key.
//!
//! This module is the contract between the configuration/placement code and the router: the
//! router only uses the items declared here.

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
    /// CRC-16 (XMODEM).
    Crc16,
    /// CRC-32 as libmemcached computes it (`(crc >> 16) & 0x7fff`).
    Crc32,
    /// Plain CRC-32.
    Crc32a,
    /// FNV-1, 64-bit constants computed in 32 bits as twemproxy does.
    #[default]
    Fnv1a64,
    /// FNV-1 64.
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
        }
    }
}

/// Key placement over a pool's live servers.
#[derive(Debug, Clone)]
pub struct Continuum {
    hash: HashKind,
    hash_tag: Option<[u8; 2]>,
    distribution: Distribution,
    /// Indices (into the pool's `servers`) of the servers placed, in order.
    live: Vec<usize>,
}

impl Continuum {
    /// Builds the placement over the servers whose `alive` entry is true (`alive` has one entry
    /// per server of `pool`).
    pub fn build(pool: &PoolConfig, alive: &[bool]) -> Continuum {
        let live = (0..pool.servers.len())
            .filter(|&i| alive.get(i).copied().unwrap_or(true))
            .collect();
        Continuum {
            hash: pool.hash,
            hash_tag: pool.hash_tag,
            distribution: pool.distribution,
            live,
        }
    }

    /// The index (into the pool's `servers`) of the server `key` goes to; `None` when no server
    /// is alive.
    pub fn server_for(&self, key: &[u8]) -> Option<usize> {
        // Placeholder placement until the real continuum lands: modula over a simple hash.
        let _ = (self.hash, self.hash_tag, self.distribution);
        if self.live.is_empty() {
            return None;
        }
        let h = key
            .iter()
            .fold(0u32, |h, &b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        Some(self.live[h as usize % self.live.len()])
    }
}
