//! `memshark route`: which server of a pool each key goes to, as twemproxy would send it.

use std::io::{BufRead, BufWriter, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use memshark::proxy::pool::{
    load_config, Continuum, Distribution, HashKind, PoolConfig, ServerSpec,
};

/// Print the server each key goes to: the key, a tab, `host:port` (and a tab and the server's
/// name where it has one). Keys come from the arguments, or from stdin (one per line) when none
/// is given.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A twemproxy (nutcracker) configuration file.
    #[arg(long, conflicts_with = "backend")]
    config: Option<PathBuf>,
    /// With --config: the pool to route with (needed when the file has several). Without:
    /// the pool's servers, comma-separated `host:port[:weight] [name]`.
    #[arg(long)]
    pool: Option<String>,
    /// A server of the pool, `host:port[:weight] [name]` (repeat for each).
    #[arg(long)]
    backend: Vec<String>,
    #[command(flatten)]
    placement: PlacementArgs,
    /// The keys; read from stdin, one per line, when none is given.
    keys: Vec<String>,
}

/// How the keys of a pool given on the command line are placed (the `--config` file has its
/// own); `memshark route` and `memshark proxy` share these flags.
#[derive(Debug, clap::Args)]
pub(super) struct PlacementArgs {
    /// Hash function (without --config): one_at_a_time, md5, crc16, crc32, crc32a, fnv1_64,
    /// fnv1a_64, fnv1_32, fnv1a_32, hsieh, murmur, jenkins. twemproxy's default, fnv1a_64
    /// (computed in 32 bits as twemproxy does), spreads keys that differ only at their end
    /// unevenly; md5 and murmur spread them evenly.
    #[arg(long, conflicts_with = "config", default_value = "fnv1a_64")]
    hash: HashKind,
    /// Distribution (without --config): ketama, modula or random.
    #[arg(long, conflicts_with = "config", default_value = "ketama")]
    distribution: Distribution,
    /// Hash tag (without --config): two characters, e.g. `{}`; only the part of a key between
    /// them is hashed.
    #[arg(long, conflicts_with = "config")]
    hash_tag: Option<String>,
}

impl PlacementArgs {
    /// Sets `pool`'s hash, distribution and hash tag from the flags.
    pub(super) fn apply(&self, pool: &mut PoolConfig) -> anyhow::Result<()> {
        pool.hash = self.hash;
        pool.distribution = self.distribution;
        pool.hash_tag = self.hash_tag.as_deref().map(parse_hash_tag).transpose()?;
        Ok(())
    }
}

/// A `--hash-tag`: exactly two characters (bytes), such as `{}`.
fn parse_hash_tag(tag: &str) -> anyhow::Result<[u8; 2]> {
    <[u8; 2]>::try_from(tag.as_bytes())
        .ok()
        .with_context(|| format!("--hash-tag {tag:?}: two characters, such as {{}}"))
}

/// Runs `memshark route`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let pool = pool(&args)?;
    let continuum = Continuum::build(&pool, &vec![true; pool.servers.len()]);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if args.keys.is_empty() {
        let stdin = std::io::stdin();
        for line in stdin.lock().split(b'\n') {
            let line = line.context("reading keys from stdin")?;
            let key = line.strip_suffix(b"\r").unwrap_or(&line);
            if !key.is_empty() {
                route(&mut out, &pool, &continuum, key)?;
            }
        }
    } else {
        for key in &args.keys {
            route(&mut out, &pool, &continuum, key.as_bytes())?;
        }
    }
    out.flush()?;
    Ok(())
}

fn route(
    out: &mut impl Write,
    pool: &PoolConfig,
    continuum: &Continuum,
    key: &[u8],
) -> anyhow::Result<()> {
    let Some(server) = continuum.server_for(key).and_then(|i| pool.servers.get(i)) else {
        bail!("pool {:?} has no server", pool.name);
    };
    out.write_all(key)?;
    write!(out, "\t{}", server.addr)?;
    if let Some(name) = &server.name {
        write!(out, "\t{name}")?;
    }
    out.write_all(b"\n")?;
    Ok(())
}

/// The pool to route with, from --config or from the flags.
fn pool(args: &Args) -> anyhow::Result<PoolConfig> {
    if let Some(path) = &args.config {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let pools = load_config(&text).with_context(|| format!("{}", path.display()))?;
        return match (&args.pool, pools.len()) {
            (Some(name), _) => pools
                .iter()
                .find(|p| &p.name == name)
                .cloned()
                .with_context(|| {
                    format!(
                        "{} has no pool {name:?} (it has: {})",
                        path.display(),
                        names(&pools)
                    )
                }),
            (None, 1) => Ok(pools.into_iter().next().expect("one pool")),
            (None, _) => bail!(
                "{} has several pools ({}); choose one with --pool",
                path.display(),
                names(&pools)
            ),
        };
    }
    let mut servers = Vec::new();
    if let Some(list) = &args.pool {
        servers = PoolConfig::parse_servers(list).context("--pool")?;
    }
    for b in &args.backend {
        servers.push(ServerSpec::parse(b).context("--backend")?);
    }
    if servers.is_empty() {
        bail!("give the pool: --config FILE, --pool A,B,C or --backend A --backend B …");
    }
    let mut pool = PoolConfig::from_servers(SocketAddr::from(([127, 0, 0, 1], 22121)), servers);
    args.placement.apply(&mut pool)?;
    Ok(pool)
}

fn names(pools: &[PoolConfig]) -> String {
    pools
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
